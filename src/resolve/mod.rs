//! Resolve stage: from parsed pages to a site whose links all point somewhere.
//!
//! Steps: give each page its output path and title; index every label; build the
//! navigation (toctrees, else `SUMMARY.md`, else folders) and the reading order for
//! previous/next links; then, per page and in parallel, turn references, links to source
//! files and images into relative URLs, expand toctrees into link lists, replace the
//! placement directives by their snippets, tables and payloads ([`placements`]), and
//! report what does not resolve. Unresolved things become plain text with a warning,
//! never markup.

pub mod nav;
pub mod placements;
pub mod urls;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostics::{Diagnostic, Severity, SourceMap};
use crate::doc::{
    Block, CodeBlock, Document, FileId, Inline, Link, LinkDestination, List, ListItem, Location,
    Reference, ReferenceKind, Toctree, plain_text, visit_blocks, visit_blocks_mut,
    visit_inlines_mut,
};
use crate::parse::ParsedPage;
use crate::parse::loader::normalize;
use crate::parse::markdown::normalize_label;
use crate::placements::Catalog;
use crate::sources::{PageSource, StaticFile, relative_slash_path};
use nav::{Nav, NavPage};

/// One page, ready to render.
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
    pub document: Document,
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

/// Everything the per-page pass looks things up in.
struct SiteIndex<'a> {
    config: &'a Config,
    sources: &'a SourceMap,
    labels: HashMap<String, LabelTarget>,
    pages_by_doc: HashMap<String, usize>,
    pages_by_rel: HashMap<String, usize>,
    outputs: Vec<String>,
    titles: Vec<String>,
    doc_names: Vec<String>,
    /// Per page: its sections and visible toctrees, for drawing toctrees that list it.
    toc_parts: Vec<Vec<TocPart>>,
    catalog: &'a Catalog,
}

/// Resolves parsed pages into a site. `summary` is `SUMMARY.md`'s id and text;
/// `catalog` holds the placements the placement directives name.
pub fn resolve(
    config: &Config,
    parsed: Vec<ParsedPage>,
    summary: Option<(FileId, &str)>,
    sources: &SourceMap,
    catalog: &Catalog,
    diagnostics: &mut Vec<Diagnostic>,
) -> Site {
    let mut pages = make_pages(config, parsed, diagnostics);
    let labels = index_labels(&pages, sources, diagnostics);
    let nav = build_nav(config, &pages, summary, diagnostics);
    link_reading_order(&mut pages, &nav);

    let index = SiteIndex {
        config,
        sources,
        labels,
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
        outputs: pages.iter().map(|page| page.output.clone()).collect(),
        titles: pages.iter().map(|page| page.title.clone()).collect(),
        doc_names: pages.iter().map(|page| page.doc_name.clone()).collect(),
        toc_parts: pages
            .iter()
            .map(|page| toc_parts(&page.document.blocks))
            .collect(),
        catalog,
    };
    let results: Vec<(Vec<Diagnostic>, Vec<StaticFile>)> = pages
        .par_iter_mut()
        .enumerate()
        .map(|(number, page)| resolve_page(&index, number, page))
        .collect();

    let mut assets = BTreeSet::new();
    for (page_diagnostics, page_assets) in results {
        diagnostics.extend(page_diagnostics);
        assets.extend(page_assets);
    }
    drop(index);
    Site {
        pages,
        nav,
        assets: assets.into_iter().collect(),
    }
}

