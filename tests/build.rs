//! `loopbook build` on real folders: what a writer sees in the output and in the terminal.

mod common;

use common::{Book, loopbook};

const MINIMAL_TOML: &str = "[book]\ntitle = \"T\"\n";

fn book_with_page(page: &str) -> Book {
    let book = Book::empty();
    book.write("book.toml", MINIMAL_TOML)
        .write("content/index.md", page);
    book
}

#[test]
fn every_markdown_feature_renders() {
    let book = Book::fixture("features");
    let run = book.build(&[]);
    run.expect_success();
    assert_eq!(
        run.headlines(),
        Vec::<String>::new(),
        "no diagnostics expected"
    );

    let main = book.main_of("index.html");
    insta::assert_snapshot!("features_index_main", main);
    // The image was copied beside the page that uses it.
    assert!(book.exists("public/img/diagram.svg"));
}

#[test]
fn variables_fill_prose_code_and_includes_but_leave_other_braces() {
    let book = Book::fixture("features");
    book.build(&[]).expect_success();
    let main = book.main_of("index.html");

    assert!(main.contains("Site id: SITE-42"));
    assert!(main.contains("{{ customer.email }}"));
    assert!(main.contains("Included text with the site id SITE-42"));
    assert!(main.contains("Nested include, two levels down."));
    assert!(
        main.contains("cdn.example.test/loader.js"),
        "variable inside a code block"
    );
    assert!(!main.contains("{{ site_id }}"));
}

