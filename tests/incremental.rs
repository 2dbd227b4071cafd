//! `loopbook build` with the cache file beside the output: after a change it renders
//! only what the change affects, and writes exactly what a clean build writes. A cache
//! that is corrupt, stale or contradicted by the output folder is not trusted.

mod common;

use common::{Book, files_under, loopbook};

fn clean_build(book: &Book) -> std::collections::BTreeMap<String, Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("site");
    loopbook(
        &[
            "--color",
            "never",
            "build",
            "--no-cache",
            "--dest-dir",
            clean.to_str().unwrap(),
            book.path().to_str().unwrap(),
        ],
        book.path(),
    )
    .expect_success();
    files_under(&clean)
}

/// The "(N rendered, M unchanged)" part of the summary line, if present.
fn rendered(stderr: &str) -> Option<usize> {
    let start = stderr.find(" (")? + 2;
    let end = stderr[start..].find(" rendered")? + start;
    stderr[start..end].parse().ok()
}

fn cache_file(book: &Book) -> std::path::PathBuf {
    book.path().join(".public.loopbook-cache")
}

#[test]
fn a_cached_build_renders_only_the_changed_page_and_matches_a_clean_build() {
    let book = Book::fixture("features");
    book.build(&[]).expect_success();
    assert!(
        cache_file(&book).is_file(),
        "the cache sits beside the output"
    );
    assert!(!book.exists("public/.public.loopbook-cache"));

    let unchanged = book.build(&[]);
    unchanged.expect_success();
    assert_eq!(rendered(&unchanged.stderr), Some(0), "{}", unchanged.stderr);

    let guide = book
        .read("content/guide.md")
        .replace("Steps.", "Different steps.");
    book.write("content/guide.md", &guide);
    let run = book.build(&[]);
    run.expect_success();
    assert_eq!(rendered(&run.stderr), Some(1), "{}", run.stderr);
    assert_eq!(book.output_files(), clean_build(&book));
}

#[test]
fn a_changed_heading_rerenders_the_pages_that_reference_it() {
    let book = Book::empty();
    book.write("book.toml", "[book]\ntitle = \"T\"\n")
        .write("content/index.md", "# Home\n\nSee {ref}`setup`.\n")
        .write("content/guide.md", "# Guide\n\n(setup)=\n## Setting up\n")
        .write("content/other.md", "# Other\n");
    book.build(&[]).expect_success();
    book.write(
        "content/guide.md",
        "# Guide\n\n(setup)=\n## Getting set up\n",
    );
    let run = book.build(&[]);
    run.expect_success();
    assert_eq!(rendered(&run.stderr), Some(2), "{}", run.stderr);
    assert!(book.read("public/index.html").contains("Getting set up"));
    assert_eq!(book.output_files(), clean_build(&book));
}

#[test]
fn a_corrupt_or_stale_cache_is_ignored() {
    let book = Book::fixture("features");
    book.build(&[]).expect_success();

    std::fs::write(cache_file(&book), "{ not json").unwrap();
    let run = book.build(&[]);
    run.expect_success();
    assert_eq!(rendered(&run.stderr), None, "a full build: {}", run.stderr);

    // The cache names the loopbook that wrote it; another version's cache (the same
    // length here, so only the version differs) is not trusted.
    let mut bytes = std::fs::read(cache_file(&book)).unwrap();
    let version = env!("CARGO_PKG_VERSION").as_bytes();
    let at = bytes
        .windows(version.len())
        .position(|window| window == version)
        .expect("the cache names its loopbook version");
    let other: Vec<u8> = version
        .iter()
        .map(|byte| if byte.is_ascii_digit() { b'9' } else { *byte })
        .collect();
    bytes[at..at + version.len()].copy_from_slice(&other);
    std::fs::write(cache_file(&book), with_checksum_renewed(bytes)).unwrap();
    let run = book.build(&[]);
    run.expect_success();
    assert_eq!(rendered(&run.stderr), None, "a full build: {}", run.stderr);
    assert_eq!(book.output_files(), clean_build(&book));

    // A letter changed in the middle still decodes: the records would name the page
    // "Evdry feature" in the sidebar, llms.txt and search, but the checksum refuses it.
    let mut bytes = std::fs::read(cache_file(&book)).unwrap();
    let title = b"Every feature";
    let at = bytes
        .windows(title.len())
        .position(|window| window == title)
        .expect("the cache holds the page title");
    bytes[at + 2] = b'd';
    std::fs::write(cache_file(&book), bytes).unwrap();
    let run = book.build(&[]);
    run.expect_success();
    assert_eq!(rendered(&run.stderr), None, "a full build: {}", run.stderr);
    let llms = book.read("public/llms.txt");
    assert!(!llms.contains("Evdry"), "{llms}");
    assert_eq!(book.output_files(), clean_build(&book));
}

