//! The site's navigation tree, from the first of these the book has: `toctree`
//! directives (followed from the root document, as Sphinx does), `SUMMARY.md`
//! (mdBook's format), or the folder tree.
//!
//! The tree is an arena of [`NavNode`]s with parent links, so each page can be given
//! just its own branch of the sidebar without walking the whole tree.

use std::collections::{HashMap, HashSet};

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

use crate::diagnostics::Diagnostic;
use crate::doc::{FileId, Location, Toctree};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NavKind {
    Page,
    /// A part title (mdBook) or toctree caption (Sphinx): text, no page.
    Part,
    /// A chapter listed without a page yet.
    Draft,
    Separator,
    /// A link to somewhere outside the site.
    External,
}

#[derive(Debug, Clone)]
pub struct NavNode {
    pub title: String,
    /// Index into the site's pages.
    pub page: Option<usize>,
    pub url: Option<String>,
    pub kind: NavKind,
    pub children: Vec<usize>,
    pub parent: Option<usize>,
}

#[derive(Debug, Default, Clone)]
pub struct Nav {
    pub nodes: Vec<NavNode>,
    pub roots: Vec<usize>,
}

impl Nav {
    fn push(&mut self, parent: Option<usize>, node: NavNode) -> usize {
        let index = self.nodes.len();
        self.nodes.push(NavNode { parent, ..node });
        match parent {
            Some(parent) => self.nodes[parent].children.push(index),
            None => self.roots.push(index),
        }
        index
    }

    fn page_node(&mut self, parent: Option<usize>, title: String, page: usize) -> usize {
        let node = NavNode {
            title,
            page: Some(page),
            url: None,
            kind: NavKind::Page,
            children: Vec::new(),
            parent: None,
        };
        self.push(parent, node)
    }

    fn text_node(&mut self, parent: Option<usize>, title: String, kind: NavKind) -> usize {
        let node = NavNode {
            title,
            page: None,
            url: None,
            kind,
            children: Vec::new(),
            parent: None,
        };
        self.push(parent, node)
    }

    /// Pages in reading order (depth first), each once.
    pub fn reading_order(&self) -> Vec<usize> {
        let mut order = Vec::new();
        let mut seen = HashSet::new();
        let mut stack: Vec<usize> = self.roots.iter().rev().copied().collect();
        while let Some(index) = stack.pop() {
            let node = &self.nodes[index];
            if let Some(page) = node.page
                && seen.insert(page)
            {
                order.push(page);
            }
            stack.extend(node.children.iter().rev());
        }
        order
    }

    /// The node of each page (its first appearance).
    pub fn node_of_page(&self) -> HashMap<usize, usize> {
        let mut map = HashMap::new();
        for (index, node) in self.nodes.iter().enumerate() {
            if let Some(page) = node.page {
                map.entry(page).or_insert(index);
            }
        }
        map
    }
}

/// What navigation needs to know about a page.
pub struct NavPage<'a> {
    pub doc_name: &'a str,
    pub title: String,
    /// The page's toctrees in document order.
    pub toctrees: &'a [Toctree],
    pub file: FileId,
    /// Marked as standing outside the navigation on purpose.
    pub orphan: bool,
}

