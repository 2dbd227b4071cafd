//! The files each placement adds to the site, and the invite page.
//!
//! Per placement and per variant, under [`PlacementView::sample_dir`]: `payload.json`
//! (the example), `schema.json` (its JSON Schema) and `index.html`, the live sample
//! page from the theme's `sample.html`, which runs the snippet against the stub loader.
//! Then, with `[invite]`, `<path>/index.html` from `invite.html`: the standalone page a
//! merchant publishes, with the real loader. Everything goes through the build's
//! [`Sink`], so it is part of the same atomic write as the pages; the build checks that
//! no other file of the site takes these paths.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::types::PlacementView;
use super::{Catalog, RenderedSnippet, invite_output, schema};
use crate::config::Config;
use crate::diagnostics::{Diagnostic, Severity};
use crate::doc::{Block, Document, Snippet};
use crate::render::escape::json_in_script;
use crate::render::theme::{Theme, template_error};
use crate::render::{Sink, html};
use crate::resolve::{Site, urls};

#[derive(Serialize)]
struct SiteInfo<'a> {
    title: &'a str,
    language: &'a str,
    description: Option<&'a str>,
}

#[derive(Serialize)]
struct PageHead {
    title: String,
    description: Option<String>,
}

#[derive(Serialize)]
struct PageLink {
    title: String,
    url: String,
}

/// Everything `sample.html` receives (besides the frame's `site`, `root`, `page`).
#[derive(Serialize)]
struct SampleInfo<'a> {
    name: &'a str,
    title: String,
    summary: Option<&'a str>,
    call: &'a str,
    variant: Option<&'a str>,
    required: bool,
    /// The snippet as the docs show it, highlighted (HTML).
    snippet_html: String,
    /// The same snippet with the stub loader, inserted as live HTML.
    live_html: &'a str,
    /// The example payload, pretty JSON, for the editor.
    payload_json: String,
    /// The stub's settings as JSON safe inside `<script>` (HTML).
    config_json: String,
    payload_url: &'static str,
    schema_url: &'static str,
    /// The first page that documents the placement.
    docs: Option<PageLink>,
    /// The placement and its variants, each with a link to its own sample.
    views: Vec<ViewLink>,
}

#[derive(Serialize)]
struct ViewLink {
    title: String,
    url: String,
    current: bool,
}

#[derive(Serialize)]
struct SampleContext<'a> {
    site: &'a SiteInfo<'a>,
    root: String,
    page: PageHead,
    nav: Vec<()>,
    sample: SampleInfo<'a>,
    loopbook_version: &'static str,
}

/// Everything `invite.html` receives (besides the frame's `site`, `root`, `page`).
#[derive(Serialize)]
struct InviteInfo<'a> {
    title: &'a str,
    placement: &'a str,
    summary: Option<&'a str>,
    /// The placement's snippet with the platform's loader, inserted as live HTML.
    live_html: &'a str,
    variables: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
struct InviteContext<'a> {
    site: &'a SiteInfo<'a>,
    root: String,
    page: PageHead,
    nav: Vec<()>,
    invite: InviteInfo<'a>,
    loopbook_version: &'static str,
}

fn site_info(config: &Config) -> SiteInfo<'_> {
    SiteInfo {
        title: config.book.title.as_deref().unwrap_or("Documentation"),
        language: &config.book.language,
        description: config.book.description.as_deref(),
    }
}

