//! Markdown pages: CommonMark through pulldown-cmark into the document model.
//!
//! Steps: substitute `{{ name }}` variables in the text; split off `+++` TOML front
//! matter (replacing it with blank lines so line numbers stay true); turn pulldown-cmark's
//! event stream into blocks with a stack of open containers; read MyST directives out of
//! fenced code blocks whose info string is `{name}`; then attach `(label)=` lines to the
//! heading that follows and give every heading a unique id.
//!
//! Containers nested deeper than [`MAX_DEPTH`] are not opened: each is kept as its
//! source text, in a literal block (or as text, inside a paragraph), with a warning.
//!
//! Roles are written `` {ref}`label` ``: pulldown-cmark sees text ending in `{ref}`
//! followed by inline code, which is where the converter recognises them.

use std::collections::{BTreeMap, HashSet};

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::diagnostics::Diagnostic;
use crate::doc::{
    Admonition, Align, Anchor, Block, CodeBlock, DefinitionItem, Directive, Document, FileId,
    Heading, Image, Inline, Label, Link, LinkDestination, List, ListItem, Location, MAX_DEPTH,
    Reference, ReferenceKind, Table, TableCell, TableRow, TocEntry, Toctree, plain_text,
};
use crate::parse::directives::{self, ADMONITIONS};
use crate::parse::loader::IncludeLoader;
use crate::parse::{ParseOptions, ParseOutput, substitute_variables};

/// Directives may nest (an include inside a note inside an include); past this depth the
/// input is almost certainly runaway, so it is reported rather than followed.
const MAX_NESTING: usize = 32;

/// Parses one Markdown page.
pub fn parse(
    text: &str,
    file: FileId,
    options: &ParseOptions,
    loader: &mut dyn IncludeLoader,
) -> ParseOutput {
    let mut diagnostics = Vec::new();
    let (front_matter, body) = split_front_matter(text, file, &mut diagnostics);
    let body = substitute_variables(&body, options.variables);

    let mut converter = Converter {
        file,
        origin: Origin { line: 0, column: 0 },
        options,
        loader,
        diagnostics: &mut diagnostics,
        include_chain: Vec::new(),
        depth: 0,
        outer_depth: 0,
    };
    let mut blocks = converter.convert(&body);
    attach_labels(&mut blocks);
    assign_heading_ids(&mut blocks, &mut diagnostics);

    let document = Document {
        title: front_matter.title,
        description: front_matter.description,
        blocks,
        orphan: false,
        footnote_marks: Vec::new(),
    };
    ParseOutput {
        document,
        diagnostics,
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: Option<String>,
    description: Option<String>,
    // Keys other generators use: accepted so pages move over unchanged, otherwise unused.
    #[allow(dead_code)]
    #[serde(default)]
    weight: Option<toml::Value>,
    #[allow(dead_code)]
    #[serde(default)]
    date: Option<toml::Value>,
    #[allow(dead_code)]
    #[serde(default)]
    draft: Option<toml::Value>,
    #[allow(dead_code)]
    #[serde(default)]
    template: Option<toml::Value>,
    #[allow(dead_code)]
    #[serde(default)]
    extra: Option<toml::Value>,
}

/// Splits `+++`-delimited TOML front matter from the text; the body keeps the front
/// matter's lines as blank lines, so positions in the body are positions in the file.
fn split_front_matter(
    text: &str,
    file: FileId,
    diagnostics: &mut Vec<Diagnostic>,
) -> (FrontMatter, String) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "+++" {
        return (FrontMatter::default(), text.to_string());
    }

    let mut toml_text = String::new();
    let mut consumed = first.len();
    let mut closed = false;
    for line in lines {
        consumed += line.len();
        if line.trim_end() == "+++" {
            closed = true;
            break;
        }
        toml_text.push_str(line);
    }
    if !closed {
        diagnostics.push(
            Diagnostic::error(Location::new(file, 1, 1), "front matter is never closed")
                .with_code("invalid-front-matter")
                .with_hint("end the TOML front matter with a line holding only `+++`"),
        );
        return (FrontMatter::default(), text.to_string());
    }

    let front_matter = match toml::from_str::<FrontMatter>(&toml_text) {
        Ok(front_matter) => front_matter,
        Err(error) => {
            let (line, column) = error
                .span()
                .map(|span| crate::config::line_column(&toml_text, span.start))
                .unwrap_or((1, 1));
            diagnostics.push(
                Diagnostic::error(
                    Location::new(file, line + 1, column),
                    format!("invalid front matter: {}", error.message().trim()),
                )
                .with_code("invalid-front-matter")
                .with_hint("front matter is TOML with `title` and `description` keys"),
            );
            FrontMatter::default()
        }
    };
    let blank_lines = "\n".repeat(text[..consumed].matches('\n').count());
    (front_matter, format!("{blank_lines}{}", &text[consumed..]))
}

/// Where a piece of Markdown text starts in its file, for text parsed out of a directive.
#[derive(Clone, Copy)]
struct Origin {
    /// Lines before the text's first line.
    line: u32,
    /// Columns before the text's first column (for indented directive bodies).
    column: u32,
}

struct Converter<'a, 'o> {
    file: FileId,
    origin: Origin,
    options: &'a ParseOptions<'o>,
    loader: &'a mut dyn IncludeLoader,
    diagnostics: &'a mut Vec<Diagnostic>,
    include_chain: Vec<Location>,
    depth: usize,
    /// Containers open around the text being converted: for a directive's body, those
    /// around the directive and the directive itself. Counted toward [`MAX_DEPTH`].
    outer_depth: usize,
}

/// An open container while the event stream is turned into a tree.
enum Frame {
    Blocks {
        kind: BlocksKind,
        blocks: Vec<Block>,
        inlines: Vec<Inline>,
    },
    Inlines {
        kind: InlineKind,
        inlines: Vec<Inline>,
    },
    List {
        start: Option<u64>,
        items: Vec<ListItem>,
    },
    Table {
        aligns: Vec<Align>,
        head: Vec<TableRow>,
        body: Vec<TableRow>,
        in_head: bool,
    },
    Row {
        cells: Vec<TableCell>,
    },
    DefinitionList {
        items: Vec<DefinitionItem>,
    },
    Code {
        info: Option<String>,
        text: String,
        location: Location,
    },
    Html {
        text: String,
    },
}

enum BlocksKind {
    Root,
    Quote,
    Item { checked: Option<bool> },
    Footnote(String),
    Definition,
}

enum InlineKind {
    Paragraph {
        location: Location,
    },
    Heading {
        level: u8,
        id: Option<String>,
        classes: Vec<String>,
        location: Location,
    },
    Emphasis,
    Strong,
    Strikethrough,
    Superscript,
    Subscript,
    Link {
        destination: LinkDestination,
        title: Option<String>,
        location: Location,
    },
    Image {
        src: String,
        title: Option<String>,
        location: Location,
    },
    Cell,
    Term,
}

