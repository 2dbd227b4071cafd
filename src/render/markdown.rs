//! The document model as Markdown: the copy of each page published for language-model
//! readers beside its HTML.
//!
//! The output is CommonMark with GitHub's tables, strikethrough and footnotes. The
//! model is already resolved, so variables are filled in and directives expanded; each
//! comes out as what it shows: an admonition as a quote under its title, a toctree as a
//! list of links, a figure as an image with its caption. Every link and image URL goes
//! through the caller's `rewrite`, so links can point at the other pages' Markdown
//! copies. Blocks render to strings that their container indents or quotes.

use crate::doc::{
    Admonition, Align, Block, CodeBlock, Document, Figure, Image, Inline, Link, LinkDestination,
    List, Snippet, Table, TableCell, plain_text,
};

/// Renders a resolved document as Markdown. `title` heads the page when its content
/// does not start with a level-1 heading of its own.
pub fn render_document(
    document: &Document,
    title: &str,
    rewrite: &dyn Fn(&str) -> String,
) -> String {
    let writer = MarkdownWriter { rewrite };
    let mut out = String::new();
    if !starts_with_title(&document.blocks) {
        out.push_str("# ");
        out.push_str(&escape_line_start(&escape_text(title)));
        out.push_str("\n\n");
    }
    out.push_str(&writer.blocks(&document.blocks));
    out.push('\n');
    out
}

/// Renders resolved blocks as Markdown, without a page title (for a piece of a page,
/// such as a directive's expansion inside an mdBook chapter).
pub fn render_blocks(blocks: &[Block], rewrite: &dyn Fn(&str) -> String) -> String {
    MarkdownWriter { rewrite }.blocks(blocks)
}

fn starts_with_title(blocks: &[Block]) -> bool {
    let first_heading = blocks.iter().find_map(|block| match block {
        Block::Heading(heading) => Some(heading.level),
        _ => None,
    });
    first_heading == Some(1)
}

struct MarkdownWriter<'a> {
    rewrite: &'a dyn Fn(&str) -> String,
}

