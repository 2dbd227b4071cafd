//! The cache file: the dependency graph of the last build, kept beside the output
//! (`.public.loopbook-cache` next to `public/`, never inside what gets deployed), so a
//! plain `loopbook build` renders only what changed.
//!
//! Steps of [`load`]: read and parse the file; refuse it unless it was written by this
//! version of loopbook, for this configuration and this output folder; fingerprint every
//! file it lists again, noting those that changed; register the unchanged ones in a new
//! source map and rewrite the file ids in the records to match. A cache that is missing,
//! stale or corrupt is ignored and the build starts from scratch; nothing in it is
//! trusted without that check, and an output file is kept only when its size and
//! modification time are still the ones recorded.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tracing::debug;

use super::outputs::OutputRecord;
use super::state::{BuildState, Changes, PageRecord};
use crate::config::Config;
use crate::diagnostics::{Diagnostic, SourceMap};
use crate::doc::FileId;
use crate::fingerprint;
use crate::publish::search::TermTable;

/// Bumped whenever the layout below changes.
const FORMAT: u32 = 4;

/// The file as read back. It is postcard (a compact binary encoding of the same serde
/// data): a cache holds every page's search text, and JSON cost a tenth of a large
/// build to write.
#[derive(Deserialize)]
struct CacheFile {
    format: u32,
    loopbook: String,
    config_key: u64,
    output: PathBuf,
    /// The source map's files in id order: `FileId(i)` in the records is `sources[i]`.
    sources: Vec<PathBuf>,
    files: Vec<(PathBuf, u64)>,
    shape: u64,
    frame_prints: BTreeMap<String, u64>,
    pages: BTreeMap<String, PageRecord>,
    outputs: BTreeMap<String, OutputRecord>,
    terms: TermTable,
}

/// The file as written: [`CacheFile`]'s fields in the same order, borrowed from the
/// state rather than copied.
#[derive(Serialize)]
struct CacheFileRef<'a> {
    format: u32,
    loopbook: &'a str,
    config_key: u64,
    output: &'a Path,
    sources: Vec<PathBuf>,
    files: Vec<(&'a PathBuf, u64)>,
    shape: u64,
    frame_prints: &'a HashMap<String, u64>,
    pages: &'a HashMap<String, PageRecord>,
    outputs: &'a BTreeMap<String, OutputRecord>,
    terms: &'a TermTable,
}

/// Where the cache of a book's output lives: beside the output folder.
pub fn cache_path(config: &Config) -> PathBuf {
    let output = config.output_dir();
    let name = output
        .file_name()
        .map_or("public".into(), |name| name.to_string_lossy().into_owned());
    output
        .parent()
        .unwrap_or(Path::new("."))
        .join(format!(".{name}.loopbook-cache"))
}

/// The state the last build left, if the cache file is there and still describes this
/// book; the changed files come back as the state's pending changes.
pub fn load(config: &Config) -> Option<BuildState> {
    let path = cache_path(config);
    if crate::write::journal_path(&config.output_dir()).exists() {
        debug!("an update of the output was interrupted: building everything");
        return None;
    }
    let bytes = std::fs::read(&path).ok()?;
    let cache: CacheFile = match postcard::from_bytes(&bytes) {
        Ok(cache) => cache,
        Err(error) => {
            debug!(%error, "ignoring a corrupt cache file");
            return None;
        }
    };
    let output = config.output_dir();
    if cache.format != FORMAT
        || cache.loopbook != env!("CARGO_PKG_VERSION")
        || cache.config_key != super::state::config_fingerprint(config)
        || cache.output != output
    {
        debug!("ignoring a cache file written for another version or configuration");
        return None;
    }
    Some(restore(config, cache))
}

