//! Escaping, one function per context a value can land in. Each is tested with hostile
//! input; callers pick the function for where the text goes, never a general one.
//!
//! Contexts: HTML text, HTML attribute, URL attribute, JavaScript string literal, JSON
//! inside a `<script>` element, a JavaScript `//` comment, XML text, a URL path that
//! must be valid as written, and JSON in a `.js` file of its own. The script contexts also
//! guard against the HTML parser, which ends a script element at the first `</script`
//! whatever the JavaScript around it means, and against U+2028/U+2029, which end a
//! line in older JavaScript engines.

/// Text between HTML tags.
pub fn html_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_html_text(&mut out, text);
    out
}

/// Appends `text` escaped for use between HTML tags.
pub fn push_html_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
}

/// A double- or single-quoted HTML attribute value.
pub fn html_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A URL placed in an `href` or `src` attribute: `javascript:` and other script URLs are
/// neutralised, then the value is escaped as an attribute.
pub fn url_attribute(url: &str) -> String {
    let scheme: String = url
        .trim_start()
        .chars()
        .take_while(|c| *c != ':')
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    let has_scheme = url.contains(':') && !scheme.contains(['/', '?', '#']);
    if has_scheme && matches!(scheme.as_str(), "javascript" | "vbscript" | "data") {
        // `data:` stays allowed for images only, where the caller passes it explicitly.
        return "#".to_string();
    }
    html_attribute(url)
}

/// A JavaScript string literal, quotes included, safe inside a `<script>` element.
pub fn js_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            _ if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            _ => push_script_char(&mut out, c),
        }
    }
    out.push('"');
    out
}

/// JSON text made safe to place inside a `<script>` element: serde_json's output is a
/// valid JavaScript literal, but `</script>` or `<!--` inside a string would still end
/// or confuse the element. Every value reads back the same. (serde_json already escapes
/// control characters inside strings, so the line breaks of pretty output stay.)
pub fn json_in_script(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        push_script_char(&mut out, c);
    }
    out
}

/// The text of a `//` comment inside a `<script>` element: one line, and no sequence
/// that the HTML parser would read as the end of the element or a comment start.
pub fn js_comment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' | '\r' | '\u{2028}' | '\u{2029}' => out.push(' '),
            '<' if matches!(chars.peek(), Some('/' | '!')) => out.push_str("<\\"),
            _ if c.is_control() => {}
            _ => out.push(c),
        }
    }
    out
}

/// Characters that are harmless in JavaScript but not to the HTML parser around it.
fn push_script_char(out: &mut String, c: char) {
    match c {
        '<' => out.push_str("\\u003c"),
        '>' => out.push_str("\\u003e"),
        '&' => out.push_str("\\u0026"),
        '\u{2028}' => out.push_str("\\u2028"),
        '\u{2029}' => out.push_str("\\u2029"),
        _ => out.push(c),
    }
}

/// Text inside an XML element (sitemaps). Quotes are escaped too, so the same text is
/// also safe in a quoted XML attribute.
pub fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// A path written where a URL must be valid as it stands (sitemaps, `_redirects`,
/// canonical links): every byte outside RFC 3986's unreserved characters and `/` is
/// percent-encoded, so `a b/é.html` becomes `a%20b/%C3%A9.html`.
pub fn url_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/');
        if keep {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// JSON text (as serde_json writes it) made pure ASCII for a `.js` file: every other
/// character becomes a `\u` escape, so the file reads the same whatever encoding a
/// browser or server assumes for it, and U+2028/U+2029 cannot end a line.
pub fn ascii_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut units = [0u16; 2];
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        for unit in c.encode_utf16(&mut units) {
            out.push_str(&format!("\\u{unit:04x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_open_tags() {
        assert_eq!(
            html_text("<script>a && b</script>"),
            "&lt;script&gt;a &amp;&amp; b&lt;/script&gt;"
        );
    }

    #[test]
    fn attributes_cannot_close_their_quotes() {
        assert_eq!(
            html_attribute(r#"x" onload="y' z"#),
            "x&quot; onload=&quot;y&#39; z"
        );
    }

    #[test]
    fn script_urls_are_neutralised() {
        assert_eq!(url_attribute("javascript:alert(1)"), "#");
        assert_eq!(url_attribute(" JaVa\tScript:alert(1)"), "#");
        assert_eq!(
            url_attribute("guide/setup.html#a\"b"),
            "guide/setup.html#a&quot;b"
        );
        assert_eq!(
            url_attribute("https://example.com/?q=a&b"),
            "https://example.com/?q=a&amp;b"
        );
    }

    const HOSTILE: &str = "</script><script>alert(1)</script><!-- \"'\\ \u{2028}\u{2029}&";

    #[test]
    fn js_string_cannot_close_the_script_or_the_literal() {
        let literal = js_string(HOSTILE);
        assert!(!literal.contains("</"), "{literal}");
        assert!(!literal.contains("<!--"), "{literal}");
        assert!(!literal.contains('\u{2028}') && !literal.contains('\u{2029}'));
        // The literal is also valid JSON, so a JSON parser can read it back.
        let back: String = serde_json::from_str(&literal).unwrap();
        assert_eq!(back, HOSTILE);
    }

    #[test]
    fn json_in_script_keeps_every_value_and_hides_markup() {
        let value = serde_json::json!({ "note": HOSTILE, "nested": [HOSTILE] });
        let escaped = json_in_script(&serde_json::to_string(&value).unwrap());
        for bad in ["<", ">", "&", "\u{2028}", "\u{2029}"] {
            assert!(!escaped.contains(bad), "{bad} left in {escaped}");
        }
        let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn js_comment_stays_on_one_line_and_inside_the_script() {
        let comment = js_comment("Line one\nline two </script><!-- \u{2028}x");
        assert_eq!(comment, "Line one line two <\\/script><\\!--  x");
    }

    #[test]
    fn xml_text_cannot_open_elements_or_close_attributes() {
        assert_eq!(
            xml_text("</loc><x a='1'>&amp;\""),
            "&lt;/loc&gt;&lt;x a=&apos;1&apos;&gt;&amp;amp;&quot;"
        );
    }

    #[test]
    fn url_paths_are_percent_encoded_byte_by_byte() {
        assert_eq!(url_path("guide/set up.html"), "guide/set%20up.html");
        assert_eq!(url_path("é/\"><script>"), "%C3%A9/%22%3E%3Cscript%3E");
        assert_eq!(url_path("a?b#c&d%"), "a%3Fb%23c%26d%25");
        assert_eq!(url_path("ok/plain-name_1.0~x"), "ok/plain-name_1.0~x");
    }

    #[test]
    fn json_for_script_files_is_ascii_and_still_the_same_value() {
        let value = serde_json::json!({"t": "é \u{2028} 😀 </script>"});
        let ascii = ascii_json(&value.to_string());
        assert!(ascii.is_ascii(), "{ascii}");
        assert!(ascii.contains("\\u00e9") && ascii.contains("\\u2028"));
        assert!(
            ascii.contains("\\ud83d\\ude00"),
            "astral characters as surrogate pairs"
        );
        let back: serde_json::Value = serde_json::from_str(&ascii).unwrap();
        assert_eq!(back, value);
    }
}
