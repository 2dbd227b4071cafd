//! Who makes each output file, so that no file silently replaces another.
//!
//! Every file a build plans is claimed by its [`Producer`]: a page, its Markdown copy,
//! the theme, the 404 or search page, the search index, a placement's live sample, the
//! invite page, a redirect, a publishing file (`sitemap.xml`, `llms.txt`, …), a static
//! file or an image a page shows. Two producers claiming one path, or one claiming a
//! file that another writes inside as a folder, is a `duplicate-output` error: only one
//! of them could be written, and the other would vanish without a word (or fail the
//! write with a raw file-system error). The error names both producers and points
//! where the user can change one of them: the page's source, the placement's
//! definition, or the line of `book.toml`.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::config;
use crate::diagnostics::{Diagnostic, Severity};
use crate::doc::{FileId, Location};
use crate::parse::loader::display_path;
use crate::placements::Catalog;
use crate::publish::llms::markdown_path;
use crate::render::SEARCH_PAGE;
use crate::resolve::Site;

/// What makes an output file. Pages are named by their number in the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Producer {
    Page(usize),
    MarkdownCopy(usize),
    Theme,
    NotFoundPage,
    SearchPage,
    SearchIndex,
    /// A placement's live sample, by the placement's name.
    Sample(String),
    InvitePage,
    Redirect,
    /// `sitemap.xml`, `robots.txt`, `llms.txt`, `_redirects`, `CNAME`, `.nojekyll`.
    PublishFile,
    /// A file of a `[build] static` folder.
    Static(PathBuf),
    /// An image copied for the page that shows it (the first, when several do).
    Image {
        source: PathBuf,
        page: Option<usize>,
    },
}

impl Producer {
    /// The producer of a file of [`crate::render::site_files`].
    pub(super) fn of_site_file(path: &str) -> Producer {
        match path {
            "404.html" => Producer::NotFoundPage,
            SEARCH_PAGE => Producer::SearchPage,
            _ => Producer::Theme,
        }
    }

    /// The producer of a file of [`crate::publish::publish`]: its `fixed` files (as
    /// [`crate::publish::taken_paths`] lists them), the search index under `search/`,
    /// and the redirect pages. Shortcoming: a redirect from a path under `search/` is
    /// described as the search index.
    pub(super) fn of_publish_file(path: &str, fixed: &BTreeSet<String>) -> Producer {
        if fixed.contains(path) {
            Producer::PublishFile
        } else if path.starts_with("search/") {
            Producer::SearchIndex
        } else {
            Producer::Redirect
        }
    }

    /// The producer of a file of [`crate::placements::pages::render_samples`]: the
    /// placement whose folder (`samples/<name>/`) holds it.
    pub(super) fn of_sample_file(path: &str) -> Producer {
        let name = path
            .strip_prefix("samples/")
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_default();
        Producer::Sample(name.to_string())
    }

    fn copied_source(&self) -> Option<&Path> {
        match self {
            Producer::Static(source) | Producer::Image { source, .. } => Some(source),
            _ => None,
        }
    }

    /// The same file copied to the same place twice (an image inside a static folder)
    /// is no clash.
    fn copies_same_file(&self, other: &Producer) -> bool {
        self.copied_source()
            .is_some_and(|source| other.copied_source() == Some(source))
    }

    /// How the producer is named in a diagnostic.
    fn describe(&self, names: &Names<'_>) -> String {
        match self {
            Producer::Page(number) => format!("the page `{}`", names.page_source(*number)),
            Producer::MarkdownCopy(number) => {
                format!("the Markdown copy of `{}`", names.page_source(*number))
            }
            Producer::Theme => "the theme".into(),
            Producer::NotFoundPage => "the 404 page".into(),
            Producer::SearchPage => "the search page".into(),
            Producer::SearchIndex => "the search index".into(),
            Producer::Sample(name) => format!("the live sample of placement `{name}`"),
            Producer::InvitePage => "the invite page (`[invite] path`)".into(),
            Producer::Redirect => "a redirect of `[redirects]`".into(),
            Producer::PublishFile => "the publish stage".into(),
            Producer::Static(source) => format!(
                "the static file `{}`",
                display_path(source, names.book_root)
            ),
            Producer::Image { source, .. } => {
                format!("the image `{}`", display_path(source, names.book_root))
            }
        }
    }

