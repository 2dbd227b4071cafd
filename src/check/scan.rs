//! Reading a rendered HTML file for what `check` follows: the anchors it offers (`id`,
//! and `name` on `<a>`) and the URLs it points at (`href`, `src`, `srcset`, `poster`,
//! a form's `action`, a refresh's `url=`).
//!
//! A scanner, not a parser: it walks the tags, skips comments and the raw text of
//! `<script>`, `<style>`, `<textarea>` and `<title>`, and decodes the character
//! references attribute values use. It never fails; what it cannot read it skips.

use std::collections::HashSet;

/// What one HTML file offers and points at.
#[derive(Debug, Default)]
pub struct Scanned {
    pub ids: HashSet<String>,
    pub links: Vec<FoundUrl>,
}

/// A URL found in an attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundUrl {
    /// The URL with character references decoded.
    pub url: String,
    /// Whether the page loads it (an image, script, stylesheet) rather than links to it.
    pub resource: bool,
}

/// Scans one HTML file.
pub fn scan(html: &str) -> Scanned {
    let mut scanned = Scanned::default();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        rest = &rest[open..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        if rest.starts_with("</") || rest.starts_with("<!") || rest.starts_with("<?") {
            rest = rest.find('>').map_or("", |end| &rest[end + 1..]);
            continue;
        }
        let (tag, after) = read_tag(&rest[1..]);
        rest = after;
        let Some(tag) = tag else { continue };
        collect(&tag, &mut scanned);
        if let Some(raw) = ["script", "style", "textarea", "title"]
            .iter()
            .find(|raw| tag.name == **raw)
        {
            let close = format!("</{raw}");
            rest = find_ignoring_case(rest, &close).map_or("", |end| &rest[end..]);
        }
    }
    scanned
}

struct Tag {
    name: String,
    attributes: Vec<(String, String)>,
}

impl Tag {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Reads a start tag from just after its `<`; returns it (if it is one) and the text
/// after it.
fn read_tag(text: &str) -> (Option<Tag>, &str) {
    let name_length = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or(text.len());
    if name_length == 0 {
        return (None, text);
    }
    let name = text[..name_length].to_ascii_lowercase();
    let mut rest = &text[name_length..];
    let mut attributes = Vec::new();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if let Some(after) = rest.strip_prefix('>') {
            rest = after;
            break;
        }
        if let Some(after) = rest.strip_prefix('/') {
            rest = after;
            continue;
        }
        let key_length = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '=' | '>' | '/'))
            .unwrap_or(rest.len())
            .max(1);
        let key = rest[..key_length].to_ascii_lowercase();
        rest = rest[key_length..].trim_start();
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            let (raw, after) = attribute_value(after.trim_start());
            value = decode_references(raw);
            rest = after;
        }
        attributes.push((key, value));
    }
    (Some(Tag { name, attributes }), rest)
}

fn attribute_value(text: &str) -> (&str, &str) {
    for quote in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(quote) {
            return match inner.find(quote) {
                Some(end) => (&inner[..end], &inner[end + 1..]),
                None => (inner, ""),
            };
        }
    }
    let end = text
        .find(|c: char| c.is_whitespace() || c == '>')
        .unwrap_or(text.len());
    (&text[..end], &text[end..])
}

fn collect(tag: &Tag, scanned: &mut Scanned) {
    if let Some(id) = tag.attribute("id") {
        scanned.ids.insert(id.to_string());
    }
    if tag.name == "a"
        && let Some(name) = tag.attribute("name")
    {
        scanned.ids.insert(name.to_string());
    }

    let mut found = |url: &str, resource: bool| {
        let url = url.trim();
        if !url.is_empty() {
            scanned.links.push(FoundUrl {
                url: url.to_string(),
                resource,
            });
        }
    };
    // A stylesheet, icon or preload is fetched with the page; other `<link>`s are links.
    let loaded_link = tag.name == "link"
        && tag.attribute("rel").is_some_and(|rel| {
            rel.split_whitespace().any(|rel| {
                matches!(
                    rel.to_ascii_lowercase().as_str(),
                    "stylesheet" | "icon" | "preload" | "modulepreload" | "manifest"
                )
            })
        });
    for (key, value) in &tag.attributes {
        match key.as_str() {
            "href" => found(value, loaded_link),
            "src" | "poster" => found(value, true),
            "action" if tag.name == "form" => found(value, false),
            "srcset" => {
                for candidate in value.split(',') {
                    if let Some(url) = candidate.split_whitespace().next() {
                        found(url, true);
                    }
                }
            }
            _ => {}
        }
    }
    let refresh = tag.name == "meta"
        && tag
            .attribute("http-equiv")
            .is_some_and(|value| value.eq_ignore_ascii_case("refresh"));
    if refresh && let Some(content) = tag.attribute("content") {
        let lower = content.to_ascii_lowercase();
        if let Some(start) = lower.find("url=") {
            found(content[start + 4..].trim_matches(['\'', '"', ' ']), false);
        }
    }
}

/// Decodes `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;` and numeric references; other
/// references are left as written.
fn decode_references(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semicolon) = rest.find(';').filter(|end| *end <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..semicolon];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => numeric_reference(name),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semicolon + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn numeric_reference(name: &str) -> Option<char> {
    let digits = name.strip_prefix('#')?;
    let value = match digits.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => digits.parse().ok()?,
    };
    char::from_u32(value)
}

fn find_ignoring_case(haystack: &str, needle: &str) -> Option<usize> {
    let lower = haystack.to_ascii_lowercase();
    lower.find(&needle.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(html: &str) -> Vec<(String, bool)> {
        scan(html)
            .links
            .into_iter()
            .map(|link| (link.url, link.resource))
            .collect()
    }

    #[test]
    fn links_resources_and_ids_are_found() {
        let html = r#"<!DOCTYPE html><html><head>
            <link rel="stylesheet" href="theme/a.css">
            <link rel="canonical" href='https://x.example/'>
            <meta http-equiv="refresh" content="0; url=new.html#top">
            <script src="theme/a.js">if (a < b) { x = "<a href='nope.html'>"; }</script>
            </head><body><a href="b.html?x=1&amp;y=2#sec" id="top">x</a>
            <!-- <a href="commented.html"> -->
            <img src=img/p.png alt=x srcset="img/p1.png 1x, img/p2.png 2x">
            <form action="search/index.html"><input name=q></form>
            <a name="legacy"></a><h2 id="sec">S</h2></body></html>"#;
        assert_eq!(
            urls(html),
            [
                ("theme/a.css".into(), true),
                ("https://x.example/".into(), false),
                ("new.html#top".into(), false),
                ("theme/a.js".into(), true),
                ("b.html?x=1&y=2#sec".into(), false),
                ("img/p.png".into(), true),
                ("img/p1.png".into(), true),
                ("img/p2.png".into(), true),
                ("search/index.html".into(), false),
            ]
        );
        let ids = scan(html).ids;
        for id in ["top", "legacy", "sec"] {
            assert!(ids.contains(id), "{id}");
        }
    }

    #[test]
    fn broken_markup_never_panics() {
        for html in [
            "<",
            "<a",
            "<a href=\"x",
            "<a href=",
            "<!--",
            "<script>",
            "&#xZZ; <a href=&#1114112;>",
        ] {
            let _ = scan(html);
        }
        assert_eq!(decode_references("&#x41;&#66;&bogus;&amp"), "AB&bogus;&amp");
    }
}
