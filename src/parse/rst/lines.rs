//! Source lines as the block parser sees them.
//!
//! Steps: [`prepare`] splits a file into lines, drops `\r` of CRLF line ends and a byte
//! order mark, expands tabs to the next multiple of eight columns (as docutils does) and
//! replaces NUL, which the parser uses as an internal marker; [`Line`] is a slice of such
//! a line with its 1-based line number and the column it starts at; [`indented_block`]
//! cuts the indented block that follows a construct, the one operation every nested
//! construct (list items, directives, quotes) is built on.

use std::borrow::Cow;
use std::cell::Cell;

const TAB_STOP: usize = 8;

thread_local! {
    /// Basic parsing steps taken on this thread (lines and characters visited), so tests
    /// can check that parse cost grows linearly without timing anything.
    static WORK: Cell<u64> = const { Cell::new(0) };
}

/// Counts `steps` basic parsing steps.
pub(super) fn add_work(steps: usize) {
    WORK.with(|work| work.set(work.get().saturating_add(steps as u64)));
}

/// The steps counted on this thread so far.
pub(super) fn work_done() -> u64 {
    WORK.with(Cell::get)
}

/// One line of source, possibly with some indentation already removed.
///
/// Its indentation and blankness are worked out once, when it is made: nested blocks are
/// cut out level by level, and counting a deep indentation again at every level made a
/// deeply nested page cost its depth times its size. So `text` is read, never assigned:
/// a changed line is made with [`Line::new`] or [`Line::with_text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Line<'t> {
    pub(super) text: &'t str,
    /// 1-based line number in its file.
    pub(super) number: u32,
    /// 1-based column of `text`'s first character in its file.
    pub(super) column: u32,
    indent: usize,
    blank: bool,
}

impl<'t> Line<'t> {
    pub(super) fn new(text: &'t str, number: u32, column: u32) -> Line<'t> {
        Line {
            text,
            number,
            column,
            indent: text.len() - text.trim_start_matches(' ').len(),
            blank: text.trim().is_empty(),
        }
    }

    /// The same line (number and column) holding other text.
    pub(super) fn with_text(&self, text: &'t str) -> Line<'t> {
        Line::new(text, self.number, self.column)
    }

    pub(super) fn is_blank(&self) -> bool {
        self.blank
    }

    /// Leading spaces (tabs are expanded by [`prepare`]).
    pub(super) fn indent(&self) -> usize {
        self.indent
    }

    /// The line without its first `columns` columns (fewer if it has less indentation).
    pub(super) fn dedent(&self, columns: usize) -> Line<'t> {
        let strip = if self.blank {
            self.text.len()
        } else {
            columns.min(self.indent)
        };
        Line {
            text: &self.text[strip..],
            number: self.number,
            column: self.column + strip as u32,
            indent: self.indent.saturating_sub(strip),
            blank: self.blank,
        }
    }

    /// The line from byte `offset` on (an offset inside leading spaces or ASCII markup).
    pub(super) fn skip(&self, offset: usize) -> Line<'t> {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset += 1;
        }
        Line::new(
            &self.text[offset..],
            self.number,
            self.column + self.text[..offset].chars().count() as u32,
        )
    }
}

/// Splits text into lines with tabs expanded and CR, BOM and NUL removed.
pub(super) fn prepare(text: &str) -> Vec<Cow<'_, str>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines: Vec<Cow<'_, str>> = text
        .split('\n')
        .map(|line| {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if !line.contains(['\t', '\0', '\r', '\u{b}', '\u{c}']) {
                return Cow::Borrowed(line.trim_end_matches(' '));
            }
            Cow::Owned(expand_line(line))
        })
        .collect();
    if text.ends_with('\n') {
        lines.pop();
    }
    lines
}

