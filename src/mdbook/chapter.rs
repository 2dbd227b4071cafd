//! One chapter of an mdBook, rewritten in place: loopbook's Markdown extensions become
//! Markdown and HTML that mdBook renders itself, and everything else is left exactly as
//! the author wrote it.
//!
//! Steps per piece of text (a chapter, an included file, a directive's body):
//! substitute `{{ name }}` variables; walk pulldown-cmark's events with their source
//! ranges and replace, in the text, each MyST directive fence, each `(label)=` line and
//! each role. Roles cannot be resolved until every chapter's labels are known, so they
//! are left as markers (private-use characters around an index into [`Pending`]) that
//! [`replace_markers`] turns into links afterwards; label lines become markers that
//! [`Expander::expand_chapter`] replaces with anchors once it knows which heading
//! follows each.
//!
//! What each directive becomes: admonitions become mdBook 0.5's alerts
//! (`> [!NOTE]`); `include` inserts the other file's text, expanded the same way;
//! `literalinclude`, `code-block`, `code` and `sourcecode` become fenced code blocks
//! (mdBook shows neither line numbers nor emphasised lines, so those options are
//! dropped); `raw html` passes its body through; `image` and `figure` become Markdown
//! images; `placement`, `placement-fields` and `placement-payload` are expanded from
//! the book's placement definitions as loopbook expands them, then written as Markdown
//! (the snippet as a fenced block with a link to its live sample chapter, the field
//! table, the payload). `toctree` and `contents` have no meaning in mdBook (SUMMARY.md
//! is the navigation, and mdBook draws its own page contents), so they are reported and
//! dropped. Any other directive is a warning and stays visible as a code block.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use crate::diagnostics::{Diagnostic, SourceMap};
use crate::doc::{Directive, FileId, Location};
use crate::parse::directives::{self, ADMONITIONS};
use crate::parse::loader::{FileLoader, IncludeLoader};
use crate::parse::markdown::{normalize_label, slug, split_explicit_target};
use crate::parse::substitute_variables;
use crate::placements::Catalog;
use crate::render::markdown;
use crate::resolve::placements::{self as placement_directives, PlacementUse};

const ROLE_OPEN: char = '\u{E000}';
const ROLE_CLOSE: char = '\u{E001}';
const LABEL_OPEN: char = '\u{E002}';
const LABEL_CLOSE: char = '\u{E003}';

/// Directives may nest (an include inside a note inside an include); past this depth the
/// input is almost certainly runaway, so it is reported rather than followed.
const MAX_NESTING: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleKind {
    Ref,
    Doc,
}

/// A `{ref}` or `{doc}` role waiting for the whole book's labels.
#[derive(Debug, Clone)]
pub struct Pending {
    pub kind: RoleKind,
    /// The normalised label, or the chapter path as written.
    pub target: String,
    /// The target as the author wrote it, for messages and fallback text.
    pub written: String,
    pub text: Option<String>,
    pub location: Location,
    pub include_chain: Vec<Location>,
}

/// Where a label points: a chapter's source path and an anchor in it.
#[derive(Debug, Clone)]
pub struct LabelTarget {
    pub chapter: String,
    pub anchor: String,
    /// The heading that follows the label, if one does.
    pub title: Option<String>,
    location: Location,
}

/// A `(name)=` line seen while expanding, before its heading is known.
struct LabelLine {
    name: String,
    location: Location,
}

/// Expands chapters one after another, keeping what the role pass needs.
pub struct Expander<'a> {
    book_root: &'a Path,
    source_dir: &'a Path,
    variables: &'a BTreeMap<String, String>,
    sources: &'a SourceMap,
    /// The book's placement definitions, when it has any.
    catalog: Option<&'a Catalog>,
    labels: HashMap<String, LabelTarget>,
    label_lines: Vec<LabelLine>,
    pending: Vec<Pending>,
    diagnostics: Vec<Diagnostic>,
}

/// What one piece of text is and where it came from.
struct Fragment<'t> {
    text: &'t str,
    file: FileId,
    /// Lines of the file before the fragment's first line.
    line_offset: u32,
}

