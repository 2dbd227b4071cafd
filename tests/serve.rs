//! `loopbook serve` as a writer uses it: the real binary on a copy of a book, on a free
//! port of 127.0.0.1, every wait bounded. After each kind of edit the served pages must
//! equal a clean build byte for byte (less the reload script), and only the files whose
//! bytes changed may have been rewritten.
#![cfg(feature = "serve")]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use common::{Book, WAIT, files_under, loopbook, serve::Server};

const SCRIPT_TAG: &str = "<script src=\"/__loopbook/reload.js\" data-root=\"/\"></script>";

/// A small book with a page, an include, a referenced heading, a template override,
/// a static file and a variable.
fn example_book() -> Book {
    let book = Book::empty();
    book.write(
        "book.toml",
        "[book]\ntitle = \"Serve\"\n[build]\nexclude = [\"partials/**\"]\nstatic = [\"_static\"]\n\
         [variables]\nsite_id = \"S-1\"\nintegration_url = \"https://cdn.example.test/l.js\"\n",
    )
    .write("placements/welcome.toml", &welcome_placement("hello"))
    .write(
        "content/placement.md",
        "# Placement\n\n```{placement} welcome\n```\n",
    )
    .write(
        "content/index.md",
        "# Home\n\nSee {ref}`setup`.\n\n```{include} /partials/note.md\n```\n",
    )
    .write(
        "content/guide.md",
        "# Guide\n\n(setup)=\n## Setting up\n\nSteps.\n\n```{include} ../shared/outside.md\n```\n",
    )
    .write("shared/outside.md", "Kept outside the sources.\n")
    .write(
        "content/other.md",
        "# Other\n\nPlain text. Site {{ site_id }}.\n",
    )
    .write("content/partials/note.md", "A shared note.\n")
    .write("content/_static/site.css", "body { color: black; }\n");
    let template = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/templates/page.html"),
    )
    .unwrap();
    book.write("themes/default/templates/page.html", &template);
    book
}

fn welcome_placement(note: &str) -> String {
    format!(
        "name = \"welcome\"\ntitle = \"Welcome\"\ncall = \"greet\"\nsnippet = \"queue\"\n\
         fields = [ {{ name = \"note\", type = \"string\", required = true, \
         description = \"A note.\" }} ]\n[example]\nnote = \"{note}\"\n"
    )
}

type Snapshot = BTreeMap<String, (Vec<u8>, SystemTime)>;

fn snapshot(book: &Book) -> Snapshot {
    files_under(&book.path().join("public"))
        .into_iter()
        .map(|(path, bytes)| {
            let modified = std::fs::metadata(book.path().join("public").join(&path))
                .unwrap()
                .modified()
                .unwrap();
            (path, (bytes, modified))
        })
        .collect()
}

/// Asserts the output equals a clean build, that every file is served as written
/// (HTML with the reload script added), and returns the files whose bytes changed
/// since `before`, checking that no other file was rewritten.
fn check_against_clean_build(book: &Book, server: &Server, before: &Snapshot) -> BTreeSet<String> {
    let clean_dir = tempfile::tempdir().unwrap();
    let clean = clean_dir.path().join("site");
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
    let expected = files_under(&clean);
    let after = snapshot(book);
    let written: BTreeMap<String, Vec<u8>> = after
        .iter()
        .map(|(path, (bytes, _))| (path.clone(), bytes.clone()))
        .collect();
    assert_eq!(
        written.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "the output holds the same files as a clean build"
    );
    for (path, bytes) in &expected {
        assert!(written[path] == *bytes, "{path} differs from a clean build");
        if path.starts_with('.') {
            continue;
        }
        let served = server.get(&format!("/{path}"));
        assert_eq!(served.status, 200, "{path}");
        let mut served_body = served.body;
        if path.ends_with(".html") {
            let text = String::from_utf8(served_body).unwrap();
            assert_eq!(text.matches(SCRIPT_TAG).count(), 1, "{path} has the script");
            served_body = text.replace(SCRIPT_TAG, "").into_bytes();
        }
        assert!(
            served_body == *bytes,
            "{path} is served as a clean build writes it"
        );
    }

    let mut changed = BTreeSet::new();
    for (path, (bytes, modified)) in &after {
        match before.get(path) {
            Some((old, old_modified)) if old == bytes => {
                assert_eq!(
                    modified, old_modified,
                    "{path} was rewritten with the same bytes"
                );
            }
            _ => {
                changed.insert(path.clone());
            }
        }
    }
    changed
}

fn set(paths: &[&str]) -> BTreeSet<String> {
    paths.iter().map(|path| path.to_string()).collect()
}

