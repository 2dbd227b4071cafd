//! loopbook as an mdBook preprocessor: `loopbook mdbook supports RENDERER` and
//! `loopbook mdbook`, as mdBook 0.5 runs preprocessors.
//!
//! mdBook writes `[context, book]` as JSON on standard input and reads the book back on
//! standard output. Steps: read and check the input (mdBook 0.5's shape, its
//! `mdbook_version`); read `book.toml` as loopbook reads it and load the placement
//! definitions; expand every chapter's variables, directives, includes and placements
//! ([`chapter`]), collecting the labels of the whole book on the way; resolve the
//! `{ref}` and `{doc}` roles against those labels and chapters; add a live sample
//! chapter per placement ([`samples`]); write the book back with only the chapters'
//! `content` changed and the sample chapters added.
//!
//! The JSON is handled as [`serde_json::Value`] rather than through mdBook's own types,
//! so fields this module does not know about pass through untouched and the plug-in
//! does not pull in mdBook's crates.
//!
//! mdBook 0.5 refuses unknown top-level tables in `book.toml`, so loopbook's settings
//! for an mdBook live under `[preprocessor.loopbook]`: `[preprocessor.loopbook.variables]`
//! and `[preprocessor.loopbook.placements]`, which `loopbook build` reads too.

pub mod chapter;
pub mod samples;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::config::{self, ConfigError};
use crate::diagnostics::{Diagnostic, Severity, SourceMap};
use crate::doc::FileId;
use crate::placements::{self, Catalog};
use crate::render::{self, theme::Theme};
use chapter::{Expander, LabelTarget, Pending};

/// The renderers whose output keeps the raw HTML and alerts this plug-in writes.
const SUPPORTED_RENDERERS: &[&str] = &["html", "markdown"];

/// Whether `loopbook mdbook` should run for `renderer`; mdBook skips it otherwise.
pub fn supports(renderer: &str) -> bool {
    SUPPORTED_RENDERERS.contains(&renderer)
}

/// Why the input could not be processed at all.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("the input is not mdBook's preprocessor JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    #[error("the input is not `[context, book]` as mdBook 0.5 sends it: {0}")]
    Shape(String),
    #[error(
        "mdBook {0} is not supported: loopbook speaks mdBook 0.5's protocol \
         (0.4 sends the book as `sections`, 0.5 as `items`); upgrade mdBook to 0.5"
    )]
    Version(String),
}

/// The processed book and what was wrong in it.
#[derive(Debug)]
pub struct Processed {
    /// The book as JSON, ready for standard output.
    pub book: String,
    pub diagnostics: Vec<Diagnostic>,
    /// The chapters and included files the diagnostics point into.
    pub sources: SourceMap,
}

impl Processed {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// One chapter with a source file: where its content sits in the JSON, and its text.
struct ChapterRef {
    /// Indexes from `items` down through `sub_items` to this chapter.
    position: Vec<usize>,
    /// `source_path` as mdBook gives it, relative to the book's source folder.
    source_path: String,
    name: String,
}

/// Runs the preprocessor on mdBook's input.
pub fn process(input: &str) -> Result<Processed, ProtocolError> {
    let (context, mut book) = split_input(input)?;
    let version = context["mdbook_version"].as_str().unwrap_or("unknown");
    if !version.starts_with("0.5.") {
        return Err(ProtocolError::Version(version.to_string()));
    }
    let root = PathBuf::from(context["root"].as_str().unwrap_or("."));
    let src = context["config"]["book"]["src"].as_str().unwrap_or("src");
    let source_dir = root.join(src);
    let mut diagnostics = Vec::new();
    let sources = SourceMap::default();
    let settings = read_settings(&root, &sources, &mut diagnostics);

    let items = book
        .get_mut("items")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| ProtocolError::Shape("the book has no `items` list".into()))?;
    let mut chapters = Vec::new();
    collect_chapters(items, &mut Vec::new(), &mut chapters);

    let mut expander = Expander::new(
        &root,
        &source_dir,
        &settings.variables,
        &sources,
        settings.catalog.as_ref(),
    );
    let mut expanded: Vec<(FileId, String)> = Vec::with_capacity(chapters.len());
    for chapter in &chapters {
        let text = chapter_content(items, &chapter.position).unwrap_or_default();
        let path = source_dir.join(&chapter.source_path);
        let display = format!("{src}/{}", chapter.source_path);
        let file = sources.add(&path, display, Arc::from(text.as_str()));
        let output = expander.expand_chapter(&text, file, &path, &chapter.source_path);
        expanded.push((file, output));
    }

