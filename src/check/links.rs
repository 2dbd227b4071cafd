//! Following every internal URL of the rendered site, and finding where a broken one
//! was written.
//!
//! Steps: scan every HTML file of the output as it is rendered; for each URL that stays
//! inside the site (relative, root-relative under `base-url`, or absolute under an
//! absolute `base-url`) find the file it names, and the anchor its fragment names in
//! that file; for each that is missing, find the origin: the page's model first (links
//! and images carry their source location), then the literal text of the page's
//! source files (raw HTML passes through unchanged), then the theme's templates, where
//! the page's frame comes from; redirect pages point at their `[redirects]` line.
//! Problems in the frame repeat on every page, so they are reported once with a count.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::scan::{self, FoundUrl, Scanned};
use crate::build::Stages;
use crate::config::{self, Config};
use crate::diagnostics::Diagnostic;
use crate::doc::{Block, FileId, Inline, LinkDestination, Location, visit_blocks, visit_inlines};
use crate::publish::{self, redirects};
use crate::render::{SEARCH_PAGE, Sink};
use crate::resolve::{Page, urls};

/// Codes of problems the resolve stage already reports at the line they are written
/// on; the same URL found again in the HTML is not reported twice.
const REPORTED_BEFORE: &[&str] = &["missing-image", "link-not-a-page"];

/// Where `check` renders the site: each HTML file is scanned as it arrives and only
/// what the scan found is kept, with the paths of all other files, so even a large
/// site never sits in memory whole.
#[derive(Default)]
pub(super) struct ScannedSite {
    paths: Mutex<HashSet<String>>,
    html: Mutex<Vec<(String, Scanned)>>,
}

impl Sink for ScannedSite {
    fn put(&self, path: &str, contents: &[u8]) {
        if path.ends_with(".html") {
            let found = scan::scan(&String::from_utf8_lossy(contents));
            lock(&self.html).push((path.to_string(), found));
        }
        lock(&self.paths).insert(path.to_string());
    }

    /// Copied files are read only when they are HTML, whose links are checked too.
    fn copy(&self, path: &str, source: &Path) {
        if path.ends_with(".html")
            && let Ok(bytes) = std::fs::read(source)
        {
            self.put(path, &bytes);
        }
        lock(&self.paths).insert(path.to_string());
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// Checks every internal URL of the rendered site; adds the problems to `diagnostics`
/// and returns how many URLs were followed.
pub(super) fn check_links(
    config: &Config,
    stages: &Stages,
    rendered: ScannedSite,
    diagnostics: &mut Vec<Diagnostic>,
) -> usize {
    let paths = rendered
        .paths
        .into_inner()
        .unwrap_or_else(|poison| poison.into_inner());
    let mut scanned = rendered
        .html
        .into_inner()
        .unwrap_or_else(|poison| poison.into_inner());
    // Pages arrive in the order the render threads finish them.
    scanned.sort_by(|a, b| a.0.cmp(&b.0));
    let ids: HashMap<&str, &HashSet<String>> = scanned
        .iter()
        .map(|(path, found)| (path.as_str(), &found.ids))
        .collect();
    let site = SiteFiles {
        paths: &paths,
        ids: &ids,
    };

    let mut report = LinkReport {
        config,
        site: &site,
        origins: Origins::new(config, stages),
        reported_before: reported_before(diagnostics),
        found: Vec::new(),
        in_frame: BTreeMap::new(),
        followed: 0,
    };
    for (file, found) in &scanned {
        report.check_file(file, found);
    }
    let followed = report.followed;
    diagnostics.extend(report.into_diagnostics());
    followed
}

/// Lines where the resolve stage has already reported a link or image.
fn reported_before(diagnostics: &[Diagnostic]) -> HashSet<(FileId, u32)> {
    diagnostics
        .iter()
        .filter(|diagnostic| {
            diagnostic
                .code
                .as_deref()
                .is_some_and(|code| REPORTED_BEFORE.contains(&code))
        })
        .filter_map(|diagnostic| diagnostic.location.map(|l| (l.file, l.line)))
        .collect()
}

/// The problems found so far, those of the theme's frame gathered by template line.
struct LinkReport<'a> {
    config: &'a Config,
    site: &'a SiteFiles<'a>,
    origins: Origins<'a>,
    reported_before: HashSet<(FileId, u32)>,
    found: Vec<Diagnostic>,
    in_frame: BTreeMap<(Location, String), FrameProblem>,
    followed: usize,
}

impl LinkReport<'_> {
    fn check_file(&mut self, file: &str, scanned: &Scanned) {
        // The n-th broken use of a URL in a file goes with the n-th place it is written.
        let mut occurrences: HashMap<&str, usize> = HashMap::new();
        for link in &scanned.links {
            let Some(target) = internal_target(self.config, file, &link.url) else {
                continue;
            };
            self.followed += 1;
            let Some(problem) = self.site.problem(&target, link) else {
                continue;
            };
            let seen = occurrences.entry(link.url.as_str()).or_insert(0);
            let origin = self.origins.find(file, &link.url, *seen);
            *seen += 1;
            self.record(problem, origin, file, &link.url);
        }
    }

