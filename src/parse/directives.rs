//! Directive pieces that do not depend on the source language: option lines, line
//! selection for includes, code-block options, images.

use crate::diagnostics::Diagnostic;
use crate::doc::{Block, CodeBlock, Directive, Figure, Image, Inline, Location};

/// Admonition directives with a fixed title.
pub const ADMONITIONS: &[&str] = &[
    "note",
    "warning",
    "tip",
    "important",
    "hint",
    "caution",
    "danger",
    "attention",
    "error",
    "seealso",
];

const IMAGE_OPTIONS: &[&str] = &[
    "alt", "height", "width", "scale", "align", "target", "class", "name", "loading",
];

/// The options a directive takes, as docutils and Sphinx define them (loopbook reads
/// some and accepts the others without effect); `None` for a directive whose options
/// are checked elsewhere (the placement directives) or not at all (unknown ones).
pub fn known_options(name: &str) -> Option<&'static [&'static str]> {
    match name {
        "include" => Some(&[
            "literal",
            "code",
            "number-lines",
            "encoding",
            "tab-width",
            "start-line",
            "end-line",
            "start-after",
            "end-before",
            "parser",
            "class",
            "name",
        ]),
        "literalinclude" => Some(&[
            "dedent",
            "linenos",
            "lineno-start",
            "lineno-match",
            "tab-width",
            "language",
            "force",
            "encoding",
            "pyobject",
            "lines",
            "start-after",
            "end-before",
            "start-at",
            "end-at",
            "prepend",
            "append",
            "emphasize-lines",
            "caption",
            "class",
            "name",
            "diff",
        ]),
        "code-block" | "sourcecode" | "code" => Some(&[
            "force",
            "linenos",
            "lineno-start",
            "dedent",
            "emphasize-lines",
            "caption",
            "class",
            "name",
            "number-lines",
        ]),
        "raw" => Some(&["file", "url", "encoding", "class"]),
        "image" => Some(IMAGE_OPTIONS),
        "figure" => Some(&[
            "alt", "height", "width", "scale", "align", "target", "class", "name", "loading",
            "figwidth", "figclass",
        ]),
        "container" => Some(&["name", "class"]),
        "toctree" => Some(&[
            "maxdepth",
            "name",
            "class",
            "caption",
            "glob",
            "hidden",
            "includehidden",
            "numbered",
            "titlesonly",
            "reversed",
        ]),
        "admonition" | "rubric" | "topic" => Some(&["class", "name"]),
        name if ADMONITIONS.contains(&name) => Some(&["class", "name"]),
        "list-table" => Some(&[
            "header-rows",
            "stub-columns",
            "width",
            "widths",
            "class",
            "name",
            "align",
        ]),
        "csv-table" => Some(&[
            "header-rows",
            "stub-columns",
            "header",
            "width",
            "widths",
            "file",
            "url",
            "encoding",
            "class",
            "name",
            "align",
            "delim",
            "keepspace",
            "quote",
            "escape",
        ]),
        "meta" => Some(&[]),
        "contents" => Some(&["depth", "local", "backlinks", "class"]),
        "only" => Some(&[]),
        "highlight" => Some(&["linenothreshold", "force"]),
        "parsed-literal" => Some(&["class", "name"]),
        _ => None,
    }
}

/// An option the directive does not take: a warning naming the nearest one it does.
pub fn unknown_option(directive: &str, option: &str, known: &[&str], at: Location) -> Diagnostic {
    let hint = match crate::config::nearest(option, known) {
        Some(nearest) => format!("did you mean `:{nearest}:`?"),
        None if known.is_empty() => format!("`{directive}` takes no options"),
        None => format!("`{directive}` takes: {}", known.join(", ")),
    };
    Diagnostic::warning(at, format!("unknown option `:{option}:` for `{directive}`"))
        .with_code("unknown-directive-option")
        .with_hint(hint)
}

/// Directives a Markdown page reads; reStructuredText pages read these and
/// [`RST_ONLY_DIRECTIVES`]. The placement directives are read in both.
pub const MARKDOWN_DIRECTIVES: &[&str] = &[
    "admonition",
    "include",
    "literalinclude",
    "code-block",
    "code",
    "sourcecode",
    "toctree",
    "contents",
    "raw",
    "image",
    "figure",
    "placement",
    "placement-fields",
    "placement-payload",
];

/// Directives only the reStructuredText parser reads.
pub const RST_ONLY_DIRECTIVES: &[&str] = &[
    "container",
    "list-table",
    "csv-table",
    "meta",
    "only",
    "highlight",
    "rubric",
    "topic",
    "parsed-literal",
    "index",
    "tabularcolumns",
];

