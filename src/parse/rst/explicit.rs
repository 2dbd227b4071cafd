//! Explicit markup: everything that starts with `.. ` (and the short anonymous target
//! `__ URL`).
//!
//! Steps: cut the indented block of the construct; tell footnotes (`.. [1]`), hyperlink
//! targets (`.. _name:`), substitution definitions (`.. |name| directive::`) and
//! directives (`.. name::`) apart; anything else is a comment and produces nothing. A
//! directive is split into argument, options and content here, the way docutils does,
//! and carried out in `directives.rs`.
//!
//! Footnotes and citations (`.. [name]`) are numbered or marked in `footnotes.rs`.

use crate::doc::{Anchor, Block, Image, Inline, Label, Location};

use super::lines::{self, Line};
use super::{Context, Parser, Substitution, Target, normalize_name};

/// A directive after splitting, before it is carried out.
#[derive(Debug)]
pub(super) struct DirectiveBlock<'t> {
    pub name: String,
    pub argument: String,
    pub options: Vec<(String, String)>,
    pub content: Vec<Line<'t>>,
    pub location: Location,
}

impl DirectiveBlock<'_> {
    pub(super) fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub(super) fn has_option(&self, name: &str) -> bool {
        self.options.iter().any(|(key, _)| key == name)
    }

    /// The content as written, dedented, lines joined.
    pub(super) fn body(&self) -> String {
        lines::join(&self.content)
    }
}

