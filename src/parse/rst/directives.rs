//! Directives: carrying out `.. name::` blocks once `explicit.rs` has split them.
//!
//! Steps: look up what the directive accepts (which decides how its block is split),
//! check its options, then build its blocks: includes are parsed in place through the
//! loader, code blocks take the page's highlight language when they name none, `only`
//! keeps its content for the `html` builder, and a directive loopbook does not carry
//! out (the placement directives among them) is kept whole as [`Block::Directive`] for
//! the resolve stage.
//!
//! Known difference: an `image` or `literalinclude` path written in an included file is
//! taken relative to that file (as `include` paths are); Sphinx takes it relative to the
//! page being built.

use crate::diagnostics::Diagnostic;
use crate::doc::{
    Admonition, Block, CodeBlock, Directive, Figure, Inline, Location, TocEntry, Toctree,
};
use crate::parse::directives::{self as shared, ADMONITIONS};
use crate::parse::markdown::split_explicit_target;

use super::explicit::{Argument, DirectiveBlock, DirectiveSpec};
use super::lines::Line;
use super::{Context, Parser};

/// The tags an `only` expression is checked against: loopbook is an HTML builder.
const BUILDER_TAGS: &[&str] = &["html", "format_html", "builder_html"];

/// What each directive accepts: its argument, and its options (`None`: any option, for
/// directives kept for a later stage).
fn spec(name: &str) -> (DirectiveSpec, Option<&'static [&'static str]>) {
    let argument = match name {
        "include" | "literalinclude" | "raw" | "image" | "figure" | "admonition" | "rubric"
        | "topic" | "only" | "highlight" => Argument::Required,
        "toctree" | "meta" | "parsed-literal" => Argument::None,
        name if ADMONITIONS.contains(&name) => Argument::None,
        _ => Argument::Optional,
    };
    let options = shared::known_options(name);
    let takes_options = options.is_none_or(|known| !known.is_empty());
    let spec = DirectiveSpec {
        argument,
        options: takes_options,
    };
    (spec, options)
}

