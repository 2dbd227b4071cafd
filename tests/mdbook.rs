//! loopbook as an mdBook preprocessor, run by the real `mdbook build` (0.5): the book
//! in `tests/fixtures/mdbook-book` uses `command = "loopbook mdbook"`. `.ci/run`
//! installs mdBook when it is missing; without it these tests fail saying so.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Book, Run, run_check};

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
fn placements_give_mdbook_the_snippet_field_table_payload_and_a_live_sample() {
    let book = Book::fixture("mdbook-book");
    mdbook_build(&book).expect_success();

    let receipt = book.read("book/receipt.html");
    assert!(
        receipt.contains("register_order") && receipt.contains("RIPPLE-DEMO-7"),
        "the snippet, with the site id: {receipt}"
    );
    assert!(
        receipt.contains("<td><code>order_id</code></td>"),
        "the field table: {receipt}"
    );
    assert!(receipt.contains("decimal"), "field types: {receipt}");
    assert!(receipt.contains("R-2044"), "the payload: {receipt}");
    assert!(
        receipt.contains(r#"href="samples/receipt/index.html""#),
        "{receipt}"
    );
    assert!(
        receipt.contains(r#"href="samples/receipt/index.html#payload""#),
        "the payload download leads to the sample chapter: {receipt}"
    );
    assert!(!receipt.contains("{placement"), "{receipt}");

    let sample = book.read("book/samples/receipt/index.html");
    assert!(sample.contains("Live sample: Receipt"), "{sample}");
    assert!(
        sample.contains("data:text/javascript;base64,"),
        "the stub is inlined"
    );
    assert!(sample.contains(r#"download="schema.json""#), "{sample}");
    run_check(
        "mdbook-sample",
        &[
            book.path().join("book").to_str().unwrap(),
            "samples/receipt/index.html",
            "register_order",
            r#"{"order_id":"R-2044","total":"58.00","email":"shopper@example.com"}"#,
        ],
    );
}

#[test]
fn a_broken_placement_fails_the_mdbook_build_with_chapter_and_line() {
    let book = Book::fixture("mdbook-book");
    book.write(
        "src/troubleshooting.md",
        "# Troubleshooting\n\nText.\n\n```{placement} reciept\n```\n",
    );
    let run = mdbook_build(&book);
    assert_ne!(run.code, 0, "mdbook must fail\n{}", run.stderr);
    assert!(
        run.stderr.contains("--> src/troubleshooting.md:5:1"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("`reciept`"), "{}", run.stderr);
    assert!(
        run.stderr.contains("`receipt`"),
        "names the nearest placement: {}",
        run.stderr
    );

    // A definition whose example breaks its own schema fails too, at its line.
    let book = Book::fixture("mdbook-book");
    let definition = book.read("placements/receipt.toml");
    book.write(
        "placements/receipt.toml",
        &definition.replace(
            "email = \"shopper@example.com\"",
            "email = \"not-an-email\"",
        ),
    );
    let run = mdbook_build(&book);
    assert_ne!(run.code, 0, "mdbook must fail\n{}", run.stderr);
    assert!(
        run.stderr.contains("placements/receipt.toml:"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("email"), "{}", run.stderr);
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

#[test]
fn loopbook_builds_the_same_mdbook_as_it_is() {
    // No `[book] src`: mdBook's `src/` is used, and `[preprocessor.loopbook]` tables
    // give the variables and placements.
    let book = Book::fixture("mdbook-book");
    let run = book.build(&[]);
    run.expect_success();
    let overview = book.read("public/overview.html");
    assert!(overview.contains("RIPPLE-DEMO-7"), "{overview}");
    assert!(book.exists("public/samples/receipt/index.html"));
    assert!(book.read("public/receipt.html").contains("register_order"));
}