/// The hint for a directive nobody reads: the nearest name `known` has, or where a
/// name known elsewhere is read.
pub fn unknown_directive_hint(name: &str, known: &[&str], is_rst: bool) -> String {
    let shown = "it is shown as written, in a literal block";
    if !is_rst && RST_ONLY_DIRECTIVES.contains(&name) {
        return format!("{shown}: `{name}` is read in reStructuredText pages only");
    }
    match crate::config::nearest(name, known) {
        Some(nearest) => format!("{shown}; did you mean `{nearest}`?"),
        None => format!("{shown}; check the name"),
    }
}

/// Every directive a page in that language reads, for [`unknown_directive_hint`].
pub fn known_directives(is_rst: bool) -> Vec<&'static str> {
    let mut known: Vec<&str> = ADMONITIONS.to_vec();
    known.extend_from_slice(MARKDOWN_DIRECTIVES);
    if is_rst {
        known.extend_from_slice(RST_ONLY_DIRECTIVES);
    }
    known
}

/// A MyST directive's content split into its options and its body.
#[derive(Debug, Default, PartialEq)]
pub struct OptionBlock {
    /// Options in source order, names without colons.
    pub options: Vec<(String, String)>,
    /// For each option, the 0-based line of the content it stands on.
    pub option_lines: Vec<u32>,
    pub body: String,
    /// The 0-based line of the content the body starts on.
    pub body_line: u32,
}

/// Splits MyST option lines (`:name: value`, or a `---` YAML-style block of
/// `name: value` lines) off the top of a directive's content. Returns the options, the
/// remaining body, and how many lines the options took.
pub fn split_options(content: &str) -> (Vec<(String, String)>, String, u32) {
    let block = read_options(content);
    (block.options, block.body, block.body_line)
}

/// [`split_options`], keeping the line each option stands on.
pub fn read_options(content: &str) -> OptionBlock {
    let lines: Vec<&str> = content.split_inclusive('\n').collect();
    let mut options = Vec::new();
    let mut option_lines = Vec::new();
    let mut used = 0;

    if lines.first().is_some_and(|line| line.trim_end() == "---") {
        let close = lines
            .iter()
            .skip(1)
            .position(|line| line.trim_end() == "---");
        if let Some(close) = close {
            for (index, line) in lines[1..=close].iter().enumerate() {
                if let Some((name, value)) = line.split_once(':') {
                    options.push((name.trim().to_string(), unquote(value.trim())));
                    option_lines.push(index as u32 + 1);
                }
            }
            used = close + 2;
        }
    } else {
        for line in &lines {
            let Some(rest) = line.trim_start().strip_prefix(':') else {
                break;
            };
            let Some((name, value)) = rest.split_once(':') else {
                break;
            };
            if name.is_empty() || name.contains(char::is_whitespace) {
                break;
            }
            options.push((name.to_string(), value.trim().to_string()));
            option_lines.push(used as u32);
            used += 1;
        }
    }

    let mut body: String = lines[used..].concat();
    // A blank line may separate options from the body.
    let mut body_line = used as u32;
    if used > 0 && body.starts_with('\n') {
        body.remove(0);
        body_line += 1;
    }
    OptionBlock {
        options,
        option_lines,
        body,
        body_line,
    }
}

fn unquote(value: &str) -> String {
    value.trim_matches(|c| c == '"' || c == '\'').to_string()
}

