//! The document model shared by every source language.
//!
//! The Markdown and reStructuredText parsers both produce a [`Document`]; the resolve
//! stage rewrites its cross-references, substitutions and directives in place; the
//! render stage turns it into HTML. Nothing here knows about files on disk: source
//! positions name a file by [`FileId`], an index into the build's source map.

use serde::{Deserialize, Serialize};

/// How deeply the model nests containers: quotes, lists, admonitions, table cells,
/// emphasis in emphasis. Each parser shows what lies deeper as written, in a literal
/// block, with a warning. Every walk over the model (resolving, rendering the HTML, the
/// Markdown copy and the search text, even dropping it) recurses once or a few times per
/// level, so bounding the model bounds them all: at this depth a debug build's deepest
/// walk stays well inside a worker thread's 2 MiB stack, while pages people write nest a
/// dozen levels at most.
pub const MAX_DEPTH: usize = 100;

/// Index of a source file in the build's source map (pages and everything they include).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub struct FileId(pub u32);

/// A position in a source file: 1-based line and column (column counted in characters).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub struct Location {
    pub file: FileId,
    pub line: u32,
    pub column: u32,
}

impl Location {
    pub fn new(file: FileId, line: u32, column: u32) -> Self {
        Self { file, line, column }
    }
}

/// A parsed page or included fragment.
#[derive(Debug, Clone, Default, PartialEq, Hash)]
pub struct Document {
    /// Title from front matter or metadata; when `None` the first heading is the title.
    pub title: Option<String>,
    /// One-line summary from front matter or a `meta` directive.
    pub description: Option<String>,
    pub blocks: Vec<Block>,
    /// The page is meant to stand outside the navigation (Sphinx's `:orphan:`), so no
    /// toctree reaching it is not a problem.
    pub orphan: bool,
    /// Footnote labels with the mark each is shown with, where the source language
    /// decides them (reStructuredText: `5`, `†`, `CIT2002`); footnotes without one
    /// (all of Markdown's) are numbered in the order they are first referenced.
    pub footnote_marks: Vec<(String, String)>,
}

impl Document {
    /// The page title: explicit metadata first, else the plain text of the first heading.
    pub fn title_text(&self) -> Option<String> {
        if let Some(title) = &self.title {
            return Some(title.clone());
        }
        let mut found = None;
        visit_blocks(&self.blocks, &mut |block| {
            if found.is_none()
                && let Block::Heading(heading) = block
            {
                found = Some(plain_text(&heading.content));
            }
        });
        found
    }
}

/// Block-level content.
#[derive(Debug, Clone, PartialEq, Hash)]
pub enum Block {
    Paragraph(Vec<Inline>),
    Heading(Heading),
    Code(CodeBlock),
    Quote(Vec<Block>),
    List(List),
    DefinitionList(Vec<DefinitionItem>),
    FieldList(Vec<Field>),
    Table(Table),
    Admonition(Admonition),
    Image(Image),
    Figure(Figure),
    /// A `<div>` with classes around its content (`container`, `only`-kept content, …).
    Container {
        classes: Vec<String>,
        blocks: Vec<Block>,
    },
    /// Raw HTML passed through untouched.
    Html(String),
    Rule,
    /// An explicit anchor (a label not followed by a heading, or an rst inline target).
    Anchor(Anchor),
    Toctree(Toctree),
    /// `contents` directive: an on-page list of sections, filled at render time.
    Contents {
        title: Option<String>,
        depth: Option<u32>,
    },
    FootnoteDefinition {
        label: String,
        blocks: Vec<Block>,
    },
    /// Lines kept as they are (rst line blocks).
    LineBlock(Vec<Vec<Inline>>),
    /// A directive the parser left for a later stage (placements) or did not know.
    Directive(Directive),
    /// A placement's integration snippet, made by the resolve stage from a definition.
    Snippet(Snippet),
}

/// A placement's snippet as the reader sees it: code to copy, with the site id kept
/// apart so the reader's own id can replace it, and a link to the live sample.
#[derive(Debug, Clone, PartialEq, Default, Hash)]
pub struct Snippet {
    pub placement: String,
    pub variant: Option<String>,
    /// Shown above the code (`Post Purchase (advanced)`).
    pub caption: String,
    /// The highlighting language of the snippet (`html`).
    pub language: String,
    pub parts: Vec<SnippetPart>,
    /// Relative link to the live sample page; `None` where no sample is linked.
    pub sample_url: Option<String>,
    pub location: Location,
}