fn expand_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut column = 0;
    for c in line.chars() {
        match c {
            '\t' => {
                let spaces = TAB_STOP - column % TAB_STOP;
                out.extend(std::iter::repeat_n(' ', spaces));
                column += spaces;
            }
            '\u{b}' | '\u{c}' | '\r' => {
                out.push(' ');
                column += 1;
            }
            '\0' => {
                out.push('\u{fffd}');
                column += 1;
            }
            c => {
                out.push(c);
                column += 1;
            }
        }
    }
    out.trim_end_matches(' ').to_string()
}

/// Numbered lines of prepared text, the first being line `first_number`.
pub(super) fn number_lines<'t>(prepared: &'t [Cow<'_, str>], first_number: u32) -> Vec<Line<'t>> {
    prepared
        .iter()
        .enumerate()
        .map(|(index, text)| Line::new(text, first_number + index as u32, 1))
        .collect()
}

/// An indented block cut out of its surroundings.
#[derive(Debug)]
pub(super) struct Indented<'t> {
    /// The block's lines with the common indentation removed, trailing blanks dropped.
    pub(super) lines: Vec<Line<'t>>,
    /// Index of the first line after the block.
    pub(super) end: usize,
}

/// The block starting at `lines[start]` made of lines that are blank or indented.
///
/// `first` is the first line's own text when it is known (the text after a list marker
/// or directive name); it is kept as given and not counted for the indentation. The
/// other lines lose their smallest indentation, or `known_indent` when one is given.
pub(super) fn indented_block<'t>(
    lines: &[Line<'t>],
    start: usize,
    first: Option<Line<'t>>,
    known_indent: Option<usize>,
) -> Indented<'t> {
    let mut end = start + usize::from(first.is_some());
    let mut indent: Option<usize> = known_indent;
    let scan_start = end;
    while end < lines.len() {
        let line = &lines[end];
        if !line.is_blank() {
            let line_indent = line.indent();
            let enough = match known_indent {
                Some(known) => line_indent >= known,
                None => line_indent > 0,
            };
            if !enough {
                break;
            }
            if known_indent.is_none() {
                indent = Some(indent.map_or(line_indent, |i| i.min(line_indent)));
            }
        }
        end += 1;
    }
    add_work(end - scan_start + 1);
    let indent = indent.unwrap_or(0);
    let mut block: Vec<Line<'t>> = Vec::with_capacity(end.saturating_sub(start));
    if let Some(first) = first {
        block.push(first);
    }
    let rest_start = start + usize::from(first.is_some());
    block.extend(
        lines[rest_start.min(end)..end]
            .iter()
            .map(|l| l.dedent(indent)),
    );
    while block.last().is_some_and(Line::is_blank) {
        block.pop();
    }
    Indented { lines: block, end }
}

/// The block's lines without leading blank lines.
pub(super) fn trim_leading_blanks<'a, 't>(lines: &'a [Line<'t>]) -> &'a [Line<'t>] {
    let first = lines.iter().position(|line| !line.is_blank());
    &lines[first.unwrap_or(lines.len())..]
}

/// The text of lines joined with newlines.
pub(super) fn join(lines: &[Line<'_>]) -> String {
    let mut out = String::new();
    for (index, line) in lines.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        out.push_str(line.text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_expand_to_eight_columns_and_crlf_is_dropped() {
        let prepared = prepare("a\tb\r\n\tc\r\nx\0\n");
        assert_eq!(prepared, ["a       b", "        c", "x\u{fffd}"]);
    }

    #[test]
    fn indented_block_strips_the_smallest_indent() {
        let prepared = prepare("top\n   one\n\n     two\nback\n");
        let lines = number_lines(&prepared, 1);
        let block = indented_block(&lines, 1, None, None);
        let texts: Vec<&str> = block.lines.iter().map(|l| l.text).collect();
        assert_eq!(texts, ["one", "", "  two"]);
        assert_eq!(block.end, 4);
        assert_eq!(block.lines[2].column, 4);
    }
}
