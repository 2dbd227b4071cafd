//! The block grammar: one method per rule of the grammar in the module header.
//!
//! Every rule gets the lines of the block sequence it is in and the index of the line
//! it starts at, appends what it made to `out`, and returns the index of the first line
//! it did not use. Nested constructs (list items, quotes, directive content) are cut
//! out with [`lines::indented_block`] and parsed by [`Parser::parse_blocks`] again.
//!
//! Not read (yet): option lists (`-a  text` stays a paragraph), doctest blocks, and
//! block-quote attributions (`-- Name` stays the quote's last paragraph).

use crate::doc::{
    Block, CodeBlock, DefinitionItem, Field, Heading, Inline, List, ListItem, Location, MAX_DEPTH,
};

use super::lines::{self, Line};
use super::{Context, Parser, TitleStyle};

const BULLETS: &[char] = &['*', '+', '-', '•', '‣', '⁃'];

/// The 7-bit punctuation characters that can make section adornments and transitions.
fn is_adornment_char(c: char) -> bool {
    c.is_ascii_punctuation()
}

/// A line made of one punctuation character repeated (an adornment or a transition).
pub(super) fn adornment(text: &str) -> Option<char> {
    let mut chars = text.chars();
    let first = chars.next()?;
    if !is_adornment_char(first) || !chars.all(|c| c == first) {
        return None;
    }
    Some(first)
}