#[test]
fn each_kind_of_edit_serves_what_a_clean_build_writes_and_rewrites_only_what_changed() {
    let book = example_book();
    let server = Server::start(&book);
    let mut rebuilds = server.rebuilds();
    let mut edit = |describe: &str, change: &dyn Fn(), expected: &[&str]| {
        let before = snapshot(&book);
        // File times are compared: make sure a rewrite would show as a new time.
        std::thread::sleep(Duration::from_millis(20));
        change();
        server.wait_for_rebuilds(rebuilds + 1);
        rebuilds = server.settle();
        assert_eq!(
            server.status()["ok"],
            true,
            "{describe}: the rebuild succeeded"
        );
        let mut changed = check_against_clean_build(&book, &server, &before);
        // The sitemap's times have whole seconds: an edit within the second that the
        // copied fixture was written in may leave it as it was.
        if !expected.contains(&"sitemap.xml") {
            changed.remove("sitemap.xml");
        }
        assert_eq!(changed, set(expected), "{describe}: files rewritten");
    };

    edit(
        "a page",
        &|| {
            book.write(
                "content/other.md",
                "# Other\n\nNew text. Site {{ site_id }}.\n",
            );
        },
        // With the page: its Markdown copy, the search files that hold its words and
        // the manifest naming them, and llms.txt, which quotes its first sentence.
        &[
            "other.html",
            "other.md",
            "llms.txt",
            "search/d/0.js",
            "search/manifest.js",
            "search/t/0.js",
        ],
    );
    edit(
        "an include",
        &|| {
            book.write("content/partials/note.md", "A changed note.\n");
        },
        &[
            "index.html",
            "index.md",
            "search/d/0.js",
            "search/manifest.js",
            "search/t/0.js",
        ],
    );
    edit(
        "an include outside the sources",
        &|| {
            book.write("shared/outside.md", "Changed outside the sources.\n");
        },
        &[
            "guide.html",
            "guide.md",
            "search/d/0.js",
            "search/manifest.js",
            "search/t/0.js",
        ],
    );
    edit(
        "a referenced heading",
        &|| {
            book.write(
                "content/guide.md",
                "# Guide\n\n(setup)=\n## Getting set up\n\nSteps.\n\n\
                 ```{include} ../shared/outside.md\n```\n",
            );
        },
        // The page that refers to the heading takes its new title.
        &[
            "guide.html",
            "guide.md",
            "index.html",
            "index.md",
            "llms.txt",
            "search/d/0.js",
            "search/manifest.js",
            "search/t/0.js",
        ],
    );
    edit(
        "a static file",
        &|| {
            book.write("content/_static/site.css", "body { color: navy; }\n");
        },
        &["_static/site.css"],
    );
    edit(
        "a template",
        &|| {
            let path = "themes/default/templates/page.html";
            let text = book
                .read(path)
                .replace("<article", "<!-- edited -->\n      <article");
            book.write(path, &text);
        },
        &["guide.html", "index.html", "other.html", "placement.html"],
    );
    // A second whole-site rebuild writes into the output the first one replaced.
    edit(
        "the template again",
        &|| {
            let path = "themes/default/templates/page.html";
            let text = book
                .read(path)
                .replace("<!-- edited -->", "<!-- edited twice -->");
            book.write(path, &text);
        },
        &["guide.html", "index.html", "other.html", "placement.html"],
    );
    edit(
        "book.toml",
        &|| {
            let text = book.read("book.toml").replace("S-1", "S-2");
            book.write("book.toml", &text);
        },
        // The site id is in the page's text and in the placement's snippet.
        &[
            "other.html",
            "other.md",
            "placement.html",
            "placement.md",
            "samples/welcome/index.html",
            "llms.txt",
            "search/d/0.js",
            "search/manifest.js",
        ],
    );
    edit(
        "a placement definition",
        &|| {
            book.write("placements/welcome.toml", &welcome_placement("changed"));
        },
        &[
            "placement.html",
            "placement.md",
            "samples/welcome/index.html",
            "samples/welcome/payload.json",
            "search/manifest.js",
            "search/t/0.js",
        ],
    );
    // Folder navigation lists a page in every sidebar (the search page's too); the
    // sitemap, llms.txt and the search index list it.
    let listing_pages = [
        "guide.html",
        "index.html",
        "other.html",
        "placement.html",
        "llms.txt",
        "sitemap.xml",
        "search/index.html",
        "search/d/0.js",
        "search/manifest.js",
        "search/t/0.js",
    ];
    edit(
        "a new page",
        &|| {
            book.write("content/zebra.md", "# Zebra\n\nStripes.\n");
        },
        &[&listing_pages[..], &["zebra.html", "zebra.md"]].concat(),
    );
    edit(
        "a page removed",
        &|| std::fs::remove_file(book.path().join("content/zebra.md")).unwrap(),
        // The page's own two files are gone, as from the clean build compared with.
        &listing_pages,
    );
}