    let pages: HashMap<String, (String, String)> = chapters
        .iter()
        .map(|chapter| {
            let stem = strip_markdown_extension(&chapter.source_path).to_string();
            (stem, (chapter.source_path.clone(), chapter.name.clone()))
        })
        .collect();
    let (labels, pending, expander_diagnostics) = expander.finish();
    diagnostics.extend(expander_diagnostics);
    for (chapter, (_, text)) in chapters.iter().zip(expanded) {
        let resolved = resolve_roles(&text, chapter, &labels, &pages, &pending, &mut diagnostics);
        set_chapter_content(items, &chapter.position, resolved);
    }
    if let (Some(catalog), Some(theme)) = (&settings.catalog, &settings.theme) {
        items.extend(samples::sample_items(catalog, theme));
    }
    diagnostics.sort_by_key(|diagnostic| {
        let location = diagnostic.location.unwrap_or_default();
        (location.file, location.line, location.column)
    });
    let book = serde_json::to_string(&book)?;
    Ok(Processed {
        book,
        diagnostics,
        sources,
    })
}

fn split_input(input: &str) -> Result<(Value, Value), ProtocolError> {
    let value: Value = serde_json::from_str(input)?;
    let Value::Array(mut parts) = value else {
        return Err(ProtocolError::Shape("expected a two-element array".into()));
    };
    if parts.len() != 2 {
        return Err(ProtocolError::Shape(format!(
            "expected two elements, found {}",
            parts.len()
        )));
    }
    let book = parts.pop().unwrap_or_default();
    let context = parts.pop().unwrap_or_default();
    if book.get("sections").is_some() && book.get("items").is_none() {
        let version = context["mdbook_version"].as_str().unwrap_or("0.4");
        return Err(ProtocolError::Version(version.to_string()));
    }
    Ok((context, book))
}

/// What loopbook takes from an mdBook's `book.toml`, read as `loopbook build` reads it
/// (so `[preprocessor.loopbook.variables]` and `[preprocessor.loopbook.placements]`
/// count), with its placements loaded and checked.
struct Settings {
    variables: BTreeMap<String, String>,
    catalog: Option<Catalog>,
    /// The theme the sample chapters take the stub loader from.
    theme: Option<Theme>,
}

fn read_settings(root: &Path, sources: &SourceMap, diagnostics: &mut Vec<Diagnostic>) -> Settings {
    let path = root.join(config::CONFIG_FILE);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    // Configuration diagnostics point into file 0.
    sources.add(
        &path,
        config::CONFIG_FILE.to_string(),
        Arc::from(text.as_str()),
    );
    let config = match config::load(root) {
        Ok(config) => config,
        Err(ConfigError::Invalid {
            diagnostics: found, ..
        }) => {
            diagnostics.extend(found);
            return Settings::none();
        }
        Err(error) => {
            diagnostics.push(
                Diagnostic::new(Severity::Error, None, error.to_string())
                    .with_code("unreadable-config"),
            );
            return Settings::none();
        }
    };
    let catalog = placements::load(&config, sources, diagnostics);
    let theme = if catalog.is_empty() {
        None
    } else {
        render::theme::load(&config)
            .map_err(|found| diagnostics.extend(found))
            .ok()
    };
    Settings {
        variables: config.variables,
        catalog: (!catalog.is_empty()).then_some(catalog),
        theme,
    }
}

impl Settings {
    fn none() -> Self {
        Settings {
            variables: BTreeMap::new(),
            catalog: None,
            theme: None,
        }
    }
}

/// Every chapter that has a source file, depth first (drafts have none).
fn collect_chapters(items: &[Value], position: &mut Vec<usize>, out: &mut Vec<ChapterRef>) {
    for (index, item) in items.iter().enumerate() {
        let Some(chapter) = item.get("Chapter") else {
            continue;
        };
        position.push(index);
        if let Some(source_path) = chapter["source_path"].as_str() {
            out.push(ChapterRef {
                position: position.clone(),
                source_path: source_path.replace('\\', "/"),
                name: chapter["name"].as_str().unwrap_or_default().to_string(),
            });
        }
        if let Some(children) = chapter["sub_items"].as_array() {
            collect_chapters(children, position, out);
        }
        position.pop();
    }
}