/// Writes every placement's files into `sink`. Returns the problems and the number of
/// sample pages written. Whether their paths are free is the build's to check.
pub fn render_samples(
    config: &Config,
    site: &Site,
    catalog: &Catalog,
    theme: &Theme,
    sink: &dyn Sink,
) -> (Vec<Diagnostic>, usize) {
    let site_info = site_info(config);
    let views: Vec<PlacementView<'_>> = catalog
        .placements
        .iter()
        .flat_map(|placement| placement.views())
        .collect();
    // Views are independent, and each sample page highlights its snippet: in parallel.
    let results: Vec<Result<bool, Diagnostic>> = views
        .par_iter()
        .map(|view| {
            let dir = view.sample_dir();
            sink.put(&format!("{dir}payload.json"), &pretty_json(view.example()));
            sink.put(
                &format!("{dir}schema.json"),
                &pretty_json(&schema::payload_schema(view)),
            );
            let page = render_sample(site, catalog, theme, &site_info, view)?;
            if let Some(page) = &page {
                sink.put(&format!("{dir}index.html"), page.as_bytes());
            }
            Ok(page.is_some())
        })
        .collect();
    let mut diagnostics = Vec::new();
    let mut samples = 0;
    for result in results {
        match result {
            Ok(written) => samples += usize::from(written),
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    (diagnostics, samples)
}

fn pretty_json(value: &serde_json::Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

fn render_sample(
    site: &Site,
    catalog: &Catalog,
    theme: &Theme,
    site_info: &SiteInfo<'_>,
    view: &PlacementView<'_>,
) -> Result<Option<String>, Diagnostic> {
    let Some(rendered) = catalog.snippet(view) else {
        // The snippet failed to render, which has been reported.
        return Ok(None);
    };
    let placement = view.placement;
    let output = format!("{}index.html", view.sample_dir());
    let body = html::render_document(&Document {
        blocks: vec![Block::Snippet(sample_snippet(view, rendered))],
        ..Document::default()
    });
    let docs = site
        .pages
        .iter()
        .find(|page| page.placements.placements.contains(&placement.name))
        .map(|page| PageLink {
            title: page.title.clone(),
            url: urls::relative_link(&output, &page.output),
        });
    let views = placement
        .views()
        .map(|other| ViewLink {
            title: other.title(),
            url: urls::relative_link(&output, &format!("{}index.html", other.sample_dir())),
            current: other.variant_name() == view.variant_name(),
        })
        .collect();

    let context = SampleContext {
        site: site_info,
        root: urls::root_prefix(&output),
        page: PageHead {
            title: format!("Live sample: {}", view.title()),
            description: view.summary().map(str::to_string),
        },
        nav: Vec::new(),
        sample: SampleInfo {
            name: &placement.name,
            title: view.title(),
            summary: view.summary(),
            call: &placement.call,
            variant: view.variant_name(),
            required: placement.required,
            snippet_html: body.html,
            live_html: &rendered.sample,
            payload_json: serde_json::to_string_pretty(view.example()).unwrap_or_default(),
            config_json: json_in_script(&stub_config(catalog, view).to_string()),
            payload_url: "payload.json",
            schema_url: "schema.json",
            docs,
            views,
        },
        loopbook_version: env!("CARGO_PKG_VERSION"),
    };
    render_template(theme, "sample.html", &context, &output).map(Some)
}

/// The snippet a sample page shows: the docs' copy (the platform's loader), not linked
/// to the sample itself.
pub fn sample_snippet(view: &PlacementView<'_>, rendered: &RenderedSnippet) -> Snippet {
    Snippet {
        placement: view.placement.name.clone(),
        variant: view.variant_name().map(str::to_string),
        caption: view.title(),
        language: "html".into(),
        parts: rendered.docs.clone(),
        sample_url: None,
        location: crate::doc::Location::default(),
    }
}

/// The stub loader's settings for a sample of `view`: the queue to read, the call to
/// check and the schema to check it against.
pub fn stub_config(catalog: &Catalog, view: &PlacementView<'_>) -> serde_json::Value {
    json!({
        "queue": catalog.queue,
        "call": view.placement.call,
        "container": view.placement.container,
        "title": view.title(),
        "schema": schema::payload_schema(view),
    })
}

/// Writes the invite page of `[invite]` into `sink`, when the book has one and its
/// path and placement are valid (problems with them are reported where `[invite]` is
/// checked).
pub fn render_invite(
    config: &Config,
    catalog: &Catalog,
    theme: &Theme,
    sink: &dyn Sink,
) -> Result<(), Diagnostic> {
    let Some(invite) = &config.invite else {
        return Ok(());
    };
    let (Some(output), Some(placement)) =
        (invite_output(&invite.path), catalog.get(&invite.placement))
    else {
        return Ok(());
    };
    let Some(live_html) = catalog.invite_snippet.as_deref() else {
        return Ok(());
    };
    let site_info = site_info(config);
    let context = InviteContext {
        site: &site_info,
        root: urls::root_prefix(&output),
        page: PageHead {
            title: invite.title.clone(),
            description: placement.summary.clone(),
        },
        nav: Vec::new(),
        invite: InviteInfo {
            title: &invite.title,
            placement: &placement.name,
            summary: placement.summary.as_deref(),
            live_html,
            variables: &config.variables,
        },
        loopbook_version: env!("CARGO_PKG_VERSION"),
    };
    let page = render_template(theme, "invite.html", &context, &output)?;
    sink.put(&output, page.as_bytes());
    Ok(())
}

fn render_template<C: Serialize>(
    theme: &Theme,
    template: &str,
    context: &C,
    output: &str,
) -> Result<String, Diagnostic> {
    tera::Context::from_serialize(context)
        .and_then(|context| theme.templates.render(template, &context))
        .map_err(|error| {
            let mut diagnostic = template_error(&error);
            diagnostic.message = format!("{} (rendering {output})", diagnostic.message);
            diagnostic.severity = Severity::Error;
            diagnostic
        })
}
