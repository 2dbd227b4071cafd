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
}
