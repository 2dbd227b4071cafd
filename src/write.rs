//! Write stage: the finished site into the output folder, all or nothing.
//!
//! Steps: refuse an output path that is not a folder, or a folder that holds the book or
//! that loopbook did not make; write every file into a staging folder beside the output as it is rendered (so the
//! whole site never sits in memory); reuse (hard-link) files whose bytes did not change,
//! so they keep their modification time; then swap the staging folder in for the old
//! output. A build that fails or is interrupted before the
//! swap leaves the previous output exactly as it was.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::render::OutputFile;
use crate::sources::StaticFile;

/// Marks a folder as loopbook's output, so a later build may replace it.
pub const MARKER: &str = ".loopbook";

/// The kinds of folder a process keeps beside the output, each named
/// `.{output}.loopbook-{kind}-{process id}…` (see [`work_folder`]).
const WORK_FOLDERS: [&str; 3] = ["staging", "old", "spare"];

/// Whether a file name is that of a folder some loopbook keeps beside its output
/// (staging, replaced or spare), whose contents are never the book's.
pub fn is_work_folder(name: &str) -> bool {
    name.match_indices(".loopbook-").any(|(at, found)| {
        let rest = &name[at + found.len()..];
        let kind_of = |kind: &&str| rest.strip_prefix(*kind)?.strip_prefix('-');
        WORK_FOLDERS.iter().any(|kind| kind_of(kind).is_some())
    })
}

/// This process's folder of `kind` beside the output `name` in `parent`; `suffix`
/// tells apart several of one kind.
fn work_folder(parent: &Path, name: &str, kind: &str, suffix: &str) -> PathBuf {
    let pid = std::process::id();
    parent.join(format!(".{name}.loopbook-{kind}-{pid}{suffix}"))
}

