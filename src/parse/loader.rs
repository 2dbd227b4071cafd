//! Reading the files a page includes, on behalf of the parsers.
//!
//! Parsers never touch the file system: they ask an [`IncludeLoader`]. This one resolves
//! paths (a leading `/` means the source root, anything else is relative to the including
//! file), refuses paths that leave the book folder, detects include cycles with a stack,
//! registers every file it reads in the [`SourceMap`] and records it as a dependency of
//! the page being parsed.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::diagnostics::SourceMap;
use crate::doc::{FileId, Location};

/// A file handed to a parser for inclusion.
#[derive(Debug)]
pub struct Included {
    pub file: FileId,
    pub text: Arc<str>,
}

/// What a parser asks of its caller for `include` and `literalinclude`.
pub trait IncludeLoader {
    /// Resolves and reads the file an `include` names. The loader keeps the include stack:
    /// it refuses a missing file, a cycle or a path that leaves the book folder with a
    /// message. On success the parser parses the text and then calls [`leave`].
    ///
    /// [`leave`]: IncludeLoader::leave
    fn enter(&mut self, target: &str, from: FileId, at: Location) -> Result<Included, String>;

    /// Ends the innermost include started by [`enter`](IncludeLoader::enter).
    fn leave(&mut self);

    /// Reads a file for `literalinclude` (same path rules, not part of the stack).
    fn read_literal(&mut self, target: &str, from: FileId, at: Location) -> Result<String, String>;
}

/// Reads includes from disk for one page.
pub struct FileLoader<'a> {
    book_root: &'a Path,
    source_dir: &'a Path,
    sources: &'a SourceMap,
    /// Files being included, outermost first, with the page itself at the bottom.
    stack: Vec<PathBuf>,
    /// Every file the page read, for rebuilding it when one changes.
    pub dependencies: Vec<PathBuf>,
}

impl<'a> FileLoader<'a> {
    pub fn new(
        book_root: &'a Path,
        source_dir: &'a Path,
        sources: &'a SourceMap,
        page: &Path,
    ) -> Self {
        Self {
            book_root,
            source_dir,
            sources,
            stack: vec![page.to_path_buf()],
            dependencies: vec![page.to_path_buf()],
        }
    }

    /// Turns a target as written into a path inside the book folder.
    fn resolve(&self, target: &str, from: FileId) -> Result<PathBuf, String> {
        let target = target.trim();
        if target.is_empty() {
            return Err("the directive names no file".to_string());
        }
        let joined = match target.strip_prefix('/') {
            Some(rooted) => self.source_dir.join(rooted),
            None => {
                let including = self.sources.get(from).map(|file| file.path.clone());
                let base = including
                    .as_deref()
                    .and_then(Path::parent)
                    .unwrap_or(self.source_dir)
                    .to_path_buf();
                base.join(target)
            }
        };
        let path = normalize(&joined);
        if !path.starts_with(self.book_root) {
            return Err(format!(
                "`{target}` is outside the book folder {}",
                self.book_root.display()
            ));
        }
        // A symbolic link inside the book may still point outside it.
        if let Ok(real) = std::fs::canonicalize(&path)
            && !real.starts_with(self.book_root)
        {
            return Err(format!(
                "`{target}` leads outside the book folder through a link"
            ));
        }
        Ok(path)
    }

    fn read(&mut self, path: &Path, target: &str) -> Result<(FileId, Arc<str>), String> {
        if let Some(found) = self.sources.lookup(path) {
            self.note_dependency(path);
            return Ok(found);
        }
        // A file that is missing now is still a dependency: creating it changes the page.
        self.note_dependency(path);
        let bytes = std::fs::read(path).map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => format!("included file `{target}` does not exist"),
            _ => format!("cannot read `{target}`: {error}"),
        })?;
        let text = String::from_utf8(bytes)
            .map_err(|_| format!("included file `{target}` is not valid UTF-8"))?;
        let display = display_path(path, self.book_root);
        let text: Arc<str> = Arc::from(text);
        let id = self.sources.add(path, display, text.clone());
        Ok((id, text))
    }

    fn note_dependency(&mut self, path: &Path) {
        if !self.dependencies.iter().any(|known| known == path) {
            self.dependencies.push(path.to_path_buf());
        }
    }

    fn chain_text(&self, last: &Path) -> String {
        let mut names: Vec<String> = self
            .stack
            .iter()
            .map(|path| display_path(path, self.book_root))
            .collect();
        names.push(display_path(last, self.book_root));
        names.join(" -> ")
    }
}

