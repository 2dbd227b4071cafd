//! What `public/` holds for a static host, checked on a fixture site in every base-URL
//! and URL style: every link of every page leads to a file of the output (anchors
//! included), and the sitemap, robots.txt, 404 page, redirects, llms.txt, Markdown
//! copies, search index and GitHub Pages files are all there and point where they
//! should.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::Book;

/// One way of publishing the fixture.
#[derive(Clone, Copy, Debug)]
struct Style {
    base_url: &'static str,
    pretty: bool,
}

impl Style {
    fn is_absolute(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    /// The path part of the base URL (`/docs/`).
    fn base_path(&self) -> &'static str {
        match self.base_url.strip_prefix("https://") {
            Some(rest) => &rest[rest.find('/').unwrap()..],
            None => self.base_url,
        }
    }

    /// What addresses of the site start with in sitemaps and robots.txt.
    fn address(&self) -> &'static str {
        if self.is_absolute() {
            self.base_url
        } else {
            self.base_path()
        }
    }
}

const STYLES: [Style; 6] = [
    Style {
        base_url: "/",
        pretty: false,
    },
    Style {
        base_url: "/",
        pretty: true,
    },
    Style {
        base_url: "/docs/",
        pretty: false,
    },
    Style {
        base_url: "/docs/",
        pretty: true,
    },
    Style {
        base_url: "https://docs.example.com/docs/",
        pretty: false,
    },
    Style {
        base_url: "https://docs.example.com/docs/",
        pretty: true,
    },
];

/// The publish fixture built in `style`, with its output read into memory.
fn built(style: Style) -> (Book, BTreeMap<String, Vec<u8>>) {
    let book = Book::fixture("publish");
    if style.pretty {
        let toml = book.read("book.toml");
        book.write(
            "book.toml",
            &toml.replace("[build]\n", "[build]\npretty-urls = true\n"),
        );
    }
    book.build(&["--base-url", style.base_url]).expect_success();
    let files = book.output_files();
    (book, files)
}

fn text(files: &BTreeMap<String, Vec<u8>>, path: &str) -> String {
    let bytes = files
        .get(path)
        .unwrap_or_else(|| panic!("{path} is not in the output: {:?}", files.keys()));
    String::from_utf8(bytes.clone()).unwrap()
}

/// Every URL in an HTML file: `href`, `src`, `action` and a refresh's `url=`.
fn urls_in(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in [" href=\"", " src=\"", " action=\"", "content=\"0; url="] {
        let mut rest = html;
        while let Some(start) = rest.find(attribute) {
            rest = &rest[start + attribute.len()..];
            let end = rest.find('"').expect("attribute is closed");
            found.push(rest[..end].replace("&amp;", "&"));
            rest = &rest[end..];
        }
    }
    found
}

/// The ids an HTML file offers as anchors.
fn ids_in(html: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut rest = html;
    while let Some(start) = rest.find(" id=\"") {
        rest = &rest[start + 5..];
        let end = rest.find('"').unwrap();
        ids.insert(rest[..end].to_string());
    }
    ids
}

/// The output file and fragment a URL found in `from` leads to; `None` for another
/// site. Root-relative and absolute URLs must stay under the base URL.
fn destination(style: Style, from: &str, url: &str) -> Option<(String, Option<String>)> {
    let (path, fragment) = match url.split_once('#') {
        Some((path, fragment)) => (path, Some(fragment.to_string())),
        None => (url, None),
    };
    let path = path.split('?').next().unwrap();
    let site_path = if let Some(rest) = path
        .strip_prefix(style.base_url)
        .filter(|_| style.is_absolute())
    {
        rest.to_string()
    } else if path.starts_with("https://") || path.starts_with("mailto:") {
        return None;
    } else if let Some(rooted) = path.strip_prefix('/') {
        let rest = format!("/{rooted}");
        let under = rest
            .strip_prefix(style.base_path())
            .unwrap_or_else(|| panic!("`{url}` in {from} leaves the base URL {}", style.base_url));
        under.to_string()
    } else if path.is_empty() {
        from.to_string()
    } else {
        let mut parts: Vec<&str> = from.split('/').collect();
        parts.pop();
        for part in path.split('/') {
            match part {
                ".." => {
                    assert!(
                        parts.pop().is_some(),
                        "`{url}` in {from} climbs out of the site"
                    );
                }
                "." | "" => {}
                part => parts.push(part),
            }
        }
        let mut joined = parts.join("/");
        if path.ends_with('/') {
            joined.push('/');
        }
        joined
    };
    let file = if site_path.is_empty() || site_path.ends_with('/') {
        format!("{site_path}index.html")
    } else {
        site_path
    };
    Some((file, fragment.filter(|fragment| !fragment.is_empty())))
}

