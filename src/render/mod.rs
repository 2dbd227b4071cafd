//! Render stage: every page through the theme's templates, in parallel, plus the files
//! the theme itself contributes.
//!
//! Steps per page: render the document body to HTML, build the sidebar branch this page
//! needs (top-level entries and the open path to the page, never the whole tree), fill
//! a [`PageContext`] and render `page.html`. Then the site-wide files: `404.html`, the
//! search page `search/index.html`, the theme's assets and the highlighting stylesheet
//! under `theme/`.

pub mod escape;
pub mod highlight;
pub mod html;
pub mod markdown;
pub mod theme;

use std::collections::HashSet;

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

#[derive(Serialize)]
struct SiteContext<'a> {
    title: &'a str,
    language: &'a str,
    description: Option<&'a str>,
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

#[derive(Serialize)]
struct PageLink {
    title: String,
    url: String,
}

#[derive(Serialize)]
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
    root: String,
    /// The page's absolute URL, when `base-url` is absolute.
    canonical: Option<String>,
    page: PageInfo<'a>,
    prev: Option<PageLink>,
    next: Option<PageLink>,
    nav: Vec<NavItem>,
    loopbook_version: &'static str,
}

/// Renders every page and the theme's own files into `sink`; returns the problems.
pub fn render_site(
    config: &Config,
    site: &Site,
    theme: &Theme,
    sink: &dyn Sink,
    progress: &(dyn Fn() + Sync),
) -> Vec<Diagnostic> {
    let site_context = SiteContext {
        title: config.book.title.as_deref().unwrap_or("Documentation"),
        language: &config.book.language,
        description: config.book.description.as_deref(),
    };
    let node_of_page = site.nav.node_of_page();

    let mut diagnostics: Vec<Diagnostic> = (0..site.pages.len())
        .into_par_iter()
        .flat_map_iter(|number| {
            let node = node_of_page.get(&number).copied();
            let canonical = canonical_url(config, &site.pages[number].output);
            let page = PageToRender {
                number,
                node,
                canonical,
            };
            let (file, diagnostics) = render_page(site, page, &site_context, theme);
            if let Some(file) = file {
                sink.put(&file.path, &file.contents);
            }
            progress();
            diagnostics
        })
        .collect();

    let theme_pages = [
        render_not_found(config, &site_context, theme),
        render_search_page(config, site, &site_context, theme),
    ];
    for rendered in theme_pages {
        match rendered {
            Ok(file) => sink.put(&file.path, &file.contents),
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    for (name, bytes) in &theme.assets {
        sink.put(&format!("theme/{name}"), bytes);
    }
    sink.put("theme/highlight.css", highlight::stylesheet().as_bytes());
    diagnostics
}

/// `base-url` joined with the path a server publishes `output` under, when base-url is
/// absolute; search engines take it as the one address of the page.
fn canonical_url(config: &Config, output: &str) -> Option<String> {
    let path = escape::url_path(urls::public_path(output));
    config
        .has_absolute_base_url()
        .then(|| format!("{}{path}", config.base_url()))
}

/// Which page to render, and what the site-wide pass already knows about it.
struct PageToRender {
    number: usize,
    /// Its node in the navigation, if it is listed there.
    node: Option<usize>,
    canonical: Option<String>,
}

fn render_page(
    site: &Site,
    to_render: PageToRender,
    site_context: &SiteContext<'_>,
    theme: &Theme,
) -> (Option<OutputFile>, Vec<Diagnostic>) {
    let PageToRender {
        number,
        node,
        canonical,
    } = to_render;
    let page = &site.pages[number];
    let body = html::render_document(&page.document);
    let mut diagnostics = body.diagnostics;

    let link_to = |other: usize| PageLink {
        title: site.pages[other].title.clone(),
        url: urls::relative_link(&page.output, &site.pages[other].output),
    };
    let context = PageContext {
        site: site_context,
        root: urls::root_prefix(&page.output),
        canonical,
        page: PageInfo {
            title: &page.title,
            description: page.description.as_deref(),
            content: body.html,
            source: &page.source.rel,
            url: &page.output,
            toc: body.toc,
        },
        prev: page.previous.map(link_to),
        next: page.next.map(link_to),
        nav: sidebar(&site.nav, site, &page.output, node),
        loopbook_version: env!("CARGO_PKG_VERSION"),
    };

    let rendered = tera::Context::from_serialize(&context)
        .and_then(|context| theme.templates.render("page.html", &context));
    match rendered {
        Ok(html) => (
            Some(OutputFile {
                path: page.output.clone(),
                contents: html.into_bytes(),
            }),
            diagnostics,
        ),
        Err(error) => {
            let mut diagnostic = theme::template_error(&error);
            diagnostic.message = format!("{} (rendering {})", diagnostic.message, page.source.rel);
            diagnostics.push(diagnostic);
            (None, diagnostics)
        }
    }
}

fn render_not_found(
    config: &Config,
    site_context: &SiteContext<'_>,
    theme: &Theme,
) -> Result<OutputFile, Diagnostic> {
    // The 404 page is served at any depth, so its links are absolute under the base URL.
    let root = config.base_url();
    let context = PageContext {
        site: site_context,
        root,
        canonical: None,
        page: PageInfo {
            title: "Page not found",
            description: None,
            content: String::new(),
            source: "",
            url: "404.html",
            toc: Vec::new(),
        },
        prev: None,
        next: None,
        nav: Vec::new(),
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
    site_context: &SiteContext<'_>,
    theme: &Theme,
) -> Result<OutputFile, Diagnostic> {
    let path = SEARCH_PAGE;
    let context = PageContext {
        site: site_context,
        root: urls::root_prefix(path),
        canonical: canonical_url(config, path),
        page: PageInfo {
            title: "Search",
            description: None,
            content: String::new(),
            source: "",
            url: path,
            toc: Vec::new(),
        },
        prev: None,
        next: None,
        nav: sidebar(&site.nav, site, path, None),
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
