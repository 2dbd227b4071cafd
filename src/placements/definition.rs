//! Reading one definition file into a [`Placement`], checking the definition itself.
//!
//! Steps: parse the TOML keeping spans; check the top-level keys (unknown, missing, of
//! the wrong kind); read the fields recursively (names, duplicates, type strings,
//! nested `fields` only where the type holds objects); read the variants and work out
//! each one's field list; then hand every example to [`super::validate`]. Every problem
//! is a diagnostic at the key or value it is about; reading goes on after a problem so
//! one run reports all of them.

use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::types::{Field, FieldType, Placement, TYPE_NAMES, Variant};
use super::validate::{self, Example};
use crate::config::{line_column, nearest};
use crate::diagnostics::Diagnostic;
use crate::doc::{FileId, Location};

const PLACEMENT_KEYS: &[&str] = &[
    "name",
    "title",
    "summary",
    "required",
    "call",
    "snippet",
    "container",
    "fields",
    "example",
    "variants",
];
const FIELD_KEYS: &[&str] = &[
    "name",
    "type",
    "required",
    "description",
    "fields",
    "example",
];
const VARIANT_KEYS: &[&str] = &["title", "summary", "include", "fields", "example"];

/// Positions in one definition file, and the problems found in it.
pub(super) struct Reader<'t> {
    pub(super) file: FileId,
    pub(super) text: &'t str,
    pub(super) diagnostics: Vec<Diagnostic>,
}

impl Reader<'_> {
    pub(super) fn location(&self, span: &Range<usize>) -> Location {
        let (line, column) = line_column(self.text, span.start);
        Location::new(self.file, line, column)
    }

    pub(super) fn error(&mut self, span: &Range<usize>, message: String, hint: Option<String>) {
        let mut diagnostic = Diagnostic::error(self.location(span), message);
        diagnostic.hint = hint;
        self.diagnostics.push(diagnostic);
    }
}