impl Parser<'_, '_> {
    /// `blocks = { blank | block }`.
    ///
    /// Each nested sequence (a quote's, a list item's, a directive's, an included
    /// file's) is parsed one level deeper; at [`MAX_DEPTH`] its lines are shown as
    /// written instead, so the model, and every walk over it, stays that shallow.
    pub(super) fn parse_blocks(&mut self, lines: &[Line<'_>], context: Context) -> Vec<Block> {
        let mut out = Vec::new();
        if self.depth >= MAX_DEPTH {
            out.extend(self.too_deep(lines));
            return out;
        }
        self.depth += 1;
        let mut index = 0;
        while index < lines.len() {
            if lines[index].is_blank() {
                index += 1;
                continue;
            }
            lines::add_work(1);
            let next = self.block(lines, index, context, &mut out);
            // Every rule consumes at least its first line; this keeps a slip from looping.
            index = next.max(index + 1);
        }
        self.depth -= 1;
        out
    }

    /// The lines of a sequence nested past [`MAX_DEPTH`], as one literal block.
    fn too_deep(&mut self, lines: &[Line<'_>]) -> Option<Block> {
        let lines = lines::trim_leading_blanks(lines);
        let first = lines.first()?;
        let location = self.location(first);
        self.warn(
            "nested-too-deeply",
            location,
            "nested too deeply: shown as written",
            format!(
                "loopbook nests quotes, lists, directives and includes at most {MAX_DEPTH} \
                 levels deep; flatten this part of the page"
            ),
        );
        let mut code = String::new();
        for line in lines {
            lines::add_work(1);
            code.push_str(line.text);
            code.push('\n');
        }
        Some(Block::Code(CodeBlock {
            code,
            location,
            ..CodeBlock::default()
        }))
    }

    fn block(
        &mut self,
        lines: &[Line<'_>],
        index: usize,
        context: Context,
        out: &mut Vec<Block>,
    ) -> usize {
        let line = lines[index];
        let text = line.text;
        if line.indent() > 0 {
            return self.block_quote(lines, index, out);
        }
        if let Some(bullet) = bullet_marker(text) {
            return self.bullet_list(lines, index, bullet, out);
        }
        if let Some(marker) = enumerator(text, None)
            && is_enumerated_item(lines, index, &marker)
        {
            return self.enumerated_list(lines, index, marker, out);
        }
        if field_marker(text).is_some() {
            return self.field_list(lines, index, out);
        }
        if text == "|" || text.starts_with("| ") {
            return self.line_block(lines, index, out);
        }
        if super::tables::is_grid_table_top(text) {
            return self.grid_table(lines, index, out);
        }
        if super::tables::is_simple_table_top(text) {
            return self.simple_table(lines, index, out);
        }
        if text == ".." || text.starts_with(".. ") {
            return self.explicit_markup(lines, index, context, out);
        }
        if text == "__" || text.starts_with("__ ") {
            return self.anonymous_target(lines, index);
        }
        if let Some(character) = adornment(text) {
            if let Some(next) = self.overlined_title(lines, index, character, context, out) {
                return next;
            }
            if text.chars().count() >= 4 && lines.get(index + 1).is_none_or(Line::is_blank) {
                out.push(Block::Rule);
                return index + 1;
            }
        }
        self.text_block(lines, index, context, out)
    }

    /// `overlined_title`: an adornment line, a title, the same adornment again.
    fn overlined_title(
        &mut self,
        lines: &[Line<'_>],
        index: usize,
        character: char,
        context: Context,
        out: &mut Vec<Block>,
    ) -> Option<usize> {
        let title = lines.get(index + 1).filter(|line| !line.is_blank())?;
        let under = lines.get(index + 2)?;
        if adornment(under.text) != Some(character) {
            return None;
        }
        let over = lines[index];
        if under.text.len() != over.text.len() {
            let at = self.location(&over);
            self.warn(
                "rst-title-adornment",
                at,
                "title overline and underline differ in length",
                "make both adornment lines the same length",
            );
        }
        let style = TitleStyle {
            character,
            overline: true,
        };
        let title_line = title.dedent(title.indent());
        self.section(title_line, style, over, context, out);
        Some(index + 3)
    }

    /// `text_block = underlined_title | definition_list | paragraph [literal_block]`.
    fn text_block(
        &mut self,
        lines: &[Line<'_>],
        index: usize,
        context: Context,
        out: &mut Vec<Block>,
    ) -> usize {
        let line = lines[index];
        if adornment(line.text).is_some()
            && let Some(next) = lines.get(index + 1)
            && adornment(next.text).is_some()
        {
            let at = self.location(&line);
            self.report(
                crate::diagnostics::Diagnostic::error(
                    at,
                    "invalid section title or transition marker",
                )
                .with_code("rst-invalid-title")
                .with_hint(
                    "a title needs text between its adornments; a transition needs blank \
                     lines around it",
                ),
            );
            return self.paragraph(lines, index, out);
        }
        if let Some(next) = lines.get(index + 1)
            && next.indent() == 0
            && let Some(character) = adornment(next.text)
        {
            let title_width = line.text.trim().chars().count();
            let underline_width = next.text.chars().count();
            if underline_width >= title_width || underline_width >= 4 {
                if underline_width < title_width {
                    let at = self.location(next);
                    self.warn(
                        "rst-title-adornment",
                        at,
                        "title underline is shorter than the title",
                        "make the underline at least as long as the title text",
                    );
                }
                let style = TitleStyle {
                    character,
                    overline: false,
                };
                self.section(line, style, *next, context, out);
                return index + 2;
            }
        }
        if let Some(next) = lines.get(index + 1)
            && !next.is_blank()
            && next.indent() > 0
        {
            return self.definition_list(lines, index, out);
        }
        self.paragraph(lines, index, out)
    }

    /// A section title: its level comes from the page's adornment styles.
    fn section(
        &mut self,
        title: Line<'_>,
        style: TitleStyle,
        adornment_line: Line<'_>,
        context: Context,
        out: &mut Vec<Block>,
    ) {
        let at = self.location(&title);
        if !context.sections {
            self.warn(
                "rst-nested-title",
                at,
                "section title inside a nested block",
                "section titles may only stand at the top level of a page, not inside \
                 lists, quotes or directives",
            );
            let content = self.inline(&[title]);
            out.push(Block::Paragraph(content));
            return;
        }
        let level = match self.title_styles.iter().position(|known| *known == style) {
            Some(position) => position + 1,
            None if self.title_styles.len() == self.section_level => {
                self.title_styles.push(style);
                self.title_styles.len()
            }
            None => {
                let at = self.location(&adornment_line);
                self.report(
                    crate::diagnostics::Diagnostic::error(at, "title level inconsistent")
                        .with_code("rst-title-level")
                        .with_hint(format!(
                            "this adornment ({}{}) is new, so it must introduce a subsection \
                             of the section just above; use the adornment of an existing level",
                            if style.overline {
                                "over- and underline "
                            } else {
                                ""
                            },
                            style.character
                        )),
                );
                let content = self.inline(&[title]);
                out.push(Block::Paragraph(content));
                return;
            }
        };
        if level > self.section_level + 1 {
            let at = self.location(&adornment_line);
            self.report(
                crate::diagnostics::Diagnostic::error(at, "title level inconsistent")
                    .with_code("rst-title-level")
                    .with_hint(
                        "a section cannot skip a level; use the adornment of the next level",
                    ),
            );
            let content = self.inline(&[title]);
            out.push(Block::Paragraph(content));
            return;
        }
        self.section_level = level;

        let content = self.inline(&[title]);
        let name = super::normalize_name(&crate::doc::plain_text(&content));
        let id = self.ids.for_name(&name);
        self.implicit_targets.entry(name).or_insert(id.clone());
        out.push(Block::Heading(Heading {
            level: level.min(u8::MAX as usize) as u8,
            content,
            id,
            labels: Vec::new(),
            classes: Vec::new(),
            location: at,
        }));
    }

    /// `block_quote`: an indented block.
    fn block_quote(&mut self, lines: &[Line<'_>], index: usize, out: &mut Vec<Block>) -> usize {
        let block = lines::indented_block(lines, index, None, None);
        let blocks = self.parse_blocks(&block.lines, Context::NESTED);
        if !blocks.is_empty() {
            out.push(Block::Quote(blocks));
        }
        block.end
    }

    /// `bullet_list`: items starting with the same bullet character.
    fn bullet_list(
        &mut self,
        lines: &[Line<'_>],
        index: usize,
        bullet: char,
        out: &mut Vec<Block>,
    ) -> usize {
        let mut items = Vec::new();
        let mut next = index;
        while next < lines.len() && bullet_marker(lines[next].text) == Some(bullet) {
            let (item, end) = self.list_item(lines, next, bullet.len_utf8());
            items.push(item);
            next = skip_blanks(lines, end);
        }
        out.push(Block::List(List {
            start: None,
            style: None,
            items,
        }));
        rewind_blanks(lines, next)
    }

    /// One list item: the text after the marker and the lines indented under it.
    fn list_item(
        &mut self,
        lines: &[Line<'_>],
        index: usize,
        marker_len: usize,
    ) -> (ListItem, usize) {
        let line = lines[index];
        let after_marker = line.skip(marker_len);
        let body_offset = marker_len + after_marker.indent();
        let first = line.skip(body_offset);
        let block = lines::indented_block(lines, index, Some(first), None);
        let blocks = self.parse_blocks(&block.lines, Context::NESTED);
        (
            ListItem {
                checked: None,
                blocks,
            },
            block.end,
        )
    }

    /// `enumerated_list`: items numbered in sequence with the same format.
    fn enumerated_list(
        &mut self,
        lines: &[Line<'_>],
        index: usize,
        first: Enumerator,
        out: &mut Vec<Block>,
    ) -> usize {
        let mut items = Vec::new();
        let mut expected = first.clone();
        let mut next = index;
        loop {
            let (item, end) = self.list_item(lines, next, expected.width);
            items.push(item);
            next = skip_blanks(lines, end);
            let Some(line) = lines.get(next) else { break };
            let Some(marker) = enumerator(line.text, Some(&expected)) else {
                break;
            };
            let in_sequence = marker.format == expected.format
                && (marker.auto
                    || (marker.sequence == expected.sequence
                        && Some(marker.ordinal) == expected.ordinal.checked_add(1)));
            if !in_sequence || !is_enumerated_item(lines, next, &marker) {
                break;
            }
            expected = marker;
        }
        let start = if first.auto { 1 } else { first.ordinal };
        out.push(Block::List(List {
            start: Some(start),
            style: Some(first.sequence.html_type()),
            items,
        }));
        rewind_blanks(lines, next)
    }

    /// `field_list`: `:name: body` fields.
    fn field_list(&mut self, lines: &[Line<'_>], index: usize, out: &mut Vec<Block>) -> usize {
        let mut fields = Vec::new();
        let mut next = index;
        while let Some(line) = lines.get(next)
            && line.indent() == 0
            && let Some((name, body_offset)) = field_marker(line.text)
        {
            let name_line = Line::new(name, line.number, line.column + 1);
            let name = self.inline(&[name_line]);
            let first = line.skip(body_offset);
            let block = lines::indented_block(lines, next, Some(first), None);
            let body = self.parse_blocks(&block.lines, Context::NESTED);
            fields.push(Field { name, body });
            next = skip_blanks(lines, block.end);
        }
        out.push(Block::FieldList(fields));
        rewind_blanks(lines, next)
    }

    /// `line_block`: lines starting with `| `, kept as lines; indented lines continue
    /// the line above.
    fn line_block(&mut self, lines: &[Line<'_>], index: usize, out: &mut Vec<Block>) -> usize {
        let mut entries: Vec<Vec<Line<'_>>> = Vec::new();
        let mut next = index;
        while let Some(line) = lines.get(next) {
            if line.is_blank() {
                break;
            }
            if line.indent() == 0 && (line.text == "|" || line.text.starts_with("| ")) {
                entries.push(vec![line.skip(2.min(line.text.len()))]);
            } else if line.indent() > 0
                && let Some(last) = entries.last_mut()
            {
                last.push(line.dedent(line.indent()));
            } else {
                break;
            }
            next += 1;
        }
        let mut rows = Vec::with_capacity(entries.len());
        for entry in entries {
            // A line's own indentation after the bar shows as indentation.
            let indent = entry.first().map_or(0, Line::indent);
            let mut content = Vec::new();
            if indent > 0 {
                content.push(Inline::Text("\u{a0}".repeat(indent)));
            }
            let trimmed: Vec<Line<'_>> = entry.iter().map(|l| l.dedent(l.indent())).collect();
            content.extend(self.inline(&trimmed));
            rows.push(content);
        }
        out.push(Block::LineBlock(rows));
        next
    }

    /// `definition_list`: a term line, then its indented definition; repeated.
    fn definition_list(&mut self, lines: &[Line<'_>], index: usize, out: &mut Vec<Block>) -> usize {
        let mut items = Vec::new();
        let mut next = index;
        while let Some(term_line) = lines.get(next)
            && term_line.indent() == 0
            && !term_line.is_blank()
            && lines
                .get(next + 1)
                .is_some_and(|l| !l.is_blank() && l.indent() > 0)
            && self.starts_text_block(term_line.text)
        {
            let (term, classifiers) = self.term(*term_line);
            let block = lines::indented_block(lines, next + 1, None, None);
            let definition = self.parse_blocks(&block.lines, Context::NESTED);
            items.push(DefinitionItem {
                term,
                classifiers,
                definition,
            });
            next = skip_blanks(lines, block.end);
        }
        out.push(Block::DefinitionList(items));
        rewind_blanks(lines, next)
    }

    /// Whether a line would start a text block rather than another construct.
    fn starts_text_block(&self, text: &str) -> bool {
        bullet_marker(text).is_none()
            && enumerator(text, None).is_none()
            && field_marker(text).is_none()
            && !text.starts_with(".. ")
            && text != ".."
            && !text.starts_with("| ")
            && adornment(text).is_none()
            && !super::tables::is_grid_table_top(text)
            && !super::tables::is_simple_table_top(text)
    }

    /// A definition-list term with its `term : classifier` parts.
    fn term(&mut self, line: Line<'_>) -> (Vec<Inline>, Vec<Vec<Inline>>) {
        let parts: Vec<&str> = line.text.split(" : ").collect();
        let mut offset = 0;
        let mut inlines = Vec::new();
        for part in &parts {
            let column = line.column + line.text[..offset].chars().count() as u32;
            let piece = Line::new(part, line.number, column);
            inlines.push(self.inline(&[piece]));
            offset += part.len() + 3;
        }
        let mut parts = inlines.into_iter();
        let term = parts.next().unwrap_or_default();
        (term, parts.collect())
    }

    /// `paragraph [literal_block]`: lines up to a blank line; a paragraph ending in
    /// `::` introduces the literal block that follows.
    fn paragraph(&mut self, lines: &[Line<'_>], index: usize, out: &mut Vec<Block>) -> usize {
        let mut end = index + 1;
        while let Some(line) = lines.get(end) {
            if line.is_blank() || line.indent() > 0 {
                break;
            }
            end += 1;
        }
        lines::add_work(end - index);
        let mut paragraph: Vec<Line<'_>> = lines[index..end].to_vec();
        let literal_follows = paragraph
            .last()
            .is_some_and(|last| last.text.ends_with("::") && !last.text.ends_with("\\::"));
        if literal_follows && let Some(last) = paragraph.last_mut() {
            let text = last.text;
            let kept = if text == "::" {
                ""
            } else if let Some(before) = text.strip_suffix("::")
                && before.ends_with(char::is_whitespace)
            {
                before.trim_end()
            } else {
                &text[..text.len() - 1]
            };
            *last = last.with_text(kept);
        }
        if paragraph.iter().any(|line| !line.is_blank()) {
            let inlines = self.inline(&paragraph);
            out.push(Block::Paragraph(inlines));
        }
        if let Some(line) = lines.get(end)
            && !line.is_blank()
            && !literal_follows
        {
            let at = self.location(line);
            self.warn(
                "rst-unexpected-indentation",
                at,
                "unexpected indentation",
                "leave a blank line before an indented block (a block quote)",
            );
        }
        if !literal_follows {
            return end;
        }
        self.literal_block(lines, end, lines[end - 1], out)
    }

    /// `literal_block`: the indented (or quoted) block after a paragraph ending in `::`.
    fn literal_block(
        &mut self,
        lines: &[Line<'_>],
        index: usize,
        marker: Line<'_>,
        out: &mut Vec<Block>,
    ) -> usize {
        let start = skip_blanks(lines, index);
        let Some(first) = lines.get(start) else {
            let at = self.location(&marker);
            self.warn(
                "rst-missing-literal-block",
                at,
                "literal block expected; none found",
                "indent the text after a paragraph that ends in `::`",
            );
            return start;
        };
        let (code_lines, end) = if first.indent() > 0 {
            let block = lines::indented_block(lines, start, None, None);
            (block.lines, block.end)
        } else if let Some(quote) = first.text.chars().next().filter(char::is_ascii_punctuation) {
            let mut end = start;
            while lines
                .get(end)
                .is_some_and(|line| line.text.starts_with(quote))
            {
                end += 1;
            }
            (lines[start..end].to_vec(), end)
        } else {
            let at = self.location(&marker);
            self.warn(
                "rst-missing-literal-block",
                at,
                "literal block expected; none found",
                "indent the text after a paragraph that ends in `::`",
            );
            return start;
        };
        let code = self.code_text(&lines::join(&code_lines));
        let location = Location::new(self.file, first.number, first.column);
        out.push(Block::Code(CodeBlock {
            language: Some(self.highlight_language.clone()),
            code,
            location,
            ..CodeBlock::default()
        }));
        end
    }

    /// Code text with `[variables]` filled in and a final newline.
    pub(super) fn code_text(&self, text: &str) -> String {
        let mut code = substitute_variables(text, self.options.variables);
        if !code.ends_with('\n') && !code.is_empty() {
            code.push('\n');
        }
        code
    }
}

/// `|name|` replaced for every name in `[variables]`; everything else as written.
pub(super) fn substitute_variables(
    text: &str,
    variables: &std::collections::BTreeMap<String, String>,
) -> String {
    if variables.is_empty() || !text.contains('|') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('|') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after
            .find(['|', '\n'])
            .filter(|close| after[*close..].starts_with('|'))
            .and_then(|close| variables.get(&after[..close]).map(|value| (value, close)));
        match value {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('|');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn skip_blanks(lines: &[Line<'_>], mut index: usize) -> usize {
    while lines.get(index).is_some_and(Line::is_blank) {
        index += 1;
    }
    index
}

/// Steps back over blank lines, so the caller sees where the construct really ended.
fn rewind_blanks(lines: &[Line<'_>], mut index: usize) -> usize {
    while index > 0 && lines.get(index - 1).is_some_and(Line::is_blank) {
        index -= 1;
    }
    index.max(1)
}

/// The bullet of a bullet-list item: a bullet character, then a space or the line end.
fn bullet_marker(text: &str) -> Option<char> {
    let mut chars = text.chars();
    let bullet = chars.next().filter(|c| BULLETS.contains(c))?;
    match chars.next() {
        None | Some(' ') => Some(bullet),
        _ => None,
    }
}

/// `:name: body`: the field name and the byte offset of the body.
pub(super) fn field_marker(text: &str) -> Option<(&str, usize)> {
    let rest = text.strip_prefix(':')?;
    if rest.starts_with([' ', ':']) || rest.is_empty() {
        return None;
    }
    let mut escaped = false;
    for (offset, c) in rest.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            ':' => {
                let after = &rest[offset + 1..];
                let ends = after.is_empty() || after.starts_with(' ');
                if !ends {
                    // `:` followed by a backquote is a role, not the end of a field name.
                    if after.starts_with('`') {
                        return None;
                    }
                    continue;
                }
                let name = &rest[..offset];
                if name.ends_with(' ') {
                    return None;
                }
                let body = offset + 2 + (after.len() - after.trim_start().len());
                return Some((name, body.min(text.len())));
            }
            _ => {}
        }
    }
    None
}

/// How an enumerated list counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sequence {
    Arabic,
    LowerAlpha,
    UpperAlpha,
    LowerRoman,
    UpperRoman,
}

impl Sequence {
    fn html_type(self) -> char {
        match self {
            Sequence::Arabic => '1',
            Sequence::LowerAlpha => 'a',
            Sequence::UpperAlpha => 'A',
            Sequence::LowerRoman => 'i',
            Sequence::UpperRoman => 'I',
        }
    }

    fn format(self, ordinal: u64) -> Option<String> {
        match self {
            Sequence::Arabic => Some(ordinal.to_string()),
            Sequence::LowerAlpha => alpha(ordinal).map(|c| c.to_string()),
            Sequence::UpperAlpha => alpha(ordinal).map(|c| c.to_ascii_uppercase().to_string()),
            Sequence::LowerRoman => roman(ordinal).map(|r| r.to_lowercase()),
            Sequence::UpperRoman => roman(ordinal),
        }
    }
}

fn alpha(ordinal: u64) -> Option<char> {
    (1..=26)
        .contains(&ordinal)
        .then(|| (b'a' + ordinal as u8 - 1) as char)
}

fn roman(mut ordinal: u64) -> Option<String> {
    if ordinal == 0 || ordinal >= 5000 {
        return None;
    }
    let table = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut out = String::new();
    for (value, letters) in table {
        while ordinal >= value {
            out.push_str(letters);
            ordinal -= value;
        }
    }
    Some(out)
}

fn parse_roman(text: &str) -> Option<u64> {
    let upper = text.to_ascii_uppercase();
    let mut total = 0u64;
    let mut previous = 0u64;
    for c in upper.chars().rev() {
        let value = match c {
            'I' => 1,
            'V' => 5,
            'X' => 10,
            'L' => 50,
            'C' => 100,
            'D' => 500,
            'M' => 1000,
            _ => return None,
        };
        if value < previous {
            total = total.checked_sub(value)?;
        } else {
            total += value;
            previous = value;
        }
    }
    // Only canonical numerals count ("IIII" is not four).
    (roman(total)? == upper).then_some(total)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EnumFormat {
    /// `1.`
    Period,
    /// `(1)`
    Parens,
    /// `1)`
    RightParen,
}

/// An enumerated-list marker.
#[derive(Debug, Clone)]
pub(super) struct Enumerator {
    sequence: Sequence,
    format: EnumFormat,
    ordinal: u64,
    /// `#` instead of a number.
    auto: bool,
    /// Bytes the marker and the space after it take.
    width: usize,
}

/// Reads an enumerator at the start of `text`; `expected` (the previous item's) settles
/// whether `i` is a letter or a roman numeral.
pub(super) fn enumerator(text: &str, expected: Option<&Enumerator>) -> Option<Enumerator> {
    let (format, body_start) = if text.starts_with('(') {
        (EnumFormat::Parens, 1)
    } else {
        (EnumFormat::Period, 0)
    };
    let body_len = text[body_start..]
        .find(|c: char| !c.is_ascii_alphanumeric() && c != '#')
        .unwrap_or(text.len() - body_start);
    if body_len == 0 {
        return None;
    }
    let body = &text[body_start..body_start + body_len];
    let after = &text[body_start + body_len..];
    let (format, closer_len) = match (format, after.chars().next()) {
        (EnumFormat::Parens, Some(')')) => (EnumFormat::Parens, 1),
        (EnumFormat::Period, Some('.')) => (EnumFormat::Period, 1),
        (EnumFormat::Period, Some(')')) => (EnumFormat::RightParen, 1),
        _ => return None,
    };
    let marker_end = body_start + body_len + closer_len;
    let rest = &text[marker_end..];
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    let width =
        marker_end + (rest.len() - rest.trim_start().len()).max(usize::from(!rest.is_empty()));

    if body == "#" {
        return Some(Enumerator {
            sequence: expected.map_or(Sequence::Arabic, |e| e.sequence),
            format,
            ordinal: expected.map_or(1, |e| e.ordinal.saturating_add(1)),
            auto: true,
            width,
        });
    }
    let (sequence, ordinal) = sequence_of(body, expected)?;
    Some(Enumerator {
        sequence,
        format,
        ordinal,
        auto: false,
        width,
    })
}

fn sequence_of(body: &str, expected: Option<&Enumerator>) -> Option<(Sequence, u64)> {
    if body.chars().all(|c| c.is_ascii_digit()) {
        return body.parse().ok().map(|n| (Sequence::Arabic, n));
    }
    if let Some(expected) = expected
        && let Some(ordinal) = expected.ordinal.checked_add(1)
        && expected.sequence.format(ordinal).as_deref() == Some(body)
    {
        return Some((expected.sequence, ordinal));
    }
    let single = body.len() == 1;
    let c = body.chars().next()?;
    // A lone `i` or `I` starts a roman list; other single letters are letters.
    if single && c != 'i' && c != 'I' && c.is_ascii_alphabetic() {
        let ordinal = u64::from(c.to_ascii_lowercase() as u8 - b'a' + 1);
        let sequence = if c.is_ascii_lowercase() {
            Sequence::LowerAlpha
        } else {
            Sequence::UpperAlpha
        };
        return Some((sequence, ordinal));
    }
    let ordinal = parse_roman(body)?;
    let sequence = if body.chars().all(|c| c.is_ascii_lowercase()) {
        Sequence::LowerRoman
    } else if body.chars().all(|c| c.is_ascii_uppercase()) {
        Sequence::UpperRoman
    } else {
        return None;
    };
    Some((sequence, ordinal))
}

/// docutils' check that an enumerator really starts an item: the next line is blank,
/// indented, missing, or starts with the next enumerator.
fn is_enumerated_item(lines: &[Line<'_>], index: usize, marker: &Enumerator) -> bool {
    let Some(next) = lines.get(index + 1) else {
        return true;
    };
    if next.is_blank() || next.indent() > 0 {
        return true;
    }
    match enumerator(next.text, Some(marker)) {
        Some(following) => {
            following.format == marker.format
                && (following.auto || Some(following.ordinal) == marker.ordinal.checked_add(1))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_markers_are_told_from_roles() {
        assert_eq!(field_marker(":name: body"), Some(("name", 7)));
        assert_eq!(field_marker(":a:b: c"), Some(("a:b", 6)));
        assert_eq!(field_marker(":ref:`x`"), None);
        assert_eq!(field_marker(": x: y"), None);
        assert_eq!(field_marker(":empty:"), Some(("empty", 7)));
    }

    #[test]
    fn enumerators_read_every_style() {
        let e = enumerator("3. x", None).unwrap();
        assert_eq!((e.sequence, e.ordinal, e.width), (Sequence::Arabic, 3, 3));
        let e = enumerator("(b) x", None).unwrap();
        assert_eq!(
            (e.sequence, e.format),
            (Sequence::LowerAlpha, EnumFormat::Parens)
        );
        let e = enumerator("iv) x", None).unwrap();
        assert_eq!((e.sequence, e.ordinal), (Sequence::LowerRoman, 4));
        assert!(enumerator("i. x", None).unwrap().sequence == Sequence::LowerRoman);
        assert!(enumerator("3.14 is pi", None).is_none());
        assert!(enumerator("#. auto", None).unwrap().auto);
    }

    #[test]
    fn variables_fill_code_but_other_bars_stay() {
        let variables = std::collections::BTreeMap::from([("v".to_string(), "1.0".to_string())]);
        assert_eq!(
            substitute_variables("a |v| b |x| c || |v", &variables),
            "a 1.0 b |x| c || |v"
        );
    }
}
