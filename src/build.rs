//! `loopbook build`: the pipeline from `book.toml` to a written site.
//!
//! config → placements → sources → parse → resolve → render → write. Each stage reports
//! problems as diagnostics; the build goes as far as it can so that one run shows every
//! problem, and writes nothing when any error was found.
//!
//! [`BuildState`] runs the stages and keeps what the next build may reuse: `serve`
//! holds one in memory, and `build` reads it from the [cache file](cache) beside the
//! output, so both render only the pages whose inputs changed.

pub mod cache;
mod outputs;
pub mod state;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{self, Config, ConfigError};
use crate::diagnostics::{Diagnostic, Severity, SourceMap};
use crate::doc::FileId;
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
    Ok(report)
}

pub(crate) fn write_problem(error: &write::WriteError) -> Diagnostic {
    Diagnostic::new(Severity::Error, None, error.to_string())
        .with_hint("choose another folder with --dest-dir or `[build] build-dir`")
}

/// Reads `book.toml` and applies the command line's overrides.
pub fn load_config(options: &BuildOptions) -> Result<Config, ConfigError> {
    let mut config = config::load(&options.dir)?;
    if let Some(dest) = &options.dest_dir {
        config.build.build_dir = std::path::absolute(dest).unwrap_or_else(|_| dest.clone());
    }
    if let Some(base_url) = &options.base_url {
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
pub(crate) fn sort_diagnostics(diagnostics: &mut [Diagnostic], sources: &SourceMap) {
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
