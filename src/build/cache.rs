//! The cache file: the dependency graph of the last build, kept beside the output
//! (`.public.loopbook-cache` next to `public/`, never inside what gets deployed), so a
//! plain `loopbook build` renders only what changed.
//!
//! Steps of [`load`]: read the file, refuse it unless its checksum matches, and parse
//! it; refuse it unless it was written by this version of loopbook, for this
//! configuration and this output folder; check every file it lists, noting those that
//! changed (a file whose [`Stamp`] is the one recorded is unchanged and not read; any
//! other is read and fingerprinted again); register the unchanged ones in a new source
//! map and rewrite the file ids in the records to match. A cache that is missing, stale
//! or corrupt is ignored and the build starts from scratch; nothing in it is trusted
//! without that check, and an output file is kept only when its size and modification
//! time are still the ones recorded.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tracing::debug;
use xxhash_rust::xxh3::Xxh3;

use super::outputs::OutputRecord;
use super::state::{BuildState, Changes, PageRecord};
use crate::config::Config;
use crate::diagnostics::{Diagnostic, SourceMap};
use crate::doc::FileId;
use crate::fingerprint::{self, Stamp};
use crate::publish::search::TermTable;

/// Bumped whenever the layout below changes.
const FORMAT: u32 = 9;

/// Output records per chunk. The records hold every page's search text and are most of
/// the file: in chunks, the threads encode and decode them side by side.
const OUTPUT_CHUNK: usize = 256;

/// The file's head as read back. The file is postcard (a compact binary encoding of the
/// same serde data; JSON cost a tenth of a large build to write): a checksum of all
/// that follows as eight little-endian bytes (see [`checksum`]); the head's length as
/// eight such bytes and the head; the number of chunks of output records and their
/// lengths, each as eight such bytes; the chunks, each a postcard list of
/// `(path, record)` pairs.
#[derive(Deserialize)]
struct CacheFile {
    format: u32,
    loopbook: String,
    config_key: u64,
    output: PathBuf,
    /// The source map's files in id order: `FileId(i)` in the records is `sources[i]`.
    sources: Vec<PathBuf>,
    /// Every file a page read, with its fingerprint and, once settled, its stamp.
    files: Vec<(PathBuf, u64, Option<Stamp>)>,
    shape: u64,
    frame_prints: BTreeMap<String, u64>,
    pages: BTreeMap<String, PageRecord>,
    terms: TermTable,
}

/// The head as written: [`CacheFile`]'s fields in the same order, borrowed from the
/// state rather than copied.
#[derive(Serialize)]
struct CacheFileRef<'a> {
    format: u32,
    loopbook: &'a str,
    config_key: u64,
    output: &'a Path,
    sources: Vec<PathBuf>,
    files: Vec<(&'a PathBuf, u64, Option<Stamp>)>,
    shape: u64,
    frame_prints: &'a HashMap<String, u64>,
    pages: &'a HashMap<String, PageRecord>,
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
    let started = Instant::now();
    let path = cache_path(config);
    if crate::write::journal_path(&config.output_dir()).exists() {
        debug!("an update of the output was interrupted: building everything");
        return None;
    }
    let bytes = std::fs::read(&path).ok()?;
    let Some((cache, outputs)) = decode(&bytes) else {
        debug!("ignoring a corrupt cache file");
        return None;
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
    let state = restore(config, cache, outputs);
    let (files, stamped) = (state.files.len(), state.stamps.len());
    debug!(elapsed = ?started.elapsed(), files, stamped, "loaded the cache file");
    Some(state)
}

/// The head and the output records of a cache file; `None` when it is not one.
fn decode(bytes: &[u8]) -> Option<(CacheFile, BTreeMap<String, OutputRecord>)> {
    let (recorded, body) = bytes.split_first_chunk::<8>()?;
    if u64::from_le_bytes(*recorded) != checksum(&[body]) {
        return None;
    }
    let mut rest = body;
    let head_length = take_number(&mut rest)?;
    let head = take_bytes(&mut rest, head_length)?;
    // A file of another format may not even have this head: its version is read first.
    let (format, _) = postcard::take_from_bytes::<u32>(head).ok()?;
    if format != FORMAT {
        return None;
    }
    let cache: CacheFile = postcard::from_bytes(head).ok()?;

    let count = take_number(&mut rest)?;
    let lengths: Vec<usize> = (0..count.min(body.len()))
        .map(|_| take_number(&mut rest))
        .collect::<Option<_>>()?;
    let chunks: Vec<&[u8]> = lengths
        .into_iter()
        .map(|length| take_bytes(&mut rest, length))
        .collect::<Option<_>>()?;
    let records: Vec<Vec<(String, OutputRecord)>> = chunks
        .into_par_iter()
        .map(postcard::from_bytes)
        .collect::<Result<_, _>>()
        .ok()?;
    Some((cache, records.into_iter().flatten().collect()))
}

/// xxh3 of `parts` read as one run of bytes. Most damage to the file (a flipped bit, a
/// block of zeros) still decodes, into records that say something else: a page title
/// with one letter changed would be published as it reads. The checksum catches it.
fn checksum(parts: &[&[u8]]) -> u64 {
    let mut hasher = Xxh3::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.digest()
}

fn take_number(rest: &mut &[u8]) -> Option<usize> {
    let (number, after) = rest.split_first_chunk::<8>()?;
    *rest = after;
    usize::try_from(u64::from_le_bytes(*number)).ok()
}

fn take_bytes<'a>(rest: &mut &'a [u8], length: usize) -> Option<&'a [u8]> {
    let (taken, after) = rest.split_at_checked(length)?;
    *rest = after;
    Some(taken)
}

