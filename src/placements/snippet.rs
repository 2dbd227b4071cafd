//! Rendering a placement's snippet from its theme template: the code a merchant pastes.
//!
//! Each placement view is rendered for two loaders: the documentation's (the platform's
//! script URL from `[variables]`) and the live sample's (the theme's stub). The
//! documentation's copy also records where the site id sits, so the reader's site-id
//! box can replace it: the template is rendered once with a marker in place of the site
//! id and once with the id itself, and the marked copy is used only when the two agree.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::types::PlacementView;
use crate::diagnostics::Diagnostic;
use crate::doc::SnippetPart;
use crate::render::theme::{SnippetTemplates, layout_json, template_error};

/// The indentation of payload entries in the default templates (`json_script(indent=4)`).
const ENTRY_INDENT: usize = 4;

/// Stands for the site id while rendering: a private-use character no escaping changes.
const SITE_ID_MARK: char = '\u{E000}';

/// What a snippet template receives.
#[derive(Serialize)]
struct SnippetContext<'a> {
    placement: PlacementInfo<'a>,
    /// The example payload, whole.
    payload: &'a Value,
    /// The payload's top-level fields in order, each with its comment.
    entries: Vec<PayloadEntry<'a>>,
    site_id: &'a str,
    loader_url: &'a str,
    /// The global array calls are pushed onto (`[placements] queue`).
    queue: &'a str,
    /// The element id of a container-based placement (its name when not set).
    container: &'a str,
    variables: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
struct PlacementInfo<'a> {
    name: &'a str,
    title: String,
    summary: Option<&'a str>,
    call: &'a str,
    required: bool,
    variant: Option<&'a str>,
}

#[derive(Serialize)]
struct PayloadEntry<'a> {
    key: &'a str,
    value: &'a Value,
    required: bool,
    /// `Required. <description>` or `Optional. <description>`.
    comment: String,
    /// Whether `json_script(indent=4)` lays the value out over several lines, so the
    /// template can put the comment above it rather than after its last line.
    multiline: bool,
}

/// The inputs every snippet of a site shares.
pub struct SnippetSettings<'a> {
    pub templates: &'a SnippetTemplates,
    pub variables: &'a BTreeMap<String, String>,
    pub queue: &'a str,
    pub site_id: &'a str,
}

/// Renders the snippet of `view` with `loader_url` as plain text.
pub fn render_text(
    settings: &SnippetSettings<'_>,
    view: &PlacementView<'_>,
    loader_url: &str,
) -> Result<String, Diagnostic> {
    render_with_site_id(settings, view, loader_url, settings.site_id)
}

/// Renders the snippet with the site id kept apart, for the documentation pages.
pub fn render_parts(
    settings: &SnippetSettings<'_>,
    view: &PlacementView<'_>,
    loader_url: &str,
) -> Result<Vec<SnippetPart>, Diagnostic> {
    let plain = render_text(settings, view, loader_url)?;
    let mark = SITE_ID_MARK.to_string();
    let marked = render_with_site_id(settings, view, loader_url, &mark)?;
    let parts = split_at_marks(&marked, settings.site_id);
    let joined: String = parts.iter().map(SnippetPart::text).collect();
    // A site id that some filter escapes, or a marker character already in the
    // payload, would make the two differ: then the site id is not replaceable.
    if joined != plain
        || !parts
            .iter()
            .any(|part| matches!(part, SnippetPart::SiteId(_)))
    {
        return Ok(vec![SnippetPart::Text(plain)]);
    }
    Ok(parts)
}

fn split_at_marks(marked: &str, site_id: &str) -> Vec<SnippetPart> {
    let mut parts = Vec::new();
    for (index, piece) in marked.split(SITE_ID_MARK).enumerate() {
        if index > 0 {
            parts.push(SnippetPart::SiteId(site_id.to_string()));
        }
        if !piece.is_empty() {
            parts.push(SnippetPart::Text(piece.to_string()));
        }
    }
    parts
}

fn render_with_site_id(
    settings: &SnippetSettings<'_>,
    view: &PlacementView<'_>,
    loader_url: &str,
    site_id: &str,
) -> Result<String, Diagnostic> {
    let placement = view.placement;
    let entries = payload_entries(view);
    let context = SnippetContext {
        placement: PlacementInfo {
            name: &placement.name,
            title: view.title(),
            summary: view.summary(),
            call: &placement.call,
            required: placement.required,
            variant: view.variant_name(),
        },
        payload: view.example(),
        entries,
        site_id,
        loader_url,
        queue: settings.queue,
        container: placement.container.as_deref().unwrap_or(&placement.name),
        variables: settings.variables,
    };
    let template = format!("{}.html", placement.snippet);
    let rendered = tera::Context::from_serialize(&context)
        .and_then(|context| settings.templates.tera.render(&template, &context));
    match rendered {
        Ok(text) => Ok(tidy(&text)),
        Err(error) => {
            let mut diagnostic = template_error(&error);
            diagnostic.location = Some(placement.snippet_location);
            diagnostic.message = format!(
                "{} (snippet `{}` of placement `{}`)",
                diagnostic.message, placement.snippet, placement.name
            );
            Err(diagnostic)
        }
    }
}

/// Known shortcoming: only top-level fields get a comment; nested objects are written
/// as JSON without one, since JSON has no comments and templates lay them out whole.
fn payload_entries<'a>(view: &PlacementView<'a>) -> Vec<PayloadEntry<'a>> {
    let Value::Object(payload) = view.example() else {
        return Vec::new();
    };
    let fields = view.fields();
    payload
        .iter()
        .map(|(key, value)| {
            let field = fields.iter().find(|field| field.name == *key);
            let required = field.is_some_and(|field| field.required);
            let mut comment = if required { "Required." } else { "Optional." }.to_string();
            if let Some(description) = field.and_then(|field| field.description.as_deref()) {
                comment.push(' ');
                comment.push_str(description);
            }
            PayloadEntry {
                key,
                value,
                required,
                comment,
                multiline: layout_json(value, ENTRY_INDENT).contains('\n'),
            }
        })
        .collect()
}

/// Trailing spaces off every line and exactly one newline at the end, whatever the
/// template's white-space control left.
fn tidy(text: &str) -> String {
    let mut out: String = text
        .trim_matches('\n')
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    out.push('\n');
    out
}
