//! Resolve stage: from parsed pages to a site whose links all point somewhere.
//!
//! Steps: give each page its output path and title; index every label; build the
//! navigation (toctrees, else `SUMMARY.md`, else folders) and the reading order for
//! previous/next links ([`index`]); then, per page and in parallel, turn references, links
//! to source files and images into relative URLs, expand toctrees into link lists,
//! replace the placement directives by their snippets, tables and payloads
//! ([`placements`]), and report what does not resolve ([`resolve_documents`]).
//! Unresolved things become plain text with a warning, never markup.
//!
//! The site index is built from each page's [`Outline`] alone, so an incremental build
//! can index pages it did not parse again. Every site-wide lookup the per-page pass makes
//! is recorded as a [`Fact`]; a page whose facts still have the same values resolves the
//! same way, which is how the build knows it may keep the page it wrote before.

pub mod nav;
pub mod placements;
pub mod urls;

use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::diagnostics::{Diagnostic, Severity, SourceMap};
use crate::doc::{
    Block, CodeBlock, Document, FileId, Inline, Link, LinkDestination, List, ListItem, Location,
    Reference, ReferenceKind, Toctree, plain_text, visit_blocks, visit_blocks_mut,
    visit_inlines_mut,
};
use crate::fingerprint::{self, Fingerprinter};
use crate::parse::loader::normalize;
use crate::parse::markdown::normalize_label;
use crate::parse::{ParsedPage, directives};
use crate::placements::Catalog;
use crate::sources::{Format, PageSource, StaticFile, relative_slash_path};
use nav::{Nav, NavPage};

/// What the site index needs to know about a page besides its document: taken from the
/// document after parsing, or kept from an earlier build whose files have not changed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Outline {
    /// The document's own title (metadata, else its first heading).
    pub title: Option<String>,
    pub description: Option<String>,
    /// Labels in document order, with the title of the section each stands before.
    pub labels: Vec<OutlineLabel>,
    /// Toctrees in document order, which the navigation is built from.
    pub toctrees: Vec<Toctree>,
    /// Sections and visible toctrees in document order: what a toctree that lists the
    /// page shows under its entry.
    pub toc_parts: Vec<TocPart>,
    /// The page stands outside the navigation on purpose (Sphinx's `:orphan:`).
    pub orphan: bool,
}

/// What a page contributes to the toctrees that list it, in page order.
#[derive(Debug, Clone, Hash, Serialize, Deserialize)]
pub enum TocPart {
    Section {
        level: u8,
        id: String,
        title: String,
    },
    /// A toctree that is not `:hidden:` (hidden ones feed only the sidebar).
    Toctree(Toctree),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutlineLabel {
    pub name: String,
    pub id: String,
    pub title: Option<String>,
    pub location: Location,
}

impl Outline {
    pub fn of(document: &Document) -> Outline {
        let mut outline = Outline {
            title: document.title_text(),
            description: document.description.clone(),
            orphan: document.orphan,
            ..Outline::default()
        };
        visit_blocks(&document.blocks, &mut |block| match block {
            Block::Heading(heading) => {
                let title = plain_text(&heading.content);
                outline.toc_parts.push(TocPart::Section {
                    level: heading.level,
                    id: heading.id.clone(),
                    title: title.clone(),
                });
                for label in &heading.labels {
                    outline.labels.push(OutlineLabel {
                        name: label.name.clone(),
                        id: label.id.clone(),
                        title: Some(title.clone()),
                        location: label.location,
                    });
                }
            }
            Block::Anchor(anchor) => {
                for label in &anchor.labels {
                    outline.labels.push(OutlineLabel {
                        name: label.name.clone(),
                        id: label.id.clone(),
                        title: None,
                        location: label.location,
                    });
                }
            }
            Block::Toctree(toctree) => {
                outline.toctrees.push(toctree.clone());
                if !toctree.hidden {
                    outline.toc_parts.push(TocPart::Toctree(toctree.clone()));
                }
            }
            _ => {}
        });
        outline
    }

