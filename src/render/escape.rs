//! Escaping, one function per context a value can land in. Each is tested with hostile
//! input; callers pick the function for where the text goes, never a general one.
//!
//! Contexts: HTML text, HTML attribute, URL attribute, JavaScript string literal, JSON
//! inside a `<script>` element, and a JavaScript `//` comment. The script contexts also
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
}