/// What reading one definition file gave.
pub struct Outcome {
    /// The placement, when the definition has no error.
    pub placement: Option<Placement>,
    /// The `name` it gives, when that much could be read, so pages that show a broken
    /// placement are not also told the name is unknown.
    pub name: Option<String>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads and checks the definition in `text`.
pub fn read(file: FileId, path: &Path, text: &str) -> Outcome {
    let mut reader = Reader {
        file,
        text,
        diagnostics: Vec::new(),
    };
    let (placement, name) = match DeTable::parse(text) {
        Ok(table) => {
            let name = entry(table.get_ref(), "name")
                .and_then(|(_, value)| value.get_ref().as_str().map(str::to_string));
            (read_placement(&mut reader, path, table.get_ref()), name)
        }
        Err(error) => {
            let span = error.span().unwrap_or(0..0);
            let message = format!("not valid TOML: {}", error.message().trim());
            reader.error(&span, message, None);
            (None, None)
        }
    };
    Outcome {
        placement: placement.filter(|_| reader.diagnostics.is_empty()),
        name,
        diagnostics: reader.diagnostics,
    }
}

fn read_placement(reader: &mut Reader<'_>, path: &Path, table: &DeTable<'_>) -> Option<Placement> {
    check_keys(reader, table, PLACEMENT_KEYS, "placement definition");
    let whole = 0..0;

    let name = required_string(reader, table, "name", &whole);
    if let Some((name, span)) = &name {
        check_name(reader, name, span, "placement");
    }
    let title = required_string(reader, table, "title", &whole);
    let summary = optional_string(reader, table, "summary");
    let required = optional_bool(reader, table, "required").unwrap_or(false);
    let call = required_string(reader, table, "call", &whole);
    let snippet = required_string(reader, table, "snippet", &whole);
    let container = optional_string(reader, table, "container");

    let fields = match entry(table, "fields") {
        Some((_, value)) => read_fields(reader, value, ""),
        None => {
            let hint = "add the payload's fields as [[fields]] tables".to_string();
            reader.error(&whole, "missing key `fields`".into(), Some(hint));
            Vec::new()
        }
    };
    let example = read_example(reader, table, &fields, "", &whole);
    let variants = match entry(table, "variants") {
        Some((key, value)) => read_variants(reader, key, value, &fields),
        None => Vec::new(),
    };

    let snippet_span = entry(table, "snippet").map_or(whole, |(key, _)| key.span());
    Some(Placement {
        name: name?.0,
        title: title?.0,
        summary,
        required,
        call: call?.0,
        snippet: snippet?.0,
        container,
        fields,
        example: example?,
        variants,
        file: reader.file,
        path: path.to_path_buf(),
        snippet_location: reader.location(&snippet_span),
    })
}

/// Names end up in URLs and folder names, so they are kept plain.
fn check_name(reader: &mut Reader<'_>, name: &str, span: &Range<usize>, what: &str) {
    let plain = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-';
    if name.is_empty() || !name.chars().all(plain) {
        reader.error(
            span,
            format!("{what} name `{name}` must be lowercase letters, digits, `_` or `-`"),
            Some("it is used in directives and in the sample's folder name".into()),
        );
    }
}

/// Reports keys that are not in `known`, with the closest known key as a hint.
fn check_keys(reader: &mut Reader<'_>, table: &DeTable<'_>, known: &[&str], what: &str) {
    for (key, _) in sorted_entries(table) {
        let name: &str = key.get_ref();
        if known.contains(&name) {
            continue;
        }
        let hint = match nearest(name, known) {
            Some(nearest) => format!("did you mean `{nearest}`?"),
            None => format!("known keys: {}", known.join(", ")),
        };
        reader.error(
            &key.span(),
            format!("unknown key `{name}` in {what}"),
            Some(hint),
        );
    }
}

type Entry<'a, 'i> = (
    &'a Spanned<std::borrow::Cow<'i, str>>,
    &'a Spanned<DeValue<'i>>,
);

/// A table's entries in the order they are written (the map itself sorts by name).
pub(super) fn sorted_entries<'a, 'i>(table: &'a DeTable<'i>) -> Vec<Entry<'a, 'i>> {
    let mut entries: Vec<Entry<'a, 'i>> = table.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    entries
}

fn entry<'a, 'i>(table: &'a DeTable<'i>, name: &str) -> Option<Entry<'a, 'i>> {
    table.iter().find(|(key, _)| key.get_ref().as_ref() == name)
}

/// A required string key; `missing_at` is where to point when the key is absent.
fn required_string(
    reader: &mut Reader<'_>,
    table: &DeTable<'_>,
    name: &str,
    missing_at: &Range<usize>,
) -> Option<(String, Range<usize>)> {
    let Some((_, value)) = entry(table, name) else {
        reader.error(missing_at, format!("missing key `{name}`"), None);
        return None;
    };
    let text = string_value(reader, name, value)?;
    Some((text, value.span()))
}

fn optional_string(reader: &mut Reader<'_>, table: &DeTable<'_>, name: &str) -> Option<String> {
    let (_, value) = entry(table, name)?;
    string_value(reader, name, value)
}

fn string_value(
    reader: &mut Reader<'_>,
    name: &str,
    value: &Spanned<DeValue<'_>>,
) -> Option<String> {
    match value.get_ref() {
        DeValue::String(text) => Some(text.to_string()),
        other => {
            let message = format!("`{name}` must be a string, not {}", kind_of(other));
            reader.error(&value.span(), message, None);
            None
        }
    }
}

fn optional_bool(reader: &mut Reader<'_>, table: &DeTable<'_>, name: &str) -> Option<bool> {
    let (_, value) = entry(table, name)?;
    match value.get_ref() {
        DeValue::Boolean(flag) => Some(*flag),
        other => {
            let message = format!("`{name}` must be true or false, not {}", kind_of(other));
            reader.error(
                &value.span(),
                message,
                Some(format!("write `{name} = true`")),
            );
            None
        }
    }
}

/// How a TOML value is described in messages.
pub(super) fn kind_of(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// `fields` is an array of tables, at the top or nested under a field.
fn read_fields(reader: &mut Reader<'_>, value: &Spanned<DeValue<'_>>, parent: &str) -> Vec<Field> {
    let DeValue::Array(items) = value.get_ref() else {
        let message = format!(
            "`fields` must be an array of tables, not {}",
            kind_of(value.get_ref())
        );
        let hint = "write each field as a [[fields]] table or { name = ..., type = ... }";
        reader.error(&value.span(), message, Some(hint.into()));
        return Vec::new();
    };
    let mut fields: Vec<Field> = Vec::new();
    for item in items.iter() {
        let Some(field) = read_field(reader, item, parent) else {
            continue;
        };
        if fields.iter().any(|known| known.name == field.name) {
            let path = join_path(parent, &field.name);
            let span = field_name_span(item).unwrap_or_else(|| item.span());
            reader.error(
                &span,
                format!("field `{path}` is defined twice"),
                Some("remove one of the two, or give it another name".into()),
            );
            continue;
        }
        fields.push(field);
    }
    fields
}

fn field_name_span(item: &Spanned<DeValue<'_>>) -> Option<Range<usize>> {
    let table = item.get_ref().as_table()?;
    entry(table, "name").map(|(_, value)| value.span())
}

pub(super) fn join_path(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

fn read_field(reader: &mut Reader<'_>, item: &Spanned<DeValue<'_>>, parent: &str) -> Option<Field> {
    let Some(table) = item.get_ref().as_table() else {
        let message = format!("a field must be a table, not {}", kind_of(item.get_ref()));
        reader.error(&item.span(), message, None);
        return None;
    };
    check_keys(reader, table, FIELD_KEYS, "a field");
    let (name, name_span) = required_string(reader, table, "name", &item.span())?;
    let path = join_path(parent, &name);
    if name.is_empty()
        || name
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '.' | '[' | ']'))
    {
        reader.error(
            &name_span,
            format!("field name `{name}` may not be empty or hold spaces, `.`, `[` or `]`"),
            None,
        );
    }

    let types = match entry(table, "type") {
        Some((_, value)) => read_types(reader, value, &path),
        None => {
            reader.error(&name_span, format!("field `{path}` has no `type`"), None);
            Vec::new()
        }
    };
    let required = optional_bool(reader, table, "required").unwrap_or(false);
    let description = optional_string(reader, table, "description");
    let holds_objects = types.iter().any(FieldType::holds_objects);
    let fields = match (entry(table, "fields"), holds_objects) {
        (Some((_, value)), true) => read_fields(reader, value, &path),
        (Some((key, _)), false) if !types.is_empty() => {
            reader.error(
                &key.span(),
                format!("field `{path}` has nested `fields` but its type holds no object"),
                Some("use `object` or `array<object>`, or remove the nested fields".into()),
            );
            Vec::new()
        }
        (None, true) => {
            reader.error(
                &name_span,
                format!("field `{path}` holds objects but lists no nested `fields`"),
                Some("describe the object's own fields in `fields = [ ... ]`".into()),
            );
            Vec::new()
        }
        _ => Vec::new(),
    };

    let mut field = Field {
        name,
        types,
        required,
        description,
        fields,
        example: None,
        location: reader.location(&name_span),
    };
    if let Some((_, value)) = entry(table, "example") {
        let example = Example { value, path: &path };
        field.example = validate::check_field_value(reader, &field, &example);
    }
    Some(field)
}

/// `type` is a type string, or an array of them for a union.
fn read_types(reader: &mut Reader<'_>, value: &Spanned<DeValue<'_>>, path: &str) -> Vec<FieldType> {
    let written: Vec<&Spanned<DeValue<'_>>> = match value.get_ref() {
        DeValue::Array(items) if !items.is_empty() => items.iter().collect(),
        DeValue::String(_) => vec![value],
        other => {
            reader.error(
                &value.span(),
                format!(
                    "the type of `{path}` must be a string or a non-empty array of strings, not {}",
                    kind_of(other)
                ),
                Some("write `type = \"string\"` or `type = [\"string\", \"null\"]`".into()),
            );
            return Vec::new();
        }
    };
    let mut types = Vec::new();
    for item in written {
        let Some(text) = item.get_ref().as_str() else {
            let message = format!("a union member of `{path}` must be a type string");
            reader.error(&item.span(), message, None);
            continue;
        };
        match FieldType::parse(text) {
            Ok(parsed) if types.contains(&parsed) => {
                let message = format!("`{path}` lists the type `{parsed}` twice");
                reader.error(&item.span(), message, None);
            }
            Ok(parsed) => types.push(parsed),
            Err(problem) => {
                let hint = match nearest(text.trim(), TYPE_NAMES) {
                    Some(name) => format!("did you mean `{name}`?"),
                    None => "types: string, number, decimal, boolean, email, url, datetime, \
                             enum(a|b), object, array<T>, null"
                        .to_string(),
                };
                reader.error(
                    &item.span(),
                    format!("field `{path}`: {problem}"),
                    Some(hint),
                );
            }
        }
    }
    types
}

