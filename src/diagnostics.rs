//! Diagnostics: what went wrong in the user's files, where, and how to fix it.
//!
//! Every stage reports problems as [`Diagnostic`]s instead of failing at the first one,
//! so a build shows all of its problems in one run. Rendering them needs the text of the
//! files they point into, which the build's [`SourceMap`] holds.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, RwLock};

use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::{Deserialize, Serialize};

use crate::doc::{FileId, Location};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One problem found in the user's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Where it is; `None` for problems of the build as a whole.
    pub location: Option<Location>,
    /// What is wrong, as one sentence without a trailing period.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub hint: Option<String>,
    /// The include directives that led to `location`, outermost first.
    pub include_chain: Vec<Location>,
    /// A stable kebab-case name for the kind of problem (`broken-link`), for CI
    /// annotations and for filtering; `None` only for diagnostics not yet given one.
    pub code: Option<Cow<'static, str>>,
}

impl Diagnostic {
    pub fn error(location: Location, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, Some(location), message)
    }

    pub fn warning(location: Location, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, Some(location), message)
    }

    pub fn new(severity: Severity, location: Option<Location>, message: impl Into<String>) -> Self {
        Self {
            severity,
            location,
            message: message.into(),
            hint: None,
            include_chain: Vec::new(),
            code: None,
        }
    }

    /// Names the kind of problem; see [`Diagnostic::code`].
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(Cow::Borrowed(code));
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The files a build has read, indexed by [`FileId`], so diagnostics can show excerpts.
///
/// Pages are parsed in parallel and each may add the files it includes, so the map is
/// shared behind a lock; ids are handed out in the order files are first read.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: RwLock<Vec<Arc<SourceFile>>>,
    by_path: RwLock<HashMap<PathBuf, FileId>>,
}

#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path as shown to the user (relative to the book folder where possible).
    pub display_path: String,
    pub path: PathBuf,
    text: OnceLock<Arc<str>>,
}

impl SourceFile {
    /// The file's text: as it was read when registered or, for a file registered unread
    /// (see [`SourceMap::add_unread`]), as it reads now; empty when it cannot be read.
    pub fn text(&self) -> &Arc<str> {
        self.text.get_or_init(|| {
            let text = std::fs::read(&self.path)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .unwrap_or_default();
            Arc::from(text)
        })
    }
}

impl SourceMap {
    /// Registers a file; a path registered before keeps its first id and text.
    pub fn add(&self, path: &Path, display_path: String, text: Arc<str>) -> FileId {
        self.register(path, display_path, OnceLock::from(text))
    }

    /// Registers a file known to be as a build read it before, to be read only if its
    /// text is asked for: most files an incremental build checks it never parses.
    pub fn add_unread(&self, path: &Path, display_path: String) -> FileId {
        self.register(path, display_path, OnceLock::new())
    }

    fn register(&self, path: &Path, display_path: String, text: OnceLock<Arc<str>>) -> FileId {
        let mut by_path = self
            .by_path
            .write()
            .unwrap_or_else(|poison| poison.into_inner());
        if let Some(id) = by_path.get(path) {
            return *id;
        }
        let mut files = self
            .files
            .write()
            .unwrap_or_else(|poison| poison.into_inner());
        let id = FileId(u32::try_from(files.len()).unwrap_or(u32::MAX));
        files.push(Arc::new(SourceFile {
            display_path,
            path: path.to_path_buf(),
            text,
        }));
        by_path.insert(path.to_path_buf(), id);
        id
    }

    /// Forgets the text registered for `path`, so that the next [`add`](Self::add) reads
    /// it anew under a new id. Diagnostics holding the old id still show the old text.
    /// The old entry stays, so a long `serve` session grows by one copy per edit.
    pub fn forget(&self, path: &Path) {
        self.by_path
            .write()
            .unwrap_or_else(|poison| poison.into_inner())
            .remove(path);
    }

    /// The id and text of a file registered before.
    pub fn lookup(&self, path: &Path) -> Option<(FileId, Arc<str>)> {
        let id = *self
            .by_path
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
            .get(path)?;
        Some((id, self.get(id)?.text().clone()))
    }

    pub fn get(&self, id: FileId) -> Option<Arc<SourceFile>> {
        let files = self
            .files
            .read()
            .unwrap_or_else(|poison| poison.into_inner());
        files.get(id.0 as usize).cloned()
    }

    pub fn len(&self) -> usize {
        self.files
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `path:line:column` for a location, or `<unknown>` for an id from elsewhere.
    pub fn describe(&self, location: Location) -> String {
        match self.get(location.file) {
            Some(file) => format!(
                "{}:{}:{}",
                file.display_path, location.line, location.column
            ),
            None => format!("<unknown>:{}:{}", location.line, location.column),
        }
    }

    /// Renders a diagnostic as rustc does: headline, `--> file:line:col`, excerpt, hint.
    pub fn render(&self, diagnostic: &Diagnostic, color: bool) -> String {
        self.render_styled(diagnostic, color, false)
    }

    /// Like [`render`](SourceMap::render), with the code in the headline
    /// (`warning[broken-link]: …`), as `loopbook check` prints it.
    pub fn render_with_code(&self, diagnostic: &Diagnostic, color: bool) -> String {
        self.render_styled(diagnostic, color, true)
    }

    fn render_styled(&self, diagnostic: &Diagnostic, color: bool, show_code: bool) -> String {
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        }
        .decor_style(DecorStyle::Ascii);
        let level = match diagnostic.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let mut title = level.primary_title(diagnostic.message.as_str());
        if let (true, Some(code)) = (show_code, diagnostic.code.as_deref()) {
            title = title.id(code);
        }

        let excerpt = diagnostic
            .location
            .and_then(|location| self.excerpt(location));
        let mut group = Group::with_title(title);
        if let Some(excerpt) = &excerpt {
            group = group.element(
                Snippet::source(excerpt.line_text.as_str())
                    .line_start(excerpt.line as usize)
                    .path(excerpt.path.as_str())
                    .annotation(AnnotationKind::Primary.span(excerpt.span.clone())),
            );
        }
        for location in diagnostic.include_chain.iter().rev() {
            group = group.element(
                Level::NOTE.message(format!("included from {}", self.describe(*location))),
            );
        }
        if let Some(hint) = &diagnostic.hint {
            group = group.element(Level::HELP.message(hint.as_str()));
        }

        let mut rendered = renderer.render(&[group]);
        if excerpt.is_none()
            && let Some(location) = diagnostic.location
        {
            rendered.push_str(&format!("\n --> {}", self.describe(location)));
        }
        rendered
    }

