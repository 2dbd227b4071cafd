//! Syntax highlighting with syntect, as CSS classes (`hl-…`), so one stylesheet serves
//! light and dark mode and themes can restyle code.
//!
//! Two syntax sets load on first use, so a site without code never pays for them:
//! syntect's own, and two-face's larger one for the languages syntect lacks (TOML,
//! TypeScript, Kotlin, Swift, Twig for Liquid, …). syntect's set is tried first because
//! two-face also registers "JavaScript (Babel)" under `source.js`, which HTML then
//! embeds for its `<script>` content, at a third of the speed of the plain JavaScript
//! grammar. Highlighting works line by line and can close and reopen its spans at every
//! line end, which is what line numbers and emphasised lines need: each line becomes a
//! self-contained piece of HTML.

use std::cell::RefCell;
use std::hash::{Hash, Hasher};
use std::sync::LazyLock;

use rustc_hash::FxHashMap as HashMap;

use syntect::html::{ClassStyle, css_for_theme_with_class_style};
use syntect::parsing::{
    BasicScopeStackOp, ParseState, Scope, ScopeStack, ScopeStackOp, SyntaxReference, SyntaxSet,
};
use syntect::util::LinesWithEndings;

use super::escape::push_html_text;

const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

static CORE_SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);
static EXTRA_SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(two_face::syntax::extra_newlines);

/// Languages that mean "no highlighting", accepted without a warning.
const PLAIN: &[&str] = &[
    "text", "txt", "plain", "none", "output", "default", "url", "raw",
];

/// A grammar and the syntax set it must be run with.
#[derive(Clone, Copy)]
pub struct Syntax {
    set: &'static SyntaxSet,
    syntax: &'static SyntaxReference,
}

impl Syntax {
    /// The grammar's display name (`JavaScript`, `PHP Source`, …).
    pub fn name(&self) -> &'static str {
        &self.syntax.name
    }
}

/// The outcome of looking up a language name.
pub enum Language {
    Plain,
    Known(Syntax),
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
    let grammar = grammar_name(&lower, code);
    let lookup = |set: &'static SyntaxSet| {
        let found = grammar
            .and_then(|grammar| set.find_syntax_by_name(grammar))
            .or_else(|| set.find_syntax_by_token(name))
            .or_else(|| set.find_syntax_by_name(name));
        found.map(|syntax| Syntax { set, syntax })
    };
    // The larger set loads only when a page uses a language the core set lacks.
    match lookup(&CORE_SYNTAXES).or_else(|| lookup(&EXTRA_SYNTAXES)) {
        Some(syntax) => Language::Known(syntax),
        None => Language::Unknown,
    }
}

/// The grammar a common language name means, where the name alone does not find it.
fn grammar_name(lower: &str, code: &str) -> Option<&'static str> {
    let grammar = match lower {
        "objc" | "objective-c" | "obj-c" | "objectivec" => "Objective-C",
        "liquid" | "jinja" | "jinja2" | "twig" | "django" | "handlebars" | "hbs" => "HTML (Twig)",
        "erb" | "html+erb" | "rhtml" => "HTML (Rails)",
        "shell" | "sh" | "console" | "zsh" | "shell-session" | "bash" => {
            "Bourne Again Shell (bash)"
        }
        // Sphinx highlights PHP without the opening tag; syntect needs "PHP Source" for that.
        "php" | "html+php" | "php3" | "php4" | "php5" if !code.contains("<?") => "PHP Source",
        "html+php" => "PHP",
        "js" | "javascript" | "node" => "JavaScript",
        "json" | "jsonc" | "json5" => "JSON",
        "yml" => "YAML",
        "xml" | "svg" | "xhtml" => "XML",
        "py" | "python3" | "py3" => "Python",
        "rb" => "Ruby",
        "c#" | "csharp" => "C#",
        "kt" => "Kotlin",
        "ts" => "TypeScript",
        "postgresql" | "mysql" | "psql" => "SQL",
        "curl" | "http" => "Bourne Again Shell (bash)",
        _ => return None,
    };
    Some(grammar)
}

/// Highlights `code` into one HTML fragment per line (each line's spans closed at its
/// end). Lines keep their trailing newline.
pub fn highlight_lines(code: &str, syntax: Syntax) -> Vec<String> {
    let syntaxes = syntax.set;
    let mut state = ParseState::new(syntax.syntax);
    let mut stack = ScopeStack::new();
    let mut lines = Vec::new();
    for line in LinesWithEndings::from(code) {
        if let Some(html) = LineMemo::replay(syntaxes, line, &mut state, &mut stack) {
            lines.push(html);
            continue;
        }
        let start = (state.clone(), stack.clone());
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
        LineMemo::record(syntaxes, line, start, &out, (&state, &stack));
        lines.push(out);
    }
    lines
}

