//! The talkable-2015 Sphinx tree builds unchanged into the same site Sphinx makes of it.
//!
//! `tests/corpus/sphinx_expected.py` built the tree with Sphinx and kept the facts that
//! matter for a move (titles, heading ids in order, `:ref:` targets and texts, code
//! languages, syntax left in the text) in `tests/corpus/talkable-2015.sphinx.json`. This
//! test builds a copy of the tree with loopbook and compares every page with those
//! facts; any difference fails it, page by page. The visible text and every code block
//! are compared through hashes, so no page text of the corpus is kept here.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use common::{copy_tree, loopbook};

const EXPECTED: &str = include_str!("corpus/talkable-2015.sphinx.json");

/// The facts of one built page, in the shape the Sphinx side records.
#[derive(Debug, Default, PartialEq)]
struct PageFacts {
    headings: Vec<(u64, String, String)>,
    links: Vec<(String, String)>,
    languages: Vec<String>,
    visible: String,
    code_blocks: Vec<String>,
}

/// Pages whose visible text differs from Sphinx's on purpose, and why.
const TEXT_DIFFERS_ON_PURPOSE: &[(&str, &str)] = &[(
    "campaigns/editor/variables",
    "a list-table's options are indented one space deeper than its rows; Sphinx reads \
     them as the table's title and shows `:widths: 25 25 50 :header-rows: 1`, loopbook \
     reads them as the options they were meant to be",
)];

/// 64-bit FNV-1a, as `tests/corpus/sphinx_expected.py` computes it.
fn fnv1a(text: &str) -> String {
    let mut value: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        value = (value ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{value:016x}")
}

#[test]
fn talkable_corpus_builds_with_sphinx_titles_ids_refs_and_languages() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/talkable-2015");
    let work = tempfile::tempdir().unwrap();
    copy_tree(&corpus, work.path());
    let run = loopbook(
        &["--color", "never", "build", work.path().to_str().unwrap()],
        work.path(),
    );
    run.expect_success();

    let expected: Value = serde_json::from_str(EXPECTED).unwrap();
    let pages = expected["pages"].as_object().unwrap();
    assert_eq!(pages.len(), 81, "the Sphinx side has every page");
    assert!(run.stderr.contains("Built 81 pages"), "{}", run.stderr);

    let mut problems = Vec::new();
    for (page, facts) in pages {
        let html = std::fs::read_to_string(work.path().join(format!("public/{page}.html")))
            .unwrap_or_else(|_| panic!("loopbook wrote no {page}.html"));
        let built = page_facts(&html, page);
        compare_page(page, facts, &built, &mut problems);
    }
    assert!(
        problems.is_empty(),
        "{} differences from Sphinx:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn talkable_corpus_reports_only_its_real_problems() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/talkable-2015");
    let work = tempfile::tempdir().unwrap();
    copy_tree(&corpus, work.path());
    let run = loopbook(
        &["--color", "never", "build", work.path().to_str().unwrap()],
        work.path(),
    );
    run.expect_success();
    let mut reported: Vec<(String, String)> =
        run.headlines().into_iter().zip(run.locations()).collect();
    reported.sort();
    let missing = "warning: included file `/partials/passing_custom_data.rst` does not exist";
    assert_eq!(
        reported,
        [
            (
                missing.to_string(),
                "source/standalone.rst:101:1".to_string()
            ),
            (
                missing.to_string(),
                "source/standalone.rst:16:1".to_string()
            ),
        ],
        "{}",
        run.stderr
    );
}

