//! What the output folder holds and how a build changes it.
//!
//! Each output file has an [`OutputRecord`]: the key of the inputs it was made from,
//! the fingerprint, size and modification time of its bytes, and what a kept page must
//! report again. A build plans every file ([`Planned`]): made anew, kept, or copied.
//! Where the files it makes go is decided before any is made ([`Destination`]): when
//! most of the site is rendered they stream into a staging folder that replaces the
//! whole output (so a large site never sits in memory), otherwise they are held until
//! the end and only the changed ones are renamed into place. Afterwards the records of
//! written files are taken from the disk again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::state::BuildState;
use crate::config::Config;
use crate::diagnostics::Diagnostic;
use crate::fingerprint;
use crate::publish::PageDigest;
use crate::render::Sink;
use crate::resolve::placements::PlacementUse;
use crate::sources::StaticFile;
use crate::write;

/// What is on disk for one output file, and what it was made from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct OutputRecord {
    /// The fingerprint of its inputs; `None` for files made again every build.
    pub(super) key: Option<u64>,
    pub(super) contents: u64,
    pub(super) len: u64,
    /// Modification time in nanoseconds, to notice a file changed behind our back.
    pub(super) modified: u64,
    /// The resolution's and the renderer's diagnostics, reported again when kept.
    pub(super) diagnostics: Vec<Diagnostic>,
    /// Images the page needs copied.
    pub(super) assets: Vec<StaticFile>,
    /// The placements the page shows (its samples link back to it).
    pub(super) placements: PlacementUse,
    /// What the publish stage needs of the page's document, for builds that keep it.
    pub(super) digest: Option<Box<PageDigest>>,
    /// Seen on disk as recorded by this process: it wrote the file, or looked.
    #[serde(skip)]
    pub(super) checked: bool,
}

/// The bytes of a file this build made, or where they went.
pub(super) enum Body {
    /// Held until the write, which writes only what changed.
    Held(Vec<u8>),
    /// Already handed on (into the staging folder, or to a sink) as it was made.
    Sent { fingerprint: u64 },
}

impl Body {
    fn fingerprint(&self) -> u64 {
        match self {
            Body::Held(contents) => fingerprint::of_bytes(contents),
            Body::Sent { fingerprint } => *fingerprint,
        }
    }
}

/// Where the files a build makes go as they are made.
pub(super) enum Destination<'s> {
    /// Held in memory: few files change, and only those are renamed into place.
    Memory,
    /// Streamed into a staging folder that replaces the whole output when the build has
    /// no errors (it keeps unchanged files by hard-linking them).
    Staging(Box<write::Staging>),
    /// Handed to a sink and written nowhere (`loopbook check`).
    Sink(&'s dyn Sink),
}

impl Destination<'_> {
    /// Takes a file the build made at output path `path`.
    pub(super) fn accept(&self, path: &str, contents: Vec<u8>) -> Body {
        let send = |deliver: &dyn Fn(&str, &[u8])| {
            deliver(path, &contents);
            Body::Sent {
                fingerprint: fingerprint::of_bytes(&contents),
            }
        };
        match self {
            Destination::Memory => Body::Held(contents),
            Destination::Staging(staging) => send(&|path, bytes| staging.put(path, bytes)),
            Destination::Sink(sink) => send(&|path, bytes| sink.put(path, bytes)),
        }
    }
}

/// One output file as this build plans it.
pub(super) enum Planned {
    /// Made by this build.
    Fresh {
        body: Body,
        key: Option<u64>,
        diagnostics: Vec<Diagnostic>,
        assets: Vec<StaticFile>,
        placements: PlacementUse,
        digest: Option<Box<PageDigest>>,
    },
    /// The file on disk is what this build would make.
    Kept,
    /// Copied from a source file; `key` fingerprints the source's size and time.
    Copy { source: PathBuf, key: u64 },
}

impl BuildState {
    /// Whether the file on disk at `output` is the one a page with `key` renders to.
    pub(super) fn can_keep(&self, output: &str, key: Option<u64>) -> bool {
        let Some(record) = self.outputs.get(output) else {
            return false;
        };
        key.is_some() && record.key == key && self.on_disk_as_recorded(output, record)
    }