/// Lines highlighted before, so a line met again in the same parser state is not
/// parsed again. Parsing a line is a pure function of the state it starts in and its
/// text, so a replay gives exactly the HTML and end state that parsing would; and
/// documentation repeats its code lines a lot (the same snippet on many pages, the
/// same closing braces and tags in every block).
#[derive(Default)]
struct LineMemo {
    /// By a hash of the syntax set and the line's text; candidates are compared whole.
    lines: HashMap<u64, Vec<MemoLine>>,
    count: usize,
}

struct MemoLine {
    set: usize,
    text: Box<str>,
    start: (ParseState, ScopeStack),
    html: Box<str>,
    end: (ParseState, ScopeStack),
}

/// Lines a thread remembers before it starts over, which bounds its memory.
const MEMO_LINES: usize = 50_000;

thread_local! {
    // One per thread: syntect's parser state holds oniguruma regions, which are not
    // `Send`, so the threads cannot share what they remember.
    static LINE_MEMO: RefCell<LineMemo> = RefCell::new(LineMemo::default());
}

impl LineMemo {
    fn key(set: &SyntaxSet, line: &str) -> u64 {
        let mut hasher = rustc_hash::FxHasher::default();
        std::ptr::hash(set, &mut hasher);
        line.hash(&mut hasher);
        hasher.finish()
    }

    /// The HTML of `line` when it was highlighted before from this state; the state
    /// and stack are then moved on to where that line left them.
    fn replay(
        set: &SyntaxSet,
        line: &str,
        state: &mut ParseState,
        stack: &mut ScopeStack,
    ) -> Option<String> {
        let set_id = std::ptr::from_ref(set) as usize;
        LINE_MEMO.with_borrow(|memo| {
            let candidates = memo.lines.get(&Self::key(set, line))?;
            let found = candidates.iter().find(|seen| {
                seen.set == set_id
                    && &*seen.text == line
                    && seen.start.0 == *state
                    && seen.start.1 == *stack
            })?;
            state.clone_from(&found.end.0);
            stack.clone_from(&found.end.1);
            Some(found.html.to_string())
        })
    }