    /// The diagnostic as one flat record, for `--format json`.
    pub fn record<'d>(&self, diagnostic: &'d Diagnostic) -> DiagnosticRecord<'d> {
        let location = diagnostic.location;
        let file = location.and_then(|location| self.get(location.file));
        DiagnosticRecord {
            file: file.map(|file| file.display_path.clone()),
            line: location.map(|location| location.line),
            column: location.map(|location| location.column),
            severity: diagnostic.severity,
            code: diagnostic.code.as_deref(),
            message: &diagnostic.message,
            hint: diagnostic.hint.as_deref(),
            included_from: diagnostic
                .include_chain
                .iter()
                .map(|location| self.describe(*location))
                .collect(),
        }
    }

    fn excerpt(&self, location: Location) -> Option<Excerpt> {
        let file = self.get(location.file)?;
        let line_index = location.line.checked_sub(1)? as usize;
        let line_text = file.text().lines().nth(line_index).unwrap_or("");
        let line_text = line_text.trim_end_matches('\r').to_string();
        let span = underline_span(&line_text, location.column);
        Some(Excerpt {
            path: file.display_path.clone(),
            line: location.line,
            line_text,
            span,
        })
    }
}

/// The byte range to underline on a line for a 1-based character column: the word that
/// starts there, or the one character there when it is whitespace, or nothing past the
/// end. Both ends fall on character boundaries, which annotate-snippets requires (a
/// column on U+00A0 or U+3000 once made it panic).
fn underline_span(line_text: &str, column: u32) -> std::ops::Range<usize> {
    let start = line_text
        .char_indices()
        .nth(column.saturating_sub(1) as usize)
        .map_or(line_text.len(), |(index, _)| index);
    let Some(first) = line_text[start..].chars().next() else {
        return start..start;
    };
    let after_first = start + first.len_utf8();
    if first.is_whitespace() {
        return start..after_first;
    }
    let end = line_text[after_first..]
        .char_indices()
        .find(|(_, c)| c.is_whitespace())
        .map_or(line_text.len(), |(index, _)| after_first + index);
    start..end
}

/// A diagnostic with its file named, as `loopbook check --format json` prints it.
#[derive(Debug, Serialize)]
pub struct DiagnosticRecord<'d> {
    /// Display path of the file (relative to the book folder), `null` for the site.
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub severity: Severity,
    pub code: Option<&'d str>,
    pub message: &'d str,
    pub hint: Option<&'d str>,
    /// `file:line:column` of the include directives that led here, outermost first.
    pub included_from: Vec<String>,
}

struct Excerpt {
    path: String,
    line: u32,
    line_text: String,
    span: std::ops::Range<usize>,
}

/// A short one-line form, `file:line:col: severity: message`, for logs and tests.
pub struct OneLine<'a>(pub &'a SourceMap, pub &'a Diagnostic);

impl fmt::Display for OneLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let OneLine(sources, diagnostic) = self;
        if let Some(location) = diagnostic.location {
            write!(f, "{}: ", sources.describe(location))?;
        }
        let severity = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{severity}: {}", diagnostic.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whitespace characters longer than one byte in UTF-8.
    const WIDE_SPACES: [char; 3] = ['\u{a0}', '\u{2028}', '\u{3000}'];

    fn render_at(text: &str, line: u32, column: u32) -> String {
        let sources = SourceMap::default();
        let file = sources.add(Path::new("page.md"), "page.md".into(), text.into());
        let diagnostic = Diagnostic::warning(Location::new(file, line, column), "odd space");
        sources.render(&diagnostic, false)
    }

    #[test]
    fn a_column_on_a_multibyte_space_renders_without_panicking() {
        for space in WIDE_SPACES {
            for column in 1..=4 {
                let text = format!("{space}title = \"F\"\nx{space}{space}\n{space}");
                for line in 1..=3 {
                    let rendered = render_at(&text, line, column);
                    assert!(rendered.contains("odd space"), "{rendered}");
                    assert!(rendered.contains("page.md"), "{rendered}");
                }
            }
        }
    }

    #[test]
    fn underline_covers_whole_characters() {
        for space in WIDE_SPACES {
            let line = format!("{space}title{space}= \"F\"");
            let width = space.len_utf8();
            assert_eq!(underline_span(&line, 1), 0..width);
            assert_eq!(underline_span(&line, 2), width..width + 5);
            assert_eq!(underline_span(&line, 7), width + 5..2 * width + 5);
            assert_eq!(underline_span(&line, 99), line.len()..line.len());
        }
        assert_eq!(underline_span("héllo wörld", 7), 7..13);
    }
}
