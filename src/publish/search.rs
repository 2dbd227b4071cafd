//! The client-side search index, written at build time from the document model.
//!
//! Steps, per page when it is rendered ([`page_index`]): split it into sections at its
//! headings (what comes before the first section heading is the page's top, found under
//! the page title); cut each section's title, heading, prose and code into terms and
//! weigh them (title and headings high, code low). Then for the whole site
//! ([`build_index`]): gather every term's postings in section order; cut the terms into
//! shards by prefix, so a query loads only the shards of its own words; cut the
//! sections' snippets into small chunks, so only the results shown are loaded; write a
//! manifest naming both. Each file is keyed by a fingerprint of what it is made from,
//! so a build that updates the output in place makes only the files whose key changed.
//! Terms are kept as numbers in a [`TermTable`] that lives from build to build, so a
//! page an incremental build keeps brings its postings along as numbers and only the
//! pages that changed are cut into terms again.
//!
//! The files, under `search/`, are scripts that call `loopbookSearch.receive(kind, id,
//! data)`: they load through `<script>` elements, which browsers allow from `file://`
//! where `fetch` is refused. `theme/search.js` reads them; the two must agree on
//! everything below.
//!
//! - `manifest.js`: the format version, a hash of the index (appended to every other
//!   file's URL so a cached old shard is never mixed with a new manifest), the shard
//!   prefixes in file order, sections per chunk, the term length limits and the stop
//!   words;
//! - `t/N.js`: shard N, `{term: postings}`; postings are [`push_varint`] numbers of
//!   `(section - previous section) << 4 | weight`, sections ascending;
//! - `d/N.js`: sections `N * CHUNK_SECTIONS ..`, as `{p: [[url, title]], s: [[page,
//!   anchor, heading, text]]}` where `page` indexes `p` and `url` is relative to the
//!   site root.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use rayon::prelude::*;
// A word's hash needs no defence against crafted keys here, and SipHash's cost showed
// in profiles of the index: Fx hashing, as rustc uses for its own maps.
use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};

use crate::doc::{Block, Document, block_inlines, child_blocks, plain_text};
use crate::fingerprint;
use crate::render::escape;

/// Changes whenever the file formats above change.
pub const FORMAT_VERSION: u32 = 1;

/// Shorter words are not indexed (and not searched for).
pub const MIN_TERM_CHARS: usize = 2;

/// Longer words (hashes, encoded blobs) are not indexed: nobody types them.
pub const MAX_TERM_CHARS: usize = 32;

/// Sections per text chunk: a result list of ten loads at most ten files of about
/// 30 KB, and a 10,000-page site writes a few thousand of them rather than tens of
/// thousands (each file costs its host, and the build's file system, more than bytes).
pub const CHUNK_SECTIONS: usize = 64;

/// A shard past this size is split by the next character of its terms. One term's
/// postings are never split, so a shard can still be larger.
const SHARD_TARGET_BYTES: usize = 64 * 1024;

/// Shard prefixes stop growing here; the terms under one are then kept together.
/// `search.js` looks prefixes up to this length.
const MAX_PREFIX_CHARS: usize = 6;

/// Dead terms a [`TermTable`] may hold beyond its live ones before it is compacted.
const COMPACT_SLACK: usize = 4096;

/// The start of each section's prose kept for result snippets.
const SNIPPET_CHARS: usize = 500;

/// Words so common in English prose that they only make the index bigger. Sorted, for
/// a binary search.
pub const STOP_WORDS: &[&str] = &[
    "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "in", "is", "it", "its",
    "of", "on", "or", "that", "the", "this", "to", "was", "were", "will", "with",
];

/// One file of the index: its path under the output folder, the fingerprint of what it
/// is made from, and its text; no text when the caller said the file with that key is
/// already on disk.
pub struct IndexFile {
    pub path: String,
    pub key: u64,
    pub text: Option<String>,
}

/// What was indexed, for the build's debug log and for tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct IndexStats {
    pub sections: usize,
    pub terms: usize,
    pub shards: usize,
    pub chunks: usize,
    pub bytes: usize,
}

/// One section of a page as a result shows it.
#[derive(Debug, Default, Clone, PartialEq, Hash, Serialize, Deserialize)]
pub struct ResultSection {
    /// The heading's anchor; empty for the page's top.
    pub anchor: String,
    pub heading: String,
    /// The start of the section's prose (see [`SNIPPET_CHARS`]).
    pub snippet: String,
}

/// A page's result sections. Read back from the cache file they stay encoded until a
/// text chunk that holds them is made again: they are most of that file, and most
/// builds after an edit need a few pages' sections, not every page's.
#[derive(Debug, Clone, Default)]
pub struct SectionList {
    count: usize,
    decoded: OnceLock<Vec<ResultSection>>,
    encoded: OnceLock<Vec<u8>>,
}

impl SectionList {
    pub fn new(sections: Vec<ResultSection>) -> Self {
        SectionList {
            count: sections.len(),
            decoded: OnceLock::from(sections),
            encoded: OnceLock::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The sections, decoded on first use. Bytes that do not decode (the cache file is
    /// checksummed, so only a bug would write them) give empty sections, as many as
    /// were recorded, so the sections after them keep their numbers.
    pub fn get(&self) -> &[ResultSection] {
        self.decoded.get_or_init(|| {
            let bytes = self.encoded.get().map_or(&[][..], Vec::as_slice);
            postcard::from_bytes::<Vec<ResultSection>>(bytes)
                .ok()
                .filter(|sections| sections.len() == self.count)
                .unwrap_or_else(|| vec![ResultSection::default(); self.count])
        })
    }

    fn encoded(&self) -> &[u8] {
        self.encoded
            .get_or_init(|| postcard::to_stdvec(self.get()).unwrap_or_default())
    }
}

impl PartialEq for SectionList {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Serialize for SectionList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (self.count, Bytes(self.encoded())).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for SectionList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (count, ByteBuf(bytes)) = <(usize, ByteBuf)>::deserialize(deserializer)?;
        Ok(SectionList {
            count,
            decoded: OnceLock::new(),
            encoded: OnceLock::from(bytes),
        })
    }
}

/// Bytes serialized as one run (a `Vec<u8>` would be a sequence, decoded byte by
/// byte).
struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

struct ByteBuf(Vec<u8>);

impl<'de> Deserialize<'de> for ByteBuf {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = ByteBuf;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("bytes")
            }

            fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<ByteBuf, E> {
                Ok(ByteBuf(bytes.to_vec()))
            }

            fn visit_byte_buf<E: serde::de::Error>(self, bytes: Vec<u8>) -> Result<ByteBuf, E> {
                Ok(ByteBuf(bytes))
            }
        }
        deserializer.deserialize_byte_buf(Visitor)
    }
}

