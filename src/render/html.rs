//! The document model as HTML: the body of one page.
//!
//! One method per block kind, writing into a single string. Code is highlighted here
//! (an unknown language is a warning and renders as plain text); headings get anchor
//! links; footnotes show the marks the parser gave them (reStructuredText's), else are
//! numbered in the order they are first referenced.

use std::collections::HashMap;

use crate::diagnostics::Diagnostic;
use crate::doc::{
    Admonition, Align, Block, CodeBlock, Document, Figure, Heading, Image, Inline, Link,
    LinkDestination, List, Snippet, SnippetPart, Table, TableCell, plain_text, visit_blocks,
};

use super::escape::{html_attribute, html_text, push_html_text, url_attribute};
use super::highlight::{self, Language};

/// An entry of the on-page contents list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    pub title: String,
}

/// The rendered body of a page.
#[derive(Clone)]
pub struct RenderedBody {
    pub html: String,
    pub toc: Vec<TocEntry>,
    pub diagnostics: Vec<Diagnostic>,
    /// Whether the page shows any code block.
    pub has_code: bool,
}

/// Renders a resolved document's blocks.
pub fn render_document(document: &Document) -> RenderedBody {
    let headings = collect_headings(&document.blocks);
    let mut renderer = HtmlRenderer {
        out: String::with_capacity(4096),
        diagnostics: Vec::new(),
        footnotes: footnote_marks(document),
        headings: &headings,
        has_code: false,
    };
    // Footnote texts go to the end of the page, whatever their place in the source.
    let (footnotes, body): (Vec<&Block>, Vec<&Block>) = document
        .blocks
        .iter()
        .partition(|block| matches!(block, Block::FootnoteDefinition { .. }));
    for block in body {
        renderer.block(block);
    }
    if !footnotes.is_empty() {
        renderer
            .out
            .push_str("<section class=\"lb-footnotes\" aria-label=\"Footnotes\">\n");
        for block in footnotes {
            renderer.block(block);
        }
        renderer.out.push_str("</section>\n");
    }
    let toc = headings
        .iter()
        .filter(|entry| entry.level == 2 || entry.level == 3)
        .cloned()
        .collect::<Vec<_>>();
    let section_count = toc.iter().filter(|entry| entry.level == 2).count();
    RenderedBody {
        html: renderer.out,
        toc: if section_count >= 2 || toc.len() >= 2 {
            toc
        } else {
            Vec::new()
        },
        diagnostics: renderer.diagnostics,
        has_code: renderer.has_code,
    }
}

fn collect_headings(blocks: &[Block]) -> Vec<TocEntry> {
    let mut headings = Vec::new();
    visit_blocks(blocks, &mut |block| {
        if let Block::Heading(heading) = block {
            headings.push(TocEntry {
                level: heading.level,
                id: heading.id.clone(),
                title: plain_text(&heading.content),
            });
        }
    });
    headings
}

/// Each footnote label's mark: the one the source language gave it, else its number in
/// the order footnotes are first referenced.
fn footnote_marks(document: &Document) -> HashMap<String, String> {
    let mut marks: HashMap<String, String> = document.footnote_marks.iter().cloned().collect();
    let mut next = 0;
    crate::doc::visit_inlines(&document.blocks, &mut |inline| {
        if let Inline::FootnoteReference(label) = inline
            && !marks.contains_key(label)
        {
            next += 1;
            marks.insert(label.clone(), next.to_string());
        }
    });
    marks
}

struct HtmlRenderer<'a> {
    out: String,
    diagnostics: Vec<Diagnostic>,
    footnotes: HashMap<String, String>,
    headings: &'a [TocEntry],
    has_code: bool,
}

