//! `loopbook build`: the pipeline from `book.toml` to a written site.
//!
//! config → placements → sources → parse → resolve → render → publish → write. Each
//! stage reports problems as diagnostics; the build goes as far as it can so that one
//! run shows every problem, and writes nothing when any error was found.
//! [`run_stages`] is everything but the write, for `loopbook check` to run into memory.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::debug;

use crate::config::{self, Config, ConfigError};
use crate::diagnostics::{Diagnostic, Severity, SourceMap};
use crate::doc::FileId;
use crate::placements::{self, Catalog};
use crate::render::Sink;
use crate::render::theme::Theme;
use crate::resolve::Site;
use crate::sources::StaticFile;
use crate::{parse, publish, render, resolve, sources, write};

/// What the command line can change about a build.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The folder holding `book.toml`.
    pub dir: PathBuf,
    pub dest_dir: Option<PathBuf>,
    pub base_url: Option<String>,
    /// Warnings fail the build.
    pub strict: bool,
}

/// The outcome of a build that ran (whether or not the site had errors).
#[derive(Debug)]
pub struct BuildReport {
    pub pages: usize,
    /// Live sample pages written for placements.
    pub samples: usize,
    pub output: PathBuf,
    pub diagnostics: Vec<Diagnostic>,
    /// The files diagnostics point into; `book.toml` is file 0.
    pub sources: SourceMap,
    pub elapsed: Duration,
    /// Whether the site was written (false when it had errors).
    pub written: bool,
    pub files_written: usize,
}

impl BuildReport {
    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }
}

/// Why a build could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Sources(#[from] sources::SourcesError),
}

/// Hooks for showing progress; the command line draws a bar, tests pass nothing.
pub trait Progress: Sync {
    fn start(&self, _pages: usize) {}
    fn page_done(&self) {}
}

impl Progress for () {}

/// What the stages made of a book, before anything is written: the resolved site and
/// every problem found, with the files the problems point into.
pub struct Stages {
    pub site: Site,
    pub diagnostics: Vec<Diagnostic>,
    /// The files diagnostics point into; `book.toml` is file 0.
    pub sources: SourceMap,
    /// The files of `[build] static`, copied as they are.
    pub static_files: Vec<StaticFile>,
    /// The theme, when it loaded.
    pub theme: Option<Theme>,
    /// The placement definitions.
    pub catalog: Catalog,
    /// Live sample pages written for placements.
    pub samples: usize,
}

/// Builds the book in `options.dir`.
pub fn build(options: &BuildOptions, progress: &dyn Progress) -> Result<BuildReport, BuildError> {
    let started = Instant::now();
    let config = load_config(options)?;
    let output = config.output_dir();
    let mut diagnostics = Vec::new();

    let staging = write::Staging::begin(&output, &config.root)
        .map_err(|error| diagnostics.push(write_problem(&error)))
        .ok();
    let sink: &dyn Sink = match &staging {
        Some(staging) => staging,
        None => &render::Discard,
    };
    let stages = run_stages(&config, sink, progress)?;
    diagnostics.extend(stages.diagnostics);
    let strict = options.strict || config.build.strict;
    finish_diagnostics(&mut diagnostics, &stages.sources, strict);

    // Dropping the staging folder without committing it leaves the old output as it was.
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    let mut files_written = 0;
    let mut written = false;
    if let (false, Some(staging)) = (has_errors, staging) {
        match staging.commit() {
            Ok(summary) => {
                files_written = summary.written;
                written = true;
            }
            Err(error) => diagnostics.push(write_problem(&error)),
        }
    }
    debug!(elapsed = ?started.elapsed(), files_written, "written");

    Ok(BuildReport {
        pages: stages.site.pages.len(),
        samples: stages.samples,
        output,
        diagnostics,
        sources: stages.sources,
        elapsed: started.elapsed(),
        written,
        files_written,
    })
}

