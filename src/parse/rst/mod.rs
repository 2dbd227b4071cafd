//! reStructuredText pages: the subset real Sphinx projects use, into the document model.
//!
//! The parser reads a page the way docutils does, so that a Sphinx source tree builds
//! unchanged into the same pages, headings, ids and cross-references. It does no I/O:
//! includes come through an [`IncludeLoader`]. It never panics and always returns a
//! document; problems are diagnostics with the file, line and column.
//!
//! Steps: [`lines::prepare`] turns the text into lines (tabs expanded, CRLF dropped);
//! the block grammar below turns lines into blocks, parsing inline markup as each text
//! block is complete and following includes in place (an included file is parsed where
//! the directive stands, so includes inside lists and directives work); then
//! [`Parser::finish`] numbers footnotes (`footnotes.rs`), replaces substitution
//! references with their definitions (from the page, its includes, or `[variables]`),
//! resolves hyperlink and footnote references to the page's targets, and moves labels
//! that stand before a heading onto the heading.
//!
//! # Grammar
//!
//! One method per rule, in the order docutils tries them on a line that starts a block
//! (`blocks.rs` unless noted):
//!
//! ```text
//! blocks          = { blank | block } ;
//! block           = block_quote            (* an indented line *)
//!                 | bullet_list            (* "* ", "- ", "+ ", "• " *)
//!                 | enumerated_list        (* "1." "(a)" "iv)" "#." ; next line blank,
//!                                             indented or the next item *)
//!                 | field_list             (* ":name: body" *)
//!                 | line_block             (* "| text" *)
//!                 | grid_table             (* "+---+---+", tables.rs *)
//!                 | simple_table           (* "=== ===", tables.rs *)
//!                 | explicit_markup        (* ".. ", explicit.rs *)
//!                 | anonymous_target       (* "__ url" *)
//!                 | overlined_title | transition   (* a line of one punctuation *)
//!                 | text_block ;
//! text_block      = underlined_title       (* text, then a punctuation line *)
//!                 | definition_list        (* text, then an indented line *)
//!                 | paragraph [ literal_block ] ;   (* "::" ends the paragraph *)
//! explicit_markup = footnote | citation | hyperlink_target | substitution_definition
//!                 | directive | comment ;
//! directive       = ".. " name "::" [ argument ] { option } [ blank content ] ;
//! ```
//!
//! Inline markup (`inline.rs`) follows docutils' recognition rules: a start-string
//! must follow white space or an opening punctuation and precede non-space, and an
//! end-string the reverse; backslash escapes; roles as prefix or suffix.
//!
//! Code blocks and literal blocks without a language carry Sphinx's default language
//! name, `default`, which the highlighter shows as plain text (Sphinx tries Python
//! first). Sphinx's smart quotes are not applied: Sphinx 1.2, which most such trees
//! were written for, had none.
//!
//! Section levels are given per page in the order adornment styles first appear
//! (over-and-underline is a different style from underline only). Ids are docutils':
//! `make_id` of the title or label name, `idN` when taken (`ids.rs`).

mod blocks;
mod directives;
mod explicit;
mod footnotes;
mod ids;
mod inline;
mod lines;
mod tables;

use std::collections::HashMap;

use crate::diagnostics::Diagnostic;
use crate::doc::{Block, Document, FileId, Inline, Link, LinkDestination, Location};
use crate::parse::loader::IncludeLoader;
use crate::parse::{ParseOptions, ParseOutput};

pub use ids::{make_id, normalize_name};

/// Indirect targets may name others; past this depth the chain is circular.
const MAX_ALIAS_DEPTH: usize = 16;

/// Substitution definitions may use others; chains longer than this are runaway (real
/// ones are two or three long), and following them further would only deepen the stack.
const MAX_SUBSTITUTION_DEPTH: usize = 16;

/// How much larger than all of a page's substitution definitions together one of them
/// may expand, in characters and inline elements: docutils' default `line_length_limit`,
/// which it applies to substitutions for the same reason. A definition that uses
/// another twice, which uses another twice, … doubles at every step; without a bound
/// forty such lines would take longer to expand than to write. (docutils refuses any
/// substitution longer than this; loopbook keeps long ones, such as an inline SVG, as
/// long as they are written out rather than multiplied.)
const SUBSTITUTION_GROWTH: usize = 10_000;

