//! `loopbook check` on real folders: every problem at its file and line, in both output
//! formats, with the exit code CI relies on, and nothing written.

mod common;

use std::path::Path;

use common::{Book, copy_tree, loopbook};

fn check(book: &Book, extra: &[&str]) -> common::Run {
    let mut args = vec!["--color", "never", "check"];
    args.extend_from_slice(extra);
    let dir = book.path().to_str().unwrap().to_string();
    args.push(&dir);
    loopbook(&args, book.path())
}

/// `(file, line, code)` of each JSON record printed.
fn records(stdout: &str) -> Vec<(String, u64, String)> {
    stdout
        .lines()
        .map(|line| {
            let record: serde_json::Value =
                serde_json::from_str(line).expect("one JSON object a line");
            (
                record["file"].as_str().unwrap_or("").to_string(),
                record["line"].as_u64().unwrap_or(0),
                record["code"]
                    .as_str()
                    .expect("every diagnostic has a code")
                    .to_string(),
            )
        })
        .collect()
}

#[test]
fn check_reports_each_problem_at_its_file_and_line() {
    let book = Book::fixture("check-problems");
    let run = check(&book, &[]);
    run.expect_code(1);
    insta::assert_snapshot!("check_problems_human", run.stderr);
    assert!(!book.exists("public"), "check writes nothing");
}

#[test]
fn check_json_is_one_record_per_problem_with_a_stable_code() {
    let book = Book::fixture("check-problems");
    let run = check(&book, &["--format", "json"]);
    run.expect_code(1);
    insta::assert_snapshot!("check_problems_json", run.stdout);

    let found = records(&run.stdout);
    let expected = [
        ("book.toml", 11, "invalid-redirect"),
        ("content/extra/legacy.html", 3, "broken-link"),
        ("content/index.md", 3, "duplicate-label"),
        ("content/index.md", 6, "broken-anchor"),
        ("content/index.md", 8, "link-not-a-page"),
        ("content/index.md", 8, "unresolved-reference"),
        ("content/index.md", 10, "broken-link"),
        ("content/index.md", 11, "missing-file"),
        ("content/index.md", 13, "missing-image"),
        ("content/index.md", 15, "missing-include"),
        ("content/index.md", 18, "unknown-directive"),
        ("content/orphan.md", 1, "not-in-navigation"),
        ("content/partials/links.md", 1, "broken-anchor"),
        ("placements/newsletter.toml", 2, "placement-not-shown"),
        ("themes/custom/templates/page.html", 24, "broken-link"),
    ];
    let expected: Vec<(String, u64, String)> = expected
        .iter()
        .map(|(file, line, code)| (file.to_string(), *line, code.to_string()))
        .collect();
    assert_eq!(found, expected);
    for line in run.stdout.lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in [
            "file", "line", "column", "severity", "code", "message", "hint",
        ] {
            assert!(record.get(key).is_some(), "`{key}` in {line}");
        }
    }
}

#[test]
fn warnings_fail_the_check_only_with_strict() {
    let book = Book::empty();
    book.write("book.toml", "[book]\ntitle = \"T\"\n").write(
        "content/index.md",
        "# Home\n\n<a href=\"#nowhere\">here</a>\n",
    );
    let run = check(&book, &[]);
    run.expect_success();
    assert!(
        run.stderr.contains("warning[broken-anchor]"),
        "{}",
        run.stderr
    );
    let summary = run.stderr.lines().last().unwrap();
    assert!(summary.starts_with("Checked 1 page and "), "{summary}");
    assert!(summary.ends_with(" links: 1 warning"), "{summary}");

    let strict = check(&book, &["--strict"]);
    strict.expect_code(1);
    assert!(
        strict.stderr.contains("error[broken-anchor]"),
        "{}",
        strict.stderr
    );
}

