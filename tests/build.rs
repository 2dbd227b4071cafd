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
fn ids_on_a_page_are_unique_and_a_label_keeps_its_own() {
    let book = book_with_page(
        "# Home\n\n## Step\n\n(step-1)=\n## Install\n\n## Step\n\nSee {ref}`step-1`.\n\n\
         ## A {#dup}\n\n## B {#dup}\n",
    );
    let run = book.build(&[]);
    run.expect_success();
    assert_eq!(
        run.headlines(),
        ["warning: heading id `dup` is already used on this page"]
    );
    assert_eq!(run.locations(), ["content/index.md:14:1"]);

    let main = book.main_of("index.html");
    let ids: Vec<&str> = main
        .split("id=\"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "{ids:?}");
    assert!(
        main.contains("<span id=\"step-1\"></span><h2 id=\"install\""),
        "{main}"
    );
    assert!(
        main.contains(r##"<a href="index.html#step-1">Install</a>"##),
        "{main}"
    );
}

#[test]
fn directive_option_mistakes_are_warnings_at_their_lines() {
    let book = book_with_page(
        "# Home\n\n\
         ```{code-block} js\n:linenose:\n:emphasize-lines: 99\nrun()\n```\n\n\
         ```{literalinclude} five.js\n:lines: 9-20\n```\n\n\
         ```{admonition}\nNo title.\n```\n\n\
         (My Label)=\n## Labelled\n\n\
         See {ref}`my label` and [step two](guide.md?tab=js#step-2).\n",
    );
    book.write("content/five.js", "1\n2\n3\n4\n5\n")
        .write("content/guide.md", "# Guide\n\n## Step 2\n")
        .write(
            "book.toml",
            "[book]\ntitle = \"T\"\n[build]\nexclude = [\"five.js\"]\n",
        );
    let run = book.build(&[]);
    run.expect_success();
    assert_eq!(
        run.headlines(),
        [
            "warning: `:emphasize-lines: 99` names lines past the end of the code, which has 1 line",
            "warning: unknown option `:linenose:` for `code-block`",
            "warning: `:lines: 9-20` selects nothing: `five.js` has 5 lines",
            "warning: `admonition` directive needs an argument",
        ],
        "{}",
        run.stderr
    );
    assert_eq!(
        run.locations(),
        [
            "content/index.md:3:1",
            "content/index.md:4:1",
            "content/index.md:9:1",
            "content/index.md:13:1"
        ]
    );
    assert!(run.stderr.contains("did you mean `:linenos:`?"));
    let main = book.main_of("index.html");
    assert!(
        main.contains(r##"<a href="index.html#my-label">Labelled</a>"##),
        "{main}"
    );
    assert!(
        main.contains(r##"<a href="guide.html?tab=js#step-2">step two</a>"##),
        "{main}"
    );
}

#[test]
fn unknown_directive_is_shown_whole_as_written() {
    let book =
        book_with_page("# Home\n\n````{fancy} argument text\n:opt: value\n\n```js\nx\n```\n````\n");
    let run = book.build(&[]);
    run.expect_success();
    assert_eq!(run.headlines(), ["warning: unknown directive `fancy`"]);
    assert_eq!(run.locations(), ["content/index.md:3:1"]);
    let main = book.main_of("index.html");
    let written = "````{fancy} argument text\n:opt: value\n\n```js\nx\n```\n````\n</code>";
    assert!(main.contains(written), "{main}");
}

#[test]
fn a_misspelt_directive_names_the_nearest_one_and_an_rst_only_one_says_so() {
    let book = book_with_page("# Home\n\n```{notee}\nText\n```\n\n```{list-table}\n* - a\n```\n");
    let run = book.build(&[]);
    run.expect_success();
    assert_eq!(
        run.locations(),
        ["content/index.md:3:1", "content/index.md:7:1"]
    );
    assert!(
        run.stderr.contains("did you mean `note`?"),
        "{}",
        run.stderr
    );
    let rst_only = "`list-table` is read in reStructuredText pages only";
    assert!(run.stderr.contains(rst_only), "{}", run.stderr);
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
fn error_on_a_multibyte_space_is_reported_not_a_panic() {
    for space in ['\u{a0}', '\u{2028}', '\u{3000}'] {
        let book = Book::empty();
        book.write("book.toml", &format!("[book]\n{space}title = \"F\"\n"))
            .write("content/index.md", "# Home\n");
        let run = book.build(&[]);
        run.expect_code(2);
        assert!(run.stderr.contains("book.toml:2:1"), "{}", run.stderr);
        let check = loopbook(&["check", "--format", "json"], book.path());
        check.expect_code(2);
        assert!(!check.stderr.contains("panicked"), "{}", check.stderr);

        let book = book_with_page(&format!("+++\n{space}title = \"X\"\n+++\n# Home\n"));
        let run = book.build(&[]);
        run.expect_code(1);
        assert_eq!(run.locations(), ["content/index.md:2:1"], "{}", run.stderr);
    }
}

#[test]
fn pages_nested_past_the_depth_cap_build_and_keep_their_text() {
    let quotes = format!("# Quotes\n\n{}deep quote\n", "> ".repeat(100_000));
    let lists = format!("# Lists\n\n{}deep item\n", "- ".repeat(20_000));
    let stars = "*".repeat(100_000);
    let emphasis = format!("# Emphasis\n\n{stars}deep emphasis{stars}\n");
    let notes: String = (0..300)
        .map(|level| format!("{}.. note::\n\n", "   ".repeat(level)))
        .collect();
    let notes = format!("Notes\n=====\n\n{notes}{}deep note\n", "   ".repeat(300));
    let book = book_with_page(&quotes);
    book.write("content/lists.md", &lists)
        .write("content/emphasis.md", &emphasis)
        .write("content/notes.rst", &format!(":orphan:\n\n{notes}"));

    let run = book.build(&[]);
    run.expect_success();
    let too_deep = run
        .headlines()
        .into_iter()
        .filter(|line| line == "warning: nested too deeply: shown as written")
        .count();
    assert_eq!(too_deep, 4, "{}", run.stderr);
    let mut locations = run.locations();
    locations.sort();
    assert_eq!(
        locations,
        [
            "content/emphasis.md:3:201",
            "content/index.md:3:201",
            "content/lists.md:3:201",
            "content/notes.rst:206:301",
        ]
    );
    for (page, text) in [
        ("index", "deep quote"),
        ("lists", "deep item"),
        ("emphasis", "deep emphasis"),
        ("notes", "deep note"),
    ] {
        assert!(
            book.main_of(&format!("{page}.html")).contains(text),
            "{page}"
        );
        assert!(
            book.read(&format!("public/{page}.md")).contains(text),
            "{page}"
        );
    }
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
    assert!(book.read("public/theme/highlight.css").contains(".hl-"));
}

#[test]
fn theme_can_replace_the_highlight_stylesheet() {
    let book = Book::fixture("features");
    book.write(
        "themes/default/static/highlight.css",
        "/* house colours */
",
    );
    book.build(&[]).expect_success();

    assert_eq!(
        book.read("public/theme/highlight.css"),
        "/* house colours */\n"
    );
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

#[test]
fn output_path_that_is_a_file_is_refused_and_left_alone() {
    let book = book_with_page("# Home\n");
    book.write("precious.txt", "precious");
    let run = book.build(&["--dest-dir", "precious.txt"]);
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("precious.txt exists and is not a folder"),
        "{}",
        run.stderr
    );
    assert_eq!(book.read("precious.txt"), "precious");
    let mut names: Vec<String> = std::fs::read_dir(book.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["book.toml", "content", "precious.txt"]);
}

/// A book whose `static` entry is `entry`, building into `out/site`, with a folder
/// `assets/` beside `content/`.
fn book_with_static(entry: &str) -> Book {
    let book = book_with_page("# Home\n");
    book.write(
        "book.toml",
        &format!("{MINIMAL_TOML}\n[build]\nbuild-dir = \"out/site\"\nstatic = [\"{entry}\"]\n"),
    )
    .write("assets/f.txt", "asset");
    book
}

#[test]
fn static_folder_outside_the_source_folder_is_refused_at_its_line() {
    let outside = Book::empty();
    outside.write("absstatic/g.txt", "kept as it is");
    let absolute = outside.path().join("absstatic");

    for entry in ["../assets", absolute.to_str().unwrap()] {
        let book = book_with_static(entry);
        let run = book.build(&[]);
        run.expect_code(2);
        assert_eq!(run.locations(), ["book.toml:6:1"], "{}", run.stderr);
        assert!(
            run.stderr.contains(&format!("static folder `{entry}`")),
            "{}",
            run.stderr
        );
        assert!(!book.exists("out"), "nothing written for `{entry}`");
    }
    assert_eq!(outside.read("absstatic/g.txt"), "kept as it is");
}

#[test]
fn missing_static_folder_is_a_warning_at_its_line() {
    let book = book_with_static("_static");
    let run = book.build(&[]);
    run.expect_success();
    assert_eq!(
        run.headlines(),
        ["warning: static folder `_static` does not exist"]
    );
    assert_eq!(run.locations(), ["book.toml:6:1"]);
}

#[test]
fn page_where_a_generated_page_goes_is_a_duplicate_and_nothing_changes() {
    let book = Book::fixture("features");
    book.build(&[]).expect_success();
    let before = book.output_files();

    book.write("content/search/index.md", "# My search\n")
        .write("content/404.md", "# Lost\n");
    let run = book.build(&[]);
    run.expect_code(1);
    assert_eq!(
        run.headlines(),
        [
            "error: `404.html` would be written twice: by the page `404.md` and by the 404 page",
            "error: `search/index.html` would be written twice: by the page `search/index.md` \
             and by the search page",
        ]
    );
    assert_eq!(
        run.locations(),
        ["content/404.md:1:1", "content/search/index.md:1:1"]
    );
    assert_eq!(book.output_files(), before);
}

#[test]
fn static_file_over_a_theme_file_is_a_duplicate_at_the_static_line() {
    let book = book_with_static("theme");
    book.write("content/theme/loopbook.css", "body {}");
    let run = book.build(&[]);
    run.expect_code(1);
    assert_eq!(
        run.headlines(),
        [
            "error: `theme/loopbook.css` would be written twice: by the theme and by the static \
             file `content/theme/loopbook.css`"
        ]
    );
    assert_eq!(run.locations(), ["book.toml:6:1"]);
    assert!(!book.exists("out"));
}