/// Marks a hyperlink reference the parser resolves once the whole page is read. NUL
/// never survives [`lines::prepare`], so no real URL starts with it.
const PENDING_NAME: &str = "\0name:";
const PENDING_ANONYMOUS: &str = "\0anonymous:";

/// Parses one reStructuredText page.
pub fn parse(
    text: &str,
    file: FileId,
    options: &ParseOptions,
    loader: &mut dyn IncludeLoader,
) -> ParseOutput {
    let mut parser = Parser::new(file, options, loader);
    let mut blocks = parser.parse_text(text, file, 0, Context::TOP);
    parser.finish(&mut blocks);
    let orphan = take_page_metadata(&mut blocks).is_some_and(|fields| {
        fields
            .iter()
            .any(|field| crate::doc::plain_text(&field.name).trim() == "orphan")
    });
    let document = Document {
        title: None,
        description: parser.description.take(),
        blocks,
        orphan,
        footnote_marks: parser.footnotes.marks(),
    };
    ParseOutput {
        document,
        diagnostics: parser.diagnostics,
    }
}

/// Parses a page and also returns how many basic steps (lines and characters visited)
/// the parse took: for tests and benchmarks that check the cost grows linearly.
pub fn parse_counting_steps(
    text: &str,
    file: FileId,
    options: &ParseOptions,
    loader: &mut dyn IncludeLoader,
) -> (ParseOutput, u64) {
    let before = lines::work_done();
    let output = parse(text, file, options, loader);
    (output, lines::work_done() - before)
}

/// Where a block sequence stands: only the page itself (and what it includes at its top
/// level) may hold section titles.
#[derive(Debug, Clone, Copy)]
struct Context {
    sections: bool,
}

impl Context {
    const TOP: Context = Context { sections: true };
    const NESTED: Context = Context { sections: false };
}

/// A section adornment: its character and whether it has an overline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TitleStyle {
    character: char,
    overline: bool,
}

/// What a hyperlink target name points at.
#[derive(Debug, Clone)]
enum Target {
    Url(String),
    /// An element of this page, by id.
    Internal(String),
    /// Another target's name (`.. _a: b_`).
    Alias(String),
}

/// A substitution definition: its content before expansion, and where it stands.
#[derive(Debug, Clone)]
struct Substitution {
    content: Vec<Inline>,
    at: Location,
}

/// The state of parsing one page, includes and all.
struct Parser<'a, 'o> {
    file: FileId,
    options: &'a ParseOptions<'o>,
    loader: &'a mut dyn IncludeLoader,
    diagnostics: Vec<Diagnostic>,
    /// The include directives that led to the text being parsed, outermost first.
    include_chain: Vec<Location>,
    depth: usize,
    title_styles: Vec<TitleStyle>,
    /// The level of the section being filled (0 before the first title).
    section_level: usize,
    ids: ids::IdRegistry,
    /// Hyperlink target names (normalised) of the page; the first definition wins.
    targets: HashMap<String, Target>,
    /// The substitutions being expanded, innermost last, to catch circular definitions.
    expanding: Vec<String>,
    /// Section titles' implicit names, used when no explicit target has the name.
    implicit_targets: HashMap<String, String>,
    anonymous_targets: Vec<Target>,
    anonymous_references: usize,
    substitutions: HashMap<String, Substitution>,
    /// Each definition's content once expanded, so a definition used many times (or by
    /// many others) is expanded once.
    expanded: HashMap<String, Vec<Inline>>,
    /// The size no expansion may pass: the definitions' own size plus
    /// [`SUBSTITUTION_GROWTH`]. Set when the page is finished.
    substitution_limit: usize,
    /// Normalised substitution name to the name as defined, for case-insensitive lookup.
    substitution_names: HashMap<String, String>,
    /// The language of literal blocks and of code blocks that name none (`highlight`).
    highlight_language: String,
    footnotes: footnotes::Footnotes,
    description: Option<String>,
}

