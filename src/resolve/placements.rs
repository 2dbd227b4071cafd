//! The placement directives, in either source language, turned into real blocks.
//!
//! `placement NAME` becomes the snippet with a link to its live sample,
//! `placement-fields NAME` the field table (nested fields indented under their parent),
//! `placement-payload NAME` the example payload as JSON with links to its files. Each
//! takes `:variant:`. Every use is recorded on the page ([`PlacementUse`]) so a rebuild
//! knows which pages a definition or snippet template feeds, and `check` can name
//! placements no page shows.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::config::nearest;
use crate::diagnostics::{Diagnostic, SourceMap};
use crate::doc::{
    Block, CodeBlock, Directive, Inline, Link, LinkDestination, Location, Snippet, Table,
    TableCell, TableRow,
};
use crate::placements::{Catalog, Field, FieldType, PlacementView};

use super::urls;

/// The directives this module handles.
pub const DIRECTIVES: &[&str] = &["placement", "placement-fields", "placement-payload"];
const OPTIONS: &[&str] = &["variant"];

/// What a page takes from placement definitions.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlacementUse {
    /// The placements the page shows, by name.
    pub placements: BTreeSet<String>,
    /// Their definition files.
    pub definitions: BTreeSet<PathBuf>,
    /// The snippet templates its snippets were rendered with, by name.
    pub snippet_templates: BTreeSet<String>,
    /// Those of the templates that are the book's own files (not the embedded theme).
    pub snippet_files: BTreeSet<PathBuf>,
}

/// The block for a placement directive; problems go to `diagnostics` and leave an
/// empty block in its place. `sources` holds the text the directive was read from.
pub fn expand(
    catalog: &Catalog,
    directive: &Directive,
    sources: &SourceMap,
    page_output: &str,
    uses: &mut PlacementUse,
    diagnostics: &mut Vec<Diagnostic>,
) -> Block {
    let empty = Block::Container {
        classes: vec!["lb-placement-missing".into()],
        blocks: Vec::new(),
    };
    check_options(directive, diagnostics);
    let Some(view) = find_view(catalog, directive, sources, diagnostics) else {
        return empty;
    };

    let placement = view.placement;
    uses.placements.insert(placement.name.clone());
    uses.definitions.insert(placement.path.clone());
    let sample_dir = view.sample_dir();
    match directive.name.as_str() {
        "placement" => {
            uses.snippet_templates.insert(placement.snippet.clone());
            if let Some(file) = catalog.snippet_files.get(&placement.snippet) {
                uses.snippet_files.insert(file.clone());
            }
            let Some(rendered) = catalog.snippet(&view) else {
                // The template failed to render; that has been reported.
                return empty;
            };
            let sample_page = format!("{sample_dir}index.html");
            Block::Snippet(Snippet {
                placement: placement.name.clone(),
                variant: view.variant_name().map(str::to_string),
                caption: view.title(),
                language: "html".into(),
                parts: rendered.docs.clone(),
                sample_url: Some(urls::relative_link(page_output, &sample_page)),
                location: directive.location,
            })
        }
        "placement-fields" => fields_table(&view),
        _ => payload_block(&view, directive, page_output, &sample_dir),
    }
}

fn check_options(directive: &Directive, diagnostics: &mut Vec<Diagnostic>) {
    if !directive.body.trim().is_empty() {
        diagnostics.push(
            Diagnostic::warning(
                directive.location,
                format!("`{}` takes no content; it is ignored", directive.name),
            )
            .with_code("ignored-content")
            .with_hint("everything it shows comes from the placement's definition"),
        );
    }
    for (name, _) in &directive.options {
        if OPTIONS.contains(&name.as_str()) {
            continue;
        }
        let hint = match nearest(name, OPTIONS) {
            Some(option) => format!("did you mean `:{option}:`?"),
            None => "the placement directives take `:variant: NAME`".to_string(),
        };
        diagnostics.push(
            Diagnostic::error(
                directive.location,
                format!("unknown option `:{name}:` for `{}`", directive.name),
            )
            .with_code("invalid-option")
            .with_hint(hint),
        );
    }
}

