//! Parse stage: every page's source into a [`Document`], in parallel.
//!
//! Steps per page: read the file (it must be UTF-8), register it in the source map, pick
//! the parser by extension, and let the parser pull in includes through a
//! [`FileLoader`], which records every file the page read. Parsers report problems as
//! diagnostics and always return a document, so one bad page never hides the others.

pub mod directives;
pub mod loader;
pub mod markdown;
pub mod rst;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostics::{Diagnostic, Severity, SourceMap};
use crate::doc::{Document, FileId, Location};
use crate::sources::{Format, PageSource};

pub use loader::{FileLoader, IncludeLoader, Included};

/// What every parser needs besides the text.
pub struct ParseOptions<'a> {
    /// `[variables]` from `book.toml`.
    pub variables: &'a BTreeMap<String, String>,
}

/// A parser's result: always a document, plus what was wrong with the input.
#[derive(Debug, Default)]
pub struct ParseOutput {
    pub document: Document,
    pub diagnostics: Vec<Diagnostic>,
}

/// One page after parsing.
#[derive(Debug)]
pub struct ParsedPage {
    pub source: PageSource,
    pub file: FileId,
    pub document: Document,
    pub diagnostics: Vec<Diagnostic>,
    /// Every file read to make this page: its source first, then includes.
    pub dependencies: Vec<PathBuf>,
}

/// Parses all pages in parallel; the result keeps the order of `pages`.
pub fn parse_pages(config: &Config, pages: &[PageSource], sources: &SourceMap) -> Vec<ParsedPage> {
    pages
        .par_iter()
        .map(|page| parse_page(config, page, sources))
        .collect()
}

/// Parses one page.
pub fn parse_page(config: &Config, page: &PageSource, sources: &SourceMap) -> ParsedPage {
    let display = loader::display_path(&page.path, &config.root);
    let text: Arc<str> = match std::fs::read(&page.path).map(String::from_utf8) {
        Ok(Ok(text)) => Arc::from(text),
        Ok(Err(error)) => {
            // The lossy text still lets the diagnostic show the line with the bad byte.
            let lossy = String::from_utf8_lossy(error.as_bytes()).into_owned();
            let file = sources.add(&page.path, display, Arc::from(lossy));
            let (line, column) = position_of_invalid_byte(error.as_bytes(), error.utf8_error());
            let diagnostic =
                Diagnostic::error(Location::new(file, line, column), "file is not valid UTF-8")
                    .with_code("not-utf8")
                    .with_hint(
                        "save the file as UTF-8 (most editors offer it under 'Save with encoding')",
                    );
            return failed_page(page, file, diagnostic);
        }
        Err(error) => {
            let file = sources.add(&page.path, display, Arc::from(""));
            let diagnostic = Diagnostic::new(
                Severity::Error,
                None,
                format!("cannot read {}: {error}", page.rel),
            )
            .with_code("unreadable-file");
            return failed_page(page, file, diagnostic);
        }
    };
    let file = sources.add(&page.path, display, text.clone());

    let source_dir = config.source_dir();
    let mut loader = FileLoader::new(&config.root, &source_dir, sources, &page.path);
    let options = ParseOptions {
        variables: &config.variables,
    };
    let output = match page.format {
        Format::Markdown => markdown::parse(&text, file, &options, &mut loader),
        Format::Rst => rst::parse(&text, file, &options, &mut loader),
    };

    ParsedPage {
        source: page.clone(),
        file,
        document: output.document,
        diagnostics: output.diagnostics,
        dependencies: loader.dependencies,
    }
}

fn failed_page(page: &PageSource, file: FileId, diagnostic: Diagnostic) -> ParsedPage {
    ParsedPage {
        source: page.clone(),
        file,
        document: Document::default(),
        diagnostics: vec![diagnostic],
        dependencies: vec![page.path.clone()],
    }
}

/// Line and column of the first byte that is not UTF-8.
fn position_of_invalid_byte(bytes: &[u8], error: std::str::Utf8Error) -> (u32, u32) {
    let valid = &bytes[..error.valid_up_to()];
    let line = valid.iter().filter(|byte| **byte == b'\n').count() + 1;
    let line_start = valid
        .iter()
        .rposition(|byte| *byte == b'\n')
        .map_or(0, |index| index + 1);
    let column = String::from_utf8_lossy(&valid[line_start..])
        .chars()
        .count()
        + 1;
    (line as u32, column as u32)
}

/// Replaces `{{ name }}` for every name defined in `[variables]`; other `{{ … }}` stay
/// as written, so Liquid and Handlebars samples survive.
pub fn substitute_variables<'t>(
    text: &'t str,
    variables: &BTreeMap<String, String>,
) -> Cow<'t, str> {
    if variables.is_empty() || !text.contains("{{") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after_open = &rest[open + 2..];
        let replaced = after_open.find("}}").and_then(|close| {
            let name = after_open[..close].trim();
            variables.get(name).map(|value| (value, close))
        });
        match replaced {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after_open[close + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after_open;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_substituted_and_others_left_alone() {
        let variables = BTreeMap::from([("site_id".to_string(), "S1".to_string())]);
        let text = "a {{site_id}} b {{ site_id }} c {{ customer.email }} d {{";
        assert_eq!(
            substitute_variables(text, &variables),
            "a S1 b S1 c {{ customer.email }} d {{"
        );
    }

    #[test]
    fn invalid_utf8_position_is_found() {
        let bytes = [b"ok\nab".as_slice(), &[0xff], b"cd"].concat();
        let error = std::str::from_utf8(&bytes).unwrap_err();
        assert_eq!(position_of_invalid_byte(&bytes, error), (2, 3));
    }
}
