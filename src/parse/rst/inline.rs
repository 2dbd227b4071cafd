//! Inline markup: emphasis, strong, literals, interpreted text and roles, hyperlink
//! references and targets, substitution and footnote references, standalone URLs.
//!
//! Recognition follows docutils: a start-string must stand at the start of the text or
//! after white space or an opening or delimiting punctuation, and be followed by
//! non-space (and not be quoted, as in `"*"`); an end-string must follow non-space and
//! be followed by the end, white space or a closing or delimiting punctuation. A
//! backslash makes the next character plain text (and a backslash-space disappears).
//!
//! Steps: mark escaped characters; scan for start-strings, trying the constructs a
//! start character can begin; between constructs, the text is plain. A search for an
//! end-string that fails is remembered per construct, so text full of unmatched
//! asterisks still parses in linear time.

use crate::doc::{Inline, Link, LinkDestination, Location, Reference, ReferenceKind};
use crate::parse::markdown::split_explicit_target;

use super::lines::Line;
use super::{PENDING_ANONYMOUS, PENDING_NAME, Parser, Target, pending};

/// Openers and delimiters after which inline markup may start (docutils' ASCII sets
/// and the common Unicode quotes and dashes).
fn is_start_prefix(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\''
                | '('
                | '<'
                | '['
                | '{'
                | '-'
                | '/'
                | ':'
                | '‘'
                | '’'
                | '“'
                | '”'
                | '«'
                | '»'
                | '‹'
                | '›'
                | '„'
                | '‚'
                | '–'
                | '—'
                | '‐'
                | '‑'
                | '‒'
                | '―'
                | '¡'
                | '¿'
                | '·'
                | '…'
                | '（'
                | '［'
                | '｛'
                | '「'
                | '『'
        )
}

/// What may follow an end-string.
fn is_end_suffix(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\\' | '.'
                | ','
                | ';'
                | '!'
                | '?'
                | '-'
                | '/'
                | ':'
                | '"'
                | '\''
                | ')'
                | '>'
                | ']'
                | '}'
                | '‘'
                | '’'
                | '“'
                | '”'
                | '«'
                | '»'
                | '‹'
                | '›'
                | '–'
                | '—'
                | '‐'
                | '‑'
                | '‒'
                | '―'
                | '…'
                | '）'
                | '］'
                | '｝'
                | '」'
                | '』'
                | '。'
                | '、'
        )
}

fn closer_of(opener: char) -> Option<char> {
    Some(match opener {
        '"' => '"',
        '\'' => '\'',
        '(' => ')',
        '<' => '>',
        '[' => ']',
        '{' => '}',
        '‘' => '’',
        '“' => '”',
        '«' => '»',
        '‹' => '›',
        '’' => '’',
        '”' => '”',
        '»' => '«',
        _ => return None,
    })
}

/// A docutils "simple name": word characters with single `-._+:` between them.
pub(super) fn is_simple_name(text: &str) -> bool {
    simple_name_length(&text.chars().collect::<Vec<_>>(), 0) == text.chars().count()
        && !text.is_empty()
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric()
}

/// Length in characters of the simple name starting at `start` (0 if none).
fn simple_name_length(chars: &[char], start: usize) -> usize {
    let mut end = start;
    while end < chars.len() && is_word(chars[end]) {
        end += 1;
    }
    if end == start {
        return 0;
    }
    loop {
        let separator = chars.get(end).copied();
        let continues = matches!(separator, Some('-' | '.' | '_' | '+' | ':'))
            && chars.get(end + 1).copied().is_some_and(is_word);
        if !continues {
            return end - start;
        }
        end += 1;
        while end < chars.len() && is_word(chars[end]) {
            end += 1;
        }
    }
}

/// URL schemes recognised in running text (as in docutils' list, the common ones).
const SCHEMES: &[&str] = &[
    "http", "https", "ftp", "ftps", "sftp", "mailto", "file", "news", "nntp", "telnet", "ssh",
    "git", "svn", "irc", "ircs", "tel", "xmpp", "ws", "wss", "rtsp", "s3",
];