#[test]
fn every_link_of_every_page_resolves_in_every_base_url_and_url_style() {
    for style in STYLES {
        let (_book, files) = built(style);
        let mut followed = 0;
        for (path, bytes) in files.iter().filter(|(path, _)| path.ends_with(".html")) {
            let html = String::from_utf8_lossy(bytes);
            for url in urls_in(&html) {
                let Some((target, fragment)) = destination(style, path, &url) else {
                    continue;
                };
                followed += 1;
                assert!(
                    files.contains_key(&target),
                    "{style:?}: `{url}` in {path} leads to {target}, which is not in the output"
                );
                if let Some(fragment) = fragment {
                    let ids = ids_in(&text(&files, &target));
                    assert!(
                        ids.contains(&fragment),
                        "{style:?}: `{url}` in {path}: {target} has no id `{fragment}`"
                    );
                }
            }
        }
        assert!(followed >= 90, "{style:?}: only {followed} links followed");
    }
}

#[test]
fn pages_and_their_markdown_copies_are_where_the_url_style_puts_them() {
    for style in STYLES {
        let (_book, files) = built(style);
        let setup = if style.pretty {
            "guide/setup/index.html"
        } else {
            "guide/setup.html"
        };
        for page in [
            "index.html",
            "guide/index.html",
            setup,
            "reference/api.html",
        ] {
            let page = if style.pretty && page == "reference/api.html" {
                "reference/api/index.html"
            } else {
                page
            };
            assert!(files.contains_key(page), "{style:?}: {page}");
        }
        for copy in [
            "index.md",
            "guide/index.md",
            "guide/setup.md",
            "reference/api.md",
        ] {
            assert!(files.contains_key(copy), "{style:?}: {copy}");
        }

        // The copy has the variables filled in and links that lead to the other copies.
        let copy = text(&files, "guide/setup.md");
        assert!(copy.starts_with("# Setting up\n"), "{copy}");
        assert!(copy.contains("data-site=\"PUB-7\""), "{copy}");
        assert!(copy.contains("[authentication rules](../reference/api.md#authentication)"));
        assert!(copy.contains("[back to the start](../index.md)"), "{copy}");
        assert!(
            copy.contains("![The flow again](../img/flow.svg)"),
            "{copy}"
        );
        for (path, bytes) in files.iter().filter(|(path, _)| path.ends_with(".md")) {
            let markdown = String::from_utf8_lossy(bytes);
            for link in markdown.split("](").skip(1) {
                let url = &link[..link.find(')').unwrap()];
                if let Some((target, _)) = destination(style, path, url) {
                    assert!(files.contains_key(&target), "{style:?}: `{url}` in {path}");
                }
            }
        }
    }
}