/// A code block from a `code-block`-like directive (whose argument is the language) or
/// from `literalinclude` (whose argument is a path). On a bad option the block is still
/// returned, with the problem.
pub fn code_block(directive: &Directive, code: String) -> (CodeBlock, Option<Diagnostic>) {
    let argument = Some(directive.argument.trim())
        .filter(|language| !language.is_empty() && directive.name != "literalinclude");
    let language = argument
        .or_else(|| directive.option("language"))
        .map(str::to_string);
    let (first_line_number, problem) = match first_line_number(directive) {
        Ok(number) => (number, None),
        Err(problem) => (None, Some(problem)),
    };
    let mut block = CodeBlock {
        language,
        code: dedent(&code, directive.option("dedent")),
        caption: directive.option("caption").map(str::to_string),
        line_numbers: ["linenos", "lineno-start", "number-lines"]
            .iter()
            .any(|option| directive.option(option).is_some()),
        first_line_number,
        emphasized: Vec::new(),
        location: Location {
            line: directive.location.line + 1,
            ..directive.location
        },
    };
    if !block.code.ends_with('\n') && !block.code.is_empty() {
        block.code.push('\n');
    }
    if problem.is_some() {
        return (block, problem);
    }
    if let Some(spec) = directive.option("emphasize-lines") {
        match parse_line_ranges(spec) {
            Some(lines) => {
                let length = block.code.lines().count();
                let past_end = lines.iter().any(|line| *line as usize > length);
                block.emphasized = lines;
                if past_end {
                    let diagnostic = Diagnostic::warning(
                        directive.location,
                        format!(
                            "`:emphasize-lines: {spec}` names lines past the end of the code, \
                             which has {length} {}",
                            if length == 1 { "line" } else { "lines" }
                        ),
                    )
                    .with_code("invalid-option")
                    .with_hint("lines count from 1 at the code's first line");
                    return (block, Some(diagnostic));
                }
            }
            None => {
                let diagnostic = Diagnostic::warning(
                    directive.location,
                    format!("`:emphasize-lines: {spec}` is not a list of line numbers"),
                )
                .with_code("invalid-option")
                .with_hint("write line numbers and ranges like `1,3-5`");
                return (block, Some(diagnostic));
            }
        }
    }
    (block, None)
}

/// Where line numbering starts: `:lineno-start: N` (Sphinx) or `:number-lines: N`
/// (docutils); `None` when neither gives a number.
pub fn first_line_number(directive: &Directive) -> Result<Option<u32>, Diagnostic> {
    let given = ["lineno-start", "number-lines"]
        .into_iter()
        .find_map(|option| Some((option, directive.option(option)?.trim())));
    let Some((option, value)) = given.filter(|(_, value)| !value.is_empty()) else {
        return Ok(None);
    };
    value.parse::<u32>().map(Some).map_err(|_| {
        Diagnostic::warning(
            directive.location,
            format!("`:{option}: {value}` is not a line number"),
        )
        .with_code("invalid-option")
        .with_hint(format!(
            "give the number of the first line, as in `:{option}: 10`"
        ))
    })
}