/// Characters without which a text holds no inline markup: start-strings, escapes,
/// the `_` of references, and the `:` and `@` of URLs and e-mail addresses.
const MARKUP_STARTS: &[char] = &['*', '`', '|', '_', '[', ':', '\\', '@'];

/// The constructs whose failed end-string searches are remembered.
#[derive(Clone, Copy)]
enum Kind {
    Strong = 0,
    Emphasis,
    Literal,
    Interpreted,
    Substitution,
    Target,
}

const KINDS: usize = 6;

/// The character is made plain by a backslash before it.
const ESCAPED: u8 = 1;
/// The character is a backslash that escapes the next one.
const ESCAPE: u8 = 2;

/// A piece of inline text with escapes marked and positions known.
struct Scanner<'s> {
    chars: Vec<char>,
    /// Per character: [`ESCAPED`] and [`ESCAPE`] bits.
    flags: Vec<u8>,
    positions: &'s Positions,
    /// Per construct: searches from here on fail (the end-string does not occur).
    failed_from: [usize; KINDS],
    /// The end of the last word checked for a reference name.
    word_checked_to: usize,
    /// The end of the last run of non-space checked for a URL.
    link_checked_to: usize,
}

/// Where each character of a text block stands in its file.
pub(super) struct Positions {
    file: crate::doc::FileId,
    /// Per line: the index of its first character in the text, line number, column.
    lines: Vec<(usize, u32, u32)>,
}

impl Positions {
    fn location(&self, char_index: usize) -> Location {
        let line = self
            .lines
            .partition_point(|(start, _, _)| *start <= char_index)
            .saturating_sub(1);
        let (start, number, column) = self.lines.get(line).copied().unwrap_or((0, 1, 1));
        Location::new(self.file, number, column + (char_index - start) as u32)
    }
}

impl<'s> Scanner<'s> {
    fn new(text: &str, positions: &'s Positions) -> Self {
        let chars: Vec<char> = text.chars().collect();
        let mut flags = vec![0u8; chars.len()];
        let mut index = 0;
        while index < chars.len() {
            if chars[index] == '\\' {
                flags[index] |= ESCAPE;
                if let Some(next) = flags.get_mut(index + 1) {
                    *next |= ESCAPED;
                }
                index += 2;
            } else {
                index += 1;
            }
        }
        Self {
            chars,
            flags,
            positions,
            failed_from: [usize::MAX; KINDS],
            word_checked_to: 0,
            link_checked_to: 0,
        }
    }

    fn len(&self) -> usize {
        self.chars.len()
    }

    fn at(&self, index: usize) -> Option<char> {
        self.chars.get(index).copied()
    }

    fn is_plain(&self, index: usize) -> bool {
        self.flags[index] == 0
    }

    fn is(&self, index: usize, c: char) -> bool {
        self.at(index) == Some(c) && self.is_plain(index)
    }

    fn starts(&self, index: usize, text: &str) -> bool {
        text.chars()
            .enumerate()
            .all(|(offset, c)| self.is(index + offset, c))
    }

    /// The start condition: at the start, or after white space or an opener/delimiter.
    fn start_allowed(&self, index: usize) -> bool {
        index == 0
            || (self.flags[index - 1] & ESCAPE == 0 && is_start_prefix(self.chars[index - 1]))
            || (self.flags[index - 1] & ESCAPED != 0 && self.chars[index - 1].is_whitespace())
    }

    /// After a start-string of `width` characters: non-space, and not `"*"`-quoted.
    fn opens(&self, index: usize, width: usize) -> bool {
        let Some(next) = self.at(index + width) else {
            return false;
        };
        if next.is_whitespace() {
            return false;
        }
        if index > 0
            && let Some(closer) = closer_of(self.chars[index - 1])
            && next == closer
        {
            return false;
        }
        true
    }

