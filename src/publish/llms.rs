//! `llms.txt` and a Markdown copy of every page, for language-model readers.
//!
//! Steps: render each page's document to Markdown, with links to other pages pointed
//! at their Markdown copies, and write it under [`markdown_path`]; then list the pages
//! in `llms.txt` as the llms.txt convention has it: the site's title, a one-line
//! summary, and for each navigation section a `##` heading over one line per page (its
//! title linked to its Markdown copy, and its description). Pages outside the
//! navigation come last, under `## Optional`, the convention's name for what a reader
//! may skip.

use std::collections::{HashMap, HashSet};

use crate::config::Config;
use crate::doc::{Block, Document, plain_text, visit_blocks};
use crate::render::escape::url_path;
use crate::render::markdown;
use crate::resolve::nav::NavKind;
use crate::resolve::{Page, Site, root_page, urls};

/// Where a page's Markdown copy is written: beside its HTML, named after its source
/// (`guide/setup.md` for `guide/setup.html`), and in the same place with pretty URLs,
/// beside the page's folder (`guide/setup.md` for `guide/setup/index.html`).
pub fn markdown_path(page: &Page) -> String {
    let html = urls::page_output_path(&page.doc_name, false);
    let stem = html.strip_suffix(".html").unwrap_or(&html);
    format!("{stem}.md")
}

/// Makes the Markdown copies of a site's pages: knows which output paths are pages, so
/// links between pages can lead from copy to copy.
pub struct MarkdownCopies<'s> {
    site: &'s Site,
    pages_by_output: HashMap<&'s str, usize>,
}

impl<'s> MarkdownCopies<'s> {
    pub fn new(site: &'s Site) -> Self {
        let pages_by_output = site
            .pages
            .iter()
            .enumerate()
            .map(|(number, page)| (page.output.as_str(), number))
            .collect();
        MarkdownCopies {
            site,
            pages_by_output,
        }
    }

    /// The output path and text of `page`'s copy, made from its resolved `document`.
    pub fn copy(&self, page: &Page, document: &Document) -> (String, String) {
        let path = markdown_path(page);
        let rewrite = |url: &str| self.retarget(page, &path, url);
        let text = markdown::render_document(document, &page.title, &rewrite);
        (path, text)
    }

    /// A URL written for `page`'s HTML, made right for its Markdown copy at `copy`:
    /// links to pages lead to their copies, other relative links are re-rooted;
    /// absolute and fragment-only links stay as they are.
    fn retarget(&self, page: &Page, copy: &str, url: &str) -> String {
        retarget(self.site, &self.pages_by_output, page, copy, url)
    }
}

fn retarget(
    site: &Site,
    pages_by_output: &HashMap<&str, usize>,
    page: &Page,
    copy: &str,
    url: &str,
) -> String {
    let is_relative = !(url.is_empty()
        || url.starts_with(['#', '/', '?'])
        || url.contains("://")
        || url
            .split_once(':')
            .is_some_and(|(scheme, _)| !scheme.contains('/')));
    if !is_relative {
        return url.to_string();
    }
    let cut = url.find(['#', '?']).unwrap_or(url.len());
    let (path, rest) = url.split_at(cut);
    let Some(target) = urls::resolve_relative(&page.output, path) else {
        return url.to_string();
    };
    let target = match pages_by_output.get(target.as_str()) {
        Some(other) => markdown_path(&site.pages[*other]),
        None => target,
    };
    format!("{}{rest}", urls::relative_link(copy, &target))
}

/// `llms.txt` for the whole site; `first_sentences` holds each page's
/// [`first_sentence`], in page order, for pages without a description.
pub fn llms_txt(config: &Config, site: &Site, first_sentences: &[Option<&str>]) -> String {
    let title = config.book.title.as_deref().unwrap_or("Documentation");
    let describe = |page: usize| {
        site.pages[page].description.clone().or_else(|| {
            first_sentences
                .get(page)
                .copied()
                .flatten()
                .map(str::to_string)
        })
    };
    // Without `[book] description` the root page says what the site is; no other page
    // speaks for the whole site.
    let summary = config
        .book
        .description
        .clone()
        .or_else(|| root_page(config, &site.pages).and_then(describe))
        .unwrap_or_else(|| {
            let count = site.pages.len();
            let plural = if count == 1 { "" } else { "s" };
            format!("{title}: {count} page{plural} of documentation.")
        });

    let mut text = format!("# {}\n\n> {}\n", one_line(title), one_line(&summary));
    let mut listed = HashSet::new();
    for (heading, pages) in nav_sections(site) {
        let lines: Vec<String> = pages
            .into_iter()
            .filter(|page| listed.insert(*page))
            .map(|page| page_line(config, &site.pages[page], describe(page)))
            .collect();
        if !lines.is_empty() {
            text.push_str(&format!(
                "\n## {}\n\n{}\n",
                one_line(&heading),
                lines.join("\n")
            ));
        }
    }
    let outside: Vec<String> = (0..site.pages.len())
        .filter(|page| !listed.contains(page))
        .map(|page| page_line(config, &site.pages[page], describe(page)))
        .collect();
    if !outside.is_empty() {
        text.push_str(&format!("\n## Optional\n\n{}\n", outside.join("\n")));
    }
    text
}

