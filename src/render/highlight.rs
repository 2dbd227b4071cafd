//! Syntax highlighting with syntect, as CSS classes (`hl-…`), so one stylesheet serves
//! light and dark mode and themes can restyle code.
//!
//! The syntax set (syntect's plus two-face's extra languages) loads on first use, so a
//! site without code never pays for it. Highlighting works line by line and can close
//! and reopen its spans at every line end, which is what line numbers and emphasised
//! lines need: each line becomes a self-contained piece of HTML.

use std::sync::LazyLock;

use std::cell::RefCell;
use std::collections::HashMap;

use syntect::html::{ClassStyle, css_for_theme_with_class_style};
use syntect::parsing::{
    BasicScopeStackOp, ParseState, Scope, ScopeStack, ScopeStackOp, SyntaxReference, SyntaxSet,
};
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
        let mut out = String::with_capacity(line.len() * 4);
        for scope in stack.as_slice() {
            open_span(&mut out, *scope);
        }
        let written = state
            .parse_line(line, syntaxes)
            .ok()
            .is_some_and(|ops| write_line(&mut out, line, &ops, &mut stack));
        if !written {
            // syntect gave up on this line: show the rest of the block unhighlighted.
            lines.push(plain_line(line));
            state = ParseState::new(syntaxes.find_syntax_plain_text());
            stack = ScopeStack::new();
            continue;
        }
        out.push_str(&"</span>".repeat(stack.len()));
        lines.push(out);
    }
    lines
}

/// Writes one line's text with a span per scope push. (syntect's own writer takes a
/// global lock for every span, which serialises highlighting across threads.)
fn write_line(
    out: &mut String,
    line: &str,
    ops: &[(usize, ScopeStackOp)],
    stack: &mut ScopeStack,
) -> bool {
    let mut written_to = 0;
    // Where the innermost span opened, while nothing has been written inside it yet:
    // a span that closes empty is removed again.
    let mut empty_span_start: Option<usize> = None;
    for (index, op) in ops {
        let index = (*index).min(line.len());
        if index > written_to {
            push_html_text(out, &line[written_to..index]);
            written_to = index;
            empty_span_start = None;
        }
        let applied = stack.apply_with_hook(op, |basic, _| match basic {
            BasicScopeStackOp::Push(scope) => {
                empty_span_start = Some(out.len());
                open_span(out, scope);
            }
            BasicScopeStackOp::Pop => match empty_span_start.take() {
                Some(start) => out.truncate(start),
                None => out.push_str("</span>"),
            },
        });
        if applied.is_err() {
            return false;
        }
    }
    push_html_text(out, &line[written_to..]);
    true
}

thread_local! {
    /// `<span class="…">` for each scope seen, so classes are built once per thread.
    static OPEN_TAGS: RefCell<HashMap<Scope, String>> = RefCell::new(HashMap::new());
}

fn open_span(out: &mut String, scope: Scope) {
    OPEN_TAGS.with_borrow_mut(|tags| {
        let tag = tags.entry(scope).or_insert_with(|| {
            let classes: Vec<String> = scope
                .build_string()
                .split('.')
                .map(|atom| format!("hl-{atom}"))
                .collect();
            format!("<span class=\"{}\">", classes.join(" "))
        });
        out.push_str(tag);
    });
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