impl MarkdownWriter<'_> {
    /// Blocks separated by blank lines; blocks that show nothing are left out.
    fn blocks(&self, blocks: &[Block]) -> String {
        blocks
            .iter()
            .map(|block| self.block(block))
            .filter(|text| !text.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n\n")
    }

    fn block(&self, block: &Block) -> String {
        match block {
            Block::Paragraph(inlines) => paragraph_text(&self.inlines(inlines)),
            Block::Heading(heading) => {
                let level = usize::from(heading.level.clamp(1, 6));
                let text = one_line(&self.inlines(&heading.content));
                format!("{} {text}", "#".repeat(level))
            }
            Block::Code(code) => code_block(code),
            Block::Snippet(snippet) => self.snippet(snippet),
            Block::Quote(blocks) => prefix_lines(&self.blocks(blocks), "> "),
            Block::List(list) => self.list(list),
            Block::DefinitionList(items) => {
                let entries = items.iter().map(|item| {
                    let mut term = format!("**{}**", one_line(&self.inlines(&item.term)));
                    for classifier in &item.classifiers {
                        term.push_str(&format!(" *({})*", one_line(&self.inlines(classifier))));
                    }
                    (term, self.blocks(&item.definition))
                });
                self.term_list(entries)
            }
            Block::FieldList(fields) => {
                let entries = fields.iter().map(|field| {
                    let name = format!("**{}**", one_line(&self.inlines(&field.name)));
                    (name, self.blocks(&field.body))
                });
                self.term_list(entries)
            }
            Block::Table(table) => self.table(table),
            Block::Admonition(admonition) => self.admonition(admonition),
            Block::Image(image) => self.image(image),
            Block::Figure(figure) => self.figure(figure),
            Block::Container { classes, blocks } => {
                if classes
                    .first()
                    .is_some_and(|class| class == "lb-toctree-hidden")
                {
                    return String::new();
                }
                self.blocks(blocks)
            }
            Block::Html(html) => html.trim_end().to_string(),
            Block::Rule => "---".to_string(),
            Block::FootnoteDefinition { label, blocks } => {
                let body = self.blocks(blocks);
                format!("[^{label}]: {}", indent_after_first(&body, "    "))
            }
            Block::LineBlock(lines) => lines
                .iter()
                .map(|line| paragraph_text(&one_line(&self.inlines(line))))
                .collect::<Vec<_>>()
                .join("\\\n"),
            Block::Directive(directive) => code_block(&CodeBlock {
                code: directive.body.clone(),
                ..CodeBlock::default()
            }),
            // Anchors only serve HTML links; an on-page contents list and an unexpanded
            // toctree have nothing to show in a copy read top to bottom.
            Block::Anchor(_) | Block::Contents { .. } | Block::Toctree(_) => String::new(),
        }
    }

    /// A placement's snippet: its caption, the code as it is copied, and the link to
    /// its live sample.
    fn snippet(&self, snippet: &Snippet) -> String {
        let code = code_block(&CodeBlock {
            language: Some(snippet.language.clone()),
            code: snippet.text(),
            caption: Some(snippet.caption.clone()),
            ..CodeBlock::default()
        });
        match &snippet.sample_url {
            Some(url) => format!(
                "{code}\n\n[Live sample]({})",
                link_destination(&(self.rewrite)(url))
            ),
            None => code,
        }
    }

    fn list(&self, list: &List) -> String {
        let loose = list.items.iter().any(|item| item.blocks.len() > 1);
        let items: Vec<String> = list
            .items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let marker = match list.start {
                    Some(start) => format!("{}. ", start + index as u64),
                    None => "- ".to_string(),
                };
                let task = match item.checked {
                    Some(true) => "[x] ",
                    Some(false) => "[ ] ",
                    None => "",
                };
                let body = self.blocks(&item.blocks);
                let indent = " ".repeat(marker.len());
                format!("{marker}{task}{}", indent_after_first(&body, &indent))
            })
            .collect();
        items.join(if loose { "\n\n" } else { "\n" })
    }

    /// Definition and field lists as a bullet list of bold terms with their bodies.
    fn term_list(&self, entries: impl Iterator<Item = (String, String)>) -> String {
        entries
            .map(|(term, body)| {
                if body.is_empty() {
                    return format!("- {term}");
                }
                format!("- {term}\n\n{}", prefix_lines(&body, "  "))
            })
            .collect::<Vec<_>>()
            .join("\n\n")
    }

    fn table(&self, table: &Table) -> String {
        let columns = table
            .head
            .iter()
            .chain(&table.body)
            .map(|row| row.cells.len())
            .max()
            .unwrap_or(0);
        if columns == 0 {
            return String::new();
        }
        let row_text = |cells: &[TableCell]| {
            let mut texts: Vec<String> = cells.iter().map(|cell| self.cell(cell)).collect();
            texts.resize(columns, String::new());
            format!("| {} |", texts.join(" | "))
        };

        let mut lines = Vec::new();
        if let Some(caption) = &table.caption {
            lines.push(format!("*{}*", one_line(&self.inlines(caption))));
            lines.push(String::new());
        }
        // A pipe table needs a header row; a table without one gets an empty header.
        match table.head.first() {
            Some(head) => lines.push(row_text(&head.cells)),
            None => lines.push(format!("|{}", " |".repeat(columns))),
        }
        let rule: Vec<&str> = (0..columns)
            .map(
                |index| match table.aligns.get(index).copied().unwrap_or_default() {
                    Align::Left => ":---",
                    Align::Center => ":---:",
                    Align::Right => "---:",
                    Align::None => "---",
                },
            )
            .collect();
        lines.push(format!("| {} |", rule.join(" | ")));
        for row in table.head.iter().skip(1).chain(&table.body) {
            lines.push(row_text(&row.cells));
        }
        lines.join("\n")
    }

    /// A cell's content on one line: pipe tables cannot hold blocks, so paragraphs run
    /// together and code blocks become code spans.
    fn cell(&self, cell: &TableCell) -> String {
        let parts: Vec<String> = cell
            .blocks
            .iter()
            .map(|block| match block {
                Block::Code(code) => code_span(code.code.trim_end()),
                other => one_line(&self.block(other)),
            })
            .collect();
        parts.join(" ").replace('|', "\\|")
    }

    fn admonition(&self, admonition: &Admonition) -> String {
        let title = match &admonition.title {
            Some(title) => one_line(&self.inlines(title)),
            None => crate::render::html::default_admonition_title(&admonition.kind).to_string(),
        };
        let body = self.blocks(&admonition.blocks);
        let text = if body.is_empty() {
            format!("**{title}**")
        } else {
            format!("**{title}**\n\n{body}")
        };
        prefix_lines(&text, "> ")
    }

    fn image(&self, image: &Image) -> String {
        let mut text = format!(
            "![{}]({}{})",
            escape_text(&image.alt),
            link_destination(&(self.rewrite)(&image.src)),
            link_title(image.title.as_deref())
        );
        if let Some(target) = &image.target {
            text = format!("[{text}]({})", link_destination(&(self.rewrite)(target)));
        }
        text
    }

    fn figure(&self, figure: &Figure) -> String {
        let mut parts = vec![self.image(&figure.image)];
        if !figure.caption.is_empty() {
            parts.push(format!("*{}*", one_line(&self.inlines(&figure.caption))));
        }
        let legend = self.blocks(&figure.legend);
        if !legend.is_empty() {
            parts.push(legend);
        }
        parts.join("\n\n")
    }

    fn inlines(&self, inlines: &[Inline]) -> String {
        let mut out = String::new();
        for inline in inlines {
            self.inline(inline, &mut out);
        }
        out
    }

    fn inline(&self, inline: &Inline, out: &mut String) {
        match inline {
            Inline::Text(text) => out.push_str(&escape_text(text)),
            Inline::Emphasis(children) => self.wrap("*", children, "*", out),
            Inline::Strong(children) => self.wrap("**", children, "**", out),
            Inline::Strikethrough(children) => self.wrap("~~", children, "~~", out),
            Inline::Superscript(children) => self.wrap("<sup>", children, "</sup>", out),
            Inline::Subscript(children) => self.wrap("<sub>", children, "</sub>", out),
            Inline::Code(code) => out.push_str(&code_span(code)),
            Inline::Link(link) => out.push_str(&self.link(link)),
            Inline::Image(image) => out.push_str(&self.image(image)),
            Inline::Html(html) => out.push_str(html),
            Inline::SoftBreak => out.push('\n'),
            Inline::HardBreak => out.push_str("\\\n"),
            Inline::FootnoteReference(label) => out.push_str(&format!("[^{label}]")),
            Inline::Reference(reference) => out.push_str(&escape_text(
                reference.text.as_deref().unwrap_or(&reference.target),
            )),
            Inline::Substitution { name, .. } => out.push_str(&escape_text(name)),
            Inline::UnknownRole { text, .. } => out.push_str(&escape_text(text)),
            Inline::Anchor(_) => {}
        }
    }

    fn wrap(&self, open: &str, children: &[Inline], close: &str, out: &mut String) {
        out.push_str(open);
        out.push_str(&self.inlines(children));
        out.push_str(close);
    }

    fn link(&self, link: &Link) -> String {
        let url = match &link.destination {
            LinkDestination::Url(url) => (self.rewrite)(url),
            LinkDestination::Fragment(fragment) => format!("#{fragment}"),
            LinkDestination::Source { path, fragment, .. } => {
                let url = match fragment {
                    Some(fragment) => format!("{path}#{fragment}"),
                    None => path.clone(),
                };
                (self.rewrite)(&url)
            }
        };
        let text = self.inlines(&link.content);
        let text = if plain_text(&link.content).trim().is_empty() {
            escape_text(&url)
        } else {
            text
        };
        format!(
            "[{text}]({}{})",
            link_destination(&url),
            link_title(link.title.as_deref())
        )
    }
}