/// The weighed terms of a page's sections, as words or as numbers of a [`TermTable`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SectionTerms {
    /// As the page was just cut into terms.
    Words(Vec<Vec<(String, u8)>>),
    /// Numbered by the build's term table.
    Numbered(Vec<Vec<(u32, u8)>>),
}

impl Default for SectionTerms {
    fn default() -> Self {
        SectionTerms::Numbered(Vec::new())
    }
}

impl SectionTerms {
    /// Numbers the words, in place.
    pub fn number(&mut self, table: &mut TermTable) {
        if let SectionTerms::Words(sections) = self {
            let numbered = std::mem::take(sections)
                .into_iter()
                .map(|terms| {
                    let numbered = terms.into_iter();
                    numbered
                        .map(|(term, weight)| (table.number(term), weight))
                        .collect()
                })
                .collect();
            *self = SectionTerms::Numbered(numbered);
        }
    }
}

/// Every term the build has seen, by number. Numbers are never reused, so postings
/// recorded with a kept page stay right; terms no page uses any more are left out of
/// the index files.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct TermTable {
    terms: Vec<String>,
    #[serde(skip)]
    numbers: HashMap<String, u32>,
    /// The live terms the last [`TermTable::compact`] counted.
    #[serde(skip)]
    live: usize,
    /// How many times [`TermTable::compact`] has renumbered the terms.
    #[serde(skip)]
    renumberings: u64,
}

impl TermTable {
    /// The number of `term`, given a new one if it has none.
    pub fn number(&mut self, term: String) -> u32 {
        if self.numbers.len() != self.terms.len() {
            // Read back from the cache file, whose table carries only the terms.
            self.numbers = self.terms.iter().cloned().zip(0u32..).collect();
        }
        if let Some(number) = self.numbers.get(&term) {
            return *number;
        }
        let number = u32::try_from(self.terms.len()).unwrap_or(u32::MAX);
        self.terms.push(term.clone());
        self.numbers.insert(term, number);
        number
    }

    /// Drops the terms that none of `digests` uses and renumbers the digests, once such
    /// dead terms (of pages since edited or removed) outnumber the live ones; so the
    /// table of a long `serve` session, or of a cache file kept for months, stays the
    /// size of the site's vocabulary. `digests` must be every digest still in use.
    pub fn compact(&mut self, digests: Vec<&mut SectionTerms>) {
        // Counting means reading every posting of the site. Until the table has grown
        // past what the last count allows, it cannot have too many dead terms (unless
        // pages were deleted since, which only waits for that growth).
        if self.has_few_dead_terms(self.live) {
            return;
        }
        let mut used = vec![false; self.terms.len()];
        for terms in &digests {
            if let SectionTerms::Numbered(sections) = &**terms {
                for (number, _) in sections.iter().flatten() {
                    if let Some(slot) = used.get_mut(*number as usize) {
                        *slot = true;
                    }
                }
            }
        }
        let live = used.iter().filter(|used| **used).count();
        self.live = live;
        if self.has_few_dead_terms(live) {
            return;
        }

        let mut renumbered = vec![u32::MAX; self.terms.len()];
        let mut kept = Vec::with_capacity(live);
        for ((term, used), new) in std::mem::take(&mut self.terms)
            .into_iter()
            .zip(used)
            .zip(renumbered.iter_mut())
        {
            if used {
                *new = u32::try_from(kept.len()).unwrap_or(u32::MAX);
                kept.push(term);
            }
        }
        self.numbers = kept.iter().cloned().zip(0u32..).collect();
        self.terms = kept;
        self.renumberings += 1;

        for terms in digests {
            if let SectionTerms::Numbered(sections) = terms {
                for (number, _) in sections.iter_mut().flatten() {
                    *number = renumbered
                        .get(*number as usize)
                        .copied()
                        .unwrap_or(u32::MAX);
                }
            }
        }
    }

    /// Whether the table holds few enough terms beside `live` used ones to be left
    /// as it is.
    fn has_few_dead_terms(&self, live: usize) -> bool {
        self.terms.len() <= 2 * live + COMPACT_SLACK
    }

    fn term(&self, number: u32) -> &str {
        self.terms.get(number as usize).map_or("", String::as_str)
    }

    fn len(&self) -> usize {
        self.terms.len()
    }
}

/// A page cut for the index: its sections as results show them and their terms.
pub fn page_index(title: &str, document: &Document) -> (SectionList, SectionTerms) {
    let sections = page_sections(title, document);
    let terms = sections.iter().map(section_terms).collect();
    let results = sections
        .into_iter()
        .map(|section| ResultSection {
            snippet: snippet_text(&section.prose),
            anchor: section.anchor,
            heading: section.heading,
        })
        .collect();
    (SectionList::new(results), SectionTerms::Words(terms))
}

/// One page as the index sees it: where it is, its title, and its sections with their
/// numbered terms.
pub struct IndexedPage<'a> {
    /// Output path, relative to the site root.
    pub output: &'a str,
    pub title: &'a str,
    pub sections: &'a SectionList,
    /// The fingerprint of `sections`.
    pub sections_print: u64,
    /// One list per section; empty when the page's terms are unknown.
    pub terms: &'a [Vec<(u32, u8)>],
    /// Made by this build; else as the last build indexed it.
    pub fresh: bool,
}