#[test]
fn sitemap_lists_every_page_under_the_base_url_with_its_modification_time() {
    for style in STYLES {
        let (book, files) = built(style);
        let sitemap = text(&files, "sitemap.xml");
        assert!(sitemap.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset"));
        let locations: Vec<&str> = sitemap
            .split("<loc>")
            .skip(1)
            .map(|rest| &rest[..rest.find("</loc>").unwrap()])
            .collect();
        let guide = if style.pretty {
            "guide/setup/"
        } else {
            "guide/setup.html"
        };
        let api = if style.pretty {
            "reference/api/"
        } else {
            "reference/api.html"
        };
        let address = style.address();
        let expected: Vec<String> = ["", "guide/", guide, api]
            .iter()
            .map(|path| format!("{address}{path}"))
            .collect();
        let mut sorted_expected = expected.clone();
        sorted_expected.sort_by_key(|url| url.replace(address, ""));
        let mut found: Vec<String> = locations.iter().map(|l| l.to_string()).collect();
        found.sort_by_key(|url| url.replace(address, ""));
        assert_eq!(found, sorted_expected, "{style:?}");
        for location in &locations {
            let (target, _) = destination(style, "sitemap.xml", location).unwrap();
            assert!(files.contains_key(&target), "{style:?}: {location}");
        }
        assert_eq!(sitemap.matches("<lastmod>").count(), 4);
        let lastmod = &sitemap[sitemap.find("<lastmod>").unwrap() + 9..][..20];
        assert!(
            lastmod.ends_with('Z') && lastmod.as_bytes()[10] == b'T',
            "{lastmod}"
        );

        // Nothing changed, so a second build writes the same sitemap.
        book.build(&["--base-url", style.base_url]).expect_success();
        assert_eq!(book.read("public/sitemap.xml"), sitemap);
    }
}

#[test]
fn robots_points_at_the_sitemap_and_github_pages_files_are_written() {
    for style in STYLES {
        let (_book, files) = built(style);
        let robots = text(&files, "robots.txt");
        assert!(robots.starts_with("User-agent: *\nDisallow:\n"), "{robots}");
        let sitemap_line = format!("Sitemap: {}sitemap.xml\n", style.address());
        assert!(robots.ends_with(&sitemap_line), "{style:?}: {robots}");
        assert_eq!(text(&files, "CNAME"), "docs.example.com\n");
        assert!(files.contains_key(".nojekyll"));
    }
}

#[test]
fn not_found_page_links_absolutely_under_the_base_url() {
    for style in STYLES {
        let (_book, files) = built(style);
        let html = text(&files, "404.html");
        for asset in [
            "theme/loopbook.css",
            "theme/search.js",
            "index.html",
            "search/index.html",
        ] {
            let absolute = format!("=\"{}{asset}", style.base_url);
            assert!(
                html.contains(&absolute),
                "{style:?}: 404.html lacks {absolute}"
            );
        }
        assert!(!html.contains("href=\"../"), "{style:?}: no relative links");
    }
}

#[test]
fn canonical_links_appear_only_with_an_absolute_base_url() {
    for style in STYLES {
        let (_book, files) = built(style);
        let page = if style.pretty {
            "guide/setup/index.html"
        } else {
            "guide/setup.html"
        };
        let html = text(&files, page);
        if style.is_absolute() {
            let public = if style.pretty {
                "guide/setup/"
            } else {
                "guide/setup.html"
            };
            let expected = format!(
                "<link rel=\"canonical\" href=\"{}{public}\">",
                style.base_url
            );
            assert!(html.contains(&expected), "{style:?}: {expected}");
            assert!(text(&files, "index.html").contains(&format!(
                "<link rel=\"canonical\" href=\"{}\">",
                style.base_url
            )));
        } else {
            assert!(!html.contains("rel=\"canonical\""), "{style:?}");
        }
    }
}

#[test]
fn redirects_are_pages_and_a_redirects_file() {
    for style in STYLES {
        let (_book, files) = built(style);
        let old = text(&files, "old/setup.html");
        let setup_path = if style.pretty {
            "guide/setup/index.html"
        } else {
            "guide/setup.html"
        };
        let refresh = format!("content=\"0; url=../{setup_path}\"");
        assert!(old.contains(&refresh), "{style:?}: {old}");
        assert!(old.contains(&format!("href=\"../{setup_path}\">Setting up</a>")));
        assert!(old.contains("<link rel=\"canonical\""));
        assert!(text(&files, "moved/index.html").contains("url=../guide/index.html\""));
        let api = if style.pretty {
            "reference/api/index.html"
        } else {
            "reference/api.html"
        };
        assert!(text(&files, "legacy-api.html").contains(&format!("url={api}#authentication\"")));

        let base = style.base_path();
        let (setup_public, api_public) = if style.pretty {
            ("guide/setup/", "reference/api/")
        } else {
            ("guide/setup.html", "reference/api.html")
        };
        let expected = format!(
            "{base}legacy-api.html {base}{api_public}#authentication 301\n\
             {base}moved/ {base}guide/ 301\n\
             {base}old/setup.html {base}{setup_public} 301\n"
        );
        let redirects = text(&files, "_redirects");
        assert!(redirects.ends_with(&expected), "{style:?}:\n{redirects}");
    }
}

#[test]
fn redirect_to_no_page_and_redirect_over_a_page_are_errors_at_their_lines() {
    let book = Book::fixture("publish");
    let toml = book.read("book.toml");
    book.write(
        "book.toml",
        &format!(
            "{toml}\"gone.html\" = \"guide/nowhere.html\"\n\"index.html\" = \"guide/setup.html\"\n"
        ),
    );
    let run = book.build(&[]);
    run.expect_code(1);
    assert_eq!(
        run.headlines(),
        [
            "error: redirect target `guide/nowhere.html` is not a page of this site",
            "error: redirect from `index.html` would replace `index.html`, which the site writes"
        ]
    );
    assert_eq!(run.locations(), ["book.toml:16:1", "book.toml:17:1"]);
    assert!(
        run.stderr
            .contains("help: did you mean `guide/index.html`?"),
        "{}",
        run.stderr
    );
    assert!(!book.exists("public"));
}

#[test]
fn llms_txt_lists_every_page_by_navigation_section() {
    for style in STYLES {
        let (_book, files) = built(style);
        let llms = text(&files, "llms.txt");
        let prefix = if style.is_absolute() {
            style.base_url
        } else {
            ""
        };
        let expected = format!(
            "# Publish Fixture\n\n\
             > A small site whose published output the tests walk.\n\n\
             ## Welcome\n\n\
             - [Welcome]({prefix}index.md): The start page links to setting up, to the \
             authentication section and to a step on the same page.\n\n\
             ## Guide\n\n\
             - [The guide]({prefix}guide/index.md): Start with setting up, then read the API.\n\
             - [Setting up]({prefix}guide/setup.md): Install the loader and check that it runs.\n\n\
             ## Reference\n\n\
             - [API]({prefix}reference/api.md): Every request carries a key.\n"
        );
        assert_eq!(llms, expected, "{style:?}");
    }
}

#[test]
fn llms_txt_summary_without_a_description_is_the_root_pages_first_sentence() {
    let book = Book::empty();
    book.write("book.toml", "[book]\ntitle = \"T\"\n")
        .write(
            "content/about.md",
            "# About\n\nThe about page sorts first of all.\n",
        )
        .write(
            "content/index.md",
            "# Home\n\nThe home page says what the site is.\n",
        );
    book.build(&[]).expect_success();
    let llms = book.read("public/llms.txt");
    assert!(
        llms.starts_with("# T\n\n> The home page says what the site is.\n"),
        "{llms}"
    );

    // Without a root page no page speaks for the site.
    std::fs::remove_file(book.path().join("content/index.md")).unwrap();
    book.build(&[]).expect_success();
    let llms = book.read("public/llms.txt");
    assert!(
        llms.starts_with("# T\n\n> T: 1 page of documentation.\n"),
        "{llms}"
    );
}

#[test]
fn search_index_files_named_by_the_manifest_are_all_written() {
    let (_book, files) = built(STYLES[3]);
    let manifest = text(&files, "search/manifest.js");
    let json = manifest
        .strip_prefix("loopbookSearch.receive(\"manifest\",0,")
        .and_then(|rest| rest.strip_suffix(");\n"))
        .expect("the manifest calls the search script");
    let manifest: serde_json::Value = serde_json::from_str(json).unwrap();
    let shards = manifest["shards"].as_array().unwrap().len();
    let sections = manifest["sections"].as_u64().unwrap() as usize;
    let chunk = manifest["chunk"].as_u64().unwrap() as usize;
    assert_eq!(sections, 7, "four page tops and three section headings");
    for shard in 0..shards {
        assert!(files.contains_key(&format!("search/t/{shard}.js")));
    }
    for number in 0..sections.div_ceil(chunk) {
        assert!(files.contains_key(&format!("search/d/{number}.js")));
    }
    let written = files
        .keys()
        .filter(|path| path.starts_with("search/"))
        .count();
    assert_eq!(
        written,
        shards + sections.div_ceil(chunk) + 2,
        "manifest and search page"
    );
    assert!(text(&files, "search/index.html").contains("id=\"lb-search-page-input\""));
}