impl Converter<'_, '_> {
    fn convert(&mut self, text: &str) -> Vec<Block> {
        let lines = LineIndex::new(text);
        let mut stack = vec![Frame::Blocks {
            kind: BlocksKind::Root,
            blocks: Vec::new(),
            inlines: Vec::new(),
        }];
        let parser = Parser::new_ext(text, markdown_options());
        // Events still to pass over inside an element kept as source text.
        let mut open_in_skipped = 0usize;
        for (event, range) in parser.into_offset_iter() {
            if open_in_skipped > 0 {
                match event {
                    Event::Start(_) => open_in_skipped += 1,
                    Event::End(_) => open_in_skipped -= 1,
                    _ => {}
                }
                continue;
            }
            let location = self.location(&lines, text, range.start);
            if let Event::Start(tag) = &event
                && opens_container(tag)
                && self.outer_depth + open_containers(&stack) >= MAX_DEPTH
            {
                self.keep_as_source(tag, &text[range], location, &mut stack);
                open_in_skipped = 1;
                continue;
            }
            self.handle(event, location, &mut stack);
        }
        while stack.len() > 1 {
            self.close_frame(&mut stack);
        }
        match stack.pop() {
            Some(Frame::Blocks {
                mut blocks,
                inlines,
                ..
            }) => {
                flush_inlines(&mut blocks, inlines);
                blocks
            }
            _ => Vec::new(),
        }
    }

    /// A container that would nest past [`MAX_DEPTH`], shown as written: a literal block,
    /// or text where inline content goes.
    fn keep_as_source(&mut self, tag: &Tag<'_>, source: &str, at: Location, stack: &mut [Frame]) {
        self.diagnostics.push(
            self.with_chain(
                Diagnostic::warning(at, "nested too deeply: shown as written")
                    .with_code("nested-too-deeply")
                    .with_hint(format!(
                        "loopbook nests quotes, lists, directives and emphasis at most \
                         {MAX_DEPTH} levels deep; flatten this part of the page"
                    )),
            ),
        );
        if is_inline_container(tag) {
            push_text(inline_target(stack), source);
            return;
        }
        let mut code = source.to_string();
        if !code.ends_with('\n') {
            code.push('\n');
        }
        push_block(
            stack,
            Block::Code(CodeBlock {
                code,
                location: at,
                ..CodeBlock::default()
            }),
        );
    }

    fn location(&self, lines: &LineIndex, text: &str, offset: usize) -> Location {
        let (line, column) = lines.position(text, offset);
        let column = if line == 1 {
            column + self.origin.column
        } else {
            column
        };
        Location::new(self.file, line + self.origin.line, column)
    }

    fn handle(&mut self, event: Event<'_>, location: Location, stack: &mut Vec<Frame>) {
        match event {
            Event::Start(tag) => self.open(tag, location, stack),
            Event::End(TagEnd::TableHead) => {
                self.close_frame(stack);
                if let Some(Frame::Table { in_head, .. }) = stack.last_mut() {
                    *in_head = false;
                }
            }
            Event::End(_) => self.close_frame(stack),
            Event::Text(text) => match stack.last_mut() {
                Some(Frame::Code { text: code, .. }) => code.push_str(&text),
                Some(Frame::Html { text: html }) => html.push_str(&text),
                _ => push_text(inline_target(stack), &text),
            },
            Event::Code(code) => self.inline_code(code.to_string(), location, stack),
            Event::Html(html) => match stack.last_mut() {
                Some(Frame::Html { text }) => text.push_str(&html),
                _ => inline_target(stack).push(Inline::Html(html.to_string())),
            },
            Event::InlineHtml(html) => inline_target(stack).push(Inline::Html(html.to_string())),
            Event::FootnoteReference(label) => {
                inline_target(stack).push(Inline::FootnoteReference(label.to_string()))
            }
            Event::SoftBreak => inline_target(stack).push(Inline::SoftBreak),
            Event::HardBreak => inline_target(stack).push(Inline::HardBreak),
            Event::Rule => push_block(stack, Block::Rule),
            Event::TaskListMarker(checked) => {
                for frame in stack.iter_mut().rev() {
                    if let Frame::Blocks {
                        kind: BlocksKind::Item { checked: slot },
                        ..
                    } = frame
                    {
                        *slot = Some(checked);
                        break;
                    }
                }
            }
            Event::InlineMath(math) | Event::DisplayMath(math) => {
                inline_target(stack).push(Inline::Code(math.to_string()))
            }
        }
    }

    fn open(&mut self, tag: Tag<'_>, location: Location, stack: &mut Vec<Frame>) {
        let frame = match tag {
            Tag::Paragraph => Frame::Inlines {
                kind: InlineKind::Paragraph { location },
                inlines: Vec::new(),
            },
            Tag::Heading {
                level, id, classes, ..
            } => Frame::Inlines {
                kind: InlineKind::Heading {
                    level: heading_level(level),
                    id: id.map(|id| id.to_string()),
                    classes: classes.iter().map(|class| class.to_string()).collect(),
                    location,
                },
                inlines: Vec::new(),
            },
            Tag::BlockQuote(_) => blocks_frame(BlocksKind::Quote),
            Tag::CodeBlock(kind) => {
                let info = match kind {
                    CodeBlockKind::Fenced(info) => Some(info.trim().to_string()),
                    CodeBlockKind::Indented => None,
                };
                Frame::Code {
                    info,
                    text: String::new(),
                    location,
                }
            }
            Tag::HtmlBlock => Frame::Html {
                text: String::new(),
            },
            Tag::List(start) => Frame::List {
                start,
                items: Vec::new(),
            },
            Tag::Item => blocks_frame(BlocksKind::Item { checked: None }),
            Tag::FootnoteDefinition(label) => blocks_frame(BlocksKind::Footnote(label.to_string())),
            Tag::DefinitionList => Frame::DefinitionList { items: Vec::new() },
            Tag::DefinitionListTitle => Frame::Inlines {
                kind: InlineKind::Term,
                inlines: Vec::new(),
            },
            Tag::DefinitionListDefinition => blocks_frame(BlocksKind::Definition),
            Tag::Table(aligns) => Frame::Table {
                aligns: aligns.into_iter().map(align).collect(),
                head: Vec::new(),
                body: Vec::new(),
                in_head: false,
            },
            Tag::TableHead => {
                if let Some(Frame::Table { in_head, .. }) = stack.last_mut() {
                    *in_head = true;
                }
                Frame::Row { cells: Vec::new() }
            }
            Tag::TableRow => Frame::Row { cells: Vec::new() },
            Tag::TableCell => Frame::Inlines {
                kind: InlineKind::Cell,
                inlines: Vec::new(),
            },
            Tag::Emphasis => inline_frame(InlineKind::Emphasis),
            Tag::Strong => inline_frame(InlineKind::Strong),
            Tag::Strikethrough => inline_frame(InlineKind::Strikethrough),
            Tag::Superscript => inline_frame(InlineKind::Superscript),
            Tag::Subscript => inline_frame(InlineKind::Subscript),
            Tag::Link {
                dest_url, title, ..
            } => inline_frame(InlineKind::Link {
                destination: link_destination(&dest_url, location),
                title: (!title.is_empty()).then(|| title.to_string()),
                location,
            }),
            Tag::Image {
                dest_url, title, ..
            } => inline_frame(InlineKind::Image {
                src: dest_url.to_string(),
                title: (!title.is_empty()).then(|| title.to_string()),
                location,
            }),
            Tag::MetadataBlock(_) => Frame::Html {
                text: String::new(),
            },
        };
        stack.push(frame);
    }