#[test]
fn the_example_site_and_the_publish_fixture_check_clean() {
    let example = Book::empty();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(root.join("book.toml"), example.path().join("book.toml")).unwrap();
    for folder in ["content", "placements"] {
        copy_tree(&root.join(folder), &example.path().join(folder));
    }
    for book in [example, Book::fixture("publish")] {
        let run = check(&book, &["--strict"]);
        run.expect_success();
        assert!(run.stderr.contains(": no problems"), "{}", run.stderr);
    }
}

#[test]
fn check_without_a_book_is_bad_usage() {
    let book = Book::empty();
    check(&book, &[]).expect_code(2);
    check(&book, &["--format", "yaml"]).expect_code(2);
}

#[test]
fn check_json_reports_a_broken_book_toml_as_records() {
    let book = Book::empty();
    book.write(
        "book.toml",
        "[book]\nfoo = 1\nbar = 2\n[build]\nbuild-dri = \"out\"\n",
    )
    .write("content/index.md", "# Home\n");
    let run = check(&book, &["--format", "json"]);
    run.expect_code(2);
    assert_eq!(
        records(&run.stdout),
        [
            ("book.toml".to_string(), 2, "unknown-key".to_string()),
            ("book.toml".to_string(), 3, "unknown-key".to_string()),
            ("book.toml".to_string(), 5, "unknown-key".to_string()),
        ],
        "{}",
        run.stdout
    );
    let last: serde_json::Value = serde_json::from_str(run.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["column"], 1);
    assert_eq!(last["severity"], "error");
    assert_eq!(last["message"], "unknown key `build-dri` in book.toml");
    assert_eq!(last["hint"], "did you mean `build-dir`?");

    book.write("book.toml", "[book\n");
    let syntax = check(&book, &["--format", "json"]);
    syntax.expect_code(2);
    let found = records(&syntax.stdout);
    assert_eq!(
        found,
        [("book.toml".to_string(), 1, "invalid-config".to_string())]
    );

    let missing = check(&Book::empty(), &["--format", "json"]);
    missing.expect_code(2);
    let record: serde_json::Value = serde_json::from_str(missing.stdout.trim()).unwrap();
    assert_eq!(record["code"], "missing-config", "{}", missing.stdout);
    assert_eq!(record["file"], serde_json::Value::Null);
}

/// A real Sphinx tree: its only problems are the two includes of a partial that is not
/// in this snapshot (`standalone.rst`, lines 16 and 101), and nothing else may be
/// reported. In reStructuredText a missing include is a warning, as in Sphinx, so
/// the check passes unless `--strict` is given.
#[test]
fn talkable_corpus_reports_only_its_two_missing_includes() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/talkable-2015");
    let book = Book::empty();
    copy_tree(&corpus, book.path());
    check(&book, &["--strict"]).expect_code(1);
    let run = check(&book, &["--format", "json"]);
    run.expect_code(0);
    let expected = [16, 101].map(|line| {
        (
            "source/standalone.rst".to_string(),
            line,
            "missing-include".to_string(),
        )
    });
    assert_eq!(records(&run.stdout), expected, "{}", run.stdout);
}

#[test]
fn check_reports_files_two_producers_would_write() {
    let book = Book::empty();
    book.write(
        "book.toml",
        "[book]\ntitle = \"T\"\n\n[build]\nstatic = [\"theme\", \"_static\"]\n",
    )
    .write("content/index.md", "# Home\n")
    .write("content/404.md", "# Lost\n")
    .write("content/theme/loopbook.css", "body {}");
    let run = check(&book, &["--format", "json"]);
    run.expect_code(1);
    let found = records(&run.stdout);
    let expected = [
        ("book.toml", 5, "duplicate-output"),
        ("book.toml", 5, "missing-static"),
        ("content/404.md", 1, "duplicate-output"),
    ];
    let expected: Vec<(String, u64, String)> = expected
        .iter()
        .map(|(file, line, code)| (file.to_string(), *line, code.to_string()))
        .collect();
    assert_eq!(found, expected, "{}", run.stdout);
    assert!(!book.exists("public"));
}