impl<'a, 'o> Parser<'a, 'o> {
    fn new(file: FileId, options: &'a ParseOptions<'o>, loader: &'a mut dyn IncludeLoader) -> Self {
        Self {
            file,
            options,
            loader,
            diagnostics: Vec::new(),
            include_chain: Vec::new(),
            depth: 0,
            title_styles: Vec::new(),
            section_level: 0,
            ids: ids::IdRegistry::default(),
            targets: HashMap::new(),
            implicit_targets: HashMap::new(),
            expanding: Vec::new(),
            anonymous_targets: Vec::new(),
            anonymous_references: 0,
            substitutions: HashMap::new(),
            expanded: HashMap::new(),
            substitution_limit: SUBSTITUTION_GROWTH,
            substitution_names: HashMap::new(),
            highlight_language: "default".to_string(),
            footnotes: footnotes::Footnotes::default(),
            description: None,
        }
    }

    /// Parses a whole text (a page or an included file) whose first line is line
    /// `lines_before + 1` of `file`.
    fn parse_text(
        &mut self,
        text: &str,
        file: FileId,
        lines_before: u32,
        context: Context,
    ) -> Vec<Block> {
        let prepared = lines::prepare(text);
        let numbered = lines::number_lines(&prepared, lines_before + 1);
        let saved = self.file;
        self.file = file;
        let blocks = self.parse_blocks(&numbered, context);
        self.file = saved;
        blocks
    }

    fn location(&self, line: &lines::Line<'_>) -> Location {
        Location::new(self.file, line.number, line.column)
    }

    /// Records a problem, with the include chain that led to it.
    fn report(&mut self, mut diagnostic: Diagnostic) {
        diagnostic.include_chain = self.include_chain.clone();
        self.diagnostics.push(diagnostic);
    }

    fn warn(
        &mut self,
        code: &'static str,
        at: Location,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.report(
            Diagnostic::warning(at, message)
                .with_code(code)
                .with_hint(hint),
        );
    }

    /// Registers an explicit target name; the first definition of a name wins.
    fn add_target(&mut self, name: &str, target: Target) {
        let key = normalize_name(name);
        if key.is_empty() {
            return;
        }
        self.targets.entry(key).or_insert(target);
    }

    /// The end of the page: substitutions, hyperlink references, labels.
    fn finish(&mut self, blocks: &mut Vec<Block>) {
        for (label, at) in self.footnotes.number() {
            let (what, written) = footnotes::describe(&label);
            self.warn(
                "undefined-footnote",
                at,
                format!("{what} `{written}` has no definition on this page"),
                "define it with `.. [label] text`; each `[#]_` needs a `.. [#]` of its own",
            );
        }
        let written: usize = self
            .substitutions
            .values()
            .map(|definition| expanded_size(&definition.content))
            .sum();
        self.substitution_limit = written + SUBSTITUTION_GROWTH;
        self.resolve_inlines(blocks);
        attach_labels(blocks);
    }

    /// Walks every inline sequence of `blocks` (the same ones as
    /// [`crate::doc::block_inlines_mut`], without its per-block allocations, which
    /// showed in profiles of large pages) and resolves what needs it.
    fn resolve_inlines(&mut self, blocks: &mut [Block]) {
        for block in blocks {
            match block {
                Block::Paragraph(inlines) => self.resolve_in_place(inlines),
                Block::Heading(heading) => self.resolve_in_place(&mut heading.content),
                Block::Quote(blocks) | Block::Container { blocks, .. } => {
                    self.resolve_inlines(blocks)
                }
                Block::FootnoteDefinition { label, blocks } => {
                    *label = self.footnotes.key(label).unwrap_or(label).to_string();
                    self.resolve_inlines(blocks);
                }
                Block::Admonition(admonition) => {
                    if let Some(title) = &mut admonition.title {
                        self.resolve_in_place(title);
                    }
                    self.resolve_inlines(&mut admonition.blocks);
                }
                Block::List(list) => {
                    for item in &mut list.items {
                        self.resolve_inlines(&mut item.blocks);
                    }
                }
                Block::DefinitionList(items) => {
                    for item in items {
                        self.resolve_in_place(&mut item.term);
                        for classifier in &mut item.classifiers {
                            self.resolve_in_place(classifier);
                        }
                        self.resolve_inlines(&mut item.definition);
                    }
                }
                Block::FieldList(fields) => {
                    for field in fields {
                        self.resolve_in_place(&mut field.name);
                        self.resolve_inlines(&mut field.body);
                    }
                }
                Block::Table(table) => {
                    if let Some(caption) = &mut table.caption {
                        self.resolve_in_place(caption);
                    }
                    for row in table.head.iter_mut().chain(table.body.iter_mut()) {
                        for cell in &mut row.cells {
                            self.resolve_inlines(&mut cell.blocks);
                        }
                    }
                }
                Block::Figure(figure) => {
                    self.resolve_in_place(&mut figure.caption);
                    self.resolve_inlines(&mut figure.legend);
                }
                Block::LineBlock(lines) => {
                    for line in lines {
                        self.resolve_in_place(line);
                    }
                }
                _ => {}
            }
        }
    }