/// A recorded file as it is now.
enum FileNow {
    /// Its stamp is the one recorded: unchanged, and not read.
    Stamped(Stamp),
    /// Read (`None` when it cannot be).
    Read(Option<Vec<u8>>),
}

impl FileNow {
    fn look(path: &Path, recorded: Option<&(u64, Option<Stamp>)>) -> FileNow {
        if let Some((_, Some(stamp))) = recorded
            && Stamp::now(path) == Some(*stamp)
        {
            return FileNow::Stamped(*stamp);
        }
        FileNow::Read(std::fs::read(path).ok())
    }

    /// Whether the file changed from the one `print` fingerprinted.
    fn differs_from(&self, print: u64) -> bool {
        match self {
            FileNow::Stamped(_) => false,
            FileNow::Read(bytes) => {
                let now = bytes
                    .as_deref()
                    .map_or(fingerprint::ABSENT, fingerprint::of_bytes);
                now != print
            }
        }
    }
}

fn restore(
    config: &Config,
    cache: CacheFile,
    mut outputs: BTreeMap<String, OutputRecord>,
) -> BuildState {
    let reads_since = std::time::SystemTime::now();
    let recorded: HashMap<PathBuf, (u64, Option<Stamp>)> = cache
        .files
        .into_iter()
        .map(|(path, print, stamp)| (path, (print, stamp)))
        .collect();
    let table: BTreeSet<&PathBuf> = cache.sources.iter().chain(recorded.keys()).collect();
    let current: HashMap<&PathBuf, FileNow> = table
        .into_par_iter()
        .map(|path| (path, FileNow::look(path, recorded.get(path))))
        .collect();

    let changed: BTreeSet<PathBuf> = recorded
        .iter()
        .filter(|(path, (print, _))| current.get(path).is_none_or(|now| now.differs_from(*print)))
        .map(|(path, _)| path.clone())
        .collect();
    let stamps: HashMap<PathBuf, (u64, Stamp)> = recorded
        .iter()
        .filter_map(|(path, (print, _))| match current.get(path) {
            Some(FileNow::Stamped(stamp)) => Some((path.clone(), (*print, *stamp))),
            _ => None,
        })
        .collect();

    let sources = Arc::new(SourceMap::default());
    super::register_config_file(config, &sources);
    let mut ids: HashMap<FileId, FileId> = HashMap::from([(FileId(0), FileId(0))]);
    for (old, path) in cache.sources.iter().enumerate().skip(1) {
        if changed.contains(path) {
            continue;
        }
        let display = || crate::parse::loader::display_path(path, &config.root);
        let new = match current.get(path) {
            Some(FileNow::Stamped(_)) => sources.add_unread(path, display()),
            Some(FileNow::Read(Some(bytes))) => match std::str::from_utf8(bytes) {
                Ok(text) => sources.add(path, display(), Arc::from(text)),
                Err(_) => continue,
            },
            _ => continue,
        };
        ids.insert(FileId(old as u32), new);
    }
    // Records pointing into a file that changed are replaced before they are used.
    let map = |id: FileId| ids.get(&id).copied().unwrap_or(FileId(u32::MAX));

    let mut pages = cache.pages;
    for record in pages.values_mut() {
        record.file = map(record.file);
        Arc::make_mut(&mut record.outline).remap_files(&map);
        remap_diagnostics(&mut record.diagnostics, &map);
    }
    for record in outputs.values_mut() {
        remap_diagnostics(&mut record.diagnostics, &map);
    }

    let mut state = BuildState::default();
    state.config_key = cache.config_key;
    state.sources = sources;
    state.files = recorded
        .into_iter()
        .map(|(path, (print, _))| (path, print))
        .collect();
    state.times = stamps
        .iter()
        .map(|(path, (_, stamp))| (path.clone(), Some(stamp.modified_time())))
        .collect();
    state.stamps = stamps;
    state.reads_since = reads_since;
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
    let started = Instant::now();
    let Some(output) = state.output_dir.as_deref() else {
        return;
    };
    let mut files: Vec<(&PathBuf, u64, Option<Stamp>)> = state
        .files
        .par_iter()
        .map(|(path, print)| (path, *print, stamp_for(state, path, *print)))
        .collect();
    files.sort_by(|a, b| a.0.cmp(b.0));
    let head = CacheFileRef {
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
        terms: &state.terms,
    };
    let records: Vec<(&String, &OutputRecord)> = state.outputs.iter().collect();
    let (head, chunks) = rayon::join(
        || postcard::to_stdvec(&head),
        || {
            records
                .par_chunks(OUTPUT_CHUNK)
                .map(postcard::to_stdvec)
                .collect::<Result<Vec<_>, _>>()
        },
    );

    let path = cache_path(config);
    let written = head
        .and_then(|head| Ok((head, chunks?)))
        .map_err(std::io::Error::other)
        .and_then(|(head, chunks)| write_file(&path, &head, &chunks));
    if let Err(error) = written {
        debug!(%error, path = %path.display(), "could not write the cache file");
        let _ = std::fs::remove_file(&path);
        return;
    }
    debug!(elapsed = ?started.elapsed(), "saved the cache file");
}