fn find_view<'c>(
    catalog: &'c Catalog,
    directive: &Directive,
    sources: &SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<PlacementView<'c>> {
    let name = directive.argument.trim();
    let names = catalog.names();
    let Some(placement) = catalog.get(name) else {
        if catalog.broken.contains(name) {
            return None;
        }
        let hint = match nearest(name, &names) {
            Some(nearest) if !name.is_empty() => format!("did you mean `{nearest}`?"),
            _ if names.is_empty() => "no placements are defined; add a definition to the \
                                      placements folder ([placements] dir)"
                .to_string(),
            _ => format!("the placements: {}", names.join(", ")),
        };
        let message = if name.is_empty() {
            format!("`{}` needs a placement name", directive.name)
        } else {
            format!("unknown placement `{name}`")
        };
        diagnostics.push(
            Diagnostic::error(directive.location, message)
                .with_code("unknown-placement")
                .with_hint(hint),
        );
        return None;
    };

    let Some(variant_name) = directive.option("variant").map(str::trim) else {
        return Some(placement.view(None));
    };
    match placement.variant(variant_name) {
        Some(variant) => Some(placement.view(Some(variant))),
        None => {
            let known: Vec<&str> = placement.variants.iter().map(|v| v.name.as_str()).collect();
            let hint = match nearest(variant_name, &known) {
                Some(nearest) => format!("did you mean `{nearest}`?"),
                None if known.is_empty() => format!("`{name}` has no variants"),
                None => format!("the variants of `{name}`: {}", known.join(", ")),
            };
            diagnostics.push(
                Diagnostic::error(
                    option_location(sources, directive, "variant"),
                    format!("placement `{name}` has no variant `{variant_name}`"),
                )
                .with_code("unknown-variant")
                .with_hint(hint),
            );
            None
        }
    }
}

/// Where the value of option `name` is written, read off the option lines right after
/// the directive's first line: `:name: value` in both languages, or `name: value` in a
/// MyST `---` block. The directive keeps no option positions, so this reads the source;
/// the directive's own location stands in when the text does not show the option there.
fn option_location(sources: &SourceMap, directive: &Directive, name: &str) -> Location {
    let at = directive.location;
    let Some(file) = sources.get(at.file) else {
        return at;
    };
    let mut lines = file
        .text()
        .lines()
        .enumerate()
        .skip(at.line as usize)
        .peekable();
    let yaml_block = lines.next_if(|(_, line)| line.trim() == "---").is_some();
    for (index, line) in lines {
        let content = line.trim_start();
        let option = if yaml_block {
            Some(content).filter(|content| content.trim_end() != "---")
        } else {
            content.strip_prefix(':')
        };
        let Some((key, value)) = option.and_then(|option| option.split_once(':')) else {
            break;
        };
        if key.trim() == name {
            let value_start = line.len() - value.trim_start().len();
            let column = line[..value_start].chars().count() + 1;
            return Location::new(at.file, index as u32 + 1, column as u32);
        }
    }
    at
}

/// Name, type, required, description (with the field's example, when it has one);
/// nested fields follow their parent, indented one step per level and named by their
/// own name, as the parent's row stands right above them.
fn fields_table(view: &PlacementView<'_>) -> Block {
    let head = TableRow {
        cells: ["Field", "Type", "Required", "Description"]
            .into_iter()
            .map(|title| TableCell::new(vec![Block::Paragraph(vec![text(title)])]))
            .collect(),
    };
    let mut body = Vec::new();
    push_field_rows(view.fields(), "", 0, &mut body);
    Block::Table(Table {
        head: vec![head],
        body,
        classes: vec!["lb-placement-fields".into()],
        ..Table::default()
    })
}