fn compare_page(page: &str, expected: &Value, built: &PageFacts, problems: &mut Vec<String>) {
    let expected_headings: Vec<(u64, String, String)> = expected["headings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h[0].as_u64().unwrap(),
                h[1].as_str().unwrap().to_string(),
                h[2].as_str().unwrap().to_string(),
            )
        })
        .collect();
    if expected_headings != built.headings {
        problems.push(format!(
            "{page}: headings differ\n  sphinx:   {expected_headings:?}\n  loopbook: {:?}",
            built.headings
        ));
    }
    let title = expected["title"].as_str().map(str::to_string);
    if title != built.headings.first().map(|h| h.2.clone()) {
        problems.push(format!("{page}: title differs: sphinx {title:?}"));
    }

    for reference in expected["refs"].as_array().unwrap() {
        let target = reference[0].as_str().unwrap().to_string();
        let text = reference[1].as_str().unwrap().to_string();
        if !built.links.contains(&(target.clone(), text.clone())) {
            problems.push(format!(
                "{page}: no link `{text}` -> {target}; loopbook links: {:?}",
                built.links
            ));
        }
    }

    let languages: Vec<String> = expected["code_languages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect();
    if languages != built.languages {
        problems.push(format!(
            "{page}: code languages differ\n  sphinx:   {languages:?}\n  loopbook: {:?}",
            built.languages
        ));
    }

    let text: String = built.visible.split_whitespace().collect();
    let on_purpose = TEXT_DIFFERS_ON_PURPOSE
        .iter()
        .any(|(name, _)| *name == page);
    if expected["text_hash"].as_str() != Some(fnv1a(&text).as_str()) && !on_purpose {
        problems.push(format!("{page}: the visible text differs from Sphinx's"));
    }
    if on_purpose && expected["text_hash"].as_str() == Some(fnv1a(&text).as_str()) {
        problems.push(format!(
            "{page}: listed as differing on purpose, but it is the same"
        ));
    }
    let code_hashes: Vec<String> = built.code_blocks.iter().map(|code| fnv1a(code)).collect();
    let expected_code: Vec<&str> = expected["code_hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hash| hash.as_str().unwrap())
        .collect();
    for (number, (built_hash, sphinx_hash)) in code_hashes.iter().zip(&expected_code).enumerate() {
        if built_hash != sphinx_hash {
            problems.push(format!(
                "{page}: code block {} differs from Sphinx's: {:?}",
                number + 1,
                built.code_blocks[number]
            ));
        }
    }
    if code_hashes.len() != expected_code.len() {
        problems.push(format!(
            "{page}: {} code blocks, Sphinx has {}",
            code_hashes.len(),
            expected_code.len()
        ));
    }

    for (name, count) in syntax_counts(&built.visible) {
        let allowed = expected["syntax_in_text"][name].as_u64().unwrap_or(0) as usize;
        if count > allowed {
            problems.push(format!(
                "{page}: reStructuredText {name} syntax shows {count} times (Sphinx: {allowed})"
            ));
        }
    }
}

/// Headings, links, code languages and visible text of a loopbook page's article.
fn page_facts(html: &str, page: &str) -> PageFacts {
    let start = html.find("<article").expect("page has an article");
    let end = html.rfind("</article>").expect("article is closed");
    let article = &html[start..end];
    let mut facts = PageFacts::default();
    let mut heading: Option<(u64, String, String)> = None;
    let mut link: Option<(String, String)> = None;
    let mut in_pre = 0;
    let mut code = String::new();
    let mut in_anchor = false;
    let mut rest = article;
    while let Some(open) = rest.find('<') {
        let text = decode(&rest[..open]);
        if !in_anchor {
            if let Some((_, _, title)) = &mut heading {
                title.push_str(&text);
            }
            if let Some((_, link_text)) = &mut link {
                link_text.push_str(&text);
            }
            if in_pre == 0 {
                facts.visible.push_str(&text);
                facts.visible.push(' ');
            } else {
                code.push_str(&text);
            }
        }
        let close = rest[open..].find('>').map_or(rest.len(), |i| open + i + 1);
        let tag = &rest[open..close];
        rest = &rest[close..];
        let name: String = tag
            .trim_start_matches(['<', '/'])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let closing = tag.starts_with("</");
        match (name.as_str(), closing) {
            ("h1" | "h2" | "h3" | "h4" | "h5" | "h6", false) => {
                if let Some(id) = attribute(tag, "id") {
                    heading = Some((name[1..].parse().unwrap(), id, String::new()));
                }
            }
            ("h1" | "h2" | "h3" | "h4" | "h5" | "h6", true) => {
                if let Some((level, id, title)) = heading.take() {
                    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
                    facts.headings.push((level, id, title));
                }
            }
            ("a", false) if attribute(tag, "class").as_deref() == Some("lb-anchor") => {
                in_anchor = true;
            }
            ("a", false) => {
                link = attribute(tag, "href").map(|href| (absolute(page, &href), String::new()));
            }
            ("a", true) => {
                in_anchor = false;
                if let Some((target, text)) = link.take() {
                    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                    facts.links.push((target, text));
                }
            }
            ("div", false) if attribute(tag, "class").as_deref() == Some("lb-code") => {
                facts
                    .languages
                    .push(attribute(tag, "data-lang").unwrap_or_default());
            }
            ("pre", false) => in_pre += 1,
            ("pre", true) => {
                in_pre -= 1;
                facts.code_blocks.push(std::mem::take(&mut code));
            }
            _ => {}
        }
    }
    facts
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let end = tag[start..].find('"')? + start;
    Some(decode(&tag[start..end]))
}

fn decode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let Some(semi) = after.find(';').filter(|semi| *semi < 10) else {
            out.push('&');
            rest = &after[1..];
            continue;
        };
        let entity = &after[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            "rarr" => Some('→'),
            "larr" => Some('←'),
            "harr" => Some('↔'),
            "mdash" => Some('—'),
            "ndash" => Some('–'),
            "hellip" => Some('…'),
            "laquo" => Some('«'),
            "raquo" => Some('»'),
            "bull" => Some('•'),
            "middot" => Some('·'),
            "times" => Some('×'),
            "copy" => Some('©'),
            "reg" => Some('®'),
            "trade" => Some('™'),
            _ => entity
                .strip_prefix("#x")
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A link as `doc#anchor` from the site root, as the Sphinx side writes them.
fn absolute(page: &str, href: &str) -> String {
    let (path, fragment) = href.split_once('#').unwrap_or((href, ""));
    let target = if path.is_empty() {
        page.to_string()
    } else {
        let mut parts: Vec<&str> = page.split('/').collect();
        parts.pop();
        for part in path.split('/') {
            match part {
                ".." => {
                    parts.pop();
                }
                "." | "" => {}
                part => parts.push(part),
            }
        }
        let joined = parts.join("/");
        joined.strip_suffix(".html").unwrap_or(&joined).to_string()
    };
    if fragment.is_empty() {
        target
    } else {
        format!("{target}#{fragment}")
    }
}

/// How often each kind of reStructuredText syntax occurs in `text` (the same patterns
/// as `syntax_patterns` in the JSON, matched left to right without overlap).
fn syntax_counts(text: &str) -> BTreeMap<&'static str, usize> {
    let chars: Vec<char> = text.chars().collect();
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut counts = BTreeMap::new();
    let count = |matcher: &dyn Fn(usize) -> Option<usize>| {
        let mut found = 0;
        let mut index = 0;
        while index < chars.len() {
            match matcher(index) {
                Some(end) => {
                    found += 1;
                    index = end;
                }
                None => index += 1,
            }
        }
        found
    };
    let at = |i: usize, c: char| chars.get(i) == Some(&c);
    let run = |mut i: usize, ok: &dyn Fn(char) -> bool| {
        while chars.get(i).is_some_and(|c| ok(*c)) {
            i += 1;
        }
        i
    };
    counts.insert(
        "role",
        count(&|i| {
            (at(i, ':') && chars.get(i + 1)?.is_ascii_alphabetic()).then_some(())?;
            let end = run(i + 1, &name_char);
            (at(end, ':') && at(end + 1, '`')).then_some(end + 2)
        }),
    );
    counts.insert(
        "directive",
        count(&|i| {
            (at(i, '.') && at(i + 1, '.') && at(i + 2, ' ')).then_some(())?;
            chars.get(i + 3)?.is_ascii_alphabetic().then_some(())?;
            let end = run(i + 3, &name_char);
            (at(end, ':') && at(end + 1, ':')).then_some(end + 2)
        }),
    );
    counts.insert(
        "substitution",
        count(&|i| {
            (at(i, '|') && chars.get(i + 1).is_some_and(|c| name_char(*c) && *c != '-'))
                .then_some(())?;
            let end = run(i + 1, &|c| name_char(c) || c == ' ');
            at(end, '|').then_some(end + 1)
        }),
    );
    counts.insert(
        "embedded_link",
        count(&|i| {
            at(i, '`').then_some(())?;
            let close = (i + 1..chars.len()).find(|j| chars[*j] == '`')?;
            let inner: String = chars[i + 1..close].iter().collect();
            let ok = inner.contains(" <") && inner.ends_with('>') && at(close + 1, '_');
            ok.then_some(close + 2)
        }),
    );
    counts.insert(
        "strong",
        count(&|i| {
            (at(i, '*') && at(i + 1, '*')).then_some(())?;
            let first = *chars.get(i + 2)?;
            (first != '*' && !first.is_whitespace()).then_some(())?;
            let end = run(i + 2, &|c| c != '*');
            (at(end, '*') && at(end + 1, '*')).then_some(end + 2)
        }),
    );
    counts.insert(
        "literal",
        count(&|i| {
            (at(i, '`') && at(i + 1, '`')).then_some(())?;
            let end = run(i + 2, &|c| c != '`');
            (end > i + 2 && at(end, '`') && at(end + 1, '`')).then_some(end + 2)
        }),
    );
    counts
}

#[test]
fn syntax_counter_finds_each_kind_once() {
    let counts =
        syntax_counts("a :ref:`x` .. note:: |name| `t <http://x>`_ **b** ``c`` plain | not | here");
    for (name, count) in counts {
        assert_eq!(count, 1, "{name}");
    }
}