    fn resolve_in_place(&mut self, inlines: &mut Vec<Inline>) {
        // Most text holds nothing to resolve; it is left as it is, without a copy.
        if needs_resolution(inlines) {
            let taken = std::mem::take(inlines);
            *inlines = self.resolve_sequence(taken);
        }
    }

    /// Replaces substitution references and pending hyperlink references in `inlines`
    /// and everything nested in them.
    fn resolve_sequence(&mut self, inlines: Vec<Inline>) -> Vec<Inline> {
        let mut out = Vec::with_capacity(inlines.len());
        for inline in inlines {
            match inline {
                Inline::Substitution { name, location } => {
                    out.extend(self.substitute(&name, location));
                }
                Inline::Link(link) => out.extend(self.resolve_link(link)),
                Inline::FootnoteReference(label) => out.push(match self.footnotes.key(&label) {
                    Some(key) => Inline::FootnoteReference(key.to_string()),
                    None => Inline::Text(footnotes::describe(&label).1),
                }),
                Inline::Emphasis(children) => {
                    out.push(Inline::Emphasis(self.resolve_sequence(children)))
                }
                Inline::Strong(children) => {
                    out.push(Inline::Strong(self.resolve_sequence(children)))
                }
                Inline::Superscript(children) => {
                    out.push(Inline::Superscript(self.resolve_sequence(children)))
                }
                Inline::Subscript(children) => {
                    out.push(Inline::Subscript(self.resolve_sequence(children)))
                }
                other => out.push(other),
            }
        }
        out
    }

    /// A substitution's content: the page's definition (exact name first, then without
    /// regard to case, as docutils matches), else a `[variables]` value, else the name
    /// as text with a warning.
    fn substitute(&mut self, name: &str, location: Location) -> Vec<Inline> {
        let key = match self.substitutions.contains_key(name) {
            true => Some(name.to_string()),
            false => self.substitution_names.get(&normalize_name(name)).cloned(),
        };
        if let Some(key) = key {
            return self.expand(key, location);
        }
        if let Some(value) = self.options.variables.get(name) {
            return vec![Inline::Text(value.clone())];
        }
        self.warn(
            "undefined-substitution",
            location,
            format!("undefined substitution `|{name}|`"),
            "define it with `.. |name| replace:: text` (or `raw::`, `image::`), \
             or add it to `[variables]` in book.toml",
        );
        vec![Inline::Text(name.to_string())]
    }

