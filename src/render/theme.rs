//! Themes: the templates and assets pages are rendered with.
//!
//! The default theme is embedded in the binary, so a book with no `themes/` folder
//! builds. A book's `themes/<name>/templates/`, `themes/<name>/static/` and
//! `themes/<name>/snippets/` override the embedded files by name: a theme that changes
//! one template needs only that file, and every other template, asset and snippet
//! template still comes from the default.
//!
//! Snippet templates are loaded into a `Tera` of their own, since they produce the
//! code merchants paste rather than pages. Both sets get the context-escaping filters
//! (`js_string`, `json_script`, `js_comment`, `js_key`, `html_attr`, `html_text`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};
use tera::{Kwargs, State, Tera};
use walkdir::WalkDir;

use crate::config::Config;
use crate::diagnostics::{Diagnostic, Severity};
use crate::render::escape;

static DEFAULT_THEME: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/themes/default");

/// Loaded templates plus the assets to write under `theme/`.
pub struct Theme {
    pub templates: Tera,
    /// Asset path relative to the theme's `static/` folder, and its bytes.
    pub assets: BTreeMap<String, Cow<'static, [u8]>>,
    /// Every theme file read from the book folder, for rebuilding when one changes.
    pub files: Vec<PathBuf>,
    /// Each template's text by name, so a problem in a page's frame can be shown in the
    /// template it came from.
    pub template_sources: BTreeMap<String, TemplateSource>,
    /// A fingerprint of every template's name and text.
    pub fingerprint: u64,
}

/// The text of one template and where it was read from.
#[derive(Debug, Clone)]
pub struct TemplateSource {
    pub text: String,
    /// The book's own file; `None` for a template of the embedded default theme.
    pub path: Option<PathBuf>,
}

impl TemplateSource {
    /// The template as named in diagnostics.
    pub fn display_path(&self, name: &str, book_root: &Path) -> String {
        match &self.path {
            Some(path) => crate::parse::loader::display_path(path, book_root),
            None => format!("<default theme>/templates/{name}"),
        }
    }
}

/// Loads the configured theme over the embedded default.
pub fn load(config: &Config) -> Result<Theme, Vec<Diagnostic>> {
    let theme_dir = config.root.join("themes").join(&config.build.theme);
    if config.build.theme != "default" && !theme_dir.is_dir() {
        return Err(vec![
            Diagnostic::new(
                Severity::Error,
                None,
                format!(
                    "theme `{}` not found in {}",
                    config.build.theme,
                    theme_dir.display()
                ),
            )
            .with_code("theme-not-found")
            .with_hint("create the folder, or remove `[build] theme` to use the default theme"),
        ]);
    }

    let mut templates: BTreeMap<String, TemplateSource> = embedded_files("templates")
        .map(|(name, bytes)| {
            let text = String::from_utf8_lossy(bytes).into_owned();
            (name, TemplateSource { text, path: None })
        })
        .collect();
    let mut assets: BTreeMap<String, Cow<'static, [u8]>> = embedded_files("static")
        .map(|(name, bytes)| (name, Cow::Borrowed(bytes)))
        .collect();
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();

    for (name, path) in user_files(&theme_dir.join("templates")) {
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let source = TemplateSource {
                    text,
                    path: Some(path.clone()),
                };
                templates.insert(name, source);
            }
            Err(error) => diagnostics.push(unreadable(&path, &error)),
        }
        files.push(path);
    }
    for (name, path) in user_files(&theme_dir.join("static")) {
        match std::fs::read(&path) {
            Ok(bytes) => {
                assets.insert(name, Cow::Owned(bytes));
            }
            Err(error) => diagnostics.push(unreadable(&path, &error)),
        }
        files.push(path);
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }

    let named: Vec<(&String, &String)> = templates.iter().map(|(n, s)| (n, &s.text)).collect();
    let fingerprint = crate::fingerprint::of(&named);
    let mut tera = Tera::new();
    tera.autoescape_on([".html", ".xml"]);
    register_escape_filters(&mut tera);
    let named_texts = templates
        .iter()
        .map(|(name, source)| (name.as_str(), &source.text));
    if let Err(error) = tera.add_raw_templates(named_texts) {
        return Err(vec![template_error(&error)]);
    }
    Ok(Theme {
        templates: tera,
        assets,
        files,
        template_sources: templates,
        fingerprint,
    })
}