fn chapter_at<'a>(items: &'a mut [Value], position: &[usize]) -> Option<&'a mut Value> {
    let (first, rest) = position.split_first()?;
    let mut chapter = items.get_mut(*first)?.get_mut("Chapter")?;
    for index in rest {
        chapter = chapter
            .get_mut("sub_items")?
            .as_array_mut()?
            .get_mut(*index)?
            .get_mut("Chapter")?;
    }
    Some(chapter)
}

fn chapter_content(items: &mut [Value], position: &[usize]) -> Option<String> {
    let chapter = chapter_at(items, position)?;
    chapter["content"].as_str().map(str::to_string)
}

fn set_chapter_content(items: &mut [Value], position: &[usize], content: String) {
    if let Some(chapter) = chapter_at(items, position) {
        chapter["content"] = Value::String(content);
    }
}

fn strip_markdown_extension(path: &str) -> &str {
    path.strip_suffix(".md").unwrap_or(path)
}

/// Replaces the role markers the chapter pass left with links, or with plain text and a
/// warning when the target is unknown.
fn resolve_roles(
    text: &str,
    chapter: &ChapterRef,
    labels: &HashMap<String, LabelTarget>,
    pages: &HashMap<String, (String, String)>,
    pending: &[Pending],
    diagnostics: &mut Vec<Diagnostic>,
) -> String {
    chapter::replace_markers(text, |index| {
        let Some(role) = pending.get(index) else {
            return String::new();
        };
        let resolved = match role.kind {
            chapter::RoleKind::Ref => labels.get(&role.target).map(|label| {
                let href = format!(
                    "{}#{}",
                    crate::resolve::urls::relative_link(&chapter.source_path, &label.chapter),
                    label.anchor
                );
                (href, label.title.clone())
            }),
            chapter::RoleKind::Doc => {
                let from = strip_markdown_extension(&chapter.source_path);
                let name = crate::resolve::nav::resolve_doc_name(from, &role.target);
                pages.get(&name).map(|(path, title)| {
                    let href = crate::resolve::urls::relative_link(&chapter.source_path, path);
                    (href, Some(title.clone()))
                })
            }
        };
        match resolved {
            Some((href, title)) => {
                let text = role
                    .text
                    .clone()
                    .or(title)
                    .unwrap_or_else(|| role.target.clone());
                format!("[{}]({})", chapter::escape_link_text(&text), href)
            }
            None => {
                let what = match role.kind {
                    chapter::RoleKind::Ref => "label",
                    chapter::RoleKind::Doc => "chapter",
                };
                let mut diagnostic = Diagnostic::warning(
                    role.location,
                    format!("unresolved reference: no {what} `{}`", role.written),
                )
                .with_code("unresolved-reference")
                .with_hint(match role.kind {
                    chapter::RoleKind::Ref => {
                        "define it with `(name)=` on the line before a heading"
                    }
                    chapter::RoleKind::Doc => "name the chapter by its path without `.md`",
                });
                diagnostic.include_chain = role.include_chain.clone();
                diagnostics.push(diagnostic);
                chapter::escape_link_text(role.text.as_deref().unwrap_or(&role.written))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::OneLine;
    use std::path::Path;

    const RECORDED: &str = include_str!("../../tests/fixtures/mdbook/input-0.5.4.json");

    /// The recorded input with its book folder moved to `root` (the files it includes
    /// are written there by the test).
    fn recorded_input(root: &Path) -> String {
        let mut value: Value = serde_json::from_str(RECORDED).unwrap();
        value[0]["root"] = Value::String(root.to_string_lossy().into_owned());
        serde_json::to_string(&value).unwrap()
    }

    /// The recorded book's `book.toml`, which loopbook reads beside mdBook.
    const BOOK_TOML: &str = "[book]\ntitle = \"Recorded\"\nauthors = [\"loopbook\"]\n\n\
        [preprocessor.loopbook]\ncommand = \"loopbook mdbook\"\n\n\
        [preprocessor.loopbook.variables]\nsite_id = \"S-1\"\n";

    fn book_folder() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("book.toml"), BOOK_TOML).unwrap();
        let partials = dir.path().join("src/partials");
        std::fs::create_dir_all(&partials).unwrap();
        std::fs::write(partials.join("steps.md"), "1. One\n2. Two\n").unwrap();
        dir
    }

    fn chapters(book: &str) -> Vec<(String, String)> {
        fn walk(items: &[Value], out: &mut Vec<(String, String)>) {
            for item in items {
                let Some(chapter) = item.get("Chapter") else {
                    continue;
                };
                if let Some(path) = chapter["source_path"].as_str() {
                    let content = chapter["content"].as_str().unwrap().to_string();
                    out.push((path.to_string(), content));
                }
                walk(chapter["sub_items"].as_array().unwrap(), out);
            }
        }
        let value: Value = serde_json::from_str(book).unwrap();
        let mut out = Vec::new();
        walk(value["items"].as_array().unwrap(), &mut out);
        out
    }

    fn content_of(processed: &Processed, path: &str) -> String {
        chapters(&processed.book)
            .into_iter()
            .find(|(source, _)| source == path)
            .map(|(_, content)| content)
            .unwrap()
    }

    #[test]
    fn recorded_book_gets_variables_alerts_includes_and_cross_chapter_refs() {
        let dir = book_folder();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let processed = process(&recorded_input(&root)).unwrap();
        assert!(
            processed.diagnostics.is_empty(),
            "{:?}",
            processed.diagnostics
        );

        let intro = content_of(&processed, "intro.md");
        assert!(intro.contains("Hello S-1."), "{intro}");
        assert!(intro.contains("[Steps](chapter.md#steps)"), "{intro}");
        assert!(intro.contains("[Nested](sub/nested.md)"), "{intro}");
        let chapter = content_of(&processed, "chapter.md");
        assert!(chapter.contains("> [!NOTE]\n> A note.\n"), "{chapter}");
        assert!(
            chapter.contains("<a id=\"steps\"></a>\n## Steps"),
            "{chapter}"
        );
        assert!(chapter.contains("1. One\n2. Two"), "{chapter}");
        assert!(!chapter.contains("{include}"), "{chapter}");
    }

    #[test]
    fn everything_but_chapter_content_passes_through() {
        let dir = book_folder();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let processed = process(&recorded_input(&root)).unwrap();
        let mut before: Value = serde_json::from_str(RECORDED).unwrap();
        let mut after: Value = serde_json::from_str(&processed.book).unwrap();
        fn blank_contents(items: &mut Value) {
            for item in items.as_array_mut().unwrap() {
                if let Some(chapter) = item.get_mut("Chapter") {
                    chapter["content"] = Value::Null;
                    blank_contents(&mut chapter["sub_items"]);
                }
            }
        }
        blank_contents(&mut before[1]["items"]);
        blank_contents(&mut after["items"]);
        assert_eq!(before[1], after);
    }

    #[test]
    fn a_missing_include_is_an_error_at_the_chapter_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("book.toml"), BOOK_TOML).unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let processed = process(&recorded_input(&root)).unwrap();
        assert!(processed.has_errors());
        let lines: Vec<String> = processed
            .diagnostics
            .iter()
            .map(|d| OneLine(&processed.sources, d).to_string())
            .collect();
        assert_eq!(
            lines,
            ["src/chapter.md:10:1: error: included file `partials/steps.md` does not exist"]
        );
    }

    #[test]
    fn mdbook_04_input_is_refused_with_a_reason() {
        let input = r#"[{"root": "/b", "config": {}, "renderer": "html",
                         "mdbook_version": "0.4.40"}, {"sections": [], "__non_exhaustive": null}]"#;
        let error = process(input).unwrap_err();
        assert!(matches!(error, ProtocolError::Version(ref v) if v == "0.4.40"));
        assert!(
            error.to_string().contains("upgrade mdBook to 0.5"),
            "{error}"
        );
    }

    #[test]
    fn garbage_input_is_an_error_not_a_panic() {
        assert!(matches!(
            process("not json"),
            Err(ProtocolError::NotJson(_))
        ));
        assert!(matches!(process("[1]"), Err(ProtocolError::Shape(_))));
        assert!(matches!(
            process(r#"[{"mdbook_version": "0.5.4"}, {}]"#),
            Err(ProtocolError::Shape(_))
        ));
    }

    #[test]
    fn only_renderers_that_keep_raw_html_are_supported() {
        assert!(supports("html"));
        assert!(supports("markdown"));
        assert!(!supports("epub"));
        assert!(!supports("latex"));
    }
}
