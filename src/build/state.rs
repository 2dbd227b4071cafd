//! What one build keeps for the next: the site's dependency graph.
//!
//! Every output file is a function of recorded inputs. For a page those are the files
//! its parse read (source, includes, literal includes, each with its fingerprint), the
//! site-wide [`Fact`]s its resolution looked up (labels, page titles and URLs, images,
//! the navigation, placements), its [`Frame`](crate::render::Frame) (sidebar,
//! previous/next, where it sits), the configuration and the theme. Their fingerprints
//! combine into the page's key; a page whose key is the one recorded for the file on
//! disk is kept as it is, any other page is parsed if needed, resolved and rendered
//! again. Outputs nobody keys (the 404 page, theme assets, samples, the invite page) are
//! made again every build and rewritten only when their bytes differ. When in doubt, a
//! page is rendered: a missing record, a changed configuration or an output file that
//! is not the one recorded all count as doubt.
//!
//! A state that lives across builds (`serve`) also keeps the book's file listing, the
//! search index's postings and what it saw of the output folder, so that a save costs
//! in proportion to what it changed. Shortcoming: with
//! [`BuildState::trust_checked_outputs`], an output file edited by hand while `serve`
//! runs is not noticed until its page changes (a deleted output folder is).
//!
//! Steps of [`BuildState::rebuild`]: load the configuration (a different one starts
//! from nothing); list the book's files; re-fingerprint the files that may have
//! changed; reload the theme if one of its files did; load the placements; parse the
//! pages whose files changed; index the site from every page's outline; compute each
//! page's frame and key; resolve and render the pages whose key changed; make the
//! site-wide files, each output path claimed by its one producer (the `producers`
//! module); then write (the `outputs` module), keeping everything else.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tracing::debug;

use super::outputs::{
    Destination, OutputRecord, Planned, copy_fingerprint, keyed, modified_nanos, unkeyed,
};
use super::producers::{Names, Producer, Producers};
use super::{BuildError, BuildOptions, BuildReport, Progress, load_config};
use crate::config::{self, Config};
use crate::diagnostics::{Diagnostic, Severity, SourceMap};
use crate::doc::{Document, FileId};
use crate::fingerprint::{self, Fingerprinter, Stamp};
use crate::parse;
use crate::placements::{self, Catalog};
use crate::publish::search::{IndexFile, PostingsMemo, TermTable};
use crate::publish::sitemap::{self, KnownTimes};
use crate::publish::{self, PageDigest, llms};
use crate::render::html::RenderedBody;
use crate::render::{self, Sink, theme::Theme};
use crate::resolve::{self, Fact, Outline, Page, PageInput, Resolution, Site};
use crate::sources::{self, PageSource, StaticFile};

/// Which input files may have changed since the last build.
#[derive(Debug, Clone)]
pub enum Changes {
    /// Anything may have: every recorded file is fingerprinted again.
    Unknown,
    /// Only these paths (what a file watcher reported).
    Paths(BTreeSet<PathBuf>),
}

impl Changes {
    fn includes(&self, path: &Path) -> bool {
        match self {
            Changes::Unknown => true,
            Changes::Paths(paths) => paths.contains(path),
        }
    }

    fn touches_folder(&self, folder: &Path) -> bool {
        match self {
            Changes::Unknown => true,
            Changes::Paths(paths) => paths.iter().any(|path| path.starts_with(folder)),
        }
    }
}

/// What a build would make, before anything is written.
struct Plan<'s> {
    config: Config,
    site: Site,
    catalog: Catalog,
    /// Every output file, by output path.
    outputs: BTreeMap<String, Planned>,
    /// Where the files made went, or wait.
    destination: Destination<'s>,
    diagnostics: Vec<Diagnostic>,
    samples: usize,
    /// Pages resolved and rendered by this build.
    rendered: usize,
    static_files: Vec<StaticFile>,
    started: Instant,
}

/// A page rendered by this build: its output and its Markdown copy, and the frame
/// fingerprint it was rendered with (by output path), and its body and digest when
/// the state remembers them.
type RenderedPage = (
    [(String, Planned); 2],
    (String, u64),
    Option<MadeFromDocument>,
);

/// What the site-wide outputs are made for, and where they go.
struct Made<'a> {
    config: &'a Config,
    site: &'a Site,
    destination: &'a Destination<'a>,
}