/// The snippet templates (`snippets/*.html`), by name without the extension.
pub struct SnippetTemplates {
    pub tera: Tera,
    /// Template name (`queue`) to the book's own file, for those the book overrides.
    pub files: BTreeMap<String, PathBuf>,
}

impl SnippetTemplates {
    /// The names of every snippet template, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .tera
            .get_template_names()
            .filter_map(|name| name.strip_suffix(".html"))
            .collect();
        names.sort_unstable();
        names
    }

    pub fn has(&self, name: &str) -> bool {
        self.names().contains(&name)
    }
}

/// Loads the snippet templates of the configured theme over the embedded default ones.
pub fn load_snippets(config: &Config) -> Result<SnippetTemplates, Vec<Diagnostic>> {
    let theme_dir = config.root.join("themes").join(&config.build.theme);
    let mut sources: BTreeMap<String, String> = embedded_files("snippets")
        .map(|(name, bytes)| (name, String::from_utf8_lossy(bytes).into_owned()))
        .collect();
    let mut files = BTreeMap::new();
    let mut diagnostics = Vec::new();
    for (name, path) in user_files(&theme_dir.join("snippets")) {
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                sources.insert(name.clone(), text);
                let stem = name.strip_suffix(".html").unwrap_or(&name).to_string();
                files.insert(stem, path);
            }
            Err(error) => diagnostics.push(unreadable(&path, &error)),
        }
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }

    // Autoescaping stays on: a value written without a filter is HTML-escaped, which
    // is never unsafe, only sometimes wrong; the context filters mark their output safe.
    let mut tera = Tera::new();
    tera.autoescape_on([".html"]);
    register_escape_filters(&mut tera);
    if let Err(error) = tera.add_raw_templates(sources.iter().map(|(n, t)| (n.as_str(), t))) {
        return Err(vec![template_error(&error)]);
    }
    Ok(SnippetTemplates { tera, files })
}

/// The escaping functions as filters, each marking its output safe for its context.
fn register_escape_filters(tera: &mut Tera) {
    tera.register_filter("js_string", |value: tera::Value, _: Kwargs, _: &State| {
        tera::Value::safe_string(&escape::js_string(&value_text(&value)))
    });
    tera.register_filter("js_key", |value: tera::Value, _: Kwargs, _: &State| {
        let key = value_text(&value);
        let identifier = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$')
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
        let written = if identifier {
            key
        } else {
            escape::js_string(&key)
        };
        tera::Value::safe_string(&written)
    });
    tera.register_filter("js_comment", |value: tera::Value, _: Kwargs, _: &State| {
        tera::Value::safe_string(&escape::js_comment(&value_text(&value)))
    });
    tera.register_filter("json_script", json_script_filter);
    tera.register_filter("html_attr", |value: tera::Value, _: Kwargs, _: &State| {
        tera::Value::safe_string(&escape::html_attribute(&value_text(&value)))
    });
    tera.register_filter("html_text", |value: tera::Value, _: Kwargs, _: &State| {
        tera::Value::safe_string(&escape::html_text(&value_text(&value)))
    });
}

/// `json_script` writes any value as JSON safe inside `<script>`; with `indent=N` it is
/// laid out for reading ([`layout_json`]) as code indented by N spaces.
fn json_script_filter(
    value: tera::Value,
    kwargs: Kwargs,
    _: &State,
) -> tera::TeraResult<tera::Value> {
    let indent = kwargs.get::<i64>("indent")?;
    let value = serde_json::to_value(&value)
        .map_err(|error| tera::Error::message(format!("json_script: {error}")))?;
    let json = match indent {
        None => value.to_string(),
        Some(indent) => layout_json(&value, usize::try_from(indent).unwrap_or(0)),
    };
    Ok(tera::Value::safe_string(&escape::json_in_script(&json)))
}

/// Lines a snippet value may take before it is broken up, counting its indentation.
const LAYOUT_WIDTH: usize = 80;