impl Snippet {
    /// The snippet exactly as it is copied.
    pub fn text(&self) -> String {
        self.parts.iter().map(SnippetPart::text).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Hash)]
pub enum SnippetPart {
    Text(String),
    /// Where the site id stands, holding the configured one.
    SiteId(String),
}

impl SnippetPart {
    pub fn text(&self) -> &str {
        match self {
            SnippetPart::Text(text) | SnippetPart::SiteId(text) => text,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Hash)]
pub struct Heading {
    /// 1 for the page title, 2 for its sections, … (at most 6 when rendered).
    pub level: u8,
    pub content: Vec<Inline>,
    /// The anchor id, unique within the page.
    pub id: String,
    /// Labels that point at this heading; each also gets an anchor of its own.
    pub labels: Vec<Label>,
    /// Extra classes from heading attributes.
    pub classes: Vec<String>,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Default, Hash)]
pub struct CodeBlock {
    /// Language name as written in the source (`js`, `html+php`, …); `None` for plain text.
    pub language: Option<String>,
    pub code: String,
    pub caption: Option<String>,
    pub line_numbers: bool,
    /// The number shown on the first line when lines are numbered (`:lineno-start:`);
    /// `None` for 1.
    pub first_line_number: Option<u32>,
    /// 1-based line numbers to emphasise (counted from the block's first line, whatever
    /// number it shows).
    pub emphasized: Vec<u32>,
    /// Where the code starts in its source, for diagnostics about the block.
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Hash)]
pub struct List {
    /// `Some(start)` for an ordered list.
    pub start: Option<u64>,
    /// Enumeration style for ordered lists (`1`, `a`, `A`, `i`, `I`), as HTML's `type`.
    pub style: Option<char>,
    pub items: Vec<ListItem>,
}

#[derive(Debug, Clone, PartialEq, Default, Hash)]
pub struct ListItem {
    /// `Some` for a task-list item.
    pub checked: Option<bool>,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Hash)]
pub struct DefinitionItem {
    pub term: Vec<Inline>,
    pub classifiers: Vec<Vec<Inline>>,
    pub definition: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Hash)]
pub struct Field {
    pub name: Vec<Inline>,
    pub body: Vec<Block>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Align {
    #[default]
    None,
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone, PartialEq, Default, Hash)]
pub struct Table {
    pub caption: Option<Vec<Inline>>,
    /// Relative column widths when the source gives them.
    pub widths: Vec<u32>,
    pub aligns: Vec<Align>,
    pub head: Vec<TableRow>,
    pub body: Vec<TableRow>,
    pub classes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Hash)]
pub struct TableRow {
    pub cells: Vec<TableCell>,
}

#[derive(Debug, Clone, PartialEq, Hash)]
pub struct TableCell {
    pub blocks: Vec<Block>,
    pub colspan: u32,
    pub rowspan: u32,
}

impl TableCell {
    pub fn new(blocks: Vec<Block>) -> Self {
        Self {
            blocks,
            colspan: 1,
            rowspan: 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Hash)]
pub struct Admonition {
    /// `note`, `warning`, …, or `admonition` for a custom title.
    pub kind: String,
    /// Custom title; when `None` the renderer uses the kind's own title ("Note", …).
    pub title: Option<Vec<Inline>>,
    pub blocks: Vec<Block>,
    pub classes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Hash)]
pub struct Image {
    pub src: String,
    pub alt: String,
    pub title: Option<String>,
    pub width: Option<String>,
    pub height: Option<String>,
    /// `left`, `center`, `right`.
    pub align: Option<String>,
    /// Where the image links to, if anywhere.
    pub target: Option<String>,
    pub classes: Vec<String>,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Default, Hash)]
pub struct Figure {
    pub image: Image,
    pub caption: Vec<Inline>,
    pub legend: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Hash)]
pub struct Anchor {
    pub id: String,
    /// Labels defined here.
    pub labels: Vec<Label>,
    pub location: Location,
    /// Set when something that renders to nothing stands between this anchor and the
    /// next block (in reStructuredText a comment, a substitution definition or an
    /// include): docutils then points the label at its own position, not at the heading
    /// that follows, and so does loopbook.
    pub detached: bool,
}

