//! `book.toml`: reading it, checking it, and every default in one place.
//!
//! mdBook's documented keys are accepted with their meaning (those that do not apply to
//! loopbook are read and ignored), `[output.*]` and `[preprocessor.*]` tables are kept as
//! they are, and loopbook's own keys live in their own tables. Any other key is an error
//! that names the key, its line, and the closest known key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::diagnostics::{Diagnostic, Severity, SourceMap};

pub const CONFIG_FILE: &str = "book.toml";

/// The checked configuration of one book, with defaults applied and paths made absolute.
#[derive(Debug, Clone)]
pub struct Config {
    /// The folder holding `book.toml`; no source may be read from outside it.
    pub root: PathBuf,
    pub book: BookTable,
    pub build: BuildTable,
    pub variables: BTreeMap<String, String>,
    pub placements: PlacementsTable,
    pub invite: Option<InviteTable>,
    pub redirects: BTreeMap<String, String>,
}

impl Config {
    pub fn source_dir(&self) -> PathBuf {
        self.root.join(&self.book.src)
    }

    pub fn output_dir(&self) -> PathBuf {
        self.root.join(&self.build.build_dir)
    }

    /// `[build] base-url` ending in exactly one `/`, so a path can be appended to it.
    pub fn base_url(&self) -> String {
        format!("{}/", self.build.base_url.trim_end_matches('/'))
    }

    /// Whether base-url names a scheme and host, so absolute URLs can be written.
    pub fn has_absolute_base_url(&self) -> bool {
        is_absolute_url(&self.build.base_url)
    }

    /// The path part of base-url (`/docs/` for `https://example.com/docs/`): what
    /// root-relative links into the site start with.
    pub fn base_path(&self) -> String {
        let base = self.base_url();
        if !self.has_absolute_base_url() {
            return base;
        }
        let after_scheme = base
            .split_once("://")
            .map_or(base.as_str(), |(_, rest)| rest);
        match after_scheme.find('/') {
            Some(slash) => after_scheme[slash..].to_string(),
            None => "/".to_string(),
        }
    }
}

