//! Footnotes and citations, numbered and marked as docutils does.
//!
//! While a page is parsed, each footnote or citation definition (`.. [5]`, `.. [#]`,
//! `.. [#note]`, `.. [*]`, `.. [CIT2002]`) and each reference (`[5]_`, `[#]_`, …) is
//! recorded under its label, the anonymous ones told apart by their order (the second
//! `[#]` and the second `[#]_` share a label). When the page is read, [`Footnotes::number`]
//! gives each definition its mark: a number written by hand stays; auto-numbered
//! footnotes, anonymous or labelled, take the lowest numbers no hand-numbered footnote
//! has, in the order they are defined; `[*]` footnotes take docutils' symbols in order;
//! a citation shows its label. Each also gets the key the page's model knows it by.

use std::collections::{HashMap, HashSet};

use crate::doc::Location;

/// Labels of anonymous footnotes start with these, followed by their place in order.
/// NUL never survives line preparation, so no written label looks like them.
const ANONYMOUS: &str = "\0#";
const SYMBOL: &str = "\0*";

/// docutils' footnote symbols; after the last, they are used twice over, then thrice.
const SYMBOLS: [char; 10] = ['*', '†', '‡', '§', '¶', '#', '♠', '♥', '♦', '♣'];

/// The footnotes and citations of one page.
#[derive(Debug, Default)]
pub(super) struct Footnotes {
    anonymous_definitions: usize,
    symbol_definitions: usize,
    anonymous_references: usize,
    symbol_references: usize,
    /// Definitions' labels in page order.
    definitions: Vec<String>,
    /// References' labels in page order, with where each is written.
    references: Vec<(String, Location)>,
    /// Each defined label's key and mark, once numbered.
    numbered: HashMap<String, Numbered>,
}

#[derive(Debug)]
struct Numbered {
    /// The label in the model: unique on the page, and plain enough for an anchor.
    key: String,
    /// What the reader sees.
    mark: String,
}

impl Footnotes {
    /// Records a definition written `.. [label]`; returns the label it is known by.
    pub(super) fn define(&mut self, label: String) -> String {
        let label = match label.as_str() {
            "#" => numbered_label(ANONYMOUS, &mut self.anonymous_definitions),
            "*" => numbered_label(SYMBOL, &mut self.symbol_definitions),
            _ => label,
        };
        self.definitions.push(label.clone());
        label
    }

    /// Records a reference written `[label]_` at `at`; returns the label it is known by.
    pub(super) fn refer(&mut self, label: String, at: Location) -> String {
        let label = match label.as_str() {
            "#" => numbered_label(ANONYMOUS, &mut self.anonymous_references),
            "*" => numbered_label(SYMBOL, &mut self.symbol_references),
            _ => label,
        };
        self.references.push((label.clone(), at));
        label
    }

    /// Gives every definition its key and mark (the first of two with one label wins),
    /// and returns the references that name no definition.
    pub(super) fn number(&mut self) -> Vec<(String, Location)> {
        let by_hand: HashSet<u64> = self
            .definitions
            .iter()
            .filter_map(|label| hand_number(label))
            .collect();
        let mut next_number = 1;
        for label in &self.definitions {
            if self.numbered.contains_key(label) {
                continue;
            }
            let numbered = if hand_number(label).is_some() {
                Numbered {
                    key: label.clone(),
                    mark: label.clone(),
                }
            } else if let Some(place) = label.strip_prefix(SYMBOL) {
                let place: usize = place.parse().unwrap_or(1);
                Numbered {
                    key: format!("symbol-{place}"),
                    mark: symbol(place),
                }
            } else if label.starts_with('#') || label.starts_with(ANONYMOUS) {
                while by_hand.contains(&next_number) {
                    next_number += 1;
                }
                let number = next_number.to_string();
                next_number += 1;
                // A labelled one keeps its label, so its anchor survives renumbering.
                let key = match label.starts_with(ANONYMOUS) {
                    true => number.clone(),
                    false => label.clone(),
                };
                Numbered { key, mark: number }
            } else {
                Numbered {
                    key: label.clone(),
                    mark: label.clone(),
                }
            };
            self.numbered.insert(label.clone(), numbered);
        }
        self.references
            .iter()
            .filter(|(label, _)| !self.numbered.contains_key(label))
            .cloned()
            .collect()
    }

