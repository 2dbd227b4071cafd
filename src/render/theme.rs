//! Themes: the templates and assets pages are rendered with.
//!
//! The default theme is embedded in the binary, so a book with no `themes/` folder
//! builds. A book's `themes/<name>/templates/` and `themes/<name>/static/` override the
//! embedded files by name: a theme that changes one template needs only that file, and
//! every other template and asset still comes from the default.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};
use tera::Tera;
use walkdir::WalkDir;

use crate::config::Config;
use crate::diagnostics::{Diagnostic, Severity};

static DEFAULT_THEME: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/themes/default");

/// Loaded templates plus the assets to write under `theme/`.
pub struct Theme {
    pub templates: Tera,
    /// Asset path relative to the theme's `static/` folder, and its bytes.
    pub assets: BTreeMap<String, Cow<'static, [u8]>>,
    /// Every theme file read from the book folder, for rebuilding when one changes.
    pub files: Vec<PathBuf>,
    /// A fingerprint of every template's name and text.
    pub fingerprint: u64,
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
            .with_hint("create the folder, or remove `[build] theme` to use the default theme"),
        ]);
    }

    let mut templates: BTreeMap<String, String> = embedded_files("templates")
        .map(|(name, bytes)| (name, String::from_utf8_lossy(bytes).into_owned()))
        .collect();
    let mut assets: BTreeMap<String, Cow<'static, [u8]>> = embedded_files("static")
        .map(|(name, bytes)| (name, Cow::Borrowed(bytes)))
        .collect();
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();

    for (name, path) in user_files(&theme_dir.join("templates")) {
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                templates.insert(name, text);
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

    let fingerprint = crate::fingerprint::of(&templates);
    let mut tera = Tera::new();
    tera.autoescape_on([".html", ".xml"]);
    if let Err(error) = tera.add_raw_templates(templates.iter().map(|(n, t)| (n.as_str(), t))) {
        return Err(vec![template_error(&error)]);
    }
    Ok(Theme {
        templates: tera,
        assets,
        files,
        fingerprint,
    })
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
        .with_hint("templates use tera 2 syntax; see themes/default in the loopbook repository")
}

fn unreadable(path: &Path, error: &std::io::Error) -> Diagnostic {
    Diagnostic::new(
        Severity::Error,
        None,
        format!("cannot read {}: {error}", path.display()),
    )
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