fn restore(config: &Config, cache: CacheFile) -> BuildState {
    let recorded: HashMap<PathBuf, u64> = cache.files.into_iter().collect();
    let table: BTreeSet<&PathBuf> = cache.sources.iter().chain(recorded.keys()).collect();
    let current: HashMap<&PathBuf, Option<Vec<u8>>> = table
        .into_par_iter()
        .map(|path| (path, std::fs::read(path).ok()))
        .collect();

    let changed: BTreeSet<PathBuf> = recorded
        .iter()
        .filter(|(path, print)| {
            let now = current.get(path).and_then(Option::as_ref);
            now.map_or(fingerprint::ABSENT, |bytes| fingerprint::of_bytes(bytes)) != **print
        })
        .map(|(path, _)| path.clone())
        .collect();

    let sources = Arc::new(SourceMap::default());
    super::register_config_file(config, &sources);
    let mut ids: HashMap<FileId, FileId> = HashMap::from([(FileId(0), FileId(0))]);
    for (old, path) in cache.sources.iter().enumerate().skip(1) {
        if changed.contains(path) {
            continue;
        }
        let Some(Some(bytes)) = current.get(path) else {
            continue;
        };
        let Ok(text) = std::str::from_utf8(bytes) else {
            continue;
        };
        let display = crate::parse::loader::display_path(path, &config.root);
        let new = sources.add(path, display, Arc::from(text));
        ids.insert(FileId(old as u32), new);
    }
    // Records pointing into a file that changed are replaced before they are used.
    let map = |id: FileId| ids.get(&id).copied().unwrap_or(FileId(u32::MAX));

    let mut pages = cache.pages;
    for record in pages.values_mut() {
        record.file = map(record.file);
        record.outline.remap_files(&map);
        remap_diagnostics(&mut record.diagnostics, &map);
    }
    let mut outputs = cache.outputs;
    for record in outputs.values_mut() {
        remap_diagnostics(&mut record.diagnostics, &map);
    }

    let mut state = BuildState::default();
    state.config_key = cache.config_key;
    state.sources = sources;
    state.files = recorded;
    state.pages = pages.into_iter().collect();
    state.outputs = outputs;
    state.output_dir = Some(cache.output);
    state.shape = cache.shape;
    state.frame_prints = cache.frame_prints.into_iter().collect();
    state.terms = cache.terms;
    state.pending = Some(Changes::Paths(changed));
    state
}

fn remap_diagnostics(diagnostics: &mut [Diagnostic], map: &dyn Fn(FileId) -> FileId) {
    for diagnostic in diagnostics {
        if let Some(location) = &mut diagnostic.location {
            location.file = map(location.file);
        }
        for location in &mut diagnostic.include_chain {
            location.file = map(location.file);
        }
    }
}

/// Writes the state's records beside the output. A cache that cannot be written only
/// makes the next build a full one, so failures are logged, not reported.
pub fn save(config: &Config, state: &BuildState) {
    let Some(output) = state.output_dir.as_deref() else {
        return;
    };
    let mut files: Vec<(&PathBuf, u64)> = state
        .files
        .iter()
        .map(|(path, print)| (path, *print))
        .collect();
    files.sort();
    let cache = CacheFileRef {
        format: FORMAT,
        loopbook: env!("CARGO_PKG_VERSION"),
        config_key: state.config_key,
        output,
        sources: (0..state.sources.len())
            .map(|id| {
                let file = state.sources.get(FileId(id as u32));
                file.map(|file| file.path.clone()).unwrap_or_default()
            })
            .collect(),
        files,
        shape: state.shape,
        frame_prints: &state.frame_prints,
        pages: &state.pages,
        outputs: &state.outputs,
        terms: &state.terms,
    };
    let path = cache_path(config);
    let temporary = path.with_extension("loopbook-cache-new");
    let written = postcard::to_stdvec(&cache)
        .map_err(std::io::Error::other)
        .and_then(|bytes| std::fs::write(&temporary, bytes))
        .and_then(|()| std::fs::rename(&temporary, &path));
    if let Err(error) = written {
        debug!(%error, path = %path.display(), "could not write the cache file");
        let _ = std::fs::remove_file(&temporary);
    }
}

/// Removes the cache file, so that no later build trusts it (before `serve` rewrites
/// outputs in place, which would leave it describing files that changed).
pub fn remove(config: &Config) {
    let _ = std::fs::remove_file(cache_path(config));
}