/// The per-chapter state threaded through nested expansion.
struct Walk<'l> {
    loader: FileLoader<'l>,
    /// Where mdBook writes the chapter (`guide/setup.html`), for relative links.
    output: String,
    include_chain: Vec<Location>,
    depth: usize,
}

impl<'a> Expander<'a> {
    pub fn new(
        book_root: &'a Path,
        source_dir: &'a Path,
        variables: &'a BTreeMap<String, String>,
        sources: &'a SourceMap,
        catalog: Option<&'a Catalog>,
    ) -> Self {
        Self {
            book_root,
            source_dir,
            variables,
            sources,
            catalog,
            labels: HashMap::new(),
            label_lines: Vec::new(),
            pending: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    /// Expands one chapter (`text`, registered as `file`, read from `path`) and records
    /// its labels under `source_path`.
    pub fn expand_chapter(
        &mut self,
        text: &str,
        file: FileId,
        path: &Path,
        source_path: &str,
    ) -> String {
        let output = source_path
            .strip_suffix(".md")
            .map_or_else(|| source_path.to_string(), |stem| format!("{stem}.html"));
        let mut walk = Walk {
            loader: FileLoader::new(self.book_root, self.source_dir, self.sources, path),
            output,
            include_chain: Vec::new(),
            depth: 0,
        };
        let fragment = Fragment {
            text,
            file,
            line_offset: 0,
        };
        let expanded = self.expand(&fragment, &mut walk);
        self.place_labels(&expanded, source_path)
    }

    /// The labels of every chapter expanded so far, the roles waiting for them, and the
    /// problems found.
    pub fn finish(self) -> (HashMap<String, LabelTarget>, Vec<Pending>, Vec<Diagnostic>) {
        (self.labels, self.pending, self.diagnostics)
    }

    fn expand(&mut self, fragment: &Fragment<'_>, walk: &mut Walk<'_>) -> String {
        let text = substitute_variables(fragment.text, self.variables);
        let lines = LineStarts::new(&text);
        let location = |offset: usize| {
            let (line, column) = lines.position(&text, offset);
            Location::new(fragment.file, line + fragment.line_offset, column)
        };

        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut events = Parser::new_ext(&text, markdown_options()).into_offset_iter();
        while let Some((event, range)) = events.next() {
            let replacement = match event {
                Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info)))
                    if info.trim_start().starts_with('{') =>
                {
                    let mut body = String::new();
                    for (inner, _) in events.by_ref() {
                        match inner {
                            Event::Text(piece) => body.push_str(&piece),
                            Event::End(TagEnd::CodeBlock) => break,
                            _ => {}
                        }
                    }
                    let expanded = self.directive(info.trim(), &body, location(range.start), walk);
                    let prefix = continuation_prefix(&text, range.start);
                    Some((range.clone(), indent_continuation(&expanded, &prefix)))
                }
                Event::Start(Tag::Paragraph) => match label_name(&text[range.clone()]) {
                    Some(name) => {
                        for (inner, _) in events.by_ref() {
                            if matches!(inner, Event::End(TagEnd::Paragraph)) {
                                break;
                            }
                        }
                        Some((range.clone(), self.label_line(name, location(range.start))))
                    }
                    None => None,
                },
                Event::Code(code) => role_name(&text[..range.start]).map(|role| {
                    // The replaced text starts at the `{role}` before the code span.
                    let start = range.start - role.len() - 2;
                    let inline = self.role(role, &code, location(start), walk);
                    (start..range.end, inline)
                }),
                _ => None,
            };
            let Some((replaced, mut with)) = replacement else {
                continue;
            };
            // The replacement ends in a line break exactly when the replaced text did.
            let source_ends_line = text[replaced.clone()].ends_with('\n');
            if source_ends_line && !with.ends_with('\n') {
                with.push('\n');
            } else if !source_ends_line && with.ends_with('\n') {
                with.pop();
            }
            out.push_str(&text[copied..replaced.start]);
            out.push_str(&with);
            copied = replaced.end;
        }
        out.push_str(&text[copied..]);
        out
    }

    fn label_line(&mut self, name: String, location: Location) -> String {
        let index = self.label_lines.len();
        self.label_lines.push(LabelLine { name, location });
        format!("{LABEL_OPEN}{index}{LABEL_CLOSE}")
    }

    /// Replaces this chapter's label markers with anchors, and records each label with
    /// the title of the heading right after it.
    fn place_labels(&mut self, text: &str, source_path: &str) -> String {
        let mut waiting: Vec<usize> = Vec::new();
        let mut heading: Option<String> = None;
        for (event, range) in Parser::new_ext(text, markdown_options()).into_offset_iter() {
            match event {
                Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
                Event::Text(piece) | Event::Code(piece) => {
                    if let Some(title) = &mut heading {
                        title.push_str(&piece);
                    }
                }
                Event::End(TagEnd::Heading(_)) => {
                    let title = heading.take().map(|title| title.trim().to_string());
                    for index in waiting.drain(..) {
                        self.record_label(index, source_path, title.clone());
                    }
                }
                Event::Start(Tag::Paragraph) => {
                    let markers = label_markers(&text[range]);
                    if markers.is_empty() {
                        for index in waiting.drain(..) {
                            self.record_label(index, source_path, None);
                        }
                    }
                    waiting.extend(markers);
                }
                _ => {}
            }
        }
        for index in waiting {
            self.record_label(index, source_path, None);
        }

        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find(LABEL_OPEN) {
            out.push_str(&rest[..open]);
            let after = &rest[open + LABEL_OPEN.len_utf8()..];
            let Some(close) = after.find(LABEL_CLOSE) else {
                rest = after;
                continue;
            };
            if let Some(line) = after[..close]
                .parse::<usize>()
                .ok()
                .and_then(|index| self.label_lines.get(index))
            {
                out.push_str(&format!("<a id=\"{}\"></a>", slug(&line.name)));
            }
            rest = &after[close + LABEL_CLOSE.len_utf8()..];
        }
        out.push_str(rest);
        out
    }

    fn record_label(&mut self, index: usize, source_path: &str, title: Option<String>) {
        let Some(line) = self.label_lines.get(index) else {
            return;
        };
        let name = normalize_label(&line.name);
        let target = LabelTarget {
            chapter: source_path.to_string(),
            anchor: slug(&line.name),
            title,
            location: line.location,
        };
        if let Some(first) = self.labels.get(&name) {
            let mut diagnostic = Diagnostic::warning(
                line.location,
                format!(
                    "label `{}` is defined twice; references use the first",
                    line.name
                ),
            )
            .with_code("duplicate-label")
            .with_hint("give one of the two a different name");
            diagnostic.include_chain = vec![first.location];
            self.diagnostics.push(diagnostic);
            return;
        }
        self.labels.insert(name, target);
    }

    fn role(&mut self, role: &str, code: &str, at: Location, walk: &Walk<'_>) -> String {
        let (text, target) = split_explicit_target(code);
        let kind = match role {
            "ref" => RoleKind::Ref,
            "doc" => RoleKind::Doc,
            "code" | "literal" | "file" | "samp" | "kbd" | "command" => {
                return inline_code(code);
            }
            "emphasis" => return format!("*{}*", escape_link_text(code)),
            "strong" => return format!("**{}**", escape_link_text(code)),
            "sub" | "subscript" => return format!("<sub>{}</sub>", html_text(code)),
            "sup" | "superscript" => return format!("<sup>{}</sup>", html_text(code)),
            _ => {
                self.report(
                    Diagnostic::warning(at, format!("unknown role `{role}`"))
                        .with_code("unknown-role")
                        .with_hint("known roles: ref, doc, code, emphasis, strong, sub, sup"),
                    walk,
                );
                return escape_link_text(code);
            }
        };
        let index = self.pending.len();
        self.pending.push(Pending {
            kind,
            target: match kind {
                RoleKind::Ref => normalize_label(&target),
                RoleKind::Doc => target.clone(),
            },
            written: target,
            text,
            location: at,
            include_chain: walk.include_chain.clone(),
        });
        format!("{ROLE_OPEN}{index}{ROLE_CLOSE}")
    }

    fn directive(
        &mut self,
        info: &str,
        content: &str,
        at: Location,
        walk: &mut Walk<'_>,
    ) -> String {
        let Some((name, argument)) = info[1..].split_once('}') else {
            self.report(
                Diagnostic::error(at, "directive name is not closed with `}`")
                    .with_code("invalid-directive")
                    .with_hint("write directives as ```{name} argument"),
                walk,
            );
            return fenced_code("", content);
        };
        let (options, body, body_line) = directives::split_options(content);
        let directive = Directive {
            name: name.trim().to_string(),
            argument: argument.trim().to_string(),
            options,
            body,
            location: at,
            source: String::new(),
        };
        let body_offset = at.line + body_line;
        let name = directive.name.as_str();
        if ADMONITIONS.contains(&name) || name == "admonition" {
            return self.admonition(&directive, body_offset, walk);
        }
        match name {
            "include" => self.include(&directive, walk),
            "literalinclude" => self.literal_include(&directive, walk),
            "code-block" | "code" | "sourcecode" => {
                let (code, problem) = directives::code_block(&directive, directive.body.clone());
                if let Some(problem) = problem {
                    self.report(problem, walk);
                }
                code_with_caption(&code)
            }
            "raw" if directive.argument == "html" => format!("{}\n", directive.body.trim_end()),
            _ if placement_directives::DIRECTIVES.contains(&name) => {
                self.placement(&directive, walk)
            }
            "image" | "figure" => image(&directive),
            "toctree" | "contents" => {
                self.report(
                    Diagnostic::warning(at, format!("`{name}` has no meaning inside mdBook"))
                        .with_code("directive-not-for-mdbook")
                        .with_hint(
                            "SUMMARY.md is the navigation and mdBook draws the page contents",
                        ),
                    walk,
                );
                String::new()
            }
            _ => {
                // A chapter reads what a Markdown page reads (toctree and contents are
                // answered above), so the same names are the candidates.
                let known = directives::known_directives(false);
                let hint = directives::unknown_directive_hint(name, &known, false);
                self.report(
                    Diagnostic::warning(at, format!("unknown directive `{name}`"))
                        .with_code("unknown-directive")
                        .with_hint(hint),
                    walk,
                );
                fenced_code("", content)
            }
        }
    }

    /// An mdBook 0.5 alert; kinds mdBook lacks map to the nearest one it has.
    fn admonition(
        &mut self,
        directive: &Directive,
        body_offset: u32,
        walk: &mut Walk<'_>,
    ) -> String {
        let body = self.nested(&directive.body, directive.location.file, body_offset, walk);
        let kind = match directive.name.as_str() {
            "tip" | "hint" => "TIP",
            "important" => "IMPORTANT",
            "warning" | "attention" => "WARNING",
            "caution" | "danger" | "error" => "CAUTION",
            _ => "NOTE",
        };
        let mut out = format!("> [!{kind}]\n");
        if !directive.argument.is_empty() {
            out.push_str(&format!("> **{}**\n>\n", directive.argument));
        }
        for line in body.trim_end().lines() {
            if line.is_empty() {
                out.push_str(">\n");
            } else {
                out.push_str(&format!("> {line}\n"));
            }
        }
        out
    }

    /// A placement directive, expanded as loopbook expands it and written as Markdown.
    fn placement(&mut self, directive: &Directive, walk: &Walk<'_>) -> String {
        let Some(catalog) = self.catalog else {
            self.report(
                Diagnostic::error(
                    directive.location,
                    format!(
                        "`{}` names a placement, but the book has none",
                        directive.name
                    ),
                )
                .with_code("unknown-placement")
                .with_hint(
                    "put the definitions in `placements/` beside book.toml, or set \
                     `dir` in [preprocessor.loopbook.placements]",
                ),
                walk,
            );
            return String::new();
        };
        let mut uses = PlacementUse::default();
        let mut found = Vec::new();
        let block = placement_directives::expand(
            catalog,
            directive,
            self.sources,
            &walk.output,
            &mut uses,
            &mut found,
        );
        for diagnostic in found {
            self.report(diagnostic, walk);
        }
        let text = markdown::render_blocks(&[block], &super::samples::retarget_download);
        format!("{text}\n")
    }

    fn include(&mut self, directive: &Directive, walk: &mut Walk<'_>) -> String {
        let at = directive.location;
        let included = match walk.loader.enter(&directive.argument, at.file, at) {
            Ok(included) => included,
            Err(message) => {
                let code = crate::parse::loader::error_code(&message);
                self.report(
                    Diagnostic::error(at, message).with_code(code).with_hint(
                        "include paths are relative to this file, or to the source folder \
                         with a leading `/`",
                    ),
                    walk,
                );
                return String::new();
            }
        };
        let (text, skipped) = match directives::select_lines(directive, &included.text) {
            Ok(selected) => selected,
            Err(problem) => {
                self.report(problem, walk);
                (included.text.to_string(), 0)
            }
        };
        walk.include_chain.push(at);
        let expanded = self.nested(&text, included.file, skipped, walk);
        walk.include_chain.pop();
        walk.loader.leave();
        expanded
    }

    fn literal_include(&mut self, directive: &Directive, walk: &mut Walk<'_>) -> String {
        let at = directive.location;
        let text = match walk.loader.read_literal(&directive.argument, at.file, at) {
            Ok(text) => substitute_variables(&text, self.variables).into_owned(),
            Err(message) => {
                let code = crate::parse::loader::error_code(&message);
                self.report(Diagnostic::error(at, message).with_code(code), walk);
                return String::new();
            }
        };
        let selected = match directives::select_lines(directive, &text) {
            Ok((selected, _)) => selected,
            Err(problem) => {
                self.report(problem, walk);
                return String::new();
            }
        };
        let (mut code, problem) = directives::code_block(directive, selected);
        if let Some(problem) = problem {
            self.report(problem, walk);
        }
        if code.language.is_none() {
            code.language = directives::language_from_extension(&directive.argument);
        }
        code_with_caption(&code)
    }

    fn nested(
        &mut self,
        text: &str,
        file: FileId,
        line_offset: u32,
        walk: &mut Walk<'_>,
    ) -> String {
        if walk.depth >= MAX_NESTING {
            let at = Location::new(file, line_offset + 1, 1);
            self.report(
                Diagnostic::error(at, "directives nested too deeply")
                    .with_code("nesting-too-deep")
                    .with_hint(format!("loopbook follows at most {MAX_NESTING} levels")),
                walk,
            );
            return String::new();
        }
        walk.depth += 1;
        let fragment = Fragment {
            text,
            file,
            line_offset,
        };
        let expanded = self.expand(&fragment, walk);
        walk.depth -= 1;
        expanded
    }

    fn report(&mut self, mut diagnostic: Diagnostic, walk: &Walk<'_>) {
        diagnostic.include_chain = walk.include_chain.clone();
        self.diagnostics.push(diagnostic);
    }
}