/// The stamp to record with a file whose fingerprint is `print`: the one it had when it
/// was checked, else a new one if the file has settled since it was read.
fn stamp_for(state: &BuildState, path: &Path, print: u64) -> Option<Stamp> {
    match state.stamps.get(path) {
        Some((stamped, stamp)) if *stamped == print => Some(*stamp),
        _ if print == fingerprint::ABSENT => None,
        _ => Stamp::settled(path, state.reads_since),
    }
}

/// Writes over the file where it is rather than renaming a new one onto it: replacing
/// a file frees all its blocks at once, which took longer than writing it. A write cut
/// short leaves a file whose checksum fails, which the next build ignores.
fn write_file(path: &Path, head: &[u8], chunks: &[Vec<u8>]) -> std::io::Result<()> {
    use std::io::Write;
    let number = |n: usize| (n as u64).to_le_bytes();
    let (head_length, count) = (number(head.len()), number(chunks.len()));
    let lengths: Vec<[u8; 8]> = chunks.iter().map(|chunk| number(chunk.len())).collect();
    let parts: Vec<&[u8]> = [&head_length[..], head, &count[..]]
        .into_iter()
        .chain(lengths.iter().map(|length| &length[..]))
        .chain(chunks.iter().map(Vec::as_slice))
        .collect();
    let length = 8 + parts.iter().map(|part| part.len() as u64).sum::<u64>();

    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    let mut writer = std::io::BufWriter::new(&file);
    writer.write_all(&checksum(&parts).to_le_bytes())?;
    for part in parts {
        writer.write_all(part)?;
    }
    writer.flush()?;
    drop(writer);
    file.set_len(length)
}