    fn record(&mut self, problem: Problem, origin: Origin, file: &str, url: &str) {
        match origin {
            Origin::Written(location) => {
                if !self
                    .reported_before
                    .contains(&(location.file, location.line))
                {
                    self.found.push(problem.diagnostic(Some(location), url));
                }
            }
            Origin::Redirect(location) => self.found.push(problem.diagnostic(location, url)),
            Origin::Frame(location) => {
                let key = (location, problem.describe_target());
                let entry = self.in_frame.entry(key).or_insert_with(|| FrameProblem {
                    problem,
                    first_file: file.to_string(),
                    files: 0,
                });
                entry.files += 1;
            }
        }
    }

    fn into_diagnostics(self) -> Vec<Diagnostic> {
        let frame = self
            .in_frame
            .into_iter()
            .map(|((location, _), problem)| problem.diagnostic(location));
        self.found.into_iter().chain(frame).collect()
    }
}

/// A URL's target inside the site: an output path and a fragment.
struct Target {
    path: String,
    fragment: Option<String>,
}

/// Where a URL used in output file `from` leads, if it stays inside the site.
fn internal_target(config: &Config, from: &str, url: &str) -> Option<Target> {
    let (without_fragment, fragment) = match url.split_once('#') {
        Some((before, fragment)) => (before, Some(percent_decode(fragment))),
        None => (url, None),
    };
    let path = without_fragment
        .split_once('?')
        .map_or(without_fragment, |(path, _)| path);

    let site_path = if path.is_empty() {
        // `#fragment` or `?query` alone: this same file.
        from.to_string()
    } else if let Some(rest) = under_base(config, path) {
        rest
    } else if has_scheme(path) || path.starts_with('/') {
        return None;
    } else {
        urls::resolve_relative(from, &percent_decode(path))?
    };
    Some(Target {
        path: site_path,
        fragment: fragment.filter(|fragment| !fragment.is_empty()),
    })
}

/// The site path of an absolute or root-relative URL under the base URL.
fn under_base(config: &Config, path: &str) -> Option<String> {
    let rest = if config.has_absolute_base_url() && has_scheme(path) {
        path.strip_prefix(config.base_url().as_str())
            .or_else(|| (format!("{path}/") == config.base_url()).then_some(""))?
    } else if path.starts_with('/') && !path.starts_with("//") {
        let base = config.base_path();
        path.strip_prefix(base.as_str())
            .or_else(|| (format!("{path}/") == base).then_some(""))?
    } else {
        return None;
    };
    let rest = percent_decode(rest);
    Some(if rest.is_empty() || rest.ends_with('/') {
        format!("{rest}index.html")
    } else {
        rest
    })
}

fn has_scheme(url: &str) -> bool {
    url.starts_with("//")
        || url.split_once(':').is_some_and(|(scheme, _)| {
            scheme
                .chars()
                .next()
                .is_some_and(|first| first.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        })
}

fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[index], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                index += 3;
            }
            (byte, _) => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The files of the output and the anchors of its HTML files.
struct SiteFiles<'a> {
    paths: &'a HashSet<String>,
    ids: &'a HashMap<&'a str, &'a HashSet<String>>,
}

