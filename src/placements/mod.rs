//! Placements: where a platform's script runs on a merchant's site, defined once in a
//! TOML file and turned into everything the docs show about it.
//!
//! Loading ([`load`]) runs right after the configuration: find the definition files in
//! `[placements] dir`, read and check each ([`definition`], [`validate`]), refuse two
//! placements with one name, load the theme's snippet templates, check that each
//! placement names one, then render every snippet ([`snippet`]) once for the docs and
//! once for the live sample, and check `[invite]`. The resolve stage turns the
//! placement directives into blocks from the [`Catalog`]; after the pages are rendered,
//! [`pages`] writes each placement's payload, schema ([`schema`]) and sample page, and
//! the invite page.

pub mod definition;
pub mod pages;
pub mod schema;
pub mod snippet;
pub mod types;
pub mod validate;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::config::{self, Config, nearest};
use crate::diagnostics::{Diagnostic, Severity, SourceMap};
use crate::doc::{FileId, Location, SnippetPart};
use crate::render::theme::{self, SnippetTemplates};
use crate::resolve::urls;
pub use types::{Field, FieldType, Placement, PlacementView, Variant};

/// The stub loader the live samples use instead of the platform's script.
pub const STUB_ASSET: &str = "theme/loopbook-stub.js";

/// The variable holding the platform's loader URL, and the one holding the site id.
pub const LOADER_VARIABLE: &str = "integration_url";
pub const SITE_ID_VARIABLE: &str = "site_id";

/// Every placement of the book, checked, with its snippets rendered.
#[derive(Default)]
pub struct Catalog {
    /// Sorted by name.
    pub placements: Vec<Placement>,
    /// Names of definitions that had errors (already reported).
    pub broken: BTreeSet<String>,
    snippets: BTreeMap<(String, Option<String>), RenderedSnippet>,
    /// Snippet template name to the book's own file, where the book overrides it.
    pub snippet_files: BTreeMap<String, PathBuf>,
    /// The global array the snippets push onto (`[placements] queue`).
    pub queue: String,
    /// The invite placement's snippet with the platform's loader, for the invite page.
    pub invite_snippet: Option<String>,
}

/// One view's snippet, rendered for each place it appears.
#[derive(Debug, Clone)]
pub struct RenderedSnippet {
    /// For the docs: the platform's loader, the site id kept apart.
    pub docs: Vec<SnippetPart>,
    /// For the live sample page: the stub loader, linked from the sample's folder.
    pub sample: String,
}

impl Catalog {
    pub fn get(&self, name: &str) -> Option<&Placement> {
        self.placements
            .binary_search_by(|placement| placement.name.as_str().cmp(name))
            .ok()
            .map(|index| &self.placements[index])
    }

    pub fn names(&self) -> Vec<&str> {
        self.placements.iter().map(|p| p.name.as_str()).collect()
    }

    pub fn snippet(&self, view: &PlacementView<'_>) -> Option<&RenderedSnippet> {
        let key = (
            view.placement.name.clone(),
            view.variant_name().map(str::to_string),
        );
        self.snippets.get(&key)
    }

    pub fn is_empty(&self) -> bool {
        self.placements.is_empty()
    }
}

/// Loads, checks and renders every placement of the book; problems go to `diagnostics`.
pub fn load(config: &Config, sources: &SourceMap, diagnostics: &mut Vec<Diagnostic>) -> Catalog {
    let files = definition_files(config, diagnostics);
    let mut catalog = read_definitions(config, &files, sources, diagnostics);
    check_invite(config, &catalog, sources, diagnostics);
    if catalog.placements.is_empty() {
        return catalog;
    }

    let templates = match theme::load_snippets(config) {
        Ok(templates) => templates,
        Err(problems) => {
            diagnostics.extend(problems);
            return catalog;
        }
    };
    check_snippet_names(&catalog, &templates, diagnostics);
    let Some((site_id, loader_url)) = required_variables(config, sources, diagnostics) else {
        return catalog;
    };
    let settings = snippet::SnippetSettings {
        templates: &templates,
        variables: &config.variables,
        queue: &config.placements.queue,
        site_id,
    };
    catalog.snippets = render_snippets(&catalog.placements, &settings, loader_url, diagnostics);
    catalog.snippet_files = templates.files.clone();
    catalog.queue = config.placements.queue.clone();
    catalog.invite_snippet = invite_snippet(config, &catalog, &settings, loader_url);
    catalog
}