/// Builds every file of the search index for `pages`, in page order; their terms are
/// numbers of `table`. A file whose path and key `is_current` accepts is left without
/// text: an edit touches a few shards and chunks, and making all of them again was
/// the largest part of an incremental build. With a `memo` of the last build's
/// postings, only the `fresh` pages' postings are gathered again (see [`PostingsMemo`]).
pub fn build_index(
    pages: &[IndexedPage<'_>],
    table: &TermTable,
    memo: Option<&mut PostingsMemo>,
    is_current: &(dyn Fn(&str, u64) -> bool + Sync),
) -> (Vec<IndexFile>, IndexStats) {
    let sections: Vec<SectionOf> = pages
        .iter()
        .enumerate()
        .flat_map(|(page, indexed)| {
            (0..indexed.sections.len()).map(move |number| SectionOf { page, number })
        })
        .collect();

    let entries = match memo {
        Some(memo) => memo.entries(pages, table),
        None => encode_all(&gather_postings(pages, table)),
    };
    let shards = cut_into_shards(entries);

    let make = |kind: &str, number: usize, print: u64, json: &dyn Fn() -> String| {
        let path = format!("search/{kind}/{number}.js");
        let key = fingerprint::of(&(FORMAT_VERSION, &path, print));
        let text = (!is_current(&path, key)).then(|| receiving_script(kind, number, &json()));
        IndexFile { path, key, text }
    };
    let mut files: Vec<IndexFile> = shards
        .par_iter()
        .enumerate()
        .map(|(number, (_, terms))| {
            let data = ShardData(terms);
            make("t", number, fingerprint::of(&data), &|| to_json(&data))
        })
        .collect();
    // A chunk's text is gathered only when the chunk is made again.
    files.par_extend(
        sections
            .par_chunks(CHUNK_SECTIONS)
            .enumerate()
            .map(|(number, of)| {
                let json = || to_json(&text_chunk(pages, of));
                make("d", number, chunk_print(pages, of), &json)
            }),
    );
    let hash = format!("{:016x}", fingerprint::of(&keys_of(&files)));
    let manifest = manifest_text(&shards, sections.len(), &hash);
    files.push(IndexFile {
        path: "search/manifest.js".to_string(),
        key: fingerprint::of_bytes(manifest.as_bytes()),
        text: Some(manifest),
    });

    let stats = IndexStats {
        sections: sections.len(),
        terms: shards.iter().map(|(_, terms)| terms.len()).sum(),
        shards: shards.len(),
        chunks: sections.len().div_ceil(CHUNK_SECTIONS),
        bytes: files
            .iter()
            .filter_map(|file| file.text.as_ref())
            .map(String::len)
            .sum(),
    };
    (files, stats)
}

/// A section of the site, in site order: its page and its number in the page.
struct SectionOf {
    page: usize,
    number: usize,
}

/// What a text chunk is made of, fingerprinted from the pages' fingerprints of their
/// sections rather than from the text (which would mean hashing every snippet of the
/// site in every build).
fn chunk_print(pages: &[IndexedPage<'_>], sections: &[SectionOf]) -> u64 {
    let parts: Vec<(&str, &str, u64, usize)> = sections
        .iter()
        .map(|of| {
            let page = &pages[of.page];
            (page.output, page.title, page.sections_print, of.number)
        })
        .collect();
    fingerprint::of(&parts)
}

fn keys_of(files: &[IndexFile]) -> Vec<(&str, u64)> {
    files
        .iter()
        .map(|file| (file.path.as_str(), file.key))
        .collect()
}

/// A shard's data, `{term: postings}`, serialized as a map in term order.
#[derive(Hash)]
struct ShardData<'a>(&'a [(String, String)]);

impl Serialize for ShardData<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(term, postings)| (term, postings)))
    }
}

fn to_json(data: &impl Serialize) -> String {
    serde_json::to_string(data).unwrap_or_else(|_| "null".to_string())
}

/// The manifest's text; `hash` fingerprints every other file of the index.
fn manifest_text(shards: &[Shard], sections: usize, hash: &str) -> String {
    let manifest = Manifest {
        version: FORMAT_VERSION,
        hash,
        shards: shards.iter().map(|(prefix, _)| prefix.as_str()).collect(),
        chunk: CHUNK_SECTIONS,
        sections,
        min_term: MIN_TERM_CHARS,
        max_term: MAX_TERM_CHARS,
        stop: STOP_WORDS,
    };
    receiving_script("manifest", 0, &to_json(&manifest))
}

#[derive(Serialize)]
struct Manifest<'a> {
    version: u32,
    hash: &'a str,
    shards: Vec<&'a str>,
    chunk: usize,
    sections: usize,
    #[serde(rename = "minTerm")]
    min_term: usize,
    #[serde(rename = "maxTerm")]
    max_term: usize,
    stop: &'a [&'a str],
}

/// One section of a page: the page's top (empty anchor) or a heading and what follows
/// it up to the next heading.
#[derive(Debug, Default, PartialEq)]
struct Section {
    anchor: String,
    heading: String,
    /// Words that weigh as the page title (the top section only).
    title: String,
    prose: String,
    code: String,
}

/// The sections of a page titled `title` whose resolved document is `document`.
fn page_sections(title: &str, document: &Document) -> Vec<Section> {
    let top = Section {
        title: title.to_string(),
        ..Section::default()
    };
    let mut sections = vec![top];
    let mut seen_heading = false;
    collect_sections(&document.blocks, &mut sections, &mut seen_heading);
    sections
}

