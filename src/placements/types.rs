//! The checked form of a placement definition: placements, variants, fields and the
//! field types, with the parser for type strings (`array<enum(a|b)>`).
//!
//! Everything here has passed the definition checks; the example payloads are plain
//! JSON values in the order the definition wrote them.

use std::fmt;
use std::path::PathBuf;

use serde_json::Value;

use crate::doc::{FileId, Location};

/// One placement, as its definition file describes it.
#[derive(Debug, Clone)]
pub struct Placement {
    /// Used in directives, output paths and snippet templates (`post_purchase`).
    pub name: String,
    pub title: String,
    pub summary: Option<String>,
    /// Whether every integration must have it (shown in the docs, passed to templates).
    pub required: bool,
    /// The queue method the snippet pushes (`register_purchase`).
    pub call: String,
    /// The snippet template's name: `snippets/<snippet>.html` in the theme.
    pub snippet: String,
    /// The id of the element a container-based placement draws its widget in.
    pub container: Option<String>,
    pub fields: Vec<Field>,
    pub example: Value,
    pub variants: Vec<Variant>,
    pub file: FileId,
    /// The definition file, for rebuilding pages that show this placement.
    pub path: PathBuf,
    /// Where `snippet = ...` is written, for problems with the template.
    pub snippet_location: Location,
}

impl Placement {
    pub fn variant(&self, name: &str) -> Option<&Variant> {
        self.variants.iter().find(|variant| variant.name == name)
    }

    /// The placement as a whole, or one of its variants.
    pub fn view<'a>(&'a self, variant: Option<&'a Variant>) -> PlacementView<'a> {
        PlacementView {
            placement: self,
            variant,
        }
    }

    /// The placement and each of its variants, in definition order.
    pub fn views(&self) -> impl Iterator<Item = PlacementView<'_>> {
        std::iter::once(self.view(None)).chain(self.variants.iter().map(|v| self.view(Some(v))))
    }
}

/// A named cut of a placement's fields with an example of its own.
#[derive(Debug, Clone)]
pub struct Variant {
    pub name: String,
    pub title: Option<String>,
    pub summary: Option<String>,
    /// The variant's whole field list: the base fields it includes, then its own.
    pub fields: Vec<Field>,
    pub example: Value,
}

/// A placement or one of its variants: what a snippet, table, payload or sample shows.
#[derive(Debug, Clone, Copy)]
pub struct PlacementView<'a> {
    pub placement: &'a Placement,
    pub variant: Option<&'a Variant>,
}

impl<'a> PlacementView<'a> {
    pub fn fields(&self) -> &'a [Field] {
        match self.variant {
            Some(variant) => &variant.fields,
            None => &self.placement.fields,
        }
    }

    pub fn example(&self) -> &'a Value {
        match self.variant {
            Some(variant) => &variant.example,
            None => &self.placement.example,
        }
    }

    pub fn variant_name(&self) -> Option<&'a str> {
        self.variant.map(|variant| variant.name.as_str())
    }

    /// `samples/<name>/` or `samples/<name>/<variant>/`, relative to the output folder.
    pub fn sample_dir(&self) -> String {
        match self.variant {
            Some(variant) => format!("samples/{}/{}/", self.placement.name, variant.name),
            None => format!("samples/{}/", self.placement.name),
        }
    }

    /// `Post Purchase` or `Post Purchase (advanced)`.
    pub fn title(&self) -> String {
        match self.variant {
            Some(variant) => match &variant.title {
                Some(title) => format!("{} — {title}", self.placement.title),
                None => format!("{} ({})", self.placement.title, variant.name),
            },
            None => self.placement.title.clone(),
        }
    }

    pub fn summary(&self) -> Option<&'a str> {
        self.variant
            .and_then(|variant| variant.summary.as_deref())
            .or(self.placement.summary.as_deref())
    }
}

/// One field of a payload.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    /// One type, or several for a union.
    pub types: Vec<FieldType>,
    pub required: bool,
    pub description: Option<String>,
    /// The fields of the objects this field holds (`object`, `array<object>`).
    pub fields: Vec<Field>,
    /// An example value for this field alone, shown in the field table.
    pub example: Option<Value>,
    pub location: Location,
}

impl Field {
    /// The type as written, unions joined with ` | `.
    pub fn type_text(&self) -> String {
        self.types
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" | ")
    }

    /// Whether any of the field's types holds objects, so nested `fields` apply.
    pub fn holds_objects(&self) -> bool {
        self.types.iter().any(FieldType::holds_objects)
    }
}