/// Replaces role markers with what `resolve` makes of each.
pub fn replace_markers(text: &str, mut resolve: impl FnMut(usize) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find(ROLE_OPEN) {
        out.push_str(&rest[..open]);
        let after = &rest[open + ROLE_OPEN.len_utf8()..];
        let Some(close) = after.find(ROLE_CLOSE) else {
            rest = after;
            continue;
        };
        if let Ok(index) = after[..close].parse::<usize>() {
            out.push_str(&resolve(index));
        }
        rest = &after[close + ROLE_CLOSE.len_utf8()..];
    }
    out.push_str(rest);
    out
}

/// Text placed inside `[…]` of a Markdown link, with Markdown's punctuation escaped.
pub fn escape_link_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '[' | ']' | '*' | '_' | '`' | '<' | '>' | '&') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn html_text(text: &str) -> String {
    crate::render::escape::html_text(text)
}

fn inline_code(code: &str) -> String {
    let ticks = "`".repeat(longest_run(code, '`') + 1);
    let pad = if code.starts_with('`') || code.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{code}{pad}{ticks}")
}

/// A fenced code block whose fence is longer than any run of backticks inside it.
fn fenced_code(language: &str, code: &str) -> String {
    let fence = "`".repeat((longest_run(code, '`') + 1).max(3));
    let mut out = format!("{fence}{language}\n{code}");
    if !code.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&fence);
    out.push('\n');
    out
}

