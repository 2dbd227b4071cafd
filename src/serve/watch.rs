//! Watching the book: file-system events in, batches of [`Change`]s out.
//!
//! Steps: decide which folders to watch (the book folder itself without its subfolders,
//! the sources, the theme, placements, extra watch folders and the folder of every file
//! a page included from elsewhere — never the output); feed notify's events through the
//! full debouncer, which joins the two halves of a rename; turn each event into a
//! `Change`, dropping the events that say nothing about the book; and gather changes
//! until the file system has been quiet for a moment, so a burst (a `git checkout`
//! touching hundreds of files) becomes one rebuild.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use notify::event::{EventKind, MetadataKind, ModifyKind, RenameMode};
use notify::{ErrorKind, PollWatcher, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer_opt};
use tracing::debug;

use crate::config::Config;

/// What happened to one path the book may depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A file's contents changed where it is.
    Edited(PathBuf),
    /// A file or folder appeared (also the new name of a rename).
    Added(PathBuf),
    /// A file or folder went away (also the old name of a rename).
    Removed(PathBuf),
    /// The watcher lost events (its queue overflowed): anything may have changed.
    Rescan,
}

impl Change {
    pub fn path(&self) -> Option<&Path> {
        match self {
            Change::Edited(path) | Change::Added(path) | Change::Removed(path) => Some(path),
            Change::Rescan => None,
        }
    }
}

/// How long a path must be quiet before the debouncer reports it: long enough to see
/// both halves of an atomic save, short enough to feel instant.
const DEBOUNCE: Duration = Duration::from_millis(8);
const TICK: Duration = Duration::from_millis(2);
/// After a few changes, how long to wait for more before rebuilding.
const QUIET: Duration = Duration::from_millis(8);
/// A batch this large is a burst (a checkout, a search-and-replace): wait longer for
/// the rest of it.
const BURST_PATHS: usize = 8;
const BURST_QUIET: Duration = Duration::from_millis(300);
/// However busy the file system stays, rebuild after this long.
const MAX_GATHER: Duration = Duration::from_secs(3);

/// Watches the book's folders and keeps the set of watched folders up to date.
pub struct BookWatcher {
    debouncer: WatcherKind,
    watched: BTreeSet<(PathBuf, bool)>,
    ignore: Ignore,
}

enum WatcherKind {
    Native(Debouncer<RecommendedWatcher, RecommendedCache>),
    Poll(Debouncer<PollWatcher, RecommendedCache>),
}

/// Why watching could not start.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(
        "cannot watch {}: the system's limit of inotify watches is reached",
        .0.display()
    )]
    TooManyWatches(PathBuf),
    #[error("cannot watch {}: {source}", .path.display())]
    Other {
        path: PathBuf,
        source: notify::Error,
    },
}

/// Paths whose events never concern the book.
#[derive(Clone)]
struct Ignore {
    /// The book folder: hidden entries below it are never part of the book.
    root: PathBuf,
    output: PathBuf,
    output_parent: PathBuf,
    output_name: String,
}

impl BookWatcher {
    /// Starts watching; each batch of changes the debouncer reports is sent to `sender`.
    pub fn start(
        config: &Config,
        poll: bool,
        sender: std::sync::mpsc::Sender<Vec<Change>>,
    ) -> Result<BookWatcher, WatchError> {
        let output = config.output_dir();
        let ignore = Ignore {
            root: config.root.clone(),
            output_parent: output.parent().unwrap_or(Path::new("/")).to_path_buf(),
            output_name: output
                .file_name()
                .map_or(String::new(), |name| name.to_string_lossy().into_owned()),
            output,
        };
        let filter = ignore.clone();
        let handler = move |result: DebounceEventResult| {
            let changes = match result {
                Ok(events) => events
                    .iter()
                    .flat_map(|event| changes_of(&event.event, &filter))
                    .collect(),
                Err(errors) => {
                    debug!(?errors, "watcher errors");
                    vec![Change::Rescan]
                }
            };
            let changes: Vec<Change> = changes;
            if !changes.is_empty() {
                let _ = sender.send(changes);
            }
        };
        let cache = RecommendedCache::new();
        let debouncer = if poll {
            // Polling sees times only to the second; comparing contents catches an
            // edit made in the same second as the one before, at the price of reading
            // every watched file each round.
            let config = notify::Config::default()
                .with_poll_interval(Duration::from_millis(500))
                .with_compare_contents(true);
            new_debouncer_opt(DEBOUNCE, Some(TICK), handler, cache, config).map(WatcherKind::Poll)
        } else {
            let config = notify::Config::default();
            new_debouncer_opt(DEBOUNCE, Some(TICK), handler, cache, config).map(WatcherKind::Native)
        }
        .map_err(|source| watch_error(&config.root, source))?;
        let mut watcher = BookWatcher {
            debouncer,
            watched: BTreeSet::new(),
            ignore,
        };
        watcher.update(config, &[])?;
        Ok(watcher)
    }