/// Removes the cache file, so that no later build trusts it (before `serve` rewrites
/// outputs in place, which would leave it describing files that changed).
pub fn remove(config: &Config) {
    let _ = std::fs::remove_file(cache_path(config));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_that_are_no_cache_file_decode_to_nothing() {
        let huge_length = u64::MAX.to_le_bytes();
        let inputs: [&[u8]; 4] = [b"", b"\x03\0\0\0\0\0\0\0ab", &huge_length, &[0xff; 64]];
        for bytes in inputs {
            assert!(decode(bytes).is_none(), "{bytes:?}");
        }
    }

    #[test]
    fn a_head_of_another_format_is_refused_before_it_is_read() {
        let head = postcard::to_stdvec(&(FORMAT + 1, "some later layout")).unwrap();
        let mut body = (head.len() as u64).to_le_bytes().to_vec();
        body.extend(head);
        body.extend(0u64.to_le_bytes());
        let mut bytes = checksum(&[&body]).to_le_bytes().to_vec();
        bytes.extend(body);
        assert!(decode(&bytes).is_none());
    }

    /// The cache file a real build of a two-page book leaves.
    fn cache_of_a_built_book() -> (tempfile::TempDir, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("book.toml"), "[book]\ntitle = \"T\"\n").unwrap();
        std::fs::create_dir(dir.path().join("content")).unwrap();
        let page = |name: &str, text: &str| {
            std::fs::write(dir.path().join("content").join(name), text).unwrap();
        };
        page("index.md", "# Home\n\nWelcome.\n");
        page("guide.md", "# Guide\n\nSteps.\n");
        let options = crate::build::BuildOptions {
            dir: dir.path().to_path_buf(),
            ..Default::default()
        };
        crate::build::build(&options, &()).unwrap();
        let config = crate::config::load(dir.path()).unwrap();
        let bytes = std::fs::read(cache_path(&config)).unwrap();
        (dir, bytes)
    }

    #[test]
    fn settled_files_are_checked_by_stamp_and_an_edit_that_keeps_size_and_time_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("book.toml"), "[book]\ntitle = \"T\"\n").unwrap();
        std::fs::create_dir(dir.path().join("content")).unwrap();
        let guide = dir.path().join("content/guide.md");
        std::fs::write(
            dir.path().join("content/index.md"),
            "# Home\n\n[x](gone.md)\n",
        )
        .unwrap();
        std::fs::write(&guide, "# Guide\n\nSteps.\n").unwrap();
        // Files changed in the two seconds before a build get no stamp.
        std::thread::sleep(std::time::Duration::from_millis(2100));
        let options = crate::build::BuildOptions {
            dir: dir.path().to_path_buf(),
            ..Default::default()
        };
        crate::build::build(&options, &()).unwrap();
        let config = crate::config::load(dir.path()).unwrap();

        let state = load(&config).unwrap();
        assert!(
            state.stamps.contains_key(&guide),
            "{:?}",
            state.stamps.keys()
        );
        assert!(matches!(&state.pending, Some(Changes::Paths(paths)) if paths.is_empty()));

        // Same length, modification time put back: only the change time tells.
        let modified = std::fs::metadata(&guide).unwrap().modified().unwrap();
        std::fs::write(&guide, "# Guide\n\nStops.\n").unwrap();
        let file = std::fs::File::options().write(true).open(&guide).unwrap();
        file.set_modified(modified).unwrap();
        let state = load(&config).unwrap();
        assert!(matches!(&state.pending, Some(Changes::Paths(paths)) if paths.contains(&guide)));

        let report = crate::build::build(&options, &()).unwrap();
        let html = std::fs::read_to_string(dir.path().join("public/guide.html")).unwrap();
        assert!(html.contains("Stops."));
        // The kept page's warning still shows its line, read from the unread source.
        let warning = report.sources.render(&report.diagnostics[0], false);
        assert!(warning.contains("[x](gone.md)"), "{warning}");
    }

    #[test]
    fn a_cache_written_over_a_longer_file_is_cut_to_its_length() {
        let (dir, bytes) = cache_of_a_built_book();
        let config = crate::config::load(dir.path()).unwrap();
        let mut longer = bytes.clone();
        longer.extend([0xab; 4096]);
        std::fs::write(cache_path(&config), &longer).unwrap();

        let options = crate::build::BuildOptions {
            dir: dir.path().to_path_buf(),
            ..Default::default()
        };
        crate::build::build(&options, &()).unwrap();
        let written = std::fs::read(cache_path(&config)).unwrap();
        assert_eq!(written.len(), bytes.len());
        assert!(decode(&written).is_some());
    }

    #[test]
    fn a_cache_with_any_byte_changed_is_refused() {
        let (_dir, bytes) = cache_of_a_built_book();
        assert!(decode(&bytes).is_some(), "the file as written decodes");

        // The title as the records hold it: a changed letter here still decodes.
        let title = bytes.windows(4).position(|w| w == b"Home").unwrap();
        let mut renamed = bytes.clone();
        renamed[title + 1] = b'n';
        assert!(decode(&renamed).is_none(), "a title changed in the records");

        for at in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x10;
            assert!(
                decode(&flipped).is_none(),
                "byte {at} of {} flipped",
                bytes.len()
            );
        }
    }
}
