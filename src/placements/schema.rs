//! JSON Schema (draft 2020-12) for a placement's payload, with the same rules the
//! build's validation applies: formats, enums, decimals as a pattern, required
//! fields, no unknown fields (`additionalProperties: false`) and unions (`anyOf`).
//!
//! The browser stub validates against this same schema, so a payload a reader edits
//! on the sample page is judged as the build judges the definition's example.

use serde_json::{Map, Value, json};

use super::types::{Field, FieldType, PlacementView};
use super::validate::DECIMAL_PATTERN;

const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The schema of a placement's (or variant's) payload.
pub fn payload_schema(view: &PlacementView<'_>) -> Value {
    let mut schema = Map::new();
    schema.insert("$schema".into(), json!(DIALECT));
    schema.insert("title".into(), json!(view.title()));
    if let Some(summary) = view.summary() {
        schema.insert("description".into(), json!(summary));
    }
    if let Value::Object(object) = object_schema(view.fields()) {
        schema.extend(object);
    }
    Value::Object(schema)
}

fn object_schema(fields: &[Field]) -> Value {
    let properties: Map<String, Value> = fields
        .iter()
        .map(|field| (field.name.clone(), field_schema(field)))
        .collect();
    let required: Vec<&str> = fields
        .iter()
        .filter(|field| field.required)
        .map(|field| field.name.as_str())
        .collect();
    let mut schema = Map::new();
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        schema.insert("required".into(), json!(required));
    }
    schema.insert("additionalProperties".into(), json!(false));
    Value::Object(schema)
}

fn field_schema(field: &Field) -> Value {
    let mut schema = match field.types.as_slice() {
        [one] => type_schema(one, &field.fields),
        many => {
            let members: Vec<Value> = many
                .iter()
                .map(|kind| type_schema(kind, &field.fields))
                .collect();
            json!({ "anyOf": members })
        }
    };
    if let (Some(description), Value::Object(object)) = (&field.description, &mut schema) {
        object.insert("description".into(), json!(description));
    }
    schema
}

fn type_schema(kind: &FieldType, nested: &[Field]) -> Value {
    match kind {
        FieldType::String => json!({ "type": "string" }),
        FieldType::Number => json!({ "type": "number" }),
        FieldType::Decimal => json!({ "type": "string", "pattern": DECIMAL_PATTERN }),
        FieldType::Boolean => json!({ "type": "boolean" }),
        FieldType::Email => json!({ "type": "string", "format": "email" }),
        FieldType::Url => json!({ "type": "string", "format": "uri" }),
        FieldType::DateTime => json!({ "type": "string", "format": "date-time" }),
        FieldType::Enum(values) => json!({ "type": "string", "enum": values }),
        FieldType::Object => object_schema(nested),
        FieldType::Array(item) => json!({ "type": "array", "items": type_schema(item, nested) }),
        FieldType::Null => json!({ "type": "null" }),
    }
}
