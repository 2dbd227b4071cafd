//! Fingerprints: stable 64-bit hashes (xxh3) of file contents and of values, which the
//! incremental build compares to decide what it may keep from the previous build.
//!
//! xxh3 rather than std's `DefaultHasher`: its output is specified, so a fingerprint
//! written to the cache file means the same thing to the next run of loopbook.

use std::hash::{Hash, Hasher};
use std::path::Path;

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
}