/// The `example` table, checked against `fields`. `None` when missing or wrong.
fn read_example(
    reader: &mut Reader<'_>,
    table: &DeTable<'_>,
    fields: &[Field],
    what: &str,
    missing_at: &Range<usize>,
) -> Option<serde_json::Value> {
    let Some((key, value)) = entry(table, "example") else {
        let message = format!("missing `example`{what}: every placement shows an example payload");
        let hint = "add an [example] table with a value for each required field";
        reader.error(missing_at, message, Some(hint.into()));
        return None;
    };
    validate::check_payload(reader, fields, key, value)
}

fn read_variants(
    reader: &mut Reader<'_>,
    key: &Spanned<std::borrow::Cow<'_, str>>,
    value: &Spanned<DeValue<'_>>,
    base: &[Field],
) -> Vec<Variant> {
    let Some(table) = value.get_ref().as_table() else {
        let message = format!(
            "`variants` must be a table of variants, not {}",
            kind_of(value.get_ref())
        );
        reader.error(
            &key.span(),
            message,
            Some("write each variant as [variants.NAME]".into()),
        );
        return Vec::new();
    };
    let mut variants = Vec::new();
    for (name_key, body) in sorted_entries(table) {
        let name = name_key.get_ref().to_string();
        check_name(reader, &name, &name_key.span(), "variant");
        let Some(body_table) = body.get_ref().as_table() else {
            let message = format!(
                "variant `{name}` must be a table, not {}",
                kind_of(body.get_ref())
            );
            reader.error(&name_key.span(), message, None);
            continue;
        };
        if let Some(variant) = read_variant(reader, &name, &name_key.span(), body_table, base) {
            variants.push(variant);
        }
    }
    variants
}