/// The invite page runs the real snippet, so it is rendered with the platform's loader.
fn invite_snippet(
    config: &Config,
    catalog: &Catalog,
    settings: &snippet::SnippetSettings<'_>,
    loader_url: &str,
) -> Option<String> {
    let placement = catalog.get(&config.invite.as_ref()?.placement)?;
    // A template error here has been reported with the docs' copy of the snippet.
    snippet::render_text(settings, &placement.view(None), loader_url).ok()
}

/// The `*.toml` files under the placements folder, sorted. A missing folder means the
/// book has no placements.
fn definition_files(config: &Config, diagnostics: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let dir = config.root.join(&config.placements.dir);
    if !dir.is_dir() {
        return Vec::new();
    }
    let mut files = Vec::new();
    for entry in WalkDir::new(&dir).sort_by_file_name() {
        match entry {
            Ok(entry) if entry.file_type().is_file() => {
                let path = entry.path();
                if path.extension().is_some_and(|ext| ext == "toml") {
                    files.push(path.to_path_buf());
                }
            }
            Ok(_) => {}
            Err(error) => diagnostics.push(
                Diagnostic::new(
                    Severity::Error,
                    None,
                    format!(
                        "cannot read the placements folder {}: {error}",
                        dir.display()
                    ),
                )
                .with_code("unreadable-file"),
            ),
        }
    }
    files
}

fn read_definitions(
    config: &Config,
    files: &[PathBuf],
    sources: &SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Catalog {
    let outcomes: Vec<(PathBuf, definition::Outcome)> = files
        .par_iter()
        .filter_map(|path| {
            let display = crate::parse::loader::display_path(path, &config.root);
            let text = match std::fs::read(path).map(String::from_utf8) {
                Ok(Ok(text)) => text,
                Ok(Err(_)) => {
                    let message = format!("{display} is not UTF-8");
                    let diagnostic = Diagnostic::new(Severity::Error, None, message)
                        .with_code("not-utf8")
                        .with_hint("save the definition as UTF-8");
                    return Some((path.clone(), failed(diagnostic)));
                }
                Err(error) => {
                    let message = format!("cannot read {display}: {error}");
                    let diagnostic = Diagnostic::new(Severity::Error, None, message)
                        .with_code("unreadable-file");
                    return Some((path.clone(), failed(diagnostic)));
                }
            };
            let text: Arc<str> = Arc::from(text);
            let file = sources.add(path, display, text.clone());
            Some((path.clone(), definition::read(file, path, &text)))
        })
        .collect();

    let mut catalog = Catalog::default();
    let mut seen: BTreeMap<String, Location> = BTreeMap::new();
    for (path, outcome) in outcomes {
        diagnostics.extend(outcome.diagnostics);
        let Some(placement) = outcome.placement else {
            let stem = path
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned());
            catalog.broken.extend(outcome.name.into_iter().chain(stem));
            continue;
        };
        let here = Location::new(placement.file, 1, 1);
        if let Some(first) = seen.get(&placement.name) {
            let mut diagnostic = Diagnostic::error(
                here,
                format!("placement `{}` is defined twice", placement.name),
            )
            .with_code("duplicate-placement")
            .with_hint("each placement needs a name of its own");
            diagnostic.include_chain = vec![*first];
            diagnostics.push(diagnostic);
            continue;
        }
        seen.insert(placement.name.clone(), here);
        catalog.placements.push(placement);
    }
    catalog.placements.sort_by(|a, b| a.name.cmp(&b.name));
    catalog
}

