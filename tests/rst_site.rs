//! reStructuredText books built by the real binary: cross-page references, toctree
//! navigation, includes with their chain, and the problems a Sphinx tree can have.

mod common;

use common::Book;

const BOOK_TOML: &str = r#"[book]
title = "Docs"
src = "source"

[build]
exclude = ["partials/**"]

[variables]
site_id = "SITE-42"
"#;

/// A file's text from its lines (so each line of reStructuredText reads as itself).
fn lines(lines: &[&str]) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

fn rst_book() -> Book {
    let book = Book::empty();
    book.write("book.toml", BOOK_TOML)
        .write(
            "source/index.rst",
            &lines(&[
                "Home",
                "====",
                "",
                ".. toctree::",
                "   :maxdepth: 2",
                "   :caption: Guide",
                "",
                "   self",
                "   guide/setup",
                "   Python <https://python.org>",
                "",
                ".. container:: hidden",
                "",
                "   .. toctree::",
                "",
                "      guide/hidden",
            ]),
        )
        .write(
            "source/guide/setup.rst",
            &lines(&[
                ".. _setup:",
                ".. include:: /partials/defs.rst",
                "",
                "Setting Up",
                "==========",
                "",
                "Use |product| with id |site_id|.",
                "",
                ".. code-block:: html",
                "",
                "   <script data-site=\"|site_id|\"></script>",
                "",
                "See :ref:`hidden-page` and :doc:`hidden`.",
            ]),
        )
        .write(
            "source/guide/hidden.rst",
            &lines(&[
                ".. _hidden-page:",
                "",
                "Hidden Page",
                "===========",
                "",
                "Back to :ref:`setup` or :ref:`the start <setup>`.",
            ]),
        )
        .write("source/partials/defs.rst", ".. |product| replace:: Loop\n")
        .write("source/orphan.rst", "Orphan\n======\n")
        .write(
            "source/meant.rst",
            ":orphan:\n\nStands Alone\n============\n",
        );
    book
}

#[test]
fn references_across_pages_take_section_titles_and_label_ids() {
    let book = rst_book();
    let run = book.build(&[]);
    run.expect_success();
    let hidden = book.main_of("guide/hidden.html");
    // An include stands between `.. _setup:` and its section, so, as in docutils and
    // Sphinx, the label marks its own place and has no title: a reference without text
    // is reported and shows the label's name.
    assert!(
        hidden.contains("<a href=\"setup.html#setup\">setup</a>"),
        "{hidden}"
    );
    assert!(
        hidden.contains("<a href=\"setup.html#setup\">the start</a>"),
        "{hidden}"
    );
    let setup = book.main_of("guide/setup.html");
    assert!(setup.contains("Use Loop with id SITE-42."), "{setup}");
    assert!(
        setup.contains("SITE-42"),
        "variables fill code blocks: {setup}"
    );
    assert!(!setup.contains("|site_id|"), "{setup}");
    assert!(
        setup.contains("<a href=\"hidden.html#hidden-page\">Hidden Page</a>"),
        "{setup}"
    );
    assert!(
        setup.contains("<a href=\"hidden.html\">Hidden Page</a>"),
        "{setup}"
    );
}

#[test]
fn toctrees_make_the_navigation_and_unreached_pages_are_reported_unless_orphan() {
    let book = rst_book();
    let run = book.build(&[]);
    run.expect_success();
    let index = book.read("public/index.html");
    assert!(
        index.contains("https://python.org"),
        "external entry: {index}"
    );
    assert!(index.contains("guide/setup.html"), "{index}");
    assert!(index.contains("Guide"), "caption: {index}");
    assert_eq!(
        run.headlines(),
        [
            "warning: label `setup` is not before a heading, so it has no title",
            "warning: page is not included in any toctree"
        ],
        "{}",
        run.stderr
    );
    assert_eq!(
        run.locations(),
        ["source/guide/hidden.rst:6:9", "source/orphan.rst:1:1"]
    );
}

#[test]
fn missing_include_is_reported_with_its_include_chain() {
    let book = Book::empty();
    book.write("book.toml", BOOK_TOML)
        .write(
            "source/index.rst",
            "Home\n====\n\n* item\n\n  .. include:: /partials/outer.rst\n",
        )
        .write(
            "source/partials/outer.rst",
            "Outer text.\n\n.. include:: missing.rst\n",
        );
    let run = book.build(&[]);
    run.expect_success();
    assert!(
        run.stderr
            .contains("warning: included file `missing.rst` does not exist"),
        "{}",
        run.stderr
    );
    assert!(
        run.locations()
            .contains(&"source/partials/outer.rst:3:1".to_string())
    );
    assert!(
        run.stderr.contains("included from source/index.rst:6:3"),
        "{}",
        run.stderr
    );
    assert!(
        book.main_of("index.html")
            .contains("<li><p>item</p>\n<p>Outer text.</p>")
    );
}

