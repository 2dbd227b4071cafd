//! `loopbook init`: a new book with a `book.toml`, a first page and a `SUMMARY.md`.

use std::fs;
use std::path::{Path, PathBuf};

use crate::config::{CONFIG_FILE, starter_config};

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{} already has a {CONFIG_FILE}; not overwriting it", .0.display())]
    Exists(PathBuf),
    #[error("cannot write {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Writes a starter book into `dir`; never overwrites an existing file.
pub fn init(dir: &Path) -> Result<Vec<PathBuf>, InitError> {
    if dir.join(CONFIG_FILE).exists() {
        return Err(InitError::Exists(dir.to_path_buf()));
    }
    let title = dir
        .canonicalize()
        .ok()
        .and_then(|path| {
            path.file_name()
                .map(|name| name.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "My integration docs".to_string());
    let files = [
        (PathBuf::from(CONFIG_FILE), starter_config(&title)),
        (PathBuf::from("content/SUMMARY.md"), SUMMARY.to_string()),
        (PathBuf::from("content/index.md"), INDEX.to_string()),
    ];

    let mut written = Vec::new();
    for (relative, text) in files {
        let path = dir.join(&relative);
        if path.exists() {
            continue;
        }
        let io = |source| InitError::Io {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(io)?;
        }
        fs::write(&path, text).map_err(io)?;
        written.push(relative);
    }
    Ok(written)
}

const SUMMARY: &str = "# Summary\n\n[Introduction](index.md)\n";

const INDEX: &str = r#"+++
title = "Introduction"
description = "What this integration does and where to start."
+++

# Introduction

Your site id is `{{ site_id }}`; set it in `book.toml` under `[variables]`.

```{note}
Run `loopbook serve` and edit this page: the browser reloads on save.
```
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_writes_a_book_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let written = init(dir.path()).unwrap();
        assert_eq!(written.len(), 3);
        assert!(dir.path().join("content/index.md").is_file());
        assert!(matches!(init(dir.path()), Err(InitError::Exists(_))));
    }
}