    /// Where a diagnostic about this producer points, with what to do there; `None`
    /// for the files loopbook makes whatever the book says. Ranked: the first of two
    /// producers with a place is the one the diagnostic points at.
    fn place(&self, names: &Names<'_>) -> Option<(u8, Location, &'static str)> {
        let page_start = |number: usize| Location::new(names.site.pages[number].file, 1, 1);
        let in_book_toml = |table: &str, key: &str| {
            config::key_location(names.book_toml, table, key)
                .unwrap_or_else(|| table_location(names.book_toml, table))
        };
        let place = match self {
            Producer::Page(number) | Producer::MarkdownCopy(number) => (
                0,
                page_start(*number),
                "move or rename the page, or leave it out with `[build] exclude`",
            ),
            Producer::InvitePage => (
                1,
                in_book_toml("invite", "path"),
                "choose another `[invite] path`",
            ),
            Producer::Static(_) => (
                2,
                in_book_toml("build", "static"),
                "rename the file or its folder, or remove the folder from `[build] static`",
            ),
            Producer::Image {
                page: Some(number), ..
            } => (
                3,
                page_start(*number),
                "rename the image or move it to another folder",
            ),
            Producer::Redirect => (
                4,
                table_location(names.book_toml, "redirects"),
                "remove the redirect, or change its old path",
            ),
            Producer::Sample(name) => {
                let placement = names.catalog.get(name)?;
                (
                    5,
                    Location::new(placement.file, 1, 1),
                    "rename the placement",
                )
            }
            _ => return None,
        };
        Some(place)
    }
}

/// The line of `[table]` in `book.toml`, or its first line.
fn table_location(book_toml: &str, table: &str) -> Location {
    config::table_location(book_toml, table).unwrap_or(Location::new(FileId(0), 1, 1))
}

/// What naming and placing producers needs.
pub(super) struct Names<'a> {
    pub(super) site: &'a Site,
    pub(super) catalog: &'a Catalog,
    /// The text of `book.toml` (file 0).
    pub(super) book_toml: &'a str,
    pub(super) book_root: &'a Path,
}

impl Names<'_> {
    fn page_source(&self, number: usize) -> &str {
        &self.site.pages[number].source.rel
    }
}

/// Two producers of one output path: the same file, or a file and a folder.
#[derive(Debug)]
struct Clash {
    /// The path both claim, or the file the second writes inside.
    path: String,
    first: Producer,
    second: Producer,
    /// For a file written inside `path`: that file.
    inner: Option<String>,
}

/// The producer of every output path planned so far, and the clashes found.
#[derive(Debug, Default)]
pub(super) struct Producers {
    by_path: HashMap<String, Producer>,
    clashes: Vec<Clash>,
}

impl Producers {
    /// Claims every page's output and its Markdown copy.
    pub(super) fn claim_pages(&mut self, site: &Site) {
        // Pages come first and never share an output (the resolver drops a second
        // page of one path), so every claim here succeeds.
        for (number, page) in site.pages.iter().enumerate() {
            self.claim(&page.output, Producer::Page(number));
            self.claim(&markdown_path(page), Producer::MarkdownCopy(number));
        }
    }

    /// Records that `producer` makes `path`. Returns false when another producer
    /// makes it already: the clash is recorded, and the caller leaves this file out of
    /// the plan, so that nothing after (the write, `check`'s link scan) sees one file
    /// replaced by the other.
    pub(super) fn claim(&mut self, path: &str, producer: Producer) -> bool {
        match self.by_path.get(path) {
            None => {
                self.by_path.insert(path.to_string(), producer);
                true
            }
            Some(first) if *first == producer || first.copies_same_file(&producer) => true,
            Some(first) => {
                self.clashes.push(Clash {
                    path: path.to_string(),
                    first: first.clone(),
                    second: producer,
                    inner: None,
                });
                false
            }
        }
    }

    /// Every clash as a `duplicate-output` error, in path order.
    pub(super) fn duplicates(mut self, names: &Names<'_>) -> Vec<Diagnostic> {
        self.find_files_used_as_folders();
        self.clashes
            .sort_by(|a, b| (&a.path, &a.inner).cmp(&(&b.path, &b.inner)));
        self.clashes
            .iter()
            .map(|clash| clash_diagnostic(clash, names))
            .collect()
    }