/// A variant takes the base fields it names in `include` (all of them by default),
/// then adds its own `fields`.
fn read_variant(
    reader: &mut Reader<'_>,
    name: &str,
    name_span: &Range<usize>,
    table: &DeTable<'_>,
    base: &[Field],
) -> Option<Variant> {
    check_keys(reader, table, VARIANT_KEYS, "a variant");
    let mut fields: Vec<Field> = match entry(table, "include") {
        Some((_, value)) => included_fields(reader, value, base, name),
        None => base.to_vec(),
    };
    if let Some((_, value)) = entry(table, "fields") {
        for field in read_fields(reader, value, "") {
            if fields.iter().any(|known| known.name == field.name) {
                let span = reader_span(reader, field.location);
                reader.error(
                    &span,
                    format!(
                        "variant `{name}` adds field `{}`, which it already has",
                        field.name
                    ),
                    Some("a variant's own fields must differ from the fields it includes".into()),
                );
                continue;
            }
            fields.push(field);
        }
    }
    let what = format!(" in variant `{name}`");
    let example = read_example(reader, table, &fields, &what, name_span);
    Some(Variant {
        name: name.to_string(),
        title: optional_string(reader, table, "title"),
        summary: optional_string(reader, table, "summary"),
        fields,
        example: example?,
    })
}

/// A location back to a byte span of one character, for reporting at a field's name.
fn reader_span(reader: &Reader<'_>, location: Location) -> Range<usize> {
    let start: usize = reader
        .text
        .split_inclusive('\n')
        .take(location.line.saturating_sub(1) as usize)
        .map(str::len)
        .sum();
    let line = &reader.text[start..];
    let offset = line
        .char_indices()
        .nth(location.column.saturating_sub(1) as usize)
        .map_or(0, |(index, _)| index);
    start + offset..start + offset + 1
}