/// What the marker file holds.
fn marker_contents() -> String {
    format!(
        "{{\"generator\": \"loopbook {}\"}}\n",
        env!("CARGO_PKG_VERSION")
    )
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the output folder {} contains the book itself", .0.display())]
    ContainsBook(PathBuf),
    #[error("{} exists and was not written by loopbook; refusing to replace it", .0.display())]
    Foreign(PathBuf),
    #[error("{} exists and is not a folder; refusing to replace it", .0.display())]
    NotAFolder(PathBuf),
    #[error("refusing to write `{0}`: it is not a path inside the output folder")]
    OutsideOutput(String),
    #[error("cannot write {}: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("an earlier update of {} was interrupted", .0.display())]
    Interrupted(PathBuf),
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

/// A staging folder beside the output that files are written into while the site is
/// rendered; [`Staging::commit`] swaps it in, dropping it without a commit removes it.
pub struct Staging {
    output: PathBuf,
    folder: PathBuf,
    parent: PathBuf,
    name: String,
    /// Folders above the output that `begin` made, deepest first: removed again when
    /// the build is not committed, so a failed build leaves nothing behind.
    made_parents: Vec<PathBuf>,
    created: Mutex<HashSet<PathBuf>>,
    /// Keep the output this commit replaces as the spare for the next staging folder.
    recycle: bool,
    /// The folder began as a spare: it holds an older site's files, overwritten or
    /// linked over as this build makes its own, and the rest removed at the commit.
    /// `touched` lists what this build put there.
    reused: bool,
    touched: Mutex<HashSet<String>>,
    written: AtomicUsize,
    unchanged: AtomicUsize,
    first_error: Mutex<Option<WriteError>>,
    committed: bool,
}

impl Staging {
    /// Checks the output folder and creates an empty staging folder beside it.
    pub fn begin(output: &Path, book_root: &Path) -> Result<Staging, WriteError> {
        Self::open(output, book_root, false)
    }

    /// As [`Staging::begin`], for a process that replaces the whole output again and
    /// again (`serve` after a template edit): the output this commit replaces is kept as
    /// a spare, not deleted, and the next staging folder starts as that spare. Files
    /// are then written over files of the same name instead of created: on ext4,
    /// creating thousands of files right after thousands were deleted is slow (each
    /// create looks through the recently freed inodes), and every whole-site rebuild
    /// otherwise did both. [`remove_spares`] removes the spare.
    pub fn begin_recycled(output: &Path, book_root: &Path) -> Result<Staging, WriteError> {
        Self::open(output, book_root, true)
    }

    fn open(output: &Path, book_root: &Path, recycle: bool) -> Result<Staging, WriteError> {
        check_output_folder(output, book_root)?;
        let parent = output.parent().unwrap_or(Path::new(".")).to_path_buf();
        let made_parents: Vec<PathBuf> = parent
            .ancestors()
            .take_while(|folder| !folder.as_os_str().is_empty() && !folder.exists())
            .map(Path::to_path_buf)
            .collect();
        fs::create_dir_all(&parent).map_err(io_error(&parent))?;
        let name: String = output
            .file_name()
            .map_or("public".into(), |n| n.to_string_lossy().into());
        retire_leftovers(&parent, &name);
        let folder = work_folder(&parent, &name, "staging", "");
        remove_if_present(&folder)?;
        let spare = spare_path(&parent, &name);
        let reused = recycle && spare.is_dir() && fs::rename(&spare, &folder).is_ok();
        if reused {
            forget_spare(&spare);
        } else {
            fs::create_dir_all(&folder).map_err(io_error(&folder))?;
        }
        Ok(Staging {
            output: output.to_path_buf(),
            folder,
            parent,
            name,
            made_parents,
            created: Mutex::new(HashSet::new()),
            recycle,
            reused,
            touched: Mutex::new(HashSet::new()),
            written: AtomicUsize::new(0),
            unchanged: AtomicUsize::new(0),
            first_error: Mutex::new(None),
            committed: false,
        })
    }

    /// Writes one file (path relative to the output, `/`-separated). A failure is kept
    /// and reported by [`commit`](Staging::commit).
    pub fn put(&self, rel: &str, contents: &[u8]) {
        if let Err(error) = self.try_put(rel, contents) {
            let mut first = self.first_error.lock().unwrap_or_else(|p| p.into_inner());
            first.get_or_insert(error);
        }
    }

    /// Copies a file into the site.
    pub fn copy(&self, rel: &str, source: &Path) {
        match fs::read(source) {
            Ok(bytes) => self.put(rel, &bytes),
            Err(error) => {
                let mut first = self.first_error.lock().unwrap_or_else(|p| p.into_inner());
                first.get_or_insert(io_error(source)(error));
            }
        }
    }

    /// Takes a file unchanged from the previous output, by a hard link, so it keeps its
    /// modification time. The caller has checked that the previous file is the one it
    /// recorded.
    pub fn keep(&self, rel: &str) {
        if let Err(error) = self.try_keep(rel) {
            let mut first = self.first_error.lock().unwrap_or_else(|p| p.into_inner());
            first.get_or_insert(error);
        }
    }

    fn try_keep(&self, rel: &str) -> Result<(), WriteError> {
        let target = inside(&self.folder, rel)?;
        self.create_parent(&target)?;
        self.touch(rel);
        let previous = self.output.join(rel);
        self.link(&previous, &target).map_err(io_error(&previous))?;
        self.unchanged.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Records that this build put `rel` in a reused folder, so the commit keeps it.
    fn touch(&self, rel: &str) {
        if self.reused {
            lock(&self.touched).insert(rel.to_string());
        }
    }

    /// Hard-links the previous output's file at `target`, in place of whatever a reused
    /// folder holds there (often that very file, linked by the build before).
    fn link(&self, previous: &Path, target: &Path) -> io::Result<()> {
        if self.reused
            && let Ok(existing) = fs::symlink_metadata(target)
        {
            if fs::metadata(previous).is_ok_and(|linked| same_file(&linked, &existing)) {
                return Ok(());
            }
            remove_any(target, &existing)?;
        }
        fs::hard_link(previous, target)
    }

    /// Writes `contents` at `target`. In a reused folder a file already there is
    /// written over, keeping its inode, unless it is also linked elsewhere (from the
    /// live output, as a file an earlier build kept): that one is unlinked first, so
    /// the live site never changes under its readers.
    fn write_file(&self, target: &Path, contents: &[u8]) -> io::Result<()> {
        if self.reused
            && let Ok(existing) = fs::symlink_metadata(target)
        {
            if is_sole_link(&existing) {
                return write_over(target, contents);
            }
            remove_any(target, &existing)?;
        }
        fs::write(target, contents)
    }

    fn create_parent(&self, target: &Path) -> Result<(), WriteError> {
        if let Some(folder) = target.parent() {
            let known = self
                .created
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains(folder);
            if !known {
                if self.reused {
                    // An older site may hold a file where this one has a folder.
                    self.clear_file_ancestors(folder);
                }
                fs::create_dir_all(folder).map_err(io_error(folder))?;
                self.created
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(folder.into());
            }
        }
        Ok(())
    }

    fn try_put(&self, rel: &str, contents: &[u8]) -> Result<(), WriteError> {
        let target = inside(&self.folder, rel)?;
        self.create_parent(&target)?;
        self.touch(rel);
        let previous = self.output.join(rel);
        let unchanged = fs::metadata(&previous).is_ok_and(|m| m.len() == contents.len() as u64)
            && fs::read(&previous).is_ok_and(|old| old == contents);
        // A hard link keeps the previous file, and so its modification time.
        if unchanged && self.link(&previous, &target).is_ok() {
            self.unchanged.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        self.write_file(&target, contents)
            .map_err(io_error(&target))?;
        self.written.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Removes any file of a reused folder standing where `folder` or one of its
    /// parents must be a folder.
    fn clear_file_ancestors(&self, folder: &Path) {
        for ancestor in folder.ancestors() {
            if ancestor == self.folder || !ancestor.starts_with(&self.folder) {
                break;
            }
            if fs::symlink_metadata(ancestor).is_ok_and(|meta| !meta.is_dir()) {
                let _ = fs::remove_file(ancestor);
            }
        }
    }

    /// Removes from a reused folder every file this build did not put there, and the
    /// folders left empty.
    fn remove_untouched(&self) -> Result<(), WriteError> {
        let touched = lock(&self.touched);
        let mut folders = Vec::new();
        for entry in walkdir::WalkDir::new(&self.folder).min_depth(1) {
            let entry = entry.map_err(|error| {
                let path = error.path().unwrap_or(&self.folder).to_path_buf();
                io_error(&path)(io::Error::other(error))
            })?;
            if entry.file_type().is_dir() {
                folders.push(entry.into_path());
                continue;
            }
            // Output paths are `/`-separated whatever the platform's separator.
            let rel = entry
                .path()
                .strip_prefix(&self.folder)
                .unwrap_or(entry.path());
            let rel: Vec<_> = rel.iter().map(|part| part.to_string_lossy()).collect();
            let kept = touched.contains(&rel.join("/"));
            if !kept {
                fs::remove_file(entry.path()).map_err(io_error(entry.path()))?;
            }
        }
        // Deepest first; a folder that still holds something stays.
        for folder in folders.iter().rev() {
            let _ = fs::remove_dir(folder);
        }
        Ok(())
    }

    /// Swaps the staging folder in for the output.
    pub fn commit(mut self) -> Result<WriteSummary, WriteError> {
        self.put(MARKER, marker_contents().as_bytes());
        let error = self
            .first_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(error) = error {
            return Err(error);
        }
        if self.reused {
            self.remove_untouched()?;
        }
        let replaced = match self.recycle {
            true => Replaced::KeptAsSpare,
            false => Replaced::Deleted,
        };
        swap_in(
            &self.output,
            &self.folder,
            &self.parent,
            &self.name,
            replaced,
        )?;
        self.committed = true;
        Ok(WriteSummary {
            written: self.written.load(Ordering::Relaxed),
            unchanged: self.unchanged.load(Ordering::Relaxed),
        })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.folder);
            // `remove_dir` leaves a folder something else has put a file in since.
            for folder in &self.made_parents {
                let _ = fs::remove_dir(folder);
            }
        }
    }
}

/// Updates an existing output folder with only the files that changed, in two phases:
/// the new files are written into a staging folder beside the output, then a journal
/// naming them is written, each is renamed into place and removed files are deleted,
/// and the journal goes. Dropping the update before [`commit`](InPlace::commit) leaves
/// the output untouched; a crash during the renames leaves every file whole and the
/// journal behind, and the next build, seeing it, trusts nothing and rebuilds in full.
pub struct InPlace {
    output: PathBuf,
    folder: PathBuf,
    journal: PathBuf,
    staged: Mutex<Vec<String>>,
    removed: Mutex<Vec<String>>,
    first_error: Mutex<Option<WriteError>>,
    committed: bool,
}

impl InPlace {
    /// Checks that `output` is a folder loopbook wrote and no earlier update of it was
    /// interrupted, and creates the staging folder.
    pub fn begin(output: &Path, book_root: &Path) -> Result<InPlace, WriteError> {
        check_output_folder(output, book_root)?;
        if !output.join(MARKER).is_file() {
            return Err(WriteError::Foreign(output.to_path_buf()));
        }
        let journal = journal_path(output);
        if journal.exists() {
            return Err(WriteError::Interrupted(output.to_path_buf()));
        }
        let parent = output.parent().unwrap_or(Path::new(".")).to_path_buf();
        let name = output
            .file_name()
            .map_or("public".into(), |n| n.to_string_lossy().into_owned());
        retire_leftovers(&parent, &name);
        let folder = work_folder(&parent, &name, "staging", "");
        remove_if_present(&folder)?;
        fs::create_dir_all(&folder).map_err(io_error(&folder))?;
        Ok(InPlace {
            output: output.to_path_buf(),
            folder,
            journal,
            staged: Mutex::new(Vec::new()),
            removed: Mutex::new(Vec::new()),
            first_error: Mutex::new(None),
            committed: false,
        })
    }

    /// Stages one file (path relative to the output, `/`-separated).
    pub fn put(&self, rel: &str, contents: &[u8]) {
        let result = self.try_put(rel, contents);
        self.note(result);
    }

    /// Stages a copy of a file.
    pub fn copy(&self, rel: &str, source: &Path) {
        let result = fs::read(source)
            .map_err(io_error(source))
            .and_then(|bytes| self.try_put(rel, &bytes));
        self.note(result);
    }

    /// Marks a file the site no longer has for removal.
    pub fn remove(&self, rel: &str) {
        lock(&self.removed).push(rel.to_string());
    }

    fn try_put(&self, rel: &str, contents: &[u8]) -> Result<(), WriteError> {
        let target = inside(&self.folder, rel)?;
        let folder = target.parent().unwrap_or(&self.folder);
        fs::create_dir_all(folder).map_err(io_error(folder))?;
        fs::write(&target, contents).map_err(io_error(&target))?;
        lock(&self.staged).push(rel.to_string());
        Ok(())
    }

    fn note(&self, result: Result<(), WriteError>) {
        if let Err(error) = result {
            lock(&self.first_error).get_or_insert(error);
        }
    }

    /// Moves the staged files into the output and deletes the removed ones.
    pub fn commit(mut self) -> Result<WriteSummary, WriteError> {
        if let Some(error) = lock(&self.first_error).take() {
            return Err(error);
        }
        let mut staged = std::mem::take(&mut *lock(&self.staged));
        staged.sort();
        let removed = std::mem::take(&mut *lock(&self.removed));
        if staged.is_empty() && removed.is_empty() {
            return Ok(WriteSummary::default());
        }
        let listing: String = staged
            .iter()
            .chain(&removed)
            .map(|rel| format!("{rel}\n"))
            .collect();
        fs::write(&self.journal, listing).map_err(io_error(&self.journal))?;

        for rel in &staged {
            let target = self.output.join(rel);
            if let Some(folder) = target.parent() {
                fs::create_dir_all(folder).map_err(io_error(folder))?;
            }
            fs::rename(self.folder.join(rel), &target).map_err(io_error(&target))?;
        }
        for rel in &removed {
            self.delete(rel)?;
        }

        fs::remove_file(&self.journal).map_err(io_error(&self.journal))?;
        self.committed = true;
        let _ = fs::remove_dir_all(&self.folder);
        Ok(WriteSummary {
            written: staged.len(),
            unchanged: 0,
        })
    }

    /// Deletes one file and the folders it leaves empty.
    fn delete(&self, rel: &str) -> Result<(), WriteError> {
        let path = inside(&self.output, rel)?;
        match fs::remove_file(&path) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => {
                return Err(io_error(&path)(error));
            }
            _ => {}
        }
        let mut folder = path.parent();
        while let Some(dir) = folder {
            // Stops at the output root or the first folder that still holds something.
            if dir == self.output || fs::remove_dir(dir).is_err() {
                break;
            }
            folder = dir.parent();
        }
        Ok(())
    }
}

impl Drop for InPlace {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.folder);
        }
    }
}