fn failed(diagnostic: Diagnostic) -> definition::Outcome {
    definition::Outcome {
        placement: None,
        name: None,
        diagnostics: vec![diagnostic],
    }
}

fn check_snippet_names(
    catalog: &Catalog,
    templates: &SnippetTemplates,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let names = templates.names();
    for placement in &catalog.placements {
        if templates.has(&placement.snippet) {
            continue;
        }
        let hint = match nearest(&placement.snippet, &names) {
            Some(name) => format!("did you mean `{name}`?"),
            None => format!("the theme's snippet templates: {}", names.join(", ")),
        };
        diagnostics.push(
            Diagnostic::error(
                placement.snippet_location,
                format!("no snippet template `{}` in the theme", placement.snippet),
            )
            .with_code("missing-snippet-template")
            .with_hint(hint),
        );
    }
}

/// Snippets need the site id and the loader URL from `[variables]`.
fn required_variables<'c>(
    config: &'c Config,
    sources: &SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(&'c str, &'c str)> {
    let site_id = config.variables.get(SITE_ID_VARIABLE);
    let loader = config.variables.get(LOADER_VARIABLE);
    for (name, value, example) in [
        (SITE_ID_VARIABLE, site_id, "\"YOUR-SITE-ID\""),
        (
            LOADER_VARIABLE,
            loader,
            "\"https://cdn.example.com/loader.js\"",
        ),
    ] {
        if value.is_none() {
            diagnostics.push(
                Diagnostic::new(
                    Severity::Error,
                    Some(book_table_location(sources, "variables")),
                    format!("placement snippets need `{name}` in [variables]"),
                )
                .with_code("missing-variable")
                .with_hint(format!(
                    "add `{name} = {example}` under [variables] in book.toml"
                )),
            );
        }
    }
    Some((site_id?.as_str(), loader?.as_str()))
}

/// The line of `[table]` in book.toml, or its first line when the table is not there.
fn book_table_location(sources: &SourceMap, table: &str) -> Location {
    let header = format!("[{table}]");
    let line = sources
        .get(FileId(0))
        .and_then(|file| {
            file.text()
                .lines()
                .position(|line| line.trim() == header)
                .map(|index| index as u32 + 1)
        })
        .unwrap_or(1);
    Location::new(FileId(0), line, 1)
}

