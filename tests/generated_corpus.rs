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

#[test]
fn generated_sphinx_sources_build_with_a_book_toml_beside_them() {
    let generator = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_corpus.py");
    let work = tempfile::tempdir().unwrap();
    let status = Command::new("python3")
        .arg(&generator)
        .args(["60", work.path().to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("python3 runs the corpus generator");
    assert!(status.success());
    let book = work.path().join("sphinx");
    std::fs::write(
        book.join("book.toml"),
        "[book]\ntitle = \"Synthetic Docs\"\nsrc = \".\"\n\n[build]\nexclude = [\"_build/**\"]\n",
    )
    .unwrap();

    let run = loopbook(
        &["--color", "never", "build", book.to_str().unwrap()],
        work.path(),
    );
    run.expect_success();
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    let manifest = std::fs::read_to_string(work.path().join("MANIFEST.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    let expected = manifest["pages_rendered_per_tool"].as_u64().unwrap();
    assert!(
        run.stderr.contains(&format!("Built {expected} pages")),
        "{}",
        run.stderr
    );
    for source in walk_rst(&book) {
        let page = source.with_extension("html");
        let relative = page.strip_prefix(&book).unwrap();
        let html = std::fs::read_to_string(book.join("public").join(relative))
            .unwrap_or_else(|_| panic!("{} was not written", relative.display()));
        let article = &html[html.find("<article").unwrap()..html.find("</article>").unwrap()];
        for syntax in [":doc:`", ".. code-block::", "``", "**"] {
            assert!(
                !article.contains(syntax),
                "{syntax} shows in {}",
                relative.display()
            );
        }
    }
}

fn walk_rst(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() && !path.ends_with("public") {
            found.extend(walk_rst(&path));
        } else if path.extension().is_some_and(|ext| ext == "rst") {
            found.push(path);
        }
    }
    found
}