fn code_with_caption(code: &crate::doc::CodeBlock) -> String {
    let mut out = String::new();
    if let Some(caption) = &code.caption {
        out.push_str(&format!("**{}**\n\n", escape_link_text(caption)));
    }
    out.push_str(&fenced_code(
        code.language.as_deref().unwrap_or(""),
        &code.code,
    ));
    out
}

fn image(directive: &Directive) -> String {
    let alt = directive.option("alt").unwrap_or_default();
    let mut out = format!(
        "![{}]({})\n",
        escape_link_text(alt),
        directive.argument.replace(' ', "%20")
    );
    let caption = directive.body.trim();
    if directive.name == "figure" && !caption.is_empty() {
        out.push_str(&format!("\n*{caption}*\n"));
    }
    out
}

fn longest_run(text: &str, wanted: char) -> usize {
    let mut longest = 0;
    let mut current = 0;
    for c in text.chars() {
        if c == wanted {
            current += 1;
            longest = longest.max(current);
        } else {
            current = 0;
        }
    }
    longest
}

/// The name of a `{role}` that ends `before` (the text right before a code span).
fn role_name(before: &str) -> Option<&str> {
    let body = before.strip_suffix('}')?;
    let open = body.rfind('{')?;
    let name = &body[open + 1..];
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':'));
    valid.then_some(name)
}