#[test]
fn references_resolve_to_titles_and_anchors() {
    let book = Book::fixture("features");
    book.build(&[]).expect_success();
    let main = book.main_of("index.html");

    assert!(
        main.contains(r##"<a href="index.html#tables-label">Tables and lists</a>"##),
        "{main}"
    );
    assert!(main.contains(r##"<a href="guide.html#install-steps">Custom text</a>"##));
    assert!(main.contains(r#"<a href="guide.html">Guide</a>"#));
    assert!(main.contains(r##"<a href="guide.html#second-section">"##));
}

#[test]
fn unresolved_reference_is_a_warning_at_its_line_and_plain_text() {
    let book = book_with_page("# Home\n\nSee {ref}`nowhere` and {doc}`missing/page`.\n");
    let run = book.build(&[]);
    run.expect_success();

    assert_eq!(
        run.headlines(),
        [
            "warning: unresolved reference: no label `nowhere`",
            "warning: unresolved reference: no page `missing/page`"
        ]
    );
    assert_eq!(
        run.locations(),
        ["content/index.md:3:5", "content/index.md:3:24"]
    );
    let main = book.main_of("index.html");
    assert!(main.contains("See nowhere and missing/page."), "{main}");
    assert!(!main.contains("{ref}"));
}

#[test]
fn strict_turns_warnings_into_a_failed_build() {
    let book = book_with_page("# Home\n\n{ref}`nowhere`\n");
    let run = book.build(&["--strict"]);
    run.expect_code(1);
    assert!(run.stderr.contains("error: unresolved reference"));
    assert!(!book.exists("public"));
}

#[test]
fn nested_includes_work_and_a_cycle_shows_the_whole_chain() {
    let book = book_with_page("# Home\n\n```{include} a.md\n```\n");
    book.write("content/a.md", "A text\n\n```{include} sub/b.md\n```\n")
        .write("content/sub/b.md", "B text\n\n```{include} ../a.md\n```\n")
        .write(
            "book.toml",
            "[book]\ntitle = \"T\"\n[build]\nexclude = [\"a.md\", \"sub/**\"]\n",
        );
    let run = book.build(&[]);
    run.expect_code(1);

    assert_eq!(
        run.headlines(),
        [
            "error: include cycle: content/index.md -> content/a.md -> content/sub/b.md -> content/a.md"
        ]
    );
    assert_eq!(run.locations(), ["content/sub/b.md:3:1"]);
    assert!(
        run.stderr.contains("included from content/a.md:3:1"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("included from content/index.md:3:1"));
}

#[test]
fn missing_include_is_an_error_at_the_directive() {
    let book = book_with_page("# Home\n\ntext\n\n```{include} nope.md\n```\n");
    let run = book.build(&[]);
    run.expect_code(1);
    assert_eq!(
        run.headlines(),
        ["error: included file `nope.md` does not exist"]
    );
    assert_eq!(run.locations(), ["content/index.md:5:1"]);
}

#[test]
fn include_that_leaves_the_book_folder_is_refused() {
    let book = book_with_page("# Home\n\n```{include} ../../secret.md\n```\n");
    let run = book.build(&[]);
    run.expect_code(1);
    assert!(
        run.headlines()[0].contains("is outside the book folder"),
        "{}",
        run.stderr
    );
    assert_eq!(run.locations(), ["content/index.md:3:1"]);
}

#[test]
fn misspelt_key_names_the_right_key_and_its_line() {
    let book = Book::empty();
    book.write(
        "book.toml",
        "[book]\ntitle = \"T\"\n\n[build]\nbuild-dri = \"out\"\n",
    )
    .write("content/index.md", "# Home\n");
    let run = book.build(&[]);
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("error: unknown key `build-dri` in book.toml"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("help: did you mean `build-dir`?"));
    assert!(run.stderr.contains("book.toml:5:1"));
}

#[test]
fn every_unknown_key_is_reported_in_one_run() {
    let book = Book::empty();
    book.write(
        "book.toml",
        "[book]\nfoo = 1\nbar = 2\n\n[build]\nbuild-dri = \"out\"\n",
    )
    .write("content/index.md", "# Home\n");
    let run = book.build(&[]);
    run.expect_code(2);
    let headlines = run.headlines();
    assert_eq!(
        headlines,
        [
            "error: unknown key `foo` in book.toml",
            "error: unknown key `bar` in book.toml",
            "error: unknown key `build-dri` in book.toml",
        ],
        "{}",
        run.stderr
    );
    for line in ["book.toml:2:1", "book.toml:3:1", "book.toml:6:1"] {
        assert!(run.stderr.contains(line), "{line} in {}", run.stderr);
    }
}

#[test]
fn missing_book_toml_says_how_to_start() {
    let book = Book::empty();
    let run = book.build(&[]);
    run.expect_code(2);
    assert!(run.stderr.contains("no book.toml in"));
    assert!(run.stderr.contains("loopbook init"));
}

#[test]
fn page_that_is_not_utf8_is_an_error_with_its_position() {
    let book = book_with_page("# Home\n");
    book.write_bytes("content/latin1.md", b"# Caf\xe9\n");
    let run = book.build(&[]);
    run.expect_code(1);
    assert_eq!(run.headlines(), ["error: file is not valid UTF-8"]);
    assert_eq!(run.locations(), ["content/latin1.md:1:6"]);
}

#[test]
fn failed_build_leaves_the_previous_output_byte_identical() {
    let book = Book::fixture("features");
    book.build(&[]).expect_success();
    let before = book.output_files();

    book.write("content/guide.md", "# Guide\n\n```{include} gone.md\n```\n");
    let run = book.build(&[]);
    run.expect_code(1);
    assert!(run.stderr.contains("the previous output is untouched"));

    assert_eq!(book.output_files(), before);
    let leftovers: Vec<String> = std::fs::read_dir(book.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("loopbook-staging") || name.contains("loopbook-old"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "staging folders left behind: {leftovers:?}"
    );
}

#[test]
fn unchanged_files_keep_their_modification_time() {
    let book = Book::fixture("features");
    book.build(&[]).expect_success();
    let mtime = |page: &str| {
        std::fs::metadata(book.path().join("public").join(page))
            .unwrap()
            .modified()
            .unwrap()
    };
    let (guide, index) = (mtime("guide.html"), mtime("index.html"));
    std::thread::sleep(std::time::Duration::from_millis(20));

    let edited = book
        .read("content/index.md")
        .replace("Plain *emphasis*", "Plain _emphasis_!");
    book.write("content/index.md", &edited);
    book.build(&[]).expect_success();

    assert_eq!(mtime("guide.html"), guide);
    assert_ne!(mtime("index.html"), index);
}

#[test]
fn theme_can_override_one_template() {
    let book = Book::fixture("features");
    book.write(
        "themes/default/templates/page.html",
        "<!DOCTYPE html><title>{{ page.title }}</title><main>CUSTOM {{ page.content | safe }}</main>\n",
    );
    book.build(&[]).expect_success();

    assert!(
        book.read("public/guide.html")
            .starts_with("<!DOCTYPE html><title>Guide</title>")
    );
    assert!(book.main_of("guide.html").contains("CUSTOM <h1"));
    // Templates and assets the book does not override still come from the default theme.
    assert!(book.read("public/404.html").contains("lb-header"));
    assert!(book.exists("public/theme/loopbook.css"));
}

#[test]
fn template_error_is_reported_and_nothing_is_written() {
    let book = book_with_page("# Home\n");
    book.write("themes/default/templates/page.html", "{% if %}\n");
    let run = book.build(&[]);
    run.expect_code(1);
    assert!(run.stderr.contains("template error"), "{}", run.stderr);
    assert!(!book.exists("public"));
}

#[test]
fn pretty_urls_write_folders_with_index_files() {
    let book = Book::fixture("features");
    book.write(
        "book.toml",
        &book
            .read("book.toml")
            .replace("[build]\n", "[build]\npretty-urls = true\n"),
    );
    book.build(&[]).expect_success();
    assert!(book.exists("public/guide/index.html"));
    assert!(book.exists("public/index.html"));
    let main = book.main_of("index.html");
    assert!(
        main.contains(r#"<a href="guide/index.html">Guide</a>"#),
        "{main}"
    );
    let guide = book.read("public/guide/index.html");
    assert!(guide.contains(r#"href="../theme/loopbook.css""#));
}

#[test]
fn unknown_language_is_a_warning_and_plain_text() {
    let book = book_with_page("# Home\n\n```klingon\nqapla' <b>\n```\n");
    let run = book.build(&[]);
    run.expect_success();
    assert_eq!(
        run.headlines(),
        ["warning: no highlighter for language `klingon`; shown as plain text"]
    );
    assert_eq!(run.locations(), ["content/index.md:4:1"]);
    assert!(
        book.main_of("index.html").contains("qapla&#39; &lt;b&gt;")
            || book.main_of("index.html").contains("qapla' &lt;b&gt;")
    );
}

#[test]
fn dest_dir_and_folder_navigation_without_summary() {
    let book = Book::empty();
    book.write("book.toml", MINIMAL_TOML)
        .write("content/index.md", "# Home\n")
        .write("content/b.md", "# Bee\n")
        .write("content/a/index.md", "# Folder A\n")
        .write("content/a/z.md", "# Zed\n");
    let out = book.path().join("elsewhere");
    book.build(&["--dest-dir", out.to_str().unwrap()])
        .expect_success();

    let page = std::fs::read_to_string(out.join("a/z.html")).unwrap();
    let nav = &page[page.find("<nav").unwrap()..page.find("</nav>").unwrap()];
    let order: Vec<&str> = ["Home", "Folder A", "Zed", "Bee"]
        .into_iter()
        .filter(|title| nav.contains(&format!(">{title}<")))
        .collect();
    assert_eq!(order.len(), 4, "{nav}");
    assert!(nav.find("Home").unwrap() < nav.find("Folder A").unwrap());
    assert!(nav.contains("aria-current=\"page\""));
    // previous/next follow the navigation: Home, Folder A, Zed, Bee.
    assert!(page.contains("index.html") && page.contains("../b.html"));
}

#[test]
fn init_starts_a_book_that_builds() {
    let book = Book::empty();
    loopbook(&["init", "."], book.path()).expect_success();
    let run = book.build(&[]);
    run.expect_success();
    assert!(book.main_of("index.html").contains("YOUR-SITE-ID"));
    loopbook(&["init", "."], book.path()).expect_code(2);
}

#[test]
fn example_site_builds_without_warnings() {
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("public");
    let repo = env!("CARGO_MANIFEST_DIR");
    let run = loopbook(
        &[
            "--color",
            "never",
            "build",
            repo,
            "--dest-dir",
            dest.to_str().unwrap(),
        ],
        out.path(),
    );
    run.expect_success();
    assert_eq!(run.headlines(), Vec::<String>::new(), "{}", run.stderr);
    assert!(dest.join("integration/post-purchase.html").is_file());
}