    /// The expanded content of the definition named `key`, referenced at `location`: its
    /// name as text, with a warning, when it uses itself, nests too deeply or grows too
    /// large.
    fn expand(&mut self, key: String, location: Location) -> Vec<Inline> {
        if let Some(expanded) = self.expanded.get(&key) {
            return expanded.clone();
        }
        if self.expanding.contains(&key) {
            let chain = self.expanding.join("| -> |");
            self.warn(
                "circular-substitution",
                location,
                format!("circular substitution: |{chain}| -> |{key}|"),
                "a substitution's definition cannot use itself, directly or through others",
            );
            return vec![Inline::Text(key)];
        }
        if self.expanding.len() >= MAX_SUBSTITUTION_DEPTH {
            self.warn(
                "runaway-substitution",
                location,
                format!("substitutions nested more than {MAX_SUBSTITUTION_DEPTH} deep"),
                "a substitution's definition may use others, but not in so long a chain",
            );
            return vec![Inline::Text(key)];
        }
        let Some(definition) = self.substitutions.get(&key).cloned() else {
            return vec![Inline::Text(key)];
        };
        self.expanding.push(key.clone());
        let mut content = self.resolve_sequence(definition.content);
        self.expanding.pop();
        if expanded_size(&content) > self.substitution_limit {
            self.warn(
                "runaway-substitution",
                definition.at,
                format!(
                    "substitution `|{key}|` expands to more than {} characters",
                    self.substitution_limit
                ),
                "it uses substitutions that use others in turn, so its text multiplies at \
                 every step; define the text it should show directly",
            );
            content = vec![Inline::Text(key.clone())];
        }
        self.expanded.insert(key, content.clone());
        content
    }

    /// A link whose target is a name of this page becomes a link to that target's URL
    /// or id; an unknown name leaves its text with a warning.
    fn resolve_link(&mut self, mut link: Link) -> Vec<Inline> {
        link.content = self.resolve_sequence(std::mem::take(&mut link.content));
        let LinkDestination::Url(url) = &link.destination else {
            return vec![Inline::Link(link)];
        };
        let target = if let Some(rest) = url.strip_prefix(PENDING_NAME) {
            let (name, at) = split_pending(rest);
            match self.lookup_target(&name) {
                Some(target) => Some(target),
                None => {
                    self.warn(
                        "unknown-target",
                        at.location(),
                        format!("unknown target name `{name}`"),
                        "define it with `.. _name: URL`, or link inline: `text <URL>`_",
                    );
                    None
                }
            }
        } else if let Some(rest) = url.strip_prefix(PENDING_ANONYMOUS) {
            let (number, at) = split_pending(rest);
            let target = number
                .parse::<usize>()
                .ok()
                .and_then(|index| self.anonymous_targets.get(index).cloned());
            let target = target.and_then(|target| self.follow(target, 0));
            if target.is_none() {
                self.warn(
                    "unknown-target",
                    at.location(),
                    "anonymous reference without a matching `__ URL` target",
                    "each `text`__ needs its own `__ URL` line, in the same order",
                );
            }
            target
        } else {
            return vec![Inline::Link(link)];
        };
        match target {
            Some(destination) => {
                link.destination = destination;
                vec![Inline::Link(link)]
            }
            None => link.content,
        }
    }

    fn lookup_target(&self, name: &str) -> Option<LinkDestination> {
        let key = normalize_name(name);
        if let Some(target) = self.targets.get(&key) {
            return self.follow(target.clone(), 0);
        }
        self.implicit_targets
            .get(&key)
            .map(|id| LinkDestination::Fragment(id.clone()))
    }

    fn follow(&self, target: Target, depth: usize) -> Option<LinkDestination> {
        match target {
            Target::Url(url) => Some(crate::parse::markdown::link_destination(
                &url,
                Location::new(self.file, 0, 0),
            )),
            Target::Internal(id) => Some(LinkDestination::Fragment(id)),
            Target::Alias(name) if depth < MAX_ALIAS_DEPTH => {
                let next = self.targets.get(&normalize_name(&name))?.clone();
                self.follow(next, depth + 1)
            }
            Target::Alias(_) => None,
        }
    }
}

/// The size of expanded inline content: its characters and its elements, so that many
/// empty elements count too.
fn expanded_size(inlines: &[Inline]) -> usize {
    inlines
        .iter()
        .map(|inline| {
            1 + match inline {
                Inline::Text(text) | Inline::Code(text) | Inline::Html(text) => {
                    text.chars().count()
                }
                Inline::Emphasis(children)
                | Inline::Strong(children)
                | Inline::Strikethrough(children)
                | Inline::Superscript(children)
                | Inline::Subscript(children) => expanded_size(children),
                Inline::Link(link) => expanded_size(&link.content),
                _ => 0,
            }
        })
        .sum()
}