    fn record(
        set: &SyntaxSet,
        line: &str,
        start: (ParseState, ScopeStack),
        html: &str,
        end: (&ParseState, &ScopeStack),
    ) {
        LINE_MEMO.with_borrow_mut(|memo| {
            if memo.count >= MEMO_LINES {
                *memo = LineMemo::default();
            }
            memo.count += 1;
            memo.lines
                .entry(Self::key(set, line))
                .or_default()
                .push(MemoLine {
                    set: std::ptr::from_ref(set) as usize,
                    text: line.into(),
                    start,
                    html: html.into(),
                    end: (end.0.clone(), end.1.clone()),
                });
        });
    }
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
    static OPEN_TAGS: RefCell<HashMap<Scope, String>> = RefCell::new(HashMap::default());
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

/// The stylesheet for highlighted code: the light theme's rules apply only while the
/// page is light and the dark theme's only while it is dark, so neither can outrank the
/// other (a light `.a.b.c` beat a dark `[data-theme=dark] .a` by specificity, and such
/// tokens kept their light colours on the dark background). The page is dark under
/// `[data-theme=dark]`, and under a dark system setting unless the reader chose light.
pub fn stylesheet() -> String {
    let themes = two_face::theme::extra();
    let light = themes.get(two_face::theme::EmbeddedThemeName::InspiredGithub);
    let dark = themes.get(two_face::theme::EmbeddedThemeName::OneHalfDark);
    let light_css = css_for_theme_with_class_style(light, CLASS_STYLE).unwrap_or_default();
    let dark_css = css_for_theme_with_class_style(dark, CLASS_STYLE).unwrap_or_default();

    let mut css = String::from("/* Generated by loopbook from syntect themes. */\n");
    css.push_str(&scope_rules(&light_css, "[data-theme=light]"));
    css.push_str("@media not all and (prefers-color-scheme: dark) {\n");
    css.push_str(&scope_rules(&light_css, ":root:not([data-theme=dark])"));
    css.push_str("}\n");
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

    fn syntax(name: &str) -> Syntax {
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
    fn common_languages_use_the_fast_core_grammars() {
        // HTML from the core set embeds the plain JavaScript grammar for `<script>`.
        for name in ["html", "javascript", "json", "bash"] {
            assert!(std::ptr::eq(syntax(name).set, &*CORE_SYNTAXES), "{name}");
        }
        assert_eq!(syntax("js").name(), "JavaScript");
        assert!(std::ptr::eq(syntax("toml").set, &*EXTRA_SYNTAXES));
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
    fn a_line_met_again_is_replayed_only_from_the_same_state() {
        let code = "var a = 1; /* open\nvar a = 1;\n*/ var a = 1;\nvar a = 1;\n";
        let first = highlight_lines(code, syntax("js"));
        LINE_MEMO.with_borrow_mut(|memo| *memo = LineMemo::default());
        let fresh = highlight_lines(code, syntax("js"));
        let replayed = highlight_lines(code, syntax("js"));

        assert_eq!(first, fresh);
        assert_eq!(replayed, fresh);
        // The same text inside the comment is not the text outside it.
        assert_ne!(fresh[1], fresh[3]);
        assert!(fresh[1].contains("hl-comment"));
        assert!(!fresh[3].contains("hl-comment"));
    }

    /// A selector of the stylesheet: the `@media` block it sits in, the selector, and
    /// its place in the cascade.
    struct Rule {
        media: Option<String>,
        selector: String,
        order: usize,
    }

    /// Every selector of a stylesheet with at most one level of `@media` blocks.
    fn rules(css: &str) -> Vec<Rule> {
        let css = strip_comments(css);
        let mut rest = css.as_str();
        let mut media = None;
        let mut found = Vec::new();
        while let Some(brace) = rest.find(['{', '}']) {
            if rest[brace..].starts_with('}') {
                media = None;
                rest = &rest[brace + 1..];
                continue;
            }
            let prelude = rest[..brace].trim();
            if prelude.starts_with("@media") {
                media = Some(prelude.to_string());
                rest = &rest[brace + 1..];
                continue;
            }
            for selector in prelude.split(',') {
                let (selector, order) = (selector.trim().to_string(), found.len());
                found.push(Rule {
                    media: media.clone(),
                    selector,
                    order,
                });
            }
            let end = rest[brace..].find('}').expect("every rule is closed") + brace;
            rest = &rest[end + 1..];
        }
        found
    }

    /// (ids, classes + attributes + pseudo-classes): syntect writes no element
    /// selectors, and `:not()` counts by what it holds.
    fn specificity(selector: &str) -> (usize, usize) {
        let classes = selector.matches('.').count()
            + selector.matches('[').count()
            + selector.matches(":root").count();
        (selector.matches('#').count(), classes)
    }

    /// Of two rules that set the same property, the one ranked higher wins.
    fn rank(rule: &Rule) -> ((usize, usize), usize) {
        (specificity(&rule.selector), rule.order)
    }

    /// Whether a rule applies to a page in a state, and whether it is a dark rule.
    fn applies(rule: &Rule, attribute: Option<&str>, system_dark: bool) -> (bool, bool) {
        let in_media = match rule.media.as_deref() {
            None => true,
            Some("@media (prefers-color-scheme: dark)") => system_dark,
            Some("@media not all and (prefers-color-scheme: dark)") => !system_dark,
            Some(other) => panic!("a media query the test does not know: {other}"),
        };
        let scope = rule.selector[..rule.selector.find(".hl-").unwrap_or(0)].trim();
        let (in_scope, dark) = match scope {
            "" => (true, false),
            "[data-theme=light]" => (attribute == Some("light"), false),
            ":root:not([data-theme=dark])" => (attribute != Some("dark"), false),
            "[data-theme=dark]" => (attribute == Some("dark"), true),
            ":root:not([data-theme=light])" => (attribute != Some("light"), true),
            other => panic!("a scope the test does not know: {other}"),
        };
        (in_media && in_scope, dark)
    }

    #[test]
    fn every_rule_of_the_shown_theme_outranks_every_rule_of_the_other() {
        let rules = rules(&stylesheet());
        assert!(
            rules.len() > 200,
            "both themes are there: {} rules",
            rules.len()
        );
        for attribute in [None, Some("light"), Some("dark")] {
            for system_dark in [false, true] {
                let dark = attribute == Some("dark") || (system_dark && attribute != Some("light"));
                let (shown, other): (Vec<&Rule>, Vec<&Rule>) = rules
                    .iter()
                    .filter(|rule| applies(rule, attribute, system_dark).0)
                    .partition(|rule| applies(rule, attribute, system_dark).1 == dark);
                let weakest_shown = shown.iter().copied().min_by_key(|rule| rank(rule));
                let weakest_shown = weakest_shown.expect("a theme is shown");
                if let Some(strongest_other) = other.iter().copied().max_by_key(|rule| rank(rule)) {
                    assert!(
                        rank(weakest_shown) > rank(strongest_other),
                        "{attribute:?}, system dark {system_dark}: `{}` outranks `{}`",
                        strongest_other.selector,
                        weakest_shown.selector
                    );
                }
            }
        }
    }
}
