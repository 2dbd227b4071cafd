//! `loopbook build`: the pipeline from `book.toml` to a written site.
//!
//! config → placements → sources → parse → resolve → render → publish → write. Each
//! stage reports problems as diagnostics; the build goes as far as it can so that one
//! run shows every problem, and writes nothing when any error was found.
//!
//! [`BuildState`] runs the stages and keeps what the next build may reuse: `serve`
//! holds one in memory, and `build` reads it from the [cache file](cache) beside the
//! output, so both render only the pages whose inputs changed. [`run_stages`] runs
//! everything but the write, for `loopbook check`.

pub mod cache;
mod outputs;
mod producers;
pub mod state;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{self, Config, ConfigError};
use crate::diagnostics::{Diagnostic, Severity, SourceMap};
use crate::doc::FileId;
use crate::placements::Catalog;
use crate::render::Sink;
use crate::render::theme::Theme;
use crate::resolve::Site;
use crate::sources::StaticFile;
use crate::{sources, write};

pub use state::{BuildState, Changes};

/// What the command line can change about a build.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The folder holding `book.toml`.
    pub dir: PathBuf,
    pub dest_dir: Option<PathBuf>,
    pub base_url: Option<String>,
    /// Warnings fail the build.
    pub strict: bool,
    /// Build from scratch: ignore (and replace) the cache file.
    pub no_cache: bool,
}

/// The outcome of a build that ran (whether or not the site had errors).
#[derive(Debug)]
pub struct BuildReport {
    pub pages: usize,
    /// Pages resolved and rendered by this build; the others were kept.
    pub rendered: usize,
    /// Live sample pages written for placements.
    pub samples: usize,
    pub output: PathBuf,
    pub diagnostics: Vec<Diagnostic>,
    /// The files diagnostics point into; `book.toml` is file 0.
    pub sources: Arc<SourceMap>,
    pub elapsed: Duration,
    /// Whether the site was written (false when it had errors).
    pub written: bool,
    pub files_written: usize,
    /// Output paths whose bytes changed (or that are gone), sorted.
    pub changed: Vec<String>,
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

    /// What the build did, as `build` and `serve` say it after their verb: the pages
    /// (with how many were rendered, when some were kept), the samples, the problems
    /// and the time, as in `12 pages (1 rendered, 11 unchanged), 1 warning in 0.31 s`.
    pub fn summary(&self) -> String {
        let problems = match (self.errors(), self.warnings()) {
            (0, 0) => String::new(),
            (0, w) => format!(", {w} warning{}", plural(w)),
            (e, w) => format!(", {e} error{}, {w} warning{}", plural(e), plural(w)),
        };
        let kept = self.pages - self.rendered.min(self.pages);
        let reuse = if self.written && kept > 0 {
            format!(" ({} rendered, {kept} unchanged)", self.rendered)
        } else {
            String::new()
        };
        let samples = match self.samples {
            0 => String::new(),
            n => format!(", {n} sample{}", plural(n)),
        };
        format!(
            "{} page{}{reuse}{samples}{problems} in {:.2} s",
            self.pages,
            plural(self.pages),
            self.elapsed.as_secs_f64()
        )
    }
}

pub(crate) fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
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

/// Builds the book in `options.dir`, incrementally when the cache file beside the
/// output describes the output as it is.
pub fn build(options: &BuildOptions, progress: &dyn Progress) -> Result<BuildReport, BuildError> {
    let config = load_config(options)?;
    let mut state = if options.no_cache {
        BuildState::default()
    } else {
        cache::load(&config).unwrap_or_default()
    };
    let changes = state.take_pending_changes();
    let report = state.rebuild(options, &changes, progress)?;
    if report.written {
        cache::save(&config, &state);
    }
    // Freeing every record is milliseconds of work that nobody waits for: a command
    // line build exits without finishing it.
    std::thread::spawn(move || drop(state));
    Ok(report)
}

/// What the stages made of a book, without writing it: the resolved site (every page
/// with its document) and every problem found, with the files the problems point into.
pub struct Stages {
    pub site: Site,
    pub diagnostics: Vec<Diagnostic>,
    /// The files diagnostics point into; `book.toml` is file 0.
    pub sources: Arc<SourceMap>,
    /// The files of `[build] static`, copied as they are.
    pub static_files: Vec<StaticFile>,
    /// The theme, when it loaded.
    pub theme: Option<Theme>,
    /// The placement definitions.
    pub catalog: Catalog,
    /// Every output path the site would have.
    pub outputs: Vec<String>,
}

/// Runs every stage but the write, from scratch, handing every output file to `sink`.
pub fn run_stages(
    options: &BuildOptions,
    sink: &dyn Sink,
    progress: &dyn Progress,
) -> Result<Stages, BuildError> {
    let mut state = BuildState::default();
    state.keep_documents = true;
    state.run_stages(options, sink, progress)
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

pub(crate) fn write_problem(error: &write::WriteError) -> Diagnostic {
    let hint = match error {
        // Producers are checked before the write; reaching this is loopbook's bug.
        write::WriteError::OutsideOutput(_) => {
            "this is a bug in loopbook: please report it with your book.toml"
        }
        _ => "choose another folder with --dest-dir or `[build] build-dir`",
    };
    Diagnostic::new(Severity::Error, None, error.to_string())
        .with_code("output-folder")
        .with_hint(hint)
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
pub(crate) fn register_config_file(config: &Config, sources: &SourceMap) -> FileId {
    let path = config.root.join(config::CONFIG_FILE);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    sources.add(&path, config::CONFIG_FILE.to_string(), Arc::from(text))
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
