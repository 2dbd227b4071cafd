//! Write stage: the finished site into the output folder, all or nothing.
//!
//! Steps: refuse an output folder that holds the book or that loopbook did not make;
//! write every file into a staging folder beside the output; reuse (hard-link) files
//! whose bytes did not change, so they keep their modification time; then swap the
//! staging folder in for the old output. A build that fails or is interrupted before the
//! swap leaves the previous output exactly as it was.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::render::OutputFile;
use crate::sources::StaticFile;

/// Marks a folder as loopbook's output, so a later build may replace it.
pub const MARKER: &str = ".loopbook";

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the output folder {} contains the book itself", .0.display())]
    ContainsBook(PathBuf),
    #[error("{} exists and was not written by loopbook; refusing to replace it", .0.display())]
    Foreign(PathBuf),
    #[error("cannot write {}: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What the write changed.
#[derive(Debug, Default, Clone, Copy)]
pub struct WriteSummary {
    pub written: usize,
    pub unchanged: usize,
}

/// Replaces `output` with `files` plus copies of `copies`.
pub fn write_site(
    output: &Path,
    book_root: &Path,
    files: Vec<OutputFile>,
    copies: &[StaticFile],
) -> Result<WriteSummary, WriteError> {
    check_output_folder(output, book_root)?;

    let parent = output.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io_error(parent))?;
    let name = output
        .file_name()
        .map_or("public".into(), |name| name.to_string_lossy());
    let staging = parent.join(format!(".{name}.loopbook-staging-{}", std::process::id()));
    remove_if_present(&staging)?;
    fs::create_dir_all(&staging).map_err(io_error(&staging))?;

    let result = fill_staging(output, &staging, files, copies);
    let summary = match result {
        Ok(summary) => summary,
        Err(error) => {
            let _ = fs::remove_dir_all(&staging);
            return Err(error);
        }
    };
    swap_in(output, &staging, parent, &name)?;
    Ok(summary)
}

/// The output folder must not hold the book, and an existing one must be ours.
fn check_output_folder(output: &Path, book_root: &Path) -> Result<(), WriteError> {
    let absolute = absolute(output);
    if book_root.starts_with(&absolute) {
        return Err(WriteError::ContainsBook(output.to_path_buf()));
    }
    let has_entries = fs::read_dir(output).map(|mut entries| entries.next().is_some());
    if matches!(has_entries, Ok(true)) && !output.join(MARKER).is_file() {
        return Err(WriteError::Foreign(output.to_path_buf()));
    }
    Ok(())
}

fn absolute(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| {
        let joined = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir().unwrap_or_default().join(path)
        };
        crate::parse::loader::normalize(&joined)
    })
}

/// A file to put into the staging folder.
enum Entry<'a> {
    Bytes(Vec<u8>),
    Copy(&'a Path),
}

fn fill_staging(
    output: &Path,
    staging: &Path,
    files: Vec<OutputFile>,
    copies: &[StaticFile],
) -> Result<WriteSummary, WriteError> {
    // Generated files win over copies of the same path; the map also sorts and dedups.
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    for copy in copies {
        entries.insert(copy.rel.clone(), Entry::Copy(&copy.path));
    }
    for file in files {
        entries.insert(file.path, Entry::Bytes(file.contents));
    }
    let marker = format!(
        "{{\"generator\": \"loopbook {}\"}}\n",
        env!("CARGO_PKG_VERSION")
    );
    entries.insert(MARKER.to_string(), Entry::Bytes(marker.into_bytes()));

    let folders: std::collections::BTreeSet<PathBuf> = entries
        .keys()
        .filter_map(|rel| Path::new(rel).parent().map(|parent| staging.join(parent)))
        .collect();
    for folder in &folders {
        fs::create_dir_all(folder).map_err(io_error(folder))?;
    }

    let outcomes: Vec<Result<bool, WriteError>> = entries
        .into_par_iter()
        .map(|(rel, entry)| place(&output.join(&rel), &staging.join(&rel), entry))
        .collect();
    let mut summary = WriteSummary::default();
    for outcome in outcomes {
        if outcome? {
            summary.written += 1;
        } else {
            summary.unchanged += 1;
        }
    }
    Ok(summary)
}