    fn on_disk_as_recorded(&self, output: &str, record: &OutputRecord) -> bool {
        if self.trust_checked_outputs && self.output_marked && record.checked {
            return true;
        }
        let Some(dir) = self.output_dir.as_deref() else {
            return false;
        };
        let Ok(metadata) = std::fs::metadata(dir.join(output)) else {
            return false;
        };
        metadata.len() == record.len && modified_nanos(&metadata) == record.modified
    }

    /// Where this build's files go: held for an update in place when the output is
    /// the one recorded and at most a quarter of the pages are rendered again (an
    /// update in place pays per file, and needs to know exactly what the folder
    /// holds); else streamed into a staging folder.
    pub(super) fn destination(
        &self,
        config: &Config,
        rendered: usize,
        pages: usize,
    ) -> Result<Destination<'static>, write::WriteError> {
        let output = config.output_dir();
        let in_place = self.output_dir.as_deref() == Some(output.as_path())
            && rendered * 4 < pages
            && output.join(write::MARKER).is_file()
            && !write::journal_path(&output).exists();
        if in_place {
            return Ok(Destination::Memory);
        }
        let staging = match self.recycle_outputs {
            true => write::Staging::begin_recycled(&output, &config.root)?,
            false => write::Staging::begin(&output, &config.root)?,
        };
        Ok(Destination::Staging(Box::new(staging)))
    }

    /// Writes the planned outputs and records what is now on disk; returns how many
    /// files were written and which output paths changed.
    pub(super) fn write(
        &mut self,
        config: &Config,
        planned: BTreeMap<String, Planned>,
        destination: Destination<'_>,
    ) -> Result<(usize, Vec<String>), write::WriteError> {
        let output = config.output_dir();
        let result = match destination {
            Destination::Memory => write_in_place(&output, &config.root, &planned, &self.outputs),
            Destination::Staging(staging) => finish_staged(*staging, &output, &planned),
            // A sink's files are not the output; nothing on disk changed.
            Destination::Sink(_) => return Ok((0, Vec::new())),
        };
        let files_written = match result {
            Ok(written) => written,
            Err(error) => {
                // Nothing certain is known about the output now: keep nothing from it.
                self.output_dir = None;
                self.outputs.clear();
                return Err(error);
            }
        };
        self.output_dir = Some(output.clone());
        let changed = changed_outputs(&planned, &self.outputs);
        update_records(&output, planned, &mut self.outputs);
        Ok((files_written, changed))
    }
}

/// A file made again every build, kept on disk only when its bytes are the same.
pub(super) fn unkeyed(body: Body) -> Planned {
    keyed(body, None)
}

/// A file made from inputs whose fingerprint is `key`, with nothing else to record.
pub(super) fn keyed(body: Body, key: Option<u64>) -> Planned {
    Planned::Fresh {
        body,
        key,
        diagnostics: Vec::new(),
        assets: Vec::new(),
        placements: PlacementUse::default(),
        digest: None,
    }
}

/// The output paths whose bytes differ from the previous build, and those gone.
fn changed_outputs(
    planned: &BTreeMap<String, Planned>,
    previous: &BTreeMap<String, OutputRecord>,
) -> Vec<String> {
    let mut changed: Vec<String> = planned
        .iter()
        .filter(|(path, output)| match output {
            Planned::Fresh { body, .. } => previous
                .get(*path)
                .is_none_or(|record| record.contents != body.fingerprint()),
            Planned::Kept => false,
            Planned::Copy { .. } => true,
        })
        .map(|(path, _)| path.clone())
        .collect();
    changed.extend(
        previous
            .keys()
            .filter(|path| !planned.contains_key(*path))
            .cloned(),
    );
    changed.sort();
    changed
}