/// Whether inline content holds a substitution or a reference the parser resolves.
fn needs_resolution(inlines: &[Inline]) -> bool {
    inlines.iter().any(|inline| match inline {
        Inline::Substitution { .. } | Inline::FootnoteReference(_) => true,
        Inline::Link(link) => {
            matches!(&link.destination, LinkDestination::Url(url) if url.starts_with('\0'))
                || needs_resolution(&link.content)
        }
        Inline::Emphasis(children)
        | Inline::Strong(children)
        | Inline::Superscript(children)
        | Inline::Subscript(children) => needs_resolution(children),
        _ => false,
    })
}

/// A pending destination's payload: the name (or number) and where it was written.
fn split_pending(rest: &str) -> (String, PendingAt) {
    let mut parts = rest.splitn(4, '\0');
    let mut number = || parts.next().and_then(|part| part.parse::<u32>().ok());
    let (file, line, column) = (number(), number(), number());
    let name = parts.next().unwrap_or_default().to_string();
    let at = Location::new(
        FileId(file.unwrap_or(0)),
        line.unwrap_or(1),
        column.unwrap_or(1),
    );
    (name, PendingAt(at))
}

/// Where a pending reference was written.
struct PendingAt(Location);

impl PendingAt {
    fn location(&self) -> Location {
        self.0
    }
}

/// The destination the inline parser writes for a reference resolved at the end.
fn pending(prefix: &str, at: Location, name: &str) -> LinkDestination {
    LinkDestination::Url(format!(
        "{prefix}{}\0{}\0{}\0{name}",
        at.file.0, at.line, at.column
    ))
}

/// Moves labels that stand before a heading onto it (also across blocks that render to
/// nothing, such as the substitution definitions of an include), so a reference to the
/// label takes the heading's title.
fn attach_labels(blocks: &mut Vec<Block>) {
    crate::parse::markdown::attach_labels(blocks);
}