    /// Watches what the book now needs: `dependencies` are the files pages read, some
    /// of which may live outside the usual folders.
    pub fn update(&mut self, config: &Config, dependencies: &[PathBuf]) -> Result<(), WatchError> {
        let wanted = folders_to_watch(config, dependencies, &self.ignore.output);
        for (path, recursive) in self
            .watched
            .difference(&wanted)
            .cloned()
            .collect::<Vec<_>>()
        {
            let _ = match &mut self.debouncer {
                WatcherKind::Native(debouncer) => debouncer.unwatch(&path),
                WatcherKind::Poll(debouncer) => debouncer.unwatch(&path),
            };
            self.watched.remove(&(path, recursive));
        }
        for (path, recursive) in wanted.difference(&self.watched.clone()) {
            let mode = if *recursive {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            let result = match &mut self.debouncer {
                WatcherKind::Native(debouncer) => debouncer.watch(path, mode),
                WatcherKind::Poll(debouncer) => debouncer.watch(path, mode),
            };
            match result {
                Ok(()) => {
                    self.watched.insert((path.clone(), *recursive));
                }
                // A folder removed since it was listed is simply not watched.
                Err(error) if matches!(error.kind, ErrorKind::PathNotFound) => {}
                Err(error) => return Err(watch_error(path, error)),
            }
        }
        Ok(())
    }

    /// The folders watched now, for the log.
    pub fn watched(&self) -> impl Iterator<Item = &Path> {
        self.watched.iter().map(|(path, _)| path.as_path())
    }
}

fn watch_error(path: &Path, source: notify::Error) -> WatchError {
    match source.kind {
        ErrorKind::MaxFilesWatch => WatchError::TooManyWatches(path.to_path_buf()),
        ErrorKind::Io(ref io) if io.raw_os_error() == Some(28) => {
            // ENOSPC from inotify_add_watch means the watch limit, not a full disk.
            WatchError::TooManyWatches(path.to_path_buf())
        }
        _ => WatchError::Other {
            path: path.to_path_buf(),
            source,
        },
    }
}

/// The folders to watch, each with whether to watch it recursively. A folder that holds
/// the output is watched one level at a time so that the output itself never is.
fn folders_to_watch(
    config: &Config,
    dependencies: &[PathBuf],
    output: &Path,
) -> BTreeSet<(PathBuf, bool)> {
    let mut folders = BTreeSet::new();
    // The book folder for book.toml (and `themes/` or placements appearing later).
    folders.insert((config.root.clone(), false));
    let mut trees = vec![
        config.source_dir(),
        config.root.join("themes").join(&config.build.theme),
        config.root.join(&config.placements.dir),
    ];
    trees.extend(
        config
            .build
            .extra_watch_dirs
            .iter()
            .map(|dir| config.root.join(dir)),
    );
    if config.root.join("themes").is_dir() {
        folders.insert((config.root.join("themes"), false));
    }
    for tree in &trees {
        add_tree(tree, output, &mut folders);
    }
    for dependency in dependencies {
        let covered = trees.iter().any(|tree| dependency.starts_with(tree));
        if let Some(folder) = dependency.parent()
            && !covered
            && !folder.starts_with(output)
            && folder.is_dir()
        {
            folders.insert((folder.to_path_buf(), false));
        }
    }
    folders
}

fn add_tree(tree: &Path, output: &Path, folders: &mut BTreeSet<(PathBuf, bool)>) {
    if !tree.is_dir() || tree.starts_with(output) {
        return;
    }
    if !output.starts_with(tree) {
        folders.insert((tree.to_path_buf(), true));
        return;
    }
    // Shortcoming: a folder created here later is watched from the rebuild it causes
    // on; files written into it before that are found by that rebuild's discovery.
    folders.insert((tree.to_path_buf(), false));
    let Ok(entries) = std::fs::read_dir(tree) else {
        return;
    };
    let mut children: Vec<PathBuf> = entries
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
        .map(|entry| entry.path())
        .filter(|path| !is_hidden(path))
        .collect();
    children.sort();
    for child in children {
        add_tree(&child, output, folders);
    }
}

/// The changes one notify event stands for.
fn changes_of(event: &notify::Event, ignore: &Ignore) -> Vec<Change> {
    if event.need_rescan() {
        return vec![Change::Rescan];
    }
    let paths = event.paths.iter().filter(|path| !ignore.skips(path));
    match event.kind {
        // Reading a file (the server does, for every request) is not a change; reacting
        // to it reloads the browser in a loop.
        EventKind::Access(_) => Vec::new(),
        // The polling watcher reports a write as a new modification time.
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::WriteTime)) => {
            paths.map(|path| Change::Edited(path.clone())).collect()
        }
        // Permissions, owners and access times do not change what is built.
        EventKind::Modify(ModifyKind::Metadata(_)) => Vec::new(),
        // A rename the debouncer paired: the old name goes, the new one comes.
        EventKind::Modify(ModifyKind::Name(RenameMode::Both)) if event.paths.len() == 2 => {
            let mut changes = Vec::new();
            if !ignore.skips(&event.paths[0]) {
                changes.push(Change::Removed(event.paths[0].clone()));
            }
            if !ignore.skips(&event.paths[1]) {
                changes.push(Change::Added(event.paths[1].clone()));
            }
            changes
        }
        EventKind::Modify(ModifyKind::Name(RenameMode::From)) => {
            paths.map(|path| Change::Removed(path.clone())).collect()
        }
        // Atomic saves end here: a temporary file renamed over the original.
        EventKind::Modify(ModifyKind::Name(_)) | EventKind::Create(_) => {
            paths.map(|path| Change::Added(path.clone())).collect()
        }
        EventKind::Remove(_) => paths.map(|path| Change::Removed(path.clone())).collect(),
        EventKind::Modify(_) | EventKind::Any | EventKind::Other => {
            paths.map(|path| Change::Edited(path.clone())).collect()
        }
    }
}