/// A name that references (`ref`) point at, with the anchor id it is published under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Label {
    /// Normalised name: case and runs of white space folded, as Sphinx compares them.
    pub name: String,
    /// The anchor id in the page (`#id`); the source language decides how it is made.
    pub id: String,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Toctree {
    pub caption: Option<String>,
    pub max_depth: Option<u32>,
    pub hidden: bool,
    pub glob: bool,
    pub numbered: bool,
    pub entries: Vec<TocEntry>,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TocEntry {
    /// Explicit title (`Title <doc>`); the page title is used otherwise.
    pub title: Option<String>,
    /// Document name as written: relative to the including page, or `/`-rooted.
    pub target: String,
    pub location: Location,
}

/// A directive kept whole for a later stage.
#[derive(Debug, Clone, PartialEq, Default, Hash)]
pub struct Directive {
    pub name: String,
    pub argument: String,
    /// Options in source order, names without colons.
    pub options: Vec<(String, String)>,
    /// The directive's content as written (dedented).
    pub body: String,
    pub location: Location,
    /// The whole directive as written (its options and content too), shown as it is
    /// when no stage knows the directive; empty where the parser did not keep it.
    pub source: String,
}

impl Directive {
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Inline content.
#[derive(Debug, Clone, PartialEq, Hash)]
pub enum Inline {
    Text(String),
    Emphasis(Vec<Inline>),
    Strong(Vec<Inline>),
    Strikethrough(Vec<Inline>),
    Superscript(Vec<Inline>),
    Subscript(Vec<Inline>),
    Code(String),
    Link(Link),
    Image(Image),
    /// Inline raw HTML.
    Html(String),
    SoftBreak,
    HardBreak,
    FootnoteReference(String),
    /// A cross-reference the resolve stage turns into a link or text.
    Reference(Reference),
    /// An rst substitution reference (`|name|`), replaced by the resolve stage.
    Substitution {
        name: String,
        location: Location,
    },
    /// An inline anchor (rst inline target `_`name``).
    Anchor(String),
    /// A role the parser did not know: rendered as text, reported by the parser.
    UnknownRole {
        role: String,
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq, Hash)]
pub struct Link {
    pub destination: LinkDestination,
    pub title: Option<String>,
    pub content: Vec<Inline>,
    /// Where the link is written, when the parser knows it: `loopbook check` points a
    /// broken link found in the rendered page back here.
    pub location: Option<Location>,
    /// The browser saves the target instead of opening it (HTML's `download`); Markdown
    /// has no way to say so, and its copies leave it out.
    pub download: bool,
}

#[derive(Debug, Clone, PartialEq, Hash)]
pub enum LinkDestination {
    /// A URL used as written (absolute, `#fragment`, or a relative non-page path).
    Url(String),
    /// A link to another source file (`other.md?query#anchor`), made a page URL at
    /// resolve time.
    Source {
        path: String,
        /// What followed `?`, kept on the page URL.
        query: Option<String>,
        fragment: Option<String>,
        location: Location,
    },
    /// A link to an anchor of the page it is in.
    Fragment(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Copy, Hash)]
pub enum ReferenceKind {
    /// A label (`ref`).
    Label,
    /// A page (`doc`).
    Page,
}

#[derive(Debug, Clone, PartialEq, Hash)]
pub struct Reference {
    pub kind: ReferenceKind,
    /// Label name or document path as written.
    pub target: String,
    /// Explicit text (`Text <target>`); otherwise the target's title is used.
    pub text: Option<String>,
    pub location: Location,
}

/// How many containers deep `blocks` nest: a top-level paragraph is at 0, one in a
/// quote at 1, emphasis in that paragraph at 2. Block containers (a quote, a list, an
/// admonition, a table) and inline ones (emphasis, a link) count alike. Measured without
/// recursion, so it can check a model of any depth.
pub fn nesting_depth(blocks: &[Block]) -> usize {
    enum Sequence<'a> {
        Blocks(&'a [Block]),
        Inlines(&'a [Inline]),
    }
    let mut deepest = 0;
    let mut pending = vec![(Sequence::Blocks(blocks), 0)];
    while let Some((sequence, depth)) = pending.pop() {
        deepest = deepest.max(depth);
        match sequence {
            Sequence::Blocks(blocks) => {
                for block in blocks {
                    for inlines in block_inlines(block) {
                        pending.push((Sequence::Inlines(inlines), depth));
                    }
                    for child in child_blocks(block) {
                        pending.push((Sequence::Blocks(child), depth + 1));
                    }
                }
            }
            Sequence::Inlines(inlines) => {
                for children in inlines.iter().filter_map(inline_children) {
                    pending.push((Sequence::Inlines(children), depth + 1));
                }
            }
        }
    }
    deepest
}

fn inline_children(inline: &Inline) -> Option<&[Inline]> {
    match inline {
        Inline::Emphasis(children)
        | Inline::Strong(children)
        | Inline::Strikethrough(children)
        | Inline::Superscript(children)
        | Inline::Subscript(children) => Some(children),
        Inline::Link(link) => Some(&link.content),
        _ => None,
    }
}

/// Calls `f` on every block, depth first, including blocks nested in lists and tables.
pub fn visit_blocks<'a>(blocks: &'a [Block], f: &mut dyn FnMut(&'a Block)) {
    for block in blocks {
        f(block);
        for child in child_blocks(block) {
            visit_blocks(child, f);
        }
    }
}

/// Calls `f` on every block, depth first, with mutable access.
pub fn visit_blocks_mut(blocks: &mut [Block], f: &mut dyn FnMut(&mut Block)) {
    for block in blocks {
        f(block);
        for child in child_blocks_mut(block) {
            visit_blocks_mut(child, f);
        }
    }
}

/// The block sequences nested directly in `block` (list items, cells, bodies), in order.
pub fn child_blocks(block: &Block) -> Vec<&[Block]> {
    match block {
        Block::Quote(blocks)
        | Block::Container { blocks, .. }
        | Block::FootnoteDefinition { blocks, .. } => vec![blocks],
        Block::Admonition(admonition) => vec![&admonition.blocks],
        Block::List(list) => list
            .items
            .iter()
            .map(|item| item.blocks.as_slice())
            .collect(),
        Block::DefinitionList(items) => items
            .iter()
            .map(|item| item.definition.as_slice())
            .collect(),
        Block::FieldList(fields) => fields.iter().map(|field| field.body.as_slice()).collect(),
        Block::Table(table) => table
            .head
            .iter()
            .chain(&table.body)
            .flat_map(|row| row.cells.iter().map(|cell| cell.blocks.as_slice()))
            .collect(),
        Block::Figure(figure) => vec![&figure.legend],
        _ => Vec::new(),
    }
}

fn child_blocks_mut(block: &mut Block) -> Vec<&mut Vec<Block>> {
    match block {
        Block::Quote(blocks)
        | Block::Container { blocks, .. }
        | Block::FootnoteDefinition { blocks, .. } => vec![blocks],
        Block::Admonition(admonition) => vec![&mut admonition.blocks],
        Block::List(list) => list.items.iter_mut().map(|item| &mut item.blocks).collect(),
        Block::DefinitionList(items) => items.iter_mut().map(|item| &mut item.definition).collect(),
        Block::FieldList(fields) => fields.iter_mut().map(|field| &mut field.body).collect(),
        Block::Table(table) => table
            .head
            .iter_mut()
            .chain(table.body.iter_mut())
            .flat_map(|row| row.cells.iter_mut().map(|cell| &mut cell.blocks))
            .collect(),
        Block::Figure(figure) => vec![&mut figure.legend],
        _ => Vec::new(),
    }
}

/// Every inline sequence held directly by `block` (not those of nested blocks).
pub fn block_inlines_mut(block: &mut Block) -> Vec<&mut Vec<Inline>> {
    match block {
        Block::Paragraph(inlines) => vec![inlines],
        Block::Heading(heading) => vec![&mut heading.content],
        Block::DefinitionList(items) => items
            .iter_mut()
            .flat_map(|item| std::iter::once(&mut item.term).chain(item.classifiers.iter_mut()))
            .collect(),
        Block::FieldList(fields) => fields.iter_mut().map(|field| &mut field.name).collect(),
        Block::Table(table) => table.caption.iter_mut().collect(),
        Block::Admonition(admonition) => admonition.title.iter_mut().collect(),
        Block::Figure(figure) => vec![&mut figure.caption],
        Block::LineBlock(lines) => lines.iter_mut().collect(),
        _ => Vec::new(),
    }
}

/// Calls `f` on every inline in `blocks`, nested ones included, in document order.
pub fn visit_inlines(blocks: &[Block], f: &mut dyn FnMut(&Inline)) {
    visit_blocks(blocks, &mut |block| {
        for inlines in block_inlines(block) {
            visit_inline_seq(inlines, f);
        }
    });
}

fn visit_inline_seq(inlines: &[Inline], f: &mut dyn FnMut(&Inline)) {
    for inline in inlines {
        f(inline);
        match inline {
            Inline::Emphasis(children)
            | Inline::Strong(children)
            | Inline::Strikethrough(children)
            | Inline::Superscript(children)
            | Inline::Subscript(children) => visit_inline_seq(children, f),
            Inline::Link(link) => visit_inline_seq(&link.content, f),
            _ => {}
        }
    }
}

/// Every inline sequence held directly by `block` (not those of nested blocks).
pub fn block_inlines(block: &Block) -> Vec<&[Inline]> {
    match block {
        Block::Paragraph(inlines) => vec![inlines],
        Block::Heading(heading) => vec![&heading.content],
        Block::DefinitionList(items) => items
            .iter()
            .flat_map(|item| {
                std::iter::once(item.term.as_slice())
                    .chain(item.classifiers.iter().map(Vec::as_slice))
            })
            .collect(),
        Block::FieldList(fields) => fields.iter().map(|field| field.name.as_slice()).collect(),
        Block::Table(table) => table.caption.iter().map(Vec::as_slice).collect(),
        Block::Admonition(admonition) => admonition.title.iter().map(Vec::as_slice).collect(),
        Block::Figure(figure) => vec![&figure.caption],
        Block::LineBlock(lines) => lines.iter().map(Vec::as_slice).collect(),
        _ => Vec::new(),
    }
}

/// Calls `f` on every inline sequence in `blocks`, nested ones included, outermost first.
pub fn visit_inlines_mut(blocks: &mut [Block], f: &mut dyn FnMut(&mut Vec<Inline>)) {
    visit_blocks_mut(blocks, &mut |block| {
        for inlines in block_inlines_mut(block) {
            visit_inline_seq_mut(inlines, f);
        }
    });
}

fn visit_inline_seq_mut(inlines: &mut Vec<Inline>, f: &mut dyn FnMut(&mut Vec<Inline>)) {
    f(inlines);
    for inline in inlines.iter_mut() {
        match inline {
            Inline::Emphasis(children)
            | Inline::Strong(children)
            | Inline::Strikethrough(children)
            | Inline::Superscript(children)
            | Inline::Subscript(children) => visit_inline_seq_mut(children, f),
            Inline::Link(link) => visit_inline_seq_mut(&mut link.content, f),
            _ => {}
        }
    }
}

/// The visible text of inline content, markup dropped (for titles, ids and search).
pub fn plain_text(inlines: &[Inline]) -> String {
    let mut out = String::new();
    push_plain_text(inlines, &mut out);
    out
}

fn push_plain_text(inlines: &[Inline], out: &mut String) {
    for inline in inlines {
        match inline {
            Inline::Text(text) | Inline::Code(text) => out.push_str(text),
            Inline::Emphasis(children)
            | Inline::Strong(children)
            | Inline::Strikethrough(children)
            | Inline::Superscript(children)
            | Inline::Subscript(children) => push_plain_text(children, out),
            Inline::Link(link) => push_plain_text(&link.content, out),
            Inline::Image(image) => out.push_str(&image.alt),
            Inline::SoftBreak | Inline::HardBreak => out.push(' '),
            Inline::Reference(reference) => {
                out.push_str(reference.text.as_deref().unwrap_or(&reference.target))
            }
            Inline::UnknownRole { text, .. } => out.push_str(text),
            Inline::Substitution { name, .. } => out.push_str(name),
            Inline::Html(_) | Inline::FootnoteReference(_) | Inline::Anchor(_) => {}
        }
    }
}
