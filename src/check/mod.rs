//! `loopbook check`: everything the build validates, plus what only the finished site
//! shows, without writing anything.
//!
//! Steps: run every stage into a sink that writes nothing, scanning each HTML file as
//! it is rendered for the anchors it offers and the URLs it uses; report every internal
//! URL that leads to no file of the site and every fragment that names no anchor
//! there, at the source line it came from, or in the template when the page's frame
//! made it ([`links`]); report pages the navigation leaves out and placements no page
//! shows. Problems then come out as [`render_human`] or [`render_json`] print them.

mod links;
pub mod scan;

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use crate::build::{self, BuildError, BuildOptions, Stages, plural};
use crate::config::{CONFIG_FILE, Config, ConfigError};
use crate::diagnostics::{Diagnostic, SourceMap};
use crate::doc::{FileId, Location};
use crate::resolve::Site;

/// What the command line can change about a check.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// The folder holding `book.toml`.
    pub dir: PathBuf,
    /// Warnings count as errors.
    pub strict: bool,
}

/// The outcome of a check that ran.
#[derive(Debug)]
pub struct CheckReport {
    pub pages: usize,
    /// Internal URLs followed in the rendered HTML.
    pub links: usize,
    pub diagnostics: Vec<Diagnostic>,
    /// The files diagnostics point into; `book.toml` is file 0.
    pub sources: Arc<SourceMap>,
}

impl CheckReport {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }

    /// Whether the check failed: any error, or with `--strict` any warning (which
    /// [`check`] has already made an error).
    pub fn failed(&self) -> bool {
        self.errors() > 0
    }
}

/// Checks the book in `options.dir`.
pub fn check(options: &CheckOptions) -> Result<CheckReport, BuildError> {
    let build_options = BuildOptions {
        dir: options.dir.clone(),
        strict: options.strict,
        ..BuildOptions::default()
    };
    let config = build::load_config(&build_options)?;
    let rendered = links::ScannedSite::default();
    let mut stages = build::run_stages(&build_options, &rendered, &())?;

    let mut diagnostics = std::mem::take(&mut stages.diagnostics);
    let links = links::check_links(&config, &stages, rendered, &mut diagnostics);
    let outside = pages_outside_navigation(&stages.site, &diagnostics);
    diagnostics.extend(outside);
    diagnostics.extend(placements_never_shown(&config, &stages));
    let strict = options.strict || config.build.strict;
    build::finish_diagnostics(&mut diagnostics, &stages.sources, strict);

    Ok(CheckReport {
        pages: stages.site.pages.len(),
        links,
        diagnostics,
        sources: stages.sources,
    })
}

/// Pages no navigation entry leads to. A toctree navigation has reported them already
/// (as Sphinx does); `SUMMARY.md` leaves them out silently, as mdBook does, so they are
/// reported here.
fn pages_outside_navigation(site: &Site, found: &[Diagnostic]) -> Vec<Diagnostic> {
    let listed = site.nav.node_of_page();
    let reported: HashSet<FileId> = found
        .iter()
        .filter(|diagnostic| diagnostic.code.as_deref() == Some("not-in-navigation"))
        .filter_map(|diagnostic| diagnostic.location.map(|location| location.file))
        .collect();
    site.pages
        .iter()
        .enumerate()
        .filter(|(number, page)| !listed.contains_key(number) && !reported.contains(&page.file))
        .map(|(_, page)| {
            Diagnostic::warning(
                Location::new(page.file, 1, 1),
                "page is not in the navigation",
            )
            .with_code("not-in-navigation")
            .with_hint("list it in SUMMARY.md (or a toctree), or exclude it with `[build] exclude`")
        })
        .collect()
}

/// Placements that are defined (and get a sample page) but that no page shows: no
/// `placement`, `placement-fields` or `placement-payload` directive names them and
/// `[invite]` does not run them.
fn placements_never_shown(config: &Config, stages: &Stages) -> Vec<Diagnostic> {
    let invite = config
        .invite
        .as_ref()
        .map(|invite| invite.placement.as_str());
    let shown: HashSet<&str> = stages
        .site
        .pages
        .iter()
        .flat_map(|page| page.placements.placements.iter().map(String::as_str))
        .chain(invite)
        .collect();
    stages
        .catalog
        .placements
        .iter()
        .filter(|placement| !shown.contains(placement.name.as_str()))
        .map(|placement| {
            Diagnostic::warning(
                name_location(&stages.sources, placement.file),
                format!("placement `{}` is not shown on any page", placement.name),
            )
            .with_code("placement-not-shown")
            .with_hint(format!(
                "show it with a `placement {}` directive, or remove the definition",
                placement.name
            ))
        })
        .collect()
}

/// Where a definition file sets its `name`, else its first line.
fn name_location(sources: &SourceMap, file: FileId) -> Location {
    let line = sources.get(file).and_then(|definition| {
        definition.text().lines().position(|line| {
            line.split_once('=')
                .is_some_and(|(key, _)| key.trim() == "name")
        })
    });
    Location::new(file, line.map_or(1, |index| index as u32 + 1), 1)
}

/// The report as people read it: problems grouped under the file they are in, each
/// with its excerpt, then one summary line.
pub fn render_human(report: &CheckReport, color: bool) -> String {
    let mut groups: BTreeMap<(bool, String), Vec<&Diagnostic>> = BTreeMap::new();
    for diagnostic in &report.diagnostics {
        let file = diagnostic
            .location
            .and_then(|location| report.sources.get(location.file))
            .map(|file| file.display_path.clone());
        // Problems of the site as a whole come after those of files.
        let key = match file {
            Some(file) => (false, file),
            None => (true, "the site as a whole".to_string()),
        };
        groups.entry(key).or_default().push(diagnostic);
    }

    let mut out = String::new();
    for ((_, file), diagnostics) in &groups {
        let count = diagnostics.len();
        out.push_str(&format!("{file}: {count} problem{}\n\n", plural(count)));
        for diagnostic in diagnostics {
            out.push_str(&report.sources.render_with_code(diagnostic, color));
            out.push_str("\n\n");
        }
    }
    out.push_str(&summary_line(report));
    out.push('\n');
    out
}

fn summary_line(report: &CheckReport) -> String {
    let (errors, warnings) = (report.errors(), report.warnings());
    let problems = match (errors, warnings) {
        (0, 0) => "no problems".to_string(),
        (0, w) => format!("{w} warning{}", plural(w)),
        (e, 0) => format!("{e} error{}", plural(e)),
        (e, w) => format!("{e} error{}, {w} warning{}", plural(e), plural(w)),
    };
    format!(
        "Checked {} page{} and {} link{}: {problems}",
        report.pages,
        plural(report.pages),
        report.links,
        plural(report.links)
    )
}

/// The report for CI: one JSON object per problem and line (file, line, column,
/// severity, code, message, hint, included_from).
pub fn render_json(report: &CheckReport) -> String {
    json_records(&report.sources, &report.diagnostics)
}

/// A `book.toml` that could not be loaded, as [`render_json`] prints problems, so CI
/// reads a broken configuration the same way as a broken page.
pub fn render_config_error_json(error: &ConfigError) -> String {
    let (sources, diagnostics) = error.diagnostics(CONFIG_FILE);
    json_records(&sources, &diagnostics)
}

fn json_records(sources: &SourceMap, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        let record = sources.record(diagnostic);
        out.push_str(&serde_json::to_string(&record).unwrap_or_default());
        out.push('\n');
    }
    out
}