/// Removes `amount` columns of leading white space (or the common indentation when the
/// option has no value).
fn dedent(code: &str, amount: Option<&str>) -> String {
    let Some(amount) = amount else {
        return code.to_string();
    };
    let common = code
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    let remove = amount.trim().parse::<usize>().unwrap_or(common);
    code.lines()
        .map(|line| {
            let strip = remove.min(line.len() - line.trim_start().len());
            &line[strip..]
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `1,3-5` → `[1, 3, 4, 5]`; `None` when the spec is not a range list.
pub fn parse_line_ranges(spec: &str) -> Option<Vec<u32>> {
    let mut lines = Vec::new();
    for part in spec
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
    {
        match part.split_once('-') {
            Some((start, end)) => {
                let start: u32 = start.trim().parse().ok()?;
                let end: u32 = end.trim().parse().ok()?;
                if end < start || end - start > 100_000 {
                    return None;
                }
                lines.extend(start..=end);
            }
            None => lines.push(part.parse().ok()?),
        }
    }
    Some(lines)
}

/// Applies `:lines:`, `:start-after:` and `:end-before:` to included text. Returns the
/// selected text and the number of lines skipped before it.
pub fn select_lines(directive: &Directive, text: &str) -> Result<(String, u32), Diagnostic> {
    let mut text = text.to_string();
    let mut skipped = 0u32;

    if let Some(spec) = directive.option("lines") {
        let wanted = parse_open_ranges(spec).ok_or_else(|| {
            Diagnostic::error(
                directive.location,
                format!("`:lines: {spec}` is not a line range"),
            )
            .with_code("invalid-option")
            .with_hint("write ranges like `3-12`, `5-` or `1,4-6`")
        })?;
        let all: Vec<&str> = text.split_inclusive('\n').collect();
        let mut selected = String::new();
        for (start, end) in &wanted {
            let end = end.unwrap_or(all.len()).min(all.len());
            for line in all.get(start.saturating_sub(1)..end).unwrap_or(&[]) {
                selected.push_str(line);
            }
        }
        if selected.is_empty() && !all.is_empty() {
            let length = all.len();
            return Err(Diagnostic::warning(
                directive.location,
                format!(
                    "`:lines: {spec}` selects nothing: `{}` has {length} {}",
                    directive.argument,
                    if length == 1 { "line" } else { "lines" }
                ),
            )
            .with_code("invalid-option")
            .with_hint("lines count from 1 at the file's first line"));
        }
        skipped = wanted
            .first()
            .map_or(0, |(start, _)| start.saturating_sub(1) as u32);
        text = selected;
    }

    if let Some(marker) = directive.option("start-after") {
        let Some(found) = text.find(marker) else {
            return Err(missing_marker(directive, "start-after", marker));
        };
        let after = found + marker.len();
        let line_end = text[after..]
            .find('\n')
            .map_or(text.len(), |index| after + index + 1);
        skipped += text[..line_end].matches('\n').count() as u32;
        text = text[line_end..].to_string();
    }

    if let Some(marker) = directive.option("end-before") {
        let Some(found) = text.find(marker) else {
            return Err(missing_marker(directive, "end-before", marker));
        };
        let line_start = text[..found].rfind('\n').map_or(0, |index| index + 1);
        text.truncate(line_start);
    }
    Ok((text, skipped))
}

fn missing_marker(directive: &Directive, option: &str, marker: &str) -> Diagnostic {
    Diagnostic::error(
        directive.location,
        format!(
            "`:{option}:` text `{marker}` does not occur in `{}`",
            directive.argument
        ),
    )
    .with_code("missing-marker")
    .with_hint("the marker must appear in the included file exactly as written")
}

/// `3-5,8,10-` as (start, optional end) pairs, 1-based and inclusive.
fn parse_open_ranges(spec: &str) -> Option<Vec<(usize, Option<usize>)>> {
    let mut ranges = Vec::new();
    for part in spec
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
    {
        let range = match part.split_once('-') {
            Some((start, end)) => {
                let start = if start.trim().is_empty() {
                    1
                } else {
                    start.trim().parse().ok()?
                };
                let end = if end.trim().is_empty() {
                    None
                } else {
                    Some(end.trim().parse().ok()?)
                };
                (start, end)
            }
            None => {
                let line = part.parse().ok()?;
                (line, Some(line))
            }
        };
        ranges.push(range);
    }
    (!ranges.is_empty()).then_some(ranges)
}

/// The highlighting language a file's extension suggests, for `literalinclude`.
pub fn language_from_extension(path: &str) -> Option<String> {
    let extension = path.rsplit_once('.')?.1.to_ascii_lowercase();
    let language = match extension.as_str() {
        "js" | "mjs" | "cjs" => "javascript",
        "ts" => "typescript",
        "py" => "python",
        "rb" | "erb" => "ruby",
        "php" => "php",
        "html" | "htm" => "html",
        "json" => "json",
        "sh" | "bash" => "bash",
        "yml" | "yaml" => "yaml",
        "toml" => "toml",
        "css" => "css",
        "sql" => "sql",
        "java" => "java",
        "kt" => "kotlin",
        "swift" => "swift",
        "m" | "mm" => "objc",
        "xml" => "xml",
        "rs" => "rust",
        "go" => "go",
        "liquid" => "liquid",
        _ => return None,
    };
    Some(language.to_string())
}

/// An `image` or `figure` directive; `caption` turns the figure's body into inlines.
pub fn image_block(directive: &Directive, caption: impl Fn(&str) -> Vec<Inline>) -> Block {
    let image = Image {
        src: directive.argument.trim().to_string(),
        alt: directive.option("alt").unwrap_or_default().to_string(),
        title: None,
        width: directive.option("width").map(str::to_string),
        height: directive.option("height").map(str::to_string),
        align: directive.option("align").map(str::to_string),
        target: directive.option("target").map(str::to_string),
        classes: directive
            .option("class")
            .map(|classes| classes.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default(),
        location: directive.location,
    };
    if directive.name == "figure" {
        let caption_text = directive.body.trim();
        return Block::Figure(Figure {
            image,
            caption: if caption_text.is_empty() {
                Vec::new()
            } else {
                caption(caption_text)
            },
            legend: Vec::new(),
        });
    }
    Block::Image(image)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_directive_hint_names_the_nearest_in_the_page_language() {
        let markdown = known_directives(false);
        let rst = known_directives(true);
        let hint = unknown_directive_hint("literalinclud", &markdown, false);
        assert!(hint.ends_with("did you mean `literalinclude`?"), "{hint}");
        let hint = unknown_directive_hint("csv-tabel", &rst, true);
        assert!(hint.ends_with("did you mean `csv-table`?"), "{hint}");
        let hint = unknown_directive_hint("csv-table", &markdown, false);
        assert!(
            hint.ends_with("read in reStructuredText pages only"),
            "{hint}"
        );
        let hint = unknown_directive_hint("frobnicate", &rst, true);
        assert!(hint.ends_with("check the name"), "{hint}");
    }

    fn directive(options: &[(&str, &str)]) -> Directive {
        Directive {
            name: "literalinclude".into(),
            argument: "file.py".into(),
            options: options
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Directive::default()
        }
    }

    #[test]
    fn options_are_split_from_the_body() {
        let (options, body, lines) = split_options(":caption: Hi there\n:linenos:\n\ncode\n");
        assert_eq!(
            options,
            [
                ("caption".into(), "Hi there".into()),
                ("linenos".into(), "".into())
            ]
        );
        assert_eq!(body, "code\n");
        assert_eq!(lines, 3);
    }

    #[test]
    fn yaml_style_options_are_read() {
        let (options, body, _) = split_options("---\nlanguage: php\n---\nbody\n");
        assert_eq!(options, [("language".into(), "php".into())]);
        assert_eq!(body, "body\n");
    }

    #[test]
    fn lines_and_markers_select_text() {
        let text = "one\n# BEGIN\ntwo\nthree\n# END\nfour\n";
        let markers = directive(&[("start-after", "BEGIN"), ("end-before", "# END")]);
        assert_eq!(
            select_lines(&markers, text).unwrap(),
            ("two\nthree\n".to_string(), 2)
        );
        let lines = directive(&[("lines", "3-4")]);
        assert_eq!(select_lines(&lines, text).unwrap().0, "two\nthree\n");
        let open = directive(&[("lines", "5-")]);
        assert_eq!(select_lines(&open, text).unwrap().0, "# END\nfour\n");
    }

    #[test]
    fn missing_marker_is_reported() {
        let error = select_lines(&directive(&[("start-after", "NOPE")]), "a\n").unwrap_err();
        assert!(error.message.contains("NOPE"));
    }

    #[test]
    fn lines_past_the_end_of_the_file_are_a_warning() {
        let problem = select_lines(&directive(&[("lines", "9-20")]), "1\n2\n3\n4\n5\n");
        let problem = problem.unwrap_err();
        assert!(!problem.is_error());
        assert_eq!(
            problem.message,
            "`:lines: 9-20` selects nothing: `file.py` has 5 lines"
        );
        let partly = select_lines(&directive(&[("lines", "4-20")]), "1\n2\n3\n4\n5\n");
        assert_eq!(partly.unwrap().0, "4\n5\n");
    }

    #[test]
    fn emphasized_lines_past_the_end_of_the_code_are_a_warning() {
        let block =
            |spec: &str| code_block(&directive(&[("emphasize-lines", spec)]), "a\nb\n".into());
        let (code, problem) = block("99");
        assert_eq!(code.emphasized, [99]);
        assert_eq!(
            problem.unwrap().message,
            "`:emphasize-lines: 99` names lines past the end of the code, which has 2 lines"
        );
        assert!(block("1-2").1.is_none());
    }

    #[test]
    fn an_unknown_option_names_the_nearest_known_one() {
        let known = known_options("code-block").unwrap();
        let at = Location::default();
        let typo = unknown_option("code-block", "linenose", known, at);
        assert_eq!(typo.message, "unknown option `:linenose:` for `code-block`");
        assert_eq!(typo.hint.as_deref(), Some("did you mean `:linenos:`?"));
        let far = unknown_option("note", "bogus", known_options("note").unwrap(), at);
        assert_eq!(far.hint.as_deref(), Some("`note` takes: class, name"));
    }

    #[test]
    fn numbering_starts_where_lineno_start_says() {
        let block = |options: &[(&str, &str)]| code_block(&directive(options), "a\nb\n".into());
        let (code, problem) = block(&[("lineno-start", "10"), ("emphasize-lines", "2")]);
        assert!(problem.is_none());
        assert!(code.line_numbers);
        assert_eq!(code.first_line_number, Some(10));
        assert_eq!(code.emphasized, [2]);
        assert_eq!(block(&[("number-lines", "3")]).0.first_line_number, Some(3));
        assert_eq!(block(&[("linenos", "")]).0.first_line_number, None);
        let (_, problem) = block(&[("lineno-start", "ten")]);
        assert_eq!(
            problem.unwrap().message,
            "`:lineno-start: ten` is not a line number"
        );
    }

    #[test]
    fn line_ranges_parse_and_reject_garbage() {
        assert_eq!(parse_line_ranges("1, 3-5"), Some(vec![1, 3, 4, 5]));
        assert_eq!(parse_line_ranges("x"), None);
        assert_eq!(parse_line_ranges("5-1"), None);
    }
}
