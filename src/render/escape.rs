//! Escaping, one function per context a value can land in. Each is tested with hostile
//! input; callers pick the function for where the text goes, never a general one.

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
}