/// Puts one file in place; returns whether its bytes are new.
fn place(previous: &Path, target: &Path, entry: Entry<'_>) -> Result<bool, WriteError> {
    let bytes = match entry {
        Entry::Bytes(bytes) => bytes,
        Entry::Copy(source) => fs::read(source).map_err(io_error(source))?,
    };
    let unchanged = fs::metadata(previous).is_ok_and(|meta| meta.len() == bytes.len() as u64)
        && fs::read(previous).is_ok_and(|old| old == bytes);
    if unchanged && fs::hard_link(previous, target).is_ok() {
        return Ok(false);
    }
    fs::write(target, &bytes).map_err(io_error(target))?;
    Ok(true)
}

/// Moves the staging folder to `output`, keeping the old output until the move worked.
fn swap_in(output: &Path, staging: &Path, parent: &Path, name: &str) -> Result<(), WriteError> {
    if !output.exists() {
        return fs::rename(staging, output).map_err(io_error(output));
    }
    let retired = parent.join(format!(".{name}.loopbook-old-{}", std::process::id()));
    remove_if_present(&retired)?;
    fs::rename(output, &retired).map_err(io_error(output))?;
    if let Err(source) = fs::rename(staging, output) {
        // Put the previous output back before reporting.
        let _ = fs::rename(&retired, output);
        return Err(WriteError::Io {
            path: output.to_path_buf(),
            source,
        });
    }
    // The new site is in place; a leftover old folder is only clutter.
    let _ = fs::remove_dir_all(&retired);
    Ok(())
}

fn remove_if_present(path: &Path) -> Result<(), WriteError> {
    match fs::remove_dir_all(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(io_error(path)(error)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn file(path: &str, text: &str) -> OutputFile {
        OutputFile {
            path: path.to_string(),
            contents: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn unchanged_files_keep_their_inode_and_changed_ones_are_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let book = dir.path().join("book");
        fs::create_dir_all(&book).unwrap();
        let output = book.join("public");

        write_site(
            &output,
            &book,
            vec![file("a.html", "A"), file("b/c.html", "C")],
            &[],
        )
        .unwrap();
        let inode = fs::metadata(output.join("a.html")).unwrap().ino();
        let summary = write_site(
            &output,
            &book,
            vec![file("a.html", "A"), file("b/c.html", "C2")],
            &[],
        )
        .unwrap();

        assert_eq!(fs::metadata(output.join("a.html")).unwrap().ino(), inode);
        assert_eq!(fs::read_to_string(output.join("b/c.html")).unwrap(), "C2");
        assert_eq!((summary.written, summary.unchanged), (1, 2));
        let leftovers: Vec<_> = fs::read_dir(&book).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "only public/ remains: {leftovers:?}");
    }

    #[test]
    fn a_folder_holding_the_book_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let book = fs::canonicalize(dir.path()).unwrap().join("book");
        fs::create_dir_all(&book).unwrap();
        let error = write_site(dir.path(), &book, vec![], &[]).unwrap_err();
        assert!(matches!(error, WriteError::ContainsBook(_)));
    }

    #[test]
    fn a_foreign_folder_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let book = dir.path().join("book");
        let output = dir.path().join("mine");
        fs::create_dir_all(&output).unwrap();
        fs::write(output.join("thesis.txt"), "precious").unwrap();
        let error = write_site(&output, &book, vec![file("a.html", "A")], &[]).unwrap_err();
        assert!(matches!(error, WriteError::Foreign(_)));
        assert_eq!(
            fs::read_to_string(output.join("thesis.txt")).unwrap(),
            "precious"
        );
    }
}