/// A field type. Objects take their properties from the field's nested `fields`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    String,
    Number,
    /// A number written as a string (`"23.97"`), so no precision is lost on the way.
    Decimal,
    Boolean,
    Email,
    Url,
    /// ISO 8601 date and time with a time zone (RFC 3339).
    DateTime,
    Enum(Vec<String>),
    Object,
    Array(Box<FieldType>),
    Null,
}

impl FieldType {
    pub fn holds_objects(&self) -> bool {
        match self {
            FieldType::Object => true,
            FieldType::Array(item) => item.holds_objects(),
            _ => false,
        }
    }

    /// Parses a type string.
    ///
    /// ```text
    /// type  := "string" | "number" | "decimal" | "boolean" | "email" | "url"
    ///        | "datetime" | "object" | "null"
    ///        | "enum(" value ("|" value)* ")"     value: letters, digits, _ . -
    ///        | "array<" type ">"
    /// ```
    /// White space around the parts is allowed. Unions are TOML arrays of type strings.
    pub fn parse(text: &str) -> Result<FieldType, String> {
        let text = text.trim();
        if let Some(inner) = strip_wrapper(text, "array<", '>') {
            return Ok(FieldType::Array(Box::new(FieldType::parse(inner)?)));
        }
        if let Some(inner) = strip_wrapper(text, "enum(", ')') {
            return parse_enum(inner);
        }
        match text {
            "string" => Ok(FieldType::String),
            "number" => Ok(FieldType::Number),
            "decimal" => Ok(FieldType::Decimal),
            "boolean" => Ok(FieldType::Boolean),
            "email" => Ok(FieldType::Email),
            "url" => Ok(FieldType::Url),
            "datetime" => Ok(FieldType::DateTime),
            "object" => Ok(FieldType::Object),
            "null" => Ok(FieldType::Null),
            _ if text.starts_with("array") => Err(format!(
                "`{text}` is not a type: write arrays as `array<T>`"
            )),
            _ if text.starts_with("enum") => Err(format!(
                "`{text}` is not a type: write enums as `enum(a|b|c)`"
            )),
            _ => Err(format!("`{text}` is not a type")),
        }
    }
}

/// The names of the simple types, for "did you mean" hints.
pub const TYPE_NAMES: &[&str] = &[
    "string", "number", "decimal", "boolean", "email", "url", "datetime", "object", "null",
];

fn strip_wrapper<'a>(text: &'a str, open: &str, close: char) -> Option<&'a str> {
    text.strip_prefix(open)?.strip_suffix(close)
}

fn parse_enum(inner: &str) -> Result<FieldType, String> {
    let mut values: Vec<String> = Vec::new();
    for value in inner.split('|').map(str::trim) {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
        if value.is_empty() || !value.chars().all(allowed) {
            return Err(format!(
                "enum value `{value}` must be letters, digits, `_`, `-` or `.`"
            ));
        }
        if values.iter().any(|known| known == value) {
            return Err(format!("enum value `{value}` is listed twice"));
        }
        values.push(value.to_string());
    }
    Ok(FieldType::Enum(values))
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldType::String => f.write_str("string"),
            FieldType::Number => f.write_str("number"),
            FieldType::Decimal => f.write_str("decimal"),
            FieldType::Boolean => f.write_str("boolean"),
            FieldType::Email => f.write_str("email"),
            FieldType::Url => f.write_str("url"),
            FieldType::DateTime => f.write_str("datetime"),
            FieldType::Enum(values) => write!(f, "enum({})", values.join("|")),
            FieldType::Object => f.write_str("object"),
            FieldType::Array(item) => write!(f, "array<{item}>"),
            FieldType::Null => f.write_str("null"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_types_parse_and_print_back() {
        for text in [
            "string",
            "array<object>",
            "array<array<decimal>>",
            "enum(gold|silver|bronze)",
            "array<enum(a|b-c|d.e)>",
        ] {
            assert_eq!(FieldType::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(
            FieldType::parse(" array< string > ").unwrap(),
            FieldType::Array(Box::new(FieldType::String))
        );
    }

    #[test]
    fn malformed_types_say_what_is_wrong() {
        assert_eq!(
            FieldType::parse("strng").unwrap_err(),
            "`strng` is not a type"
        );
        assert!(
            FieldType::parse("array[string]")
                .unwrap_err()
                .contains("array<T>")
        );
        assert!(
            FieldType::parse("enum(a||b)")
                .unwrap_err()
                .contains("enum value ``")
        );
        assert!(FieldType::parse("enum(a|a)").unwrap_err().contains("twice"));
        assert!(FieldType::parse("array<>").is_err());
    }

    #[test]
    fn objects_inside_arrays_take_nested_fields() {
        assert!(FieldType::parse("array<object>").unwrap().holds_objects());
        assert!(!FieldType::parse("array<string>").unwrap().holds_objects());
    }
}