/// `(name)=` alone on a paragraph's line.
fn label_name(paragraph: &str) -> Option<String> {
    let name = paragraph.trim().strip_prefix('(')?.strip_suffix(")=")?;
    (!name.is_empty() && !name.contains(char::is_whitespace)).then(|| name.to_string())
}

/// The label indexes of a paragraph that holds only label markers.
fn label_markers(paragraph: &str) -> Vec<usize> {
    let mut indexes = Vec::new();
    let mut rest = paragraph.trim();
    while let Some(after) = rest.strip_prefix(LABEL_OPEN) {
        let Some(close) = after.find(LABEL_CLOSE) else {
            return Vec::new();
        };
        let Ok(index) = after[..close].parse() else {
            return Vec::new();
        };
        indexes.push(index);
        rest = after[close + LABEL_CLOSE.len_utf8()..].trim_start();
    }
    if rest.is_empty() { indexes } else { Vec::new() }
}

/// What the lines after a block's first line need in front of them to stay inside the
/// same list items and block quotes: the first line's prefix, with list markers turned
/// into spaces.
fn continuation_prefix(text: &str, offset: usize) -> String {
    let line_start = text[..offset].rfind('\n').map_or(0, |index| index + 1);
    let prefix = &text[line_start..offset];
    let mut out = String::with_capacity(prefix.len());
    let mut chars = prefix.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '>' => out.push('>'),
            '-' | '*' | '+' => out.push(' '),
            c if c.is_ascii_digit() => {
                out.push(' ');
                while let Some(next) = chars.peek().copied() {
                    if next.is_ascii_digit() || next == '.' || next == ')' {
                        out.push(' ');
                        chars.next();
                    } else {
                        break;
                    }
                }
            }
            _ => out.push(if c == '\t' { '\t' } else { ' ' }),
        }
    }
    out
}

