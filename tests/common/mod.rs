//! Helpers for tests that run the real `loopbook` binary on real folders.

// Each test file uses a different part of these helpers, and `pub` here means "for the
// test files", not the crate's public API.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A book in a temporary folder, copied from `tests/fixtures/<name>` or written by hand.
pub struct Book {
    pub dir: tempfile::TempDir,
}

/// What a run of the binary printed and returned.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Book {
    pub fn empty() -> Book {
        Book {
            dir: tempfile::tempdir().expect("temporary folder"),
        }
    }

    /// A copy of a fixture folder.
    pub fn fixture(name: &str) -> Book {
        let book = Book::empty();
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        copy_tree(&source, book.path());
        book
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, relative: &str, text: &str) -> &Self {
        self.write_bytes(relative, text.as_bytes())
    }

    pub fn write_bytes(&self, relative: &str, bytes: &[u8]) -> &Self {
        let path = self.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
        self
    }

    pub fn read(&self, relative: &str) -> String {
        let path = self.path().join(relative);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    pub fn exists(&self, relative: &str) -> bool {
        self.path().join(relative).exists()
    }

    /// Runs `loopbook build` on the book with extra arguments.
    pub fn build(&self, extra: &[&str]) -> Run {
        let mut args = vec!["--color", "never", "build"];
        args.extend_from_slice(extra);
        let dir = self.path().to_str().unwrap().to_string();
        args.push(&dir);
        loopbook(&args, self.path())
    }

    /// The `<main>` element of an output page.
    pub fn main_of(&self, page: &str) -> String {
        main_element(&self.read(&format!("public/{page}")))
    }

    /// Every file under `public/` with its bytes.
    pub fn output_files(&self) -> BTreeMap<String, Vec<u8>> {
        files_under(&self.path().join("public"))
    }
}

/// Runs the binary with `args` in `cwd`.
pub fn loopbook(args: &[&str], cwd: &Path) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_loopbook"))
        .args(args)
        .current_dir(cwd)
        .env_remove("LOOPBOOK_LOG")
        .output()
        .expect("the loopbook binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

impl Run {
    /// Fails with the whole output when the exit code is not `code`.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stderr:\n{}\n--- stdout:\n{}",
            self.stderr, self.stdout
        );
        self
    }

    pub fn expect_success(&self) -> &Self {
        self.expect_code(0)
    }

    /// The `--> file:line:col` locations printed, in order.
    pub fn locations(&self) -> Vec<String> {
        self.stderr
            .lines()
            .filter_map(|line| line.trim_start().strip_prefix("--> "))
            .map(str::to_string)
            .collect()
    }

    /// The headline of each diagnostic (`error: …` / `warning: …`).
    pub fn headlines(&self) -> Vec<String> {
        self.stderr
            .lines()
            .filter(|line| line.starts_with("error") || line.starts_with("warning"))
            .map(str::to_string)
            .collect()
    }
}

pub fn main_element(html: &str) -> String {
    let start = html.find("<main").expect("page has <main>");
    let end = html.find("</main>").expect("page has </main>") + "</main>".len();
    html[start..end].to_string()
}

pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir(from) {
        let relative = entry.strip_prefix(from).unwrap();
        let target = to.join(relative);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&entry, &target).unwrap();
    }
}

fn walkdir(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

pub fn files_under(root: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir(root)
        .into_iter()
        .map(|path| {
            let relative = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let bytes = std::fs::read(&path).unwrap();
            (relative, bytes)
        })
        .collect()
}