/// Runs placements → sources → parse → resolve → render → publish for `config`,
/// handing every output file to `sink` as it is made.
pub fn run_stages(
    config: &Config,
    sink: &dyn Sink,
    progress: &dyn Progress,
) -> Result<Stages, BuildError> {
    let started = Instant::now();
    let source_map = SourceMap::default();
    register_config_file(config, &source_map);
    let mut diagnostics = Vec::new();
    let catalog = placements::load(config, &source_map, &mut diagnostics);
    debug!(placements = catalog.placements.len(), elapsed = ?started.elapsed(), "placements");

    let discovered = sources::discover(config)?;
    progress.start(discovered.pages.len());
    debug!(pages = discovered.pages.len(), elapsed = ?started.elapsed(), "discovered sources");
    let parsed = parse::parse_pages(config, &discovered.pages, &source_map);
    debug!(elapsed = ?started.elapsed(), "parsed");

    let summary = read_summary(
        config,
        discovered.summary.as_deref(),
        &source_map,
        &mut diagnostics,
    );
    let summary_ref = summary.as_ref().map(|(file, text)| (*file, text.as_ref()));
    let site = resolve::resolve(
        config,
        parsed,
        summary_ref,
        &source_map,
        &catalog,
        &mut diagnostics,
    );
    debug!(elapsed = ?started.elapsed(), "resolved");

    let theme = render::theme::load(config)
        .map_err(|found| diagnostics.extend(found))
        .ok();
    let mut samples = 0;
    if let Some(theme) = &theme {
        for copy in discovered.static_files.iter().chain(&site.assets) {
            sink.copy(&copy.rel, &copy.path);
        }
        let page_done = || progress.page_done();
        diagnostics.extend(render::render_site(config, &site, theme, sink, &page_done));
        let (problems, written) =
            placements::pages::render_outputs(config, &site, &catalog, theme, sink);
        diagnostics.extend(problems);
        samples = written;
    }
    debug!(elapsed = ?started.elapsed(), "rendered");

    let static_files = discovered.static_files;
    diagnostics.extend(publish::publish(
        config,
        &site,
        &static_files,
        &catalog,
        &source_map,
        sink,
    ));

    Ok(Stages {
        site,
        diagnostics,
        sources: source_map,
        static_files,
        theme,
        catalog,
        samples,
    })
}

/// Makes every warning an error under `strict`, sorts the diagnostics into the same
/// order every run, and drops repeats.
pub fn finish_diagnostics(diagnostics: &mut Vec<Diagnostic>, sources: &SourceMap, strict: bool) {
    if strict {
        for diagnostic in diagnostics.iter_mut() {
            diagnostic.severity = Severity::Error;
        }
    }
    sort_diagnostics(diagnostics, sources);
    // A problem inside a file that many pages include is reported once.
    diagnostics.dedup_by(|a, b| a.location == b.location && a.message == b.message);
}

fn write_problem(error: &write::WriteError) -> Diagnostic {
    Diagnostic::new(Severity::Error, None, error.to_string())
        .with_code("output-folder")
        .with_hint("choose another folder with --dest-dir or `[build] build-dir`")
}

/// Reads `book.toml` and applies the command line's overrides.
pub fn load_config(options: &BuildOptions) -> Result<Config, ConfigError> {
    let mut config = config::load(&options.dir)?;
    if let Some(dest) = &options.dest_dir {
        config.build.build_dir = std::path::absolute(dest).unwrap_or_else(|_| dest.clone());
    }
    if let Some(base_url) = &options.base_url {
        if let Some(problem) = config::base_url_problem(base_url) {
            let diagnostic = Diagnostic::new(Severity::Error, None, format!("--{problem}"))
                .with_code("invalid-base-url")
                .with_hint("use \"/\" for a domain root or \"/docs/\" for a sub-path");
            return Err(ConfigError::Invalid {
                path: config.root.join(config::CONFIG_FILE),
                text: String::new(),
                diagnostics: vec![diagnostic],
            });
        }
        config.build.base_url = base_url.clone();
    }
    Ok(config)
}

/// `book.toml` is always file 0, which configuration diagnostics refer to.
fn register_config_file(config: &Config, sources: &SourceMap) -> FileId {
    let path = config.root.join(config::CONFIG_FILE);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    sources.add(&path, config::CONFIG_FILE.to_string(), Arc::from(text))
}

fn read_summary(
    config: &Config,
    path: Option<&std::path::Path>,
    sources: &SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(FileId, Arc<str>)> {
    let path = path?;
    let display = parse::loader::display_path(path, &config.root);
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let text: Arc<str> = Arc::from(text);
            Some((sources.add(path, display, text.clone()), text))
        }
        Err(error) => {
            diagnostics.push(
                Diagnostic::new(
                    Severity::Error,
                    None,
                    format!("cannot read {display}: {error}"),
                )
                .with_code("unreadable-file"),
            );
            None
        }
    }
}

/// Diagnostics come out by file path, then line: the same order every run.
fn sort_diagnostics(diagnostics: &mut [Diagnostic], sources: &SourceMap) {
    diagnostics.sort_by_cached_key(|diagnostic| {
        let location = diagnostic.location;
        let path = location
            .and_then(|location| sources.get(location.file))
            .map(|file| file.display_path.clone())
            .unwrap_or_default();
        let (line, column) = location.map_or((0, 0), |location| (location.line, location.column));
        (path, line, column, diagnostic.message.clone())
    });
}