fn push_field_rows(fields: &[Field], parent: &str, depth: usize, rows: &mut Vec<TableRow>) {
    for field in fields {
        let path = if parent.is_empty() {
            field.name.clone()
        } else {
            format!("{parent}.{}", field.name)
        };
        // The row's id-like path (`items[].price`) stays findable for scripts and tests.
        let name_cell = Block::Container {
            classes: vec![
                format!("lb-field-name lb-field-depth-{depth}"),
                format!("lb-field-path-{}", class_safe(&path)),
            ],
            blocks: vec![Block::Paragraph(vec![Inline::Code(field.name.clone())])],
        };
        let required = if field.required {
            "required"
        } else {
            "optional"
        };
        let mut description = vec![Inline::Text(field.description.clone().unwrap_or_default())];
        if let Some(example) = &field.example {
            if field.description.is_some() {
                description.push(text(" "));
            }
            description.push(Inline::Emphasis(vec![text("Example:")]));
            description.push(text(" "));
            description.push(Inline::Code(example.to_string()));
        }
        rows.push(TableRow {
            cells: vec![
                TableCell::new(vec![name_cell]),
                TableCell::new(vec![Block::Paragraph(vec![Inline::Code(
                    field.type_text(),
                )])]),
                TableCell::new(vec![Block::Paragraph(vec![text(required)])]),
                TableCell::new(vec![Block::Paragraph(description)]),
            ],
        });

        // Items of an array are written `items[].price`, as integration docs do.
        let holds_array = field
            .types
            .iter()
            .any(|kind| matches!(kind, FieldType::Array(item) if item.holds_objects()));
        let child_parent = if holds_array {
            format!("{path}[]")
        } else {
            path
        };
        push_field_rows(&field.fields, &child_parent, depth + 1, rows);
    }
}

/// `items[].price` as a class name: `items--price`.
fn class_safe(path: &str) -> String {
    path.replace("[]", "-").replace(
        |c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '-',
        "-",
    )
}

/// The example payload as highlighted JSON, with links to `payload.json` and the schema.
fn payload_block(
    view: &PlacementView<'_>,
    directive: &Directive,
    page_output: &str,
    sample_dir: &str,
) -> Block {
    let mut json = serde_json::to_string_pretty(view.example()).unwrap_or_default();
    json.push('\n');
    let link = |label: &str, file: &str, download: bool| {
        Inline::Link(Link {
            destination: LinkDestination::Url(urls::relative_link(
                page_output,
                &format!("{sample_dir}{file}"),
            )),
            title: None,
            content: vec![text(label)],
            location: Some(directive.location),
            download,
        })
    };
    Block::Container {
        classes: vec!["lb-placement-payload".into()],
        blocks: vec![
            Block::Code(CodeBlock {
                language: Some("json".into()),
                code: json,
                caption: Some(format!("{} — example payload", view.title())),
                location: directive.location,
                ..CodeBlock::default()
            }),
            Block::Paragraph(vec![
                link("Download payload.json", "payload.json", true),
                text(" · "),
                // The schema is there to be read; it opens in the browser.
                link("JSON Schema", "schema.json", false),
            ]),
        ],
    }
}