fn collect_sections(blocks: &[Block], sections: &mut Vec<Section>, seen_heading: &mut bool) {
    for block in blocks {
        match block {
            Block::Heading(heading) => {
                let text = plain_text(&heading.content);
                // A leading `#` title is the page's own: it belongs to the top section.
                if !*seen_heading && heading.level == 1 {
                    let top = &mut sections[0];
                    top.title.push(' ');
                    top.title.push_str(&text);
                } else {
                    sections.push(Section {
                        anchor: heading.id.clone(),
                        heading: text,
                        ..Section::default()
                    });
                }
                *seen_heading = true;
                continue;
            }
            // A toctree lists other pages' titles; they are found on those pages.
            Block::Container { classes, .. }
                if classes
                    .first()
                    .is_some_and(|class| class.starts_with("lb-toctree")) =>
            {
                continue;
            }
            Block::Code(code) => push_words(&mut current(sections).code, &code.code),
            Block::Snippet(snippet) => push_words(&mut current(sections).code, &snippet.text()),
            Block::Html(html) => push_words(&mut current(sections).prose, &html_text(html)),
            _ => {}
        }
        for inlines in block_inlines(block) {
            push_words(&mut current(sections).prose, &plain_text(inlines));
        }
        for children in child_blocks(block) {
            collect_sections(children, sections, seen_heading);
        }
    }
}

fn current(sections: &mut [Section]) -> &mut Section {
    let last = sections.len() - 1;
    &mut sections[last]
}

/// Appends `text` with its white space folded to single spaces.
fn push_words(out: &mut String, text: &str) {
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
}

/// The text of raw HTML: tags dropped, the few entities prose uses decoded, and the
/// contents of `<script>` and `<style>` left out.
fn html_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        out.push(' ');
        let tag = &rest[open..];
        let lower: String = tag.chars().take(7).collect::<String>().to_ascii_lowercase();
        let skip_to = if lower.starts_with("<script") {
            "</script>"
        } else if lower.starts_with("<style") {
            "</style>"
        } else if lower.starts_with("<!--") {
            "-->"
        } else {
            ">"
        };
        rest = match tag.to_ascii_lowercase().find(skip_to) {
            Some(end) => &tag[end + skip_to.len()..],
            None => "",
        };
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Calls `found` with every indexable term of `text`, in order: runs of letters and
/// digits, lower-cased, of `MIN_TERM_CHARS..=MAX_TERM_CHARS` characters, stop words
/// left out. `search.js` cuts queries the same way.
pub fn for_each_term(text: &str, found: &mut dyn FnMut(&str)) {
    let mut lowered;
    for run in text.split(|c: char| !c.is_alphanumeric()) {
        if run.is_empty() {
            continue;
        }
        // Most words are lower-case ASCII already: only the others are copied.
        let term = if run.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
            run
        } else {
            lowered = run.to_lowercase();
            lowered.as_str()
        };
        if is_indexable(term) {
            found(term);
        }
    }
}

/// Whether a lower-cased run of letters and digits is indexed: long enough, not too
/// long, no stop word.
fn is_indexable(term: &str) -> bool {
    let length = if term.is_ascii() {
        term.len()
    } else {
        term.chars().count()
    };
    (MIN_TERM_CHARS..=MAX_TERM_CHARS).contains(&length) && !is_stop_word(term)
}

fn is_stop_word(term: &str) -> bool {
    // Most words are longer than any stop word: no search for them.
    term.len() <= LONGEST_STOP_WORD && STOP_WORDS.binary_search(&term).is_ok()
}

const LONGEST_STOP_WORD: usize = 4;

/// Records one occurrence of a term in one part of a section.
type Mark = fn(&mut Occurrences);

/// How one term occurs in one section.
#[derive(Default)]
struct Occurrences {
    in_title: bool,
    in_heading: bool,
    prose: u32,
    code: u32,
}

impl Occurrences {
    /// The posting's weight, 1 to 15: a title word outweighs a heading word, which
    /// outweighs any amount of prose; a word seen only in code weighs least.
    fn weight(&self) -> u8 {
        let prose = self.prose.min(6) as u8;
        let base = match (self.in_title, self.in_heading) {
            (true, _) => 12,
            (_, true) => 9,
            _ => 0,
        };
        match (base, prose, self.code) {
            (0, 0, _) => 1,
            (0, prose, _) => 2 + prose,
            (base, prose, _) => (base + prose.min(3)).min(15),
        }
    }
}

/// Every used term's postings in section order, sorted by term.
fn gather_postings<'t>(pages: &[IndexedPage<'_>], table: &'t TermTable) -> Postings<'t> {
    // Counted first, then laid out in one array: one list per term was an allocation
    // for each of thousands of terms, and most of their copying as they grew.
    let count = table.len();
    let mut starts = vec![0usize; count + 1];
    for_each_posting(pages, |term, _| {
        if term < count {
            starts[term + 1] += 1;
        }
    });
    for term in 0..count {
        starts[term + 1] += starts[term];
    }
    let mut filled = starts.clone();
    let mut postings = vec![Posting(0); starts[count]];
    for_each_posting(pages, |term, posting| {
        if term < count {
            postings[filled[term]] = posting;
            filled[term] += 1;
        }
    });

    let mut terms: Vec<(&str, std::ops::Range<usize>)> = (0..count)
        .filter(|term| starts[term + 1] > starts[*term])
        .map(|term| (table.term(term as u32), starts[term]..starts[term + 1]))
        .collect();
    terms.par_sort_unstable_by(|a, b| a.0.cmp(b.0));
    Postings { postings, terms }
}