impl Ignore {
    fn skips(&self, path: &Path) -> bool {
        if path.starts_with(&self.output) {
            return true;
        }
        // Staging folders, retired and spare outputs and the cache file sit beside the
        // output.
        if path.parent() == Some(self.output_parent.as_path())
            && let Some(name) = path.file_name().and_then(|name| name.to_str())
            && name.starts_with(&format!(".{}.loopbook", self.output_name))
        {
            return true;
        }
        let in_staging = path.ancestors().any(|ancestor| {
            ancestor
                .file_name()
                .and_then(|name| name.to_str())
                .is_some_and(crate::write::is_work_folder)
        });
        // `.git` and other hidden folders: discovery never reads them either.
        let hidden = path.strip_prefix(&self.root).is_ok_and(|inside| {
            inside
                .components()
                .any(|part| part.as_os_str().to_string_lossy().starts_with('.'))
        });
        in_staging || hidden || is_editor_temporary(path)
    }
}

/// Files editors write while saving, never sources themselves.
fn is_editor_temporary(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
        return false;
    };
    // Vim: swap files, backups, and `4913`, the file it creates to test a folder.
    name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".swo")
        || name.ends_with('~')
        || name == "4913"
        // Emacs: lock files and auto-saves.
        || name.starts_with(".#")
        || (name.starts_with('#') && name.ends_with('#'))
        // JetBrains IDEs save through these.
        || name.ends_with("___jb_tmp___")
        || name.ends_with("___jb_old___")
        // Hidden files (many editors' temporaries) are never sources.
        || name.starts_with('.')
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.starts_with('.'))
}

/// Waits for the next batch of changes and gathers everything that follows it until
/// the file system is quiet; `None` when the watcher is gone.
pub fn gather(receiver: &Receiver<Vec<Change>>, stop: &dyn Fn() -> bool) -> Option<Vec<Change>> {
    let mut changes = loop {
        match receiver.recv_timeout(Duration::from_millis(200)) {
            Ok(changes) => break changes,
            Err(RecvTimeoutError::Timeout) if stop() => return None,
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return None,
        }
    };
    let started = Instant::now();
    loop {
        let quiet = if is_burst(&changes) {
            BURST_QUIET
        } else {
            QUIET
        };
        if started.elapsed() >= MAX_GATHER {
            break;
        }
        match receiver.recv_timeout(quiet) {
            Ok(more) => changes.extend(more),
            Err(_) => break,
        }
    }
    Some(changes)
}

/// Many paths at once, or a new folder (a checkout, an unpacked archive, a copied
/// tree: its files follow, some before the folder is even watched).
fn is_burst(changes: &[Change]) -> bool {
    distinct_paths(changes) >= BURST_PATHS
        || changes
            .iter()
            .any(|change| matches!(change, Change::Added(path) if path.is_dir()))
}

