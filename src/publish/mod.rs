//! Publish stage: the files a static host, crawlers and other readers need beside the
//! pages.
//!
//! Steps: the search index under `search/` ([`search_index`]); `sitemap.xml` (pages
//! and the invite page) and `robots.txt`; the redirects of `[redirects]`, checked
//! against the site, as pages and as one `_redirects` file; `llms.txt` listing every
//! page's Markdown copy; `CNAME` (with `[build] cname`) and `.nojekyll` for GitHub
//! Pages. The copies themselves ([`llms::MarkdownCopies`]) are made with each page, and
//! what the index and `llms.txt` need of a page is its [`PageDigest`], kept with the
//! page, so these site-wide files can be made again in every build, incremental ones
//! too; the index's files are keyed, so an update in place rewrites only those that
//! changed.

pub mod llms;
pub mod redirects;
pub mod search;
pub mod sitemap;

use std::collections::BTreeSet;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tracing::debug;

use crate::config::Config;
use crate::diagnostics::{Diagnostic, SourceMap};
use crate::doc::{Document, FileId};
use crate::placements::{self, Catalog};
use crate::render::{OutputFile, SEARCH_PAGE};
use crate::resolve::{Page, Site};

/// What this stage needs of a page's resolved document. It is made when the page is
/// rendered and kept with the page's output record, so a page that an incremental
/// build keeps, without parsing it again, still counts in the index and in `llms.txt`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PageDigest {
    /// The page's sections as search results show them.
    pub sections: search::SectionList,
    /// Their fingerprint, for the keys of the index files that hold them.
    pub sections_print: u64,
    /// Their weighed terms; numbered by the build before the index is made.
    pub terms: search::SectionTerms,
    /// For `llms.txt`, when the page has no description.
    pub first_sentence: Option<String>,
}

impl PageDigest {
    pub fn of(page: &Page, document: &Document) -> Self {
        let (sections, terms) = search::page_index(&page.title, document);
        PageDigest {
            sections_print: crate::fingerprint::of(sections.get()),
            sections,
            terms,
            first_sentence: llms::first_sentence(document),
        }
    }
}

/// The search index of `site`, whose pages' digests are `digests` (in page order, with
/// whether this build made each; their terms numbered by `terms`). Files whose path and
/// key `is_current` accepts come without text (see [`search::build_index`]).
pub fn search_index(
    site: &Site,
    digests: &[(&PageDigest, bool)],
    terms: &search::TermTable,
    memo: Option<&mut search::PostingsMemo>,
    is_current: &(dyn Fn(&str, u64) -> bool + Sync),
) -> Vec<search::IndexFile> {
    let started = Instant::now();
    let indexed: Vec<search::IndexedPage<'_>> = site
        .pages
        .iter()
        .zip(digests)
        .map(|(page, (digest, fresh))| search::IndexedPage {
            output: &page.output,
            title: &page.title,
            sections: &digest.sections,
            sections_print: digest.sections_print,
            terms: match &digest.terms {
                search::SectionTerms::Numbered(terms) => terms,
                // Numbered by the build before it publishes; never reached.
                search::SectionTerms::Words(_) => &[],
            },
            fresh: *fresh,
        })
        .collect();
    let (index, stats) = search::build_index(&indexed, terms, memo, is_current);
    debug!(?stats, elapsed = ?started.elapsed(), "search index");
    index
}

/// The other publishing files of `site`, whose pages' digests are `digests` (in page
/// order), and the problems found (bad redirects). `taken` holds every other output
/// path of the site, which a redirect must not replace; `sources` holds `book.toml` as
/// file 0, for pointing at its lines; `times` the source files' modification times the
/// build already knows.
pub fn publish(
    config: &Config,
    site: &Site,
    digests: &[&PageDigest],
    taken: &BTreeSet<String>,
    catalog: &Catalog,
    sources: &SourceMap,
    times: &sitemap::KnownTimes,
) -> (Vec<OutputFile>, Vec<Diagnostic>) {
    let started = Instant::now();
    let mut files = Vec::new();
    let mut put = |path: &str, text: String| {
        files.push(OutputFile {
            path: path.to_string(),
            contents: text.into_bytes(),
        })
    };

    let invite: Vec<sitemap::ExtraPage> = invite_page(config, catalog).into_iter().collect();
    put(
        "sitemap.xml",
        sitemap::sitemap(config, site, &invite, times),
    );
    put("robots.txt", sitemap::robots(config));

    let book_toml = sources
        .get(FileId(0))
        .map(|file| file.text().clone())
        .unwrap_or_default();
    let (redirects, diagnostics) = redirects::plan(config, site, taken, &book_toml);
    for redirect in &redirects {
        put(&redirect.from, redirects::page_html(config, site, redirect));
    }
    if !redirects.is_empty() {
        put(
            "_redirects",
            redirects::redirects_file(config, site, &redirects),
        );
    }

    let first_sentences: Vec<Option<&str>> = digests
        .iter()
        .map(|digest| digest.first_sentence.as_deref())
        .collect();
    put("llms.txt", llms::llms_txt(config, site, &first_sentences));

    if let Some(cname) = &config.build.cname {
        put("CNAME", format!("{cname}\n"));
    }
    // GitHub Pages runs Jekyll over a branch it publishes unless this file exists, and
    // Jekyll drops every folder starting with `_` (`_static/`, Sphinx's habit).
    put(".nojekyll", String::new());
    debug!(redirects = redirects.len(), elapsed = ?started.elapsed(), "published");
    (files, diagnostics)
}

/// The output paths a redirect must not take over: every file the rest of the build
/// writes (`written`), and this stage's own files.
pub fn taken_paths<'a>(written: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
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
    written.chain(fixed).map(str::to_string).collect()
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