fn code_block(code: &CodeBlock) -> String {
    let longest_run = longest_run_of(&code.code, '`');
    let fence = "`".repeat(longest_run.max(2) + 1);
    let language = code.language.as_deref().unwrap_or("");
    let mut body = code.code.clone();
    if !body.ends_with('\n') {
        body.push('\n');
    }
    let block = format!("{fence}{language}\n{body}{fence}");
    match &code.caption {
        Some(caption) => format!("*{}*\n\n{block}", escape_text(caption)),
        None => block,
    }
}

/// Inline code with a fence longer than any run of backticks inside it.
fn code_span(code: &str) -> String {
    let fence = "`".repeat(longest_run_of(code, '`') + 1);
    let pad = if code.starts_with('`') || code.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{code}{pad}{fence}")
}

fn longest_run_of(text: &str, wanted: char) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == wanted { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// A link destination, in angle brackets when it holds characters that would end it.
fn link_destination(url: &str) -> String {
    if url.contains([' ', '(', ')', '<', '>']) {
        return format!("<{}>", url.replace('<', "%3C").replace('>', "%3E"));
    }
    url.to_string()
}

fn link_title(title: Option<&str>) -> String {
    title.map_or_else(String::new, |title| {
        format!(" \"{}\"", title.replace('\\', "\\\\").replace('"', "\\\""))
    })
}

/// Backslash-escapes what Markdown would read as markup inside text: emphasis, code,
/// links, raw HTML. `_` is left alone inside words (`order_number`), where it is not
/// markup.
fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    let mut before: Option<char> = None;
    while let Some(c) = chars.next() {
        let escape = match c {
            '\\' | '`' | '*' | '[' | ']' | '<' => true,
            '_' => {
                let inside_word = before.is_some_and(char::is_alphanumeric)
                    && chars.peek().is_some_and(|after| after.is_alphanumeric());
                !inside_word
            }
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
        before = Some(c);
    }
    out
}

/// Rendered inline text as a paragraph: each line escaped where its start would read
/// as a heading, quote, list item or rule.
fn paragraph_text(text: &str) -> String {
    text.split('\n')
        .map(escape_line_start)
        .collect::<Vec<_>>()
        .join("\n")
}

fn escape_line_start(line: &str) -> String {
    let trimmed = line.trim_start();
    let indent = &line[..line.len() - trimmed.len()];
    let mut chars = trimmed.chars();
    let first = chars.next();
    let second = chars.next();
    let block_marker = match first {
        Some('#' | '>' | '=' | '|') => true,
        Some('-' | '+') => matches!(second, None | Some(' ')) || trimmed.starts_with("--"),
        _ => false,
    };
    if block_marker {
        return format!("{indent}\\{trimmed}");
    }
    // `1. ` and `1) ` start an ordered list: escape the punctuation.
    let digits = trimmed.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && digits <= 9 {
        let rest = &trimmed[digits..];
        if (rest.starts_with(". ") || rest.starts_with(") ") || rest == "." || rest == ")")
            && let Some(mark) = rest.chars().next()
        {
            return format!("{indent}{}\\{mark}{}", &trimmed[..digits], &rest[1..]);
        }
    }
    line.to_string()
}

/// Joins the lines of rendered inline text into one (for headings and table cells).
fn one_line(text: &str) -> String {
    text.replace("\\\n", " ").replace('\n', " ")
}

fn prefix_lines(text: &str, prefix: &str) -> String {
    text.split('\n')
        .map(|line| {
            if line.is_empty() {
                prefix.trim_end().to_string()
            } else {
                format!("{prefix}{line}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Indents every line but the first, so a block continues under a list marker.
fn indent_after_first(text: &str, indent: &str) -> String {
    let mut lines = text.split('\n');
    let mut out = lines.next().unwrap_or("").to_string();
    for line in lines {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(indent);
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{Heading, ListItem, Location, TableRow};

    fn text(value: &str) -> Inline {
        Inline::Text(value.to_string())
    }

    fn paragraph(inlines: Vec<Inline>) -> Block {
        Block::Paragraph(inlines)
    }

    fn render(blocks: Vec<Block>) -> String {
        let document = Document {
            blocks,
            ..Document::default()
        };
        render_document(&document, "Title", &|url| url.replace(".html", ".md"))
    }

    #[test]
    fn title_is_added_when_the_page_has_no_heading_of_its_own() {
        assert_eq!(
            render(vec![paragraph(vec![text("Body")])]),
            "# Title\n\nBody\n"
        );
        let heading = Block::Heading(Heading {
            level: 1,
            content: vec![text("Own")],
            id: "own".into(),
            labels: Vec::new(),
            classes: Vec::new(),
            location: Location::default(),
        });
        assert_eq!(render(vec![heading]), "# Own\n");
    }

    #[test]
    fn markup_characters_in_text_are_escaped_but_snake_case_is_not() {
        let out = render(vec![paragraph(vec![text(
            "Use *stars*, [brackets], <tags> and order_number or _this_.",
        )])]);
        assert!(
            out.contains(r"Use \*stars\*, \[brackets\], \<tags> and order_number or \_this\_."),
            "{out}"
        );
    }

    #[test]
    fn lines_that_would_start_a_block_are_escaped() {
        let out = render(vec![paragraph(vec![
            text("# not a heading"),
            Inline::SoftBreak,
            text("1. not a list"),
            Inline::SoftBreak,
            text("- nor this"),
        ])]);
        assert!(
            out.contains("\\# not a heading\n1\\. not a list\n\\- nor this"),
            "{out}"
        );
    }

    #[test]
    fn code_fences_outgrow_backticks_inside() {
        let code = Block::Code(CodeBlock {
            language: Some("md".into()),
            code: "```js\nx\n```\n".into(),
            ..CodeBlock::default()
        });
        assert!(render(vec![code]).contains("````md\n```js\nx\n```\n````"));
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`x"), "`` `x ``");
    }

    #[test]
    fn links_are_rewritten_and_nested_lists_indented() {
        let link = Inline::Link(Link {
            destination: LinkDestination::Url("guide/setup.html#step".into()),
            title: None,
            content: vec![text("Setup")],
            location: None,
            download: false,
        });
        let inner = Block::List(List {
            start: Some(3),
            style: None,
            items: vec![ListItem {
                checked: None,
                blocks: vec![paragraph(vec![text("three")])],
            }],
        });
        let outer = Block::List(List {
            start: None,
            style: None,
            items: vec![ListItem {
                checked: Some(true),
                blocks: vec![paragraph(vec![link]), inner],
            }],
        });
        assert_eq!(
            render(vec![outer]),
            "# Title\n\n- [x] [Setup](guide/setup.md#step)\n\n  3. three\n"
        );
    }

    #[test]
    fn tables_become_pipe_tables_with_escaped_pipes() {
        let cell = |value: &str| TableCell::new(vec![paragraph(vec![text(value)])]);
        let table = Block::Table(Table {
            aligns: vec![Align::Left, Align::Right],
            head: vec![TableRow {
                cells: vec![cell("Name"), cell("Type")],
            }],
            body: vec![TableRow {
                cells: vec![cell("id"), cell("string | null")],
            }],
            ..Table::default()
        });
        assert!(
            render(vec![table])
                .contains("| Name | Type |\n| :--- | ---: |\n| id | string \\| null |")
        );
    }

    #[test]
    fn admonitions_are_quotes_under_their_title() {
        let note = Block::Admonition(Admonition {
            kind: "warning".into(),
            title: None,
            blocks: vec![paragraph(vec![text("Careful.")])],
            classes: Vec::new(),
        });
        assert!(render(vec![note]).contains("> **Warning**\n>\n> Careful."));
    }
}