fn distinct_paths(changes: &[Change]) -> usize {
    changes
        .iter()
        .filter_map(Change::path)
        .collect::<BTreeSet<_>>()
        .len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, DataChange, RemoveKind};

    fn ignore() -> Ignore {
        Ignore {
            root: PathBuf::from("/book"),
            output: PathBuf::from("/book/public"),
            output_parent: PathBuf::from("/book"),
            output_name: "public".into(),
        }
    }

    fn event(kind: EventKind, paths: &[&str]) -> notify::Event {
        let mut event = notify::Event::new(kind);
        for path in paths {
            event = event.add_path(PathBuf::from(path));
        }
        event
    }

    #[test]
    fn reads_and_the_output_folder_are_not_changes() {
        let read = event(
            EventKind::Access(notify::event::AccessKind::Any),
            &["/book/content/a.md"],
        );
        assert!(changes_of(&read, &ignore()).is_empty());
        let written = event(
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            &["/book/public/a.html"],
        );
        assert!(changes_of(&written, &ignore()).is_empty());
        let cache = event(
            EventKind::Create(CreateKind::File),
            &["/book/.public.loopbook-cache"],
        );
        assert!(changes_of(&cache, &ignore()).is_empty());
    }

    #[test]
    fn an_atomic_save_is_one_change_to_the_saved_file() {
        let events = [
            event(
                EventKind::Create(CreateKind::File),
                &["/book/content/.a.md.tmp1"],
            ),
            event(
                EventKind::Modify(ModifyKind::Data(DataChange::Any)),
                &["/book/content/.a.md.tmp1"],
            ),
            event(
                EventKind::Modify(ModifyKind::Name(RenameMode::Both)),
                &["/book/content/.a.md.tmp1", "/book/content/a.md"],
            ),
        ];
        let changes: Vec<Change> = events
            .iter()
            .flat_map(|event| changes_of(event, &ignore()))
            .collect();
        assert_eq!(changes, [Change::Added("/book/content/a.md".into())]);
    }

    #[test]
    fn what_a_build_writes_beside_an_output_outside_the_book_is_not_a_change() {
        let ignore = Ignore {
            output: PathBuf::from("/site/public"),
            output_parent: PathBuf::from("/site"),
            ..ignore()
        };
        for path in [
            "/site/.public.loopbook-staging-7/a.html",
            "/site/.public.loopbook-old-7-0/a.html",
            "/site/.public.loopbook-spare-7/guide/a.html",
        ] {
            let written = event(
                EventKind::Modify(ModifyKind::Data(DataChange::Any)),
                &[path],
            );
            assert!(changes_of(&written, &ignore).is_empty(), "{path}");
        }
    }

    #[test]
    fn hidden_folders_of_the_book_are_ignored() {
        let git = event(
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            &["/book/.git/index"],
        );
        assert!(changes_of(&git, &ignore()).is_empty());
    }

    #[test]
    fn editor_temporaries_are_ignored() {
        for name in [
            "a.md.swp",
            "a.md~",
            "4913",
            ".#a.md",
            "#a.md#",
            "a.md___jb_tmp___",
        ] {
            assert!(is_editor_temporary(Path::new(name)), "{name}");
        }
        assert!(!is_editor_temporary(Path::new("a.md")));
        let removed = event(EventKind::Remove(RemoveKind::File), &["/book/content/b.md"]);
        assert_eq!(
            changes_of(&removed, &ignore()),
            [Change::Removed("/book/content/b.md".into())]
        );
    }

    #[test]
    fn a_burst_of_batches_is_gathered_into_one() {
        let (sender, receiver) = std::sync::mpsc::channel();
        let writer = std::thread::spawn(move || {
            for index in 0..50 {
                let path = PathBuf::from(format!("/book/content/{index}.md"));
                sender.send(vec![Change::Edited(path)]).unwrap();
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        let batch = gather(&receiver, &|| false).unwrap();
        writer.join().unwrap();
        assert_eq!(distinct_paths(&batch), 50);
    }

    #[test]
    fn the_output_inside_the_sources_is_never_watched() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for folder in ["src/guide", "src/_build/html", "src/.git"] {
            std::fs::create_dir_all(root.join(folder)).unwrap();
        }
        let mut folders = BTreeSet::new();
        add_tree(&root.join("src"), &root.join("src/_build"), &mut folders);
        let expected = BTreeSet::from([(root.join("src"), false), (root.join("src/guide"), true)]);
        assert_eq!(folders, expected);
    }
}