    fn close_frame(&mut self, stack: &mut Vec<Frame>) {
        let Some(frame) = stack.pop() else { return };
        match frame {
            Frame::Blocks {
                kind,
                mut blocks,
                inlines,
            } => {
                flush_inlines(&mut blocks, inlines);
                match kind {
                    BlocksKind::Root => stack.push(Frame::Blocks {
                        kind,
                        blocks,
                        inlines: vec![],
                    }),
                    BlocksKind::Quote => push_block(stack, Block::Quote(blocks)),
                    BlocksKind::Item { checked } => {
                        if let Some(Frame::List { items, .. }) = stack.last_mut() {
                            items.push(ListItem { checked, blocks });
                        }
                    }
                    BlocksKind::Footnote(label) => {
                        push_block(stack, Block::FootnoteDefinition { label, blocks })
                    }
                    BlocksKind::Definition => {
                        if let Some(Frame::DefinitionList { items }) = stack.last_mut() {
                            match items.last_mut() {
                                Some(item) if item.definition.is_empty() => {
                                    item.definition = blocks
                                }
                                _ => items.push(DefinitionItem {
                                    term: Vec::new(),
                                    classifiers: Vec::new(),
                                    definition: blocks,
                                }),
                            }
                        }
                    }
                }
            }
            Frame::Inlines { kind, inlines } => self.close_inlines(kind, inlines, stack),
            Frame::List { start, items } => push_block(
                stack,
                Block::List(List {
                    start,
                    style: None,
                    items,
                }),
            ),
            Frame::Table {
                aligns, head, body, ..
            } => push_block(
                stack,
                Block::Table(Table {
                    aligns,
                    head,
                    body,
                    ..Table::default()
                }),
            ),
            Frame::Row { cells } => {
                if let Some(Frame::Table {
                    head,
                    body,
                    in_head,
                    ..
                }) = stack.last_mut()
                {
                    let row = TableRow { cells };
                    if *in_head {
                        head.push(row)
                    } else {
                        body.push(row)
                    }
                }
            }
            Frame::DefinitionList { items } => push_block(stack, Block::DefinitionList(items)),
            Frame::Code {
                info,
                text,
                location,
            } => {
                // A directive's blocks stand where the code frame stood, and its body
                // inside a container of its own (an admonition).
                let outer_depth = self.outer_depth;
                self.outer_depth += open_containers(stack) + 1;
                let blocks = self.code_or_directive(info, text, location);
                self.outer_depth = outer_depth;
                for block in blocks {
                    push_block(stack, block);
                }
            }
            Frame::Html { text } => {
                if !text.is_empty() {
                    push_block(stack, Block::Html(text));
                }
            }
        }
    }

    fn close_inlines(&mut self, kind: InlineKind, inlines: Vec<Inline>, stack: &mut [Frame]) {
        match kind {
            InlineKind::Paragraph { location } => match label_line(&inlines, location) {
                Some(label) => push_block(stack, Block::Anchor(label_anchor(label))),
                None => push_block(stack, Block::Paragraph(inlines)),
            },
            InlineKind::Heading {
                level,
                id,
                classes,
                location,
            } => {
                push_block(
                    stack,
                    Block::Heading(Heading {
                        level,
                        content: inlines,
                        id: id.unwrap_or_default(),
                        labels: Vec::new(),
                        classes,
                        location,
                    }),
                );
            }
            InlineKind::Cell => {
                if let Some(Frame::Row { cells }) = stack.last_mut() {
                    let blocks = if inlines.is_empty() {
                        vec![]
                    } else {
                        vec![Block::Paragraph(inlines)]
                    };
                    cells.push(TableCell::new(blocks));
                }
            }
            InlineKind::Term => {
                if let Some(Frame::DefinitionList { items }) = stack.last_mut() {
                    items.push(DefinitionItem {
                        term: inlines,
                        classifiers: Vec::new(),
                        definition: Vec::new(),
                    });
                }
            }
            InlineKind::Emphasis => inline_target(stack).push(Inline::Emphasis(inlines)),
            InlineKind::Strong => inline_target(stack).push(Inline::Strong(inlines)),
            InlineKind::Strikethrough => inline_target(stack).push(Inline::Strikethrough(inlines)),
            InlineKind::Superscript => inline_target(stack).push(Inline::Superscript(inlines)),
            InlineKind::Subscript => inline_target(stack).push(Inline::Subscript(inlines)),
            InlineKind::Link {
                destination,
                title,
                location,
            } => inline_target(stack).push(Inline::Link(Link {
                destination,
                title,
                content: inlines,
                location: Some(location),
                download: false,
            })),
            InlineKind::Image {
                src,
                title,
                location,
            } => inline_target(stack).push(Inline::Image(Image {
                src,
                alt: plain_text(&inlines),
                title,
                location,
                ..Image::default()
            })),
        }
    }

    /// Inline code, unless the text before it ends in `{role}`: then it is a role.
    fn inline_code(&mut self, code: String, location: Location, stack: &mut [Frame]) {
        let inlines = inline_target(stack);
        let role = match inlines.last_mut() {
            Some(Inline::Text(text)) => split_role_suffix(text),
            _ => None,
        };
        let Some(role) = role else {
            inlines.push(Inline::Code(code));
            return;
        };
        if matches!(inlines.last(), Some(Inline::Text(text)) if text.is_empty()) {
            inlines.pop();
        }
        // The role name starts `{role}` characters before the code span.
        let role_location = Location {
            column: location
                .column
                .saturating_sub(role.chars().count() as u32 + 2),
            ..location
        };
        let inline = self.role(&role, code, role_location);
        inline_target(stack).push(inline);
    }

