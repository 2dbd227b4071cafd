//! Discovery: which files under the source folder are pages, which are static files.
//!
//! Steps: walk `[book] src` with walkdir, skip hidden entries, the output folder and the
//! `exclude` globs, keep `.md` and `.rst` files as pages, and list the files of the
//! `static` folders for copying (noting those that are not there). Everything is sorted by path, so nothing downstream
//! depends on the order the file system returns entries in.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use walkdir::WalkDir;

use crate::config::{self, Config};
use crate::diagnostics::Diagnostic;
use crate::doc::{FileId, Location};

/// The page formats loopbook reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Markdown,
    Rst,
}

impl Format {
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()? {
            "md" | "markdown" => Some(Format::Markdown),
            "rst" => Some(Format::Rst),
            _ => None,
        }
    }
}

/// One page's source file.
#[derive(Debug, Clone)]
pub struct PageSource {
    pub path: PathBuf,
    /// Path relative to the source folder, with `/` separators (`guide/setup.md`).
    pub rel: String,
    pub format: Format,
}

impl PageSource {
    /// The document name: `rel` without its extension (`guide/setup`), as toctrees and
    /// `doc` roles name pages.
    pub fn doc_name(&self) -> &str {
        self.rel
            .rsplit_once('.')
            .map_or(self.rel.as_str(), |(stem, _)| stem)
    }
}

/// A file copied to the output as it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct StaticFile {
    pub path: PathBuf,
    /// Output path relative to the output folder, with `/` separators.
    pub rel: String,
}

#[derive(Debug, Default, Clone)]
pub struct Sources {
    pub pages: Vec<PageSource>,
    /// `SUMMARY.md` at the source root, when the book has one.
    pub summary: Option<PathBuf>,
    pub static_files: Vec<StaticFile>,
    /// `[build] static` entries, as written, that name no folder.
    pub missing_static_dirs: Vec<PathBuf>,
}

impl Sources {
    /// Whether this listing of `source_dir` still holds after the files at `paths`
    /// changed: each is outside the folder, or a file listed here that is still there
    /// (edited in place). A path it does not list may be a file just made, and one that
    /// is gone may have been renamed: either way the folder must be listed again.
    pub fn still_lists<'p>(
        &self,
        source_dir: &Path,
        mut paths: impl Iterator<Item = &'p PathBuf>,
    ) -> bool {
        paths.all(|path| {
            let listed = || {
                self.pages.iter().any(|page| page.path == *path)
                    || self.static_files.iter().any(|file| file.path == *path)
                    || self.summary.as_ref() == Some(path)
            };
            !path.starts_with(source_dir) || (listed() && path.is_file())
        })
    }

    /// A warning for each static folder that is not there, at the `static` line of
    /// `book.toml` (whose text is `book_toml`).
    pub fn missing_static_warnings(&self, book_toml: &str) -> Vec<Diagnostic> {
        let line = config::key_location(book_toml, "build", "static").unwrap_or(Location::new(
            FileId(0),
            1,
            1,
        ));
        self.missing_static_dirs
            .iter()
            .map(|dir| {
                Diagnostic::warning(
                    line,
                    format!("static folder `{}` does not exist", dir.display()),
                )
                .with_code("missing-static")
                .with_hint("static folders are named relative to `[book] src`; create it or remove the entry")
            })
            .collect()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    #[error("source folder {} does not exist", .0.display())]
    MissingSourceDir(PathBuf),
    #[error("cannot read {}: {source}", .path.display())]
    Walk {
        path: PathBuf,
        source: walkdir::Error,
    },
}