    /// Rewrites every file id (for outlines read back from the cache file).
    pub fn remap_files(&mut self, map: &dyn Fn(FileId) -> FileId) {
        for label in &mut self.labels {
            label.location.file = map(label.location.file);
        }
        let parts = self.toc_parts.iter_mut().filter_map(|part| match part {
            TocPart::Toctree(toctree) => Some(toctree),
            TocPart::Section { .. } => None,
        });
        for toctree in self.toctrees.iter_mut().chain(parts) {
            toctree.location.file = map(toctree.location.file);
            for entry in &mut toctree.entries {
                entry.location.file = map(entry.location.file);
            }
        }
    }
}

/// One page as the resolve stage receives it.
#[derive(Debug)]
pub struct PageInput {
    pub source: PageSource,
    pub file: FileId,
    /// Shared with the build's record of the page: the index is made every build.
    pub outline: Arc<Outline>,
    /// The parsed document, for a page this build resolves and renders.
    pub document: Option<Document>,
    pub dependencies: Vec<PathBuf>,
    /// The parser's diagnostics.
    pub diagnostics: Vec<Diagnostic>,
}

impl From<ParsedPage> for PageInput {
    fn from(parsed: ParsedPage) -> Self {
        PageInput {
            outline: Arc::new(Outline::of(&parsed.document)),
            source: parsed.source,
            file: parsed.file,
            document: Some(parsed.document),
            dependencies: parsed.dependencies,
            diagnostics: parsed.diagnostics,
        }
    }
}

/// One page of the site.
#[derive(Debug)]
pub struct Page {
    pub source: PageSource,
    pub file: FileId,
    /// Source path without extension (`guide/setup`).
    pub doc_name: String,
    /// Output path relative to the output folder (`guide/setup.html`).
    pub output: String,
    pub title: String,
    pub description: Option<String>,
    pub outline: Arc<Outline>,
    /// The document, once resolved; `None` for a page this build keeps from the last one.
    pub document: Option<Document>,
    pub dependencies: Vec<PathBuf>,
    /// The placements the page shows and the definitions and templates they came from.
    pub placements: placements::PlacementUse,
    pub previous: Option<usize>,
    pub next: Option<usize>,
}

/// The whole site after resolution.
#[derive(Debug, Default)]
pub struct Site {
    pub pages: Vec<Page>,
    pub nav: Nav,
    /// Files referenced by pages (images) that are copied to the output.
    pub assets: Vec<StaticFile>,
    labels: HashMap<String, LabelTarget>,
    pages_by_doc: HashMap<String, usize>,
    pages_by_rel: HashMap<String, usize>,
    nav_fingerprint: u64,
    doc_names_fingerprint: u64,
    /// What each placement directive can show, by the name it is written with.
    placement_fingerprints: placements::CatalogFingerprints,
}

/// Where a label points.
#[derive(Debug, Clone)]
struct LabelTarget {
    page: usize,
    anchor: String,
    /// The title of the section the label stands before, if any.
    title: Option<String>,
    location: Location,
}

/// A site-wide lookup made while resolving one page. Its value (see
/// [`Site::fact_value`]) is everything the lookup's answer contributed to the page.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Fact {
    /// A label: the page and anchor it points at and its section title.
    Label(String),
    /// A page by document name (`doc` roles, toctree entries): its URL and title.
    Doc(String),
    /// What a toctree shows under an entry for this page (by document name): its
    /// sections and visible toctrees.
    TocParts(String),
    /// A page by source path (Markdown links): its URL.
    Source(String),
    /// Whether a file exists (images).
    File(PathBuf),
    /// The navigation tree (a toctree lists the pages under each of its entries).
    Nav,
    /// Every document name (glob toctrees).
    DocNames,
    /// A placement by the name a directive gives (its definition and rendered snippet).
    Placement(String),
}

/// What resolving one page produced besides the rewritten document.
#[derive(Debug, Default)]
pub struct Resolution {
    pub diagnostics: Vec<Diagnostic>,
    pub assets: Vec<StaticFile>,
    /// Every site-wide lookup made, sorted, each once.
    pub facts: Vec<Fact>,
    /// The placements the page shows.
    pub placements: placements::PlacementUse,
}

/// Everything the per-page pass looks things up in.
struct SiteIndex<'a> {
    config: &'a Config,
    sources: &'a SourceMap,
    site: &'a Site,
    catalog: &'a Catalog,
}

