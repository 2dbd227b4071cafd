//! The live samples of an mdBook's placements, as chapters the plug-in adds to the book.
//!
//! A preprocessor can add chapters but not files (mdBook clears its output folder
//! before rendering), so each sample is one self-contained chapter at
//! `samples/NAME/index.md` (a variant's at `samples/NAME/VARIANT/index.md`), which
//! mdBook writes where loopbook writes its own sample pages, so the snippets' "Live
//! sample" links work unchanged: the snippet as the docs show it, the same snippet run
//! live with its loader pointed at the theme's stub (inlined as a `data:` URL), the
//! stub's report, the payload editor, and the payload and its JSON Schema with links
//! that download them (also `data:` URLs; the docs' links to `payload.json` and
//! `schema.json` are pointed at these sections). The sample chapters come last, under
//! a "Live samples" part title.

use serde_json::{Value, json};

use crate::placements::pages::{sample_snippet, stub_config};
use crate::placements::{Catalog, PlacementView, STUB_ASSET, schema};
use crate::render::escape::{html_attribute, html_text, json_in_script};
use crate::render::theme::Theme;
use crate::resolve::urls;

/// The book items the samples add: a part title, then one chapter per placement with
/// its variants as sub-chapters.
pub fn sample_items(catalog: &Catalog, theme: &Theme) -> Vec<Value> {
    let chapters: Vec<Value> = catalog
        .placements
        .iter()
        .filter_map(|placement| {
            let mut views = placement.views();
            let main = views.next()?;
            let mut chapter = sample_chapter(catalog, theme, &main, &[])?;
            let parent = [main.title()];
            let variants: Vec<Value> = views
                .filter_map(|view| sample_chapter(catalog, theme, &view, &parent))
                .collect();
            chapter["Chapter"]["sub_items"] = Value::Array(variants);
            Some(chapter)
        })
        .collect();
    if chapters.is_empty() {
        return chapters;
    }
    let mut items = vec![json!({ "PartTitle": "Live samples" })];
    items.extend(chapters);
    items
}

/// Where a docs link to a sample's `payload.json` or `schema.json` leads instead: the
/// section of the sample chapter that holds it.
pub fn retarget_download(url: &str) -> String {
    for (file, anchor) in [("payload.json", "payload"), ("schema.json", "schema")] {
        if let Some(folder) = url.strip_suffix(file)
            && (folder.is_empty() || folder.ends_with('/'))
        {
            return format!("{folder}index.html#{anchor}");
        }
    }
    url.to_string()
}

fn sample_chapter(
    catalog: &Catalog,
    theme: &Theme,
    view: &PlacementView<'_>,
    parents: &[String],
) -> Option<Value> {
    let rendered = catalog.snippet(view)?;
    let path = format!("{}index.md", view.sample_dir());
    let page = format!("{}index.html", view.sample_dir());
    let stub = theme.assets.get("loopbook-stub.js")?;
    let editor_script = theme.assets.get("loopbook-sample.js")?;

    // The snippet's loader was pointed at the theme's stub, relative to the page.
    let stub_url = format!("{}{STUB_ASSET}", urls::root_prefix(&page));
    let live = rendered
        .sample
        .replace(&stub_url, &data_url("text/javascript", stub));
    let config = json_in_script(&stub_config(catalog, view).to_string());
    let payload = pretty(view.example());
    let schema = pretty(&schema::payload_schema(view));
    let snippet = sample_snippet(view, rendered).text();

    let mut text = format!("# Live sample: {}\n\n", view.title());
    if let Some(summary) = view.summary() {
        text.push_str(&format!("{}\n\n", html_text(summary)));
    }
    text.push_str(&format!(
        "The snippet, as it goes on your page:\n\n{}\n\n",
        fenced("html", &snippet)
    ));
    text.push_str("It runs below, with its loader replaced by a stub that runs in your browser and sends nothing anywhere.\n\n");
    // One HTML block: CommonMark ends a `<div>` block at a blank line.
    let block = format!(
        "<script type=\"application/json\" id=\"lb-sample-config\">{config}</script>\n\
         <div class=\"lb-sample-stage\">\n{}\n</div>\n\
         <div id=\"lb-stub-report\" class=\"lb-stub-report\" aria-live=\"polite\">\
         <p class=\"lb-stub-waiting\">Waiting for the loader…</p></div>\n",
        without_blank_lines(&live)
    );
    text.push_str(&block);
    text.push_str(&format!(
        "\n## Try another payload\n\n\
         <textarea id=\"lb-payload-editor\" rows=\"16\" cols=\"72\" spellcheck=\"false\">{}</textarea>\n\n\
         <p><button type=\"button\" id=\"lb-payload-run\">Run again</button> \
         <button type=\"button\" id=\"lb-payload-reset\">Reset</button> \
         <span id=\"lb-payload-status\" role=\"status\"></span></p>\n\n\
         <script>\n{}\n</script>\n",
        html_text(&payload),
        String::from_utf8_lossy(editor_script)
    ));
    for (anchor, file, json) in [
        ("payload", "payload.json", &payload),
        ("schema", "schema.json", &schema),
    ] {
        text.push_str(&format!(
            "\n<a id=\"{anchor}\"></a>\n\n## {file}\n\n{}\n\n\
             <a download=\"{file}\" href=\"{}\">Download {file}</a>\n",
            fenced("json", json),
            html_attribute(&data_url("application/json", json.as_bytes()))
        ));
    }

    Some(json!({
        "Chapter": {
            "name": format!("Live sample: {}", view.title()),
            "content": text,
            "number": null,
            "sub_items": [],
            "path": path,
            "source_path": null,
            "parent_names": parents,
        }
    }))
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn fenced(language: &str, code: &str) -> String {
    let longest = code.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat((longest + 1).max(3));
    format!("{fence}{language}\n{}\n{fence}", code.trim_end())
}

fn without_blank_lines(text: &str) -> String {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `data:MEDIA;base64,…` of `bytes`.
fn data_url(media: &str, bytes: &[u8]) -> String {
    format!("data:{media};base64,{}", base64(bytes))
}

/// Standard base64 with padding, as `data:` URLs take it.
fn base64(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let value = chunk.iter().enumerate().fold(0u32, |value, (index, byte)| {
            value | u32::from(*byte) << (16 - 8 * index)
        });
        for index in 0..4 {
            if index <= chunk.len() {
                out.push(DIGITS[(value >> (18 - 6 * index) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"</script>"), "PC9zY3JpcHQ+");
    }

    #[test]
    fn download_links_lead_to_the_sample_sections() {
        assert_eq!(
            retarget_download("samples/post_purchase/payload.json"),
            "samples/post_purchase/index.html#payload"
        );
        assert_eq!(
            retarget_download("../samples/a/b/schema.json"),
            "../samples/a/b/index.html#schema"
        );
        assert_eq!(retarget_download("notes/other.json"), "notes/other.json");
    }
}