/// Builds the tree from toctrees, starting at the root document.
pub fn from_toctrees(pages: &[NavPage<'_>], root: usize, diagnostics: &mut Vec<Diagnostic>) -> Nav {
    let by_name: HashMap<&str, usize> = pages
        .iter()
        .enumerate()
        .map(|(index, page)| (page.doc_name, index))
        .collect();
    let mut nav = Nav::default();
    let mut visited = HashSet::from([root]);
    nav.page_node(None, pages[root].title.clone(), root);
    add_toctree_children(
        &mut nav,
        None,
        pages,
        root,
        &by_name,
        &mut visited,
        diagnostics,
    );

    for (index, page) in pages.iter().enumerate() {
        if !visited.contains(&index) && !page.orphan {
            diagnostics.push(
                Diagnostic::warning(
                    Location::new(page.file, 1, 1),
                    "page is not included in any toctree",
                )
                .with_code("not-in-navigation")
                .with_hint("list it in a toctree, or exclude it with `[build] exclude`"),
            );
        }
    }
    nav
}

fn add_toctree_children(
    nav: &mut Nav,
    parent: Option<usize>,
    pages: &[NavPage<'_>],
    page: usize,
    by_name: &HashMap<&str, usize>,
    visited: &mut HashSet<usize>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut children = Vec::new();
    for toctree in pages[page].toctrees {
        let caption_parent = match &toctree.caption {
            Some(caption) if parent.is_none() => {
                Some(nav.text_node(None, caption.clone(), NavKind::Part))
            }
            _ => parent,
        };
        let entry_pages = toctree_entry_pages(pages[page].doc_name, toctree, by_name);
        for (entry, targets) in toctree.entries.iter().zip(entry_pages) {
            // Sphinx's `self` entry: the page that holds the toctree, without its children.
            if entry.target == "self" {
                let title = entry
                    .title
                    .clone()
                    .unwrap_or_else(|| pages[page].title.clone());
                nav.page_node(caption_parent, title, page);
                continue;
            }
            if targets.is_empty() {
                if let Some(url) = external_entry(&entry.target) {
                    let title = entry.title.clone().unwrap_or_else(|| url.clone());
                    let index = nav.text_node(caption_parent, title, NavKind::External);
                    nav.nodes[index].url = Some(url);
                    continue;
                }
                if is_glob_entry(toctree, entry) {
                    diagnostics.push(
                        Diagnostic::warning(
                            entry.location,
                            format!("toctree pattern `{}` matches no page", entry.target),
                        )
                        .with_code("toctree-entry-not-a-page")
                        .with_hint(
                            "in a pattern, `*` and `?` match within one folder and `**` \
                             across folders; the page holding the toctree never matches",
                        ),
                    );
                    continue;
                }
                diagnostics.push(
                    Diagnostic::warning(
                        entry.location,
                        format!("toctree names `{}`, which is not a page", entry.target),
                    )
                    .with_code("toctree-entry-not-a-page")
                    .with_hint("toctree entries are page paths without extension"),
                );
                continue;
            }
            for target in targets {
                let title = entry
                    .title
                    .clone()
                    .unwrap_or_else(|| pages[target].title.clone());
                let node = nav.page_node(caption_parent, title, target);
                if visited.insert(target) {
                    children.push((node, target));
                }
            }
        }
    }
    for (node, target) in children {
        add_toctree_children(
            nav,
            Some(node),
            pages,
            target,
            by_name,
            visited,
            diagnostics,
        );
    }
}

pub fn external_entry(target: &str) -> Option<String> {
    let (_, url) = crate::parse::markdown::split_explicit_target(target);
    (url.starts_with("http://") || url.starts_with("https://")).then_some(url)
}

/// A site's pages by document name, as the toctree readers look them up.
pub trait DocNames {
    fn page(&self, doc_name: &str) -> Option<usize>;
    /// Every document name with its page.
    fn all(&self) -> Vec<(&str, usize)>;
}

impl DocNames for HashMap<&str, usize> {
    fn page(&self, doc_name: &str) -> Option<usize> {
        self.get(doc_name).copied()
    }
    fn all(&self) -> Vec<(&str, usize)> {
        self.iter().map(|(name, page)| (*name, *page)).collect()
    }
}

impl DocNames for HashMap<String, usize> {
    fn page(&self, doc_name: &str) -> Option<usize> {
        self.get(doc_name).copied()
    }
    fn all(&self) -> Vec<(&str, usize)> {
        self.iter()
            .map(|(name, page)| (name.as_str(), *page))
            .collect()
    }
}

/// Whether a toctree entry is a pattern: in a `:glob:` toctree, one holding `*`, `?` or
/// `[` and no explicit title.
pub fn is_glob_entry(toctree: &Toctree, entry: &crate::doc::TocEntry) -> bool {
    toctree.glob && entry.title.is_none() && entry.target.contains(['*', '?', '['])
}

/// The pages each entry of a toctree on page `from_doc` names, as Sphinx reads them: an
/// entry names one page, or is a pattern ([`is_glob_entry`]) whose `*` and `?` stay
/// inside one folder (`**` crosses folders) and whose matches come in name order,
/// leaving out the page holding the toctree and the pages entries before it named.
/// `self` and external URLs name no page here.
pub fn toctree_entry_pages(
    from_doc: &str,
    toctree: &Toctree,
    docs: &dyn DocNames,
) -> Vec<Vec<usize>> {
    let mut named: HashSet<usize> = docs.page(from_doc).into_iter().collect();
    let mut all_docs: Option<Vec<(&str, usize)>> = None;
    let mut pages = Vec::with_capacity(toctree.entries.len());
    for entry in &toctree.entries {
        let name = resolve_doc_name(from_doc, &entry.target);
        if !is_glob_entry(toctree, entry) {
            let page = docs.page(&name);
            named.extend(page);
            pages.push(page.into_iter().collect());
            continue;
        }
        let matcher = globset::GlobBuilder::new(&name)
            .literal_separator(true)
            .build()
            .map(|glob| glob.compile_matcher());
        let Ok(matcher) = matcher else {
            pages.push(Vec::new());
            continue;
        };
        let all_docs = all_docs.get_or_insert_with(|| {
            let mut all = docs.all();
            all.sort_unstable();
            all
        });
        let matches: Vec<usize> = all_docs
            .iter()
            .filter(|(doc, page)| !named.contains(page) && matcher.is_match(doc))
            .map(|(_, page)| *page)
            .collect();
        named.extend(&matches);
        pages.push(matches);
    }
    pages
}

/// A document name as written in a toctree or `doc` role, made absolute: a leading `/`
/// is from the source root, anything else from the referring document's folder.
pub fn resolve_doc_name(from_doc: &str, target: &str) -> String {
    let target = target.trim();
    let target = target
        .strip_suffix(".rst")
        .or_else(|| target.strip_suffix(".md"))
        .unwrap_or(target);
    let joined = match target.strip_prefix('/') {
        Some(rooted) => rooted.to_string(),
        None => match from_doc.rsplit_once('/') {
            Some((folder, _)) => format!("{folder}/{target}"),
            None => target.to_string(),
        },
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

/// Builds the tree from mdBook's `SUMMARY.md`: prefix chapters, part titles, nested
/// numbered chapters, draft chapters (a link with no target), separators and suffix
/// chapters. `page_of` maps a source path (relative, `/`-separated) to a page.
pub fn from_summary(
    text: &str,
    file: FileId,
    page_of: &dyn Fn(&str) -> Option<usize>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Nav {
    let mut nav = Nav::default();
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(index, _)| index + 1))
        .collect();
    let location = |offset: usize| {
        let line = line_starts.partition_point(|start| *start <= offset);
        Location::new(file, line as u32, 1)
    };

    // The open list items: the node each item made, so nested lists attach under it.
    let mut item_nodes: Vec<Option<usize>> = Vec::new();
    let mut link: Option<(String, String, usize)> = None;
    let mut heading: Option<String> = None;
    let mut seen_title = false;
    // Chapters listed after a part title belong to it, until a separator.
    let mut part: Option<usize> = None;

    for (event, range) in Parser::new(text).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1,
                ..
            }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => {
                if let Some(title) = heading.take() {
                    // The first heading is the summary's own title, not a part.
                    if seen_title || !nav.nodes.is_empty() {
                        part = Some(nav.text_node(None, title.trim().to_string(), NavKind::Part));
                    }
                    seen_title = true;
                }
            }
            Event::Start(Tag::Item) => item_nodes.push(None),
            Event::End(TagEnd::Item) => {
                item_nodes.pop();
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                link = Some((dest_url.to_string(), String::new(), range.start))
            }
            Event::Text(text) | Event::Code(text) => {
                if let Some((_, title, _)) = &mut link {
                    title.push_str(&text);
                } else if let Some(title) = &mut heading {
                    title.push_str(&text);
                }
            }
            Event::End(TagEnd::Link) => {
                let Some((destination, title, offset)) = link.take() else {
                    continue;
                };
                let outer_items = &item_nodes[..item_nodes.len().saturating_sub(1)];
                let parent = outer_items.iter().rev().flatten().next().copied();
                let parent = parent.or(if item_nodes.is_empty() { None } else { part });
                let node = summary_entry(&mut nav, parent, &destination, title, page_of);
                if node.is_none() {
                    diagnostics.push(
                        Diagnostic::error(
                            location(offset),
                            format!("SUMMARY.md links to `{destination}`, which is not a page"),
                        )
                        .with_code("summary-link-not-a-page")
                        .with_hint("create the file, or write the chapter as a draft: `[Title]()`"),
                    );
                }
                if let (Some(slot), Some(node)) = (item_nodes.last_mut(), node) {
                    *slot = Some(node);
                }
            }
            Event::Rule => {
                nav.text_node(None, String::new(), NavKind::Separator);
                part = None;
            }
            _ => {}
        }
    }
    nav
}

