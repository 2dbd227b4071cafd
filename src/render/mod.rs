//! Render stage: every page through the theme's templates, in parallel, plus the files
//! the theme itself contributes.
//!
//! Steps per page: build the page's [`Frame`] (the sidebar branch it needs — top-level
//! entries and the open path to the page, never the whole tree — and its previous/next
//! links), render the document body to HTML, fill a `PageContext` and render
//! `page.html`. Then the site-wide files: `404.html`, the search page
//! `search/index.html`, the theme's assets and the highlighting stylesheet under
//! `theme/`. An incremental build computes every frame but renders only the pages whose
//! inputs changed.

pub mod escape;
pub mod highlight;
pub mod html;
pub mod markdown;
pub mod theme;

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use rayon::prelude::*;
use serde::Serialize;

use crate::config::Config;
use crate::diagnostics::Diagnostic;
use crate::resolve::nav::{Nav, NavKind};
use crate::resolve::{Site, urls};
use theme::Theme;

/// A file of the finished site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Path relative to the output folder, with `/` separators.
    pub path: String,
    pub contents: Vec<u8>,
}

/// Where rendered files go as soon as they are made.
pub trait Sink: Sync {
    /// Takes one file; `path` is relative to the output folder, `/`-separated.
    fn put(&self, path: &str, contents: &[u8]);

    /// Takes a file copied as it is from `source`. Sinks that keep files in memory read
    /// it; one that cannot be read is left out (the staging folder reports it instead).
    fn copy(&self, path: &str, source: &std::path::Path) {
        if let Ok(bytes) = std::fs::read(source) {
            self.put(path, &bytes);
        }
    }
}

impl Sink for crate::write::Staging {
    fn put(&self, path: &str, contents: &[u8]) {
        crate::write::Staging::put(self, path, contents);
    }

    fn copy(&self, path: &str, source: &std::path::Path) {
        crate::write::Staging::copy(self, path, source);
    }
}

/// Keeps rendered files in memory (for `check` and tests).
#[derive(Default)]
pub struct Collect(pub std::sync::Mutex<Vec<OutputFile>>);

impl Sink for Collect {
    fn put(&self, path: &str, contents: &[u8]) {
        let file = OutputFile {
            path: path.to_string(),
            contents: contents.to_vec(),
        };
        self.0
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .push(file);
    }
}

/// Discards rendered files.
pub struct Discard;

impl Sink for Discard {
    fn put(&self, _: &str, _: &[u8]) {}
}

#[derive(Serialize, Hash)]
struct SiteContext<'a> {
    title: &'a str,
    language: &'a str,
    description: Option<&'a str>,
}