/// The journal of an in-place update, beside the output folder.
pub fn journal_path(output: &Path) -> PathBuf {
    let name = output
        .file_name()
        .map_or("public".into(), |n| n.to_string_lossy().into_owned());
    output
        .parent()
        .unwrap_or(Path::new("."))
        .join(format!(".{name}.loopbook-journal"))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// Replaces `output` with `files` plus copies of `copies` in one step.
pub fn write_site(
    output: &Path,
    book_root: &Path,
    files: Vec<OutputFile>,
    copies: &[StaticFile],
) -> Result<WriteSummary, WriteError> {
    let staging = Staging::begin(output, book_root)?;
    copies
        .par_iter()
        .for_each(|copy| staging.copy(&copy.rel, &copy.path));
    files
        .par_iter()
        .for_each(|file| staging.put(&file.path, &file.contents));
    staging.commit()
}

/// `rel` under `folder`, when `rel` is a relative output path that stays inside it.
/// Every producer should make such paths; this is the last guard against one that
/// does not, so that a bug never writes outside the output.
fn inside(folder: &Path, rel: &str) -> Result<PathBuf, WriteError> {
    let path = Path::new(rel);
    let plain = path
        .components()
        .all(|part| matches!(part, Component::Normal(_) | Component::CurDir));
    if rel.is_empty() || !plain {
        return Err(WriteError::OutsideOutput(rel.to_string()));
    }
    Ok(folder.join(path))
}

/// The output path must be a folder or nothing; it must not hold the book, and an
/// existing folder must be ours.
fn check_output_folder(output: &Path, book_root: &Path) -> Result<(), WriteError> {
    let absolute = absolute(output);
    if book_root.starts_with(&absolute) {
        return Err(WriteError::ContainsBook(output.to_path_buf()));
    }
    // `symlink_metadata` sees a dangling link too, which a rename would replace.
    if fs::symlink_metadata(output).is_ok() && !output.is_dir() {
        return Err(WriteError::NotAFolder(output.to_path_buf()));
    }
    let has_entries = match fs::read_dir(output) {
        Ok(mut entries) => entries.next().is_some(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => false,
        // A folder we cannot look into is not known to be ours.
        Err(error) => return Err(io_error(output)(error)),
    };
    if has_entries && !output.join(MARKER).is_file() {
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

/// What becomes of the output a swap replaces.
#[derive(Clone, Copy, PartialEq)]
enum Replaced {
    Deleted,
    KeptAsSpare,
}

/// Moves the staging folder to `output`, keeping the old output until the move worked.
fn swap_in(
    output: &Path,
    staging: &Path,
    parent: &Path,
    name: &str,
    replaced: Replaced,
) -> Result<(), WriteError> {
    if !output.exists() {
        return fs::rename(staging, output).map_err(io_error(output));
    }
    // Numbered, as the old output of the previous swap may still be being deleted.
    static SWAPS: AtomicUsize = AtomicUsize::new(0);
    let number = SWAPS.fetch_add(1, Ordering::Relaxed);
    let retired = work_folder(parent, name, "old", &format!("-{number}"));
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
    if replaced == Replaced::KeptAsSpare {
        let spare = spare_path(parent, name);
        // An older spare (left while updates went in place) is deleted instead.
        if !spare.exists() && fs::rename(&retired, &spare).is_ok() {
            lock(&SPARES).push(spare);
            return Ok(());
        }
    }
    // The new site is in place; the old one is deleted while `serve` tells browsers to
    // reload (thousands of files: tens of milliseconds).
    delete_in_background(retired);
    Ok(())
}

fn delete_in_background(folder: PathBuf) {
    let deletion = std::thread::spawn(move || {
        let _ = fs::remove_dir_all(&folder);
    });
    let mut running = RETIRED.lock().unwrap_or_else(|poison| poison.into_inner());
    running.retain(|deletion| !deletion.is_finished());
    running.push(deletion);
}

/// Deletes, in the background, the staging folders, old outputs and spares that
/// processes which are gone left beside the output (killed, or the machine went down,
/// before they could clean up). Only where `/proc` tells which processes run; a folder
/// of a process that still runs, or may, is left alone. Shortcoming: a loopbook in
/// another PID namespace writing the same folder looks gone; its build then fails with
/// an error (its staging folder vanished) and leaves its output as it was.
fn retire_leftovers(parent: &Path, name: &str) {
    let processes = Path::new("/proc");
    if !processes.join("self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let prefix = format!(".{name}.loopbook-");
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let Some(pid) = WORK_FOLDERS
            .iter()
            .find_map(|kind| rest.strip_prefix(kind)?.strip_prefix('-'))
            .and_then(|rest| rest.split('-').next())
            .filter(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let gone = pid != std::process::id().to_string() && !processes.join(pid).exists();
        if gone && entry.file_type().is_ok_and(|kind| kind.is_dir()) {
            // Renamed first, so that a second build starting now does not delete it too.
            static LEFTOVERS: AtomicUsize = AtomicUsize::new(0);
            let number = LEFTOVERS.fetch_add(1, Ordering::Relaxed);
            let retiring = work_folder(parent, name, "old", &format!("-left{number}"));
            if fs::rename(entry.path(), &retiring).is_ok() {
                delete_in_background(retiring);
            }
        }
    }
}

/// Deletions of replaced outputs still running.
static RETIRED: Mutex<Vec<std::thread::JoinHandle<()>>> = Mutex::new(Vec::new());

/// Replaced outputs kept for the next staging folder (see [`Staging::begin_recycled`]).
static SPARES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Where the output replaced last is kept for reuse, beside the output.
fn spare_path(parent: &Path, name: &str) -> PathBuf {
    work_folder(parent, name, "spare", "")
}

fn forget_spare(spare: &Path) {
    lock(&SPARES).retain(|kept| kept != spare);
}

/// Deletes the spares this process kept (see [`Staging::begin_recycled`]); a command
/// calls it before it exits, with [`wait_for_deletions`].
pub fn remove_spares() {
    for spare in std::mem::take(&mut *lock(&SPARES)) {
        let _ = fs::remove_dir_all(spare);
    }
}

/// Waits until every output this process replaced is deleted; a command calls it
/// before it exits, so that no old output is left behind.
pub fn wait_for_deletions() {
    let running = std::mem::take(&mut *RETIRED.lock().unwrap_or_else(|poison| poison.into_inner()));
    for deletion in running {
        let _ = deletion.join();
    }
}

/// Whether two metadata are of the same file.
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        a.dev() == b.dev() && a.ino() == b.ino()
    }
    #[cfg(not(unix))]
    {
        // Not known without inodes: the caller links again.
        let _ = (a, b);
        false
    }
}

/// Whether a file has no other name, so writing over it changes nothing else.
fn is_sole_link(metadata: &fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        metadata.is_file() && metadata.nlink() == 1
    }
    #[cfg(not(unix))]
    {
        let _ = metadata;
        false
    }
}

/// Writes `contents` over an existing file, then cuts it to their length. Not
/// truncated first: ext4 flushes a file emptied by truncation and written again when
/// it is closed (so that a crash cannot leave it empty), a wait per file that a staging
/// folder does not need.
fn write_over(path: &Path, contents: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut file = fs::OpenOptions::new().write(true).open(path)?;
    file.write_all(contents)?;
    file.set_len(contents.len() as u64)
}

/// Removes a file, or a folder with everything in it.
fn remove_any(path: &Path, metadata: &fs::Metadata) -> io::Result<()> {
    match metadata.is_dir() {
        true => fs::remove_dir_all(path),
        false => fs::remove_file(path),
    }
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

    /// A temporary folder holding an empty book folder, and the book's output path
    /// (not yet made); the folder goes when the first value is dropped.
    fn new_book() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let book = dir.path().join("book");
        fs::create_dir_all(&book).unwrap();
        let output = book.join("public");
        (dir, book, output)
    }

    fn file(path: &str, text: &str) -> OutputFile {
        OutputFile {
            path: path.to_string(),
            contents: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn unchanged_files_keep_their_inode_and_changed_ones_are_rewritten() {
        let (_dir, book, output) = new_book();

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

        // Another swap while the replaced output may still be being deleted.
        write_site(&output, &book, vec![file("a.html", "A3")], &[]).unwrap();
        assert_eq!(fs::read_to_string(output.join("a.html")).unwrap(), "A3");
        assert!(!output.join("b/c.html").exists());
        wait_for_deletions();
        let leftovers: Vec<_> = fs::read_dir(&book).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "only public/ remains: {leftovers:?}");
    }

    /// One whole-site write through a recycled staging folder: `put` files are
    /// written, `kept` ones taken from the output as they are.
    fn write_recycled(output: &Path, book: &Path, put: &[(&str, &str)], kept: &[&str]) {
        let staging = Staging::begin_recycled(output, book).unwrap();
        for (path, text) in put {
            staging.put(path, text.as_bytes());
        }
        for path in kept {
            staging.keep(path);
        }
        staging.commit().unwrap();
    }

    fn tree(folder: &Path) -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = walkdir::WalkDir::new(folder)
            .into_iter()
            .map(Result::unwrap)
            .filter(|entry| entry.file_type().is_file())
            .map(|entry| {
                let rel = entry.path().strip_prefix(folder).unwrap();
                let text = fs::read_to_string(entry.path()).unwrap();
                (rel.to_string_lossy().into_owned(), text)
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn a_recycled_staging_folder_writes_each_site_exactly_and_never_touches_the_live_one() {
        let (_dir, book, output) = new_book();
        let marker = marker_contents();
        let site = |files: &[(&str, &str)]| {
            let mut all: Vec<(String, String)> = files
                .iter()
                .map(|(path, text)| (path.to_string(), text.to_string()))
                .collect();
            all.push((MARKER.to_string(), marker.clone()));
            all.sort();
            all
        };

        // No spare yet: an empty staging folder; the replaced output becomes the spare.
        write_recycled(&output, &book, &[("a.html", "A1"), ("b/c.html", "C1")], &[]);
        write_recycled(&output, &book, &[("a.html", "A2"), ("b/c.html", "C1")], &[]);
        let spare = spare_path(&book, "public");
        assert_eq!(tree(&spare), site(&[("a.html", "A1"), ("b/c.html", "C1")]));
        let spare_inode = fs::metadata(spare.join("a.html")).unwrap().ino();
        // `b/c.html` is the same file in both: the spare's copy is a link to the live one.
        assert_eq!(fs::metadata(spare.join("b/c.html")).unwrap().nlink(), 2);

        // The next site starts as the spare: a sole file is written over in place, a
        // file linked to the live output is replaced without changing the live one, a
        // file the new site lacks goes, and a file stands where a folder was.
        let staging = Staging::begin_recycled(&output, &book).unwrap();
        staging.put("a.html", b"A3");
        staging.put("b/c.html", b"C3");
        staging.put("d.html", b"D3");
        assert_eq!(
            fs::read_to_string(output.join("b/c.html")).unwrap(),
            "C1",
            "the live site is as it was until the commit"
        );
        staging.commit().unwrap();
        assert_eq!(
            tree(&output),
            site(&[("a.html", "A3"), ("b/c.html", "C3"), ("d.html", "D3")])
        );
        assert_eq!(
            fs::metadata(output.join("a.html")).unwrap().ino(),
            spare_inode
        );
        assert_eq!(
            tree(&spare),
            site(&[("a.html", "A2"), ("b/c.html", "C1")]),
            "the site replaced now is the spare, whole"
        );

        // A folder where a file was and a file where a folder was; a kept file.
        write_recycled(
            &output,
            &book,
            &[("a.html/x.html", "X"), ("b", "B")],
            &["d.html"],
        );
        assert_eq!(
            tree(&output),
            site(&[("a.html/x.html", "X"), ("b", "B"), ("d.html", "D3")])
        );

        remove_spares();
        wait_for_deletions();
        let leftovers: Vec<_> = fs::read_dir(&book).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "only public/ remains: {leftovers:?}");
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn folders_left_by_processes_that_are_gone_are_deleted_and_no_others() {
        let dir = tempfile::tempdir().unwrap();
        let book = dir.path().join("book");
        let output = book.join("public");
        // Above Linux's largest process id: no such process can run.
        let gone = 999_999_999u32;
        let ours = std::process::id();
        let left = [
            format!(".public.loopbook-staging-{gone}"),
            format!(".public.loopbook-old-{gone}-3"),
            format!(".public.loopbook-spare-{gone}"),
        ];
        let kept = [
            ".public.loopbook-staging-1".to_string(), // init runs
            format!(".public.loopbook-spare-{ours}"),
            format!(".other.loopbook-staging-{gone}"), // another output's
            ".public.loopbook-cache".to_string(),
        ];
        for name in left.iter().chain(&kept[..3]) {
            fs::create_dir_all(book.join(name).join("guide")).unwrap();
            fs::write(book.join(name).join("guide/a.html"), "A").unwrap();
        }
        fs::write(book.join(&kept[3]), "cache").unwrap();

        write_site(&output, &book, vec![file("a.html", "A")], &[]).unwrap();
        wait_for_deletions();

        let mut names: Vec<String> = fs::read_dir(&book)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let mut expected: Vec<String> = kept.to_vec();
        expected.push("public".to_string());
        expected.sort();
        assert_eq!(names, expected);
    }

    #[test]
    fn an_in_place_update_changes_only_what_it_names_and_nothing_until_committed() {
        let (_dir, book, output) = new_book();
        write_site(
            &output,
            &book,
            vec![file("a.html", "A"), file("old/gone.html", "G")],
            &[],
        )
        .unwrap();
        let inode = fs::metadata(output.join("a.html")).unwrap().ino();

        let abandoned = InPlace::begin(&output, &book).unwrap();
        abandoned.put("b.html", b"B");
        drop(abandoned);
        assert!(
            !output.join("b.html").exists(),
            "nothing lands before the commit"
        );

        let update = InPlace::begin(&output, &book).unwrap();
        update.put("new/b.html", b"B");
        update.remove("old/gone.html");
        let summary = update.commit().unwrap();
        assert_eq!(summary.written, 1);
        assert_eq!(fs::read_to_string(output.join("new/b.html")).unwrap(), "B");
        assert!(!output.join("old").exists(), "emptied folders go too");
        assert_eq!(fs::metadata(output.join("a.html")).unwrap().ino(), inode);
        let leftovers: Vec<_> = fs::read_dir(&book).unwrap().collect();
        assert_eq!(
            leftovers.len(),
            1,
            "no staging folder or journal left: {leftovers:?}"
        );
    }

    #[test]
    fn an_interrupted_update_is_noticed() {
        let (_dir, book, output) = new_book();
        write_site(&output, &book, vec![file("a.html", "A")], &[]).unwrap();
        fs::write(journal_path(&output), "a.html\n").unwrap();
        assert!(matches!(
            InPlace::begin(&output, &book),
            Err(WriteError::Interrupted(_))
        ));
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
    fn paths_that_leave_the_output_are_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let book = dir.path().join("book");
        fs::create_dir_all(&book).unwrap();
        let output = book.join("out/site");
        let absolute = dir.path().join("absolute.txt");

        for rel in [
            "../escape.txt",
            "a/../../escape.txt",
            absolute.to_str().unwrap(),
            "",
        ] {
            let error = write_site(&output, &book, vec![file(rel, "X")], &[]).unwrap_err();
            assert!(
                matches!(&error, WriteError::OutsideOutput(path) if path == rel),
                "{rel}: {error}"
            );
        }
        assert!(!book.join("out/escape.txt").exists());
        assert!(!book.join("escape.txt").exists());
        assert!(!absolute.exists());
        assert!(
            !book.join("out").exists(),
            "a refused write leaves no folder"
        );
    }

    #[test]
    fn an_in_place_update_refuses_paths_that_leave_the_output() {
        let (_dir, book, output) = new_book();
        write_site(&output, &book, vec![file("a.html", "A")], &[]).unwrap();
        fs::write(book.join("keep.txt"), "precious").unwrap();

        let update = InPlace::begin(&output, &book).unwrap();
        update.put("../escape.txt", b"X");
        assert!(matches!(update.commit(), Err(WriteError::OutsideOutput(_))));
        let update = InPlace::begin(&output, &book).unwrap();
        update.remove("../keep.txt");
        assert!(matches!(update.commit(), Err(WriteError::OutsideOutput(_))));

        assert!(!book.join("escape.txt").exists());
        assert_eq!(
            fs::read_to_string(book.join("keep.txt")).unwrap(),
            "precious"
        );
    }

    #[test]
    fn an_output_path_that_is_a_file_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let book = dir.path().join("book");
        fs::create_dir_all(&book).unwrap();
        let output = dir.path().join("precious.txt");
        fs::write(&output, "precious").unwrap();

        let error = write_site(&output, &book, vec![file("a.html", "A")], &[]).unwrap_err();

        assert!(matches!(error, WriteError::NotAFolder(_)), "{error}");
        assert_eq!(fs::read_to_string(&output).unwrap(), "precious");
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["book", "precious.txt"]);
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