    fn role(&mut self, role: &str, text: String, location: Location) -> Inline {
        let (explicit, target) = split_explicit_target(&text);
        match role {
            "ref" => Inline::Reference(Reference {
                kind: ReferenceKind::Label,
                target,
                text: explicit,
                location,
            }),
            "doc" => Inline::Reference(Reference {
                kind: ReferenceKind::Page,
                target,
                text: explicit,
                location,
            }),
            "code" | "literal" | "file" | "samp" | "kbd" | "command" => Inline::Code(text),
            "emphasis" => Inline::Emphasis(vec![Inline::Text(text)]),
            "strong" => Inline::Strong(vec![Inline::Text(text)]),
            "sub" | "subscript" => Inline::Subscript(vec![Inline::Text(text)]),
            "sup" | "superscript" => Inline::Superscript(vec![Inline::Text(text)]),
            _ => {
                self.diagnostics.push(
                    self.with_chain(
                        Diagnostic::warning(location, format!("unknown role `{role}`"))
                            .with_code("unknown-role"),
                    )
                    .with_hint("known roles: ref, doc, code, emphasis, strong, sub, sup"),
                );
                Inline::UnknownRole {
                    role: role.to_string(),
                    text,
                }
            }
        }
    }

    fn with_chain(&self, mut diagnostic: Diagnostic) -> Diagnostic {
        diagnostic.include_chain = self.include_chain.clone();
        diagnostic
    }

    /// A fenced block is a directive when its info string is `{name}`.
    fn code_or_directive(
        &mut self,
        info: Option<String>,
        code: String,
        location: Location,
    ) -> Vec<Block> {
        let info = info.unwrap_or_default();
        let Some(rest) = info.strip_prefix('{') else {
            let language = info.split_whitespace().next().map(str::to_string);
            return vec![Block::Code(CodeBlock {
                language,
                code,
                location: Location {
                    line: location.line + 1,
                    ..location
                },
                ..CodeBlock::default()
            })];
        };
        let Some((name, argument)) = rest.split_once('}') else {
            self.diagnostics.push(
                self.with_chain(
                    Diagnostic::error(location, "directive name is not closed with `}`")
                        .with_code("invalid-directive")
                        .with_hint("write directives as ```{name} argument"),
                ),
            );
            return vec![Block::Code(CodeBlock {
                code,
                location,
                ..CodeBlock::default()
            })];
        };
        let content = directives::read_options(&code);
        let mut directive = Directive {
            name: name.trim().to_string(),
            argument: argument.trim().to_string(),
            options: content.options,
            body: content.body,
            location,
            source: fenced(&info, &code),
        };
        self.check_options(&directive, &content.option_lines);
        let mut body_origin = Origin {
            line: location.line + content.body_line,
            column: 0,
        };
        // As in MyST, a directive without an argument reads text after its name as the
        // first line of its body. (With options between, that line is reported on the
        // line before the body.)
        if ADMONITIONS.contains(&directive.name.as_str()) && !directive.argument.is_empty() {
            let first_line = std::mem::take(&mut directive.argument);
            directive.body = format!("{first_line}\n{}", directive.body);
            body_origin.line -= 1;
        }
        self.directive(directive, body_origin)
    }

    /// Reports options the directive does not take, each at its own line.
    fn check_options(&mut self, directive: &Directive, option_lines: &[u32]) {
        let Some(known) = known_myst_options(&directive.name) else {
            return;
        };
        for ((option, _), line) in directive.options.iter().zip(option_lines) {
            if known.contains(&option.as_str()) {
                continue;
            }
            let at = Location {
                line: directive.location.line + 1 + line,
                ..directive.location
            };
            let diagnostic = directives::unknown_option(&directive.name, option, known, at);
            self.diagnostics.push(self.with_chain(diagnostic));
        }
    }

    fn directive(&mut self, directive: Directive, body_origin: Origin) -> Vec<Block> {
        let name = directive.name.as_str();
        if ADMONITIONS.contains(&name) || name == "admonition" {
            return vec![self.admonition(directive, body_origin)];
        }
        match name {
            "include" => self.include(&directive),
            "literalinclude" => self.literal_include(&directive),
            "code-block" | "code" | "sourcecode" => {
                let code = directives::code_block(&directive, directive.body.clone());
                vec![Block::Code(self.report(code))]
            }
            "toctree" => vec![toctree(&directive, body_origin)],
            "contents" => vec![Block::Contents {
                title: (!directive.argument.is_empty()).then(|| directive.argument.clone()),
                depth: directive
                    .option("depth")
                    .and_then(|depth| depth.parse().ok()),
            }],
            "raw" => {
                if directive.argument.trim() == "html" {
                    vec![Block::Html(directive.body)]
                } else {
                    Vec::new()
                }
            }
            "image" | "figure" => vec![directives::image_block(&directive, |caption| {
                vec![Inline::Text(caption.trim().to_string())]
            })],
            _ => vec![Block::Directive(directive)],
        }
    }

    fn report<T>(&mut self, (value, problem): (T, Option<Diagnostic>)) -> T {
        if let Some(diagnostic) = problem {
            let diagnostic = self.with_chain(diagnostic);
            self.diagnostics.push(diagnostic);
        }
        value
    }

    fn admonition(&mut self, directive: Directive, body_origin: Origin) -> Block {
        let blocks = self.nested(&directive.body, self.file, body_origin, directive.location);
        if directive.name == "admonition" && directive.argument.is_empty() {
            self.diagnostics.push(
                self.with_chain(
                    Diagnostic::warning(
                        directive.location,
                        "`admonition` directive needs an argument",
                    )
                    .with_code("directive-argument-missing")
                    .with_hint("write its title after the name: ```{admonition} Title"),
                ),
            );
        }
        let title =
            (!directive.argument.is_empty()).then(|| self.inline_markdown(&directive.argument));
        let classes = directive
            .option("class")
            .map(|classes| classes.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        Block::Admonition(Admonition {
            kind: directive.name,
            title,
            blocks,
            classes,
        })
    }

    /// A title written in Markdown: its inlines, without the paragraph around them.
    fn inline_markdown(&mut self, text: &str) -> Vec<Inline> {
        let origin = self.origin;
        match self
            .nested(text, self.file, origin, Location::default())
            .into_iter()
            .next()
        {
            Some(Block::Paragraph(inlines)) => inlines,
            _ => vec![Inline::Text(text.to_string())],
        }
    }

    /// Parses Markdown found inside a directive or an included file.
    fn nested(&mut self, text: &str, file: FileId, origin: Origin, at: Location) -> Vec<Block> {
        if self.depth >= MAX_NESTING {
            self.diagnostics.push(
                self.with_chain(
                    Diagnostic::error(at, "directives nested too deeply")
                        .with_code("nesting-too-deep")
                        .with_hint(format!("loopbook follows at most {MAX_NESTING} levels")),
                ),
            );
            return Vec::new();
        }
        let saved = (self.file, self.origin);
        self.file = file;
        self.origin = origin;
        self.depth += 1;
        let blocks = self.convert(text);
        self.depth -= 1;
        (self.file, self.origin) = saved;
        blocks
    }

    fn include(&mut self, directive: &Directive) -> Vec<Block> {
        let at = directive.location;
        let included = match self.loader.enter(&directive.argument, self.file, at) {
            Ok(included) => included,
            Err(message) => {
                let code = crate::parse::loader::error_code(&message);
                self.diagnostics.push(self.with_chain(
                    Diagnostic::error(at, message).with_code(code)
                        .with_hint("include paths are relative to this file, or to the source folder with a leading `/`"),
                ));
                return Vec::new();
            }
        };
        let text = substitute_variables(&included.text, self.options.variables);
        let (text, first_line) = match directives::select_lines(directive, &text) {
            Ok(selected) => selected,
            Err(diagnostic) => {
                self.diagnostics.push(self.with_chain(diagnostic));
                self.loader.leave();
                return Vec::new();
            }
        };
        self.include_chain.push(at);
        let origin = Origin {
            line: first_line,
            column: 0,
        };
        let mut blocks = self.nested(&text, included.file, origin, at);
        self.include_chain.pop();
        self.loader.leave();
        attach_labels(&mut blocks);
        blocks
    }

    fn literal_include(&mut self, directive: &Directive) -> Vec<Block> {
        let at = directive.location;
        let text = match self.loader.read_literal(&directive.argument, self.file, at) {
            Ok(text) => text,
            Err(message) => {
                let code = crate::parse::loader::error_code(&message);
                self.diagnostics
                    .push(self.with_chain(Diagnostic::error(at, message).with_code(code)));
                return Vec::new();
            }
        };
        let text = substitute_variables(&text, self.options.variables);
        let selected = match directives::select_lines(directive, &text) {
            Ok((selected, _)) => selected,
            Err(diagnostic) => {
                self.diagnostics.push(self.with_chain(diagnostic));
                return Vec::new();
            }
        };
        let mut code = directives::code_block(directive, selected);
        if code.0.language.is_none() {
            code.0.language = directives::language_from_extension(&directive.argument);
        }
        vec![Block::Code(self.report(code))]
    }
}

/// The options a directive takes in MyST: Sphinx's, and for `include` MyST's own and
/// loopbook's `:lines:`.
fn known_myst_options(name: &str) -> Option<&'static [&'static str]> {
    const INCLUDE: &[&str] = &[
        "start-line",
        "end-line",
        "start-after",
        "end-before",
        "lines",
        "literal",
        "code",
        "number-lines",
        "encoding",
        "tab-width",
        "parser",
        "heading-offset",
        "relative-images",
        "relative-docs",
        "class",
        "name",
    ];
    match name {
        "include" => Some(INCLUDE),
        name => directives::known_options(name),
    }
}