fn make_pages(
    config: &Config,
    parsed: Vec<ParsedPage>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Page> {
    let mut outputs: HashMap<String, String> = HashMap::new();
    let mut pages = Vec::with_capacity(parsed.len());
    for parsed_page in parsed {
        diagnostics.extend(parsed_page.diagnostics);
        let doc_name = parsed_page.source.doc_name().to_string();
        let output = urls::page_output_path(&doc_name, config.build.pretty_urls);
        if let Some(other) = outputs.insert(output.clone(), parsed_page.source.rel.clone()) {
            diagnostics.push(
                Diagnostic::error(
                    Location::new(parsed_page.file, 1, 1),
                    format!("this page and `{other}` would both be written to `{output}`"),
                )
                .with_code("duplicate-output")
                .with_hint("rename one of them, or exclude one with `[build] exclude`"),
            );
            continue;
        }
        let title = parsed_page
            .document
            .title_text()
            .filter(|title| !title.trim().is_empty())
            .unwrap_or_else(|| doc_name.rsplit('/').next().unwrap_or(&doc_name).to_string());
        pages.push(Page {
            description: parsed_page.document.description.clone(),
            source: parsed_page.source,
            file: parsed_page.file,
            doc_name,
            output,
            title,
            document: parsed_page.document,
            dependencies: parsed_page.dependencies,
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
        let mut found = Vec::new();
        visit_blocks(&page.document.blocks, &mut |block| match block {
            Block::Heading(heading) => {
                for label in &heading.labels {
                    let target = LabelTarget {
                        page: number,
                        anchor: label.id.clone(),
                        title: Some(plain_text(&heading.content)),
                        location: label.location,
                    };
                    found.push((label.name.clone(), target));
                }
            }
            Block::Anchor(anchor) => {
                for label in &anchor.labels {
                    let target = LabelTarget {
                        page: number,
                        anchor: label.id.clone(),
                        title: None,
                        location: label.location,
                    };
                    found.push((label.name.clone(), target));
                }
            }
            _ => {}
        });
        for (label, target) in found {
            // As Sphinx does: a second definition is a problem when the first one names
            // a section; two labels that only mark a place are not reported, and a label
            // on a section wins over one that only marks a place.
            if let Some(first) = labels.get(&label) {
                if first.title.is_none() {
                    if target.title.is_some() {
                        labels.insert(label, target);
                    }
                    continue;
                }
                // The first definition is named in the hint: an include chain would
                // read as if this file included that one.
                let diagnostic = Diagnostic::warning(
                    target.location,
                    format!("label `{label}` is defined twice; references use the first"),
                )
                .with_code("duplicate-label")
                .with_hint(format!(
                    "the first is at {}; give one of the two a different name",
                    sources.describe(first.location)
                ));
                diagnostics.push(diagnostic);
                continue;
            }
            labels.insert(label, target);
        }
    }
    labels
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
            blocks: &page.document.blocks,
            file: page.file,
            orphan: page.document.orphan,
        })
        .collect();

    let has_toctree = pages.iter().any(|page| {
        let mut found = false;
        visit_blocks(&page.document.blocks, &mut |block| {
            found |= matches!(block, Block::Toctree(_));
        });
        found
    });
    let root = pages
        .iter()
        .position(|page| page.doc_name == config.build.index)
        .or_else(|| {
            pages
                .iter()
                .position(|page| page.doc_name == "README" || page.doc_name == "index")
        });

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

/// The per-page pass: references, links, images, toctrees and leftover directives.
fn resolve_page(
    index: &SiteIndex<'_>,
    number: usize,
    page: &mut Page,
) -> (Vec<Diagnostic>, Vec<StaticFile>) {
    let mut diagnostics = Vec::new();
    let mut assets = Vec::new();
    let mut uses = placements::PlacementUse::default();
    let output = page.output.clone();

    visit_inlines_mut(&mut page.document.blocks, &mut |inlines| {
        for inline in inlines.iter_mut() {
            let replacement = match inline {
                Inline::Reference(reference) => Some(resolve_reference(
                    index,
                    number,
                    reference,
                    &mut diagnostics,
                )),
                Inline::Link(link) => {
                    resolve_link(index, &output, link, &mut diagnostics);
                    None
                }
                Inline::Image(image) => {
                    resolve_image(index, &output, image, &mut diagnostics, &mut assets);
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

    visit_blocks_mut(&mut page.document.blocks, &mut |block| {
        let replacement = match block {
            Block::Image(image) => {
                resolve_image(index, &output, image, &mut diagnostics, &mut assets);
                None
            }
            Block::Figure(figure) => {
                resolve_image(
                    index,
                    &output,
                    &mut figure.image,
                    &mut diagnostics,
                    &mut assets,
                );
                None
            }
            Block::Toctree(toctree) => Some(toctree_block(index, number, toctree)),
            Block::Directive(directive)
                if placements::DIRECTIVES.contains(&directive.name.as_str()) =>
            {
                Some(placements::expand(
                    index.catalog,
                    directive,
                    &output,
                    &mut uses,
                    &mut diagnostics,
                ))
            }
            Block::Directive(directive) => {
                diagnostics.push(
                    Diagnostic::warning(
                        directive.location,
                        format!("unknown directive `{}`", directive.name),
                    )
                    .with_code("unknown-directive")
                    .with_hint("its content is shown as a literal block; check the name"),
                );
                let code = if directive.body.trim().is_empty() {
                    format!("{} {}\n", directive.name, directive.argument)
                } else {
                    directive.body.clone()
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

    page.placements = uses;
    (diagnostics, assets)
}

fn resolve_reference(
    index: &SiteIndex<'_>,
    number: usize,
    reference: &Reference,
    diagnostics: &mut Vec<Diagnostic>,
) -> Inline {
    let from = &index.outputs[number];
    let found = match reference.kind {
        ReferenceKind::Label => {
            index
                .labels
                .get(&normalize_label(&reference.target))
                .map(|target| {
                    let url = format!(
                        "{}#{}",
                        urls::relative_link(from, &index.outputs[target.page]),
                        target.anchor
                    );
                    (url, target.title.clone())
                })
        }
        ReferenceKind::Page => {
            let name = nav::resolve_doc_name(&index.doc_names[number], &reference.target);
            index.pages_by_doc.get(&name).map(|page| {
                let url = urls::relative_link(from, &index.outputs[*page]);
                (url, Some(index.titles[*page].clone()))
            })
        }
    };

    let Some((url, title)) = found else {
        let (what, hint) = match reference.kind {
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
                .with_hint("give the reference its own text: {ref}`Text <label>`"),
            );
            reference.target.clone()
        }
    };
    Inline::Link(Link {
        destination: LinkDestination::Url(url),
        title: None,
        content: vec![Inline::Text(text)],
        location: Some(reference.location),
    })
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
) {
    let LinkDestination::Source {
        path,
        fragment,
        location,
    } = &link.destination
    else {
        return;
    };
    let target = join_to_source(index, location.file, path);
    let page = target
        .as_deref()
        .and_then(|rel| index.pages_by_rel.get(rel));
    let Some(page) = page else {
        diagnostics.push(
            Diagnostic::warning(*location, format!("link to `{path}`, which is not a page"))
                .with_code("link-not-a-page")
                .with_hint("link to a .md page of this book by its path relative to this file"),
        );
        link.destination = LinkDestination::Url(path.clone());
        return;
    };
    let mut url = urls::relative_link(output, &index.outputs[*page]);
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
    assets: &mut Vec<StaticFile>,
) {
    let src = image.src.trim();
    let is_url = src.contains("://") || src.starts_with("//") || src.starts_with("data:");
    if is_url || src.is_empty() {
        return;
    }
    let Some(rel) = join_to_source(index, image.location.file, src) else {
        return;
    };
    let path = index.config.source_dir().join(&rel);
    if !path.is_file() {
        diagnostics.push(
            Diagnostic::warning(image.location, format!("image `{src}` does not exist"))
                .with_code("missing-image")
                .with_hint(
                    "image paths are relative to the page, or to the source folder with `/`",
                ),
        );
        return;
    }
    image.src = urls::relative_link(output, &rel);
    assets.push(StaticFile { path, rel });
}

/// A visible toctree becomes a nested list of links to its pages, each with its own
/// sections and the pages of its own visible toctrees, down to `:maxdepth:` levels,
/// as Sphinx draws it.
fn toctree_block(index: &SiteIndex<'_>, number: usize, toctree: &Toctree) -> Block {
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
    let mut open_pages = vec![number];
    let items = toctree_entries(index, number, number, toctree, depth - 1, &mut open_pages);
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

/// The items of a toctree found on page `holder`, for a list drawn on page `from`;
/// `depth` levels may show below each entry.
fn toctree_entries(
    index: &SiteIndex<'_>,
    from: usize,
    holder: usize,
    toctree: &Toctree,
    depth: u32,
    open_pages: &mut Vec<usize>,
) -> Vec<ListItem> {
    let mut items = Vec::new();
    for entry in &toctree.entries {
        if let Some(url) = nav::external_entry(&entry.target) {
            let title = entry.title.clone().unwrap_or_else(|| url.clone());
            items.push(link_item(url, title));
            continue;
        }
        let name = nav::resolve_doc_name(&index.doc_names[holder], &entry.target);
        let mut targets: Vec<usize> = index.pages_by_doc.get(&name).copied().into_iter().collect();
        if entry.target == "self" {
            targets = vec![holder];
        }
        if toctree.glob && targets.is_empty() {
            targets = glob_pages(index, &name);
        }
        for target in targets {
            let title = entry
                .title
                .clone()
                .unwrap_or_else(|| index.titles[target].clone());
            items.push(toctree_item(index, from, target, title, depth, open_pages));
        }
    }
    items
}

fn glob_pages(index: &SiteIndex<'_>, pattern: &str) -> Vec<usize> {
    let Ok(matcher) = globset::Glob::new(pattern).map(|glob| glob.compile_matcher()) else {
        return Vec::new();
    };
    let mut found: Vec<(&String, usize)> = index
        .doc_names
        .iter()
        .enumerate()
        .filter(|(_, name)| matcher.is_match(name.as_str()))
        .map(|(page, name)| (name, page))
        .collect();
    found.sort();
    found.into_iter().map(|(_, page)| page).collect()
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
        })])],
    }
}

/// A toctree entry: a link to the page, and below it the page's sections and the
/// pages of its visible toctrees, where they stand in the page, down to `depth` levels.
fn toctree_item(
    index: &SiteIndex<'_>,
    from: usize,
    target: usize,
    title: String,
    depth: u32,
    open_pages: &mut Vec<usize>,
) -> ListItem {
    let url = urls::relative_link(&index.outputs[from], &index.outputs[target]);
    let mut item = link_item(url, title);
    // A page listed inside its own listing (a toctree cycle, or `self`) ends the branch.
    if depth == 0 || open_pages.contains(&target) {
        return item;
    }
    open_pages.push(target);
    let children = page_toc(index, from, target, depth, open_pages);
    open_pages.pop();
    if !children.is_empty() {
        item.blocks.push(Block::List(List {
            start: None,
            style: None,
            items: children,
        }));
    }
    item
}

/// A section being filled while a page's contents are laid out.
struct OpenSection {
    level: u32,
    item: ListItem,
    children: Vec<ListItem>,
}

/// The contents of `page` below its title: sections nest by level, and a toctree's
/// pages go under the section the toctree stands in.
fn page_toc(
    index: &SiteIndex<'_>,
    from: usize,
    page: usize,
    depth: u32,
    open_pages: &mut Vec<usize>,
) -> Vec<ListItem> {
    let page_url = urls::relative_link(&index.outputs[from], &index.outputs[page]);
    let mut top = Vec::new();
    let mut open: Vec<OpenSection> = Vec::new();
    let mut title_level = None;
    for part in &index.toc_parts[page] {
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
                let items = toctree_entries(index, from, page, toctree, depth - level, open_pages);
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

/// What a page contributes to the toctrees that list it, in page order.
#[derive(Debug, Clone)]
enum TocPart {
    Section {
        level: u8,
        id: String,
        title: String,
    },
    /// A toctree that is not `:hidden:` (hidden ones feed only the sidebar).
    Toctree(Toctree),
}

fn toc_parts(blocks: &[Block]) -> Vec<TocPart> {
    let mut parts = Vec::new();
    visit_blocks(blocks, &mut |block| match block {
        Block::Heading(heading) => parts.push(TocPart::Section {
            level: heading.level,
            id: heading.id.clone(),
            title: plain_text(&heading.content),
        }),
        Block::Toctree(toctree) if !toctree.hidden => parts.push(TocPart::Toctree(toctree.clone())),
        _ => {}
    });
    parts
}

/// Counts of diagnostics by severity.
pub fn count(diagnostics: &[Diagnostic]) -> (usize, usize) {
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    (errors, diagnostics.len() - errors)
}