fn text(content: &str) -> Inline {
    Inline::Text(content.to_string())
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use crate::diagnostics::SourceMap;
    use crate::doc::{FileId, SnippetPart};

    const HOSTILE: &str = "</script><script>window.pwned=1</script><!-- \" ' \\ \u{2028} &";

    /// A book with one placement (`welcome`, variant `short`) in a temporary folder.
    fn catalog(note: &str) -> (tempfile::TempDir, Catalog) {
        let dir = tempfile::tempdir().unwrap();
        let book = "[variables]\nsite_id = \"SITE-1\"\n\
                    integration_url = \"https://cdn.example/l.js\"\n\
                    [placements]\nqueue = \"_q\"\n";
        std::fs::write(dir.path().join("book.toml"), book).unwrap();
        std::fs::create_dir(dir.path().join("placements")).unwrap();
        let definition = format!(
            r#"name = "welcome"
title = "Welcome"
call = "greet"
snippet = "queue"
fields = [
  {{ name = "note", type = "string", required = true, description = "Shown to the buyer." }},
  {{ name = "items", type = "array<object>", fields = [ {{ name = "sku", type = "string" }} ] }},
]
[example]
note = {note}
items = [ {{ sku = "A" }} ]
[variants.short]
include = ["note"]
[variants.short.example]
note = "hi"
"#,
            note = toml::Value::String(note.to_string())
        );
        std::fs::write(dir.path().join("placements/welcome.toml"), definition).unwrap();

        let config = crate::config::load(dir.path()).unwrap();
        let sources = SourceMap::default();
        let book_path = dir.path().join("book.toml");
        sources.add(&book_path, "book.toml".into(), Arc::from(book));
        let mut diagnostics = Vec::new();
        let catalog = crate::placements::load(&config, &sources, &mut diagnostics);
        assert!(diagnostics.is_empty(), "{diagnostics:#?}");
        (dir, catalog)
    }

    /// A directive as either parser hands it on (`.. placement:: welcome` in rst).
    fn directive(name: &str, argument: &str, options: &[(&str, &str)]) -> Directive {
        Directive {
            name: name.into(),
            argument: argument.into(),
            options: options
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: String::new(),
            location: Location::new(FileId(3), 12, 1),
            source: String::new(),
        }
    }

    fn expand_one(
        catalog: &Catalog,
        directive: &Directive,
    ) -> (Block, PlacementUse, Vec<Diagnostic>) {
        expand_in(catalog, directive, &SourceMap::default())
    }

    fn expand_in(
        catalog: &Catalog,
        directive: &Directive,
        sources: &SourceMap,
    ) -> (Block, PlacementUse, Vec<Diagnostic>) {
        let mut uses = PlacementUse::default();
        let mut diagnostics = Vec::new();
        let block = expand(
            catalog,
            directive,
            sources,
            "guide/setup.html",
            &mut uses,
            &mut diagnostics,
        );
        (block, uses, diagnostics)
    }

    #[test]
    fn placement_directive_becomes_a_snippet_with_the_site_id_apart() {
        let (_dir, catalog) = catalog("hello");
        let (block, uses, diagnostics) = expand_one(
            &catalog,
            &directive("placement", "welcome", &[("variant", "short")]),
        );
        assert!(diagnostics.is_empty(), "{diagnostics:#?}");
        let Block::Snippet(snippet) = block else {
            panic!("not a snippet: {block:?}");
        };
        assert!(
            snippet
                .parts
                .contains(&SnippetPart::SiteId("SITE-1".into()))
        );
        let text = snippet.text();
        assert!(
            text.contains("_q.push([\"init\", { site_id: \"SITE-1\" }]);"),
            "{text}"
        );
        assert!(text.contains("_q.push([\"greet\", {"), "{text}");
        assert!(
            text.contains("note: \"hi\" // Required. Shown to the buyer."),
            "{text}"
        );
        assert!(text.contains("<script async src=\"https://cdn.example/l.js\"></script>"));
        assert_eq!(
            snippet.sample_url.as_deref(),
            Some("../samples/welcome/short/index.html")
        );
        assert_eq!(uses.placements, BTreeSet::from(["welcome".to_string()]));
        assert_eq!(
            uses.snippet_templates,
            BTreeSet::from(["queue".to_string()])
        );
        assert!(
            uses.definitions
                .iter()
                .all(|path| path.ends_with("placements/welcome.toml"))
        );
        assert_eq!(uses.definitions.len(), 1);
    }

    #[test]
    fn unknown_placement_is_an_error_at_the_directive_with_the_nearest_name() {
        let (_dir, catalog) = catalog("hello");
        let (_, uses, diagnostics) = expand_one(&catalog, &directive("placement", "welcom", &[]));
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].message, "unknown placement `welcom`");
        assert_eq!(
            diagnostics[0].hint.as_deref(),
            Some("did you mean `welcome`?")
        );
        assert_eq!(
            diagnostics[0].location,
            Some(Location::new(FileId(3), 12, 1))
        );
        assert!(uses.placements.is_empty());
    }

    #[test]
    fn unknown_variant_and_option_are_errors_with_suggestions() {
        let (_dir, catalog) = catalog("hello");
        let wrong = directive("placement-fields", "welcome", &[("varient", "short")]);
        let (_, _, diagnostics) = expand_one(&catalog, &wrong);
        assert_eq!(
            diagnostics[0].message,
            "unknown option `:varient:` for `placement-fields`"
        );
        assert_eq!(
            diagnostics[0].hint.as_deref(),
            Some("did you mean `:variant:`?")
        );

        let wrong = directive("placement-payload", "welcome", &[("variant", "shrt")]);
        let (_, _, diagnostics) = expand_one(&catalog, &wrong);
        assert_eq!(
            diagnostics[0].message,
            "placement `welcome` has no variant `shrt`"
        );
        assert_eq!(
            diagnostics[0].hint.as_deref(),
            Some("did you mean `short`?")
        );
    }

    #[test]
    fn field_table_lists_nested_fields_under_their_parent() {
        let (_dir, catalog) = catalog("hello");
        let (block, _, _) = expand_one(&catalog, &directive("placement-fields", "welcome", &[]));
        let Block::Table(table) = block else {
            panic!("not a table: {block:?}");
        };
        let names: Vec<(String, String)> = table
            .body
            .iter()
            .map(|row| match &row.cells[0].blocks[0] {
                Block::Container { classes, blocks } => match &blocks[0] {
                    Block::Paragraph(inlines) => {
                        (classes.join(" "), crate::doc::plain_text(inlines))
                    }
                    other => panic!("{other:?}"),
                },
                other => panic!("{other:?}"),
            })
            .collect();
        let expected = [
            (
                "lb-field-name lb-field-depth-0",
                "lb-field-path-note",
                "note",
            ),
            (
                "lb-field-name lb-field-depth-0",
                "lb-field-path-items",
                "items",
            ),
            (
                "lb-field-name lb-field-depth-1",
                "lb-field-path-items--sku",
                "sku",
            ),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(depth, path, name)| (format!("{depth} {path}"), name.to_string()))
            .collect();
        assert_eq!(names, expected);
    }

    /// `(line, column)` of the one diagnostic for `directive` written at line 3 of
    /// `text`.
    fn variant_error_position(text: &str, directive: Directive) -> Option<(u32, u32)> {
        let (_dir, catalog) = catalog("hello");
        let sources = SourceMap::default();
        let file = sources.add(Path::new("/book/page"), "page".into(), Arc::from(text));
        let directive = Directive {
            location: Location::new(file, 3, 1),
            ..directive
        };
        let (_, _, diagnostics) = expand_in(&catalog, &directive, &sources);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
        assert_eq!(diagnostics[0].code.as_deref(), Some("unknown-variant"));
        diagnostics[0].location.map(|l| (l.line, l.column))
    }

    #[test]
    fn unknown_variant_points_at_its_option_in_either_language() {
        let wrong = || directive("placement-payload", "welcome", &[("variant", "shrt")]);
        let rst = "Title\n\n.. placement-payload:: welcome\n   :class: x\n   :variant: shrt\n";
        assert_eq!(variant_error_position(rst, wrong()), Some((5, 14)));
        let myst = "# Title\n\n```{placement-payload} welcome\n:variant: shrt\n```\n";
        assert_eq!(variant_error_position(myst, wrong()), Some((4, 11)));
        let yaml = "# Title\n\n```{placement-payload} welcome\n---\nvariant: shrt\n---\n```\n";
        assert_eq!(variant_error_position(yaml, wrong()), Some((5, 10)));
        // Where the text does not show the option, the directive's line stands in.
        let elsewhere = "# Title\n\n```{placement-payload} welcome\n```\n:variant: shrt\n";
        assert_eq!(variant_error_position(elsewhere, wrong()), Some((3, 1)));
    }

    #[test]
    fn payload_links_to_the_files_of_its_variant() {
        let (_dir, catalog) = catalog("hello");
        let wanted = directive("placement-payload", "welcome", &[("variant", "short")]);
        let (block, _, _) = expand_one(&catalog, &wanted);
        let html = crate::render::html::render_document(&crate::doc::Document {
            blocks: vec![block],
            ..Default::default()
        })
        .html;
        assert!(
            html.contains("href=\"../samples/welcome/short/payload.json\" download>"),
            "the payload is saved, not opened: {html}"
        );
        assert!(
            html.contains("href=\"../samples/welcome/short/schema.json\">"),
            "{html}"
        );
    }

    /// The HTML parser ends a script element at the first `</script` whatever the
    /// JavaScript means, so the snippet's inline script must reach its real end.
    #[test]
    fn hostile_payload_cannot_leave_the_snippet_script() {
        let (_dir, catalog) = catalog(HOSTILE);
        let (block, _, _) = expand_one(&catalog, &directive("placement", "welcome", &[]));
        let Block::Snippet(snippet) = block else {
            panic!("not a snippet");
        };
        let text = snippet.text();
        let body_start = text.find("<script>").unwrap() + "<script>".len();
        let body_end = body_start
            + text[body_start..]
                .to_ascii_lowercase()
                .find("</script")
                .unwrap();
        let body = &text[body_start..body_end];
        assert!(
            body.trim_end().ends_with("}]);"),
            "the script ends early: {body}"
        );
        assert!(
            !body.contains("<!--") && !body.contains('\u{2028}'),
            "{body}"
        );
        // The payload still says exactly what the definition says.
        let literal_start = body.find("note: ").unwrap() + "note: ".len();
        let literal = body[literal_start..]
            .split(" // ")
            .next()
            .unwrap()
            .trim_end_matches(',');
        let back: String = serde_json::from_str(literal).unwrap();
        assert_eq!(back, HOSTILE);
    }
}