/// Calls `found` with the term and the posting of every term of every section of
/// `pages`, sections numbered across the site in page order.
fn for_each_posting(pages: &[IndexedPage<'_>], mut found: impl FnMut(usize, Posting)) {
    let mut section = 0u32;
    for page in pages {
        for number in 0..page.sections.len() {
            let terms = page.terms.get(number).map_or(&[][..], Vec::as_slice);
            for &(term, weight) in terms {
                found(term as usize, Posting::new(section, weight));
            }
            section += 1;
            if section > Posting::LAST_SECTION {
                return;
            }
        }
    }
}

/// A section number and a weight in one `u32`: the transposed index is the largest
/// array an incremental build fills, and half its size is half its page faults.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Posting(u32);

impl Posting {
    /// Sections past this one (a site of some twenty million pages) are not indexed.
    const LAST_SECTION: u32 = u32::MAX >> 4;

    fn new(section: u32, weight: u8) -> Self {
        Posting(section << 4 | u32::from(weight & 15))
    }

    fn section(self) -> u32 {
        self.0 >> 4
    }

    fn weight(self) -> u8 {
        (self.0 & 15) as u8
    }
}

/// The postings of the last index made, kept between the builds of one `serve` session.
/// An edit that leaves every page with as many sections as before (most edits) moves
/// no section's number: the postings of the pages it changed are taken out and put in
/// again, and only the terms whose postings changed are encoded again. The transpose
/// of the whole site was most of a page edit's rebuild.
#[derive(Debug, Default)]
pub struct PostingsMemo {
    /// Each page's output path and number of sections, in site order.
    layout: Vec<(String, usize)>,
    /// The [`TermTable::renumberings`] the term numbers below belong to.
    renumberings: u64,
    /// Postings by term number, in section order.
    postings: Vec<Vec<Posting>>,
    /// Encoded postings by term number; `None` once they change.
    encoded: Vec<Option<String>>,
}

impl PostingsMemo {
    /// Every used term of `pages` with its encoded postings, sorted by term.
    fn entries(&mut self, pages: &[IndexedPage<'_>], table: &TermTable) -> Vec<(String, String)> {
        let fresh: Vec<usize> = (0..pages.len()).filter(|page| pages[*page].fresh).collect();
        let same_layout = self.renumberings == table.renumberings
            && self.layout.len() == pages.len()
            && (self.layout.iter().zip(pages)).all(|((output, count), page)| {
                output == page.output && *count == page.sections.len()
            });
        // Past a few pages, taking each out of every term costs more than starting over.
        if same_layout && fresh.len() * 8 <= pages.len() {
            self.update(pages, &fresh, table.len());
        } else {
            self.fill(pages, table);
        }

        let (postings, encoded) = (&self.postings, &mut self.encoded);
        encoded
            .par_iter_mut()
            .zip(postings)
            .filter(|(encoded, postings)| encoded.is_none() && !postings.is_empty())
            .for_each(|(encoded, postings)| *encoded = Some(encode_postings(postings)));
        let mut entries: Vec<(String, String)> = (0..table.len())
            .filter_map(|term| {
                let encoded = self.encoded[term].as_ref()?;
                Some((table.term(term as u32).to_string(), encoded.clone()))
            })
            .collect();
        entries.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
        entries
    }

    fn fill(&mut self, pages: &[IndexedPage<'_>], table: &TermTable) {
        let count = table.len();
        let mut sizes = vec![0usize; count];
        for_each_posting(pages, |term, _| {
            if term < count {
                sizes[term] += 1;
            }
        });
        self.postings = sizes.into_iter().map(Vec::with_capacity).collect();
        for_each_posting(pages, |term, posting| {
            if term < count {
                self.postings[term].push(posting);
            }
        });
        self.encoded = vec![None; count];
        self.layout = pages
            .iter()
            .map(|page| (page.output.to_string(), page.sections.len()))
            .collect();
        self.renumberings = table.renumberings;
    }

    /// Takes the postings of the `fresh` pages out and puts this build's in.
    fn update(&mut self, pages: &[IndexedPage<'_>], fresh: &[usize], terms: usize) {
        self.postings.resize_with(terms, Vec::new);
        self.encoded.resize(terms, None);
        let mut starts = Vec::with_capacity(pages.len());
        let mut next = 0u32;
        for page in pages {
            starts.push(next);
            next = next.saturating_add(page.sections.len() as u32);
        }

        for &page in fresh {
            let first = starts[page];
            let end = first.saturating_add(pages[page].sections.len() as u32);
            for (list, encoded) in self.postings.iter_mut().zip(&mut self.encoded) {
                let from = list.partition_point(|posting| posting.section() < first);
                let to = list.partition_point(|posting| posting.section() < end);
                if from < to {
                    list.drain(from..to);
                    *encoded = None;
                }
            }
            let sections = pages[page].terms.iter().take(pages[page].sections.len());
            for (section, terms) in (first..).zip(sections) {
                for &(term, weight) in terms {
                    let Some(list) = self.postings.get_mut(term as usize) else {
                        continue;
                    };
                    let at = list.partition_point(|posting| posting.section() < section);
                    list.insert(at, Posting::new(section, weight));
                    self.encoded[term as usize] = None;
                }
            }
        }
    }
}

/// The postings of every used term, in one array; `terms` are sorted and say where
/// theirs are.
struct Postings<'t> {
    postings: Vec<Posting>,
    terms: Vec<(&'t str, std::ops::Range<usize>)>,
}

fn section_terms(section: &Section) -> Vec<(String, u8)> {
    let title = lowered_runs(&section.title);
    let heading = lowered_runs(&section.heading);
    let prose = lowered_runs(&section.prose);
    let code = lowered_runs(&section.code);

    // Counted as slices of the lowered texts: only distinct terms are copied.
    let words = (title.len() + heading.len() + prose.len() + code.len()) / 8;
    let mut found: HashMap<&str, Occurrences> =
        HashMap::with_capacity_and_hasher(words, Default::default());
    let fields: [(&str, Mark); 4] = [
        (&title, |o| o.in_title = true),
        (&heading, |o| o.in_heading = true),
        (&prose, |o| o.prose += 1),
        (&code, |o| o.code += 1),
    ];
    for (runs, mark) in fields {
        for term in runs.split(' ').filter(|term| is_indexable(term)) {
            mark(found.entry(term).or_default());
        }
    }
    found
        .into_iter()
        .map(|(term, occurrences)| (term.to_string(), occurrences.weight()))
        .collect()
}

/// The runs of letters and digits of `text`, each lower-cased as [`for_each_term`]
/// lowers it, with a space after each: the terms of `text` before the length and stop
/// word checks. ASCII text takes one pass over its bytes.
fn lowered_runs(text: &str) -> String {
    if text.is_ascii() {
        let bytes = text.bytes().map(|b| match b.is_ascii_alphanumeric() {
            true => b.to_ascii_lowercase(),
            false => b' ',
        });
        return String::from_utf8(bytes.collect()).unwrap_or_default();
    }
    let mut out = String::with_capacity(text.len());
    for run in text.split(|c: char| !c.is_alphanumeric()) {
        // Lowering may add marks that are neither letters nor digits (`İ` gives `i̇`):
        // they stay inside the term, as the run was found before lowering.
        out.push_str(&run.to_lowercase());
        out.push(' ');
    }
    out
}

/// The digits of [`push_varint`], in value order.
pub const VARINT_DIGITS: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Appends `value` as base-64 digits holding five bits each, low bits first; a digit's
/// sixth bit says another digit follows. Values under 32 take one character.
pub fn push_varint(out: &mut String, mut value: u64) {
    loop {
        let low = (value & 31) as usize;
        value >>= 5;
        if value == 0 {
            out.push(VARINT_DIGITS[low] as char);
            return;
        }
        out.push(VARINT_DIGITS[low | 32] as char);
    }
}

fn encode_postings(postings: &[Posting]) -> String {
    let mut out = String::with_capacity(postings.len() * 2);
    let mut previous = 0u32;
    for posting in postings {
        let delta = u64::from(posting.section() - previous);
        push_varint(&mut out, delta << 4 | u64::from(posting.weight()));
        previous = posting.section();
    }
    out
}

type Shard = (String, Vec<(String, String)>);

/// Puts every term in one shard, split by the terms' first character when too big,
/// then by the next, and so on (see [`split_shard`]). Sorted by prefix; a small site
/// gets a single shard with the empty prefix.
fn cut_into_shards(entries: Vec<(String, String)>) -> Vec<Shard> {
    let mut shards = split_shard(String::new(), entries);
    shards.sort_by(|a, b| a.0.cmp(&b.0));
    shards
}

/// Every used term with its encoded postings, sorted by term.
fn encode_all(postings: &Postings<'_>) -> Vec<(String, String)> {
    postings
        .terms
        .par_iter()
        .map(|(term, range)| {
            let encoded = encode_postings(&postings.postings[range.clone()]);
            (term.to_string(), encoded)
        })
        .collect()
}

fn entry_bytes(terms: &[(String, String)]) -> usize {
    terms
        .iter()
        .map(|(term, postings)| term.len() + postings.len() + 6)
        .sum()
}

/// Splits a shard that is past the target size: the terms' next characters, biggest
/// group first, get shards of their own (split again if need be) until what stays is
/// small enough. A query word then finds all its completions in the shard of its
/// longest prefix that has one, except when the word *is* a split prefix: completions
/// in the longer shards show once it is typed on.
fn split_shard(prefix: String, terms: Vec<(String, String)>) -> Vec<Shard> {
    let depth = prefix.chars().count();
    let mut size = entry_bytes(&terms);
    if size <= SHARD_TARGET_BYTES || depth >= MAX_PREFIX_CHARS {
        return vec![(prefix, terms)];
    }
    let mut by_next: BTreeMap<Option<char>, Vec<(String, String)>> = BTreeMap::new();
    for entry in terms {
        let next = entry.0.chars().nth(depth);
        by_next.entry(next).or_default().push(entry);
    }
    let mut biggest_first: Vec<(char, usize)> = by_next
        .iter()
        .filter_map(|(next, group)| next.map(|next| (next, entry_bytes(group))))
        .collect();
    biggest_first.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));

    let mut shards = Vec::new();
    for (next, group_size) in biggest_first {
        if size <= SHARD_TARGET_BYTES {
            break;
        }
        if let Some(group) = by_next.remove(&Some(next)) {
            shards.extend(split_shard(format!("{prefix}{next}"), group));
            size -= group_size;
        }
    }
    let kept = by_next.into_values().flatten().collect();
    shards.push((prefix, kept));
    shards
}

#[derive(Serialize)]
struct TextChunk<'a> {
    /// Pages of the chunk's sections: `[url, title]`.
    p: Vec<(&'a str, &'a str)>,
    /// Sections: `[page in p, anchor, heading, text]`.
    s: Vec<(usize, &'a str, &'a str, &'a str)>,
}

fn text_chunk<'a>(indexed: &[IndexedPage<'a>], chunk: &[SectionOf]) -> TextChunk<'a> {
    let mut pages: Vec<usize> = Vec::new();
    let mut entries = Vec::with_capacity(chunk.len());
    for SectionOf { page, number } in chunk {
        if pages.last() != Some(page) {
            pages.push(*page);
        }
        let section = &indexed[*page].sections.get()[*number];
        entries.push((
            pages.len() - 1,
            section.anchor.as_str(),
            section.heading.as_str(),
            section.snippet.as_str(),
        ));
    }
    let p = pages
        .iter()
        .map(|page| (indexed[*page].output, indexed[*page].title))
        .collect();
    TextChunk { p, s: entries }
}

