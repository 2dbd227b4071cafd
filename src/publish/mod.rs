//! Publish stage: the files a static host, crawlers and other readers need beside the
//! pages.
//!
//! Steps: the search index under `search/`; `sitemap.xml` (pages and the invite page)
//! and `robots.txt`; the redirects of `[redirects]`, checked against the site, as pages
//! and as one `_redirects` file; a Markdown copy of every page and `llms.txt` listing
//! them; `CNAME` (with `[build] cname`) and `.nojekyll` for GitHub Pages. Everything
//! goes to the render stage's sink, so `loopbook check` runs this stage in memory too.

pub mod llms;
pub mod redirects;
pub mod search;
pub mod sitemap;

use std::collections::BTreeSet;
use std::time::Instant;

use rayon::prelude::*;
use tracing::debug;

use crate::config::Config;
use crate::diagnostics::{Diagnostic, SourceMap};
use crate::doc::FileId;
use crate::placements::{self, Catalog};
use crate::render::{SEARCH_PAGE, Sink};
use crate::resolve::Site;
use crate::sources::StaticFile;

/// Writes the publishing files of `site` into `sink`; returns the problems found (bad
/// redirects). `sources` holds `book.toml` as file 0, for pointing at its lines.
pub fn publish(
    config: &Config,
    site: &Site,
    static_files: &[StaticFile],
    catalog: &Catalog,
    sources: &SourceMap,
    sink: &dyn Sink,
) -> Vec<Diagnostic> {
    let started = Instant::now();
    let (index, stats) = search::build_index(site);
    index
        .par_iter()
        .for_each(|file| sink.put(&file.path, file.text.as_bytes()));
    debug!(?stats, elapsed = ?started.elapsed(), "search index");

    let invite: Vec<sitemap::ExtraPage> = invite_page(config, catalog).into_iter().collect();
    sink.put(
        "sitemap.xml",
        sitemap::sitemap(config, site, &invite).as_bytes(),
    );
    sink.put("robots.txt", sitemap::robots(config).as_bytes());

    let book_toml = sources
        .get(FileId(0))
        .map(|file| file.text.clone())
        .unwrap_or_default();
    let taken = paths_the_site_writes(config, site, static_files, catalog);
    let (redirects, diagnostics) = redirects::plan(config, site, &taken, &book_toml);
    for redirect in &redirects {
        let html = redirects::page_html(config, site, redirect);
        sink.put(&redirect.from, html.as_bytes());
    }
    if !redirects.is_empty() {
        let file = redirects::redirects_file(config, site, &redirects);
        sink.put("_redirects", file.as_bytes());
    }

    llms::write_markdown_copies(site, sink);
    sink.put("llms.txt", llms::llms_txt(config, site).as_bytes());

    if let Some(cname) = &config.build.cname {
        sink.put("CNAME", format!("{cname}\n").as_bytes());
    }
    // GitHub Pages runs Jekyll over a branch it publishes unless this file exists, and
    // Jekyll drops every folder starting with `_` (`_static/`, Sphinx's habit).
    sink.put(".nojekyll", b"");
    debug!(redirects = redirects.len(), elapsed = ?started.elapsed(), "published");
    diagnostics
}

/// The invite page, a page of the site that is not made from a source page: written
/// from its placement's definition.
fn invite_page(config: &Config, catalog: &Catalog) -> Option<sitemap::ExtraPage> {
    let invite = config.invite.as_ref()?;
    let output = placements::invite_output(&invite.path)?;
    let definition = catalog.get(&invite.placement)?;
    Some(sitemap::ExtraPage {
        output,
        sources: vec![definition.path.clone()],
    })
}

/// Output paths that a redirect must not take over: pages and their Markdown copies,
/// copied files, the pages the theme and the placements write, and the files of this
/// stage.
pub(crate) fn paths_the_site_writes(
    config: &Config,
    site: &Site,
    static_files: &[StaticFile],
    catalog: &Catalog,
) -> BTreeSet<String> {
    let pages = site.pages.iter().map(|page| page.output.clone());
    let copies = site.pages.iter().map(llms::markdown_path);
    let files = static_files
        .iter()
        .chain(&site.assets)
        .map(|file| file.rel.clone());
    let samples = catalog.placements.iter().flat_map(|placement| {
        placement.views().flat_map(|view| {
            let folder = view.sample_dir();
            ["index.html", "payload.json", "schema.json"].map(|file| format!("{folder}{file}"))
        })
    });
    let invite = config
        .invite
        .as_ref()
        .and_then(|invite| placements::invite_output(&invite.path));
    let fixed = [
        "404.html",
        SEARCH_PAGE,
        "sitemap.xml",
        "robots.txt",
        "llms.txt",
        "_redirects",
        "CNAME",
        ".nojekyll",
    ];
    pages
        .chain(copies)
        .chain(files)
        .chain(samples)
        .chain(invite)
        .chain(fixed.map(str::to_string))
        .collect()
}