fn page_line(config: &Config, page: &Page, description: Option<String>) -> String {
    let path = url_path(&markdown_path(page));
    let url = if config.has_absolute_base_url() {
        format!("{}{path}", config.base_url())
    } else {
        path
    };
    let title = one_line(&page.title).replace(['[', ']'], "");
    match description {
        Some(description) => format!("- [{title}]({url}): {}", one_line(&description)),
        None => format!("- [{title}]({url})"),
    }
}

/// The first sentence of a document's first paragraph, at most 200 characters: what
/// `llms.txt` says of a page without a description.
pub fn first_sentence(document: &Document) -> Option<String> {
    let mut paragraph = None;
    visit_blocks(&document.blocks, &mut |block| {
        if paragraph.is_none()
            && let Block::Paragraph(inlines) = block
        {
            let text = plain_text(inlines);
            if !text.trim().is_empty() {
                paragraph = Some(text);
            }
        }
    });
    let text = one_line(&paragraph?);
    let sentence_end = text
        .match_indices(". ")
        .map(|(index, _)| index + 1)
        .find(|end| *end >= 20)
        .unwrap_or(text.len());
    let sentence = &text[..sentence_end];
    if sentence.chars().count() <= 200 {
        return Some(sentence.to_string());
    }
    let cut = sentence
        .char_indices()
        .nth(200)
        .map_or(sentence.len(), |(index, _)| index);
    let cut = sentence[..cut].rfind(' ').unwrap_or(cut);
    Some(format!("{}…", &sentence[..cut]))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The navigation as `(heading, pages)` sections: each top-level part or chapter with
/// everything under it; runs of top-level pages without children are gathered in one
/// section. A single root page (a toctree root) has its children taken as the top
/// level, and itself as the first section.
fn nav_sections(site: &Site) -> Vec<(String, Vec<usize>)> {
    let nav = &site.nav;
    let mut sections: Vec<(String, Vec<usize>)> = Vec::new();
    let mut tops = nav.roots.clone();
    if let [only] = nav.roots[..]
        && let Some(page) = nav.nodes[only].page
        && !nav.nodes[only].children.is_empty()
    {
        sections.push((nav.nodes[only].title.clone(), vec![page]));
        tops = nav.nodes[only].children.clone();
    }

    let mut loose: Vec<(String, usize)> = Vec::new();
    let flush = |loose: &mut Vec<(String, usize)>, sections: &mut Vec<(String, Vec<usize>)>| {
        let heading = match loose.as_slice() {
            [] => return,
            [(title, _)] => title.clone(),
            _ => "Pages".to_string(),
        };
        sections.push((heading, loose.drain(..).map(|(_, page)| page).collect()));
    };
    for top in tops {
        let node = &nav.nodes[top];
        match (node.kind, node.page, node.children.is_empty()) {
            (NavKind::Separator, _, _) => flush(&mut loose, &mut sections),
            (_, Some(page), true) => loose.push((node.title.clone(), page)),
            (_, _, true) => {}
            (_, page, false) => {
                flush(&mut loose, &mut sections);
                let mut pages: Vec<usize> = page.into_iter().collect();
                descendant_pages(site, top, &mut pages);
                sections.push((node.title.clone(), pages));
            }
        }
    }
    flush(&mut loose, &mut sections);
    sections
}

fn descendant_pages(site: &Site, node: usize, out: &mut Vec<usize>) {
    for child in &site.nav.nodes[node].children {
        if let Some(page) = site.nav.nodes[*child].page {
            out.push(page);
        }
        descendant_pages(site, *child, out);
    }
}