/// The start of the prose, cut at a word boundary after at most `SNIPPET_CHARS`.
fn snippet_text(prose: &str) -> String {
    if prose.chars().count() <= SNIPPET_CHARS {
        return prose.to_string();
    }
    let end = prose
        .char_indices()
        .nth(SNIPPET_CHARS)
        .map_or(prose.len(), |(index, _)| index);
    let cut = prose[..end].rfind(' ').unwrap_or(end);
    format!("{}…", &prose[..cut])
}

/// The text of a file that hands `json` to the search script as `kind` number `number`.
fn receiving_script(kind: &str, number: usize, json: &str) -> String {
    format!(
        "loopbookSearch.receive(\"{kind}\",{number},{});\n",
        escape::ascii_json(json)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms_of(text: &str) -> Vec<String> {
        let mut found = Vec::new();
        for_each_term(text, &mut |term| found.push(term.to_string()));
        found
    }

    #[test]
    fn terms_are_lowercase_words_without_stop_words_or_single_letters() {
        assert_eq!(
            terms_of("The register_purchase call, a 404 and Ünïcode-Wörter!"),
            ["register", "purchase", "call", "404", "ünïcode", "wörter"]
        );
        assert_eq!(terms_of(&"x".repeat(40)), Vec::<String>::new());
    }

    #[test]
    fn section_terms_are_the_terms_for_each_term_finds() {
        let prose = "İstanbul Straße, the ORDER_number=100011; Ünïcode—Wörter ½ x² a".repeat(2);
        let section = Section {
            prose: prose.clone(),
            ..Section::default()
        };
        let mut counted: Vec<String> = section_terms(&section)
            .into_iter()
            .map(|(term, _)| term)
            .collect();
        counted.sort();
        let mut expected = terms_of(&prose);
        expected.sort();
        expected.dedup();
        assert_eq!(counted, expected);
    }

    #[test]
    fn stop_words_are_sorted_lower_case_terms() {
        assert!(STOP_WORDS.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(
            STOP_WORDS.iter().map(|word| word.len()).max(),
            Some(LONGEST_STOP_WORD)
        );
        assert!(STOP_WORDS.iter().all(|word| terms_of(word).is_empty()));
    }

    #[test]
    fn compacting_keeps_live_terms_and_renumbers_their_digests() {
        let mut table = TermTable::default();
        let words = |words: &[&str]| {
            let section = words.iter().map(|word| (word.to_string(), 1)).collect();
            SectionTerms::Words(vec![section])
        };
        let mut dead: Vec<SectionTerms> = (0..=2 * COMPACT_SLACK)
            .map(|n| words(&[&format!("dead{n}")]))
            .collect();
        let mut live = words(&["webhook", "coupon"]);
        for terms in dead.iter_mut().chain([&mut live]) {
            terms.number(&mut table);
        }

        table.compact(vec![&mut live]);

        assert_eq!(table.len(), 2);
        let SectionTerms::Numbered(sections) = &live else {
            panic!("numbered terms stay numbered");
        };
        let kept: Vec<&str> = sections[0].iter().map(|(n, _)| table.term(*n)).collect();
        assert_eq!(kept, ["webhook", "coupon"]);
        assert_eq!(table.number("coupon".to_string()), 1);
        assert_eq!(table.number("referral".to_string()), 2);
    }

    #[test]
    fn a_table_with_few_dead_terms_is_left_as_it_is() {
        let mut table = TermTable::default();
        let mut old = SectionTerms::Words(vec![vec![("old".to_string(), 1)]]);
        let mut live = SectionTerms::Words(vec![vec![("new".to_string(), 1)]]);
        old.number(&mut table);
        live.number(&mut table);

        table.compact(vec![&mut live]);

        assert_eq!(table.len(), 2);
        assert_eq!(live, SectionTerms::Numbered(vec![vec![(1, 1)]]));
    }

    /// `pages` pages of `sections` sections each, every section holding the word
    /// `word{page}` and a snippet naming its page and section.
    fn site(pages: usize, sections: usize) -> (Vec<(String, Vec<ResultSection>)>, TermTable) {
        let mut table = TermTable::default();
        let site = (0..pages)
            .map(|page| {
                let results = (0..sections)
                    .map(|section| ResultSection {
                        anchor: format!("s{section}"),
                        heading: format!("Section {section}"),
                        snippet: format!("page {page} section {section}"),
                    })
                    .collect();
                table.number(format!("word{page}"));
                (format!("p{page}.html"), results)
            })
            .collect();
        (site, table)
    }

    fn index_of(
        site: &[(String, Vec<ResultSection>)],
        table: &TermTable,
        is_current: &(dyn Fn(&str, u64) -> bool + Sync),
    ) -> Vec<IndexFile> {
        let terms: Vec<Vec<Vec<(u32, u8)>>> = (0..site.len())
            .map(|page| vec![vec![(page as u32, 1)]; site[page].1.len()])
            .collect();
        let lists: Vec<SectionList> = site
            .iter()
            .map(|(_, sections)| SectionList::new(sections.clone()))
            .collect();
        let pages: Vec<IndexedPage<'_>> = site
            .iter()
            .zip(&terms)
            .zip(&lists)
            .map(|(((output, sections), terms), list)| IndexedPage {
                output,
                title: output,
                sections: list,
                sections_print: fingerprint::of(sections),
                terms,
                fresh: false,
            })
            .collect();
        build_index(&pages, table, None, is_current).0
    }

    #[test]
    fn section_lists_read_back_are_decoded_on_first_use() {
        let (site, _) = site(1, 3);
        let list = SectionList::new(site[0].1.clone());
        let bytes = postcard::to_stdvec(&list).unwrap();

        let read: SectionList = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(read.len(), 3);
        assert!(read.decoded.get().is_none());
        assert_eq!(read.get(), &site[0].1[..]);
        assert_eq!(postcard::to_stdvec(&read).unwrap(), bytes);
    }

    #[test]
    fn section_bytes_that_do_not_decode_keep_the_count() {
        let bytes = postcard::to_stdvec(&(2usize, Bytes(b"\xff\xff"))).unwrap();
        let read: SectionList = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(
            read.get(),
            &[ResultSection::default(), ResultSection::default()]
        );
    }

    #[test]
    fn an_edit_makes_again_only_the_files_it_changes_and_the_manifest() {
        // 40 pages of 8 sections: five text chunks of 64 sections.
        let (mut site, table) = site(40, 8);
        let before = index_of(&site, &table, &|_, _| false);
        let on_disk: HashMap<String, u64> = before
            .iter()
            .map(|file| (file.path.clone(), file.key))
            .collect();

        site[20].1[3].snippet = "an edited section".to_string();
        let current = |path: &str, key: u64| on_disk.get(path) == Some(&key);
        let after = index_of(&site, &table, &current);
        let everything = index_of(&site, &table, &|_, _| false);

        let made: Vec<&str> = after
            .iter()
            .filter(|file| file.text.is_some())
            .map(|file| file.path.as_str())
            .collect();
        // Page 20's sections are 160..168, in the third chunk.
        assert_eq!(made, ["search/d/2.js", "search/manifest.js"]);
        for (kept, full) in after.iter().zip(&everything) {
            assert_eq!((&kept.path, kept.key), (&full.path, full.key));
            if let Some(text) = &kept.text {
                assert_eq!(Some(text), full.text.as_ref(), "{}", kept.path);
            }
        }
        let manifest = |files: &[IndexFile]| files.last().unwrap().text.clone().unwrap();
        assert_ne!(
            manifest(&before),
            manifest(&after),
            "the manifest's hash changes"
        );
    }

    /// A page of [`RandomSite`]: its output path, sections and numbered terms.
    type RandomPage = (String, SectionList, Vec<Vec<(u32, u8)>>);

    /// A small random site: pages of 1-4 sections, each holding some of 40 terms.
    struct RandomSite {
        seed: u64,
        table: TermTable,
        pages: Vec<RandomPage>,
    }

    impl RandomSite {
        fn new(pages: usize) -> Self {
            let mut table = TermTable::default();
            for term in 0..40 {
                table.number(format!("term{term}"));
            }
            let mut site = RandomSite {
                seed: 7,
                table,
                pages: Vec::new(),
            };
            for page in 0..pages {
                let sections = site.next(4) + 1;
                let entry = site.page(format!("p{page}.html"), sections);
                site.pages.push(entry);
            }
            site
        }

        fn next(&mut self, below: u64) -> usize {
            self.seed = self
                .seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.seed >> 33) % below) as usize
        }

        fn page(&mut self, output: String, sections: usize) -> RandomPage {
            let results = vec![ResultSection::default(); sections];
            let terms = (0..sections)
                .map(|_| {
                    let mut terms = Vec::new();
                    for term in 0..40 {
                        if self.next(4) == 0 {
                            terms.push((term, self.next(15) as u8 + 1));
                        }
                    }
                    // Sections list their terms in no particular order.
                    terms.reverse();
                    terms
                })
                .collect();
            (output, SectionList::new(results), terms)
        }

        fn entries(
            &self,
            fresh: &[usize],
            memo: Option<&mut PostingsMemo>,
        ) -> Vec<(String, String)> {
            let pages: Vec<IndexedPage<'_>> = (self.pages.iter().enumerate())
                .map(|(number, (output, sections, terms))| IndexedPage {
                    output,
                    title: output,
                    sections,
                    sections_print: 0,
                    terms,
                    fresh: fresh.contains(&number),
                })
                .collect();
            match memo {
                Some(memo) => memo.entries(&pages, &self.table),
                None => encode_all(&gather_postings(&pages, &self.table)),
            }
        }
    }

    #[test]
    fn postings_kept_between_builds_are_those_made_from_scratch() {
        let mut site = RandomSite::new(60);
        let mut memo = PostingsMemo::default();
        assert_eq!(site.entries(&[], Some(&mut memo)), site.entries(&[], None));

        for round in 0..30 {
            // Edits that keep each page's sections, then one that adds a section.
            let page = site.next(60);
            let sections = site.pages[page].1.len() + usize::from(round % 10 == 9);
            site.pages[page] = site.page(format!("p{page}.html"), sections);
            let kept = site.entries(&[page], Some(&mut memo));
            assert_eq!(kept, site.entries(&[page], None), "round {round}");
        }
    }

    #[test]
    fn varints_take_one_digit_under_32_and_more_above() {
        let mut out = String::new();
        for value in [0, 31, 32, 1023, 1024] {
            push_varint(&mut out, value);
            out.push(' ');
        }
        assert_eq!(out, "A f gB _f ggB ");
    }

    #[test]
    fn postings_are_section_deltas_with_weights() {
        // Sections 2 (weight 3) and 5 (weight 15): (2 << 4 | 3) = 35, (3 << 4 | 15) = 63.
        let mut expected = String::new();
        push_varint(&mut expected, 35);
        push_varint(&mut expected, 63);
        let postings = [Posting::new(2, 3), Posting::new(5, 15)];
        assert_eq!(encode_postings(&postings), expected);
    }

    #[test]
    fn title_outweighs_heading_outweighs_prose_outweighs_code() {
        let title = Occurrences {
            in_title: true,
            ..Occurrences::default()
        };
        let heading = Occurrences {
            in_heading: true,
            ..Occurrences::default()
        };
        let lots_of_prose = Occurrences {
            prose: 50,
            ..Occurrences::default()
        };
        let code = Occurrences {
            code: 50,
            ..Occurrences::default()
        };
        assert!(title.weight() > heading.weight());
        assert!(heading.weight() > lots_of_prose.weight());
        assert!(lots_of_prose.weight() > code.weight());
        assert_eq!(code.weight(), 1);
    }

    #[test]
    fn big_shards_split_off_their_biggest_groups_until_small_enough() {
        let long_postings = "A".repeat(SHARD_TARGET_BYTES / 3);
        let terms = vec![
            ("co".to_string(), "B".to_string()),
            ("coa".to_string(), "B".to_string()),
            ("cod".to_string(), long_postings.clone()),
            ("code".to_string(), long_postings.clone()),
            ("con".to_string(), long_postings),
        ];
        let shards = split_shard("co".to_string(), terms);
        let prefixes: Vec<(&str, Vec<&str>)> = shards
            .iter()
            .map(|(prefix, terms)| {
                (
                    prefix.as_str(),
                    terms.iter().map(|(t, _)| t.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            prefixes,
            [
                ("cod", vec!["cod", "code"]),
                ("co", vec!["co", "coa", "con"])
            ]
        );
    }

    #[test]
    fn raw_html_gives_its_text_without_scripts() {
        assert_eq!(
            html_text("<h2>Using <b>URL</b> &amp; more</h2><script>var x = 1;</script>ok")
                .split_whitespace()
                .collect::<Vec<_>>(),
            ["Using", "URL", "&", "more", "ok"]
        );
    }

    #[test]
    fn long_prose_is_cut_at_a_word() {
        let prose = "word ".repeat(200);
        let snippet = snippet_text(prose.trim());
        assert!(snippet.ends_with("word…"), "{snippet}");
        assert!(snippet.chars().count() <= SNIPPET_CHARS + 1);
    }
}
