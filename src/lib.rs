//! loopbook: a static-site generator for integration documentation.
//!
//! The pipeline, one module per stage: [`config`] reads `book.toml`; [`placements`]
//! loads and checks the placement definitions and renders their snippets; [`sources`]
//! finds the pages; [`parse`] turns each into the shared [`doc`] model; [`resolve`] links
//! the pages together and builds the navigation; [`render`] produces HTML through the
//! theme; [`publish`] adds what hosts and readers need beside the pages (search index,
//! sitemap, redirects, llms.txt); [`write`] puts the site in place atomically.
//! [`build`] runs them in order, keeping what it may reuse for the next build
//! ([`fingerprint`] tells what changed); [`check`] runs them into memory and checks every
//! link of the result; [`mdbook`] runs the Markdown extensions inside an mdBook; and
//! [`init`] starts a new book. `serve` (behind the default `serve` feature) builds,
//! serves and rebuilds on every change. Problems are [`diagnostics`] with a file and
//! line.

pub mod build;
pub mod check;
pub mod config;
pub mod diagnostics;
pub mod doc;
pub mod fingerprint;
pub mod init;
pub mod mdbook;
pub mod parse;
pub mod placements;
pub mod publish;
pub mod render;
pub mod resolve;
#[cfg(feature = "serve")]
pub mod serve;
pub mod sources;
pub mod write;