fn summary_entry(
    nav: &mut Nav,
    parent: Option<usize>,
    destination: &str,
    title: String,
    page_of: &dyn Fn(&str) -> Option<usize>,
) -> Option<usize> {
    if destination.is_empty() {
        return Some(nav.text_node(parent, title, NavKind::Draft));
    }
    let path = destination.split('#').next().unwrap_or(destination);
    let path = path.trim_start_matches("./");
    if let Some(page) = page_of(path) {
        return Some(nav.page_node(parent, title, page));
    }
    // Links to what the build writes besides pages (the invite page, a sample) or to
    // another site are kept as links; a missing `.md` page is an error.
    if path.ends_with(".md") {
        return None;
    }
    let index = nav.text_node(parent, title, NavKind::External);
    nav.nodes[index].url = Some(destination.to_string());
    Some(index)
}

/// Builds the tree from the folders: a folder's `index` (or `README`) page stands for the
/// folder, the root index comes first, everything else in file-name order.
pub fn from_folders(pages: &[NavPage<'_>]) -> Nav {
    let mut nav = Nav::default();
    let mut folder_nodes: HashMap<String, Option<usize>> = HashMap::new();
    let mut order: Vec<usize> = (0..pages.len()).collect();
    order.sort_by_key(|index| folder_sort_key(pages[*index].doc_name));

    for index in order {
        let doc_name = pages[index].doc_name;
        let (folder, stem) = doc_name.rsplit_once('/').unwrap_or(("", doc_name));
        let parent = ensure_folder(&mut nav, &mut folder_nodes, folder);
        let title = pages[index].title.clone();
        if is_index_stem(stem) && !folder.is_empty() {
            // The folder's node gets this page.
            if let Some(node) = parent {
                nav.nodes[node].page = Some(index);
                nav.nodes[node].kind = NavKind::Page;
                nav.nodes[node].title = title;
                continue;
            }
        }
        nav.page_node(parent, title, index);
    }
    nav
}

fn ensure_folder(
    nav: &mut Nav,
    folder_nodes: &mut HashMap<String, Option<usize>>,
    folder: &str,
) -> Option<usize> {
    if folder.is_empty() {
        return None;
    }
    if let Some(node) = folder_nodes.get(folder) {
        return *node;
    }
    let (parent_folder, name) = folder.rsplit_once('/').unwrap_or(("", folder));
    let parent = ensure_folder(nav, folder_nodes, parent_folder);
    let node = nav.text_node(parent, name.replace(['-', '_'], " "), NavKind::Part);
    folder_nodes.insert(folder.to_string(), Some(node));
    Some(node)
}

fn is_index_stem(stem: &str) -> bool {
    stem == "index" || stem == "README"
}

/// Sort key putting each folder's index page before its other pages.
fn folder_sort_key(doc_name: &str) -> Vec<(bool, String)> {
    let parts: Vec<&str> = doc_name.split('/').collect();
    let last = parts.len() - 1;
    parts
        .iter()
        .enumerate()
        .map(|(position, part)| {
            let is_index = position == last && is_index_stem(part);
            (!is_index, part.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn titles(nav: &Nav, nodes: &[usize]) -> Vec<String> {
        nodes
            .iter()
            .map(|index| nav.nodes[*index].title.clone())
            .collect()
    }

    #[test]
    fn glob_entries_match_as_sphinx_matches() {
        let names = ["guide/index", "guide/a", "guide/b", "guide/deep/c", "other"];
        let docs: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let entry = |target: &str| crate::doc::TocEntry {
            title: None,
            target: target.to_string(),
            location: Location::default(),
        };
        let toctree = Toctree {
            glob: true,
            entries: vec![entry("b"), entry("*"), entry("**"), entry("/*"), entry("?")],
            ..Toctree::default()
        };
        let pages = toctree_entry_pages("guide/index", &toctree, &docs);
        assert_eq!(pages, [vec![2], vec![1], vec![3], vec![4], vec![]]);
        let literal = Toctree {
            glob: false,
            ..toctree
        };
        let pages = toctree_entry_pages("guide/index", &literal, &docs);
        assert_eq!(pages, [vec![2], vec![], vec![], vec![], vec![]]);
    }

    #[test]
    fn summary_with_parts_nesting_drafts_and_separators() {
        let summary = "# Summary\n\n[Intro](README.md)\n\n# Guide\n\n- [One](one.md)\n    - [Two](sub/two.md)\n- [Later]()\n\n---\n\n[Outro](outro.md)\n";
        let names = ["README.md", "one.md", "sub/two.md", "outro.md"];
        let page_of = |path: &str| names.iter().position(|name| *name == path);
        let mut diagnostics = Vec::new();
        let nav = from_summary(summary, FileId(0), &page_of, &mut diagnostics);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(titles(&nav, &nav.roots), ["Intro", "Guide", "", "Outro"]);
        let guide = &nav.nodes[nav.roots[1]];
        assert_eq!(titles(&nav, &guide.children), ["One", "Later"]);
        let one = &nav.nodes[guide.children[0]];
        assert_eq!(titles(&nav, &one.children), ["Two"]);
        assert_eq!(nav.reading_order(), [0, 1, 2, 3]);
    }

    #[test]
    fn summary_link_to_missing_page_is_reported_at_its_line() {
        let mut diagnostics = Vec::new();
        from_summary(
            "# Summary\n\n- [Gone](gone.md)\n",
            FileId(3),
            &|_| None,
            &mut diagnostics,
        );
        assert_eq!(diagnostics[0].location.unwrap().line, 3);
        assert!(diagnostics[0].message.contains("gone.md"));
    }

    #[test]
    fn doc_names_resolve_relative_and_rooted() {
        assert_eq!(resolve_doc_name("guide/index", "setup"), "guide/setup");
        assert_eq!(resolve_doc_name("guide/index", "/api/intro"), "api/intro");
        assert_eq!(resolve_doc_name("guide/a/b", "../c.rst"), "guide/c");
    }

    #[test]
    fn folders_put_index_pages_first() {
        let names = ["b", "guide/z", "guide/index", "index", "a"];
        let pages: Vec<NavPage> = names
            .iter()
            .map(|name| NavPage {
                doc_name: name,
                title: name.to_string(),
                toctrees: &[],
                file: FileId(0),
                orphan: false,
            })
            .collect();
        let nav = from_folders(&pages);
        assert_eq!(titles(&nav, &nav.roots), ["index", "a", "b", "guide/index"]);
        assert_eq!(nav.reading_order(), [3, 4, 0, 2, 1]);
    }
}