impl SiteFiles<'_> {
    /// What is wrong with a target, if anything.
    fn problem(&self, target: &Target, link: &FoundUrl) -> Option<Problem> {
        let folder_index = format!("{}/index.html", target.path.trim_end_matches('/'));
        let file = if self.paths.contains(&target.path) {
            target.path.clone()
        } else if self.paths.contains(&folder_index) {
            // A link to a folder: servers answer it with the folder's index.
            folder_index
        } else {
            let kind = if link.resource {
                Missing::File
            } else {
                Missing::Page
            };
            return Some(Problem {
                kind,
                path: target.path.clone(),
                fragment: None,
                nearest: None,
            });
        };
        let fragment = target.fragment.as_deref()?;
        let ids = self.ids.get(file.as_str())?;
        // `#top` scrolls to the top of any page.
        if ids.contains(fragment) || fragment == "top" {
            return None;
        }
        let known: Vec<&str> = ids.iter().map(String::as_str).collect();
        Some(Problem {
            kind: Missing::Anchor,
            path: file,
            fragment: Some(fragment.to_string()),
            nearest: config::nearest(fragment, &known).map(str::to_string),
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
/// What a URL leads to that the site does not have.
enum Missing {
    Page,
    File,
    Anchor,
}

#[derive(Clone)]
struct Problem {
    kind: Missing,
    /// The output path the URL leads to.
    path: String,
    fragment: Option<String>,
    /// The closest anchor that exists, for a missing one.
    nearest: Option<String>,
}

impl Problem {
    fn code(&self) -> &'static str {
        match self.kind {
            Missing::Page => "broken-link",
            Missing::File => "missing-file",
            Missing::Anchor => "broken-anchor",
        }
    }

    fn describe_target(&self) -> String {
        match &self.fragment {
            Some(fragment) => format!("{}#{fragment}", self.path),
            None => self.path.clone(),
        }
    }

    fn diagnostic(&self, location: Option<Location>, url: &str) -> Diagnostic {
        let (message, hint) = match self.kind {
            Missing::Page => (
                format!("broken link `{url}`"),
                format!(
                    "it leads to `{}`, which the site does not have; link to a page by \
                     its source file (`setup.md`) to have the path made for you",
                    self.path
                ),
            ),
            Missing::File => (
                format!("missing file `{url}`"),
                format!(
                    "the page loads `{}`, which the site does not have; keep files under \
                     the source folder or in a `[build] static` folder",
                    self.path
                ),
            ),
            Missing::Anchor => (
                format!(
                    "broken link `{url}`: `{}` has no anchor `{}`",
                    self.path,
                    self.fragment.as_deref().unwrap_or_default()
                ),
                self.anchor_hint(),
            ),
        };
        Diagnostic::new(crate::diagnostics::Severity::Warning, location, message)
            .with_code(self.code())
            .with_hint(hint)
    }

    fn anchor_hint(&self) -> String {
        match &self.nearest {
            Some(nearest) => format!("did you mean `#{nearest}`?"),
            None => "anchors are the ids of the page's headings and labels".to_string(),
        }
    }
}

/// A problem in what the theme's templates wrote, counted over the files it is in.
struct FrameProblem {
    problem: Problem,
    first_file: String,
    files: usize,
}

impl FrameProblem {
    fn diagnostic(&self, location: Location) -> Diagnostic {
        let what = match self.problem.kind {
            Missing::Anchor => "an anchor that",
            Missing::Page | Missing::File => "a file that",
        };
        let pages = if self.files == 1 {
            format!("in `{}`", self.first_file)
        } else {
            format!("in {} files, the first `{}`", self.files, self.first_file)
        };
        Diagnostic::warning(
            location,
            format!(
                "the theme links to `{}`, {what} the site does not have",
                self.problem.describe_target()
            ),
        )
        .with_code(self.problem.code())
        .with_hint(format!(
            "found {pages}; theme links start from `{{{{ root }}}}` and lead to files the \
             build writes"
        ))
    }
}

/// Where a URL in the output was written.
enum Origin {
    /// In a source file (a page, a file it includes, a copied HTML file).
    Written(Location),
    /// In a template of the theme.
    Frame(Location),
    /// A `[redirects]` entry of `book.toml`.
    Redirect(Option<Location>),
}

/// Finds where URLs of the output were written.
struct Origins<'a> {
    stages: &'a Stages,
    pages_by_output: HashMap<&'a str, &'a Page>,
    redirects: HashMap<String, Option<Location>>,
    /// Static HTML files copied as they are: output path, source id and text.
    copied: HashMap<&'a str, (FileId, Arc<str>)>,
    /// Templates as source files: name, id and text.
    templates: Vec<(String, FileId, String)>,
    base_url: String,
    base_path: String,
}

impl<'a> Origins<'a> {
    fn new(config: &'a Config, stages: &'a Stages) -> Self {
        let site = &stages.site;
        let sources = &stages.sources;
        let pages_by_output = site
            .pages
            .iter()
            .map(|page| (page.output.as_str(), page))
            .collect();

        let book_toml = sources
            .get(FileId(0))
            .map(|file| file.text().to_string())
            .unwrap_or_default();
        let taken = publish::taken_paths(stages.outputs.iter().map(String::as_str));
        let (planned, _) = redirects::plan(config, site, &taken, &book_toml);
        let redirects = planned
            .into_iter()
            .map(|redirect| (redirect.from, redirect.location))
            .collect();

        let copied = stages
            .static_files
            .iter()
            .filter(|file| file.rel.ends_with(".html"))
            .filter_map(|file| {
                let text = std::fs::read_to_string(&file.path).ok()?;
                let display = crate::parse::loader::display_path(&file.path, &config.root);
                let id = sources.add(&file.path, display, Arc::from(text.as_str()));
                Some((file.rel.as_str(), (id, Arc::from(text))))
            })
            .collect();

        let templates = stages.theme.as_ref().map_or_else(Vec::new, |theme| {
            theme
                .template_sources
                .iter()
                .map(|(name, source)| {
                    let display = source.display_path(name, &config.root);
                    let key = source
                        .path
                        .clone()
                        .unwrap_or_else(|| display.clone().into());
                    let id = sources.add(&key, display, Arc::from(source.text.as_str()));
                    (name.clone(), id, source.text.clone())
                })
                .collect()
        });

        Origins {
            stages,
            pages_by_output,
            redirects,
            copied,
            templates,
            base_url: config.base_url(),
            base_path: config.base_path(),
        }
    }

    /// Where the `occurrence`-th (from 0) use of `url` in output file `file` was
    /// written.
    fn find(&self, file: &str, url: &str, occurrence: usize) -> Origin {
        if let Some(location) = self.redirects.get(file) {
            return Origin::Redirect(*location);
        }
        if let Some((id, text)) = self.copied.get(file)
            && let Some(location) = occurrences(*id, text, url).into_iter().nth(occurrence)
        {
            return Origin::Written(location);
        }
        if let Some(page) = self.pages_by_output.get(file) {
            let mut candidates = model_locations(page, url);
            for location in self.text_locations(page, url) {
                if !candidates.contains(&location) {
                    candidates.push(location);
                }
            }
            let chosen = candidates
                .get(occurrence)
                .or_else(|| candidates.last())
                .copied();
            if let Some(location) = chosen {
                return Origin::Written(location);
            }
        }
        Origin::Frame(self.template_location(file, url))
    }

    /// Every place `url` is written, literally, in the files the page was made from.
    fn text_locations(&self, page: &Page, url: &str) -> Vec<Location> {
        page.dependencies
            .iter()
            .filter_map(|path| self.stages.sources.lookup(path))
            .flat_map(|(id, text)| occurrences(id, &text, url))
            .collect()
    }

    /// The template line that wrote `url` into `file`: the template text that holds
    /// the URL without its `root` prefix, looked for in the file's own template first.
    fn template_location(&self, file: &str, url: &str) -> Location {
        let own = if self.pages_by_output.contains_key(file) {
            "page.html"
        } else if file == SEARCH_PAGE {
            "search.html"
        } else {
            file
        };
        let mut written = url;
        for prefix in [self.base_url.as_str(), self.base_path.as_str()] {
            if let Some(rest) = written.strip_prefix(prefix) {
                written = rest;
            }
        }
        while let Some(rest) = written
            .strip_prefix("../")
            .or_else(|| written.strip_prefix("./"))
        {
            written = rest;
        }
        let in_order = self
            .templates
            .iter()
            .filter(|(name, ..)| name == own)
            .chain(self.templates.iter().filter(|(name, ..)| name != own));
        for (_, id, text) in in_order {
            if !written.is_empty()
                && let Some(location) = occurrences(*id, text, written).into_iter().next()
            {
                return location;
            }
        }
        let fallback = self
            .templates
            .iter()
            .find(|(name, ..)| name == own)
            .map_or(FileId(0), |(_, id, _)| *id);
        Location::new(fallback, 1, 1)
    }
}

/// The locations the page's model gives for links and images with exactly this URL,
/// in document order.
fn model_locations(page: &Page, url: &str) -> Vec<Location> {
    let mut found = Vec::new();
    let Some(document) = &page.document else {
        return found;
    };
    visit_inlines(&document.blocks, &mut |inline| match inline {
        Inline::Link(link) => {
            if let Some(location) = link.location
                && destination_text(&link.destination) == url
            {
                found.push(location);
            }
        }
        Inline::Image(image) if image.src == url => found.push(image.location),
        _ => {}
    });
    visit_blocks(&document.blocks, &mut |block| match block {
        Block::Image(image) if image.src == url => found.push(image.location),
        Block::Figure(figure) if figure.image.src == url => found.push(figure.image.location),
        _ => {}
    });
    found
}

/// A link destination as the renderer writes it into `href`.
fn destination_text(destination: &LinkDestination) -> String {
    match destination {
        LinkDestination::Url(url) => url.clone(),
        LinkDestination::Fragment(fragment) => format!("#{fragment}"),
        LinkDestination::Source { path, fragment, .. } => match fragment {
            Some(fragment) => format!("{path}#{fragment}"),
            None => path.clone(),
        },
    }
}

/// Every place `needle` occurs in `text`, as locations in file `file`.
fn occurrences(file: FileId, text: &str, needle: &str) -> Vec<Location> {
    if needle.is_empty() {
        return Vec::new();
    }
    text.match_indices(needle)
        .map(|(offset, _)| {
            let (line, column) = config::line_column(text, offset);
            Location::new(file, line, column)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::SourceMap;
    use std::path::Path;

    fn config_with(base: &str) -> Config {
        let text = format!("[build]\nbase-url = \"{base}\"\n");
        config::parse(Path::new("/b"), Path::new("/b/book.toml"), text).unwrap()
    }

    fn target(config: &Config, from: &str, url: &str) -> Option<(String, Option<String>)> {
        internal_target(config, from, url).map(|target| (target.path, target.fragment))
    }

    #[test]
    fn internal_urls_resolve_to_output_paths_in_every_base_url_style() {
        let relative = config_with("/docs/");
        assert_eq!(
            target(&relative, "guide/a.html", "../img/x%20y.png"),
            Some(("img/x y.png".into(), None))
        );
        assert_eq!(
            target(&relative, "guide/a.html", "#step-2"),
            Some(("guide/a.html".into(), Some("step-2".into())))
        );
        assert_eq!(
            target(&relative, "404.html", "/docs/theme/a.css"),
            Some(("theme/a.css".into(), None))
        );
        assert_eq!(target(&relative, "404.html", "/elsewhere/a.html"), None);
        assert_eq!(target(&relative, "a.html", "mailto:x@example.com"), None);
        assert_eq!(target(&relative, "a.html", "https://example.com/"), None);

        let absolute = config_with("https://docs.example.com/docs/");
        assert_eq!(
            target(&absolute, "a.html", "https://docs.example.com/docs/guide/"),
            Some(("guide/index.html".into(), None))
        );
        assert_eq!(
            target(&absolute, "a.html", "https://docs.example.com/docs"),
            Some(("index.html".into(), None))
        );
        assert_eq!(
            target(&absolute, "a.html", "https://other.example.com/docs/"),
            None
        );
    }

    #[test]
    fn literal_occurrences_give_line_and_column() {
        let sources = SourceMap::default();
        let text = "one\n<a href=\"x.html\">\n  and x.html\n";
        let id = sources.add(Path::new("/t/a.md"), "a.md".into(), Arc::from(text));
        let found = occurrences(id, text, "x.html");
        let positions: Vec<(u32, u32)> = found.iter().map(|l| (l.line, l.column)).collect();
        assert_eq!(positions, [(2, 10), (3, 7)]);
    }
}