    /// The key of a defined label, once [`number`](Self::number) has run.
    pub(super) fn key(&self, label: &str) -> Option<&str> {
        self.numbered
            .get(label)
            .map(|numbered| numbered.key.as_str())
    }

    /// Each definition's key with its mark, in page order.
    pub(super) fn marks(&self) -> Vec<(String, String)> {
        let mut seen = HashSet::new();
        self.definitions
            .iter()
            .filter(|label| seen.insert(label.as_str()))
            .filter_map(|label| self.numbered.get(label))
            .map(|numbered| (numbered.key.clone(), numbered.mark.clone()))
            .collect()
    }
}

/// What a recorded label names, and the reference as it was written: `("footnote",
/// "[#]_")`, `("citation", "[CIT2002]_")`.
pub(super) fn describe(label: &str) -> (&'static str, String) {
    if label.starts_with(ANONYMOUS) {
        return ("footnote", "[#]_".to_string());
    }
    if label.starts_with(SYMBOL) {
        return ("footnote", "[*]_".to_string());
    }
    let what = if label.starts_with('#') || hand_number(label).is_some() {
        "footnote"
    } else {
        "citation"
    };
    (what, format!("[{label}]_"))
}

fn numbered_label(prefix: &str, count: &mut usize) -> String {
    *count += 1;
    format!("{prefix}{count}")
}

fn hand_number(label: &str) -> Option<u64> {
    if label.is_empty() || !label.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    label.parse().ok()
}

/// The `place`-th symbol mark (1-based): `*`, `†`, … `♣`, then `**`, `††`, ….
fn symbol(place: usize) -> String {
    let index = place.saturating_sub(1);
    let times = index / SYMBOLS.len() + 1;
    SYMBOLS[index % SYMBOLS.len()].to_string().repeat(times)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u32) -> Location {
        Location::new(crate::doc::FileId(0), line, 1)
    }

    #[test]
    fn numbers_follow_docutils() {
        let mut footnotes = Footnotes::default();
        let labels: Vec<String> = ["#", "2", "#note", "*", "CIT2002", "#", "*", "5"]
            .iter()
            .map(|label| footnotes.define(label.to_string()))
            .collect();
        let undefined = footnotes.number();
        assert!(undefined.is_empty());
        let marks = footnotes.marks();
        let marks: Vec<(&str, &str)> = marks
            .iter()
            .map(|(key, mark)| (key.as_str(), mark.as_str()))
            .collect();
        // Hand numbers stay; auto numbers skip them, in the order defined.
        assert_eq!(
            marks,
            [
                ("1", "1"),
                ("2", "2"),
                ("#note", "3"),
                ("symbol-1", "*"),
                ("CIT2002", "CIT2002"),
                ("4", "4"),
                ("symbol-2", "†"),
                ("5", "5"),
            ]
        );
        assert_eq!(footnotes.key(&labels[2]), Some("#note"));
        assert_eq!(footnotes.key(&labels[0]), Some("1"));
    }

    #[test]
    fn references_pair_with_definitions_in_order_and_strays_are_returned() {
        let mut footnotes = Footnotes::default();
        footnotes.define("#".into());
        footnotes.define("5".into());
        let first = footnotes.refer("#".into(), at(1));
        let second = footnotes.refer("#".into(), at(2));
        let five = footnotes.refer("5".into(), at(3));
        footnotes.refer("nope".into(), at(4));
        let undefined = footnotes.number();
        assert_eq!(footnotes.key(&first), Some("1"));
        assert_eq!(footnotes.key(&five), Some("5"));
        let strays: Vec<(String, u32)> = undefined
            .iter()
            .map(|(label, at)| (describe(label).1, at.line))
            .collect();
        assert_eq!(
            strays,
            [("[#]_".to_string(), 2), ("[nope]_".to_string(), 4)]
        );
        assert_eq!(footnotes.key(&second), None);
        assert_eq!(describe("nope").0, "citation");
    }

    #[test]
    fn symbols_repeat_after_the_tenth() {
        assert_eq!(symbol(1), "*");
        assert_eq!(symbol(10), "♣");
        assert_eq!(symbol(11), "**");
        assert_eq!(symbol(22), "†††");
    }
}