impl<'a> SiteContext<'a> {
    fn of(config: &'a Config) -> Self {
        SiteContext {
            title: config.book.title.as_deref().unwrap_or("Documentation"),
            language: &config.book.language,
            description: config.book.description.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct PageInfo<'a> {
    title: &'a str,
    description: Option<&'a str>,
    content: String,
    source: &'a str,
    url: &'a str,
    toc: Vec<html::TocEntry>,
}

#[derive(Serialize, Hash)]
pub struct PageLink {
    title: String,
    url: String,
}

#[derive(Serialize, Hash)]
struct NavItem {
    title: String,
    url: Option<String>,
    kind: &'static str,
    current: bool,
    open: bool,
    has_children: bool,
    children: Vec<NavItem>,
}

/// Everything `page.html` receives.
#[derive(Serialize)]
struct PageContext<'a> {
    site: &'a SiteContext<'a>,
    root: &'a str,
    /// The page's absolute URL, when `base-url` is absolute.
    canonical: Option<&'a str>,
    page: PageInfo<'a>,
    prev: &'a Option<PageLink>,
    next: &'a Option<PageLink>,
    nav: &'a [NavItem],
    loopbook_version: &'static str,
}

/// What a page's template receives besides its own body: where it sits in the site.
/// Two builds that give a page the same document and the same frame render it to the
/// same bytes, so the frame's fingerprint is part of what decides whether a page is kept.
#[derive(Hash)]
pub struct Frame {
    root: String,
    canonical: Option<String>,
    title: String,
    description: Option<String>,
    source: String,
    url: String,
    prev: Option<PageLink>,
    next: Option<PageLink>,
    nav: Vec<NavItem>,
}

/// The frame of every page, in page order.
pub fn frames(config: &Config, site: &Site) -> Vec<Frame> {
    let node_of_page = site.nav.node_of_page();
    (0..site.pages.len())
        .into_par_iter()
        .map(|number| frame(config, site, number, &node_of_page))
        .collect()
}

/// A fingerprint of everything frames are made from: the navigation and each page's
/// path, title, description and neighbours. Equal shapes give every page the same frame.
pub fn site_shape(site: &Site) -> u64 {
    let mut hasher = crate::fingerprint::Fingerprinter::default();
    site.nav_fingerprint().hash(&mut hasher);
    for page in &site.pages {
        (
            &page.source.rel,
            &page.output,
            &page.title,
            &page.description,
        )
            .hash(&mut hasher);
        (page.previous, page.next).hash(&mut hasher);
    }
    hasher.finish()
}

/// The frame of page `number`; `node_of_page` is [`Nav::node_of_page`].
pub fn frame(
    config: &Config,
    site: &Site,
    number: usize,
    node_of_page: &HashMap<usize, usize>,
) -> Frame {
    let node = node_of_page.get(&number).copied();
    let page = &site.pages[number];
    let link_to = |other: usize| PageLink {
        title: site.pages[other].title.clone(),
        url: urls::relative_link(&page.output, &site.pages[other].output),
    };
    Frame {
        root: urls::root_prefix(&page.output),
        canonical: canonical_url(config, &page.output),
        title: page.title.clone(),
        description: page.description.clone(),
        source: page.source.rel.clone(),
        url: page.output.clone(),
        prev: page.previous.map(link_to),
        next: page.next.map(link_to),
        nav: sidebar(&site.nav, site, &page.output, node),
    }
}

/// `base-url` joined with the path a server publishes `output` under, when base-url is
/// absolute; search engines take it as the one address of the page.
fn canonical_url(config: &Config, output: &str) -> Option<String> {
    let path = escape::url_path(urls::public_path(output));
    config
        .has_absolute_base_url()
        .then(|| format!("{}{path}", config.base_url()))
}

/// A fingerprint of what every page shares: the site's own settings in the templates.
pub fn site_fingerprint(config: &Config) -> u64 {
    crate::fingerprint::of(&(SiteContext::of(config), env!("CARGO_PKG_VERSION")))
}

/// Renders every page that carries a document, and the theme's own files, into `sink`;
/// returns the problems.
pub fn render_site(
    config: &Config,
    site: &Site,
    theme: &Theme,
    sink: &dyn Sink,
    progress: &(dyn Fn() + Sync),
) -> Vec<Diagnostic> {
    let frames = frames(config, site);
    let mut diagnostics: Vec<Diagnostic> = (0..site.pages.len())
        .into_par_iter()
        .filter(|number| site.pages[*number].document.is_some())
        .flat_map_iter(|number| {
            let page = &site.pages[number];
            let document = page.document.as_ref().unwrap_or(&EMPTY_DOCUMENT);
            let (file, diagnostics) = render_page(config, &frames[number], document, theme);
            if let Some(contents) = file {
                sink.put(&page.output, &contents);
            }
            progress();
            diagnostics
        })
        .collect();

    let (files, site_diagnostics) = site_files(config, site, theme);
    diagnostics.extend(site_diagnostics);
    for file in files {
        sink.put(&file.path, &file.contents);
    }
    diagnostics
}

static EMPTY_DOCUMENT: crate::doc::Document = crate::doc::Document {
    title: None,
    description: None,
    orphan: false,
    blocks: Vec::new(),
    footnote_marks: Vec::new(),
};

/// Renders one page's document in its frame: the bytes of its output file, or `None`
/// when the template failed (reported in the diagnostics).
pub fn render_page(
    config: &Config,
    frame: &Frame,
    document: &crate::doc::Document,
    theme: &Theme,
) -> (Option<Vec<u8>>, Vec<Diagnostic>) {
    frame_body(config, frame, html::render_document(document), theme)
}

/// Puts a page's rendered body in its frame: the bytes of its output file, or `None`
/// when the template failed. The diagnostics are the body's, then the template's.
pub fn frame_body(
    config: &Config,
    frame: &Frame,
    body: html::RenderedBody,
    theme: &Theme,
) -> (Option<Vec<u8>>, Vec<Diagnostic>) {
    let mut diagnostics = body.diagnostics;
    let site_context = SiteContext::of(config);
    let context = PageContext {
        site: &site_context,
        root: &frame.root,
        canonical: frame.canonical.as_deref(),
        page: PageInfo {
            title: &frame.title,
            description: frame.description.as_deref(),
            content: body.html,
            source: &frame.source,
            url: &frame.url,
            toc: body.toc,
        },
        prev: &frame.prev,
        next: &frame.next,
        nav: &frame.nav,
        loopbook_version: env!("CARGO_PKG_VERSION"),
    };

    let rendered = tera::Context::from_serialize(&context)
        .and_then(|context| theme.templates.render("page.html", &context));
    match rendered {
        Ok(html) => (Some(html.into_bytes()), diagnostics),
        Err(error) => {
            let mut diagnostic = theme::template_error(&error);
            diagnostic.message = format!("{} (rendering {})", diagnostic.message, frame.source);
            diagnostics.push(diagnostic);
            (None, diagnostics)
        }
    }
}

/// The files the theme contributes whatever the pages: `404.html`, the search page,
/// the theme's assets and the highlighting stylesheet.
pub fn site_files(
    config: &Config,
    site: &Site,
    theme: &Theme,
) -> (Vec<OutputFile>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    for rendered in [
        render_not_found(config, theme),
        render_search_page(config, site, theme),
    ] {
        match rendered {
            Ok(file) => files.push(file),
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    for (name, bytes) in &theme.assets {
        files.push(OutputFile {
            path: format!("theme/{name}"),
            contents: bytes.to_vec(),
        });
    }
    // A theme that ships its own highlight.css styles the code itself.
    if !theme.assets.contains_key("highlight.css") {
        files.push(OutputFile {
            path: "theme/highlight.css".to_string(),
            contents: highlight::stylesheet().as_bytes().to_vec(),
        });
    }
    (files, diagnostics)
}

fn render_not_found(config: &Config, theme: &Theme) -> Result<OutputFile, Diagnostic> {
    // The 404 page is served at any depth, so its links are absolute under the base URL.
    let root = config.base_url();
    let site_context = SiteContext::of(config);
    let context = PageContext {
        site: &site_context,
        root: &root,
        canonical: None,
        page: PageInfo {
            title: "Page not found",
            description: None,
            content: String::new(),
            source: "",
            url: "404.html",
            toc: Vec::new(),
        },
        prev: &None,
        next: &None,
        nav: &[],
        loopbook_version: env!("CARGO_PKG_VERSION"),
    };
    let html = tera::Context::from_serialize(&context)
        .and_then(|context| theme.templates.render("404.html", &context))
        .map_err(|error| theme::template_error(&error))?;
    Ok(OutputFile {
        path: "404.html".to_string(),
        contents: html.into_bytes(),
    })
}

/// `search/index.html`: the search page of the theme's `search.html`, which runs the
/// query in its URL (`?q=`) with the search script alone.
fn render_search_page(
    config: &Config,
    site: &Site,
    theme: &Theme,
) -> Result<OutputFile, Diagnostic> {
    let path = SEARCH_PAGE;
    let site_context = SiteContext::of(config);
    let root = urls::root_prefix(path);
    let canonical = canonical_url(config, path);
    let nav = sidebar(&site.nav, site, path, None);
    let context = PageContext {
        site: &site_context,
        root: &root,
        canonical: canonical.as_deref(),
        page: PageInfo {
            title: "Search",
            description: None,
            content: String::new(),
            source: "",
            url: path,
            toc: Vec::new(),
        },
        prev: &None,
        next: &None,
        nav: &nav,
        loopbook_version: env!("CARGO_PKG_VERSION"),
    };
    let html = tera::Context::from_serialize(&context)
        .and_then(|context| theme.templates.render("search.html", &context))
        .map_err(|error| theme::template_error(&error))?;
    Ok(OutputFile {
        path: path.to_string(),
        contents: html.into_bytes(),
    })
}

/// Where the search page is written; the theme's search box submits to it.
pub const SEARCH_PAGE: &str = "search/index.html";

/// The sidebar for one output file: the top level, plus the children of every node on
/// the path to `node` (the page's own). Top-level part titles always show their
/// chapters.
fn sidebar(nav: &Nav, site: &Site, from: &str, node: Option<usize>) -> Vec<NavItem> {
    let mut open: HashSet<usize> = HashSet::new();
    let mut cursor = node;
    while let Some(index) = cursor {
        open.insert(index);
        cursor = nav.nodes[index].parent;
    }
    for root in &nav.roots {
        if nav.nodes[*root].kind == NavKind::Part {
            open.insert(*root);
        }
    }
    nav.roots
        .iter()
        .map(|root| nav_item(nav, site, from, *root, node, &open))
        .collect()
}

fn nav_item(
    nav: &Nav,
    site: &Site,
    from: &str,
    index: usize,
    current: Option<usize>,
    open: &HashSet<usize>,
) -> NavItem {
    let node = &nav.nodes[index];
    let is_open = open.contains(&index);
    let url = match (node.page, &node.url) {
        (Some(page), _) => Some(urls::relative_link(from, &site.pages[page].output)),
        // A site-relative link (`invite/index.html`) is made relative to this page.
        (None, Some(url)) if !url.contains(':') && !url.starts_with('/') => {
            Some(urls::relative_link(from, url))
        }
        (None, Some(url)) => Some(url.clone()),
        (None, None) => None,
    };
    let children = if is_open {
        node.children
            .iter()
            .map(|child| nav_item(nav, site, from, *child, current, open))
            .collect()
    } else {
        Vec::new()
    };
    NavItem {
        title: node.title.clone(),
        url,
        kind: match node.kind {
            NavKind::Page | NavKind::External => "page",
            NavKind::Part => "part",
            NavKind::Draft => "draft",
            NavKind::Separator => "separator",
        },
        current: current == Some(index),
        open: is_open,
        has_children: !node.children.is_empty(),
        children,
    }
}
