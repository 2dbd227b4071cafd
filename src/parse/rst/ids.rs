//! Names and ids as docutils makes them, so that deep links into a migrated Sphinx site
//! keep working.
//!
//! Steps: [`make_id`] turns a name into an id (`[a-z](-?[a-z0-9]+)*`); [`IdRegistry`]
//! hands ids out in document order, giving a name whose id is taken the next `idN`
//! (Sphinx sets docutils' `auto_id_prefix` to `id`); [`normalize_name`] folds case and
//! white space as docutils compares reference names.

use std::collections::HashSet;

/// docutils' `make_id`: lower case, non-ASCII folded by compatibility decomposition,
/// runs of anything but letters and digits become one `-`, and leading digits and
/// hyphens (and trailing hyphens) are dropped.
pub fn make_id(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match fold_to_ascii(c) {
            Some(replacement) => folded.push_str(replacement),
            None if c.is_ascii() => folded.push(c),
            None => {}
        }
    }
    let mut id = String::with_capacity(folded.len());
    let mut pending_hyphen = false;
    // White space is not a letter or digit, so its runs become one hyphen like any
    // other punctuation; docutils' separate white-space step changes nothing here.
    for c in folded.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            if pending_hyphen && !id.is_empty() {
                id.push('-');
            }
            pending_hyphen = false;
            // An id starts with a letter: leading digits go, as do hyphens before them.
            if id.is_empty() && c.is_ascii_digit() {
                continue;
            }
            id.push(c);
        } else {
            pending_hyphen = true;
        }
    }
    id
}

/// The ASCII letters a non-ASCII lower-case letter decomposes to (NFKD without its
/// combining marks), for the Latin letters documentation titles use; `None` for ASCII
/// and for characters that have no ASCII form (they are dropped, as docutils does).
fn fold_to_ascii(c: char) -> Option<&'static str> {
    if c.is_ascii() {
        return None;
    }
    let folded = match c {
        'à'..='å' | 'ā' | 'ă' | 'ą' | 'ǎ' | 'ª' => "a",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' | 'ƈ' | 'ȼ' => "c",
        'è'..='ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' | 'ȇ' => "e",
        'ì'..='ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' | 'ǐ' => "i",
        'ñ' | 'ń' | 'ņ' | 'ň' | 'ƞ' | 'ȵ' => "n",
        'ò'..='ö' | 'ø' | 'ō' | 'ŏ' | 'ő' | 'ǒ' | 'º' => "o",
        'ù'..='ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' | 'ǔ' => "u",
        'ý' | 'ÿ' | 'ŷ' | 'ƴ' | 'ɏ' => "y",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' | 'ȿ' => "s",
        'ź' | 'ż' | 'ž' | 'ƶ' | 'ȥ' | 'ɀ' => "z",
        'ď' | 'đ' | 'ƌ' | 'ȡ' => "d",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' | 'ǥ' => "g",
        'ĥ' | 'ħ' => "h",
        'ĵ' | 'ȷ' | 'ɉ' => "j",
        'ķ' | 'ƙ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' | 'ƚ' | 'ȴ' => "l",
        'ŕ' | 'ŗ' | 'ř' | 'ɍ' => "r",
        'ţ' | 'ť' | 'ŧ' | 'ƫ' | 'ƭ' | 'ț' | 'ȶ' => "t",
        'ŵ' => "w",
        'ƀ' | 'ƃ' => "b",
        'ƒ' => "f",
        'ƥ' => "p",
        'ɋ' => "q",
        'ß' => "sz",
        'æ' => "ae",
        'œ' => "oe",
        'ȸ' => "db",
        'ȹ' => "qp",
        '\u{a0}' | '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}' => " ",
        '²' => "2",
        '³' => "3",
        '¹' => "1",
        'ﬁ' => "fi",
        'ﬂ' => "fl",
        _ => return None,
    };
    Some(folded)
}

/// docutils' reference-name normalisation: case folded, runs of white space one space.
pub fn normalize_name(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The ids of one document, handed out in document order.
#[derive(Debug, Default)]
pub(super) struct IdRegistry {
    taken: HashSet<String>,
    counter: u32,
}

impl IdRegistry {
    /// The id of an element named `name`: its `make_id` when free, else the next `idN`.
    pub(super) fn for_name(&mut self, name: &str) -> String {
        let id = make_id(name);
        if !id.is_empty() && self.taken.insert(id.clone()) {
            return id;
        }
        self.automatic()
    }

    /// An id for an element without a usable name (`id1`, `id2`, …).
    pub(super) fn automatic(&mut self) -> String {
        loop {
            self.counter += 1;
            let id = format!("id{}", self.counter);
            if self.taken.insert(id.clone()) {
                return id;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_docutils_rules() {
        assert_eq!(make_id("Web Hooks"), "web-hooks");
        assert_eq!(make_id("1. Numbers"), "numbers");
        assert_eq!(make_id("Café Ünïcode ß"), "cafe-unicode-sz");
        assert_eq!(
            make_id("campaigns/editor/filters"),
            "campaigns-editor-filters"
        );
        assert_eq!(make_id("asset_url"), "asset-url");
        assert_eq!(make_id("--x--"), "x");
        assert_eq!(make_id("123"), "");
        assert_eq!(make_id("What's new?"), "what-s-new");
        assert_eq!(make_id("日本語"), "");
    }

    #[test]
    fn repeated_names_get_numbered_ids() {
        let mut ids = IdRegistry::default();
        assert_eq!(ids.for_name("web_hooks"), "web-hooks");
        assert_eq!(ids.for_name("Web Hooks"), "id1");
        assert_eq!(ids.for_name("Usage"), "usage");
        assert_eq!(ids.for_name("usage"), "id2");
        assert_eq!(ids.for_name("!!!"), "id3");
    }

    #[test]
    fn names_fold_case_and_space() {
        assert_eq!(normalize_name("  Getting\n  Started "), "getting started");
    }
}
