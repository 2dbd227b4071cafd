//! Render stage: every page through the theme's templates, in parallel, plus the files
//! the theme itself contributes.
//!
//! Steps per page: render the document body to HTML, build the sidebar branch this page
//! needs (top-level entries and the open path to the page, never the whole tree), fill
//! a [`PageContext`] and render `page.html`. Then the site-wide files: `404.html`, the
//! theme's assets and the highlighting stylesheet under `theme/`.

pub mod escape;
pub mod highlight;
pub mod html;
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
}

impl Sink for crate::write::Staging {
    fn put(&self, path: &str, contents: &[u8]) {
        crate::write::Staging::put(self, path, contents);
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
            let (file, diagnostics) = render_page(site, number, node, &site_context, theme);
            if let Some(file) = file {
                sink.put(&file.path, &file.contents);
            }
            progress();
            diagnostics
        })
        .collect();

    match render_not_found(config, &site_context, theme) {
        Ok(file) => sink.put(&file.path, &file.contents),
        Err(diagnostic) => diagnostics.push(diagnostic),
    }
    for (name, bytes) in &theme.assets {
        sink.put(&format!("theme/{name}"), bytes);
    }
    sink.put("theme/highlight.css", highlight::stylesheet().as_bytes());
    diagnostics
}

fn render_page(
    site: &Site,
    number: usize,
    node: Option<usize>,
    site_context: &SiteContext<'_>,
    theme: &Theme,
) -> (Option<OutputFile>, Vec<Diagnostic>) {
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
        nav: sidebar(&site.nav, site, number, node),
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
    let root = config.build.base_url.clone();
    let context = PageContext {
        site: site_context,
        root,
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

/// The sidebar for one page: the top level, plus the children of every node on the
/// path to the page. Top-level part titles always show their chapters.
fn sidebar(nav: &Nav, site: &Site, page: usize, node: Option<usize>) -> Vec<NavItem> {
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
    let from = &site.pages[page].output;
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