/// Sphinx reads a field list at the very top of a page as the page's metadata
/// (`:orphan:`, `:tocdepth:`), not as content: it is taken out of the blocks.
fn take_page_metadata(blocks: &mut Vec<Block>) -> Option<Vec<crate::doc::Field>> {
    if !matches!(blocks.first(), Some(Block::FieldList(_))) {
        return None;
    }
    match blocks.remove(0) {
        Block::FieldList(fields) => Some(fields),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::doc::{MAX_DEPTH, nesting_depth, visit_blocks};
    use crate::parse::loader::Included;

    struct NoFiles;

    impl IncludeLoader for NoFiles {
        fn enter(&mut self, target: &str, _: FileId, _: Location) -> Result<Included, String> {
            Err(format!("included file `{target}` does not exist"))
        }
        fn leave(&mut self) {}
        fn read_literal(&mut self, target: &str, _: FileId, _: Location) -> Result<String, String> {
            Err(format!("`{target}` does not exist"))
        }
    }

    /// The page's parse and the steps it took.
    fn parse_page(text: &str) -> (ParseOutput, u64) {
        let variables = BTreeMap::new();
        let options = ParseOptions {
            variables: &variables,
        };
        parse_counting_steps(text, FileId(0), &options, &mut NoFiles)
    }

    fn codes(output: &ParseOutput, code: &str) -> Vec<Location> {
        output
            .diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.code.as_deref() == Some(code))
            .filter_map(|diagnostic| diagnostic.location)
            .collect()
    }

    fn literal_text(blocks: &[Block]) -> String {
        let mut text = String::new();
        visit_blocks(blocks, &mut |block| {
            if let Block::Code(code) = block {
                text.push_str(&code.code);
            }
        });
        text
    }

    fn nested_notes(levels: usize) -> String {
        let mut text: String = (0..levels)
            .map(|level| format!("{}.. note::\n\n", "   ".repeat(level)))
            .collect();
        text.push_str(&format!("{}deep text\n", "   ".repeat(levels)));
        text
    }

    #[test]
    fn blocks_past_the_depth_cap_are_kept_as_written() {
        let (output, _) = parse_page(&nested_notes(500));
        assert_eq!(nesting_depth(&output.document.blocks), MAX_DEPTH);
        let line = 2 * MAX_DEPTH as u32 + 1;
        assert_eq!(
            codes(&output, "nested-too-deeply"),
            [Location::new(FileId(0), line, 301)]
        );
        let kept = literal_text(&output.document.blocks);
        assert!(kept.starts_with(".. note::\n\n   .. note::"), "{kept:.40}");
        assert!(kept.ends_with("deep text\n"));

        let bullets = format!("{}x\n", "- ".repeat(5_000));
        let (output, _) = parse_page(&bullets);
        assert!(nesting_depth(&output.document.blocks) <= MAX_DEPTH);
        assert_eq!(codes(&output, "nested-too-deeply").len(), 1);
        assert!(literal_text(&output.document.blocks).ends_with("- - x\n"));
    }

    fn fanning_out_substitutions(lines: usize) -> String {
        let mut text = String::from("Start |x0| end\n\n");
        for line in 0..lines {
            let next = line + 1;
            text.push_str(&format!(".. |x{line}| replace:: |x{next}| |x{next}|\n"));
        }
        text.push_str(&format!(".. |x{lines}| replace:: leaf\n"));
        text
    }

    fn paragraph_text(output: &ParseOutput) -> String {
        match output.document.blocks.first() {
            Some(Block::Paragraph(inlines)) => crate::doc::plain_text(inlines),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn substitutions_that_fan_out_stop_at_the_size_limit() {
        for lines in [20, 40, 400] {
            let (output, _) = parse_page(&fanning_out_substitutions(lines));
            let text = paragraph_text(&output);
            assert!(
                text.len() <= 2 * SUBSTITUTION_GROWTH,
                "{} characters",
                text.len()
            );
            let warned = codes(&output, "runaway-substitution");
            assert!(!warned.is_empty());
            // Each warning points at a definition that grew too large.
            assert!(warned.iter().all(|at| at.line >= 3), "{warned:?}");
        }
        let (output, _) = parse_page(&fanning_out_substitutions(8));
        assert_eq!(paragraph_text(&output).matches("leaf").count(), 256);
        assert!(output.diagnostics.is_empty());
    }

    #[test]
    fn a_long_substitution_written_out_is_kept() {
        let svg = format!("<svg>{}</svg>", "<g/>".repeat(3 * SUBSTITUTION_GROWTH));
        let text =
            format!("|a| and |a|\n\n.. |a| replace:: |logo|\n.. |logo| raw:: html\n\n   {svg}\n");
        let (output, _) = parse_page(&text);
        assert!(output.diagnostics.is_empty(), "{:?}", output.diagnostics);
        let Some(Block::Paragraph(inlines)) = output.document.blocks.first() else {
            panic!()
        };
        assert_eq!(
            inlines
                .iter()
                .filter(|i| matches!(i, Inline::Html(h) if *h == svg))
                .count(),
            2
        );
    }

    #[test]
    fn a_long_substitution_chain_is_cut_with_a_warning() {
        let mut text = String::from("|x0|\n\n");
        for line in 0..20_000 {
            text.push_str(&format!(".. |x{line}| replace:: |x{}|\n", line + 1));
        }
        let (output, _) = parse_page(&text);
        let too_deep = MAX_SUBSTITUTION_DEPTH.to_string();
        assert_eq!(paragraph_text(&output), format!("x{too_deep}"));
        let warned = codes(&output, "runaway-substitution");
        // At the reference to the 17th, in the 16th definition.
        let line = 3 + MAX_SUBSTITUTION_DEPTH as u32 - 1;
        assert_eq!(warned, [Location::new(FileId(0), line, 20)]);
    }

    #[test]
    fn deep_nesting_costs_lines_times_the_cap_not_lines_squared() {
        let (_, small) = parse_page(&nested_notes(2 * MAX_DEPTH));
        let (_, large) = parse_page(&nested_notes(8 * MAX_DEPTH));
        assert!(large <= small * 6, "{small} -> {large} steps");
    }
}