/// What a directive accepts, which decides how its block is split.
#[derive(Debug, Clone, Copy)]
pub(super) struct DirectiveSpec {
    pub argument: Argument,
    pub options: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Argument {
    None,
    Optional,
    Required,
}

impl Parser<'_, '_> {
    /// `explicit_markup = footnote | citation | hyperlink_target | substitution_definition
    /// | directive | comment`.
    pub(super) fn explicit_markup(
        &mut self,
        lines: &[Line<'_>],
        index: usize,
        context: Context,
        out: &mut Vec<Block>,
    ) -> usize {
        let line = lines[index];
        let rest = line.text.get(3..).unwrap_or("");
        let first = line.skip(3.min(line.text.len()));
        if rest.starts_with('[') {
            return self.footnote(lines, index, first, out);
        }
        if rest.starts_with('_') {
            return self.hyperlink_target(lines, index, first, out);
        }
        // A label points at the element right after it, reached through other labels
        // only: anything else in between, even what renders to nothing, keeps it where
        // it stands (as docutils' target propagation does).
        detach_trailing_anchor(out);
        if rest.starts_with('|') {
            return self.substitution_definition(lines, index, first);
        }
        if let Some((name, after)) = directive_marker(rest) {
            let first = first.skip(after);
            return self.directive(lines, index, name, first, context, out);
        }
        self.comment(lines, index, first)
    }

    /// `comment`: the explicit-markup block, ignored. A lone `..` followed by a blank
    /// line is an empty comment: the indented block after it is a block quote.
    fn comment(&mut self, lines: &[Line<'_>], index: usize, first: Line<'_>) -> usize {
        if first.is_blank() && lines.get(index + 1).is_none_or(Line::is_blank) {
            return index + 1;
        }
        lines::indented_block(lines, index, Some(first), None).end
    }

    /// `footnote | citation`: `.. [label] text`.
    fn footnote(
        &mut self,
        lines: &[Line<'_>],
        index: usize,
        first: Line<'_>,
        out: &mut Vec<Block>,
    ) -> usize {
        let Some(close) = first.text.find(']') else {
            return self.comment(lines, index, first);
        };
        let label = first.text[1..close].to_string();
        let body_start = close
            + 1
            + (first.text[close + 1..].len() - first.text[close + 1..].trim_start().len());
        let block = lines::indented_block(lines, index, Some(first.skip(body_start)), None);
        let blocks = self.parse_blocks(&block.lines, Context::NESTED);
        let label = self.footnotes.define(label);
        out.push(Block::FootnoteDefinition { label, blocks });
        block.end
    }

    /// `hyperlink_target`: `.. _name: URL`, `.. _name: other_`, `.. _name:` (a label for
    /// what follows) or `.. __: URL` (anonymous).
    fn hyperlink_target(
        &mut self,
        lines: &[Line<'_>],
        index: usize,
        first: Line<'_>,
        out: &mut Vec<Block>,
    ) -> usize {
        let block = lines::indented_block(lines, index, Some(first), None);
        let at = self.location(&lines[index]);
        let text = lines::join(&block.lines);
        let Some((name, link)) = split_target(&text[1..]) else {
            let message = "hyperlink target is malformed";
            self.warn(
                "rst-malformed-target",
                at,
                message,
                "write it as `.. _name:` or `.. _name: URL`",
            );
            return block.end;
        };
        let link: String = link.split_whitespace().collect();
        if name == "_" {
            let target = self.target_value(&link);
            self.anonymous_targets.push(target);
            self.ids.automatic();
            return block.end;
        }
        if link.is_empty() {
            let id = self.ids.for_name(&name);
            self.add_target(&name, Target::Internal(id.clone()));
            let label = Label {
                name: normalize_name(&name),
                id: id.clone(),
                location: at,
            };
            out.push(Block::Anchor(Anchor {
                id,
                labels: vec![label],
                location: at,
                detached: false,
            }));
            return block.end;
        }
        self.ids.for_name(&name);
        let target = self.target_value(&link);
        self.add_target(&name, target);
        block.end
    }

    /// A target's link: another target's name (`name_`, `` `a name`_ ``) or a URL.
    fn target_value(&self, link: &str) -> Target {
        if let Some(name) = link.strip_suffix('_')
            && !name.ends_with('\\')
        {
            if let Some(quoted) = name.strip_prefix('`').and_then(|n| n.strip_suffix('`')) {
                return Target::Alias(quoted.to_string());
            }
            if super::inline::is_simple_name(name) {
                return Target::Alias(name.to_string());
            }
        }
        Target::Url(unescape(link))
    }

    /// `anonymous_target`: `__ URL`.
    pub(super) fn anonymous_target(&mut self, lines: &[Line<'_>], index: usize) -> usize {
        let line = lines[index];
        let first = line.skip(2.min(line.text.len()));
        let block = lines::indented_block(lines, index, Some(first), None);
        let link: String = lines::join(&block.lines).split_whitespace().collect();
        let target = self.target_value(&link);
        self.anonymous_targets.push(target);
        self.ids.automatic();
        block.end
    }

    /// `substitution_definition`: `.. |name| raw:: html`, `replace::` or `image::`.
    fn substitution_definition(
        &mut self,
        lines: &[Line<'_>],
        index: usize,
        first: Line<'_>,
    ) -> usize {
        let at = self.location(&lines[index]);
        let after_bar = &first.text[1..];
        let Some(close) = after_bar
            .find("| ")
            .or_else(|| after_bar.strip_suffix('|').map(|t| t.len()))
        else {
            self.warn(
                "rst-malformed-substitution",
                at,
                "substitution definition is malformed",
                "write it as `.. |name| replace:: text`",
            );
            return self.comment(lines, index, first);
        };
        let name = after_bar[..close].to_string();
        let rest_offset = 1 + close + 1;
        let rest = first.skip(rest_offset);
        let rest = rest.skip(rest.indent());
        let Some((directive, after)) = directive_marker(rest.text) else {
            self.warn(
                "rst-malformed-substitution",
                at,
                format!("substitution `|{name}|` has no directive"),
                "write `.. |name| replace:: text`, `raw:: html` or `image:: path`",
            );
            return self.comment(lines, index, first);
        };
        let spec = match directive.as_str() {
            "replace" => DirectiveSpec {
                argument: Argument::None,
                options: false,
            },
            _ => DirectiveSpec {
                argument: Argument::Required,
                options: true,
            },
        };
        let (block, end) =
            self.split_directive(lines, index, directive, rest.skip(after), at, spec);
        let content = match block.name.as_str() {
            "replace" => Some(self.inline(&block.content)),
            "raw" => {
                let formats: Vec<&str> = block.argument.split_whitespace().collect();
                let html = if formats.contains(&"html") {
                    block.body()
                } else {
                    String::new()
                };
                Some(vec![Inline::Html(html)])
            }
            "image" => {
                let image = self.substitution_image(&block);
                Some(vec![Inline::Image(image)])
            }
            "unicode" => Some(vec![Inline::Text(unicode_text(&block.argument))]),
            other => {
                self.warn(
                    "rst-unsupported-substitution",
                    at,
                    format!(
                        "substitution `|{name}|` uses `{other}::`, which loopbook does not \
                         support here"
                    ),
                    "substitution definitions may use replace, raw, image and unicode",
                );
                // Reported once here; the references show the name.
                Some(vec![Inline::Text(name.clone())])
            }
        };
        if let Some(content) = content {
            self.define_substitution(&name, content, at);
        }
        end
    }

    fn define_substitution(&mut self, name: &str, content: Vec<Inline>, at: Location) {
        if self.substitutions.contains_key(name) {
            self.warn(
                "duplicate-substitution",
                at,
                format!("substitution `|{name}|` is defined twice"),
                "the later definition is used; remove one of them",
            );
        }
        self.substitutions
            .insert(name.to_string(), Substitution { content, at });
        self.substitution_names
            .insert(normalize_name(name), name.to_string());
    }

    fn substitution_image(&mut self, block: &DirectiveBlock<'_>) -> Image {
        let mut image = Image {
            src: block.argument.split_whitespace().collect(),
            alt: block.option("alt").unwrap_or_default().to_string(),
            width: block.option("width").map(str::to_string),
            height: block.option("height").map(str::to_string),
            align: block.option("align").map(str::to_string),
            target: block.option("target").map(str::to_string),
            location: block.location,
            ..Image::default()
        };
        if image.alt.is_empty() {
            image.alt = image.src.clone();
        }
        image
    }

    /// Splits a directive's block into argument, options and content, as docutils
    /// does: the argument and options run to the first blank line, the content follows.
    /// Options indented deeper than the directive's content are still read as options.
    pub(super) fn split_directive<'t>(
        &mut self,
        lines: &[Line<'t>],
        index: usize,
        name: String,
        first: Line<'t>,
        location: Location,
        spec: DirectiveSpec,
    ) -> (DirectiveBlock<'t>, usize) {
        let block = lines::indented_block(lines, index, Some(first), None);
        let end = block.end;
        let mut all: Vec<Line<'t>> = block.lines;
        if all.first().is_some_and(Line::is_blank) {
            all.remove(0);
        }

        // The head (argument and option lines) runs to the first blank line, when the
        // directive takes either; the content follows it.
        let takes_head = spec.argument != Argument::None || spec.options;
        let head_len = if takes_head {
            all.iter().position(Line::is_blank).unwrap_or(all.len())
        } else {
            0
        };
        let (head, rest) = all.split_at(head_len);
        let option_start = if spec.options {
            head.iter()
                .position(|line| option_line(line.text.trim_start()).is_some())
                .unwrap_or(head.len())
        } else {
            head.len()
        };
        let (argument_lines, option_lines) = head.split_at(option_start);
        let options = parse_options(option_lines);
        let (argument, content) = if spec.argument == Argument::None {
            // Without an argument, text on the directive's line starts the content.
            (String::new(), [argument_lines, rest].concat())
        } else {
            let argument = argument_lines
                .iter()
                .map(|line| line.text.trim())
                .collect::<Vec<_>>()
                .join(" ");
            (argument, rest.to_vec())
        };
        let content = lines::trim_leading_blanks(&content).to_vec();

        if spec.argument == Argument::Required && argument.is_empty() {
            self.warn(
                "directive-argument-missing",
                location,
                format!("`{name}` directive needs an argument"),
                format!("write it as `.. {name}:: argument`"),
            );
        }
        let block = DirectiveBlock {
            name,
            argument,
            options,
            content,
            location,
        };
        (block, end)
    }
}

/// `name::` at the start of `text`: the directive name and the byte offset after `::`.
pub(super) fn directive_marker(text: &str) -> Option<(String, usize)> {
    let end = text.find("::")?;
    let name = &text[..end];
    let valid = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | ':' | '.'));
    let after = &text[end + 2..];
    if !valid || !(after.is_empty() || after.starts_with(' ')) {
        return None;
    }
    let skip = after.len() - after.trim_start().len();
    Some((name.to_ascii_lowercase(), end + 2 + skip))
}

/// `:name: value` (or `:name:`): the option name and value.
fn option_line(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix(':')?;
    let close = rest.find(':')?;
    let name = &rest[..close];
    let after = &rest[close + 1..];
    let valid = !name.is_empty() && !name.contains(char::is_whitespace);
    (valid && (after.is_empty() || after.starts_with(' '))).then(|| (name, after.trim()))
}

/// Option lines; a line that is not an option continues the previous option's value.
fn parse_options(lines: &[Line<'_>]) -> Vec<(String, String)> {
    let mut options: Vec<(String, String)> = Vec::new();
    for line in lines {
        let text = line.text.trim();
        match option_line(text) {
            Some((name, value)) => options.push((name.to_ascii_lowercase(), value.to_string())),
            None => {
                if let Some((_, value)) = options.last_mut() {
                    if !value.is_empty() {
                        value.push(' ');
                    }
                    value.push_str(text);
                }
            }
        }
    }
    options
}

/// Splits `name: link` (after the leading `_` of a target) at the first colon that is
/// not escaped and is followed by a space or the end; a name may be in backquotes.
fn split_target(text: &str) -> Option<(String, &str)> {
    if let Some(quoted) = text.strip_prefix('`') {
        let close = quoted.find("`:")?;
        let name = &quoted[..close];
        return Some((unescape(name), quoted[close + 2..].trim()));
    }
    let mut escaped = false;
    for (offset, c) in text.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            ':' => {
                let after = &text[offset + 1..];
                if after.is_empty() || after.starts_with([' ', '\n']) {
                    let name = unescape(&text[..offset]);
                    if name.trim().is_empty() {
                        return None;
                    }
                    return Some((name, after.trim()));
                }
            }
            _ => {}
        }
    }
    None
}

/// Backslash escapes removed.
pub(super) fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(' ' | '\n') | None => {}
                Some(next) => out.push(next),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The `unicode` directive's text: code points (`U+2014`, `0x2014`, `&#x2014;`) and
/// plain words.
fn unicode_text(argument: &str) -> String {
    let argument = argument.split(" .. ").next().unwrap_or_default();
    let mut out = String::new();
    for word in argument.split_whitespace() {
        let lower = word.to_ascii_lowercase();
        let hex = lower
            .strip_prefix("u+")
            .or_else(|| lower.strip_prefix("0x"))
            .or_else(|| lower.strip_prefix("\\x"))
            .or_else(|| lower.strip_prefix("\\u"))
            .or_else(|| lower.strip_prefix("&#x").and_then(|h| h.strip_suffix(';')));
        let decoded = match hex {
            Some(hex) => u32::from_str_radix(hex, 16).ok().and_then(char::from_u32),
            None if word.chars().all(|c| c.is_ascii_digit()) => {
                word.parse().ok().and_then(char::from_u32)
            }
            None => None,
        };
        match decoded {
            Some(c) => out.push(c),
            None => out.push_str(word),
        }
    }
    out
}

fn detach_trailing_anchor(out: &mut [Block]) {
    if let Some(Block::Anchor(anchor)) = out.last_mut() {
        anchor.detached = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directive_markers_need_a_name_and_two_colons() {
        assert_eq!(directive_marker("note:: x"), Some(("note".into(), 7)));
        assert_eq!(
            directive_marker("code-block::"),
            Some(("code-block".into(), 12))
        );
        assert_eq!(directive_marker("not a directive:: x"), None);
        assert_eq!(directive_marker("x::y"), None);
    }

    #[test]
    fn targets_split_at_the_unescaped_colon() {
        assert_eq!(
            split_target("name: http://x"),
            Some(("name".into(), "http://x"))
        );
        assert_eq!(split_target("a\\: b: url"), Some(("a: b".into(), "url")));
        assert_eq!(split_target("`a: b`: url"), Some(("a: b".into(), "url")));
        assert_eq!(split_target("label:"), Some(("label".into(), "")));
        assert_eq!(split_target("nothing"), None);
    }

    #[test]
    fn unicode_codes_decode() {
        assert_eq!(unicode_text("U+2014 and 0x41"), "\u{2014}andA");
    }
}
