//! Checks that need a real browser, run in headless Chromium through the scripts in
//! `tests/browser/` (Playwright's driver, no browser download). `.ci/run` installs
//! Debian's `chromium` and the scripts' `node_modules`; without them these tests fail
//! with the command that fixes it, unless `LOOPBOOK_SKIP_BROWSER_TESTS=1` says to skip.

mod common;

use common::{Book, copy_tree, run_check};
use std::path::{Path, PathBuf};

/// The example site at the repository root, built into a temporary folder.
fn built_example_site() -> (Book, PathBuf) {
    let book = Book::empty();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(root.join("book.toml"), book.path().join("book.toml")).unwrap();
    copy_tree(&root.join("content"), &book.path().join("content"));
    copy_tree(&root.join("placements"), &book.path().join("placements"));
    book.build(&[]).expect_success();
    let public = book.path().join("public");
    (book, public)
}

#[test]
fn theme_copy_button_and_dark_mode_work_in_a_browser() {
    let (_book, public) = built_example_site();
    run_check(
        "theme",
        &[public.to_str().unwrap(), "getting-started/quickstart.html"],
    );
}

#[cfg(feature = "serve")]
#[test]
fn serve_reloads_on_save_keeps_scroll_and_shows_the_overlay_in_a_browser() {
    let book = Book::empty();
    let filler: String = (0..60)
        .map(|n| format!("Paragraph {n} of text that makes the page long enough to scroll.\n\n"))
        .collect();
    book.write("book.toml", "[book]\ntitle = \"Live\"\n").write(
        "content/index.md",
        &format!("# Live\n\n{filler}The word MARKER-ONE is here.\n\n{filler}"),
    );
    let server = common::serve::Server::start(&book);
    let url = format!("http://127.0.0.1:{}/index.html", server.port);
    let source = book.path().join("content/index.md");
    run_check("serve", &[&url, source.to_str().unwrap()]);
}

#[test]
fn live_sample_invite_page_and_site_id_box_work_in_a_browser() {
    let (book, public) = built_example_site();
    let config: toml::Table = book.read("book.toml").parse().unwrap();
    let loader = config["variables"]["integration_url"].as_str().unwrap();
    run_check("placements", &[public.to_str().unwrap(), loader]);
}

/// Written to end the script element, open a comment, break out of the string and end
/// the line in older engines.
const HOSTILE: &str = "</script><script>window.pwned=1</script><!-- \" ' \\ \u{2028} &";

#[test]
fn hostile_payload_runs_no_code_in_a_browser() {
    let book = Book::empty();
    book.write(
        "book.toml",
        "[variables]\nsite_id = \"S\"\nintegration_url = \"https://cdn.example/l.js\"\n",
    );
    let note = toml::Value::String(HOSTILE.to_string());
    book.write(
        "placements/welcome.toml",
        &format!(
            "name = \"welcome\"\ntitle = \"Welcome\"\ncall = \"greet\"\nsnippet = \"queue\"\n\
             fields = [ {{ name = \"note\", type = \"string\", required = true, \
             description = {note} }} ]\n[example]\nnote = {note}\n"
        ),
    );
    book.write(
        "content/index.md",
        "# Home\n\n```{placement} welcome\n```\n",
    );
    book.build(&[]).expect_success();
    let public = book.path().join("public");
    let expected = serde_json::to_string(HOSTILE).unwrap();
    run_check(
        "hostile",
        &[
            public.to_str().unwrap(),
            "index.html",
            "samples/welcome/index.html",
            &expected,
        ],
    );
}

#[test]
fn sphinx_tree_hides_hidden_containers_and_keeps_deep_links_in_a_browser() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/talkable-2015");
    let book = Book::empty();
    copy_tree(&corpus, book.path());
    book.build(&[]).expect_success();
    run_check("rst", &[book.path().join("public").to_str().unwrap()]);
}

#[test]
fn search_finds_a_heading_first_and_lands_on_its_section() {
    let (_book, public) = built_example_site();
    run_check(
        "search",
        &[
            public.to_str().unwrap(),
            "idempotency",
            "reference/rest-api.html",
            "idempotency",
        ],
    );
}