/// The cache file with its leading checksum (xxh3 of the rest) made right again, as
/// a loopbook of another version would have written it.
fn with_checksum_renewed(mut bytes: Vec<u8>) -> Vec<u8> {
    let checksum = xxhash_rust::xxh3::xxh3_64(&bytes[8..]);
    bytes[..8].copy_from_slice(&checksum.to_le_bytes());
    bytes
}

#[test]
fn an_output_file_changed_by_hand_is_rendered_again() {
    let book = Book::fixture("features");
    book.build(&[]).expect_success();
    let page = book.path().join("public/guide.html");
    std::fs::write(&page, "tampered").unwrap();
    let run = book.build(&[]);
    run.expect_success();
    assert_eq!(rendered(&run.stderr), Some(1), "{}", run.stderr);
    assert_eq!(book.output_files(), clean_build(&book));
}

#[test]
fn an_interrupted_update_makes_the_next_build_a_full_one() {
    let book = Book::fixture("features");
    book.build(&[]).expect_success();
    // What a build killed while renaming files into place leaves beside the output.
    let journal = book.path().join(".public.loopbook-journal");
    std::fs::write(&journal, "guide.html\n").unwrap();
    std::fs::write(book.path().join("public/guide.html"), "half").unwrap();

    let run = book.build(&[]);
    run.expect_success();
    assert_eq!(rendered(&run.stderr), None, "a full build: {}", run.stderr);
    assert!(!journal.exists());
    assert_eq!(book.output_files(), clean_build(&book));
}

#[test]
fn a_changed_template_or_book_toml_renders_every_page_again() {
    let book = Book::fixture("features");
    let template = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/templates/page.html"),
    )
    .unwrap();
    book.write("themes/default/templates/page.html", &template);
    book.build(&[]).expect_success();

    let edited = template.replace("<article", "<!-- edited -->\n      <article");
    book.write("themes/default/templates/page.html", &edited);
    let run = book.build(&[]);
    run.expect_success();
    assert_eq!(rendered(&run.stderr), None, "every page: {}", run.stderr);
    assert!(book.read("public/guide.html").contains("<!-- edited -->"));
    assert_eq!(book.output_files(), clean_build(&book));

    let config = book.read("book.toml").replace("SITE-42", "SITE-43");
    book.write("book.toml", &config);
    let run = book.build(&[]);
    run.expect_success();
    assert_eq!(rendered(&run.stderr), None, "every page: {}", run.stderr);
    assert_eq!(book.output_files(), clean_build(&book));
}

#[test]
fn a_changed_placement_definition_renders_the_pages_that_show_it() {
    let book = Book::empty();
    let definition = |note: &str| {
        format!(
            "name = \"welcome\"\ntitle = \"Welcome\"\ncall = \"greet\"\nsnippet = \"queue\"\n\
             fields = [ {{ name = \"note\", type = \"string\", required = true, \
             description = \"A note.\" }} ]\n[example]\nnote = \"{note}\"\n"
        )
    };
    book.write(
        "book.toml",
        "[variables]\nsite_id = \"S\"\nintegration_url = \"https://cdn.example.test/l.js\"\n",
    )
    .write("placements/welcome.toml", &definition("first"))
    .write(
        "content/index.md",
        "# Home\n\n```{placement} welcome\n```\n",
    )
    .write("content/other.md", "# Other\n");
    book.build(&[]).expect_success();

    book.write("placements/welcome.toml", &definition("second"));
    let run = book.build(&[]);
    run.expect_success();
    assert_eq!(rendered(&run.stderr), Some(1), "{}", run.stderr);
    assert!(book.read("public/index.html").contains("second"));
    assert_eq!(book.output_files(), clean_build(&book));
}