impl SiteIndex<'_> {
    fn output(&self, page: usize) -> &str {
        &self.site.pages[page].output
    }

    fn title(&self, page: usize) -> &str {
        &self.site.pages[page].title
    }

    fn doc_name(&self, page: usize) -> &str {
        &self.site.pages[page].doc_name
    }
}

/// Resolves parsed pages into a site: [`index`], then [`resolve_documents`] for every
/// page. `summary` is `SUMMARY.md`'s id and text; `catalog` holds the placements the
/// placement directives name.
pub fn resolve(
    config: &Config,
    parsed: Vec<ParsedPage>,
    summary: Option<(FileId, &str)>,
    sources: &SourceMap,
    catalog: &Catalog,
    diagnostics: &mut Vec<Diagnostic>,
) -> Site {
    let inputs = parsed.into_iter().map(PageInput::from).collect();
    let mut site = index(config, inputs, summary, sources, catalog, diagnostics);
    let mut assets = BTreeSet::new();
    for (_, resolution) in resolve_documents(config, &mut site, sources, catalog) {
        diagnostics.extend(resolution.diagnostics);
        assets.extend(resolution.assets);
    }
    site.assets = assets.into_iter().collect();
    site
}

/// Builds the site index from every page's outline: output paths, titles, labels,
/// navigation and reading order. Documents are carried along untouched.
pub fn index(
    config: &Config,
    inputs: Vec<PageInput>,
    summary: Option<(FileId, &str)>,
    sources: &SourceMap,
    catalog: &Catalog,
    diagnostics: &mut Vec<Diagnostic>,
) -> Site {
    let mut pages = make_pages(config, inputs, diagnostics);
    let labels = index_labels(&pages, sources, diagnostics);
    let nav = build_nav(config, &pages, summary, diagnostics);
    link_reading_order(&mut pages, &nav);

    let mut doc_names: Vec<&str> = pages.iter().map(|page| page.doc_name.as_str()).collect();
    doc_names.sort_unstable();
    let doc_names_fingerprint = fingerprint::of(&doc_names);
    Site {
        placement_fingerprints: placements::fingerprints(catalog),
        nav_fingerprint: nav_fingerprint(&nav, &pages),
        doc_names_fingerprint,
        pages_by_doc: pages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.doc_name.clone(), i))
            .collect(),
        pages_by_rel: pages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.source.rel.clone(), i))
            .collect(),
        labels,
        pages,
        nav,
        assets: Vec::new(),
    }
}

/// Resolves, in parallel, every page that carries a document; returns each one's
/// resolution with its page number, in page order.
pub fn resolve_documents(
    config: &Config,
    site: &mut Site,
    sources: &SourceMap,
    catalog: &Catalog,
) -> Vec<(usize, Resolution)> {
    let mut documents: Vec<(usize, Document)> = site
        .pages
        .iter_mut()
        .enumerate()
        .filter_map(|(number, page)| Some((number, page.document.take()?)))
        .collect();
    let index = SiteIndex {
        config,
        sources,
        site,
        catalog,
    };
    let resolutions: Vec<(usize, Resolution)> = documents
        .par_iter_mut()
        .map(|(number, document)| (*number, resolve_page(&index, *number, document)))
        .collect();
    for (number, document) in documents {
        site.pages[number].document = Some(document);
    }
    for (number, resolution) in &resolutions {
        site.pages[*number].placements = resolution.placements.clone();
    }
    resolutions
}

impl Site {
    /// A fingerprint of the navigation tree.
    pub fn nav_fingerprint(&self) -> u64 {
        self.nav_fingerprint
    }

    /// The value of a fact in this site: equal values mean the lookup answers the same.
    pub fn fact_value(&self, fact: &Fact) -> u64 {
        let mut hasher = Fingerprinter::default();
        match fact {
            Fact::Label(name) => self
                .labels
                .get(name)
                .map(|target| {
                    (
                        &self.pages[target.page].output,
                        &target.anchor,
                        &target.title,
                    )
                })
                .hash(&mut hasher),
            Fact::Doc(name) => self
                .pages_by_doc
                .get(name)
                .map(|page| (&self.pages[*page].output, &self.pages[*page].title))
                .hash(&mut hasher),
            Fact::TocParts(name) => self
                .pages_by_doc
                .get(name)
                .map(|page| &self.pages[*page].outline.toc_parts)
                .hash(&mut hasher),
            Fact::Source(rel) => self
                .pages_by_rel
                .get(rel)
                .map(|page| &self.pages[*page].output)
                .hash(&mut hasher),
            Fact::File(path) => path.is_file().hash(&mut hasher),
            Fact::Nav => self.nav_fingerprint.hash(&mut hasher),
            Fact::DocNames => self.doc_names_fingerprint.hash(&mut hasher),
            Fact::Placement(name) => self.placement_fingerprints.of(name).hash(&mut hasher),
        }
        hasher.finish()
    }
}