/// A fenced directive as written: its info string and its content between fences long
/// enough for any fence in the content. (The source's own fence may have been longer,
/// or of tildes.)
fn fenced(info: &str, content: &str) -> String {
    let longest = content
        .lines()
        .map(|line| line.trim_start().chars().take_while(|c| *c == '`').count())
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let mut written = format!("{fence}{info}\n{content}");
    if !written.ends_with('\n') {
        written.push('\n');
    }
    written.push_str(&fence);
    written.push('\n');
    written
}

fn toctree(directive: &Directive, body_origin: Origin) -> Block {
    let entries = directive
        .body
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            let location = Location::new(
                directive.location.file,
                body_origin.line + index as u32 + 1,
                1,
            );
            let (title, target) = split_explicit_target(line.trim());
            TocEntry {
                title,
                target,
                location,
            }
        })
        .collect();
    Block::Toctree(Toctree {
        caption: directive.option("caption").map(str::to_string),
        max_depth: directive
            .option("maxdepth")
            .and_then(|depth| depth.parse().ok()),
        hidden: directive.option("hidden").is_some(),
        glob: directive.option("glob").is_some(),
        numbered: directive.option("numbered").is_some(),
        entries,
        location: directive.location,
    })
}

fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_DEFINITION_LIST
}

/// How many of the open frames are containers, as [`opens_container`] says.
fn open_containers(stack: &[Frame]) -> usize {
    stack.iter().filter(|frame| frame.is_container()).count()
}

impl Frame {
    fn is_container(&self) -> bool {
        match self {
            Frame::Blocks { kind, .. } => {
                matches!(kind, BlocksKind::Quote | BlocksKind::Footnote(_))
            }
            Frame::List { .. } | Frame::Table { .. } | Frame::DefinitionList { .. } => true,
            Frame::Inlines { kind, .. } => !matches!(
                kind,
                InlineKind::Paragraph { .. }
                    | InlineKind::Heading { .. }
                    | InlineKind::Cell
                    | InlineKind::Term
            ),
            Frame::Row { .. } | Frame::Code { .. } | Frame::Html { .. } => false,
        }
    }
}

/// Tags that open a level of the model, counted toward [`MAX_DEPTH`]. The parts of a
/// container (list items, rows, cells) and leaves (paragraphs, headings, code) are
/// inside one and do not add a level.
fn opens_container(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::BlockQuote(_)
            | Tag::List(_)
            | Tag::FootnoteDefinition(_)
            | Tag::DefinitionList
            | Tag::Table(_)
    ) || is_inline_container(tag)
}

fn is_inline_container(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Superscript
            | Tag::Subscript
            | Tag::Link { .. }
            | Tag::Image { .. }
    )
}

fn blocks_frame(kind: BlocksKind) -> Frame {
    Frame::Blocks {
        kind,
        blocks: Vec::new(),
        inlines: Vec::new(),
    }
}

fn inline_frame(kind: InlineKind) -> Frame {
    Frame::Inlines {
        kind,
        inlines: Vec::new(),
    }
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

fn align(alignment: pulldown_cmark::Alignment) -> Align {
    match alignment {
        pulldown_cmark::Alignment::None => Align::None,
        pulldown_cmark::Alignment::Left => Align::Left,
        pulldown_cmark::Alignment::Center => Align::Center,
        pulldown_cmark::Alignment::Right => Align::Right,
    }
}

/// Where inline content goes: the innermost inline frame, or the pending inlines of a
/// block frame (tight list items hold text without a paragraph).
fn inline_target(stack: &mut [Frame]) -> &mut Vec<Inline> {
    stack
        .iter_mut()
        .rev()
        .find_map(|frame| match frame {
            Frame::Inlines { inlines, .. } | Frame::Blocks { inlines, .. } => Some(inlines),
            _ => None,
        })
        .expect("the root frame is a block frame and is never removed")
}

fn push_text(inlines: &mut Vec<Inline>, text: &str) {
    match inlines.last_mut() {
        Some(Inline::Text(previous)) => previous.push_str(text),
        _ => inlines.push(Inline::Text(text.to_string())),
    }
}

fn push_block(stack: &mut [Frame], block: Block) {
    for frame in stack.iter_mut().rev() {
        if let Frame::Blocks {
            blocks, inlines, ..
        } = frame
        {
            flush_inlines(blocks, std::mem::take(inlines));
            blocks.push(block);
            return;
        }
    }
}

fn flush_inlines(blocks: &mut Vec<Block>, inlines: Vec<Inline>) {
    if !inlines.is_empty() {
        blocks.push(Block::Paragraph(inlines));
    }
}

/// Splits `{role}` off the end of `text`, returning the role name.
fn split_role_suffix(text: &mut String) -> Option<String> {
    let body = text.strip_suffix('}')?;
    let open = body.rfind('{')?;
    let name = &body[open + 1..];
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':'));
    if !valid {
        return None;
    }
    let name = name.to_string();
    text.truncate(open);
    Some(name)
}