#[test]
fn an_atomic_save_and_a_burst_of_500_writes_each_give_one_rebuild() {
    let book = example_book();
    let server = Server::start(&book);
    let start = server.rebuilds();

    // How editors save: write a temporary file beside the page, rename it over the page.
    let temporary = book.path().join("content/.other.md.tmp-save");
    std::fs::write(&temporary, "# Other\n\nSaved atomically.\n").unwrap();
    std::fs::rename(&temporary, book.path().join("content/other.md")).unwrap();
    server.wait_for_rebuilds(start + 1);
    let page = String::from_utf8(server.get("/other.html").body).unwrap();
    assert!(page.contains("Saved atomically."));

    for index in 0..500 {
        book.write(
            &format!("content/many/page-{index:03}.md"),
            &format!("# Page {index}\n\nText.\n"),
        );
    }
    server.wait_for_rebuilds(start + 2);
    assert_eq!(server.get("/many/page-499.html").status, 200);
    // Nothing else is coming: the count must stay where it is.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        server.rebuilds(),
        start + 2,
        "one rebuild per save, one for the burst"
    );
}

/// Reads the event stream until an event named `name` arrives.
fn wait_for_event(port: u16, name: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    write!(
        stream,
        "GET /__loopbook/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let reader = BufReader::new(stream);
    let mut current = String::new();
    for line in reader.lines() {
        let line = line.expect("the event stream stays open");
        if let Some(event) = line.strip_prefix("event: ") {
            current = event.to_string();
        } else if let Some(data) = line.strip_prefix("data: ")
            && current == name
        {
            return data.to_string();
        }
    }
    panic!("the stream ended before a `{name}` event");
}

#[test]
fn an_output_folder_deleted_while_serving_is_written_whole_at_the_next_edit() {
    let book = example_book();
    let server = Server::start(&book);
    let start = server.rebuilds();

    std::fs::remove_dir_all(book.path().join("public")).unwrap();
    book.write("content/other.md", "# Other\n\nWritten again.\n");
    server.wait_for_rebuilds(start + 1);
    server.settle();

    let now = snapshot(&book);
    assert!(now.contains_key("guide.html"), "an unchanged page is back");
    check_against_clean_build(&book, &server, &now);
}

#[test]
fn a_broken_page_shows_problems_and_keeps_the_last_good_page() {
    let book = example_book();
    let server = Server::start(&book);
    let start = server.rebuilds();
    let good = server.get("/other.html").body;

    book.write(
        "content/other.md",
        "# Other\n\n```{include} missing.md\n```\n",
    );
    server.wait_for_rebuilds(start + 1);
    assert_eq!(server.status()["ok"], false);
    assert!(
        server.get("/other.html").body == good,
        "the last good page is served"
    );
    let problems = wait_for_event(server.port, "problems");
    assert!(problems.contains("content/other.md:3:1"), "{problems}");
    assert!(problems.contains("missing.md"), "{problems}");

    book.write("content/other.md", "# Other\n\nFixed.\n");
    server.wait_for_rebuilds(start + 2);
    assert_eq!(server.status()["ok"], true);
    let fixed = String::from_utf8(server.get("/other.html").body).unwrap();
    assert!(fixed.contains("Fixed."));
}

/// The summary lines `serve` has printed so far (after its build's diagnostics).
fn summary_lines(log: &Path, wanted: usize) -> Vec<String> {
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<String> = text
            .lines()
            .filter(|line| line.contains(" page") && line.contains(" in "))
            .map(str::to_string)
            .collect();
        if lines.len() >= wanted {
            return lines;
        }
        assert!(started.elapsed() < WAIT, "{wanted} summary lines in {text}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn serve_summarizes_each_build_as_build_does() {
    let book = Book::empty();
    book.write("book.toml", "[book]\ntitle = \"T\"\n")
        .write("content/index.md", "# Home\n\nSee {ref}`nowhere`.\n");
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("serve.log");
    let server = Server::start_logging(&book, &log);
    let first = &summary_lines(&log, 1)[0];
    assert!(first.starts_with("Built 1 page, 1 warning in "), "{first}");

    let start = server.rebuilds();
    book.write("content/other.md", "# Other\n");
    server.wait_for_rebuilds(start + 1);
    let second = &summary_lines(&log, 2)[1];
    assert!(
        second.starts_with("Rebuilt 2 pages, 1 warning in "),
        "{second}"
    );

    book.write("content/other.md", "# Other\n\nMore.\n");
    server.wait_for_rebuilds(start + 2);
    let third = &summary_lines(&log, 3)[2];
    let kept = "Rebuilt 2 pages (1 rendered, 1 unchanged), 1 warning in ";
    assert!(third.starts_with(kept), "{third}");

    let broken = "# Other\n\n```{include} missing.md\n```\n";
    book.write("content/other.md", broken);
    server.wait_for_rebuilds(start + 3);
    let fourth = &summary_lines(&log, 4)[3];
    let failed = "Failed to build 2 pages, 1 error, 1 warning in ";
    assert!(fourth.starts_with(failed), "{fourth}");
    let kept_serving = "; still serving the last good pages";
    assert!(fourth.ends_with(kept_serving), "{fourth}");
}

#[test]
fn serving_follows_static_host_rules_and_never_leaves_the_output() {
    let book = example_book();
    book.write("outside.txt", "SECRET-OUTSIDE");
    let server = Server::start(&book);
    std::os::unix::fs::symlink(
        book.path().join("outside.txt"),
        book.path().join("public/escape.txt"),
    )
    .unwrap();

    for attempt in [
        "/../outside.txt",
        "/%2e%2e/outside.txt",
        "/%2E%2E%2Foutside.txt",
        "/%252e%252e/outside.txt",
        "/_static/..%2f..%2foutside.txt",
        "/escape.txt",
        "/..%5coutside.txt",
    ] {
        let response = server.get(attempt);
        assert_eq!(response.status, 404, "{attempt}");
        let body = String::from_utf8_lossy(&response.body);
        assert!(
            !body.contains("SECRET-OUTSIDE"),
            "{attempt} leaked the file"
        );
        assert!(
            body.contains("Page not found"),
            "{attempt} gets the site's 404 page"
        );
    }

    let page = server.get("/guide.html");
    assert!(
        page.headers
            .contains("content-type: text/html; charset=utf-8")
    );
    let css = server.get("/_static/site.css");
    assert!(css.headers.contains("content-type: text/css"));
    assert_eq!(server.get("/").status, 200);
    let folder = server.get("/_static");
    assert_eq!(
        folder.status, 404,
        "a folder without an index is not listed"
    );
    let missing = server.get("/no/such/page.html");
    assert_eq!(missing.status, 404);
}

#[test]
fn a_busy_port_is_refused_with_a_clear_message() {
    let book = example_book();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let run = loopbook(
        &[
            "--color",
            "never",
            "serve",
            "--port",
            &port,
            book.path().to_str().unwrap(),
        ],
        book.path(),
    );
    run.expect_code(2);
    assert!(
        run.stderr
            .contains(&format!("port {port} on 127.0.0.1 is already in use")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--port"), "{}", run.stderr);
}

#[test]
fn ctrl_c_or_sigterm_stops_cleanly_and_leaves_a_cache_for_the_next_build() {
    for signal in ["-INT", "-TERM"] {
        let book = example_book();
        let mut server = Server::start(&book);
        let start = server.rebuilds();
        book.write("content/other.md", "# Other\n\nBefore stopping.\n");
        server.wait_for_rebuilds(start + 1);
        // A whole-site rebuild, which keeps the output it replaced for the next one.
        let template = "themes/default/templates/page.html";
        let text = book
            .read(template)
            .replace("<article", "<!-- edited -->\n<article");
        book.write(template, &text);
        server.wait_for_rebuilds(start + 2);
        let status = Command::new("kill")
            .args([signal, &server.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let started = Instant::now();
        let exit = loop {
            if let Some(exit) = server.child.try_wait().unwrap() {
                break exit;
            }
            assert!(started.elapsed() < WAIT, "serve did not stop on {signal}");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(exit.success(), "{signal}: {exit:?}");
        let leftovers: Vec<String> = std::fs::read_dir(book.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            // The cache file stays; staging, old and spare outputs go.
            .filter(|name| name.contains(".loopbook-") && !name.ends_with(".loopbook-cache"))
            .collect();
        assert!(leftovers.is_empty(), "{signal}: {leftovers:?}");

        let next = book.build(&[]);
        next.expect_success();
        assert!(
            next.stderr.contains("(0 rendered"),
            "{signal}: {}",
            next.stderr
        );
    }
}

#[test]
fn polling_sees_edits_too() {
    let book = example_book();
    let server = common::serve::Server::start_with(&book, &["--poll"]);
    let start = server.rebuilds();
    book.write("content/other.md", "# Other\n\nPolled.\n");
    server.wait_for_rebuilds(start + 1);
    let page = String::from_utf8(server.get("/other.html").body).unwrap();
    assert!(page.contains("Polled."));
}
