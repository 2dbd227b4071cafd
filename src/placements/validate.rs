//! Checking example payloads against a placement's fields, and the format rules they
//! share with the generated JSON Schema and the browser stub.
//!
//! Steps for an object: every key must be a field (unknown ones are errors, with the
//! nearest name), every required field must be there, and every value must match one
//! of its field's types; objects and arrays are checked the same way, one level down,
//! with the path growing as `items[1].price`. A checked example becomes JSON in the
//! order it was written.

use std::borrow::Cow;

use serde_json::Value;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::definition::{Reader, join_path, kind_of, sorted_entries};
use super::types::{Field, FieldType};
use crate::config::nearest;

/// The pattern a decimal string matches, also written into the JSON Schema.
pub const DECIMAL_PATTERN: &str = "^-?[0-9]+(\\.[0-9]+)?$";

/// A value from a definition, with the path it is reported under.
pub(super) struct Example<'a, 'i> {
    pub(super) value: &'a Spanned<DeValue<'i>>,
    pub(super) path: &'a str,
}

/// Checks an `[example]` table against `fields`; its JSON when it has no problem.
pub(super) fn check_payload(
    reader: &mut Reader<'_>,
    fields: &[Field],
    key: &Spanned<Cow<'_, str>>,
    value: &Spanned<DeValue<'_>>,
) -> Option<Value> {
    let Some(table) = value.get_ref().as_table() else {
        let message = format!(
            "`example` must be a table, not {}",
            kind_of(value.get_ref())
        );
        reader.error(
            &key.span(),
            message,
            Some("write it as an [example] table".into()),
        );
        return None;
    };
    let before = reader.diagnostics.len();
    check_object(reader, fields, table, &key.span(), "");
    (reader.diagnostics.len() == before).then(|| to_json(value.get_ref()))
}

/// Checks a field's own `example` value; its JSON when it has no problem.
pub(super) fn check_field_value(
    reader: &mut Reader<'_>,
    field: &Field,
    example: &Example<'_, '_>,
) -> Option<Value> {
    let before = reader.diagnostics.len();
    check_typed(reader, &field.types, &field.fields, example);
    (reader.diagnostics.len() == before).then(|| to_json(example.value.get_ref()))
}

fn check_object(
    reader: &mut Reader<'_>,
    fields: &[Field],
    table: &DeTable<'_>,
    table_span: &std::ops::Range<usize>,
    parent: &str,
) {
    let known: Vec<&str> = fields.iter().map(|field| field.name.as_str()).collect();
    for (key, value) in sorted_entries(table) {
        let path = join_path(parent, key.get_ref());
        match fields
            .iter()
            .find(|field| field.name == key.get_ref().as_ref())
        {
            Some(field) => {
                let example = Example { value, path: &path };
                check_typed(reader, &field.types, &field.fields, &example);
            }
            None => {
                let hint = match nearest(key.get_ref(), &known) {
                    Some(nearest) => format!("did you mean `{}`?", join_path(parent, nearest)),
                    None if known.is_empty() => "this object has no fields".to_string(),
                    None => format!("the fields here: {}", known.join(", ")),
                };
                reader.error(&key.span(), format!("unknown field `{path}`"), Some(hint));
            }
        }
    }
    for field in fields.iter().filter(|field| field.required) {
        if !table
            .iter()
            .any(|(key, _)| key.get_ref().as_ref() == field.name)
        {
            let path = join_path(parent, &field.name);
            let hint = field
                .description
                .as_ref()
                .map(|description| format!("`{path}`: {description}"));
            reader.error(table_span, format!("missing required field `{path}`"), hint);
        }
    }
}

/// Checks a value against the types of a field (one, or a union). `nested` are the
/// fields of any object the types hold.
fn check_typed(
    reader: &mut Reader<'_>,
    types: &[FieldType],
    nested: &[Field],
    example: &Example<'_, '_>,
) {
    if types.is_empty() {
        // The field's type did not parse; that has been reported, and one problem is
        // enough.
        return;
    }
    let value = example.value.get_ref();
    match value {
        DeValue::Table(table) if types.contains(&FieldType::Object) => {
            check_object(reader, nested, table, &example.value.span(), example.path);
            return;
        }
        DeValue::Array(items) => {
            let item_types: Vec<&FieldType> = types
                .iter()
                .filter_map(|kind| match kind {
                    FieldType::Array(item) => Some(item.as_ref()),
                    _ => None,
                })
                .collect();
            if !item_types.is_empty() {
                check_array(reader, &item_types, nested, items, example.path);
                return;
            }
        }
        _ => {}
    }

    let mut malformed = None;
    for kind in types {
        match scalar_fit(kind, value) {
            Fit::Accepted => return,
            Fit::Malformed(problem) => {
                malformed.get_or_insert(problem);
            }
            Fit::OtherShape => {}
        }
    }
    let path = example.path;
    let message = match malformed {
        Some(problem) => format!("`{path}` {problem}"),
        None => format!(
            "`{path}` must be {}, not {}",
            describe_types(types),
            kind_of(value)
        ),
    };
    let number_for_decimal = types.contains(&FieldType::Decimal)
        && matches!(value, DeValue::Integer(_) | DeValue::Float(_));
    let hint = number_for_decimal
        .then(|| "write decimals as strings, e.g. \"9.99\", so no digit is lost".to_string());
    reader.error(&example.value.span(), message, hint);
}