/// `Text <target>` → (Some(text), target); `target` → (None, target).
pub fn split_explicit_target(text: &str) -> (Option<String>, String) {
    let trimmed = text.trim();
    if let Some(without_close) = trimmed.strip_suffix('>')
        && let Some(open) = without_close.rfind('<')
    {
        let label = without_close[..open].trim();
        let target = without_close[open + 1..].trim();
        if !label.is_empty() && !target.is_empty() {
            return (Some(label.to_string()), target.to_string());
        }
    }
    (None, trimmed.to_string())
}

/// Links to `.md`/`.rst` sources (relative or `/`-rooted) point at pages; the resolve
/// stage turns them into page URLs.
pub fn link_destination(url: &str, location: Location) -> LinkDestination {
    if let Some(fragment) = url.strip_prefix('#') {
        return LinkDestination::Fragment(fragment.to_string());
    }
    let has_scheme = url.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+')
    });
    if has_scheme || url.starts_with("//") {
        return LinkDestination::Url(url.to_string());
    }
    let (path, fragment) = match url.split_once('#') {
        Some((path, fragment)) => (path, Some(fragment.to_string())),
        None => (url, None),
    };
    let (path, query) = match path.split_once('?') {
        Some((path, query)) => (path, Some(query.to_string())),
        None => (path, None),
    };
    if path.ends_with(".md") || path.ends_with(".rst") {
        return LinkDestination::Source {
            path: path.to_string(),
            query,
            fragment,
            location,
        };
    }
    LinkDestination::Url(url.to_string())
}

/// A paragraph holding only `(name)=` labels the heading that follows it.
fn label_line(inlines: &[Inline], location: Location) -> Option<Label> {
    let [Inline::Text(text)] = inlines else {
        return None;
    };
    let name = text.trim().strip_prefix('(')?.strip_suffix(")=")?.trim();
    // Spaces are allowed, since labels compare without regard to them.
    if name.is_empty() || name.contains(['(', ')', '\n']) {
        return None;
    }
    let name = normalize_label(name);
    Some(Label {
        id: slug(&name),
        name,
        location,
    })
}

fn label_anchor(label: Label) -> Anchor {
    Anchor {
        id: label.id.clone(),
        location: label.location,
        labels: vec![label],
        detached: false,
    }
}

/// Labels compare as Sphinx compares them: case and runs of whitespace folded.
pub fn normalize_label(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Moves the labels of anchors that stand right before a heading (through other anchors
/// only) onto the heading, so a reference to them takes the heading's title.
pub fn attach_labels(blocks: &mut Vec<Block>) {
    let mut pending: Vec<Anchor> = Vec::new();
    let mut out = Vec::with_capacity(blocks.len());
    for mut block in blocks.drain(..) {
        match &mut block {
            Block::Anchor(anchor) => {
                pending.push(anchor.clone());
                if anchor.detached {
                    out.extend(pending.drain(..).map(Block::Anchor));
                }
                continue;
            }
            Block::Heading(heading) => {
                heading
                    .labels
                    .extend(pending.drain(..).flat_map(|anchor| anchor.labels));
            }
            _ => out.extend(pending.drain(..).map(Block::Anchor)),
        }
        out.push(block);
    }
    out.extend(pending.into_iter().map(Block::Anchor));
    *blocks = out;
}

/// Gives every heading a page-unique id. Labels' ids come first, since a reference to a
/// label must land on it; then explicit `{#id}`s in page order (a repeat is a warning and
/// gets a number); then slugs of the text with `-1`, `-2`, … for repeats. A heading may
/// take the id of a label of its own: the label then needs no anchor of its own.
fn assign_heading_ids(blocks: &mut [Block], diagnostics: &mut Vec<Diagnostic>) {
    let mut label_ids: HashSet<String> = HashSet::new();
    crate::doc::visit_blocks(blocks, &mut |block| match block {
        Block::Heading(heading) => {
            label_ids.extend(heading.labels.iter().map(|label| label.id.clone()));
        }
        Block::Anchor(anchor) => {
            label_ids.insert(anchor.id.clone());
        }
        _ => {}
    });
    let mut ids = HeadingIds {
        label_ids,
        used: HashSet::new(),
        counts: BTreeMap::new(),
    };

    crate::doc::visit_blocks_mut(blocks, &mut |block| {
        let Block::Heading(heading) = block else {
            return;
        };
        if heading.id.is_empty() {
            return;
        }
        let written = std::mem::take(&mut heading.id);
        heading.id = ids.claim(&written, heading);
        if heading.id != written {
            diagnostics.push(
                Diagnostic::warning(
                    heading.location,
                    format!("heading id `{written}` is already used on this page"),
                )
                .with_code("duplicate-id")
                .with_hint(format!(
                    "this heading gets `{}`; give each heading and label on a page its own id",
                    heading.id
                )),
            );
        }
    });
    crate::doc::visit_blocks_mut(blocks, &mut |block| {
        let Block::Heading(heading) = block else {
            return;
        };
        if !heading.id.is_empty() {
            return;
        }
        let base = match slug(&plain_text(&heading.content)) {
            base if base.is_empty() => "section".to_string(),
            base => base,
        };
        heading.id = ids.claim(&base, heading);
    });
}

/// The ids of one page's headings as they are handed out.
struct HeadingIds {
    /// Ids of labels, which headings other than the label's own may not take.
    label_ids: HashSet<String>,
    /// Ids given to headings.
    used: HashSet<String>,
    /// The last number given to each base id.
    counts: BTreeMap<String, u32>,
}

impl HeadingIds {
    /// `base` if it is free for `heading`, else `base-1`, `base-2`, … (the first free).
    fn claim(&mut self, base: &str, heading: &Heading) -> String {
        let is_free = |ids: &Self, candidate: &str| {
            !ids.used.contains(candidate)
                && (!ids.label_ids.contains(candidate)
                    || heading.labels.iter().any(|label| label.id == candidate))
        };
        let mut candidate = base.to_string();
        while !is_free(self, &candidate) {
            let count = self.counts.entry(base.to_string()).or_insert(0);
            *count += 1;
            candidate = format!("{base}-{count}");
        }
        self.used.insert(candidate.clone());
        candidate
    }
}

/// Lower-case, letters and digits kept, spaces and hyphens to `-`, other punctuation
/// dropped: the anchors GitHub and mdBook give headings.
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if c.is_alphanumeric() || c == '_' {
            out.extend(c.to_lowercase());
        } else if c == ' ' || c == '-' {
            out.push('-');
        }
    }
    out
}