fn is_absolute_url(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

/// What is wrong with a base URL, if anything.
pub fn base_url_problem(base_url: &str) -> Option<String> {
    if is_absolute_url(base_url) || base_url.starts_with('/') {
        return None;
    }
    Some(format!(
        "base-url `{base_url}` must start with `/` or `http(s)://`"
    ))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct BookTable {
    pub title: Option<String>,
    pub description: Option<String>,
    pub src: PathBuf,
    pub language: String,
    // mdBook keys loopbook reads but has no use for.
    pub authors: Vec<String>,
    pub multilingual: Option<bool>,
    pub text_direction: Option<String>,
}

impl Default for BookTable {
    fn default() -> Self {
        Self {
            title: None,
            description: None,
            src: PathBuf::from("content"),
            language: "en".to_string(),
            authors: Vec::new(),
            multilingual: None,
            text_direction: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct BuildTable {
    pub build_dir: PathBuf,
    pub theme: String,
    /// The root document, without extension.
    pub index: String,
    pub exclude: Vec<String>,
    #[serde(rename = "static")]
    pub static_dirs: Vec<PathBuf>,
    pub base_url: String,
    pub pretty_urls: bool,
    pub strict: bool,
    pub cname: Option<String>,
    // mdBook keys loopbook reads but has no use for.
    pub create_missing: Option<bool>,
    pub use_default_preprocessors: Option<bool>,
    pub extra_watch_dirs: Vec<PathBuf>,
}

impl Default for BuildTable {
    fn default() -> Self {
        Self {
            build_dir: PathBuf::from("public"),
            theme: "default".to_string(),
            index: "index".to_string(),
            exclude: Vec::new(),
            static_dirs: Vec::new(),
            base_url: "/".to_string(),
            pretty_urls: false,
            strict: false,
            cname: None,
            create_missing: None,
            use_default_preprocessors: None,
            extra_watch_dirs: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlacementsTable {
    /// Placement definitions, one TOML file each, relative to the book folder.
    pub dir: PathBuf,
    /// The global array snippets push their calls onto (`window._queue`).
    pub queue: String,
}

impl Default for PlacementsTable {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("placements"),
            queue: "_queue".to_string(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteTable {
    #[serde(default = "default_invite_path")]
    pub path: String,
    pub placement: String,
    #[serde(default = "default_invite_title")]
    pub title: String,
}

fn default_invite_path() -> String {
    "invite".to_string()
}

fn default_invite_title() -> String {
    "Invite your friends".to_string()
}

/// The file as written; checked and completed into a [`Config`].
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct BookToml {
    book: BookTable,
    build: BuildTable,
    variables: BTreeMap<String, toml::Value>,
    placements: Option<PlacementsTable>,
    invite: Option<InviteTable>,
    redirects: BTreeMap<String, String>,
    // Tables that belong to mdBook and its plug-ins: accepted as they are.
    output: BTreeMap<String, toml::Value>,
    preprocessor: BTreeMap<String, toml::Value>,
    rust: Option<toml::Value>,
}

/// Why a configuration could not be loaded. Each carries diagnostics ready to print.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no {CONFIG_FILE} in {}", .0.display())]
    Missing(PathBuf),
    #[error("cannot read {}: {source}", .path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{CONFIG_FILE} is not valid")]
    Invalid {
        path: PathBuf,
        text: String,
        diagnostics: Vec<Diagnostic>,
    },
}

impl ConfigError {
    /// The error as diagnostics, with the source map they point into: `book.toml`,
    /// registered as `display_path`, is its only file.
    pub fn diagnostics(&self, display_path: &str) -> (SourceMap, Vec<Diagnostic>) {
        let sources = SourceMap::default();
        let diagnostics = match self {
            ConfigError::Missing(dir) => vec![
                Diagnostic::new(Severity::Error, None, self.to_string())
                    .with_code("missing-config")
                    .with_hint(format!(
                        "run `loopbook init {}` to start a new book there",
                        dir.display()
                    )),
            ],
            ConfigError::Unreadable { .. } => vec![
                Diagnostic::new(Severity::Error, None, self.to_string())
                    .with_code("unreadable-config"),
            ],
            ConfigError::Invalid {
                path,
                text,
                diagnostics,
            } => {
                sources.add(path, display_path.to_string(), Arc::from(text.as_str()));
                diagnostics.clone()
            }
        };
        (sources, diagnostics)
    }
}

/// Reads and checks `DIR/book.toml`.
pub fn load(dir: &Path) -> Result<Config, ConfigError> {
    let path = dir.join(CONFIG_FILE);
    let text = match std::fs::read(&path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| invalid_utf8(&path))?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(ConfigError::Missing(dir.to_path_buf()));
        }
        Err(source) => return Err(ConfigError::Unreadable { path, source }),
    };
    let root = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let sets_src = toml::from_str::<toml::Table>(&text)
        .is_ok_and(|table| table.get("book").and_then(|book| book.get("src")).is_some());
    let mut config = parse(&root, &path, text)?;
    // mdBook's pages live in `src/` when `[book] src` is not given: such a book builds
    // as it is, unless it also has a `content/` folder, loopbook's own default.
    if !sets_src && !root.join("content").exists() && root.join("src/SUMMARY.md").is_file() {
        config.book.src = PathBuf::from("src");
    }
    Ok(config)
}

fn invalid_utf8(path: &Path) -> ConfigError {
    ConfigError::Invalid {
        path: path.to_path_buf(),
        text: String::new(),
        diagnostics: vec![
            Diagnostic::new(Severity::Error, None, format!("{CONFIG_FILE} is not UTF-8"))
                .with_code("not-utf8")
                .with_hint("save the file as UTF-8"),
        ],
    }
}

/// Parses `text` (the contents of `path`) into a configuration rooted at `root`.
pub fn parse(root: &Path, path: &Path, text: String) -> Result<Config, ConfigError> {
    let invalid = |text: String, diagnostics: Vec<Diagnostic>| ConfigError::Invalid {
        path: path.to_path_buf(),
        text,
        diagnostics,
    };
    let mut document = match toml::de::DeTable::parse(&text) {
        Ok(document) => document,
        Err(error) => {
            let diagnostic = toml_error_diagnostic(&text, &error);
            return Err(invalid(text, vec![diagnostic]));
        }
    };
    let mut problems = remove_unknown_keys(document.get_mut(), &text);
    // With the unknown keys gone, serde reports what is wrong with the rest (a value of
    // the wrong type, a missing key) in the same run; it stops at the first such error.
    let raw = match BookToml::deserialize(toml::de::Deserializer::from(document)) {
        Ok(raw) => Some(raw),
        Err(error) => {
            problems.push(toml_error_diagnostic(&text, &error));
            None
        }
    };
    let Some(raw) = raw.filter(|_| problems.is_empty()) else {
        problems.sort_by_key(|problem| problem.location.map(|l| (l.line, l.column)));
        return Err(invalid(text, problems));
    };

    let mut diagnostics = Vec::new();
    let mut variables = variables_as_text(&raw.variables, &text, &mut diagnostics);
    // An mdBook keeps loopbook's variables under `[preprocessor.loopbook]` (mdBook 0.5
    // refuses unknown top-level tables); `[variables]` wins where both name a value.
    let preprocessor_variables = raw
        .preprocessor
        .get("loopbook")
        .and_then(|table| table.get("variables"))
        .and_then(toml::Value::as_table);
    if let Some(table) = preprocessor_variables {
        let values: BTreeMap<String, toml::Value> =
            table.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for (name, value) in variables_as_text(&values, &text, &mut diagnostics) {
            variables.entry(name).or_insert(value);
        }
    }
    let placements = placements_table(&raw, &mut diagnostics);
    check_values(&raw, &placements, &text, &mut diagnostics);
    if !diagnostics.is_empty() {
        return Err(invalid(text, diagnostics));
    }

    Ok(Config {
        root: root.to_path_buf(),
        book: raw.book,
        build: raw.build,
        variables,
        placements,
        invite: raw.invite,
        redirects: raw.redirects,
    })
}

/// `[placements]`, or in an mdBook (which refuses loopbook's top-level tables)
/// `[preprocessor.loopbook.placements]`, else the defaults.
fn placements_table(raw: &BookToml, diagnostics: &mut Vec<Diagnostic>) -> PlacementsTable {
    if let Some(table) = &raw.placements {
        return table.clone();
    }
    let nested = raw
        .preprocessor
        .get("loopbook")
        .and_then(|table| table.get("placements"));
    let Some(nested) = nested else {
        return PlacementsTable::default();
    };
    match nested.clone().try_into::<PlacementsTable>() {
        Ok(table) => table,
        Err(error) => {
            diagnostics.push(
                Diagnostic::new(
                    Severity::Error,
                    None,
                    format!(
                        "[preprocessor.loopbook.placements] is not valid: {}",
                        error.message().trim()
                    ),
                )
                .with_code("invalid-config")
                .with_hint("it takes the keys of loopbook's own `[placements]`: `dir`, `queue`"),
            );
            PlacementsTable::default()
        }
    }
}

/// Variables are text; numbers and booleans are written as they read, anything else is
/// refused because it has no single text form.
fn variables_as_text(
    values: &BTreeMap<String, toml::Value>,
    text: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<String, String> {
    let mut variables = BTreeMap::new();
    for (name, value) in values {
        let as_text = match value {
            toml::Value::String(string) => string.clone(),
            toml::Value::Integer(number) => number.to_string(),
            toml::Value::Float(number) => number.to_string(),
            toml::Value::Boolean(flag) => flag.to_string(),
            _ => {
                let location = key_location(text, "variables", name);
                diagnostics.push(
                    Diagnostic::new(
                        Severity::Error,
                        location,
                        format!("variable `{name}` must be a string, number or boolean"),
                    )
                    .with_code("invalid-variable")
                    .with_hint("variables are substituted as text; write the value in quotes"),
                );
                continue;
            }
        };
        variables.insert(name.clone(), as_text);
    }
    variables
}

fn check_values(
    raw: &BookToml,
    placements: &PlacementsTable,
    text: &str,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if let Some(problem) = base_url_problem(&raw.build.base_url) {
        diagnostics.push(
            Diagnostic::new(
                Severity::Error,
                key_location(text, "build", "base-url"),
                problem,
            )
            .with_code("invalid-base-url")
            .with_hint("use \"/\" for a domain root or \"/docs/\" for a sub-path"),
        );
    }
    let queue = &placements.queue;
    let identifier = queue.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && queue
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if !identifier {
        diagnostics.push(
            Diagnostic::new(
                Severity::Error,
                key_location(text, "placements", "queue"),
                format!("queue `{queue}` must be a JavaScript identifier"),
            )
            .with_code("invalid-queue")
            .with_hint("snippets write `window.NAME = window.NAME || []`; use e.g. \"_ripple\""),
        );
    }
    for pattern in &raw.build.exclude {
        if let Err(error) = globset::Glob::new(pattern) {
            diagnostics.push(
                Diagnostic::new(
                    Severity::Error,
                    key_location(text, "build", "exclude"),
                    format!("exclude pattern `{pattern}` is not a valid glob: {error}"),
                )
                .with_code("invalid-glob")
                .with_hint("patterns look like \"partials/**\" or \"*.draft.md\""),
            );
        }
    }
    for dir in &raw.build.static_dirs {
        if let Some(problem) = static_dir_problem(dir, &raw.book.src) {
            diagnostics.push(
                Diagnostic::new(
                    Severity::Error,
                    key_location(text, "build", "static"),
                    problem,
                )
                .with_code("invalid-static")
                .with_hint(format!(
                    "static folders are named relative to `[book] src` and copied to the same \
                     place in the output; move the folder inside `{}/` and name it from \
                     there, like \"_static\"",
                    raw.book.src.display()
                )),
            );
        }
    }
    if let Some(cname) = &raw.build.cname
        && !is_host_name(cname)
    {
        diagnostics.push(
            Diagnostic::new(
                Severity::Error,
                key_location(text, "build", "cname"),
                format!("cname `{cname}` is not a host name"),
            )
            .with_code("invalid-cname")
            .with_hint("GitHub Pages wants the bare domain, like \"docs.example.com\""),
        );
    }
}

/// What is wrong with a `[build] static` entry, if anything. Each static file is copied
/// to its path relative to the source folder, so a folder outside it (absolute, or
/// reached through `..`) has no place in the output.
fn static_dir_problem(dir: &Path, src: &Path) -> Option<String> {
    use std::path::Component;

    let shown = dir.display();
    let mut depth = 0usize;
    for part in dir.components() {
        match part {
            Component::Prefix(_) | Component::RootDir => {
                return Some(format!("static folder `{shown}` is an absolute path"));
            }
            Component::ParentDir if depth == 0 => {
                return Some(format!(
                    "static folder `{shown}` is outside the source folder `{}`",
                    src.display()
                ));
            }
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
        }
    }
    None
}

/// A bare DNS name: dot-separated labels of letters, digits and hyphens.
fn is_host_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// The location of `key` inside `[table]`, found by a plain scan of the text: good
/// enough to point at the line, and never wrong about which file.
pub fn key_location(text: &str, table: &str, key: &str) -> Option<crate::doc::Location> {
    let mut in_table = false;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(name) = table_header(trimmed) {
            in_table = name == table;
            continue;
        }
        let name = trimmed
            .split('=')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        if in_table && name == key {
            let column = line.len() - line.trim_start().len() + 1;
            return Some(config_location(index as u32 + 1, column as u32));
        }
    }
    None
}

/// The line of `[table]`, when `book.toml` has one.
pub fn table_location(text: &str, table: &str) -> Option<crate::doc::Location> {
    let index = text
        .lines()
        .position(|line| table_header(line.trim()) == Some(table))?;
    Some(config_location(index as u32 + 1, 1))
}

/// The name in a table header line (`[build]`, `[[x]]`, `[invite]  # comment`).
fn table_header(line: &str) -> Option<&str> {
    let inner = line.strip_prefix('[')?.trim_start_matches('[');
    Some(inner.split(']').next().unwrap_or(inner).trim())
}

/// Configuration diagnostics point into `book.toml`, which the build registers as file 0.
fn config_location(line: u32, column: u32) -> crate::doc::Location {
    crate::doc::Location::new(crate::doc::FileId(0), line, column)
}

/// Turns a toml/serde error (bad syntax, a value of the wrong type) into a diagnostic.
fn toml_error_diagnostic(text: &str, error: &toml::de::Error) -> Diagnostic {
    let location = error.span().map(|span| {
        let (line, column) = line_column(text, span.start);
        config_location(line, column)
    });
    let message = error.message().trim().to_string();
    Diagnostic::new(Severity::Error, location, message).with_code("invalid-config")
}

/// Takes out of `document` every key that no table of `book.toml` has, and reports each
/// at its line with the nearest known key: serde would stop at the first, leaving a
/// user with as many runs as typos.
fn remove_unknown_keys(document: &mut toml::de::DeTable<'_>, text: &str) -> Vec<Diagnostic> {
    let mut found = remove_unknown(document, struct_keys::<BookToml>(), text);
    for (name, value) in document.iter_mut() {
        let known = match name.get_ref().as_ref() {
            "book" => struct_keys::<BookTable>(),
            "build" => struct_keys::<BuildTable>(),
            "placements" => struct_keys::<PlacementsTable>(),
            "invite" => struct_keys::<InviteTable>(),
            // `[variables]`, `[redirects]` and mdBook's tables take any key.
            _ => continue,
        };
        // A table given as something else is serde's to report.
        if let toml::de::DeValue::Table(table) = value.get_mut() {
            found.extend(remove_unknown(table, known, text));
        }
    }
    found
}

fn remove_unknown(
    table: &mut toml::de::DeTable<'_>,
    known: &[&str],
    text: &str,
) -> Vec<Diagnostic> {
    let unknown: Vec<(String, usize)> = table
        .keys()
        .filter(|name| !known.contains(&name.get_ref().as_ref()))
        .map(|name| (name.get_ref().to_string(), name.span().start))
        .collect();
    for (name, _) in &unknown {
        table.remove(name.as_str());
    }
    unknown
        .iter()
        .map(|(name, offset)| unknown_key_diagnostic(name, *offset, known, text))
        .collect()
}

fn unknown_key_diagnostic(name: &str, offset: usize, known: &[&str], text: &str) -> Diagnostic {
    let (line, column) = line_column(text, offset);
    let diagnostic = Diagnostic::new(
        Severity::Error,
        Some(config_location(line, column)),
        format!("unknown key `{name}` in {CONFIG_FILE}"),
    )
    .with_code("unknown-key");
    match nearest(name, known) {
        Some(nearest) => diagnostic.with_hint(format!("did you mean `{nearest}`?")),
        None => diagnostic.with_hint(format!("known keys here: {}", known.join(", "))),
    }
}

/// The keys a derived `Deserialize` struct takes, spelt as serde reads them (renames
/// applied), taken from the struct itself so the unknown-key check cannot drift from it.
fn struct_keys<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    let mut probe = KeyProbe::default();
    // The probe always ends the deserialization with an error once it has the keys.
    let _ = T::deserialize(&mut probe);
    probe.keys
}

/// A deserializer that only records the field list serde hands to `deserialize_struct`.
#[derive(Default)]
struct KeyProbe {
    keys: &'static [&'static str],
}

impl<'de> serde::Deserializer<'de> for &mut KeyProbe {
    type Error = serde::de::value::Error;

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.keys = fields;
        Err(serde::de::Error::custom("keys recorded"))
    }

    fn deserialize_any<V: serde::de::Visitor<'de>>(
        self,
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("only structs have keys"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
        identifier ignored_any
    }
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a typo.
pub fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let (best, distance) = candidates
        .iter()
        .map(|candidate| (*candidate, edit_distance(word, candidate)))
        .min_by_key(|(_, distance)| *distance)?;
    let limit = word.chars().count().max(best.chars().count()).div_ceil(3);
    (distance <= limit || best.contains(word) || word.contains(best)).then_some(best)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (u32, u32) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    let column = before[line_start..].chars().count() + 1;
    (line as u32, column as u32)
}

/// The `book.toml` that `loopbook init` writes.
pub fn starter_config(title: &str) -> String {
    format!(
        r#"[book]
title = "{title}"
src = "content"
language = "en"

[build]
build-dir = "public"
base-url = "/"
pretty-urls = false

[variables]
site_id = "YOUR-SITE-ID"
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Config, ConfigError> {
        parse(
            Path::new("/book"),
            Path::new("/book/book.toml"),
            text.to_string(),
        )
    }

    fn single_diagnostic(text: &str) -> Diagnostic {
        match parse_text(text) {
            Err(ConfigError::Invalid {
                mut diagnostics, ..
            }) => diagnostics.remove(0),
            other => panic!("expected an invalid configuration, got {other:?}"),
        }
    }

    #[test]
    fn empty_file_gives_every_default() {
        let config = parse_text("").unwrap();
        assert_eq!(config.book.src, PathBuf::from("content"));
        assert_eq!(config.build.build_dir, PathBuf::from("public"));
        assert_eq!(config.build.base_url, "/");
        assert!(!config.build.pretty_urls);
        assert_eq!(config.placements.dir, PathBuf::from("placements"));
    }

    #[test]
    fn mdbook_keys_and_plugin_tables_are_accepted() {
        let config = parse_text(
            "[book]\nauthors = [\"a\"]\nsrc = \"src\"\n[build]\ncreate-missing = false\n\
             [output.html]\nmathjax-support = true\n[preprocessor.links]\n[rust]\nedition = \"2021\"\n",
        )
        .unwrap();
        assert_eq!(config.book.src, PathBuf::from("src"));
    }

    #[test]
    fn misspelt_key_names_the_nearest_known_key_and_its_line() {
        let diagnostic =
            single_diagnostic("[book]\ntitle = \"x\"\n\n[build]\nbuild-dri = \"out\"\n");
        assert_eq!(diagnostic.message, "unknown key `build-dri` in book.toml");
        assert_eq!(
            diagnostic.hint.as_deref(),
            Some("did you mean `build-dir`?")
        );
        assert_eq!(
            diagnostic.location.map(|l| (l.line, l.column)),
            Some((5, 1))
        );
    }

    fn all_diagnostics(text: &str) -> Vec<Diagnostic> {
        match parse_text(text) {
            Err(ConfigError::Invalid { diagnostics, .. }) => diagnostics,
            other => panic!("expected an invalid configuration, got {other:?}"),
        }
    }

    /// `(line, message, hint)` of each diagnostic.
    fn summaries(diagnostics: &[Diagnostic]) -> Vec<(u32, &str, &str)> {
        diagnostics
            .iter()
            .map(|d| {
                let line = d.location.map_or(0, |l| l.line);
                (line, d.message.as_str(), d.hint.as_deref().unwrap_or(""))
            })
            .collect()
    }

    #[test]
    fn every_unknown_key_is_reported_in_one_run_in_line_order() {
        let diagnostics = all_diagnostics(
            "[book]\nfoo = 1\nbar = 2\ntitle = \"T\"\n[build]\nbuild-dri = \"out\"\n\
             [placment]\ndir = \"p\"\n[output.html]\nanything = 1\n",
        );
        let book_keys = "known keys here: title, description, src, language, authors, \
                         multilingual, text-direction";
        assert_eq!(
            summaries(&diagnostics),
            [
                (2, "unknown key `foo` in book.toml", book_keys),
                (3, "unknown key `bar` in book.toml", book_keys),
                (
                    6,
                    "unknown key `build-dri` in book.toml",
                    "did you mean `build-dir`?"
                ),
                (
                    7,
                    "unknown key `placment` in book.toml",
                    "did you mean `placements`?"
                ),
            ]
        );
        assert!(
            diagnostics
                .iter()
                .all(|d| d.code.as_deref() == Some("unknown-key"))
        );
    }

    #[test]
    fn unknown_keys_in_dotted_and_inline_tables_point_at_the_key() {
        let diagnostics =
            all_diagnostics("book.titel = \"T\"\ninvite = { placement = \"p\", pth = \"x\" }\n");
        let found: Vec<_> = diagnostics
            .iter()
            .map(|d| (d.message.as_str(), d.location.map(|l| (l.line, l.column))))
            .collect();
        assert_eq!(
            found,
            [
                ("unknown key `titel` in book.toml", Some((1, 6))),
                ("unknown key `pth` in book.toml", Some((2, 29))),
            ]
        );
    }

    #[test]
    fn a_wrong_type_is_reported_beside_the_unknown_keys() {
        let diagnostics = all_diagnostics("[book]\nfoo = 1\ntitle = 5\nzzz = 2\n");
        let lines: Vec<_> = summaries(&diagnostics).iter().map(|s| s.0).collect();
        assert_eq!(lines, [2, 3, 4]);
        assert_eq!(diagnostics[1].code.as_deref(), Some("invalid-config"));
    }

    #[test]
    fn known_keys_come_from_the_structs_with_their_renames() {
        let build = struct_keys::<BuildTable>();
        assert!(build.contains(&"build-dir") && build.contains(&"static"));
        assert_eq!(struct_keys::<PlacementsTable>(), ["dir", "queue"]);
        assert!(struct_keys::<BookToml>().contains(&"preprocessor"));
    }

    #[test]
    fn unknown_table_is_an_error() {
        let diagnostic = single_diagnostic("[placement]\ndir = \"p\"\n");
        assert!(
            diagnostic.message.contains("`placement`"),
            "{}",
            diagnostic.message
        );
        assert_eq!(
            diagnostic.hint.as_deref(),
            Some("did you mean `placements`?")
        );
    }

    #[test]
    fn variables_become_text() {
        let config = parse_text("[variables]\nsite_id = \"abc\"\nversion = 4\n").unwrap();
        assert_eq!(config.variables["site_id"], "abc");
        assert_eq!(config.variables["version"], "4");
    }

    #[test]
    fn an_mdbooks_preprocessor_variables_count_and_top_level_ones_win() {
        let config = parse_text(
            "[variables]\nsite_id = \"top\"\n\
             [preprocessor.loopbook]\ncommand = \"loopbook mdbook\"\n\
             [preprocessor.loopbook.variables]\nsite_id = \"nested\"\nregion = \"eu\"\n",
        )
        .unwrap();
        assert_eq!(config.variables["site_id"], "top");
        assert_eq!(config.variables["region"], "eu");
    }

    #[test]
    fn table_variable_is_refused_at_its_line() {
        let diagnostic = single_diagnostic("[variables]\nok = \"1\"\nbad = [1, 2]\n");
        assert!(diagnostic.message.contains("`bad`"));
        assert_eq!(diagnostic.location.map(|l| l.line), Some(3));
    }

    #[test]
    fn relative_base_url_is_refused() {
        let diagnostic = single_diagnostic("[build]\nbase-url = \"docs\"\n");
        assert!(diagnostic.message.contains("base-url"));
    }

    #[test]
    fn base_url_gets_one_trailing_slash_and_its_path() {
        let config = parse_text("[build]\nbase-url = \"https://docs.example.com/docs\"\n").unwrap();
        assert_eq!(config.base_url(), "https://docs.example.com/docs/");
        assert_eq!(config.base_path(), "/docs/");
        assert!(config.has_absolute_base_url());
        let config = parse_text("[build]\nbase-url = \"https://docs.example.com\"\n").unwrap();
        assert_eq!(config.base_path(), "/");
        let config = parse_text("[build]\nbase-url = \"/docs\"\n").unwrap();
        assert_eq!(
            (config.base_url(), config.base_path()),
            ("/docs/".into(), "/docs/".into())
        );
        assert!(!config.has_absolute_base_url());
    }

    #[test]
    fn cname_with_a_scheme_is_refused_at_its_line() {
        let diagnostic = single_diagnostic("[build]\ncname = \"https://docs.example.com/\"\n");
        assert_eq!(diagnostic.code.as_deref(), Some("invalid-cname"));
        assert_eq!(diagnostic.location.map(|l| l.line), Some(2));
        assert!(parse_text("[build]\ncname = \"docs.example.com\"\n").is_ok());
    }

    #[test]
    fn static_folder_outside_the_source_folder_is_refused_at_its_line() {
        for entry in ["../assets", "/tmp/absstatic", "_static/../../x"] {
            let text = format!("[book]\nsrc = \"docs\"\n\n[build]\nstatic = [\"{entry}\"]\n");
            let diagnostic = single_diagnostic(&text);
            assert_eq!(
                diagnostic.code.as_deref(),
                Some("invalid-static"),
                "{entry}"
            );
            assert!(diagnostic.message.contains(entry), "{}", diagnostic.message);
            assert_eq!(diagnostic.location.map(|l| l.line), Some(5), "{entry}");
        }
        assert!(parse_text("[build]\nstatic = [\"_static\", \"a/../b\", \"./img\"]\n").is_ok());
    }

    #[test]
    fn keys_are_found_under_a_table_header_with_a_comment() {
        let text = "[book]\ntitle = \"x\"\n\n[invite]   # the /invite/ page\npath = \"give\"\n";
        assert_eq!(
            key_location(text, "invite", "path").map(|l| l.line),
            Some(5)
        );
        assert_eq!(table_location(text, "invite").map(|l| l.line), Some(4));
        assert_eq!(key_location(text, "book", "path"), None);
    }

    #[test]
    fn nearest_ignores_unrelated_words() {
        assert_eq!(nearest("titel", &["title", "src"]), Some("title"));
        assert_eq!(nearest("zzzzzz", &["title", "src"]), None);
    }
}