impl HtmlRenderer<'_> {
    fn blocks(&mut self, blocks: &[Block]) {
        for block in blocks {
            self.block(block);
        }
    }

    fn block(&mut self, block: &Block) {
        match block {
            Block::Paragraph(inlines) => {
                self.out.push_str("<p>");
                self.inlines(inlines);
                self.out.push_str("</p>\n");
            }
            Block::Heading(heading) => self.heading(heading),
            Block::Code(code) => self.code(code),
            Block::Quote(blocks) => self.wrapped("<blockquote>\n", blocks, "</blockquote>\n"),
            Block::List(list) => self.list(list),
            Block::DefinitionList(items) => {
                self.out.push_str("<dl>\n");
                for item in items {
                    self.out.push_str("<dt>");
                    self.inlines(&item.term);
                    for classifier in &item.classifiers {
                        self.out.push_str(" <span class=\"lb-classifier\">");
                        self.inlines(classifier);
                        self.out.push_str("</span>");
                    }
                    self.out.push_str("</dt>\n");
                    self.wrapped("<dd>", &item.definition, "</dd>\n");
                }
                self.out.push_str("</dl>\n");
            }
            Block::FieldList(fields) => {
                self.out.push_str("<dl class=\"lb-fields\">\n");
                for field in fields {
                    self.out.push_str("<dt>");
                    self.inlines(&field.name);
                    self.out.push_str("</dt>\n");
                    self.compact("<dd>", &field.body, "</dd>\n");
                }
                self.out.push_str("</dl>\n");
            }
            Block::Table(table) => self.table(table),
            Block::Admonition(admonition) => self.admonition(admonition),
            Block::Image(image) => {
                self.image(image);
                self.out.push('\n');
            }
            Block::Figure(figure) => self.figure(figure),
            Block::Container { classes, blocks } => self.container(classes, blocks),
            Block::Html(html) => {
                self.out.push_str(html);
                if !html.ends_with('\n') {
                    self.out.push('\n');
                }
            }
            Block::Rule => self.out.push_str("<hr>\n"),
            Block::Anchor(anchor) => {
                self.out.push_str(&format!(
                    "<span id=\"{}\"></span>\n",
                    html_attribute(&anchor.id)
                ));
            }
            Block::Snippet(snippet) => self.snippet(snippet),
            Block::Toctree(_) | Block::Directive(_) => {
                // The resolve stage replaces these; anything left has been reported there.
            }
            Block::Contents { title, depth } => self.contents(title.as_deref(), *depth),
            Block::FootnoteDefinition { label, blocks } => self.footnote(label, blocks),
            Block::LineBlock(lines) => {
                self.out.push_str("<div class=\"lb-line-block\">\n");
                for line in lines {
                    self.out.push_str("<div class=\"lb-line-block-line\">");
                    self.inlines(line);
                    self.out.push_str("</div>\n");
                }
                self.out.push_str("</div>\n");
            }
        }
    }

    fn wrapped(&mut self, open: &str, blocks: &[Block], close: &str) {
        self.out.push_str(open);
        self.blocks(blocks);
        self.out.push_str(close);
    }

    /// Like `wrapped`, but a lone paragraph is written without `<p>` (tight lists, cells).
    fn compact(&mut self, open: &str, blocks: &[Block], close: &str) {
        self.out.push_str(open);
        match blocks {
            [Block::Paragraph(inlines)] => self.inlines(inlines),
            _ => self.blocks(blocks),
        }
        self.out.push_str(close);
    }

    fn heading(&mut self, heading: &Heading) {
        let level = heading.level.clamp(1, 6);
        for label in &heading.labels {
            if label.id != heading.id && !label.id.is_empty() {
                self.out.push_str(&format!(
                    "<span id=\"{}\"></span>",
                    html_attribute(&label.id)
                ));
            }
        }
        let id = html_attribute(&heading.id);
        self.out.push_str(&format!("<h{level} id=\"{id}\""));
        if !heading.classes.is_empty() {
            self.out.push_str(&format!(
                " class=\"{}\"",
                html_attribute(&heading.classes.join(" "))
            ));
        }
        self.out.push('>');
        self.inlines(&heading.content);
        self.out.push_str(&format!(
            "<a class=\"lb-anchor\" href=\"#{id}\" aria-label=\"Link to this section\">#</a></h{level}>\n"
        ));
    }

    fn code(&mut self, code: &CodeBlock) {
        self.has_code = true;
        let language = code.language.as_deref();
        let lines = match highlight::find_language(language, &code.code) {
            Language::Known(syntax) => highlight::highlight_lines(&code.code, syntax),
            Language::Plain => highlight::plain_lines(&code.code),
            Language::Unknown => {
                let name = language.unwrap_or_default();
                self.diagnostics.push(
                    Diagnostic::warning(
                        code.location,
                        format!("no highlighter for language `{name}`; shown as plain text"),
                    )
                    .with_code("unknown-language")
                    .with_hint("use a common name such as `javascript`, `php`, `bash` or `text`"),
                );
                highlight::plain_lines(&code.code)
            }
        };

        let lang_attribute = language.map(html_attribute).unwrap_or_default();
        self.out.push_str(&format!(
            "<div class=\"lb-code\" data-lang=\"{lang_attribute}\">"
        ));
        if let Some(caption) = &code.caption {
            self.out.push_str("<div class=\"lb-code-caption\">");
            push_html_text(&mut self.out, caption);
            self.out.push_str("</div>");
        }
        let numbered = code.line_numbers || !code.emphasized.is_empty();
        let class = if code.line_numbers {
            "lb-code-block lb-linenos"
        } else {
            "lb-code-block"
        };
        self.out.push_str(&format!("<pre class=\"{class}\"><code>"));
        for (index, line) in lines.iter().enumerate() {
            if !numbered {
                self.out.push_str(line);
                continue;
            }
            let number = index as u32 + 1;
            let emphasized = code.emphasized.contains(&number);
            let number = code
                .first_line_number
                .unwrap_or(1)
                .saturating_add(index as u32);
            let class = if emphasized {
                "lb-line lb-hl-line"
            } else {
                "lb-line"
            };
            self.out
                .push_str(&format!("<span class=\"{class}\" data-line=\"{number}\">"));
            self.out.push_str(line);
            self.out.push_str("</span>");
        }
        self.out.push_str("</code></pre></div>\n");
    }

    /// A placement snippet: highlighted like any code block (so the copy button copies
    /// it), the site id wrapped in `span.lb-site-id` for the reader's site-id box.
    fn snippet(&mut self, snippet: &Snippet) {
        self.has_code = true;
        let variant = snippet.variant.as_deref().unwrap_or("");
        self.out.push_str(&format!(
            "<div class=\"lb-placement-snippet\" data-placement=\"{}\" data-variant=\"{}\">\n",
            html_attribute(&snippet.placement),
            html_attribute(variant)
        ));
        self.out.push_str(&format!(
            "<div class=\"lb-code lb-snippet\" data-lang=\"{}\"><div class=\"lb-code-caption\">",
            html_attribute(&snippet.language)
        ));
        push_html_text(&mut self.out, &snippet.caption);
        self.out
            .push_str("</div><pre class=\"lb-code-block\"><code>");
        self.out.push_str(&snippet_code_html(snippet));
        self.out.push_str("</code></pre></div>\n");
        if let Some(url) = &snippet.sample_url {
            self.out.push_str(&format!(
                "<p class=\"lb-placement-links\"><a class=\"lb-sample-link\" href=\"{}\">\
                 Run this snippet in the live sample</a></p>\n",
                url_attribute(url)
            ));
        }
        self.out.push_str("</div>\n");
    }

    fn list(&mut self, list: &List) {
        let open = match (list.start, list.style) {
            (None, _) => "<ul>\n".to_string(),
            (Some(start), style) => {
                let mut tag = String::from("<ol");
                if start != 1 {
                    tag.push_str(&format!(" start=\"{start}\""));
                }
                if let Some(style) = style.filter(|style| *style != '1') {
                    tag.push_str(&format!(" type=\"{style}\""));
                }
                tag.push_str(">\n");
                tag
            }
        };
        self.out.push_str(&open);
        let is_task_list = list.items.iter().any(|item| item.checked.is_some());
        for item in &list.items {
            if is_task_list {
                self.out.push_str("<li class=\"lb-task\">");
            } else {
                self.out.push_str("<li>");
            }
            if let Some(checked) = item.checked {
                let mark = if checked { " checked" } else { "" };
                self.out
                    .push_str(&format!("<input type=\"checkbox\" disabled{mark}> "));
            }
            self.compact("", &item.blocks, "</li>\n");
        }
        self.out.push_str(if list.start.is_some() {
            "</ol>\n"
        } else {
            "</ul>\n"
        });
    }

    fn table(&mut self, table: &Table) {
        let classes = std::iter::once("lb-table".to_string())
            .chain(table.classes.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        self.out.push_str(&format!(
            "<div class=\"{}\"><table>\n",
            html_attribute(&classes)
        ));
        if let Some(caption) = &table.caption {
            self.out.push_str("<caption>");
            self.inlines(caption);
            self.out.push_str("</caption>\n");
        }
        if !table.widths.is_empty() {
            let total: u32 = table.widths.iter().sum::<u32>().max(1);
            self.out.push_str("<colgroup>");
            for width in &table.widths {
                self.out
                    .push_str(&format!("<col style=\"width: {}%\">", width * 100 / total));
            }
            self.out.push_str("</colgroup>\n");
        }
        if !table.head.is_empty() {
            self.out.push_str("<thead>\n");
            for row in &table.head {
                self.row(&row.cells, "th", &table.aligns);
            }
            self.out.push_str("</thead>\n");
        }
        self.out.push_str("<tbody>\n");
        for row in &table.body {
            self.row(&row.cells, "td", &table.aligns);
        }
        self.out.push_str("</tbody>\n</table></div>\n");
    }

    fn row(&mut self, cells: &[TableCell], tag: &str, aligns: &[Align]) {
        self.out.push_str("<tr>");
        for (index, cell) in cells.iter().enumerate() {
            let mut open = format!("<{tag}");
            if cell.colspan > 1 {
                open.push_str(&format!(" colspan=\"{}\"", cell.colspan));
            }
            if cell.rowspan > 1 {
                open.push_str(&format!(" rowspan=\"{}\"", cell.rowspan));
            }
            match aligns.get(index).copied().unwrap_or_default() {
                Align::Left => open.push_str(" style=\"text-align: left\""),
                Align::Center => open.push_str(" style=\"text-align: center\""),
                Align::Right => open.push_str(" style=\"text-align: right\""),
                Align::None => {}
            }
            open.push('>');
            self.compact(&open, &cell.blocks, &format!("</{tag}>"));
        }
        self.out.push_str("</tr>\n");
    }

    fn admonition(&mut self, admonition: &Admonition) {
        let mut classes = format!("lb-admonition lb-{}", admonition.kind);
        for class in &admonition.classes {
            classes.push(' ');
            classes.push_str(class);
        }
        self.out.push_str(&format!(
            "<aside class=\"{}\" role=\"note\"><p class=\"lb-admonition-title\">",
            html_attribute(&classes)
        ));
        match &admonition.title {
            Some(title) => self.inlines(title),
            None => self
                .out
                .push_str(default_admonition_title(&admonition.kind)),
        }
        self.out.push_str("</p>\n");
        self.blocks(&admonition.blocks);
        self.out.push_str("</aside>\n");
    }

    fn image(&mut self, image: &Image) {
        let mut tag = format!(
            "<img src=\"{}\" alt=\"{}\"",
            image_src(&image.src),
            html_attribute(&image.alt)
        );
        if let Some(title) = &image.title {
            tag.push_str(&format!(" title=\"{}\"", html_attribute(title)));
        }
        if let Some(width) = &image.width {
            tag.push_str(&format!(" width=\"{}\"", html_attribute(width)));
        }
        if let Some(height) = &image.height {
            tag.push_str(&format!(" height=\"{}\"", html_attribute(height)));
        }
        let mut classes = image.classes.clone();
        if let Some(align) = &image.align {
            classes.push(format!("align-{align}"));
        }
        if !classes.is_empty() {
            tag.push_str(&format!(
                " class=\"{}\"",
                html_attribute(&classes.join(" "))
            ));
        }
        tag.push_str(" loading=\"lazy\">");
        match &image.target {
            Some(target) => self
                .out
                .push_str(&format!("<a href=\"{}\">{tag}</a>", url_attribute(target))),
            None => self.out.push_str(&tag),
        }
    }

    fn figure(&mut self, figure: &Figure) {
        self.out.push_str("<figure class=\"lb-figure\">");
        self.image(&figure.image);
        if !figure.caption.is_empty() || !figure.legend.is_empty() {
            self.out.push_str("<figcaption>");
            self.inlines(&figure.caption);
            self.blocks(&figure.legend);
            self.out.push_str("</figcaption>");
        }
        self.out.push_str("</figure>\n");
    }

    fn container(&mut self, classes: &[String], blocks: &[Block]) {
        if classes
            .first()
            .is_some_and(|class| class == "lb-toctree-hidden")
        {
            return;
        }
        if classes.first().is_some_and(|class| class == "lb-toctree") {
            self.out.push_str("<nav class=\"lb-toctree\">\n");
            for block in blocks {
                match block {
                    Block::Paragraph(caption) => {
                        self.out.push_str("<p class=\"lb-toctree-caption\">");
                        self.inlines(caption);
                        self.out.push_str("</p>\n");
                    }
                    other => self.block(other),
                }
            }
            self.out.push_str("</nav>\n");
            return;
        }
        let class = html_attribute(&classes.join(" "));
        self.out.push_str(&format!("<div class=\"{class}\">\n"));
        self.blocks(blocks);
        self.out.push_str("</div>\n");
    }

    fn contents(&mut self, title: Option<&str>, depth: Option<u32>) {
        let deepest = depth.map_or(6, |depth| (depth + 1).min(6) as u8);
        self.out.push_str("<nav class=\"lb-contents\">");
        self.out.push_str(&format!(
            "<p class=\"lb-contents-title\">{}</p><ul>\n",
            html_text(title.unwrap_or("Contents"))
        ));
        for entry in self
            .headings
            .iter()
            .filter(|entry| entry.level >= 2 && entry.level <= deepest)
        {
            self.out.push_str(&format!(
                "<li class=\"lb-contents-level-{}\"><a href=\"#{}\">{}</a></li>\n",
                entry.level,
                html_attribute(&entry.id),
                html_text(&entry.title)
            ));
        }
        self.out.push_str("</ul></nav>\n");
    }

    fn footnote(&mut self, label: &str, blocks: &[Block]) {
        let id = html_attribute(&footnote_id(label));
        self.out
            .push_str(&format!("<div class=\"lb-footnote\" id=\"{id}\">"));
        let marker = html_text(self.footnotes.get(label).map_or(label, String::as_str));
        self.out.push_str(&format!(
            "<span class=\"lb-footnote-label\">{marker}</span>"
        ));
        self.blocks(blocks);
        self.out.push_str("</div>\n");
    }

    fn inlines(&mut self, inlines: &[Inline]) {
        for inline in inlines {
            self.inline(inline);
        }
    }

    fn inline(&mut self, inline: &Inline) {
        match inline {
            Inline::Text(text) => push_html_text(&mut self.out, text),
            Inline::Emphasis(children) => self.inline_tag("em", children),
            Inline::Strong(children) => self.inline_tag("strong", children),
            Inline::Strikethrough(children) => self.inline_tag("del", children),
            Inline::Superscript(children) => self.inline_tag("sup", children),
            Inline::Subscript(children) => self.inline_tag("sub", children),
            Inline::Code(code) => {
                self.out.push_str("<code>");
                push_html_text(&mut self.out, code);
                self.out.push_str("</code>");
            }
            Inline::Link(link) => self.link(link),
            Inline::Image(image) => self.image(image),
            Inline::Html(html) => self.out.push_str(html),
            Inline::SoftBreak => self.out.push('\n'),
            Inline::HardBreak => self.out.push_str("<br>\n"),
            Inline::FootnoteReference(label) => {
                let mark = html_text(self.footnotes.get(label).map_or(label, String::as_str));
                self.out.push_str(&format!(
                    "<sup class=\"lb-footnote-ref\"><a href=\"#{}\">{mark}</a></sup>",
                    html_attribute(&footnote_id(label))
                ));
            }
            Inline::Reference(reference) => {
                // The resolve stage replaces references; this is only reached when a
                // document is rendered without resolving, as in the parser's tests.
                self.out.push_str("<span class=\"lb-unresolved\">");
                push_html_text(
                    &mut self.out,
                    reference.text.as_deref().unwrap_or(&reference.target),
                );
                self.out.push_str("</span>");
            }
            Inline::Substitution { name, .. } => push_html_text(&mut self.out, name),
            Inline::Anchor(id) => self
                .out
                .push_str(&format!("<span id=\"{}\"></span>", html_attribute(id))),
            Inline::UnknownRole { text, .. } => {
                self.out.push_str("<span class=\"lb-unknown-role\">");
                push_html_text(&mut self.out, text);
                self.out.push_str("</span>");
            }
        }
    }

    fn inline_tag(&mut self, tag: &str, children: &[Inline]) {
        self.out.push_str(&format!("<{tag}>"));
        self.inlines(children);
        self.out.push_str(&format!("</{tag}>"));
    }

    fn link(&mut self, link: &Link) {
        let href = match &link.destination {
            LinkDestination::Url(url) => url_attribute(url),
            LinkDestination::Fragment(fragment) => format!("#{}", html_attribute(fragment)),
            LinkDestination::Source {
                path,
                query,
                fragment,
                ..
            } => {
                let mut url = path.clone();
                if let Some(query) = query {
                    url.push('?');
                    url.push_str(query);
                }
                if let Some(fragment) = fragment {
                    url.push('#');
                    url.push_str(fragment);
                }
                url_attribute(&url)
            }
        };
        self.out.push_str(&format!("<a href=\"{href}\""));
        if let Some(title) = &link.title {
            self.out
                .push_str(&format!(" title=\"{}\"", html_attribute(title)));
        }
        if link.download {
            self.out.push_str(" download");
        }
        self.out.push('>');
        self.inlines(&link.content);
        self.out.push_str("</a>");
    }
}

