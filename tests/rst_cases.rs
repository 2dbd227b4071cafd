//! The reStructuredText parser against example files, one per construct or edge case.
//!
//! Each `tests/rst/cases/NAME.rst` is parsed as a page and its body rendered to HTML;
//! the result must equal `NAME.html`, which starts with the parser's diagnostics as an
//! HTML comment. Includes are read from `tests/rst/cases/` (a leading `/` means that
//! folder too). `LOOPBOOK_BLESS=1 cargo test --test rst_cases` rewrites the expected
//! files; read every one you bless. `tests/rst/check_ids_with_docutils.py` checks the
//! blessed heading ids against docutils itself.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use loopbook::doc::{Document, FileId, Location};
use loopbook::parse::{IncludeLoader, Included, ParseOptions, rst};
use loopbook::render::html::render_document;

/// Reads includes from the cases folder, keeping a stack to refuse cycles.
struct CaseFiles {
    root: PathBuf,
    stack: Vec<String>,
    files: Vec<String>,
}

impl IncludeLoader for CaseFiles {
    fn enter(&mut self, target: &str, _: FileId, _: Location) -> Result<Included, String> {
        let name = target.trim().trim_start_matches('/').to_string();
        if self.stack.contains(&name) {
            return Err(format!(
                "include cycle: {} -> {name}",
                self.stack.join(" -> ")
            ));
        }
        let text = self.read(&name)?;
        self.stack.push(name.clone());
        self.files.push(name);
        Ok(Included {
            file: FileId(self.files.len() as u32),
            text: Arc::from(text),
        })
    }

    fn leave(&mut self) {
        self.stack.pop();
    }

    fn read_literal(&mut self, target: &str, _: FileId, _: Location) -> Result<String, String> {
        self.read(target.trim().trim_start_matches('/'))
    }
}

impl CaseFiles {
    fn read(&self, name: &str) -> Result<String, String> {
        std::fs::read_to_string(self.root.join(name))
            .map_err(|_| format!("included file `{name}` does not exist"))
    }
}

fn render_case(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let variables = BTreeMap::from([
        (
            "integration_url".to_string(),
            "//cdn.example.com/v4.js".to_string(),
        ),
        ("site_id".to_string(), "SITE-1".to_string()),
    ]);
    let options = ParseOptions {
        variables: &variables,
    };
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut loader = CaseFiles {
        root: path.parent().unwrap().to_path_buf(),
        stack: vec![name],
        files: Vec::new(),
    };
    let output = rst::parse(&text, FileId(0), &options, &mut loader);
    let mut expected = String::from("<!-- diagnostics:\n");
    for diagnostic in &output.diagnostics {
        let location = diagnostic
            .location
            .map(|l| format!("{}:{}:{}", l.file.0, l.line, l.column))
            .unwrap_or_default();
        let severity = if diagnostic.is_error() {
            "error"
        } else {
            "warning"
        };
        expected.push_str(&format!("{severity} {location} {}\n", diagnostic.message));
    }
    expected.push_str("-->\n");
    expected.push_str(&describe_document(&output.document));
    expected.push_str(&render_document(&output.document).html);
    expected
}

/// What the rendered body does not show: the title and description, and the blocks the
/// resolve stage handles (directives kept for it, toctrees).
fn describe_document(document: &Document) -> String {
    let mut out = String::new();
    if let Some(title) = document.title_text() {
        out.push_str(&format!("<!-- title: {title} -->\n"));
    }
    if document.orphan {
        out.push_str("<!-- orphan -->\n");
    }
    if let Some(description) = &document.description {
        out.push_str(&format!("<!-- description: {description} -->\n"));
    }
    loopbook::doc::visit_blocks(&document.blocks, &mut |block| match block {
        loopbook::doc::Block::Directive(directive) => out.push_str(&format!(
            "<!-- directive {} argument={:?} options={:?} body={:?} line {} -->\n",
            directive.name,
            directive.argument,
            directive.options,
            directive.body,
            directive.location.line
        )),
        loopbook::doc::Block::Toctree(toctree) => out.push_str(&format!(
            "<!-- toctree caption={:?} maxdepth={:?} hidden={} glob={} entries={:?} -->\n",
            toctree.caption,
            toctree.max_depth,
            toctree.hidden,
            toctree.glob,
            toctree
                .entries
                .iter()
                .map(|e| (e.title.clone(), e.target.clone(), e.location.line))
                .collect::<Vec<_>>()
        )),
        loopbook::doc::Block::Heading(heading) if !heading.labels.is_empty() => {
            out.push_str(&format!(
                "<!-- heading {} labels {:?} -->\n",
                heading.id,
                heading
                    .labels
                    .iter()
                    .map(|l| (l.name.clone(), l.id.clone()))
                    .collect::<Vec<_>>()
            ))
        }
        _ => {}
    });
    out
}

#[test]
fn every_rst_case_renders_as_expected() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rst/cases");
    let bless = std::env::var_os("LOOPBOOK_BLESS").is_some();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rst"))
        .filter(|path| !path.file_name().unwrap().to_string_lossy().starts_with('_'))
        .collect();
    cases.sort();
    assert!(cases.len() >= 150, "only {} cases", cases.len());

    let mut failures = Vec::new();
    for case in &cases {
        let actual = render_case(case);
        let expected_path = case.with_extension("html");
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "--- {}\n--- expected\n{expected}\n--- actual\n{actual}",
                case.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ (LOOPBOOK_BLESS=1 rewrites them):\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