/// A fingerprint of everything a toctree can show from the navigation tree.
fn nav_fingerprint(nav: &Nav, pages: &[Page]) -> u64 {
    let mut hasher = Fingerprinter::default();
    for node in &nav.nodes {
        node.title.hash(&mut hasher);
        node.page.map(|page| &pages[page].output).hash(&mut hasher);
        node.url.hash(&mut hasher);
        (node.kind as u8).hash(&mut hasher);
        node.children.hash(&mut hasher);
    }
    nav.roots.hash(&mut hasher);
    hasher.finish()
}

fn make_pages(
    config: &Config,
    inputs: Vec<PageInput>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Page> {
    let mut outputs: HashMap<String, String> = HashMap::new();
    let mut pages = Vec::with_capacity(inputs.len());
    for input in inputs {
        diagnostics.extend(input.diagnostics);
        let doc_name = input.source.doc_name().to_string();
        let output = urls::page_output_path(&doc_name, config.build.pretty_urls);
        if let Some(other) = outputs.insert(output.clone(), input.source.rel.clone()) {
            diagnostics.push(
                Diagnostic::error(
                    Location::new(input.file, 1, 1),
                    format!("this page and `{other}` would both be written to `{output}`"),
                )
                .with_code("duplicate-output")
                .with_hint("rename one of them, or exclude one with `[build] exclude`"),
            );
            continue;
        }
        let title = input
            .outline
            .title
            .clone()
            .filter(|title| !title.trim().is_empty())
            .unwrap_or_else(|| doc_name.rsplit('/').next().unwrap_or(&doc_name).to_string());
        pages.push(Page {
            description: input.outline.description.clone(),
            source: input.source,
            file: input.file,
            doc_name,
            output,
            title,
            outline: input.outline,
            document: input.document,
            dependencies: input.dependencies,
            placements: placements::PlacementUse::default(),
            previous: None,
            next: None,
        });
    }
    pages
}

fn index_labels(
    pages: &[Page],
    sources: &SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> HashMap<String, LabelTarget> {
    let mut labels: HashMap<String, LabelTarget> = HashMap::new();
    for (number, page) in pages.iter().enumerate() {
        for label in &page.outline.labels {
            let target = LabelTarget {
                page: number,
                anchor: label.id.clone(),
                title: label.title.clone(),
                location: label.location,
            };
            // As Sphinx does: a second definition is a problem when the first one names
            // a section; two labels that only mark a place are not reported, and a label
            // on a section wins over one that only marks a place.
            if let Some(first) = labels.get(&label.name) {
                if first.title.is_none() {
                    if target.title.is_some() {
                        labels.insert(label.name.clone(), target);
                    }
                    continue;
                }
                // The first definition is named in the hint: an include chain would
                // read as if this file included that one.
                let diagnostic = Diagnostic::warning(
                    target.location,
                    format!(
                        "label `{}` is defined twice; references use the first",
                        label.name
                    ),
                )
                .with_code("duplicate-label")
                .with_hint(format!(
                    "the first is at {}; give one of the two a different name",
                    sources.describe(first.location)
                ));
                diagnostics.push(diagnostic);
                continue;
            }
            labels.insert(label.name.clone(), target);
        }
    }
    labels
}

/// The page the book starts from: `[build] index`, else `index` or mdBook's `README`.
pub fn root_page(config: &Config, pages: &[Page]) -> Option<usize> {
    pages
        .iter()
        .position(|page| page.doc_name == config.build.index)
        .or_else(|| {
            pages
                .iter()
                .position(|page| page.doc_name == "README" || page.doc_name == "index")
        })
}

fn build_nav(
    config: &Config,
    pages: &[Page],
    summary: Option<(FileId, &str)>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Nav {
    let nav_pages: Vec<NavPage> = pages
        .iter()
        .map(|page| NavPage {
            doc_name: &page.doc_name,
            title: page.title.clone(),
            toctrees: &page.outline.toctrees,
            file: page.file,
            orphan: page.outline.orphan,
        })
        .collect();

    let has_toctree = pages.iter().any(|page| !page.outline.toctrees.is_empty());
    let root = root_page(config, pages);

    match (has_toctree, summary, root) {
        (true, _, Some(root)) => nav::from_toctrees(&nav_pages, root, diagnostics),
        (_, Some((file, text)), _) => {
            let by_rel: HashMap<&str, usize> = pages
                .iter()
                .enumerate()
                .map(|(i, p)| (p.source.rel.as_str(), i))
                .collect();
            let page_of = |path: &str| by_rel.get(path).copied();
            nav::from_summary(text, file, &page_of, diagnostics)
        }
        _ => nav::from_folders(&nav_pages),
    }
}

/// Previous/next follow the navigation; pages outside it follow in path order.
fn link_reading_order(pages: &mut [Page], nav: &Nav) {
    let mut order = nav.reading_order();
    let listed: BTreeSet<usize> = order.iter().copied().collect();
    order.extend((0..pages.len()).filter(|index| !listed.contains(index)));
    for pair in order.windows(2) {
        pages[pair[0]].next = Some(pair[1]);
        pages[pair[1]].previous = Some(pair[0]);
    }
}

/// A directive no stage read, with the nearest name the language of the file it is
/// written in reads.
fn unknown_directive(sources: &SourceMap, directive: &crate::doc::Directive) -> Diagnostic {
    let is_rst = sources
        .get(directive.location.file)
        .is_some_and(|file| Format::from_path(&file.path) == Some(Format::Rst));
    let known = directives::known_directives(is_rst);
    let hint = directives::unknown_directive_hint(&directive.name, &known, is_rst);
    Diagnostic::warning(
        directive.location,
        format!("unknown directive `{}`", directive.name),
    )
    .with_code("unknown-directive")
    .with_hint(hint)
}

/// The per-page pass: references, links, images, toctrees and leftover directives.
fn resolve_page(index: &SiteIndex<'_>, number: usize, document: &mut Document) -> Resolution {
    let mut diagnostics = Vec::new();
    let mut assets = Vec::new();
    let mut facts = Vec::new();
    let mut uses = placements::PlacementUse::default();
    let output = index.output(number).to_string();

    visit_inlines_mut(&mut document.blocks, &mut |inlines| {
        for inline in inlines.iter_mut() {
            let replacement = match inline {
                Inline::Reference(reference) => Some(resolve_reference(
                    index,
                    number,
                    reference,
                    &mut diagnostics,
                    &mut facts,
                )),
                Inline::Link(link) => {
                    resolve_link(index, &output, link, &mut diagnostics, &mut facts);
                    None
                }
                Inline::Image(image) => {
                    let found = resolve_image(index, &output, image, &mut diagnostics, &mut facts);
                    assets.extend(found);
                    None
                }
                Inline::Substitution { name, .. } => Some(Inline::Text(format!("|{name}|"))),
                _ => None,
            };
            if let Some(replacement) = replacement {
                *inline = replacement;
            }
        }
    });

    visit_blocks_mut(&mut document.blocks, &mut |block| {
        let replacement = match block {
            Block::Image(image) => {
                let found = resolve_image(index, &output, image, &mut diagnostics, &mut facts);
                assets.extend(found);
                None
            }
            Block::Figure(figure) => {
                let image = &mut figure.image;
                let found = resolve_image(index, &output, image, &mut diagnostics, &mut facts);
                assets.extend(found);
                None
            }
            Block::Toctree(toctree) => Some(toctree_block(index, number, toctree, &mut facts)),
            Block::Directive(directive)
                if placements::DIRECTIVES.contains(&directive.name.as_str()) =>
            {
                facts.push(Fact::Placement(directive.argument.trim().to_string()));
                Some(placements::expand(
                    index.catalog,
                    directive,
                    index.sources,
                    &output,
                    &mut uses,
                    &mut diagnostics,
                ))
            }
            Block::Directive(directive) => {
                diagnostics.push(unknown_directive(index.sources, directive));
                let code = if directive.source.is_empty() {
                    format!(
                        "{} {}\n{}",
                        directive.name, directive.argument, directive.body
                    )
                } else {
                    directive.source.clone()
                };
                Some(Block::Code(CodeBlock {
                    code,
                    location: directive.location,
                    ..CodeBlock::default()
                }))
            }
            _ => None,
        };
        if let Some(replacement) = replacement {
            *block = replacement;
        }
    });

    facts.sort();
    facts.dedup();
    Resolution {
        diagnostics,
        assets,
        facts,
        placements: uses,
    }
}

fn resolve_reference(
    index: &SiteIndex<'_>,
    number: usize,
    reference: &Reference,
    diagnostics: &mut Vec<Diagnostic>,
    facts: &mut Vec<Fact>,
) -> Inline {
    let from = index.output(number);
    let found = match reference.kind {
        ReferenceKind::Label => {
            let name = normalize_label(&reference.target);
            let target = index.site.labels.get(&name);
            facts.push(Fact::Label(name));
            target.map(|target| {
                let url = format!(
                    "{}#{}",
                    urls::relative_link(from, index.output(target.page)),
                    target.anchor
                );
                (url, target.title.clone())
            })
        }
        ReferenceKind::Page => {
            let name = nav::resolve_doc_name(index.doc_name(number), &reference.target);
            let page = index.site.pages_by_doc.get(&name).copied();
            facts.push(Fact::Doc(name));
            page.map(|page| {
                let url = urls::relative_link(from, index.output(page));
                (url, Some(index.title(page).to_string()))
            })
        }
    };

    let rst = written_in_rst(index, reference.location.file);
    let Some((url, title)) = found else {
        let (what, hint) = match reference.kind {
            ReferenceKind::Label if rst => {
                ("label", "define it with `.. _name:` before a section title")
            }
            ReferenceKind::Label => ("label", "define it with `(name)=` before a heading"),
            ReferenceKind::Page => ("page", "name the page by its path without extension"),
        };
        diagnostics.push(
            Diagnostic::warning(
                reference.location,
                format!("unresolved reference: no {what} `{}`", reference.target),
            )
            .with_code("unresolved-reference")
            .with_hint(hint),
        );
        return Inline::Text(
            reference
                .text
                .clone()
                .unwrap_or_else(|| reference.target.clone()),
        );
    };

    let text = match (&reference.text, title) {
        (Some(text), _) => text.clone(),
        (None, Some(title)) => title,
        (None, None) => {
            diagnostics.push(
                Diagnostic::warning(
                    reference.location,
                    format!(
                        "label `{}` is not before a heading, so it has no title",
                        reference.target
                    ),
                )
                .with_code("untitled-label")
                .with_hint(if rst {
                    "give the reference its own text: :ref:`Text <label>`"
                } else {
                    "give the reference its own text: {ref}`Text <label>`"
                }),
            );
            reference.target.clone()
        }
    };
    Inline::Link(Link {
        destination: LinkDestination::Url(url),
        title: None,
        content: vec![Inline::Text(text)],
        location: Some(reference.location),
        download: false,
    })
}

/// Whether a source file is reStructuredText, so hints show its syntax.
fn written_in_rst(index: &SiteIndex<'_>, file: FileId) -> bool {
    index
        .sources
        .get(file)
        .is_some_and(|source| source.path.extension().is_some_and(|ext| ext == "rst"))
}

/// The path of a source file relative to the source folder, for files under it.
fn source_rel(index: &SiteIndex<'_>, file: FileId) -> Option<String> {
    let path = index.sources.get(file)?.path.clone();
    let source_dir = index.config.source_dir();
    path.strip_prefix(&source_dir).ok()?;
    Some(relative_slash_path(&path, &source_dir))
}

/// Joins a link target to the folder of the source file it was written in.
fn join_to_source(index: &SiteIndex<'_>, file: FileId, target: &str) -> Option<String> {
    if let Some(rooted) = target.strip_prefix('/') {
        return Some(
            normalize(Path::new(rooted))
                .to_string_lossy()
                .replace('\\', "/"),
        );
    }
    let from = source_rel(index, file)?;
    let folder = from.rsplit_once('/').map_or("", |(folder, _)| folder);
    let joined = if folder.is_empty() {
        target.to_string()
    } else {
        format!("{folder}/{target}")
    };
    let normalized = normalize(Path::new(&joined));
    Some(normalized.to_string_lossy().replace('\\', "/"))
}

fn resolve_link(
    index: &SiteIndex<'_>,
    output: &str,
    link: &mut Link,
    diagnostics: &mut Vec<Diagnostic>,
    facts: &mut Vec<Fact>,
) {
    let LinkDestination::Source {
        path,
        query,
        fragment,
        location,
    } = &link.destination
    else {
        return;
    };
    let target = join_to_source(index, location.file, path);
    let page = target
        .as_deref()
        .and_then(|rel| index.site.pages_by_rel.get(rel));
    if let Some(rel) = target.clone() {
        facts.push(Fact::Source(rel));
    }
    let Some(page) = page else {
        diagnostics.push(
            Diagnostic::warning(*location, format!("link to `{path}`, which is not a page"))
                .with_code("link-not-a-page")
                .with_hint(
                    "link to a page of this book (.md or .rst) by its path relative to this file",
                ),
        );
        link.destination = LinkDestination::Url(path.clone());
        return;
    };
    let mut url = urls::relative_link(output, index.output(*page));
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    if let Some(fragment) = fragment {
        url.push('#');
        url.push_str(fragment);
    }
    link.destination = LinkDestination::Url(url);
}

fn resolve_image(
    index: &SiteIndex<'_>,
    output: &str,
    image: &mut crate::doc::Image,
    diagnostics: &mut Vec<Diagnostic>,
    facts: &mut Vec<Fact>,
) -> Option<StaticFile> {
    let src = image.src.trim();
    let is_url = src.contains("://") || src.starts_with("//") || src.starts_with("data:");
    if is_url || src.is_empty() {
        return None;
    }
    let rel = join_to_source(index, image.location.file, src)?;
    let path = index.config.source_dir().join(&rel);
    facts.push(Fact::File(path.clone()));
    if !path.is_file() {
        diagnostics.push(
            Diagnostic::warning(image.location, format!("image `{src}` does not exist"))
                .with_code("missing-image")
                .with_hint(
                    "image paths are relative to the page, or to the source folder with `/`",
                ),
        );
        return None;
    }
    image.src = urls::relative_link(output, &rel);
    Some(StaticFile { path, rel })
}

/// A visible toctree becomes a nested list of links to its pages, each with its own
/// sections and the pages of its own visible toctrees, down to `:maxdepth:` levels,
/// as Sphinx draws it.
fn toctree_block(
    index: &SiteIndex<'_>,
    number: usize,
    toctree: &Toctree,
    facts: &mut Vec<Fact>,
) -> Block {
    if toctree.hidden {
        return Block::Container {
            classes: vec!["lb-toctree-hidden".into()],
            blocks: Vec::new(),
        };
    }
    let depth = toctree
        .max_depth
        .filter(|depth| *depth > 0)
        .unwrap_or(u32::MAX);
    let mut drawing = TocDrawing {
        index,
        from: number,
        open_pages: vec![number],
        facts,
    };
    let items = drawing.entries(number, toctree, depth - 1);
    let mut blocks = Vec::new();
    if let Some(caption) = &toctree.caption {
        blocks.push(Block::Paragraph(vec![Inline::Text(caption.clone())]));
    }
    blocks.push(Block::List(List {
        start: None,
        style: None,
        items,
    }));
    Block::Container {
        classes: vec!["lb-toctree".into()],
        blocks,
    }
}

/// One toctree being drawn on page `from`, with the pages whose listings are open (a
/// page listed inside its own listing, through a cycle or `self`, ends its branch) and
/// the lookups the drawing makes.
struct TocDrawing<'i, 'a, 'f> {
    index: &'i SiteIndex<'a>,
    from: usize,
    open_pages: Vec<usize>,
    facts: &'f mut Vec<Fact>,
}

impl TocDrawing<'_, '_, '_> {
    /// The items of a toctree found on page `holder`; `depth` levels may show below
    /// each entry.
    fn entries(&mut self, holder: usize, toctree: &Toctree, depth: u32) -> Vec<ListItem> {
        let mut items = Vec::new();
        let holder_doc = self.index.doc_name(holder);
        let entry_pages =
            nav::toctree_entry_pages(holder_doc, toctree, &self.index.site.pages_by_doc);
        for (entry, mut targets) in toctree.entries.iter().zip(entry_pages) {
            if let Some(url) = nav::external_entry(&entry.target) {
                let title = entry.title.clone().unwrap_or_else(|| url.clone());
                items.push(link_item(url, title));
                continue;
            }
            let name = nav::resolve_doc_name(holder_doc, &entry.target);
            self.facts.push(Fact::Doc(name));
            if entry.target == "self" {
                targets = vec![holder];
            }
            if nav::is_glob_entry(toctree, entry) {
                self.facts.push(Fact::DocNames);
            }
            for target in targets {
                let title = entry
                    .title
                    .clone()
                    .unwrap_or_else(|| self.index.title(target).to_string());
                items.push(self.item(target, title, depth));
            }
        }
        items
    }

    /// A toctree entry: a link to the page, and below it the page's sections and the
    /// pages of its visible toctrees, where they stand in the page, down to `depth`
    /// levels.
    fn item(&mut self, target: usize, title: String, depth: u32) -> ListItem {
        let url = urls::relative_link(self.index.output(self.from), self.index.output(target));
        let mut item = link_item(url, title);
        if depth == 0 || self.open_pages.contains(&target) {
            return item;
        }
        self.open_pages.push(target);
        let children = self.page_toc(target, depth);
        self.open_pages.pop();
        if !children.is_empty() {
            item.blocks.push(Block::List(List {
                start: None,
                style: None,
                items: children,
            }));
        }
        item
    }

    /// The contents of `page` below its title: sections nest by level, and a toctree's
    /// pages go under the section the toctree stands in.
    fn page_toc(&mut self, page: usize, depth: u32) -> Vec<ListItem> {
        let index = self.index;
        self.facts
            .push(Fact::TocParts(index.doc_name(page).to_string()));
        let page_url = urls::relative_link(index.output(self.from), index.output(page));
        let mut top = Vec::new();
        let mut open: Vec<OpenSection> = Vec::new();
        let mut title_level = None;
        for part in &index.site.pages[page].outline.toc_parts {
            match part {
                TocPart::Section { level, id, title } => {
                    let Some(base) = title_level else {
                        title_level = Some(*level);
                        continue;
                    };
                    let level = u32::from(level.saturating_sub(base)).max(1);
                    close_sections(&mut open, &mut top, level);
                    if level <= depth {
                        open.push(OpenSection {
                            level,
                            item: link_item(format!("{page_url}#{id}"), title.clone()),
                            children: Vec::new(),
                        });
                    }
                }
                TocPart::Toctree(toctree) => {
                    let level = open.last().map_or(1, |section| section.level + 1);
                    if level > depth {
                        continue;
                    }
                    let items = self.entries(page, toctree, depth - level);
                    match open.last_mut() {
                        Some(section) => section.children.extend(items),
                        None => top.extend(items),
                    }
                }
            }
        }
        close_sections(&mut open, &mut top, 0);
        top
    }
}

/// A list item holding one link.
fn link_item(url: String, title: String) -> ListItem {
    ListItem {
        checked: None,
        blocks: vec![Block::Paragraph(vec![Inline::Link(Link {
            destination: LinkDestination::Url(url),
            title: None,
            content: vec![Inline::Text(title)],
            // Toctree links are made here and always point at a page.
            location: None,
            download: false,
        })])],
    }
}

/// A section being filled while a page's contents are laid out.
struct OpenSection {
    level: u32,
    item: ListItem,
    children: Vec<ListItem>,
}

/// Closes the open sections at `level` or deeper, each into its parent.
fn close_sections(open: &mut Vec<OpenSection>, top: &mut Vec<ListItem>, level: u32) {
    while open.last().is_some_and(|section| section.level >= level) {
        let Some(mut section) = open.pop() else { break };
        if !section.children.is_empty() {
            section.item.blocks.push(Block::List(List {
                start: None,
                style: None,
                items: section.children,
            }));
        }
        match open.last_mut() {
            Some(parent) => parent.children.push(section.item),
            None => top.push(section.item),
        }
    }
}

/// Counts of diagnostics by severity.
pub fn count(diagnostics: &[Diagnostic]) -> (usize, usize) {
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    (errors, diagnostics.len() - errors)
}