impl IncludeLoader for FileLoader<'_> {
    fn enter(&mut self, target: &str, from: FileId, _at: Location) -> Result<Included, String> {
        let path = self.resolve(target, from)?;
        if self.stack.contains(&path) {
            return Err(format!("include cycle: {}", self.chain_text(&path)));
        }
        let (file, text) = self.read(&path, target)?;
        self.stack.push(path);
        Ok(Included { file, text })
    }

    fn leave(&mut self) {
        // The page itself stays at the bottom of the stack.
        if self.stack.len() > 1 {
            self.stack.pop();
        }
    }

    fn read_literal(
        &mut self,
        target: &str,
        from: FileId,
        _at: Location,
    ) -> Result<String, String> {
        let path = self.resolve(target, from)?;
        self.read(&path, target).map(|(_, text)| text.to_string())
    }
}

/// The diagnostic code for a message this loader returned: the messages are made in
/// this file, so their wording is what tells the kinds apart.
pub fn error_code(message: &str) -> &'static str {
    if message.starts_with("include cycle") {
        "include-cycle"
    } else if message.contains("outside the book folder") {
        "include-outside-book"
    } else if message.ends_with("does not exist") {
        "missing-include"
    } else if message.ends_with("is not valid UTF-8") {
        "not-utf8"
    } else if message.starts_with("cannot read") {
        "unreadable-file"
    } else {
        "invalid-include"
    }
}

/// `path` with `.` and `..` resolved lexically, so the containment check sees the truth.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// A path as shown in diagnostics: relative to the book folder when inside it.
pub fn display_path(path: &Path, book_root: &Path) -> String {
    match path.strip_prefix(book_root) {
        Ok(relative) => crate::sources::relative_slash_path(relative, Path::new("")),
        Err(_) => path.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn rooted_and_relative_targets_resolve_and_cycles_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let src = root.join("content");
        write(&src.join("a/page.md"), "page");
        write(&src.join("a/part.md"), "part");
        write(&src.join("shared.md"), "shared");
        let sources = SourceMap::default();
        let page = src.join("a/page.md");
        let page_id = sources.add(&page, "content/a/page.md".into(), Arc::from("page"));
        let mut loader = FileLoader::new(&root, &src, &sources, &page);
        let at = Location::new(page_id, 1, 1);

        let part = loader.enter("part.md", page_id, at).unwrap();
        assert_eq!(&*part.text, "part");
        let cycle = loader.enter("page.md", part.file, at).unwrap_err();
        assert_eq!(
            cycle,
            "include cycle: content/a/page.md -> content/a/part.md -> content/a/page.md"
        );
        loader.leave();

        assert_eq!(
            &*loader.enter("/shared.md", page_id, at).unwrap().text,
            "shared"
        );
        loader.leave();
        let outside = loader
            .enter("../../../etc/passwd", page_id, at)
            .unwrap_err();
        assert!(outside.contains("outside the book folder"), "{outside}");
        let missing = loader.enter("nope.md", page_id, at).unwrap_err();
        assert_eq!(missing, "included file `nope.md` does not exist");
        // The missing file counts too: creating it must rebuild the page.
        assert_eq!(loader.dependencies.len(), 4);

        assert_eq!(error_code(&cycle), "include-cycle");
        assert_eq!(error_code(&outside), "include-outside-book");
        assert_eq!(error_code(&missing), "missing-include");
        let no_file = loader.enter(" ", page_id, at).unwrap_err();
        assert_eq!(error_code(&no_file), "invalid-include");
    }
}