    /// An end-string of `width` characters at `index`: after non-space, before an
    /// allowed suffix.
    fn closes(&self, index: usize, width: usize) -> bool {
        if index == 0
            || self.chars[index - 1].is_whitespace() && self.flags[index - 1] & ESCAPED == 0
        {
            return false;
        }
        match self.at(index + width) {
            None => true,
            Some(c) => is_end_suffix(c),
        }
    }

    /// Finds `end` (plain characters) from `from`, closing as an end-string.
    fn find_end(&mut self, kind: Kind, from: usize, end: &str) -> Option<usize> {
        if from >= self.failed_from[kind as usize] {
            return None;
        }
        let width = end.chars().count();
        let mut index = from;
        while index + width <= self.len() {
            if self.starts(index, end) && self.closes(index, width) {
                super::lines::add_work(index - from + 1);
                return Some(index);
            }
            index += 1;
        }
        super::lines::add_work(index - from + 1);
        self.failed_from[kind as usize] = self.failed_from[kind as usize].min(from);
        None
    }

    /// Plain text of `start..end`: escapes removed, escaped white space dropped.
    fn plain(&self, start: usize, end: usize) -> String {
        let mut out = String::new();
        for index in start..end.min(self.len()) {
            if self.flags[index] & ESCAPE != 0 {
                continue;
            }
            if self.flags[index] & ESCAPED != 0 && self.chars[index].is_whitespace() {
                continue;
            }
            out.push(self.chars[index]);
        }
        out
    }

    /// The text of `start..end` as written, backslashes kept.
    fn raw(&self, start: usize, end: usize) -> String {
        self.chars[start..end.min(self.len())].iter().collect()
    }
}

