//! loopbook as an mdBook preprocessor, run by the real `mdbook build` (0.5): the book
//! in `tests/fixtures/mdbook-book` uses `command = "loopbook mdbook"`. `.ci/run`
//! installs mdBook when it is missing; without it these tests fail saying so.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Book, Run};

fn mdbook() -> PathBuf {
    if let Some(path) = std::env::var_os("MDBOOK") {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .chain(std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo/bin")))
        .map(|dir| dir.join("mdbook"))
        .find(|candidate| candidate.is_file());
    on_path.expect("mdBook 0.5 is needed: `cargo install mdbook --locked --version '^0.5'`")
}

/// Runs `mdbook build` in `book` with this build's `loopbook` first on `PATH`.
fn mdbook_build(book: &Book) -> Run {
    let binary = Path::new(env!("CARGO_BIN_EXE_loopbook"));
    let mut paths = vec![binary.parent().unwrap().to_path_buf()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let output = Command::new(mdbook())
        .arg("build")
        .current_dir(book.path())
        .env("PATH", std::env::join_paths(paths).unwrap())
        .env("NO_COLOR", "1")
        .output()
        .expect("mdbook runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn mdbook_renders_variables_directives_includes_and_references() {
    let book = Book::fixture("mdbook-book");
    mdbook_build(&book).expect_success();

    let overview = book.read("book/overview.html");
    assert!(
        overview.contains("<code>RIPPLE-DEMO-7</code>"),
        "{overview}"
    );
    assert!(
        overview.contains(r#"<a href="receipt.html#receipt-snippet">the receipt snippet</a>"#),
        "{overview}"
    );
    assert!(
        overview.contains(r#"<a href="troubleshooting.html">Troubleshooting</a>"#),
        "{overview}"
    );
    assert!(overview.contains("blockquote-tag-important"), "{overview}");
    assert!(overview.contains("https://cdn.ripple.test/loader/v2.js only"));

    let receipt = book.read("book/receipt.html");
    assert!(
        receipt.contains(r#"<a id="receipt-snippet"></a>"#),
        "{receipt}"
    );
    assert!(
        receipt.contains("<strong>Receipt loader</strong>"),
        "{receipt}"
    );
    assert!(
        receipt.contains(r#"data-site="RIPPLE-DEMO-7""#),
        "the included snippet has its variables: {receipt}"
    );
    assert!(receipt.contains("blockquote-tag-tip"), "{receipt}");
    assert!(!receipt.contains("{code-block}") && !receipt.contains("{include}"));

    let troubleshooting = book.read("book/troubleshooting.html");
    assert!(
        troubleshooting
            .contains(r#"<a href="receipt.html#receipt-snippet">The receipt snippet</a>"#),
        "a ref without text takes the heading's title: {troubleshooting}"
    );
}

#[test]
fn a_broken_include_fails_the_mdbook_build_with_chapter_and_line() {
    let book = Book::fixture("mdbook-book");
    book.write(
        "src/troubleshooting.md",
        "# Troubleshooting\n\nText.\n\n```{include} partials/gone.md\n```\n",
    );
    let run = mdbook_build(&book);
    assert_ne!(run.code, 0, "mdbook must fail\n{}", run.stderr);
    assert!(
        run.stderr.contains("--> src/troubleshooting.md:5:1"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("included file `partials/gone.md` does not exist"),
        "{}",
        run.stderr
    );
}

#[test]
fn renderers_loopbook_cannot_serve_are_declined() {
    let run = common::loopbook(&["mdbook", "supports", "epub"], Path::new("."));
    assert_eq!(run.code, 1);
    let run = common::loopbook(&["mdbook", "supports", "html"], Path::new("."));
    assert_eq!(run.code, 0);
}