/// Each element against the array's item type. With several array types in a union the
/// first one that accepts every element wins; if none does, the first one's problems
/// are reported.
fn check_array(
    reader: &mut Reader<'_>,
    item_types: &[&FieldType],
    nested: &[Field],
    items: &[Spanned<DeValue<'_>>],
    path: &str,
) {
    let mut first_problems = None;
    for item_type in item_types {
        let saved = std::mem::take(&mut reader.diagnostics);
        for (index, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{index}]");
            let example = Example {
                value: item,
                path: &item_path,
            };
            check_typed(reader, std::slice::from_ref(*item_type), nested, &example);
        }
        let problems = std::mem::replace(&mut reader.diagnostics, saved);
        if problems.is_empty() {
            return;
        }
        first_problems.get_or_insert(problems);
    }
    reader
        .diagnostics
        .extend(first_problems.unwrap_or_default());
}

fn describe_types(types: &[FieldType]) -> String {
    let names: Vec<String> = types.iter().map(describe_type).collect();
    match names.as_slice() {
        [] => "of its type".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn describe_type(kind: &FieldType) -> String {
    match kind {
        FieldType::String => "a string".into(),
        FieldType::Number => "a number".into(),
        FieldType::Decimal => "a decimal string".into(),
        FieldType::Boolean => "a boolean".into(),
        FieldType::Email => "an email address".into(),
        FieldType::Url => "a URL".into(),
        FieldType::DateTime => "an ISO 8601 date-time".into(),
        FieldType::Enum(values) => format!("one of {}", values.join(", ")),
        FieldType::Object => "a table".into(),
        FieldType::Array(item) => format!("an array of {}", plural(item)),
        FieldType::Null => "null".into(),
    }
}

fn plural(kind: &FieldType) -> String {
    match kind {
        FieldType::String => "strings".into(),
        FieldType::Object => "tables".into(),
        other => format!("`{other}` values"),
    }
}

enum Fit {
    Accepted,
    /// The right kind of value, written wrong (a string that is not an email).
    Malformed(String),
    OtherShape,
}

fn scalar_fit(kind: &FieldType, value: &DeValue<'_>) -> Fit {
    let text = value.as_str();
    match (kind, value) {
        (FieldType::String, DeValue::String(_)) => Fit::Accepted,
        (FieldType::Boolean, DeValue::Boolean(_)) => Fit::Accepted,
        (FieldType::Number, DeValue::Integer(_)) => Fit::Accepted,
        (FieldType::Number, DeValue::Float(float)) => match float.as_str().parse::<f64>() {
            Ok(number) if number.is_finite() => Fit::Accepted,
            _ => Fit::Malformed("must be a finite number".into()),
        },
        (FieldType::Decimal, DeValue::String(_)) => fit_if(
            is_decimal(text.unwrap_or_default()),
            "is not a decimal: write digits with an optional `.` part, e.g. \"23.97\"",
        ),
        (FieldType::Email, DeValue::String(_)) => fit_if(
            is_email(text.unwrap_or_default()),
            "is not a valid email address",
        ),
        (FieldType::Url, DeValue::String(_)) => fit_if(
            is_url(text.unwrap_or_default()),
            "is not an absolute URL (scheme and address, e.g. https://shop.example/p/1)",
        ),
        (FieldType::DateTime, DeValue::String(_)) => fit_if(
            is_datetime(text.unwrap_or_default()),
            "is not an ISO 8601 date-time with a time zone, e.g. 2024-05-01T10:30:00Z",
        ),
        (FieldType::DateTime, DeValue::Datetime(datetime)) => fit_if(
            datetime.date.is_some() && datetime.time.is_some() && datetime.offset.is_some(),
            "is a date-time without a date, time or time zone; write e.g. 2024-05-01T10:30:00Z",
        ),
        (FieldType::Enum(values), DeValue::String(text)) => {
            if values.iter().any(|value| value == text.as_ref()) {
                Fit::Accepted
            } else {
                Fit::Malformed(format!(
                    "is `{text}`, which is not one of {}",
                    values.join(", ")
                ))
            }
        }
        _ => Fit::OtherShape,
    }
}

fn fit_if(accepted: bool, problem: &str) -> Fit {
    if accepted {
        Fit::Accepted
    } else {
        Fit::Malformed(problem.to_string())
    }
}

/// `-12`, `23.97`: digits with an optional fraction, as [`DECIMAL_PATTERN`] says.
pub fn is_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && fraction.is_none_or(all_digits)
}

/// A plain address `local@domain.tld`: no display names, comments or quoted parts.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    local_ok && is_host_name(domain) && domain.contains('.')
}

fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// An absolute URL: a scheme, then characters URLs may hold; web URLs need a host.
pub fn is_url(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok || rest.is_empty() || !url_characters_ok(rest) {
        return false;
    }
    if matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        let Some(after) = rest.strip_prefix("//") else {
            return false;
        };
        let authority = after.split(['/', '?', '#']).next().unwrap_or("");
        let host = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        let host = host.split(':').next().unwrap_or("");
        return is_host_name(host);
    }
    true
}

fn url_characters_ok(rest: &str) -> bool {
    let bytes = rest.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte == b'%' {
            let hex = bytes.get(index + 1..index + 3);
            if !hex.is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)) {
                return false;
            }
            index += 3;
            continue;
        }
        let allowed = byte.is_ascii_alphanumeric() || b"-._~:/?#@!$&'()*+,;=".contains(&byte);
        if !allowed {
            return false;
        }
        index += 1;
    }
    true
}

/// RFC 3339 (the ISO 8601 profile JSON Schema's `date-time` names):
/// `2024-05-01T10:30:00Z`, `2024-05-01T10:30:00.250+02:00`.
pub fn is_datetime(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() < 20 || !matches!(bytes[10], b'T' | b't') {
        return false;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let separators = bytes[4] == b'-' && bytes[7] == b'-' && bytes[13] == b':' && bytes[16] == b':';
    let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10)) else {
        return false;
    };
    let (Some(hour), Some(minute), Some(second)) = (number(11..13), number(14..16), number(17..19))
    else {
        return false;
    };
    let date_ok = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
    let time_ok = hour < 24 && minute < 60 && second <= 60;

    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &fraction[digits..];
    }
    let zone_ok = match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            let all = [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit());
            all && (h1 - b'0') * 10 + (h2 - b'0') < 24 && (m1 - b'0') * 10 + (m2 - b'0') < 60
        }
        _ => false,
    };
    separators && date_ok && time_ok && zone_ok
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A checked TOML value as JSON, tables in the order their keys are written.
///
/// Known shortcoming: TOML has no null, so an example cannot show a `null` value even
/// where the field's type allows one; the schema and the stub still accept it.
fn to_json(value: &DeValue<'_>) -> Value {
    match value {
        DeValue::String(text) => Value::String(text.to_string()),
        DeValue::Integer(integer) => i64::from_str_radix(integer.as_str(), integer.radix())
            .map(Value::from)
            .unwrap_or(Value::Null),
        DeValue::Float(float) => float
            .as_str()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        DeValue::Boolean(flag) => Value::Bool(*flag),
        DeValue::Datetime(datetime) => Value::String(datetime.to_string()),
        DeValue::Array(items) => Value::Array(items.iter().map(|i| to_json(i.get_ref())).collect()),
        DeValue::Table(table) => Value::Object(
            sorted_entries(table)
                .into_iter()
                .map(|(key, value)| (key.get_ref().to_string(), to_json(value.get_ref())))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_digits_with_an_optional_fraction() {
        for good in ["0", "23.97", "-4.5", "100"] {
            assert!(is_decimal(good), "{good}");
        }
        for bad in ["", "1,234.50", "$3", "1.", ".5", "1e3", "--1", " 1"] {
            assert!(!is_decimal(bad), "{bad}");
        }
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(is_email("customer@example.com"));
        assert!(is_email("first.last+tag@mail.shop.example"));
        for bad in [
            "customer",
            "@example.com",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "a@-x.com",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn urls_need_a_scheme_and_for_the_web_a_host() {
        assert!(is_url("https://shop.example/p/1?x=2#top"));
        assert!(is_url("mailto:help@shop.example"));
        for bad in [
            "shop.example/p",
            "https://",
            "https:/x",
            "http://a b.com",
            "ht tp://x.com",
        ] {
            assert!(!is_url(bad), "{bad}");
        }
    }

    #[test]
    fn datetimes_follow_rfc_3339() {
        assert!(is_datetime("2024-05-01T10:30:00Z"));
        assert!(is_datetime("2024-02-29T23:59:60.5+02:00"));
        for bad in [
            "2024-05-01",
            "2024-05-01T10:30:00",
            "2023-02-29T10:30:00Z",
            "2024-13-01T10:30:00Z",
            "2024-05-01 10:30:00Z",
            "2024-05-01T10:30:00+2:00",
        ] {
            assert!(!is_datetime(bad), "{bad}");
        }
    }
}