/// Completes a staging folder that already holds the files this build made: links the
/// kept ones from the output, copies the static ones, and swaps it in.
fn finish_staged(
    staging: write::Staging,
    output: &Path,
    planned: &BTreeMap<String, Planned>,
) -> Result<usize, write::WriteError> {
    planned.par_iter().for_each(|(path, output)| match output {
        // Held only by a build that updates in place; kept for completeness.
        Planned::Fresh {
            body: Body::Held(contents),
            ..
        } => staging.put(path, contents),
        Planned::Fresh { .. } => {}
        // Only planned when the file on disk was checked to be the recorded one.
        Planned::Kept => staging.keep(path),
        Planned::Copy { source, .. } => staging.copy(path, source),
    });
    let summary = staging.commit()?;
    // The whole output was replaced: an interrupted update before it no longer matters.
    let _ = std::fs::remove_file(write::journal_path(output));
    Ok(summary.written)
}

fn write_in_place(
    output: &Path,
    book_root: &Path,
    planned: &BTreeMap<String, Planned>,
    previous: &BTreeMap<String, OutputRecord>,
) -> Result<usize, write::WriteError> {
    let writer = write::InPlace::begin(output, book_root)?;
    planned
        .par_iter()
        .for_each(|(path, planned)| match planned {
            Planned::Fresh { body, .. } => {
                let same = previous.get(path).is_some_and(|record| {
                    record.contents == body.fingerprint()
                        && std::fs::metadata(output.join(path)).is_ok_and(|metadata| {
                            metadata.len() == record.len
                                && modified_nanos(&metadata) == record.modified
                        })
                });
                if !same && let Body::Held(contents) = body {
                    writer.put(path, contents);
                }
            }
            Planned::Kept => {}
            Planned::Copy { source, .. } => writer.copy(path, source),
        });
    for path in previous.keys().filter(|path| !planned.contains_key(*path)) {
        writer.remove(path);
    }
    writer.commit().map(|summary| summary.written)
}

/// Brings the records of what the output folder holds up to date after a successful
/// write: kept files keep their records, written ones are looked at again.
fn update_records(
    output: &Path,
    planned: BTreeMap<String, Planned>,
    records: &mut BTreeMap<String, OutputRecord>,
) {
    records.retain(|path, _| planned.contains_key(path));
    // A file is kept after a look at it (or because an earlier look can be trusted).
    for (path, plan) in &planned {
        if let (Planned::Kept, Some(record)) = (plan, records.get_mut(path)) {
            record.checked = true;
        }
    }
    let fresh: Vec<(String, OutputRecord)> = planned
        .into_par_iter()
        .filter_map(|(path, plan)| {
            let metadata = || std::fs::metadata(output.join(&path)).ok();
            let record = match plan {
                Planned::Kept => return None,
                Planned::Fresh {
                    body,
                    key,
                    diagnostics,
                    assets,
                    placements,
                    digest,
                } => {
                    let metadata = metadata()?;
                    OutputRecord {
                        key,
                        contents: body.fingerprint(),
                        len: metadata.len(),
                        modified: modified_nanos(&metadata),
                        diagnostics,
                        assets,
                        placements,
                        digest,
                        checked: true,
                    }
                }
                Planned::Copy { key, .. } => {
                    let metadata = metadata()?;
                    OutputRecord {
                        key: Some(key),
                        contents: key,
                        len: metadata.len(),
                        modified: modified_nanos(&metadata),
                        diagnostics: Vec::new(),
                        assets: Vec::new(),
                        placements: PlacementUse::default(),
                        digest: None,
                        checked: true,
                    }
                }
            };
            Some((path, record))
        })
        .collect();
    records.extend(fresh);
}

/// A copied file is known by its size and modification time, so a build never reads
/// large static files only to find them unchanged. Shortcoming: a rewrite that keeps
/// both (same size, within the file system's time resolution) is not seen.
pub(super) fn copy_fingerprint(path: &Path) -> u64 {
    let metadata = std::fs::metadata(path).ok();
    let facts = metadata
        .as_ref()
        .map(|metadata| (metadata.len(), modified_nanos(metadata)));
    fingerprint::of(&(path, facts))
}

pub(super) fn modified_nanos(metadata: &std::fs::Metadata) -> u64 {
    metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |duration| {
            u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
        })
}