    /// A path planned as a file that another planned path has as a folder: one per
    /// such file, however many files are planned inside it.
    fn find_files_used_as_folders(&mut self) {
        let mut inner_files: Vec<(&String, &Producer)> = self.by_path.iter().collect();
        inner_files.sort_by(|a, b| a.0.cmp(b.0));
        let mut reported: HashSet<&str> = HashSet::new();
        for (path, producer) in inner_files {
            let folders = path.match_indices('/').map(|(end, _)| &path[..end]);
            for folder in folders {
                let Some(file_producer) = self.by_path.get(folder) else {
                    continue;
                };
                if !reported.insert(folder) {
                    break;
                }
                self.clashes.push(Clash {
                    path: folder.to_string(),
                    first: file_producer.clone(),
                    second: producer.clone(),
                    inner: Some(path.clone()),
                });
                break;
            }
        }
    }
}

fn clash_diagnostic(clash: &Clash, names: &Names<'_>) -> Diagnostic {
    let first = clash.first.describe(names);
    let second = clash.second.describe(names);
    let message = match &clash.inner {
        None => format!(
            "`{}` would be written twice: by {first} and by {second}",
            clash.path
        ),
        Some(inner) => format!(
            "`{}` is a file made by {first}, but {second} writes `{inner}` inside it",
            clash.path
        ),
    };
    let place = [&clash.first, &clash.second]
        .into_iter()
        .filter_map(|producer| producer.place(names))
        .min_by_key(|(rank, ..)| *rank);
    let (location, hint) = match place {
        Some((_, location, hint)) => (Some(location), hint),
        // Two of loopbook's own files: nothing in the book can fix that.
        None => (None, "this is a bug in loopbook: please report it"),
    };
    Diagnostic::new(Severity::Error, location, message)
        .with_code("duplicate-output")
        .with_hint(hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_claimed_twice_is_one_clash_and_a_repeat_claim_none() {
        let mut producers = Producers::default();
        assert!(producers.claim("search/index.html", Producer::Page(0)));
        assert!(producers.claim("search/index.html", Producer::Page(0)));
        assert!(!producers.claim("search/index.html", Producer::SearchPage));
        assert_eq!(producers.clashes.len(), 1);
        assert_eq!(producers.clashes[0].first, Producer::Page(0));
        assert_eq!(producers.clashes[0].second, Producer::SearchPage);
    }

    #[test]
    fn the_same_file_copied_as_static_and_as_an_image_is_no_clash() {
        let mut producers = Producers::default();
        let source = PathBuf::from("/book/content/_static/logo.png");
        producers.claim("_static/logo.png", Producer::Static(source.clone()));
        let image = Producer::Image {
            source,
            page: Some(0),
        };
        assert!(producers.claim("_static/logo.png", image));
        assert!(producers.clashes.is_empty());
    }

    #[test]
    fn a_file_written_inside_another_file_is_one_clash_per_file() {
        let mut producers = Producers::default();
        producers.claim("index.html", Producer::Page(0));
        producers.claim("index.html/index.html", Producer::InvitePage);
        producers.claim("index.html/a/b.txt", Producer::InvitePage);
        producers.claim("guide/a.html", Producer::Page(1));
        producers.find_files_used_as_folders();
        assert_eq!(producers.clashes.len(), 1);
        let clash = &producers.clashes[0];
        assert_eq!(clash.path, "index.html");
        assert_eq!(clash.inner.as_deref(), Some("index.html/a/b.txt"));
    }

    #[test]
    fn publish_files_are_told_apart_by_path() {
        let fixed = crate::publish::taken_paths(std::iter::empty());
        let of = |path: &str| Producer::of_publish_file(path, &fixed);
        assert_eq!(of("sitemap.xml"), Producer::PublishFile);
        assert_eq!(of("search/t/0.js"), Producer::SearchIndex);
        assert_eq!(of("old/page.html"), Producer::Redirect);
        assert_eq!(Producer::of_site_file("404.html"), Producer::NotFoundPage);
        assert_eq!(Producer::of_site_file("theme/x.css"), Producer::Theme);
    }
}