/// JSON as a person writes it in a snippet: on one line (`["SAVE20"]`, `{ "a": 1 }`)
/// when that fits in [`LAYOUT_WIDTH`] columns at `indent`, else one element per line,
/// each laid out the same way two columns further in.
pub fn layout_json(value: &serde_json::Value, indent: usize) -> String {
    let one_line = one_line_json(value);
    let composite = matches!(
        value,
        serde_json::Value::Array(_) | serde_json::Value::Object(_)
    );
    if !composite || indent + one_line.len() <= LAYOUT_WIDTH {
        return one_line;
    }
    let inner = " ".repeat(indent + 2);
    let outer = " ".repeat(indent);
    let (open, close, items): (char, char, Vec<String>) = match value {
        serde_json::Value::Array(items) => (
            '[',
            ']',
            items
                .iter()
                .map(|item| layout_json(item, indent + 2))
                .collect(),
        ),
        serde_json::Value::Object(map) => (
            '{',
            '}',
            map.iter()
                .map(|(key, item)| {
                    let key = serde_json::Value::from(key.as_str()).to_string();
                    let item = layout_json(item, indent + 2 + key.len() + 2);
                    format!("{key}: {item}")
                })
                .collect(),
        ),
        _ => unreachable!("only arrays and objects are composite"),
    };
    format!(
        "{open}\n{inner}{}\n{outer}{close}",
        items.join(&format!(",\n{inner}"))
    )
}

fn one_line_json(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(one_line_json).collect();
            format!("[{}]", items.join(", "))
        }
        serde_json::Value::Object(map) if map.is_empty() => "{}".to_string(),
        serde_json::Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(key, item)| {
                    let key = serde_json::Value::from(key.as_str()).to_string();
                    format!("{key}: {}", one_line_json(item))
                })
                .collect();
            format!("{{ {} }}", entries.join(", "))
        }
        scalar => scalar.to_string(),
    }
}

/// A value as text: strings as they are, anything else as it prints.
fn value_text(value: &tera::Value) -> String {
    match value.as_str() {
        Some(text) => text.to_string(),
        None => value.to_string(),
    }
}

/// A template problem as a diagnostic; tera's message already points into the template.
pub fn template_error(error: &tera::Error) -> Diagnostic {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(&format!("\n  caused by: {cause}"));
        source = cause.source();
    }
    Diagnostic::new(Severity::Error, None, format!("template error: {message}"))
        .with_code("template-error")
        .with_hint("templates use tera 2 syntax; see themes/default in the loopbook repository")
}

fn unreadable(path: &Path, error: &std::io::Error) -> Diagnostic {
    Diagnostic::new(
        Severity::Error,
        None,
        format!("cannot read {}: {error}", path.display()),
    )
    .with_code("unreadable-file")
}

/// The embedded default theme's files under `folder`, as (name relative to it, bytes).
fn embedded_files(folder: &str) -> impl Iterator<Item = (String, &'static [u8])> {
    let mut found = Vec::new();
    if let Some(dir) = DEFAULT_THEME.get_dir(folder) {
        collect_embedded(dir, folder, &mut found);
    }
    found.into_iter()
}

fn collect_embedded(
    dir: &'static Dir<'static>,
    prefix: &str,
    out: &mut Vec<(String, &'static [u8])>,
) {
    for file in dir.files() {
        let path = file.path().to_string_lossy().replace('\\', "/");
        let name = path
            .strip_prefix(prefix)
            .unwrap_or(&path)
            .trim_start_matches('/');
        out.push((name.to_string(), file.contents()));
    }
    for sub in dir.dirs() {
        collect_embedded(sub, prefix, out);
    }
}

/// A book's own theme files under `folder`, as (name relative to it, path), sorted.
fn user_files(folder: &Path) -> Vec<(String, PathBuf)> {
    if !folder.is_dir() {
        return Vec::new();
    }
    WalkDir::new(folder)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
        .map(|entry| {
            let name = crate::sources::relative_slash_path(entry.path(), folder);
            (name, entry.path().to_path_buf())
        })
        .collect()
}