#[test]
fn include_cycle_is_reported_once_with_the_whole_chain() {
    let book = Book::empty();
    book.write("book.toml", BOOK_TOML)
        .write(
            "source/index.rst",
            "Home\n====\n\n.. include:: partials/a.rst\n",
        )
        .write("source/partials/a.rst", ".. include:: b.rst\n")
        .write("source/partials/b.rst", ".. include:: a.rst\n");
    let run = book.build(&[]);
    assert!(
        run.stderr.contains(
            "include cycle: source/index.rst -> source/partials/a.rst -> source/partials/b.rst \
             -> source/partials/a.rst"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr.matches("include cycle").count(),
        1,
        "{}",
        run.stderr
    );
}

#[test]
fn unknown_directive_and_role_are_warnings_shown_as_text() {
    let book = Book::empty();
    book.write("book.toml", BOOK_TOML).write(
        "source/index.rst",
        "Home\n====\n\nPress :kbdx:`Ctrl`.\n\n.. fancybox:: arg\n   :opt: value\n\n   Inner *text*.\n\nAfter.\n",
    );
    let run = book.build(&[]);
    run.expect_success();
    let mut headlines = run.headlines();
    headlines.sort();
    assert_eq!(
        headlines,
        [
            "warning: unknown directive `fancybox`",
            "warning: unknown role `:kbdx:`"
        ],
        "{}",
        run.stderr
    );
    assert_eq!(
        run.locations(),
        ["source/index.rst:4:7", "source/index.rst:6:1"]
    );
    let main = book.main_of("index.html");
    // Shown whole, as written: argument, options and content.
    let written = ".. fancybox:: arg\n   :opt: value\n\n   Inner *text*.\n</code>";
    assert!(main.contains(written), "{main}");
    assert!(main.contains("<p>After.</p>"), "{main}");
    assert!(main.contains(">Ctrl</span>"), "{main}");
}

#[test]
fn strict_build_fails_on_a_missing_include() {
    let book = Book::empty();
    book.write("book.toml", BOOK_TOML)
        .write("source/index.rst", "Home\n====\n\n.. include:: nope.rst\n");
    book.build(&["--strict"]).expect_code(1);
    assert!(!book.exists("public/index.html"));
}

#[test]
fn placement_directives_in_rst_render_the_placement() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let book = Book::empty();
    std::fs::copy(root.join("book.toml"), book.path().join("book.toml")).unwrap();
    common::copy_tree(&root.join("placements"), &book.path().join("placements"));
    book.write(
        "content/index.rst",
        &lines(&[
            "Checkout",
            "========",
            "",
            ".. placement:: post_purchase",
            "",
            ".. placement-fields:: post_purchase",
        ]),
    );
    let run = book.build(&[]);
    run.expect_success();
    assert!(!run.stderr.contains("unknown directive"), "{}", run.stderr);
    let main = book.main_of("index.html");
    assert!(
        main.contains("register_purchase"),
        "the snippet is shown: {main}"
    );
    assert!(
        main.contains("order_number"),
        "the field table is shown: {main}"
    );
}

#[test]
fn glob_toctree_stays_in_its_folder_and_leaves_out_its_own_page() {
    let book = Book::empty();
    book.write("book.toml", BOOK_TOML)
        .write(
            "source/index.rst",
            &lines(&[
                "Home",
                "====",
                "",
                ".. toctree::",
                "   :glob:",
                "",
                "   intro",
                "   *",
                "   api/*",
                "   none/*",
            ]),
        )
        .write("source/intro.rst", "Intro\n=====\n")
        .write("source/zeta.rst", "Zeta\n====\n")
        .write("source/api/b.rst", "API B\n=====\n")
        .write("source/api/a.rst", "API A\n=====\n")
        .write("source/api/deep/c.rst", ":orphan:\n\nDeep C\n======\n");
    let run = book.build(&[]);
    run.expect_success();
    assert_eq!(
        run.headlines(),
        ["warning: toctree pattern `none/*` matches no page"],
        "{}",
        run.stderr
    );
    assert_eq!(run.locations(), ["source/index.rst:10:4"]);

    let main = book.main_of("index.html");
    let linked: Vec<&str> = main
        .split("<a href=\"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .filter(|href| !href.starts_with('#'))
        .collect();
    assert_eq!(
        linked,
        ["intro.html", "zeta.html", "api/a.html", "api/b.html"],
        "{main}"
    );
}

#[test]
fn hints_on_rst_pages_show_rst_syntax() {
    let book = Book::empty();
    book.write("book.toml", BOOK_TOML).write(
        "source/index.rst",
        &lines(&[
            "Home",
            "====",
            "",
            "See :ref:`nowhere` and :ref:`spot`.",
            "",
            ".. _spot:",
            "",
            "Just a paragraph.",
        ]),
    );
    let run = book.build(&[]);
    run.expect_success();
    assert!(
        run.stderr
            .contains("help: define it with `.. _name:` before a section title"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("help: give the reference its own text: :ref:`Text <label>`"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("(name)="), "{}", run.stderr);
    assert!(!run.stderr.contains("{ref}"), "{}", run.stderr);
}