impl Parser<'_, '_> {
    /// Inline markup of a text block (a paragraph, a title, a cell).
    pub(super) fn inline(&mut self, lines: &[Line<'_>]) -> Vec<Inline> {
        let mut text = String::new();
        let mut starts = Vec::with_capacity(lines.len());
        let mut char_count = 0;
        for (index, line) in lines.iter().enumerate() {
            if index > 0 {
                text.push('\n');
                char_count += 1;
            }
            starts.push((char_count, line.number, line.column));
            text.push_str(line.text);
            char_count += line.text.chars().count();
        }
        let positions = Positions {
            file: self.file,
            lines: starts,
        };
        self.inline_markup(&text, &positions)
    }

    /// Inline markup of one piece of text that starts at `at` (a directive argument).
    pub(super) fn inline_text(&mut self, text: &str, at: Location) -> Vec<Inline> {
        let positions = Positions {
            file: at.file,
            lines: vec![(0, at.line, at.column)],
        };
        self.inline_markup(text, &positions)
    }

    fn inline_markup(&mut self, text: &str, positions: &Positions) -> Vec<Inline> {
        // Text without a character that can start markup (most table cells, many
        // titles) is plain as it is.
        if !text.contains(MARKUP_STARTS) {
            super::lines::add_work(text.len() + 1);
            return if text.is_empty() {
                Vec::new()
            } else {
                vec![Inline::Text(text.to_string())]
            };
        }
        let mut scanner = Scanner::new(text, positions);
        let mut out = Vec::new();
        let mut text_start = 0;
        let mut index = 0;
        super::lines::add_work(scanner.len() + 1);
        while index < scanner.len() {
            if !scanner.is_plain(index) || !scanner.start_allowed(index) {
                index += 1;
                continue;
            }
            match self.construct(&mut scanner, index) {
                Some((end, inlines)) => {
                    push_text(&mut out, scanner.plain(text_start, index));
                    out.extend(inlines);
                    index = end.max(index + 1);
                    text_start = index;
                }
                None => index += 1,
            }
        }
        push_text(&mut out, scanner.plain(text_start, scanner.len()));
        out
    }

    /// The construct starting at `index`, if any: where it ends and what it makes.
    fn construct(&mut self, s: &mut Scanner<'_>, index: usize) -> Option<(usize, Vec<Inline>)> {
        match s.at(index)? {
            '*' if s.is(index + 1, '*') => self.strong(s, index),
            '*' => self.emphasis(s, index),
            '`' if s.is(index + 1, '`') => self.literal(s, index),
            '`' => self.interpreted(s, index, None),
            ':' => self.role_prefix(s, index),
            '|' => self.substitution_reference(s, index),
            '_' if s.is(index + 1, '`') => self.inline_target(s, index),
            '[' => self.footnote_reference(s, index),
            c if c.is_alphanumeric() => self.word(s, index),
            _ => None,
        }
    }

    /// A start-string without its end-string: a warning, and the start-string stays as
    /// text (scanning goes on after it, so one mistake is reported once).
    fn unclosed(
        &mut self,
        s: &Scanner<'_>,
        (index, start_len): (usize, usize),
        what: &str,
        end: &str,
    ) -> Option<(usize, Vec<Inline>)> {
        let at = s.positions.location(index);
        self.warn(
            "rst-unclosed-markup",
            at,
            format!("{what} is not closed"),
            format!(
                "end it with `{end}` before a space or punctuation, or escape the start \
                 with a backslash"
            ),
        );
        let start = s.plain(index, index + start_len);
        Some((index + start_len, vec![Inline::Text(start)]))
    }

    fn strong(&mut self, s: &mut Scanner<'_>, index: usize) -> Option<(usize, Vec<Inline>)> {
        if !s.opens(index, 2) {
            return None;
        }
        let Some(end) = s.find_end(Kind::Strong, index + 3, "**") else {
            return self.unclosed(s, (index, 2), "strong emphasis", "**");
        };
        let content = vec![Inline::Text(s.plain(index + 2, end))];
        Some((end + 2, vec![Inline::Strong(content)]))
    }

    fn emphasis(&mut self, s: &mut Scanner<'_>, index: usize) -> Option<(usize, Vec<Inline>)> {
        if !s.opens(index, 1) {
            return None;
        }
        let Some(end) = s.find_end(Kind::Emphasis, index + 2, "*") else {
            return self.unclosed(s, (index, 1), "emphasis", "*");
        };
        let content = vec![Inline::Text(s.plain(index + 1, end))];
        Some((end + 1, vec![Inline::Emphasis(content)]))
    }

    fn literal(&mut self, s: &mut Scanner<'_>, index: usize) -> Option<(usize, Vec<Inline>)> {
        if !s.opens(index, 2) {
            return None;
        }
        let Some(end) = s.find_end(Kind::Literal, index + 3, "``") else {
            return self.unclosed(s, (index, 2), "inline literal", "``");
        };
        let code = s.raw(index + 2, end).replace('\n', " ");
        let code = super::blocks::substitute_variables(&code, self.options.variables);
        Some((end + 2, vec![Inline::Code(code)]))
    }

    /// `:role:` followed by interpreted text.
    fn role_prefix(&mut self, s: &mut Scanner<'_>, index: usize) -> Option<(usize, Vec<Inline>)> {
        let length = simple_name_length(&s.chars, index + 1);
        super::lines::add_work(length + 1);
        if length == 0 || !s.is(index + 1 + length, ':') || !s.is(index + 2 + length, '`') {
            return None;
        }
        let role: String = s.chars[index + 1..index + 1 + length].iter().collect();
        let backquote = index + 2 + length;
        if s.is(backquote + 1, '`') {
            return None;
        }
        self.interpreted(s, backquote, Some((role, index)))
    }

    /// `` `text` `` with an optional role before or after, or a phrase reference
    /// `` `text`_ `` / `` `text <url>`_ `` (anonymous with `__`).
    fn interpreted(
        &mut self,
        s: &mut Scanner<'_>,
        index: usize,
        prefix_role: Option<(String, usize)>,
    ) -> Option<(usize, Vec<Inline>)> {
        if !s.opens(index, 1) {
            return None;
        }
        let start = prefix_role.as_ref().map_or(index, |(_, start)| *start);
        let at = s.positions.location(start);
        let Some(close) = self.interpreted_end(s, index + 1) else {
            return self.unclosed(s, (start, index + 1 - start), "interpreted text", "`");
        };
        let (end, suffix_role, reference) = close;
        let role = match (prefix_role, suffix_role) {
            (Some((role, _)), None) | (None, Some(role)) => Some(role),
            (None, None) => None,
            (Some(_), Some(_)) => {
                self.warn(
                    "rst-double-role",
                    at,
                    "interpreted text has a role before and after it",
                    "give it one role",
                );
                None
            }
        };
        let content_end = s.chars[..end]
            .iter()
            .rposition(|c| *c == '`')
            .unwrap_or(index + 1);
        if let Some(anonymous) = reference {
            return Some((
                end,
                self.phrase_reference(s, index + 1, content_end, anonymous, at),
            ));
        }
        let text = s.plain(index + 1, content_end);
        let raw = s.raw(index + 1, content_end);
        Some((end, vec![self.role(role.as_deref(), text, raw, at)]))
    }

    /// The end of interpreted text: the closing backquote, the end index after any
    /// role suffix or `_`/`__`, the suffix role, and whether it is a reference
    /// (`Some(true)` anonymous).
    fn interpreted_end(
        &mut self,
        s: &mut Scanner<'_>,
        from: usize,
    ) -> Option<(usize, Option<String>, Option<bool>)> {
        let mut index = from;
        if from >= s.failed_from[Kind::Interpreted as usize] {
            return None;
        }
        while index < s.len() {
            if s.is(index, '`') && !s.chars[index - 1].is_whitespace() {
                let mut end = index + 1;
                let mut role = None;
                if s.is(end, ':') {
                    let length = simple_name_length(&s.chars, end + 1);
                    if length > 0 && s.is(end + 1 + length, ':') {
                        role = Some(s.chars[end + 1..end + 1 + length].iter().collect());
                        end += length + 2;
                    }
                }
                let mut reference = None;
                if role.is_none() && s.is(end, '_') {
                    if s.is(end + 1, '_') {
                        reference = Some(true);
                        end += 2;
                    } else {
                        reference = Some(false);
                        end += 1;
                    }
                }
                let suffix_ok = s.at(end).is_none_or(is_end_suffix);
                if suffix_ok && index > from {
                    super::lines::add_work(index - from + 1);
                    return Some((end, role, reference));
                }
            }
            index += 1;
        }
        super::lines::add_work(index - from + 1);
        s.failed_from[Kind::Interpreted as usize] = from;
        None
    }

    fn phrase_reference(
        &mut self,
        s: &Scanner<'_>,
        start: usize,
        end: usize,
        anonymous: bool,
        at: Location,
    ) -> Vec<Inline> {
        let raw = s.raw(start, end);
        let (text, embedded) = split_embedded(&raw);
        let text = super::explicit::unescape(&text);
        let destination = match embedded {
            Some(link) => {
                let link_text = if text.is_empty() {
                    link.clone()
                } else {
                    text.clone()
                };
                let target = self.target_value_of(&link);
                if !anonymous {
                    let name = if text.is_empty() { &link } else { &text };
                    self.ids.for_name(name);
                    self.add_target(name, target.clone());
                }
                let destination = match target {
                    Target::Url(url) => crate::parse::markdown::link_destination(&url, at),
                    Target::Alias(name) => pending(PENDING_NAME, at, &name),
                    Target::Internal(id) => LinkDestination::Fragment(id),
                };
                return vec![Inline::Link(Link {
                    destination,
                    title: None,
                    content: vec![Inline::Text(link_text)],
                    location: Some(at),
                    download: false,
                })];
            }
            None if anonymous => {
                let number = self.anonymous_references;
                self.anonymous_references += 1;
                pending(PENDING_ANONYMOUS, at, &number.to_string())
            }
            None => pending(PENDING_NAME, at, &text),
        };
        vec![Inline::Link(Link {
            destination,
            title: None,
            content: vec![Inline::Text(text)],
            location: Some(at),
            download: false,
        })]
    }

    fn target_value_of(&self, link: &str) -> Target {
        let cleaned: String = link.split_whitespace().collect();
        if let Some(name) = cleaned.strip_suffix('_')
            && is_simple_name(name)
            && !cleaned.contains("://")
        {
            return Target::Alias(name.to_string());
        }
        Target::Url(super::explicit::unescape(&cleaned))
    }

    /// What a role makes of its text. An unknown role is a warning and its text.
    fn role(&mut self, role: Option<&str>, text: String, raw: String, at: Location) -> Inline {
        let Some(role) = role else {
            // The default role, `title-reference`: shown in italics, as `<cite>` is.
            return Inline::Emphasis(vec![Inline::Text(text)]);
        };
        let role = role.to_ascii_lowercase();
        let role = role.strip_prefix("std:").unwrap_or(&role);
        match role {
            "ref" | "numref" => {
                let (explicit, target) = split_explicit_target(&text);
                Inline::Reference(Reference {
                    kind: ReferenceKind::Label,
                    target,
                    text: explicit,
                    location: at,
                })
            }
            "doc" => {
                let (explicit, target) = split_explicit_target(&text);
                Inline::Reference(Reference {
                    kind: ReferenceKind::Page,
                    target,
                    text: explicit,
                    location: at,
                })
            }
            "code" | "literal" | "file" | "samp" | "command" | "program" | "kbd" | "envvar"
            | "option" | "makevar" | "mimetype" | "newsgroup" | "regexp" | "token" | "math" => {
                let code = if role == "code" { raw } else { text };
                Inline::Code(super::blocks::substitute_variables(
                    &code,
                    self.options.variables,
                ))
            }
            "emphasis" | "title-reference" | "title" | "t" | "dfn" | "guilabel" => {
                Inline::Emphasis(vec![Inline::Text(text)])
            }
            "menuselection" => Inline::Emphasis(vec![Inline::Text(text.replace("-->", "‣"))]),
            "strong" => Inline::Strong(vec![Inline::Text(text)]),
            "sub" | "subscript" => Inline::Subscript(vec![Inline::Text(text)]),
            "sup" | "superscript" => Inline::Superscript(vec![Inline::Text(text)]),
            "term" => Inline::Text(text),
            "abbr" => abbreviation(&text),
            "download" => {
                let (explicit, target) = split_explicit_target(&text);
                Inline::Link(Link {
                    destination: LinkDestination::Url(target.clone()),
                    title: None,
                    content: vec![Inline::Code(explicit.unwrap_or(target))],
                    location: Some(at),
                    download: false,
                })
            }
            _ => {
                self.warn(
                    "unknown-role",
                    at,
                    format!("unknown role `:{role}:`"),
                    "known roles: ref, doc, code, literal, emphasis, strong, sub, sup, abbr, \
                     file, kbd, command, guilabel, menuselection, download; the text is shown \
                     as it is",
                );
                Inline::UnknownRole {
                    role: role.to_string(),
                    text,
                }
            }
        }
    }

    /// `|name|`, `|name|_` (a link to the target `name`) or `|name|__`.
    fn substitution_reference(
        &mut self,
        s: &mut Scanner<'_>,
        index: usize,
    ) -> Option<(usize, Vec<Inline>)> {
        if s.is(index + 1, '|') || !s.opens(index, 1) {
            return None;
        }
        let mut search = index + 2;
        let close = loop {
            if search >= s.failed_from[Kind::Substitution as usize] {
                return None;
            }
            let found = (search..s.len()).find(|i| s.is(*i, '|'));
            super::lines::add_work(found.unwrap_or(s.len()) - search + 1);
            let Some(close) = found else {
                s.failed_from[Kind::Substitution as usize] = index + 2;
                return self.unclosed(s, (index, 1), "substitution reference", "|");
            };
            let mut end = close + 1;
            if s.is(end, '_') {
                end += if s.is(end + 1, '_') { 2 } else { 1 };
            }
            if !s.chars[close - 1].is_whitespace() && s.at(end).is_none_or(is_end_suffix) {
                break close;
            }
            search = close + 1;
        };
        let name = s.plain(index + 1, close);
        let at = s.positions.location(index);
        let substitution = Inline::Substitution {
            name: name.clone(),
            location: at,
        };
        let mut end = close + 1;
        if s.is(end, '_') {
            let anonymous = s.is(end + 1, '_');
            end += if anonymous { 2 } else { 1 };
            let destination = if anonymous {
                let number = self.anonymous_references;
                self.anonymous_references += 1;
                pending(PENDING_ANONYMOUS, at, &number.to_string())
            } else {
                pending(PENDING_NAME, at, &name)
            };
            let link = Inline::Link(Link {
                destination,
                title: None,
                content: vec![substitution],
                location: Some(at),
                download: false,
            });
            return Some((end, vec![link]));
        }
        Some((end, vec![substitution]))
    }

    /// `` _`name` ``: an inline target, shown as its text.
    fn inline_target(&mut self, s: &mut Scanner<'_>, index: usize) -> Option<(usize, Vec<Inline>)> {
        if !s.opens(index, 2) {
            return None;
        }
        let end = s.find_end(Kind::Target, index + 3, "`")?;
        let text = s.plain(index + 2, end);
        let id = self.ids.for_name(&text);
        self.add_target(&text, Target::Internal(id.clone()));
        Some((end + 1, vec![Inline::Anchor(id), Inline::Text(text)]))
    }

    /// `[1]_`, `[#]_`, `[#name]_`, `[*]_` or a citation `[name]_`.
    fn footnote_reference(
        &mut self,
        s: &mut Scanner<'_>,
        index: usize,
    ) -> Option<(usize, Vec<Inline>)> {
        let close = (index + 1..s.len().min(index + 64)).find(|i| s.is(*i, ']'))?;
        if !s.is(close + 1, '_') || !s.at(close + 2).is_none_or(is_end_suffix) {
            return None;
        }
        let label: String = s.chars[index + 1..close].iter().collect();
        let valid = label.chars().all(|c| c.is_ascii_digit())
            || label == "#"
            || label == "*"
            || label.strip_prefix('#').is_some_and(is_simple_name)
            || is_simple_name(&label);
        if !valid || label.is_empty() {
            return None;
        }
        let at = s.positions.location(index);
        let label = self.footnotes.refer(label, at);
        Some((close + 2, vec![Inline::FootnoteReference(label)]))
    }

    /// A word: a reference `name_` / `name__`, a standalone URL or an e-mail address.
    fn word(&mut self, s: &mut Scanner<'_>, index: usize) -> Option<(usize, Vec<Inline>)> {
        if index < s.word_checked_to {
            return None;
        }
        let at = s.positions.location(index);
        if index >= s.link_checked_to
            && let Some(found) = self.standalone_link(s, index)
        {
            return Some(found);
        }
        let length = simple_name_length(&s.chars, index);
        super::lines::add_work(length + 1);
        s.word_checked_to = index + length;
        if length == 0 || !s.is(index + length, '_') {
            return None;
        }
        let anonymous = s.is(index + length + 1, '_');
        let end = index + length + if anonymous { 2 } else { 1 };
        if !s.at(end).is_none_or(is_end_suffix) {
            return None;
        }
        let name: String = s.chars[index..index + length].iter().collect();
        let destination = if anonymous {
            let number = self.anonymous_references;
            self.anonymous_references += 1;
            pending(PENDING_ANONYMOUS, at, &number.to_string())
        } else {
            pending(PENDING_NAME, at, &name)
        };
        let link = Inline::Link(Link {
            destination,
            title: None,
            content: vec![Inline::Text(name)],
            location: Some(at),
            download: false,
        });
        Some((end, vec![link]))
    }

    /// `scheme:…` for a known scheme, or `name@domain.tld`, as a link.
    fn standalone_link(
        &mut self,
        s: &mut Scanner<'_>,
        index: usize,
    ) -> Option<(usize, Vec<Inline>)> {
        let mut end = index;
        while end < s.len()
            && !s.chars[end].is_whitespace()
            && !matches!(s.chars[end], '<' | '>' | '"' | '`' | '|' | '\\')
        {
            end += 1;
        }
        super::lines::add_work(end - index + 1);
        // A run that is not a link from its start is not checked again from inside it.
        s.link_checked_to = end;
        if !s.chars[index..end].iter().any(|c| matches!(c, ':' | '@')) {
            return None;
        }
        // Trailing punctuation belongs to the sentence, not the URL.
        while end > index
            && matches!(
                s.chars[end - 1],
                '.' | ',' | ';' | ':' | '!' | '?' | '\'' | ')' | ']' | '*' | '_'
            )
        {
            end -= 1;
        }
        let word: String = s.chars[index..end].iter().collect();
        let scheme = word
            .split_once(':')
            .map(|(scheme, _)| scheme.to_ascii_lowercase());
        let is_url = scheme
            .as_deref()
            .is_some_and(|scheme| SCHEMES.contains(&scheme))
            && word
                .split_once(':')
                .is_some_and(|(_, rest)| rest.len() > 1 || !rest.is_empty());
        if is_url {
            s.word_checked_to = end;
            let link = Inline::Link(Link {
                destination: LinkDestination::Url(word.clone()),
                title: None,
                content: vec![Inline::Text(word)],
                location: Some(s.positions.location(index)),
                download: false,
            });
            return Some((end, vec![link]));
        }
        if is_email(&word) {
            s.word_checked_to = end;
            let link = Inline::Link(Link {
                destination: LinkDestination::Url(format!("mailto:{word}")),
                title: None,
                content: vec![Inline::Text(word)],
                location: Some(s.positions.location(index)),
                download: false,
            });
            return Some((end, vec![link]));
        }
        None
    }
}

fn is_email(word: &str) -> bool {
    let Some((local, domain)) = word.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_!~*'{}/#?^&=+$%.".contains(c));
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    local_ok && domain_ok
}

/// `text <link>` → ("text", Some("link")); `<link>` → ("", Some("link")).
fn split_embedded(raw: &str) -> (String, Option<String>) {
    let trimmed = raw.trim_end();
    if let Some(without) = trimmed.strip_suffix('>')
        && !without.ends_with('\\')
        && let Some(open) = without.rfind('<')
    {
        let before = &without[..open];
        if before.is_empty() || before.ends_with(char::is_whitespace) {
            let link = without[open + 1..].to_string();
            if !link.trim().is_empty() {
                return (before.trim().to_string(), Some(link));
            }
        }
    }
    (raw.to_string(), None)
}

/// `:abbr:` text `LIFO (last-in, first-out)`: the abbreviation with its explanation.
fn abbreviation(text: &str) -> Inline {
    use crate::render::escape::{html_attribute, html_text};
    if let Some(open) = text.find(" (")
        && let Some(explanation) = text[open + 2..].strip_suffix(')')
    {
        let short = &text[..open];
        return Inline::Html(format!(
            "<abbr title=\"{}\">{}</abbr>",
            html_attribute(explanation),
            html_text(short)
        ));
    }
    Inline::Html(format!("<abbr>{}</abbr>", html_text(text)))
}

fn push_text(out: &mut Vec<Inline>, text: String) {
    if text.is_empty() {
        return;
    }
    match out.last_mut() {
        Some(Inline::Text(previous)) => previous.push_str(&text),
        _ => out.push(Inline::Text(text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_names_allow_single_inner_separators() {
        assert!(is_simple_name("asset_url"));
        assert!(is_simple_name("a.b-c+d:e"));
        assert!(!is_simple_name("a__b"));
        assert!(!is_simple_name("a_"));
        assert!(!is_simple_name(""));
    }

    #[test]
    fn embedded_links_split_from_their_text() {
        assert_eq!(
            split_embedded("Example <http://x>"),
            ("Example".into(), Some("http://x".into()))
        );
        assert_eq!(
            split_embedded("<http://x>"),
            ("".into(), Some("http://x".into()))
        );
        assert_eq!(split_embedded("a<b>"), ("a<b>".into(), None));
    }

    #[test]
    fn emails_are_recognised() {
        assert!(is_email("person@example.com"));
        assert!(!is_email("a@b"));
        assert!(!is_email("@x.com"));
    }
}
