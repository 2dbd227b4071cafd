//! Syntax highlighting with syntect, as CSS classes (`hl-…`), so one stylesheet serves
//! light and dark mode and themes can restyle code.
//!
//! The syntax set (syntect's plus two-face's extra languages) loads on first use, so a
//! site without code never pays for it. Highlighting works line by line and can close
//! and reopen its spans at every line end, which is what line numbers and emphasised
//! lines need: each line becomes a self-contained piece of HTML.

use std::sync::LazyLock;

use syntect::html::{ClassStyle, css_for_theme_with_class_style, line_tokens_to_classed_spans};
use syntect::parsing::{ParseState, ScopeStack, SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

use super::escape::push_html_text;

const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(two_face::syntax::extra_newlines);

/// Languages that mean "no highlighting", accepted without a warning.
const PLAIN: &[&str] = &[
    "text", "txt", "plain", "none", "output", "default", "url", "raw",
];

/// The outcome of looking up a language name.
pub enum Language {
    Plain,
    Known(&'static SyntaxReference),
    Unknown,
}

/// Finds the syntax for a language name as written in a code fence or directive.
pub fn find_language(name: Option<&str>, code: &str) -> Language {
    let Some(name) = name.map(str::trim).filter(|name| !name.is_empty()) else {
        return Language::Plain;
    };
    let lower = name.to_ascii_lowercase();
    if PLAIN.contains(&lower.as_str()) {
        return Language::Plain;
    }
    let syntaxes = &*SYNTAXES;
    let by_name = |syntax_name: &str| syntaxes.find_syntax_by_name(syntax_name);
    let found = match lower.as_str() {
        "objc" | "objective-c" | "obj-c" | "objectivec" => by_name("Objective-C"),
        "liquid" | "jinja" | "jinja2" | "twig" | "django" | "handlebars" | "hbs" => {
            by_name("HTML (Twig)")
        }
        "erb" | "html+erb" | "rhtml" => by_name("HTML (Rails)"),
        "shell" | "sh" | "console" | "zsh" | "shell-session" | "bash" => {
            by_name("Bourne Again Shell (bash)")
        }
        // Sphinx highlights PHP without the opening tag; syntect needs "PHP Source" for that.
        "php" | "html+php" | "php3" | "php4" | "php5" if !code.contains("<?") => {
            by_name("PHP Source")
        }
        "html+php" => by_name("PHP"),
        "js" | "javascript" | "node" => by_name("JavaScript"),
        "json" | "jsonc" | "json5" => by_name("JSON"),
        "yml" => by_name("YAML"),
        "xml" | "svg" | "xhtml" => by_name("XML"),
        "py" | "python3" | "py3" => by_name("Python"),
        "rb" => by_name("Ruby"),
        "c#" | "csharp" => by_name("C#"),
        "kt" => by_name("Kotlin"),
        "ts" => by_name("TypeScript"),
        "postgresql" | "mysql" | "psql" => by_name("SQL"),
        "curl" | "http" => by_name("Bourne Again Shell (bash)"),
        _ => None,
    };
    let found = found
        .or_else(|| syntaxes.find_syntax_by_token(name))
        .or_else(|| syntaxes.find_syntax_by_name(name));
    match found {
        Some(syntax) => Language::Known(syntax),
        None => Language::Unknown,
    }
}

/// Highlights `code` into one HTML fragment per line (each line's spans closed at its
/// end). Lines keep their trailing newline.
pub fn highlight_lines(code: &str, syntax: &SyntaxReference) -> Vec<String> {
    let syntaxes = &*SYNTAXES;
    let mut state = ParseState::new(syntax);
    let mut stack = ScopeStack::new();
    let mut lines = Vec::new();
    for line in LinesWithEndings::from(code) {
        let reopen = open_spans(&stack);
        let highlighted = state
            .parse_line(line, syntaxes)
            .ok()
            .and_then(|ops| line_tokens_to_classed_spans(line, &ops, CLASS_STYLE, &mut stack).ok());
        let Some((html, _)) = highlighted else {
            // syntect gave up on this line: show the rest of the block unhighlighted.
            lines.extend(LinesWithEndings::from(line).map(plain_line));
            state = ParseState::new(syntaxes.find_syntax_plain_text());
            stack = ScopeStack::new();
            continue;
        };
        let mut out = reopen;
        out.push_str(&html);
        out.push_str(&"</span>".repeat(stack.len()));
        lines.push(out);
    }
    lines
}

/// Plain text split into escaped lines, for code without a language.
pub fn plain_lines(code: &str) -> Vec<String> {
    LinesWithEndings::from(code).map(plain_line).collect()
}

fn plain_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    push_html_text(&mut out, line);
    out
}

/// Opening tags for the scopes still open from previous lines.
fn open_spans(stack: &ScopeStack) -> String {
    let mut out = String::new();
    for scope in stack.as_slice() {
        out.push_str("<span class=\"");
        let name = scope.build_string();
        for (index, atom) in name.split('.').enumerate() {
            if index > 0 {
                out.push(' ');
            }
            out.push_str("hl-");
            out.push_str(atom);
        }
        out.push_str("\">");
    }
    out
}

/// The stylesheet for highlighted code: a light theme by default, a dark one under
/// `[data-theme=dark]` and, unless the reader chose light, under a dark system setting.
pub fn stylesheet() -> String {
    let themes = two_face::theme::extra();
    let light = themes.get(two_face::theme::EmbeddedThemeName::InspiredGithub);
    let dark = themes.get(two_face::theme::EmbeddedThemeName::OneHalfDark);
    let light_css = css_for_theme_with_class_style(light, CLASS_STYLE).unwrap_or_default();
    let dark_css = css_for_theme_with_class_style(dark, CLASS_STYLE).unwrap_or_default();

    let mut css = String::from("/* Generated by loopbook from syntect themes. */\n");
    css.push_str(&light_css);
    css.push_str(&scope_rules(&dark_css, "[data-theme=dark]"));
    css.push_str("@media (prefers-color-scheme: dark) {\n");
    css.push_str(&scope_rules(&dark_css, ":root:not([data-theme=light])"));
    css.push_str("}\n");
    css
}

/// Prefixes every selector of a simple stylesheet (no nested blocks) with `scope`.
fn scope_rules(css: &str, scope: &str) -> String {
    let mut out = String::with_capacity(css.len() * 2);
    for rule in css.split_inclusive('}') {
        let Some((selectors, body)) = rule.split_once('{') else {
            continue;
        };
        let selectors = strip_comments(selectors);
        let scoped: Vec<String> = selectors
            .split(',')
            .map(str::trim)
            .filter(|selector| !selector.is_empty())
            .map(|selector| format!("{scope} {selector}"))
            .collect();
        if scoped.is_empty() {
            continue;
        }
        out.push_str(&scoped.join(", "));
        out.push_str(" {");
        out.push_str(body);
        out.push('\n');
    }
    out
}

fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .find("*/")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax(name: &str) -> &'static SyntaxReference {
        match find_language(Some(name), "") {
            Language::Known(syntax) => syntax,
            _ => panic!("no syntax for {name}"),
        }
    }

    #[test]
    fn integration_languages_are_all_known() {
        for name in [
            "html",
            "javascript",
            "js",
            "json",
            "bash",
            "shell",
            "php",
            "ruby",
            "python",
            "java",
            "kotlin",
            "swift",
            "objc",
            "objective-c",
            "xml",
            "yaml",
            "toml",
            "css",
            "sql",
            "liquid",
            "typescript",
            "erb",
        ] {
            syntax(name);
        }
    }

    #[test]
    fn unknown_and_plain_languages_are_told_apart() {
        assert!(matches!(
            find_language(Some("nosuchlang"), ""),
            Language::Unknown
        ));
        assert!(matches!(find_language(Some("text"), ""), Language::Plain));
        assert!(matches!(find_language(None, ""), Language::Plain));
    }

    #[test]
    fn every_line_is_balanced_even_inside_multiline_comments() {
        let lines = highlight_lines("/* one\n two */\nvar x = \"<b>\";\n", syntax("js"));
        assert_eq!(lines.len(), 3);
        for line in &lines {
            assert_eq!(
                line.matches("<span").count(),
                line.matches("</span>").count(),
                "{line}"
            );
        }
        assert!(lines[1].starts_with("<span class=\"hl-source hl-js\"><span class=\"hl-comment"));
        assert!(lines[2].contains("&lt;b&gt;"));
    }

    #[test]
    fn stylesheet_has_both_modes() {
        let css = stylesheet();
        assert!(css.contains(".hl-comment"));
        assert!(css.contains("[data-theme=dark] .hl-"));
        assert!(css.contains("prefers-color-scheme: dark"));
    }
}