/// Byte offsets of line starts, for turning offsets into line and column.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(index, _)| index + 1));
        Self { starts }
    }

    fn position(&self, text: &str, offset: usize) -> (u32, u32) {
        let line = self.starts.partition_point(|start| *start <= offset).max(1);
        let start = self.starts[line - 1];
        let column = text
            .get(start..offset)
            .map_or(1, |prefix| prefix.chars().count() + 1);
        (line as u32, column as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    fn parse_text(text: &str) -> ParseOutput {
        let variables = BTreeMap::from([("site_id".to_string(), "ABC-123".to_string())]);
        parse(
            text,
            FileId(0),
            &ParseOptions {
                variables: &variables,
            },
            &mut NoFiles,
        )
    }

    #[test]
    fn front_matter_sets_title_and_keeps_line_numbers() {
        let output = parse_text("+++\ntitle = \"Setup\"\n+++\n# Heading\n");
        assert_eq!(output.document.title.as_deref(), Some("Setup"));
        let Block::Heading(heading) = &output.document.blocks[0] else {
            panic!()
        };
        assert_eq!(heading.location.line, 4);
    }

    #[test]
    fn variables_fill_prose_and_code_and_unknown_names_survive() {
        let output = parse_text("Id {{ site_id }} {{ other }}\n\n```js\nid('{{site_id}}')\n```\n");
        let blocks = &output.document.blocks;
        assert_eq!(
            blocks[0],
            Block::Paragraph(vec![Inline::Text("Id ABC-123 {{ other }}".into())])
        );
        let Block::Code(code) = &blocks[1] else {
            panic!()
        };
        assert_eq!(code.code, "id('ABC-123')\n");
    }

    #[test]
    fn roles_become_references_with_locations() {
        let output = parse_text("See {ref}`Setup <setup>` and {doc}`guide/install`.\n");
        let Block::Paragraph(inlines) = &output.document.blocks[0] else {
            panic!()
        };
        let Inline::Reference(reference) = &inlines[1] else {
            panic!("{inlines:?}")
        };
        assert_eq!(reference.target, "setup");
        assert_eq!(reference.text.as_deref(), Some("Setup"));
        assert_eq!((reference.location.line, reference.location.column), (1, 5));
        let Inline::Reference(page) = &inlines[3] else {
            panic!()
        };
        assert_eq!(page.kind, ReferenceKind::Page);
    }

    #[test]
    fn unknown_role_is_text_and_a_warning() {
        let output = parse_text("Press {kbdx}`Ctrl`.\n");
        assert_eq!(output.diagnostics.len(), 1);
        assert!(
            output.diagnostics[0]
                .message
                .contains("unknown role `kbdx`")
        );
    }

    #[test]
    fn labels_attach_to_the_next_heading() {
        let output = parse_text("(install-steps)=\n## Install steps\n");
        let Block::Heading(heading) = &output.document.blocks[0] else {
            panic!()
        };
        let names: Vec<&str> = heading.labels.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["install-steps"]);
        assert_eq!(heading.labels[0].location.line, 1);
        assert_eq!(heading.id, "install-steps");
    }

    #[test]
    fn repeated_headings_get_numbered_ids() {
        let output = parse_text("# Usage\n## Usage\n## Usage {#own}\n## Usage\n");
        let ids: Vec<String> = output
            .document
            .blocks
            .iter()
            .filter_map(|b| {
                if let Block::Heading(h) = b {
                    Some(h.id.clone())
                } else {
                    None
                }
            })
            .collect();
        assert_eq!(ids, ["usage", "usage-1", "own", "usage-2"]);
    }

    fn heading_ids(blocks: &[Block]) -> Vec<String> {
        let mut ids = Vec::new();
        crate::doc::visit_blocks(blocks, &mut |block| {
            if let Block::Heading(heading) = block {
                ids.push(heading.id.clone());
            }
        });
        ids
    }

    #[test]
    fn label_ids_are_kept_from_headings_with_the_same_slug() {
        let output = parse_text(
            "## Step\n\n(step-1)=\n## Install\n\n## Step\n\n(step-2)=\n\ntext\n\n## Step\n",
        );
        assert_eq!(
            heading_ids(&output.document.blocks),
            ["step", "install", "step-3", "step-4"]
        );
        assert!(output.diagnostics.is_empty());
        // A heading may still take the id of its own label.
        let output = parse_text("(step)=\n## Step\n\n## Step\n");
        assert_eq!(heading_ids(&output.document.blocks), ["step", "step-1"]);
    }

    #[test]
    fn a_repeated_explicit_heading_id_is_a_warning_and_made_unique() {
        let output = parse_text("(taken)=\n# Top\n\n## A {#dup}\n\n## B {#dup}\n\n## C {#taken}\n");
        assert_eq!(
            heading_ids(&output.document.blocks),
            ["top", "dup", "dup-1", "taken-1"]
        );
        let warnings: Vec<(u32, &str)> = output
            .diagnostics
            .iter()
            .map(|d| (d.location.unwrap().line, d.message.as_str()))
            .collect();
        assert_eq!(
            warnings,
            [
                (6, "heading id `dup` is already used on this page"),
                (8, "heading id `taken` is already used on this page"),
            ]
        );
        assert_eq!(output.diagnostics[0].code.as_deref(), Some("duplicate-id"));
    }

    #[test]
    fn admonition_body_is_markdown_with_true_lines() {
        let output = parse_text("intro\n\n```{note}\nSome *body*\n\n{kbdx}`x`\n```\n");
        let Block::Admonition(note) = &output.document.blocks[1] else {
            panic!()
        };
        assert_eq!(note.kind, "note");
        assert_eq!(note.blocks.len(), 2);
        assert_eq!(output.diagnostics[0].location.unwrap().line, 6);
    }

    #[test]
    fn unknown_directive_options_are_warnings_at_their_lines() {
        let output = parse_text(
            "```{code-block} js\n:caption: Loader\n:linenose:\n:bogus: 1\ncode\n```\n\n\
             ```{note}\n---\nclass: tip\nbogus: 2\n---\nBody\n```\n",
        );
        let found: Vec<(u32, &str, Option<&str>)> = output
            .diagnostics
            .iter()
            .map(|d| {
                (
                    d.location.unwrap().line,
                    d.message.as_str(),
                    d.hint.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    3,
                    "unknown option `:linenose:` for `code-block`",
                    Some("did you mean `:linenos:`?")
                ),
                (4, "unknown option `:bogus:` for `code-block`", found[1].2),
                (
                    11,
                    "unknown option `:bogus:` for `note`",
                    Some("`note` takes: class, name")
                ),
            ]
        );
        let Block::Code(code) = &output.document.blocks[0] else {
            panic!()
        };
        assert_eq!(code.code, "code\n");
    }

    #[test]
    fn text_after_an_admonition_name_is_its_first_body_line() {
        let output = parse_text("```{note} Some *text*\nMore text.\n\n{kbdx}`x`\n```\n");
        let Block::Admonition(note) = &output.document.blocks[0] else {
            panic!()
        };
        assert_eq!(note.title, None);
        let Block::Paragraph(first) = &note.blocks[0] else {
            panic!()
        };
        assert_eq!(plain_text(first), "Some text More text.");
        assert_eq!(output.diagnostics[0].location.unwrap().line, 4);
    }

    #[test]
    fn an_admonition_without_a_title_is_a_warning() {
        let output = parse_text("text\n\n```{admonition}\nBody\n```\n");
        assert_eq!(output.diagnostics.len(), 1);
        let warning = &output.diagnostics[0];
        assert_eq!(warning.message, "`admonition` directive needs an argument");
        assert_eq!(warning.location.unwrap().line, 3);
        let output = parse_text("```{admonition} Own *title*\nBody\n```\n");
        assert!(output.diagnostics.is_empty());
        let Block::Admonition(admonition) = &output.document.blocks[0] else {
            panic!()
        };
        assert_eq!(plain_text(admonition.title.as_ref().unwrap()), "Own title");
    }

    #[test]
    fn labels_may_hold_spaces() {
        let output = parse_text("(My  Label)=\n## Install\n");
        let Block::Heading(heading) = &output.document.blocks[0] else {
            panic!("{:?}", output.document.blocks)
        };
        assert_eq!(heading.labels[0].name, "my label");
        assert_eq!(heading.labels[0].id, "my-label");
    }

    #[test]
    fn a_source_link_keeps_its_query() {
        let output = parse_text("[x](../setup.md?x=1#step-2)\n");
        let Block::Paragraph(inlines) = &output.document.blocks[0] else {
            panic!()
        };
        let Inline::Link(link) = &inlines[0] else {
            panic!()
        };
        assert!(
            matches!(&link.destination, LinkDestination::Source { path, query, fragment, .. }
            if path == "../setup.md" && query.as_deref() == Some("x=1")
                && fragment.as_deref() == Some("step-2")),
            "{:?}",
            link.destination
        );
    }

    #[test]
    fn code_block_directive_reads_options() {
        let output = parse_text(
            "```{code-block} javascript\n:caption: Loader\n:linenos:\n:emphasize-lines: 1,3-4\nA\nB\nC\nD\n```\n",
        );
        let Block::Code(code) = &output.document.blocks[0] else {
            panic!()
        };
        assert_eq!(code.language.as_deref(), Some("javascript"));
        assert_eq!(code.caption.as_deref(), Some("Loader"));
        assert!(code.line_numbers);
        assert_eq!(code.emphasized, [1, 3, 4]);
        assert_eq!(code.code, "A\nB\nC\nD\n");
    }

    #[test]
    fn missing_include_is_an_error_at_its_line() {
        let output = parse_text("text\n\n```{include} missing.md\n```\n");
        let diagnostic = &output.diagnostics[0];
        assert!(diagnostic.is_error());
        assert_eq!(diagnostic.location.unwrap().line, 3);
    }

    #[test]
    fn source_links_are_kept_for_the_resolver() {
        let output = parse_text("[a](../guide/setup.md#step-2) [b](https://x.example/a.md)\n");
        let Block::Paragraph(inlines) = &output.document.blocks[0] else {
            panic!()
        };
        let Inline::Link(link) = &inlines[0] else {
            panic!()
        };
        assert!(
            matches!(&link.destination, LinkDestination::Source { path, fragment, .. }
            if path == "../guide/setup.md" && fragment.as_deref() == Some("step-2"))
        );
        let Inline::Link(external) = &inlines[2] else {
            panic!()
        };
        assert!(matches!(external.destination, LinkDestination::Url(_)));
    }

    /// Every code block's text, nested ones included.
    fn code_texts(blocks: &[Block]) -> Vec<String> {
        let mut texts = Vec::new();
        crate::doc::visit_blocks(blocks, &mut |block| {
            if let Block::Code(code) = block {
                texts.push(code.code.clone());
            }
        });
        texts
    }

    fn assert_capped_and_kept(text: &str, kept: &str, line: u32) {
        let output = parse_text(text);
        let depth = crate::doc::nesting_depth(&output.document.blocks);
        assert!(depth <= MAX_DEPTH, "nests {depth} deep");
        let warnings: Vec<_> = output
            .diagnostics
            .iter()
            .filter(|d| d.code.as_deref() == Some("nested-too-deeply"))
            .collect();
        assert_eq!(warnings.len(), 1, "{:#?}", output.diagnostics);
        assert_eq!(warnings[0].location.unwrap().line, line);
        let mut shown = code_texts(&output.document.blocks).concat();
        crate::doc::visit_inlines(&output.document.blocks, &mut |inline| {
            if let Inline::Text(text) = inline {
                shown.push_str(text);
            }
        });
        assert!(shown.contains(kept), "`{kept}` was dropped");
    }

    #[test]
    fn quotes_past_the_depth_cap_are_kept_as_written() {
        let text = format!("intro\n\n{}deep *end*\n", "> ".repeat(5_000));
        assert_capped_and_kept(&text, "deep *end*", 3);
        let output = parse_text(&text);
        assert_eq!(
            crate::doc::nesting_depth(&output.document.blocks),
            MAX_DEPTH
        );
    }

    #[test]
    fn lists_and_emphasis_past_the_depth_cap_are_kept_as_written() {
        assert_capped_and_kept(&format!("{}item\n", "- ".repeat(5_000)), "item", 1);
        assert_capped_and_kept(&format!("{}1. x\n", "1. ".repeat(5_000)), "1. x", 1);
        let indented: String = (0..300)
            .map(|i| format!("{}- level {i}\n", "  ".repeat(i)))
            .collect();
        assert_capped_and_kept(&indented, "level 299", MAX_DEPTH as u32 + 1);
        let stars = "*".repeat(5_000);
        assert_capped_and_kept(&format!("a {stars}core{stars} b\n"), "core", 1);
        let links = format!("{}x{}\n", "[".repeat(3_000), "](u)".repeat(3_000));
        let output = parse_text(&links);
        assert!(crate::doc::nesting_depth(&output.document.blocks) <= MAX_DEPTH);
    }

    #[test]
    fn a_directive_body_counts_the_containers_around_it() {
        let prefix = "> ".repeat(MAX_DEPTH - 1);
        let text = format!(
            "{prefix}```{{note}}\n{prefix}> inner\n{prefix}```\n\n{prefix}```{{note}}\n{prefix}para\n{prefix}```\n"
        );
        assert_capped_and_kept(&text, "> inner", 2);
    }

    #[test]
    fn tight_list_items_hold_paragraphs_and_tasks() {
        let output = parse_text("- [x] done\n- [ ] todo\n");
        let Block::List(list) = &output.document.blocks[0] else {
            panic!()
        };
        assert_eq!(list.items[0].checked, Some(true));
        assert_eq!(
            list.items[1].blocks,
            [Block::Paragraph(vec![Inline::Text("todo".into())])]
        );
    }
}