fn included_fields(
    reader: &mut Reader<'_>,
    value: &Spanned<DeValue<'_>>,
    base: &[Field],
    variant: &str,
) -> Vec<Field> {
    let Some(names) = value.get_ref().as_array() else {
        let message = format!(
            "`include` must be an array of field names, not {}",
            kind_of(value.get_ref())
        );
        reader.error(&value.span(), message, None);
        return Vec::new();
    };
    let known: Vec<&str> = base.iter().map(|field| field.name.as_str()).collect();
    let mut fields: Vec<Field> = Vec::new();
    for item in names.iter() {
        let Some(name) = item.get_ref().as_str() else {
            reader.error(
                &item.span(),
                "`include` lists field names as strings".into(),
                None,
            );
            continue;
        };
        match base.iter().find(|field| field.name == name) {
            Some(_) if fields.iter().any(|field| field.name == name) => {
                let message = format!("variant `{variant}` includes `{name}` twice");
                reader.error(&item.span(), message, None);
            }
            Some(field) => fields.push(field.clone()),
            None => {
                let hint = match nearest(name, &known) {
                    Some(nearest) => format!("did you mean `{nearest}`?"),
                    None => format!("the placement's fields: {}", known.join(", ")),
                };
                let message =
                    format!("variant `{variant}` includes `{name}`, which is not a field");
                reader.error(&item.span(), message, Some(hint));
            }
        }
    }
    // Kept in the placement's order, whatever order `include` lists them in.
    fields.sort_by_key(|field| known.iter().position(|name| *name == field.name));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = r#"name = "post_purchase"
title = "Post purchase"
call = "register_purchase"
snippet = "queue"

[[fields]]
name = "email"
type = "email"
required = true

[[fields]]
name = "total"
type = "decimal"
required = true

[[fields]]
name = "site"
type = "url"

[[fields]]
name = "placed_at"
type = "datetime"

[[fields]]
name = "tier"
type = "enum(gold|silver)"

[[fields]]
name = "items"
type = "array<object>"
fields = [
  { name = "sku", type = "string", required = true },
  { name = "price", type = "decimal", required = true },
]

[example]
email = "customer@example.com"
total = "23.97"
site = "https://shop.example/"
placed_at = 2026-03-14T09:26:53Z
tier = "gold"
items = [
  { sku = "A", price = "1.00" },
  { sku = "B", price = "2.50" },
]

[variants.basic]
include = ["email", "total"]

[variants.basic.example]
email = "customer@example.com"
total = "23.97"
"#;

    /// (line, column, message, hint) of every problem in `text`.
    fn problems(text: &str) -> Vec<(u32, u32, String, Option<String>)> {
        let outcome = read(FileId(7), Path::new("placements/p.toml"), text);
        assert_eq!(outcome.placement.is_some(), outcome.diagnostics.is_empty());
        outcome
            .diagnostics
            .into_iter()
            .map(|d| {
                let location = d.location.expect("every problem has a location");
                assert_eq!(location.file, FileId(7));
                (location.line, location.column, d.message, d.hint)
            })
            .collect()
    }

    /// The one problem of `text`, asserted to be on the line holding `needle`.
    fn single_problem_at(text: &str, needle: &str) -> (String, Option<String>) {
        let found = problems(text);
        assert_eq!(found.len(), 1, "{found:#?}");
        let (line, _, message, hint) = found.into_iter().next().unwrap();
        assert_eq!(line, line_of(text, needle), "{message}");
        (message, hint)
    }

    fn line_of(text: &str, needle: &str) -> u32 {
        let index = text
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} not in text"));
        text[..index].matches('\n').count() as u32 + 1
    }

    fn with(from: &str, to: &str) -> String {
        assert!(VALID.contains(from), "{from}");
        VALID.replacen(from, to, 1)
    }

    #[test]
    fn valid_definition_reads_in_written_order() {
        let outcome = read(FileId(7), Path::new("p.toml"), VALID);
        assert!(outcome.diagnostics.is_empty(), "{:#?}", outcome.diagnostics);
        let placement = outcome.placement.unwrap();
        let keys: Vec<&String> = placement.example.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["email", "total", "site", "placed_at", "tier", "items"]
        );
        assert_eq!(placement.example["placed_at"], "2026-03-14T09:26:53Z");
        assert_eq!(placement.variants[0].fields.len(), 2);
    }

    #[test]
    fn toml_syntax_error_points_at_its_line() {
        let text = with("total = \"23.97\"", "total = \"23.97");
        let (message, _) = single_problem_at(&text, "total = \"23.97");
        assert!(message.starts_with("not valid TOML"), "{message}");
    }

    #[test]
    fn unknown_top_level_key_names_the_nearest_one() {
        let text = with("snippet = \"queue\"", "snipet = \"queue\"");
        let found = problems(&text);
        let unknown = found.iter().find(|p| p.2.contains("unknown key")).unwrap();
        assert_eq!(unknown.0, line_of(&text, "snipet"));
        assert_eq!(unknown.2, "unknown key `snipet` in placement definition");
        assert_eq!(unknown.3.as_deref(), Some("did you mean `snippet`?"));
        // The key it should have been is then missing, reported as well.
        assert!(found.iter().any(|p| p.2 == "missing key `snippet`"));
    }

    #[test]
    fn unknown_field_key_is_an_error_at_the_key() {
        let text = with("type = \"url\"", "type = \"url\"\ndescripton = \"Shop\"");
        let (message, hint) = single_problem_at(&text, "descripton");
        assert_eq!(message, "unknown key `descripton` in a field");
        assert_eq!(hint.as_deref(), Some("did you mean `description`?"));
    }

    #[test]
    fn key_of_the_wrong_kind_says_what_it_must_be() {
        let text = with(
            "type = \"decimal\"\nrequired = true",
            "type = \"decimal\"\nrequired = \"yes\"",
        );
        let (message, _) = single_problem_at(&text, "required = \"yes\"");
        assert_eq!(message, "`required` must be true or false, not a string");
    }

    #[test]
    fn duplicate_field_is_reported_at_the_second() {
        let text = with("name = \"site\"", "name = \"email\"");
        let found = problems(&text);
        let duplicate = found.iter().find(|p| p.2.contains("twice")).unwrap();
        assert_eq!(duplicate.2, "field `email` is defined twice");
        assert_eq!(
            duplicate.0,
            line_of(&text, "name = \"email\"\ntype = \"url\"")
        );
    }

    #[test]
    fn duplicate_nested_field_names_its_path() {
        let text = with("{ name = \"price\"", "{ name = \"sku\"");
        let found = problems(&text);
        assert!(
            found
                .iter()
                .any(|p| p.2 == "field `items.sku` is defined twice"),
            "{found:#?}"
        );
    }

    #[test]
    fn type_string_that_does_not_parse_is_an_error_with_a_suggestion() {
        let text = with("type = \"decimal\"", "type = \"decimall\"");
        let found = problems(&text);
        let bad = &found[0];
        assert_eq!(bad.0, line_of(&text, "decimall"));
        assert_eq!(bad.2, "field `total`: `decimall` is not a type");
        assert_eq!(bad.3.as_deref(), Some("did you mean `decimal`?"));
    }

    #[test]
    fn nested_fields_on_a_type_without_objects_are_refused() {
        let text = with("type = \"array<object>\"", "type = \"array<string>\"");
        let found = problems(&text);
        assert!(
            found
                .iter()
                .any(|p| p.2 == "field `items` has nested `fields` but its type holds no object"),
            "{found:#?}"
        );
    }

    #[test]
    fn object_without_nested_fields_is_refused() {
        let text = with("type = \"enum(gold|silver)\"", "type = \"object\"");
        let found = problems(&text);
        assert!(
            found
                .iter()
                .any(|p| p.2 == "field `tier` holds objects but lists no nested `fields`"),
            "{found:#?}"
        );
    }

    #[test]
    fn missing_required_field_in_the_example_names_the_field() {
        let text = with("total = \"23.97\"\nsite", "site");
        let (message, _) = single_problem_at(&text, "[example]");
        assert_eq!(message, "missing required field `total`");
    }

    #[test]
    fn missing_required_nested_field_names_its_path() {
        let text = with("{ sku = \"B\", price = \"2.50\" }", "{ sku = \"B\" }");
        let (message, _) = single_problem_at(&text, "{ sku = \"B\" }");
        assert_eq!(message, "missing required field `items[1].price`");
    }

    #[test]
    fn wrong_type_in_an_array_item_names_its_path() {
        let text = with("price = \"2.50\"", "price = 2.50");
        let (message, hint) = single_problem_at(&text, "price = 2.50");
        assert_eq!(
            message,
            "`items[1].price` must be a decimal string, not a float"
        );
        assert!(hint.unwrap().contains("as strings"));
    }

    #[test]
    fn malformed_email_is_an_error() {
        let text = with(
            "email = \"customer@example.com\"\ntotal",
            "email = \"customer@\"\ntotal",
        );
        let (message, _) = single_problem_at(&text, "customer@\"");
        assert_eq!(message, "`email` is not a valid email address");
    }

    #[test]
    fn malformed_url_is_an_error() {
        let text = with(
            "site = \"https://shop.example/\"",
            "site = \"shop.example\"",
        );
        let (message, _) = single_problem_at(&text, "site = \"shop.example\"");
        assert!(
            message.starts_with("`site` is not an absolute URL"),
            "{message}"
        );
    }

    #[test]
    fn malformed_datetime_is_an_error_as_string_or_local_time() {
        let text = with(
            "placed_at = 2026-03-14T09:26:53Z",
            "placed_at = \"14/03/2026\"",
        );
        let (message, _) = single_problem_at(&text, "14/03/2026");
        assert!(
            message.starts_with("`placed_at` is not an ISO 8601 date-time"),
            "{message}"
        );

        let text = with(
            "placed_at = 2026-03-14T09:26:53Z",
            "placed_at = 2026-03-14T09:26:53",
        );
        let (message, _) = single_problem_at(&text, "placed_at = 2026-03-14T09:26:53\n");
        assert!(
            message.contains("without a date, time or time zone"),
            "{message}"
        );
    }

    #[test]
    fn enum_value_outside_the_list_is_an_error() {
        let text = with("tier = \"gold\"", "tier = \"platinum\"");
        let (message, _) = single_problem_at(&text, "platinum");
        assert_eq!(
            message,
            "`tier` is `platinum`, which is not one of gold, silver"
        );
    }

    #[test]
    fn unknown_field_in_the_example_names_the_nearest() {
        let text = with("tier = \"gold\"", "tier = \"gold\"\nteir = \"gold\"");
        let (message, hint) = single_problem_at(&text, "teir");
        assert_eq!(message, "unknown field `teir`");
        assert_eq!(hint.as_deref(), Some("did you mean `tier`?"));
    }

    #[test]
    fn unknown_nested_field_names_its_path() {
        let text = with(
            "{ sku = \"A\", price = \"1.00\" }",
            "{ sku = \"A\", price = \"1.00\", qty = 1 }",
        );
        let (message, _) = single_problem_at(&text, "qty");
        assert_eq!(message, "unknown field `items[0].qty`");
    }

    #[test]
    fn union_accepts_any_member_and_names_them_all_when_none_fits() {
        let union = "type = [\"string\", \"array<string>\"]";
        let text = with("type = \"enum(gold|silver)\"", union);
        assert!(problems(&text).is_empty());
        let text = with("tier = \"gold\"", "tier = [\"gold\", \"silver\"]").replacen(
            "type = \"enum(gold|silver)\"",
            union,
            1,
        );
        assert!(problems(&text).is_empty());
        let text =
            with("type = \"enum(gold|silver)\"", union).replacen("tier = \"gold\"", "tier = 3", 1);
        let (message, _) = single_problem_at(&text, "tier = 3");
        assert_eq!(
            message,
            "`tier` must be a string or an array of strings, not an integer"
        );
    }

    #[test]
    fn variant_including_an_unknown_field_is_an_error() {
        let text = with(
            "include = [\"email\", \"total\"]",
            "include = [\"email\", \"totl\"]",
        );
        let found = problems(&text);
        let bad = found.iter().find(|p| p.2.contains("includes")).unwrap();
        assert_eq!(bad.0, line_of(&text, "include = "));
        assert_eq!(
            bad.2,
            "variant `basic` includes `totl`, which is not a field"
        );
        assert_eq!(bad.3.as_deref(), Some("did you mean `total`?"));
    }

    #[test]
    fn variant_example_is_checked_against_the_variant_fields() {
        // `site` is a field of the placement but not of the basic variant.
        let text = with(
            "[variants.basic.example]\nemail",
            "[variants.basic.example]\nsite = \"https://shop.example/\"\nemail",
        );
        let (message, _) = single_problem_at(&text, "site = \"https://shop.example/\"\nemail");
        assert_eq!(message, "unknown field `site`");
    }

    #[test]
    fn every_problem_of_a_definition_is_reported_in_one_read() {
        let text = with("tier = \"gold\"", "tier = \"platinum\"")
            .replacen(
                "email = \"customer@example.com\"\ntotal",
                "email = \"nobody\"\ntotal",
                1,
            )
            .replacen("type = \"url\"", "type = \"uri\"", 1);
        let found = problems(&text);
        assert_eq!(found.len(), 3, "{found:#?}");
    }
}