impl Made<'_> {
    /// Plans files made again every build (rewritten only when their bytes change),
    /// each claimed by the producer `producer_of` names for its path (a file whose path
    /// another producer has is left out). Written in parallel: creating a file costs
    /// the file system more than its bytes, and the search index alone is hundreds of
    /// files.
    fn add_all(
        &self,
        mut files: Vec<render::OutputFile>,
        producer_of: impl Fn(&str) -> Producer,
        planned: &mut BTreeMap<String, Planned>,
        producers: &mut Producers,
    ) {
        files.retain(|file| producers.claim(&file.path, producer_of(&file.path)));
        let accepted: Vec<(String, Planned)> = files
            .into_par_iter()
            .map(|file| {
                let body = self.destination.accept(&file.path, file.contents);
                (file.path, unkeyed(body))
            })
            .collect();
        planned.extend(accepted);
    }

    /// Plans the search index's files: those that came without text are kept, the
    /// others made with their key, so the next build can keep them.
    fn add_index(
        &self,
        files: Vec<IndexFile>,
        producer_of: &impl Fn(&str) -> Producer,
        planned: &mut BTreeMap<String, Planned>,
        producers: &mut Producers,
    ) {
        let claimed: Vec<IndexFile> = files
            .into_iter()
            .filter(|file| producers.claim(&file.path, producer_of(&file.path)))
            .collect();
        let accepted: Vec<(String, Planned)> = claimed
            .into_par_iter()
            .map(|file| match file.text {
                None => (file.path, Planned::Kept),
                Some(text) => {
                    let body = self.destination.accept(&file.path, text.into_bytes());
                    (file.path, keyed(body, Some(file.key)))
                }
            })
            .collect();
        planned.extend(accepted);
    }
}

/// What a page's parse left: enough to index it without its document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct PageRecord {
    pub(super) path: PathBuf,
    pub(super) file: FileId,
    /// Every file the parse read, with its fingerprint then.
    pub(super) files: Vec<(PathBuf, u64)>,
    pub(super) outline: Arc<Outline>,
    pub(super) diagnostics: Vec<Diagnostic>,
    /// The lookups the last resolution of this document made; `None` until resolved.
    pub(super) facts: Option<Vec<Fact>>,
}

/// What a page's resolved document alone makes: see [`BuildState::made`].
#[derive(Clone)]
struct MadeFromDocument {
    document_print: u64,
    title: String,
    body: RenderedBody,
    digest: PageDigest,
}

impl MadeFromDocument {
    fn make(page: &Page, document: &Document, document_print: u64) -> Self {
        MadeFromDocument {
            document_print,
            title: page.title.clone(),
            body: render::html::render_document(document),
            digest: PageDigest::of(page, document),
        }
    }
}

/// State carried from one build of a book to the next.
pub struct BuildState {
    pub(super) config_key: u64,
    pub(super) sources: Arc<SourceMap>,
    /// The fingerprint of every file a page read, as last read.
    pub(super) files: HashMap<PathBuf, u64>,
    /// Files' stamps, each with the fingerprint its file had when it was taken.
    pub(super) stamps: HashMap<PathBuf, (u64, Stamp)>,
    /// No file this state describes was read before this time.
    pub(super) reads_since: SystemTime,
    /// Files' modification times, for the sitemap; forgotten when a file may change.
    pub(super) times: KnownTimes,
    /// Page records by source path relative to the source folder.
    pub(super) pages: HashMap<String, PageRecord>,
    /// Parsed (unresolved) documents, kept only when [`BuildState::keep_documents`].
    documents: HashMap<String, Document>,
    /// The book's files as the last build listed them.
    discovered: Option<sources::Sources>,
    /// What the output folder holds, by output path.
    pub(super) outputs: BTreeMap<String, OutputRecord>,
    /// The folder `outputs` describes.
    pub(super) output_dir: Option<PathBuf>,
    /// The [site shape](render::site_shape) the frame fingerprints were computed for.
    pub(super) shape: u64,
    /// Each page's frame fingerprint, by output path.
    pub(super) frame_prints: HashMap<String, u64>,
    /// The search index's terms, by the numbers the pages' digests use.
    pub(super) terms: TermTable,
    /// The last index's postings, while documents are kept (`serve`); dropped by a build
    /// that is not written, whose digests the next build does not keep.
    postings: Option<PostingsMemo>,
    /// Each page's body and search digest with the fingerprint of the resolved document
    /// they were made from, by output path, while documents are kept (`serve`). Both
    /// depend on the document alone (and the digest on the title), not on the frame: a
    /// template edit renders every page again, but highlights none of their code again.
    made: HashMap<String, MadeFromDocument>,
    theme: Option<(Theme, u64)>,
    /// Documents stay in memory between builds (`serve`); else pages that must be
    /// rendered again but did not change are parsed again.
    pub keep_documents: bool,
    /// Output files this process wrote or looked at are taken to be as recorded without
    /// a new look, while the output folder is there (`serve`: nobody else writes its
    /// output, and a page edit otherwise looked at every file of the site).
    pub trust_checked_outputs: bool,
    /// A build that replaces the whole output keeps the replaced one to write the next
    /// such build into (`serve`: see [`crate::write::Staging::begin_recycled`]).
    pub recycle_outputs: bool,
    /// The output folder holds loopbook's marker, as the current build found it.
    pub(super) output_marked: bool,
    /// Changes found while loading the state (from the cache file), for the next build.
    pub(super) pending: Option<Changes>,
}

impl Default for BuildState {
    fn default() -> Self {
        BuildState {
            config_key: 0,
            sources: Arc::new(SourceMap::default()),
            files: HashMap::new(),
            stamps: HashMap::new(),
            reads_since: SystemTime::now(),
            times: KnownTimes::new(),
            pages: HashMap::new(),
            documents: HashMap::new(),
            discovered: None,
            outputs: BTreeMap::new(),
            output_dir: None,
            shape: 0,
            frame_prints: HashMap::new(),
            terms: TermTable::default(),
            postings: None,
            made: HashMap::new(),
            theme: None,
            keep_documents: false,
            trust_checked_outputs: false,
            recycle_outputs: false,
            output_marked: false,
            pending: None,
        }
    }
}