/// Lists the pages and static files of a book.
pub fn discover(config: &Config) -> Result<Sources, SourcesError> {
    let source_dir = config.source_dir();
    if !source_dir.is_dir() {
        return Err(SourcesError::MissingSourceDir(source_dir));
    }
    let excluded = exclude_set(&config.build.exclude);
    let output_dir = config.output_dir();
    // Written without `..` steps, so each file's path relative to the source folder is
    // a plain one (the configuration has refused entries that leave it).
    let static_dirs: Vec<PathBuf> = config
        .build
        .static_dirs
        .iter()
        .map(|dir| source_dir.join(crate::parse::loader::normalize(dir)))
        .collect();

    let mut sources = Sources::default();
    let walker = WalkDir::new(&source_dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            let path = entry.path();
            entry.depth() == 0
                || !(is_hidden(entry.file_name())
                    || path == output_dir
                    || static_dirs.iter().any(|dir| dir == path))
        });
    for entry in walker {
        let entry = entry.map_err(|source| SourcesError::Walk {
            path: source.path().unwrap_or(&source_dir).to_path_buf(),
            source,
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = relative_slash_path(entry.path(), &source_dir);
        if excluded.is_match(&rel) {
            continue;
        }
        if rel == "SUMMARY.md" {
            sources.summary = Some(entry.path().to_path_buf());
            continue;
        }
        if let Some(format) = Format::from_path(entry.path()) {
            sources.pages.push(PageSource {
                path: entry.path().to_path_buf(),
                rel,
                format,
            });
        }
    }

    for (dir, written) in static_dirs.iter().zip(&config.build.static_dirs) {
        if dir.is_dir() {
            collect_static(dir, &source_dir, &mut sources.static_files)?;
        } else {
            sources.missing_static_dirs.push(written.clone());
        }
    }
    sources.static_files.sort();
    Ok(sources)
}

fn collect_static(
    dir: &Path,
    source_dir: &Path,
    out: &mut Vec<StaticFile>,
) -> Result<(), SourcesError> {
    for entry in WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|source| SourcesError::Walk {
            path: source.path().unwrap_or(dir).to_path_buf(),
            source,
        })?;
        if entry.file_type().is_file() && !is_hidden(entry.file_name()) {
            let rel = relative_slash_path(entry.path(), source_dir);
            out.push(StaticFile {
                path: entry.path().to_path_buf(),
                rel,
            });
        }
    }
    Ok(())
}

fn exclude_set(patterns: &[String]) -> GlobSet {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        // The configuration stage has already reported invalid patterns.
        if let Ok(glob) = Glob::new(pattern) {
            builder.add(glob);
        }
    }
    builder.build().unwrap_or_else(|_| GlobSet::empty())
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|name| name.starts_with('.'))
}

/// `path` relative to `base`, with `/` separators whatever the platform.
pub fn relative_slash_path(path: &Path, base: &Path) -> String {
    let relative = path.strip_prefix(base).unwrap_or(path);
    let parts: Vec<String> = relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_for(root: &Path, extra: &str) -> Config {
        let text = format!("[book]\nsrc = \"src\"\n{extra}");
        crate::config::parse(root, &root.join("book.toml"), text).unwrap()
    }

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "x").unwrap();
    }

    #[test]
    fn pages_are_sorted_and_exclusions_apply() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for name in [
            "b.md",
            "a.md",
            "sub/z.rst",
            "partials/p.md",
            ".hidden/x.md",
            "notes.txt",
        ] {
            touch(&root.join("src").join(name));
        }
        touch(&root.join("src/SUMMARY.md"));
        touch(&root.join("src/_static/site.css"));
        let config = config_for(
            root,
            "[build]\nexclude = [\"partials/**\"]\nstatic = [\"_static\"]\n",
        );

        let sources = discover(&config).unwrap();

        let pages: Vec<&str> = sources.pages.iter().map(|page| page.rel.as_str()).collect();
        assert_eq!(pages, ["a.md", "b.md", "sub/z.rst"]);
        assert!(sources.summary.is_some());
        let statics: Vec<&str> = sources
            .static_files
            .iter()
            .map(|f| f.rel.as_str())
            .collect();
        assert_eq!(statics, ["_static/site.css"]);
    }

    #[test]
    fn static_folders_are_copied_to_plain_paths_and_missing_ones_noted() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(&root.join("src/index.md"));
        touch(&root.join("src/img/logo.png"));
        let config = config_for(root, "[build]\nstatic = [\"_static/../img\", \"gone\"]\n");

        let sources = discover(&config).unwrap();

        let statics: Vec<&str> = sources
            .static_files
            .iter()
            .map(|f| f.rel.as_str())
            .collect();
        assert_eq!(statics, ["img/logo.png"]);
        assert_eq!(sources.missing_static_dirs, [PathBuf::from("gone")]);
        let text = "[book]\nsrc = \"src\"\n[build]\nstatic = [\"gone\"]\n";
        let warnings = sources.missing_static_warnings(text);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].location.map(|l| l.line), Some(4));
        assert!(warnings[0].message.contains("`gone`"));
    }

    #[test]
    fn missing_source_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let error = discover(&config_for(dir.path(), "")).unwrap_err();
        assert!(matches!(error, SourcesError::MissingSourceDir(_)));
    }
}
