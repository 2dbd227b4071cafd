//! Fingerprints: stable 64-bit hashes (xxh3) of file contents and of values, which the
//! incremental build compares to decide what it may keep from the previous build.
//!
//! xxh3 rather than std's `DefaultHasher`: its output is specified, so a fingerprint
//! written to the cache file means the same thing to the next run of loopbook.

use std::fs::Metadata;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use xxhash_rust::xxh3::{Xxh3, xxh3_64};

/// The fingerprint recorded for a file that does not exist (or cannot be read): a
/// dependency that is missing now still changes when the file appears.
pub const ABSENT: u64 = 0;

/// The fingerprint of some bytes.
pub fn of_bytes(bytes: &[u8]) -> u64 {
    // Reserve ABSENT for missing files.
    xxh3_64(bytes).max(1)
}

/// The fingerprint of a file's contents, or [`ABSENT`].
pub fn of_file(path: &Path) -> u64 {
    std::fs::read(path).map_or(ABSENT, |bytes| of_bytes(&bytes))
}

/// The fingerprint of any hashable value.
pub fn of<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut hasher = Fingerprinter::default();
    value.hash(&mut hasher);
    hasher.finish()
}

/// What a file's metadata says of its contents: a file whose stamp is the one recorded
/// with a fingerprint still has those contents, so the next build need not read it.
/// Size and modification time, and on Unix the inode and change time, which no tool
/// can set back (`cp -p` and `touch -d` set the modification time, not the change
/// time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    len: u64,
    modified: u64,
    changed: u64,
    inode: u64,
}

/// Files changed this shortly before a build read them get no stamp: on a file system
/// with coarse times (two seconds on FAT) a later write could leave the same stamp.
const SETTLE: Duration = Duration::from_secs(2);

impl Stamp {
    pub fn of(metadata: &Metadata) -> Stamp {
        let modified = metadata.modified().map_or(0, nanos_since_epoch);
        #[cfg(unix)]
        let (changed, inode) = {
            use std::os::unix::fs::MetadataExt;
            let changed = metadata.ctime() as i128 * 1_000_000_000 + metadata.ctime_nsec() as i128;
            (u64::try_from(changed).unwrap_or(0), metadata.ino())
        };
        #[cfg(not(unix))]
        let (changed, inode) = (modified, 0);
        Stamp {
            len: metadata.len(),
            modified,
            changed,
            inode,
        }
    }

    /// The modification time it records.
    pub fn modified_time(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_nanos(self.modified)
    }

    /// The stamp of the file at `path` now; `None` when it has none.
    pub fn now(path: &Path) -> Option<Stamp> {
        std::fs::metadata(path)
            .ok()
            .map(|metadata| Stamp::of(&metadata))
    }

    /// The stamp of the file at `path`, if it can stand for the contents a build read
    /// from it at or after `read_since`: the file last changed well before then.
    pub fn settled(path: &Path, read_since: SystemTime) -> Option<Stamp> {
        let stamp = Stamp::now(path)?;
        let settled = read_since.checked_sub(SETTLE).map_or(0, nanos_since_epoch);
        (stamp.modified.max(stamp.changed) < settled).then_some(stamp)
    }
}

fn nanos_since_epoch(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
        })
}

/// A [`Hasher`] writing into xxh3, for fingerprints built from several parts.
#[derive(Default, Clone)]
pub struct Fingerprinter(Xxh3);

impl Hasher for Fingerprinter {
    fn finish(&self) -> u64 {
        self.0.digest()
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_tell_contents_apart_and_missing_files_are_absent() {
        assert_ne!(of_bytes(b"a"), of_bytes(b"b"));
        assert_eq!(of_bytes(b"a"), of_bytes(b"a"));
        assert_ne!(of_bytes(b""), ABSENT);
        assert_eq!(of_file(Path::new("/no/such/file/anywhere")), ABSENT);
        assert_eq!(of(&("x", 1u32)), of(&("x", 1u32)));
        assert_ne!(of(&("x", 1u32)), of(&("x", 2u32)));
    }

    #[test]
    fn a_file_gets_a_stamp_only_once_it_has_settled() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("page.md");
        std::fs::write(&path, "text").unwrap();

        let now = SystemTime::now();
        assert_eq!(Stamp::settled(&path, now), None, "just written");
        let later = now + Duration::from_secs(3);
        let stamp = Stamp::settled(&path, later).expect("settled three seconds on");
        assert_eq!(Stamp::now(&path), Some(stamp));

        std::fs::write(&path, "other").unwrap();
        assert_ne!(Stamp::now(&path), Some(stamp), "a write changes the stamp");
        assert_eq!(Stamp::settled(&dir.path().join("missing"), later), None);
    }
}