fn render_snippets(
    placements: &[Placement],
    settings: &snippet::SnippetSettings<'_>,
    loader_url: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<(String, Option<String>), RenderedSnippet> {
    let rendered: Vec<_> = placements
        .par_iter()
        // A missing template has been reported by name; rendering would say it again.
        .filter(|placement| settings.templates.has(&placement.snippet))
        .flat_map_iter(|placement| placement.views().collect::<Vec<_>>())
        .map(|view| {
            let key = (
                view.placement.name.clone(),
                view.variant_name().map(str::to_string),
            );
            let sample_page = format!("{}index.html", view.sample_dir());
            let stub_url = format!("{}{STUB_ASSET}", urls::root_prefix(&sample_page));
            let docs = snippet::render_parts(settings, &view, loader_url);
            let sample = snippet::render_text(settings, &view, &stub_url);
            (key, docs, sample)
        })
        .collect();

    let mut snippets = BTreeMap::new();
    for (key, docs, sample) in rendered {
        match (docs, sample) {
            (Ok(docs), Ok(sample)) => {
                snippets.insert(key, RenderedSnippet { docs, sample });
            }
            (Err(problem), _) | (_, Err(problem)) => diagnostics.push(problem),
        }
    }
    snippets
}

/// `[invite]` names a placement that exists, and a path inside the output folder.
fn check_invite(
    config: &Config,
    catalog: &Catalog,
    sources: &SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let Some(invite) = &config.invite else {
        return;
    };
    let text = sources.get(FileId(0)).map(|file| file.text().clone());
    let text = text.as_deref().unwrap_or("");
    let at = |key: &str| {
        config::key_location(text, "invite", key)
            .unwrap_or_else(|| book_table_location(sources, "invite"))
    };

    let exists = catalog.get(&invite.placement).is_some();
    if !exists && !catalog.broken.contains(&invite.placement) {
        let names = catalog.names();
        let hint = match nearest(&invite.placement, &names) {
            Some(name) => format!("did you mean `{name}`?"),
            None if names.is_empty() => format!(
                "no placements are defined: add one to `{}`",
                config.placements.dir.display()
            ),
            None => format!("the placements: {}", names.join(", ")),
        };
        diagnostics.push(
            Diagnostic::error(
                at("placement"),
                format!(
                    "[invite] names placement `{}`, which is not defined",
                    invite.placement
                ),
            )
            .with_code("unknown-placement")
            .with_hint(hint),
        );
    }
    if let Some((problem, hint)) = invite_path_problem(&invite.path) {
        diagnostics.push(
            Diagnostic::error(at("path"), problem)
                .with_code("invalid-invite-path")
                .with_hint(hint),
        );
    }
}

/// The folders loopbook fills itself: the live samples, the search page and index, and
/// the theme's files. The invite page gets a folder of its own.
const GENERATED_FOLDERS: [&str; 3] = ["samples", "search", "theme"];

/// What is wrong with an `[invite] path`, as a message and a hint; `None` for a folder
/// the invite page can be written in.
pub fn invite_path_problem(path: &str) -> Option<(String, &'static str)> {
    let trimmed = path.trim().trim_matches('/');
    let plain =
        |part: &str| !part.is_empty() && part != "." && part != ".." && !part.contains('\\');
    if trimmed.is_empty() || !trimmed.split('/').all(plain) || Path::new(trimmed).is_absolute() {
        return Some((
            format!("[invite] path `{path}` must be a folder inside the site"),
            "write a relative path such as \"invite\"",
        ));
    }
    let last = trimmed
        .rsplit('/')
        .next()
        .unwrap_or(trimmed)
        .to_ascii_lowercase();
    if last.ends_with(".html") || last.ends_with(".htm") {
        return Some((
            format!(
                "[invite] path `{path}` names a file, but the invite page is written to \
                 `{trimmed}/index.html`"
            ),
            "name the folder the page answers at, such as \"invite\" for /invite/",
        ));
    }
    let first = trimmed.split('/').next().unwrap_or(trimmed);
    let generated = GENERATED_FOLDERS
        .iter()
        .find(|folder| folder.eq_ignore_ascii_case(first));
    if let Some(folder) = generated {
        return Some((
            format!("[invite] path `{path}` is inside `{folder}/`, which loopbook generates"),
            "give the invite page a folder of its own, such as \"invite\"",
        ));
    }
    None
}

/// `invite` → `invite/index.html`; `None` for a path [`invite_path_problem`] refuses.
pub fn invite_output(path: &str) -> Option<String> {
    if invite_path_problem(path).is_some() {
        return None;
    }
    Some(format!("{}/index.html", path.trim().trim_matches('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invite_path_stays_inside_the_site() {
        assert_eq!(
            invite_output("invite").as_deref(),
            Some("invite/index.html")
        );
        assert_eq!(
            invite_output("/give/20/").as_deref(),
            Some("give/20/index.html")
        );
        assert_eq!(invite_output("../outside"), None);
        assert_eq!(invite_output(""), None);
        assert_eq!(invite_output("a//b"), None);
    }

    #[test]
    fn invite_path_naming_a_file_or_a_generated_folder_is_refused() {
        for path in [
            "index.html",
            "give/page.HTM",
            "samples/post_purchase",
            "search",
            "Theme/x",
        ] {
            assert!(invite_path_problem(path).is_some(), "{path}");
            assert_eq!(invite_output(path), None, "{path}");
        }
        assert_eq!(invite_path_problem("give/20"), None);
        assert_eq!(invite_path_problem("sample"), None);
    }
}