/// What each placement directive can show, as fingerprints: a page whose directives
/// name placements with the same fingerprints expands them the same way.
#[derive(Debug, Default)]
pub struct CatalogFingerprints {
    by_name: std::collections::BTreeMap<String, u64>,
    /// For a name the catalog does not have: the message names the nearest one.
    missing: u64,
}

impl CatalogFingerprints {
    pub fn of(&self, name: &str) -> u64 {
        self.by_name.get(name).copied().unwrap_or(self.missing)
    }
}

/// Fingerprints every placement by its definition file and its snippet template's file
/// (the rest of what a snippet is made from, variables and theme, is in every page's key).
pub fn fingerprints(catalog: &Catalog) -> CatalogFingerprints {
    use crate::fingerprint;
    let by_name = catalog
        .placements
        .iter()
        .map(|placement| {
            let template = catalog
                .snippet_files
                .get(&placement.snippet)
                .map(|path| fingerprint::of_file(path));
            let print = fingerprint::of(&(
                &placement.path,
                fingerprint::of_file(&placement.path),
                &placement.snippet,
                template,
                catalog.broken.contains(&placement.name),
                &catalog.queue,
            ));
            (placement.name.clone(), print)
        })
        .collect();
    CatalogFingerprints {
        by_name,
        missing: fingerprint::of(&(catalog.names(), &catalog.broken)),
    }
}