/// Stands for the site id while highlighting: one character, so no token boundary can
/// fall inside it.
const SITE_ID_MARK: char = '\u{E000}';

/// The highlighted snippet with each site id in a `span.lb-site-id`. The id is
/// highlighted as a marker character and put back afterwards; if the highlighter were
/// ever to drop or add one, the snippet is shown without the spans.
fn snippet_code_html(snippet: &Snippet) -> String {
    let plain = snippet.text();
    let syntax = match highlight::find_language(Some(&snippet.language), &plain) {
        Language::Known(syntax) => Some(syntax),
        Language::Plain | Language::Unknown => None,
    };
    let highlight_text = |text: &str| -> String {
        match syntax {
            Some(syntax) => highlight::highlight_lines(text, syntax).concat(),
            None => highlight::plain_lines(text).concat(),
        }
    };

    let ids: Vec<&str> = snippet
        .parts
        .iter()
        .filter_map(|part| match part {
            SnippetPart::SiteId(id) => Some(id.as_str()),
            SnippetPart::Text(_) => None,
        })
        .collect();
    let marked: String = snippet
        .parts
        .iter()
        .map(|part| match part {
            SnippetPart::Text(text) => text.replace(SITE_ID_MARK, ""),
            SnippetPart::SiteId(_) => SITE_ID_MARK.to_string(),
        })
        .collect();
    let highlighted = highlight_text(&marked);
    if ids.is_empty() || highlighted.matches(SITE_ID_MARK).count() != ids.len() {
        return highlight_text(&plain);
    }
    let mut out = String::with_capacity(highlighted.len() + ids.len() * 40);
    for (index, piece) in highlighted.split(SITE_ID_MARK).enumerate() {
        if index > 0 {
            out.push_str("<span class=\"lb-site-id\">");
            push_html_text(&mut out, ids[index - 1]);
            out.push_str("</span>");
        }
        out.push_str(piece);
    }
    out
}

fn image_src(src: &str) -> String {
    if src
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("data:image/")
    {
        return html_attribute(src);
    }
    url_attribute(src)
}

fn footnote_id(label: &str) -> String {
    format!("fn-{}", crate::parse::markdown::slug(label))
}

pub(crate) fn default_admonition_title(kind: &str) -> &'static str {
    match kind {
        "warning" => "Warning",
        "tip" => "Tip",
        "important" => "Important",
        "hint" => "Hint",
        "caution" => "Caution",
        "danger" => "Danger",
        "attention" => "Attention",
        "error" => "Error",
        "seealso" => "See also",
        _ => "Note",
    }
}