impl Parser<'_, '_> {
    /// `directive = ".. " name "::" [argument] {option} [blank content]`.
    pub(super) fn directive(
        &mut self,
        lines: &[Line<'_>],
        index: usize,
        name: String,
        first: Line<'_>,
        context: Context,
        out: &mut Vec<Block>,
    ) -> usize {
        let at = self.location(&lines[index]);
        let (spec, known_options) = spec(&name);
        let (block, end) = self.split_directive(lines, index, name, first, at, spec);
        if let Some(known) = known_options {
            self.check_options(&block, known);
        }
        let mut blocks = self.run_directive(&block, context);
        for kept in &mut blocks {
            if let Block::Directive(directive) = kept {
                directive.source = written(&lines[index..end]);
            }
        }
        out.extend(blocks);
        end
    }

    fn check_options(&mut self, block: &DirectiveBlock<'_>, known: &[&str]) {
        for (option, _) in &block.options {
            if !known.contains(&option.as_str()) {
                let diagnostic = shared::unknown_option(&block.name, option, known, block.location);
                self.report(diagnostic);
            }
        }
    }

    fn run_directive(&mut self, block: &DirectiveBlock<'_>, context: Context) -> Vec<Block> {
        let name = block.name.as_str();
        if ADMONITIONS.contains(&name) || name == "admonition" {
            return vec![self.admonition(block)];
        }
        match name {
            "include" => self.include(block, context),
            "literalinclude" => self.literal_include(block),
            "code-block" | "sourcecode" | "code" => {
                let code = self.code_text(&block.body());
                vec![Block::Code(self.code_block(block, code))]
            }
            "raw" => self.raw(block),
            "image" => vec![shared::image_block(&as_directive(block), |_| Vec::new())],
            "figure" => vec![self.figure(block)],
            "container" => {
                let mut classes: Vec<String> = block
                    .argument
                    .split_whitespace()
                    .map(str::to_string)
                    .collect();
                classes.extend(class_option(block));
                if classes.is_empty() {
                    classes.push("container".to_string());
                }
                let blocks = self.parse_blocks(&block.content, Context::NESTED);
                vec![Block::Container { classes, blocks }]
            }
            "toctree" => vec![toctree(block, self.file)],
            "list-table" => self.list_table(block).into_iter().collect(),
            "csv-table" => self.csv_table(block).into_iter().collect(),
            "meta" => {
                self.meta(block);
                Vec::new()
            }
            "contents" => vec![Block::Contents {
                title: (!block.argument.is_empty()).then(|| block.argument.clone()),
                depth: block.option("depth").and_then(|depth| depth.parse().ok()),
            }],
            "only" => self.only(block, context),
            "highlight" => {
                self.highlight_language = block.argument.trim().to_string();
                Vec::new()
            }
            "rubric" => {
                let title = self.inline_text(&block.argument, block.location);
                vec![Block::Container {
                    classes: vec!["rubric".to_string()],
                    blocks: vec![Block::Paragraph(title)],
                }]
            }
            "topic" => {
                let title = self.inline_text(&block.argument, block.location);
                let mut blocks = vec![Block::Paragraph(vec![Inline::Strong(title)])];
                blocks.extend(self.parse_blocks(&block.content, Context::NESTED));
                vec![Block::Container {
                    classes: vec!["topic".to_string()],
                    blocks,
                }]
            }
            "parsed-literal" => {
                let inlines = self.inline(&block.content);
                let code = format!("{}\n", crate::doc::plain_text(&inlines));
                vec![Block::Code(CodeBlock {
                    code,
                    location: block.location,
                    ..CodeBlock::default()
                })]
            }
            // Index entries and LaTeX column specs have nothing to show in HTML.
            "index" | "tabularcolumns" => Vec::new(),
            _ => vec![Block::Directive(as_directive(block))],
        }
    }

    fn admonition(&mut self, block: &DirectiveBlock<'_>) -> Block {
        let mut classes = Vec::new();
        let title = if block.name == "admonition" {
            let title = self.inline_text(&block.argument, block.location);
            classes.push(format!(
                "admonition-{}",
                super::make_id(&crate::doc::plain_text(&title))
            ));
            Some(title)
        } else {
            None
        };
        classes.extend(class_option(block));
        let blocks = self.parse_blocks(&block.content, Context::NESTED);
        Block::Admonition(Admonition {
            kind: block.name.clone(),
            title,
            blocks,
            classes,
        })
    }

    /// A code block from a directive: its language, else the page's highlight language.
    fn code_block(&mut self, block: &DirectiveBlock<'_>, code: String) -> CodeBlock {
        let (mut code_block, problem) = shared::code_block(&as_directive(block), code);
        if let Some(problem) = problem {
            self.report(problem);
        }
        if code_block.language.is_none() {
            code_block.language = Some(self.highlight_language.clone());
        }
        code_block
    }

    /// `include`: the file's text parsed where the directive stands.
    fn include(&mut self, block: &DirectiveBlock<'_>, context: Context) -> Vec<Block> {
        let at = block.location;
        let target = block.argument.trim();
        if target.starts_with('<') && target.ends_with('>') {
            self.warn(
                "unsupported-include",
                at,
                format!("standard include `{target}` is not supported"),
                "copy the definitions you need into a file of the book and include that",
            );
            return Vec::new();
        }
        let included = match self.loader.enter(target, self.file, at) {
            Ok(included) => included,
            Err(message) => {
                self.warn(
                    crate::parse::loader::error_code(&message),
                    at,
                    message,
                    "include paths are relative to this file, or to the source folder \
                     with a leading `/`",
                );
                return Vec::new();
            }
        };
        let selected = select_include_lines(block, &included.text);
        let result = match selected {
            Err(diagnostic) => {
                self.report(diagnostic);
                Vec::new()
            }
            Ok((text, skipped)) => {
                if block.has_option("literal") || block.has_option("code") {
                    let language = block.option("code").filter(|l| !l.is_empty());
                    let language =
                        language.map_or_else(|| self.highlight_language.clone(), str::to_string);
                    let mut code = CodeBlock {
                        language: Some(language),
                        code: self.code_text(&text),
                        location: Location::new(included.file, skipped + 1, 1),
                        ..CodeBlock::default()
                    };
                    code.line_numbers = block.has_option("number-lines");
                    match shared::first_line_number(&as_directive(block)) {
                        Ok(number) => code.first_line_number = number,
                        Err(problem) => self.report(problem),
                    }
                    vec![Block::Code(code)]
                } else {
                    self.include_chain.push(at);
                    let blocks = self.parse_text(&text, included.file, skipped, context);
                    self.include_chain.pop();
                    blocks
                }
            }
        };
        self.loader.leave();
        result
    }

    /// `literalinclude`: a file (or the selected part of it) as a code block.
    fn literal_include(&mut self, block: &DirectiveBlock<'_>) -> Vec<Block> {
        let at = block.location;
        let text = match self
            .loader
            .read_literal(block.argument.trim(), self.file, at)
        {
            Ok(text) => text,
            Err(message) => {
                self.warn(
                    crate::parse::loader::error_code(&message),
                    at,
                    message,
                    "paths are relative to this file, or to the source folder with a leading `/`",
                );
                return Vec::new();
            }
        };
        let directive = as_directive(block);
        let selected = match shared::select_lines(&directive, &text) {
            Ok((selected, _)) => selected,
            Err(diagnostic) => {
                self.report(diagnostic);
                return Vec::new();
            }
        };
        let code = self.code_text(&selected);
        vec![Block::Code(self.code_block(block, code))]
    }

    fn raw(&mut self, block: &DirectiveBlock<'_>) -> Vec<Block> {
        let formats: Vec<&str> = block.argument.split_whitespace().collect();
        if !formats.contains(&"html") {
            return Vec::new();
        }
        if let Some(file) = block.option("file") {
            return match self.loader.read_literal(file, self.file, block.location) {
                Ok(text) => vec![Block::Html(text)],
                Err(message) => {
                    self.warn(
                        crate::parse::loader::error_code(&message),
                        block.location,
                        message,
                        "check the `:file:` path",
                    );
                    Vec::new()
                }
            };
        }
        let html = block.body();
        if html.trim().is_empty() {
            return Vec::new();
        }
        vec![Block::Html(html)]
    }

    /// `figure`: an image, a caption (the first paragraph) and a legend (the rest).
    fn figure(&mut self, block: &DirectiveBlock<'_>) -> Block {
        let mut directive = as_directive(block);
        directive.name = "image".to_string();
        let Block::Image(image) = shared::image_block(&directive, |_| Vec::new()) else {
            return Block::Container {
                classes: Vec::new(),
                blocks: Vec::new(),
            };
        };
        let mut blocks = self.parse_blocks(&block.content, Context::NESTED);
        let caption = match blocks.first() {
            Some(Block::Paragraph(_)) => match blocks.remove(0) {
                Block::Paragraph(inlines) => inlines,
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        Block::Figure(Figure {
            image,
            caption,
            legend: blocks,
        })
    }

    /// `meta`: `:description:` becomes the page description; other fields are dropped.
    fn meta(&mut self, block: &DirectiveBlock<'_>) {
        for line in &block.content {
            if let Some((name, offset)) = super::blocks::field_marker(line.text)
                && name == "description"
            {
                self.description = Some(line.text[offset..].trim().to_string());
            }
        }
    }

    /// `only`: the content when the expression holds for the `html` builder.
    fn only(&mut self, block: &DirectiveBlock<'_>, context: Context) -> Vec<Block> {
        match evaluate_tags(&block.argument) {
            Some(true) => self.parse_blocks(&block.content, context),
            Some(false) => Vec::new(),
            None => {
                self.warn(
                    "rst-only-expression",
                    block.location,
                    format!("`only` expression `{}` is malformed", block.argument),
                    "use tag names with `and`, `or`, `not` and parentheses; the content is kept",
                );
                self.parse_blocks(&block.content, context)
            }
        }
    }
}

/// The shared model's form of a directive block.
pub(super) fn as_directive(block: &DirectiveBlock<'_>) -> Directive {
    Directive {
        name: block.name.clone(),
        argument: block.argument.clone(),
        options: block.options.clone(),
        body: block.body(),
        location: block.location,
        source: String::new(),
    }
}

/// Lines as written, without the blank lines that end them.
fn written(lines: &[Line<'_>]) -> String {
    let last = lines.iter().rposition(|line| !line.is_blank());
    let mut text = String::new();
    for line in &lines[..last.map_or(0, |last| last + 1)] {
        text.push_str(line.text);
        text.push('\n');
    }
    text
}

fn class_option(block: &DirectiveBlock<'_>) -> Vec<String> {
    block
        .option("class")
        .map(|classes| classes.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

/// `include`'s `:start-line:` / `:end-line:` (Python slice bounds) and the shared
/// `:start-after:` / `:end-before:` markers; returns the text and the lines skipped.
fn select_include_lines(
    block: &DirectiveBlock<'_>,
    text: &str,
) -> Result<(String, u32), Diagnostic> {
    let all: Vec<&str> = text.split_inclusive('\n').collect();
    let bound = |name: &str| -> Result<Option<i64>, Diagnostic> {
        match block.option(name) {
            None => Ok(None),
            Some(value) => value.trim().parse().map(Some).map_err(|_| {
                Diagnostic::error(
                    block.location,
                    format!("`:{name}: {value}` is not a number"),
                )
                .with_code("invalid-directive-option")
                .with_hint("give a line index, as in Python: 0 is the first line")
            }),
        }
    };
    let length = all.len() as i64;
    let clamp = |index: i64| -> usize {
        let index = if index < 0 { length + index } else { index };
        index.clamp(0, length) as usize
    };
    let start = bound("start-line")?.map_or(0, clamp);
    let end = bound("end-line")?.map_or(all.len(), clamp).max(start);
    let sliced: String = all[start..end].concat();
    let (selected, skipped) = shared::select_lines(&as_directive(block), &sliced)?;
    Ok((selected, start as u32 + skipped))
}

/// `toctree`: one entry a line, `Title <target>` or `target`.
fn toctree(block: &DirectiveBlock<'_>, file: crate::doc::FileId) -> Block {
    let entries = block
        .content
        .iter()
        .filter(|line| !line.is_blank())
        .map(|line| {
            let (title, target) = split_explicit_target(line.text.trim());
            TocEntry {
                title,
                target,
                location: Location::new(file, line.number, line.column + line.indent() as u32),
            }
        })
        .collect();
    Block::Toctree(Toctree {
        caption: block.option("caption").map(str::to_string),
        max_depth: block
            .option("maxdepth")
            .and_then(|depth| depth.trim().parse().ok()),
        hidden: block.has_option("hidden"),
        glob: block.has_option("glob"),
        numbered: block.has_option("numbered"),
        entries,
        location: block.location,
    })
}

/// Evaluates an `only` expression (`html and not latex`) against [`BUILDER_TAGS`];
/// `None` when it does not parse.
fn evaluate_tags(expression: &str) -> Option<bool> {
    let spaced = expression.replace('(', " ( ").replace(')', " ) ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let mut position = 0;
    let value = or_expression(&tokens, &mut position, 0)?;
    (position == tokens.len()).then_some(value)
}

fn or_expression(tokens: &[&str], position: &mut usize, depth: usize) -> Option<bool> {
    let mut value = and_expression(tokens, position, depth)?;
    while tokens.get(*position) == Some(&"or") {
        *position += 1;
        value |= and_expression(tokens, position, depth)?;
    }
    Some(value)
}

fn and_expression(tokens: &[&str], position: &mut usize, depth: usize) -> Option<bool> {
    let mut value = not_expression(tokens, position, depth)?;
    while tokens.get(*position) == Some(&"and") {
        *position += 1;
        value &= not_expression(tokens, position, depth)?;
    }
    Some(value)
}

fn not_expression(tokens: &[&str], position: &mut usize, depth: usize) -> Option<bool> {
    if depth > 64 {
        return None;
    }
    match *tokens.get(*position)? {
        "not" => {
            *position += 1;
            not_expression(tokens, position, depth + 1).map(|value| !value)
        }
        "(" => {
            *position += 1;
            let value = or_expression(tokens, position, depth + 1)?;
            (tokens.get(*position) == Some(&")")).then(|| {
                *position += 1;
                value
            })
        }
        "and" | "or" | ")" => None,
        tag => {
            *position += 1;
            Some(BUILDER_TAGS.contains(&tag))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_expressions_follow_the_html_builder() {
        assert_eq!(evaluate_tags("html"), Some(true));
        assert_eq!(evaluate_tags("latex"), Some(false));
        assert_eq!(evaluate_tags("not latex and (html or epub)"), Some(true));
        assert_eq!(evaluate_tags("html and"), None);
        assert_eq!(evaluate_tags("(html"), None);
    }
}
