//! Fuzz target: the reStructuredText parser never panics, whatever the page and its
//! includes contain.
//!
//! The input is split at the first NUL byte: the page, then the text every included
//! file has (so includes, nested includes and include cycles are all reachable).

#![no_main]

use std::collections::BTreeMap;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use loopbook::doc::{FileId, Location};
use loopbook::parse::{IncludeLoader, Included, ParseOptions, rst};

/// Every include reads the same text; a stack refuses cycles as the real loader does.
/// Since every file is the same, a page that includes several files would expand
/// exponentially (real files are not all alike), so the includes of one parse are
/// capped.
struct OneFile {
    text: String,
    stack: Vec<String>,
    entered: usize,
}

const MAX_INCLUDES: usize = 16;

impl IncludeLoader for OneFile {
    fn enter(&mut self, target: &str, _: FileId, _: Location) -> Result<Included, String> {
        if self.stack.iter().any(|open| open == target) || self.stack.len() > 8 {
            return Err(format!("include cycle at `{target}`"));
        }
        self.entered += 1;
        if self.entered > MAX_INCLUDES {
            return Err("too many includes for one fuzz input".to_string());
        }
        self.stack.push(target.to_string());
        Ok(Included {
            file: FileId(self.stack.len() as u32),
            text: Arc::from(self.text.as_str()),
        })
    }

    fn leave(&mut self) {
        self.stack.pop();
    }

    fn read_literal(&mut self, _: &str, _: FileId, _: Location) -> Result<String, String> {
        Ok(self.text.clone())
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (page, included) = text.split_once('\0').unwrap_or((&text, ""));
    let variables = BTreeMap::from([("v".to_string(), "value".to_string())]);
    let options = ParseOptions {
        variables: &variables,
    };
    let mut loader = OneFile {
        text: included.to_string(),
        stack: Vec::new(),
        entered: 0,
    };
    let output = rst::parse(page, FileId(0), &options, &mut loader);
    // Rendering walks everything the parser made; it must not panic either.
    let _ = loopbook::render::html::render_document(&output.document);
});