/// Puts `prefix` before every line of `text` but the first (which follows the prefix
/// already in place in the surrounding text).
fn indent_continuation(text: &str, prefix: &str) -> String {
    if prefix.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if index > 0 {
            out.push_str(prefix);
        }
        out.push_str(line);
    }
    out
}

fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Byte offsets of line starts, for turning offsets into line and column.
struct LineStarts(Vec<usize>);

impl LineStarts {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(index, _)| index + 1));
        Self(starts)
    }

    fn position(&self, text: &str, offset: usize) -> (u32, u32) {
        let line = self.0.partition_point(|start| *start <= offset).max(1);
        let start = self.0[line - 1];
        let column = text
            .get(start..offset)
            .map_or(1, |prefix| prefix.chars().count() + 1);
        (line as u32, column as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::OneLine;
    use std::sync::Arc;

    struct Book {
        dir: tempfile::TempDir,
        root: std::path::PathBuf,
    }

    impl Book {
        fn new(files: &[(&str, &str)]) -> Book {
            let dir = tempfile::tempdir().unwrap();
            let root = std::fs::canonicalize(dir.path()).unwrap();
            for (path, text) in files {
                let path = root.join("src").join(path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, text).unwrap();
            }
            Book { dir, root }
        }

        /// Expands `chapter.md` holding `text`; returns the text and the one-line
        /// diagnostics, with roles resolved to `<target>` placeholders.
        fn expand(&self, text: &str) -> (String, Vec<String>) {
            let _ = &self.dir;
            let variables = BTreeMap::from([("site_id".to_string(), "S-9".to_string())]);
            let sources = SourceMap::default();
            let source_dir = self.root.join("src");
            let path = source_dir.join("chapter.md");
            let file = sources.add(&path, "src/chapter.md".into(), Arc::from(text));
            let mut expander = Expander::new(&self.root, &source_dir, &variables, &sources, None);
            let expanded = expander.expand_chapter(text, file, &path, "chapter.md");
            let (_, pending, diagnostics) = expander.finish();
            let resolved =
                replace_markers(&expanded, |index| format!("<{}>", pending[index].written));
            let lines = diagnostics
                .iter()
                .map(|d| OneLine(&sources, d).to_string())
                .collect();
            (resolved, lines)
        }
    }

    #[test]
    fn a_directive_inside_a_list_item_stays_inside_it() {
        let book = Book::new(&[]);
        let (text, problems) = book
            .expand("- Step one\n\n  ```{tip}\n  Pay first.\n\n  Then ship.\n  ```\n- Step two\n");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            text,
            "- Step one\n\n  > [!TIP]\n  > Pay first.\n  >\n  > Then ship.\n- Step two\n"
        );
    }

    #[test]
    fn includes_nest_and_a_role_inside_one_reports_the_chain() {
        let book = Book::new(&[
            (
                "outer.md",
                "Outer {{ site_id }}\n\n```{include} inner.md\n```\n",
            ),
            ("inner.md", "Inner {kbdx}`x` and {ref}`somewhere`.\n"),
        ]);
        let (text, problems) = book.expand("# Top\n\n```{include} outer.md\n```\n");
        assert_eq!(text, "# Top\n\nOuter S-9\n\nInner x and <somewhere>.\n");
        assert_eq!(problems, ["src/inner.md:1:7: warning: unknown role `kbdx`"],);
    }

    #[test]
    fn an_include_cycle_is_an_error_naming_the_chain() {
        let book = Book::new(&[
            ("a.md", "```{include} b.md\n```\n"),
            ("b.md", "```{include} a.md\n```\n"),
        ]);
        let (_, problems) = book.expand("```{include} a.md\n```\n");
        assert_eq!(
            problems,
            [
                "src/b.md:1:1: error: include cycle: src/chapter.md -> src/a.md -> src/b.md -> src/a.md"
            ]
        );
    }

    #[test]
    fn code_is_left_alone_and_fences_outgrow_the_code() {
        let book = Book::new(&[("snippet.js", "var a = \"```\";\n// {{ site_id }}\n")]);
        let (text, problems) = book.expand(
            "Use `{ref}` here, and {{#include other.md}}.\n\n```js\n{ref}`not a role`\n```\n\n```{literalinclude} snippet.js\n```\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert!(
            text.starts_with(
                "Use `{ref}` here, and {{#include other.md}}.\n\n```js\n{ref}`not a role`\n```\n"
            ),
            "{text}"
        );
        assert!(
            text.ends_with("````javascript\nvar a = \"```\";\n// S-9\n````\n"),
            "{text}"
        );
    }

    #[test]
    fn an_unknown_directive_is_a_warning_and_stays_visible() {
        let book = Book::new(&[]);
        let (text, problems) = book.expand("Intro\n\n```{sparkle} x\nbody\n```\n");
        assert_eq!(
            problems,
            ["src/chapter.md:3:1: warning: unknown directive `sparkle`"]
        );
        assert!(text.contains("```\nbody\n```\n"), "{text}");
    }

    #[test]
    fn custom_admonition_titles_and_code_captions_are_kept() {
        let book = Book::new(&[]);
        let (text, _) = book.expand(
            "```{admonition} Before you start\nHave a site id.\n```\n\n```{code-block} html\n:caption: The loader\n<script></script>\n```\n",
        );
        assert!(
            text.starts_with("> [!NOTE]\n> **Before you start**\n>\n> Have a site id.\n"),
            "{text}"
        );
        assert!(
            text.contains("**The loader**\n\n```html\n<script></script>\n```\n"),
            "{text}"
        );
    }
}