impl BuildState {
    /// Every file a page read (or tried to), sorted: what a watcher must watch.
    pub fn dependency_paths(&self) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = self.files.keys().cloned().collect();
        paths.sort();
        paths
    }

    /// Whether the last build was written, so the records describe the output.
    pub fn describes_output(&self) -> bool {
        self.output_dir.is_some() && !self.outputs.is_empty()
    }

    /// The changes noticed when the state was loaded; [`Changes::Unknown`] otherwise.
    pub fn take_pending_changes(&mut self) -> Changes {
        self.pending.take().unwrap_or(Changes::Unknown)
    }

    /// Builds the book, reusing whatever the recorded inputs say is still valid.
    pub fn rebuild(
        &mut self,
        options: &BuildOptions,
        changes: &Changes,
        progress: &dyn Progress,
    ) -> Result<BuildReport, BuildError> {
        let mut plan = self.plan(options, changes, progress, None)?;
        let strict = options.strict || plan.config.build.strict;
        super::finish_diagnostics(&mut plan.diagnostics, &self.sources, strict);

        let output = plan.config.output_dir();
        let has_errors = plan.diagnostics.iter().any(Diagnostic::is_error) || self.theme.is_none();
        let mut report = BuildReport {
            pages: plan.site.pages.len(),
            samples: plan.samples,
            rendered: plan.rendered,
            output,
            diagnostics: plan.diagnostics,
            sources: self.sources.clone(),
            elapsed: plan.started.elapsed(),
            written: false,
            files_written: 0,
            changed: Vec::new(),
        };
        if !has_errors {
            match self.write(&plan.config, plan.outputs, plan.destination) {
                Ok((files_written, changed)) => {
                    report.written = true;
                    report.files_written = files_written;
                    report.changed = changed;
                }
                Err(error) => report.diagnostics.push(super::write_problem(&error)),
            }
        }
        if !self.keep_documents {
            self.documents.clear();
        }
        if !report.written {
            self.postings = None;
        }
        debug!(elapsed = ?plan.started.elapsed(), files_written = report.files_written, "written");
        report.elapsed = plan.started.elapsed();
        Ok(report)
    }

    /// Runs every stage but the write and hands every output file to `sink`: what
    /// `loopbook check` looks at.
    pub(super) fn run_stages(
        &mut self,
        options: &BuildOptions,
        sink: &dyn Sink,
        progress: &dyn Progress,
    ) -> Result<super::Stages, BuildError> {
        let plan = self.plan(options, &Changes::Unknown, progress, Some(sink))?;
        let outputs: Vec<String> = plan.outputs.keys().cloned().collect();
        for (path, planned) in &plan.outputs {
            // Made files went to the sink as they were made; a fresh state keeps none.
            if let Planned::Copy { source, .. } = planned {
                sink.copy(path, source);
            }
        }
        let mut diagnostics = plan.diagnostics;
        diagnostics.extend(self.theme.is_none().then(|| {
            Diagnostic::new(Severity::Error, None, "the theme did not load").with_code("theme")
        }));
        Ok(super::Stages {
            site: plan.site,
            diagnostics,
            sources: self.sources.clone(),
            static_files: plan.static_files,
            theme: self.theme.take().map(|(theme, _)| theme),
            catalog: plan.catalog,
            outputs,
        })
    }

    /// Every stage but the write: which outputs are kept, made anew or copied. Made
    /// files go to `sink` when there is one, else where [`BuildState::destination`]
    /// says.
    fn plan<'s>(
        &mut self,
        options: &BuildOptions,
        changes: &Changes,
        progress: &dyn Progress,
        sink: Option<&'s dyn Sink>,
    ) -> Result<Plan<'s>, BuildError> {
        let started = Instant::now();
        let config = load_config(options)?;
        let config_key = config_fingerprint(&config);
        let mut changes = changes.clone();
        if config_key != self.config_key {
            self.start_over(&config, config_key);
            changes = Changes::Unknown;
        }
        let mut diagnostics = Vec::new();

        let discovered = self.discover(&config, &changes)?;
        self.output_marked = (self.output_dir.as_deref())
            .is_some_and(|output| output.join(crate::write::MARKER).is_file());
        let book_toml = self
            .sources
            .get(FileId(0))
            .map(|file| file.text().clone())
            .unwrap_or_default();
        diagnostics.extend(discovered.missing_static_warnings(&book_toml));
        self.refresh_files(&changes);
        let theme_key = self.refresh_theme(&config, &changes, &mut diagnostics);
        let catalog = self.load_placements(&config, &mut diagnostics);
        debug!(elapsed = ?started.elapsed(), "checked inputs");

        self.parse_changed(&config, &discovered.pages);
        debug!(elapsed = ?started.elapsed(), "parsed changed pages");

        let summary = self.read_summary(&config, discovered.summary.as_deref(), &mut diagnostics);
        let summary_ref = summary.as_ref().map(|(file, text)| (*file, text.as_ref()));
        let inputs = discovered
            .pages
            .iter()
            .filter_map(|page| self.page_input(page))
            .collect();
        let mut site = resolve::index(
            &config,
            inputs,
            summary_ref,
            &self.sources,
            &catalog,
            &mut diagnostics,
        );
        self.refresh_frame_prints(&config, &site);
        debug!(elapsed = ?started.elapsed(), "indexed");

        let base_key = fingerprint::of(&(config_key, theme_key, render::site_fingerprint(&config)));
        let render_list: Vec<usize> = (0..site.pages.len())
            .into_par_iter()
            .filter(|number| {
                let key = self.page_key(base_key, &site, *number);
                !self.can_keep_page(&site.pages[*number], key)
            })
            .collect();
        progress.start(render_list.len());
        self.attach_documents(&config, &mut site, &render_list);
        self.restore_placement_uses(&mut site);
        let destination = match sink {
            Some(sink) => Destination::Sink(sink),
            None => self
                .destination(&config, render_list.len(), site.pages.len())
                .unwrap_or_else(|error| {
                    // Reported now; with an error the build writes nothing anyway.
                    diagnostics.push(super::write_problem(&error));
                    Destination::Memory
                }),
        };
        debug!(elapsed = ?started.elapsed(), rendering = render_list.len(), "planned");

        let mut outputs = self.render_pages(
            &config,
            &mut site,
            &catalog,
            base_key,
            &destination,
            progress,
        );
        let mut producers = Producers::default();
        producers.claim_pages(&site);
        let made = Made {
            config: &config,
            site: &site,
            destination: &destination,
        };
        self.plan_site_files(&made, &mut outputs, &mut producers, &mut diagnostics);
        let samples = self.plan_placement_outputs(
            &made,
            &catalog,
            &mut outputs,
            &mut producers,
            &mut diagnostics,
        );
        self.plan_copies(
            &site,
            &discovered.static_files,
            &mut outputs,
            &mut producers,
        );
        self.plan_publish(
            &made,
            &catalog,
            &mut outputs,
            &mut producers,
            &mut diagnostics,
        );
        debug!(elapsed = ?started.elapsed(), "rendered");

        let names = Names {
            site: &site,
            catalog: &catalog,
            book_toml: &book_toml,
            book_root: &config.root,
        };
        diagnostics.extend(producers.duplicates(&names));

        self.collect_page_diagnostics(&discovered.pages, &outputs, &mut diagnostics);
        Ok(Plan {
            config,
            site,
            catalog,
            outputs,
            destination,
            diagnostics,
            samples,
            rendered: render_list.len(),
            static_files: discovered.static_files,
            started,
        })
    }

    /// A new configuration invalidates everything but the knowledge of what is on disk.
    fn start_over(&mut self, config: &Config, config_key: u64) {
        self.config_key = config_key;
        self.sources = Arc::new(SourceMap::default());
        super::register_config_file(config, &self.sources);
        self.files.clear();
        self.stamps.clear();
        self.times.clear();
        self.pages.clear();
        self.documents.clear();
        self.discovered = None;
        self.theme = None;
    }

    /// The book's pages and static files: as the last build listed them when every
    /// change is an edit of a file already listed (the usual save in `serve`), else
    /// listed again.
    fn discover(
        &mut self,
        config: &Config,
        changes: &Changes,
    ) -> Result<sources::Sources, sources::SourcesError> {
        if let (Changes::Paths(paths), Some(listed)) = (changes, &self.discovered)
            && listed.still_lists(&config.source_dir(), paths.iter())
        {
            return Ok(listed.clone());
        }
        let discovered = sources::discover(config)?;
        self.discovered = Some(discovered.clone());
        Ok(discovered)
    }

    /// Re-fingerprints the recorded files that may have changed; the source map forgets
    /// the ones that did, so the pages that read them read them anew.
    fn refresh_files(&mut self, changes: &Changes) {
        match changes {
            Changes::Unknown => self.times.clear(),
            Changes::Paths(paths) => self.times.retain(|path, _| !paths.contains(path)),
        }
        let suspects: Vec<PathBuf> = self
            .files
            .keys()
            .filter(|path| changes.includes(path))
            .cloned()
            .collect();
        let fresh: Vec<(PathBuf, u64)> = suspects
            .into_par_iter()
            .map(|path| {
                let print = fingerprint::of_file(&path);
                (path, print)
            })
            .collect();
        for (path, print) in fresh {
            if self.files.insert(path.clone(), print) != Some(print) {
                self.sources.forget(&path);
            }
        }
    }

    /// Loads the theme when it is not loaded or one of its files changed; returns its
    /// fingerprint (0 when it failed to load, which fails the build).
    fn refresh_theme(
        &mut self,
        config: &Config,
        changes: &Changes,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> u64 {
        let folder = config.root.join("themes").join(&config.build.theme);
        if self.theme.is_none() || changes.touches_folder(&folder) {
            self.theme = match render::theme::load(config) {
                Ok(theme) => {
                    let key = theme_fingerprint(&theme);
                    Some((theme, key))
                }
                Err(found) => {
                    diagnostics.extend(found);
                    None
                }
            };
        }
        self.theme.as_ref().map_or(0, |(_, key)| *key)
    }

    /// Parses every page that is new or one of whose files changed, and forgets pages
    /// that are gone.
    fn parse_changed(&mut self, config: &Config, pages: &[PageSource]) {
        let present: BTreeSet<&str> = pages.iter().map(|page| page.rel.as_str()).collect();
        self.pages.retain(|rel, _| present.contains(rel.as_str()));
        self.documents
            .retain(|rel, _| present.contains(rel.as_str()));

        let stale: Vec<PageSource> = pages
            .iter()
            .filter(|page| !self.is_current(page))
            .cloned()
            .collect();
        self.parse(config, &stale);
    }

    fn is_current(&self, page: &PageSource) -> bool {
        let Some(record) = self.pages.get(&page.rel) else {
            return false;
        };
        record.path == page.path
            && record
                .files
                .iter()
                .all(|(path, print)| self.files.get(path) == Some(print))
    }

    fn parse(&mut self, config: &Config, pages: &[PageSource]) {
        if pages.is_empty() {
            return;
        }
        for page in pages {
            self.sources.forget(&page.path);
        }
        let parsed = parse::parse_pages(config, pages, &self.sources);
        let sources = &self.sources;
        let described: Vec<_> = parsed
            .into_par_iter()
            .map(|page| {
                let files: Vec<(PathBuf, u64)> = page
                    .dependencies
                    .iter()
                    .map(|path| {
                        let print = sources
                            .lookup(path)
                            .map_or(fingerprint::ABSENT, |(_, text)| {
                                fingerprint::of_bytes(text.as_bytes())
                            });
                        (path.clone(), print)
                    })
                    .collect();
                let outline = Arc::new(Outline::of(&page.document));
                (page, files, outline)
            })
            .collect();
        for (page, files, outline) in described {
            for (path, print) in &files {
                self.files.insert(path.clone(), *print);
            }
            // The same files make the same document, which makes the same lookups.
            let facts = self
                .pages
                .get(&page.source.rel)
                .filter(|old| old.files == files)
                .and_then(|old| old.facts.clone());
            let record = PageRecord {
                path: page.source.path.clone(),
                file: page.file,
                files,
                outline,
                diagnostics: page.diagnostics,
                facts,
            };
            self.pages.insert(page.source.rel.clone(), record);
            self.documents.insert(page.source.rel, page.document);
        }
    }

    fn page_input(&self, page: &PageSource) -> Option<PageInput> {
        let record = self.pages.get(&page.rel)?;
        Some(PageInput {
            source: page.clone(),
            file: record.file,
            outline: record.outline.clone(),
            document: None,
            dependencies: record.files.iter().map(|(path, _)| path.clone()).collect(),
            // The records' diagnostics are reported by the build itself.
            diagnostics: Vec::new(),
        })
    }

    /// `SUMMARY.md`, read every build (its text decides the navigation).
    fn read_summary(
        &self,
        config: &Config,
        path: Option<&Path>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<(FileId, Arc<str>)> {
        let path = path?;
        let display = parse::loader::display_path(path, &config.root);
        match std::fs::read_to_string(path) {
            Ok(text) => {
                if let Some((_, known)) = self.sources.lookup(path)
                    && *known != *text
                {
                    self.sources.forget(path);
                }
                let text: Arc<str> = Arc::from(text);
                Some((self.sources.add(path, display, text.clone()), text))
            }
            Err(error) => {
                diagnostics.push(Diagnostic::new(
                    Severity::Error,
                    None,
                    format!("cannot read {display}: {error}"),
                ));
                None
            }
        }
    }

    /// Fingerprints every page's frame again, unless the site's shape is the one they
    /// were computed for (then every frame is the same as before).
    fn refresh_frame_prints(&mut self, config: &Config, site: &Site) {
        let shape = render::site_shape(site);
        // With nothing on disk to keep, every page is rendered, and rendering records
        // each frame's fingerprint: working them all out first would be wasted.
        if self.outputs.is_empty() {
            self.frame_prints.clear();
            self.shape = shape;
            return;
        }
        let known = shape == self.shape
            && site
                .pages
                .iter()
                .all(|page| self.frame_prints.contains_key(&page.output));
        if known {
            return;
        }
        let node_of_page = site.nav.node_of_page();
        self.frame_prints = (0..site.pages.len())
            .into_par_iter()
            .map(|number| {
                let frame = render::frame(config, site, number, &node_of_page);
                (site.pages[number].output.clone(), fingerprint::of(&frame))
            })
            .collect();
        self.shape = shape;
    }

    /// The fingerprint of everything page `number` is made from; `None` when its last
    /// resolution is unknown, so it must be resolved and rendered.
    fn page_key(&self, base_key: u64, site: &Site, number: usize) -> Option<u64> {
        let page = &site.pages[number];
        let record = self.pages.get(&page.source.rel)?;
        let facts = record.facts.as_ref()?;
        let frame = *self.frame_prints.get(&page.output)?;
        Some(key_from(base_key, record, site, facts, frame))
    }

    /// Whether a page's output and its Markdown copy are both on disk as the build
    /// that recorded them made them, from inputs with this `key`.
    fn can_keep_page(&self, page: &Page, key: Option<u64>) -> bool {
        self.can_keep(&page.output, key)
            && self.can_keep(&llms::markdown_path(page), key)
            && self
                .outputs
                .get(&page.output)
                .is_some_and(|record| record.digest.is_some())
    }

    /// Gives the pages to render their documents: kept in memory, or parsed again. A
    /// state that keeps documents parses every missing one now, so that later rebuilds
    /// (a template change renders every page) find them all in memory.
    fn attach_documents(&mut self, config: &Config, site: &mut Site, render_list: &[usize]) {
        let wanted: Vec<usize> = if self.keep_documents {
            (0..site.pages.len()).collect()
        } else {
            render_list.to_vec()
        };
        let missing: Vec<PageSource> = wanted
            .iter()
            .map(|number| &site.pages[*number].source)
            .filter(|source| !self.documents.contains_key(&source.rel))
            .cloned()
            .collect();
        self.parse(config, &missing);
        for number in render_list {
            let page = &mut site.pages[*number];
            page.document = if self.keep_documents {
                self.documents.get(&page.source.rel).cloned()
            } else {
                self.documents.remove(&page.source.rel)
            };
        }
    }

    /// Resolves and renders the pages that carry a document; plans every page's output.
    fn render_pages(
        &mut self,
        config: &Config,
        site: &mut Site,
        catalog: &Catalog,
        base_key: u64,
        destination: &Destination<'_>,
        progress: &dyn Progress,
    ) -> BTreeMap<String, Planned> {
        let resolutions = resolve::resolve_documents(config, site, &self.sources, catalog);
        for (number, resolution) in &resolutions {
            let rel = &site.pages[*number].source.rel;
            if let Some(record) = self.pages.get_mut(rel) {
                record.facts = Some(resolution.facts.clone());
            }
        }
        // Once rendered, a resolved document is needed only by `check`, which looks at
        // the site's links: otherwise each is dropped as soon as its page is made.
        let keep_resolved = matches!(destination, Destination::Sink(_));
        let resolved: Vec<(usize, Resolution, Option<Document>)> = resolutions
            .into_iter()
            .map(|(number, resolution)| {
                let page = &mut site.pages[number];
                let document = if keep_resolved {
                    None
                } else {
                    page.document.take()
                };
                (number, resolution, document)
            })
            .collect();

        let mut planned: BTreeMap<String, Planned> = site
            .pages
            .iter()
            .enumerate()
            .filter(|(number, _)| !resolved.iter().any(|(n, ..)| n == number))
            .flat_map(|(_, page)| [page.output.clone(), llms::markdown_path(page)])
            .map(|path| (path, Planned::Kept))
            .collect();
        let theme = self.theme.as_ref().map(|(theme, _)| theme);
        let state = &*self;
        let site = &*site;
        let node_of_page = site.nav.node_of_page();
        let copies = llms::MarkdownCopies::new(site);
        let rendered: Vec<RenderedPage> = resolved
            .into_par_iter()
            .map(|(number, resolution, taken)| {
                let page = &site.pages[number];
                let frame = render::frame(config, site, number, &node_of_page);
                let frame_print = fingerprint::of(&frame);
                let record = state.pages.get(&page.source.rel);
                let key = record
                    .map(|record| key_from(base_key, record, site, &resolution.facts, frame_print));
                let mut diagnostics = resolution.diagnostics;
                let mut contents = Vec::new();
                let mut markdown = (llms::markdown_path(page), String::new());
                let mut digest = PageDigest::default();
                let mut remembered = None;
                if let Some(document) = taken.as_ref().or(page.document.as_ref()) {
                    let made = state.made_from_document(page, document);
                    remembered = state.keep_documents.then(|| made.clone());
                    if let Some(theme) = theme {
                        let (bytes, found) = render::frame_body(config, &frame, made.body, theme);
                        diagnostics.extend(found);
                        contents = bytes.unwrap_or_default();
                    }
                    markdown = copies.copy(page, document);
                    digest = made.digest;
                }
                drop(taken);
                progress.page_done();
                let html = Planned::Fresh {
                    body: destination.accept(&page.output, contents),
                    key,
                    diagnostics,
                    assets: resolution.assets,
                    placements: resolution.placements,
                    digest: Some(Box::new(digest)),
                };
                let (markdown_path, markdown_text) = markdown;
                let copy = keyed(
                    destination.accept(&markdown_path, markdown_text.into_bytes()),
                    key,
                );
                let print = (page.output.clone(), frame_print);
                (
                    [(page.output.clone(), html), (markdown_path, copy)],
                    print,
                    remembered,
                )
            })
            .collect();
        for (files, (output, print), remembered) in rendered {
            planned.extend(files);
            if let Some(made) = remembered {
                self.made.insert(output.clone(), made);
            }
            self.frame_prints.insert(output, print);
        }
        if self.made.len() > site.pages.len() {
            let outputs: HashSet<&str> =
                site.pages.iter().map(|page| page.output.as_str()).collect();
            self.made
                .retain(|output, _| outputs.contains(output.as_str()));
        }
        planned
    }

    /// A page's body and search digest: as made before when its resolved document and
    /// title are the same (only while documents are kept), else made now.
    fn made_from_document(&self, page: &Page, document: &Document) -> MadeFromDocument {
        if !self.keep_documents {
            return MadeFromDocument::make(page, document, 0);
        }
        let document_print = fingerprint::of(document);
        match self.made.get(&page.output) {
            Some(made) if made.document_print == document_print && made.title == page.title => {
                made.clone()
            }
            _ => MadeFromDocument::make(page, document, document_print),
        }
    }

    /// The theme's own files, made again every build (they are cheap, and rewritten
    /// only when their bytes change).
    fn plan_site_files(
        &self,
        made: &Made<'_>,
        planned: &mut BTreeMap<String, Planned>,
        producers: &mut Producers,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let Some((theme, _)) = &self.theme else {
            return;
        };
        let (files, found) = render::site_files(made.config, made.site, theme);
        diagnostics.extend(found);
        made.add_all(files, Producer::of_site_file, planned, producers);
    }

    /// The placement definitions, read every build (they are few); the source map
    /// forgets their previous text first, so problems show the text as it is now.
    fn load_placements(&self, config: &Config, diagnostics: &mut Vec<Diagnostic>) -> Catalog {
        let folder = config.root.join(&config.placements.dir);
        for entry in walkdir::WalkDir::new(&folder).into_iter().flatten() {
            self.sources.forget(entry.path());
        }
        placements::load(config, &self.sources, diagnostics)
    }

    /// Kept pages were not resolved this build: what they show comes from their record.
    fn restore_placement_uses(&self, site: &mut Site) {
        for page in &mut site.pages {
            if page.document.is_none()
                && let Some(record) = self.outputs.get(&page.output)
            {
                page.placements = record.placements.clone();
            }
        }
    }

    /// Samples and the invite page, made again every build from the catalog and the
    /// site; returns the number of sample pages.
    fn plan_placement_outputs(
        &self,
        made: &Made<'_>,
        catalog: &Catalog,
        planned: &mut BTreeMap<String, Planned>,
        producers: &mut Producers,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> usize {
        let Some((theme, _)) = &self.theme else {
            return 0;
        };
        let sample_files = render::Collect::default();
        let (found, samples) = placements::pages::render_samples(
            made.config,
            made.site,
            catalog,
            theme,
            &sample_files,
        );
        diagnostics.extend(found);
        let samples_made = collected(sample_files);
        made.add_all(samples_made, Producer::of_sample_file, planned, producers);

        let invite_files = render::Collect::default();
        if let Err(found) =
            placements::pages::render_invite(made.config, catalog, theme, &invite_files)
        {
            diagnostics.push(found);
        }
        let of_invite = |_: &str| Producer::InvitePage;
        made.add_all(collected(invite_files), of_invite, planned, producers);
        samples
    }

    /// The search index, sitemap, redirects, `llms.txt` and the GitHub Pages files, made
    /// again every build from every page's digest: this build's for the pages it
    /// rendered, the recorded one for the pages it keeps.
    fn plan_publish(
        &mut self,
        made: &Made<'_>,
        catalog: &Catalog,
        planned: &mut BTreeMap<String, Planned>,
        producers: &mut Producers,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        // This build's digests get their terms numbered first.
        let mut in_use = Vec::new();
        for planned in planned.values_mut() {
            if let Planned::Fresh {
                digest: Some(digest),
                ..
            } = planned
            {
                digest.terms.number(&mut self.terms);
                in_use.push(&mut digest.terms);
            }
        }
        let recorded = self
            .outputs
            .values_mut()
            .filter_map(|record| record.digest.as_mut());
        in_use.extend(recorded.map(|digest| &mut digest.terms));
        self.terms.compact(in_use);
        self.learn_times(made.site);

        let empty = PageDigest::default();
        let indexed: Vec<(&PageDigest, bool)> = made
            .site
            .pages
            .iter()
            .map(|page| {
                if let Some(Planned::Fresh {
                    digest: Some(digest),
                    ..
                }) = planned.get(&page.output)
                {
                    return (&**digest, true);
                }
                // A kept page has a digest (see `can_keep_page`).
                let recorded = self
                    .outputs
                    .get(&page.output)
                    .and_then(|r| r.digest.as_deref());
                (recorded.unwrap_or(&empty), false)
            })
            .collect();
        let digests: Vec<&PageDigest> = indexed.iter().map(|(digest, _)| *digest).collect();
        let taken = publish::taken_paths(planned.keys().map(String::as_str));
        let mut memo = self
            .keep_documents
            .then(|| self.postings.take().unwrap_or_default());
        // Kept as pages are: in place, or hard-linked into a staging folder.
        let is_current = |path: &str, key: u64| self.can_keep(path, Some(key));
        // Side by side: the index is most of this stage, the rest a few milliseconds
        // that a page edit in `serve` waits for too.
        let ((files, found), index) = rayon::join(
            || {
                let (sources, times) = (&self.sources, &self.times);
                let site = made.site;
                publish::publish(made.config, site, &digests, &taken, catalog, sources, times)
            },
            || {
                let terms = &self.terms;
                publish::search_index(made.site, &indexed, terms, memo.as_mut(), &is_current)
            },
        );
        self.postings = memo;
        diagnostics.extend(found);
        let fixed = publish::taken_paths(std::iter::empty());
        let of_publish = |path: &str| Producer::of_publish_file(path, &fixed);
        made.add_index(index, &of_publish, planned, producers);
        made.add_all(files, of_publish, planned, producers);
    }

    /// Looks up the modification times of the pages' files not known yet.
    fn learn_times(&mut self, site: &Site) {
        let unknown: BTreeSet<&PathBuf> = site
            .pages
            .iter()
            .flat_map(|page| &page.dependencies)
            .filter(|path| !self.times.contains_key(*path))
            .collect();
        let learned: Vec<(PathBuf, Option<SystemTime>)> = unknown
            .into_par_iter()
            .map(|path| (path.clone(), sitemap::modification_time(path)))
            .collect();
        self.times.extend(learned);
    }

    /// Every page's problems: the parser's from its record, the resolver's and the
    /// renderer's from this build or, for a kept page, from the build that made it.
    fn collect_page_diagnostics(
        &self,
        pages: &[PageSource],
        planned: &BTreeMap<String, Planned>,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        for page in pages {
            if let Some(record) = self.pages.get(&page.rel) {
                diagnostics.extend(record.diagnostics.iter().cloned());
            }
        }
        for (path, output) in planned {
            match output {
                Planned::Fresh {
                    diagnostics: found, ..
                } => diagnostics.extend(found.iter().cloned()),
                Planned::Kept => {
                    if let Some(record) = self.outputs.get(path) {
                        diagnostics.extend(record.diagnostics.iter().cloned());
                    }
                }
                Planned::Copy { .. } => {}
            }
        }
    }

    /// Static files and the images pages use, copied unless the copy on disk is current.
    fn plan_copies(
        &self,
        site: &Site,
        static_files: &[StaticFile],
        planned: &mut BTreeMap<String, Planned>,
        producers: &mut Producers,
    ) {
        let mut copies: BTreeSet<StaticFile> = BTreeSet::new();
        for file in static_files {
            if producers.claim(&file.rel, Producer::Static(file.path.clone())) {
                copies.insert(file.clone());
            }
        }
        let page_of_output: HashMap<&str, usize> = site
            .pages
            .iter()
            .enumerate()
            .map(|(number, page)| (page.output.as_str(), number))
            .collect();
        for (path, output) in planned.iter() {
            let images = match output {
                Planned::Fresh { assets, .. } => assets.as_slice(),
                Planned::Kept => self
                    .outputs
                    .get(path)
                    .map_or(&[][..], |record| record.assets.as_slice()),
                Planned::Copy { .. } => &[],
            };
            let page = page_of_output.get(path.as_str()).copied();
            for image in images {
                let source = image.path.clone();
                if producers.claim(&image.rel, Producer::Image { source, page }) {
                    copies.insert(image.clone());
                }
            }
        }
        for copy in copies {
            let key = copy_fingerprint(&copy.path);
            let plan = if self.can_keep(&copy.rel, Some(key)) {
                Planned::Kept
            } else {
                Planned::Copy {
                    source: copy.path,
                    key,
                }
            };
            planned.insert(copy.rel, plan);
        }
    }
}

/// The files a [`render::Collect`] took.
fn collected(collect: render::Collect) -> Vec<render::OutputFile> {
    collect
        .0
        .into_inner()
        .unwrap_or_else(|poison| poison.into_inner())
}

/// Combines the fingerprints of a page's inputs into its key.
fn key_from(base_key: u64, record: &PageRecord, site: &Site, facts: &[Fact], frame: u64) -> u64 {
    let mut hasher = Fingerprinter::default();
    base_key.hash(&mut hasher);
    record.files.hash(&mut hasher);
    for fact in facts {
        fact.hash(&mut hasher);
        site.fact_value(fact).hash(&mut hasher);
    }
    frame.hash(&mut hasher);
    hasher.finish()
}

/// The configuration as the pages see it: the text of `book.toml`, the command line's
/// overrides, the book's place and the loopbook that builds it.
pub(super) fn config_fingerprint(config: &Config) -> u64 {
    let text = std::fs::read(config.root.join(config::CONFIG_FILE)).unwrap_or_default();
    fingerprint::of(&(
        text,
        &config.root,
        &config.build.build_dir,
        &config.build.base_url,
        env!("CARGO_PKG_VERSION"),
        executable_fingerprint(),
    ))
}

/// The running binary's size and time: a loopbook built anew from changed sources may
/// render differently under the same version number.
fn executable_fingerprint() -> Option<(u64, u64)> {
    let metadata = std::env::current_exe().ok()?.metadata().ok()?;
    Some((metadata.len(), modified_nanos(&metadata)))
}

fn theme_fingerprint(theme: &Theme) -> u64 {
    let mut hasher = Fingerprinter::default();
    for (name, bytes) in &theme.assets {
        (name, bytes.as_ref()).hash(&mut hasher);
    }
    theme.fingerprint.hash(&mut hasher);
    hasher.finish()
}
