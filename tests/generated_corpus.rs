//! The mdBook layout of the shared benchmark corpus builds as it is: every page present,
//! every code block highlighted.

mod common;

use std::path::Path;
use std::process::Command;

use common::loopbook;

#[test]
fn generated_mdbook_corpus_builds_with_every_page_and_highlighted_code() {
    let generator = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_corpus.py");
    let work = tempfile::tempdir().unwrap();
    let status = Command::new("python3")
        .arg(&generator)
        .args(["60", work.path().to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("python3 runs the corpus generator");
    assert!(status.success());
    let book = work.path().join("mdbook");

    let run = loopbook(
        &["--color", "never", "build", book.to_str().unwrap()],
        work.path(),
    );
    run.expect_success();
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);

    let summary = std::fs::read_to_string(book.join("src/SUMMARY.md")).unwrap();
    let linked: Vec<&str> = summary
        .lines()
        .filter_map(|line| line.split("](").nth(1)?.strip_suffix(')'))
        .collect();
    assert!(
        linked.len() > 60,
        "SUMMARY.md lists the pages and folder indexes"
    );
    for source in &linked {
        let page = match source.strip_suffix("README.md") {
            Some(folder) => format!("{folder}index.html"),
            None => source.replace(".md", ".html"),
        };
        let html = std::fs::read_to_string(book.join("public").join(&page))
            .unwrap_or_else(|_| panic!("{page} was not written"));
        let blocks = html.matches("<div class=\"lb-code\"").count();
        let highlighted = html
            .matches("<pre class=\"lb-code-block\"><code><span class=\"hl-")
            .count();
        assert_eq!(
            blocks, highlighted,
            "every code block of {page} is highlighted"
        );
        let fences = std::fs::read_to_string(book.join("src").join(source))
            .unwrap()
            .matches("```")
            .count();
        assert_eq!(
            blocks,
            fences / 2,
            "{page} shows every code block of its source"
        );
    }
}
