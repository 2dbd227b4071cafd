#!/usr/bin/env python3
"""Build the talkable-2015 corpus with Sphinx and extract the facts loopbook must match.

Usage:
    python3 tests/corpus/sphinx_expected.py [OUT.json]   (default: next to this script)

Steps:
 1. Copy ../shared/corpus/talkable-2015/source (found from this file's location) into a
    temporary folder, so nothing is written into the shared corpus.
 2. Run `sphinx-build -b html -D smartquotes=0` there. Sphinx 1.2, which built this tree,
    had no smart quotes; turning them off keeps titles as written.
 3. For every page, read the HTML and keep only these facts: the page title, each section
    heading (level, id, text) in order, each cross-reference made by `:ref:` (target
    page and anchor, and its text), the language of every code block in order, how
    often reStructuredText syntax shows in the visible text (Sphinx shows some of it
    itself, inside interpreted text), and hashes (64-bit FNV-1a, no text) of the
    visible text without white space and of each code block with the two integration
    variables filled in, as the old build's `sed` did.
 4. Write them as JSON with the Sphinx and docutils versions. The Rust test
    tests/corpus.rs reads that file, so CI needs no Sphinx.

Needs Python 3.9+ with Sphinx installed.
"""
import json
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent.parent.parent / "shared" / "corpus" / "talkable-2015" / "source"
DEFAULT_OUT = HERE / "talkable-2015.sphinx.json"

# reStructuredText syntax that must not show in a page's visible text.
SYNTAX_PATTERNS = {
    "role": r":[A-Za-z][A-Za-z0-9_-]*:`",
    "directive": r"\.\. [A-Za-z][A-Za-z0-9_-]*::",
    "substitution": r"\|[A-Za-z0-9_][A-Za-z0-9_ -]*\|",
    "embedded_link": r"`[^`]+ <[^>]+>`__?",
    "strong": r"\*\*[^*\s][^*]*\*\*",
    "literal": r"``[^`]+``",
}


class PageFacts(HTMLParser):
    """Collects the facts of one Sphinx page from the `div.body` element."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth_in_body = 0
        self.sections = []        # ids of the open <section> elements
        self.heading = None       # [level, id, text] while inside a heading
        self.heading_has_link = False
        self.in_headerlink = 0
        self.ref = None           # [href, text] while inside a :ref: link
        self.ref_open = 0
        self.pending_ref_href = None
        self.in_pre = 0
        self.code = None          # text of the <pre> being read
        self.code_blocks = []
        self.headings = []
        self.refs = []
        self.languages = []
        self.visible = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if self.depth_in_body == 0:
            if tag == "div" and "body" in classes:
                self.depth_in_body = 1
            return
        self.depth_in_body += tag not in VOID
        if tag == "section":
            self.sections.append(attrs.get("id", ""))
        if tag in HEADINGS and self.sections:
            self.heading = [int(tag[1]), self.sections[-1], ""]
            self.heading_has_link = False
        if tag == "a" and "headerlink" in classes:
            self.in_headerlink += 1
            if self.heading is not None:
                self.heading_has_link = True
        if tag == "a" and "reference" in classes and "internal" in classes:
            self.pending_ref_href = attrs.get("href", "")
        if tag == "span" and "std-ref" in classes and self.pending_ref_href is not None:
            self.ref = [self.pending_ref_href, ""]
        if tag == "div":
            for cls in classes:
                if cls.startswith("highlight-"):
                    self.languages.append(cls[len("highlight-"):])
        if tag == "pre":
            self.in_pre += 1
            self.code = []

    def handle_endtag(self, tag):
        if self.depth_in_body == 0:
            return
        self.depth_in_body -= tag not in VOID
        if tag == "section" and self.sections:
            self.sections.pop()
        if tag in HEADINGS and self.heading is not None:
            self.heading[2] = " ".join(self.heading[2].split())
            # Raw HTML headings (no permalink) are not sections.
            if self.heading_has_link:
                self.headings.append(self.heading)
            self.heading = None
        if tag == "a":
            if self.in_headerlink:
                self.in_headerlink -= 1
            self.pending_ref_href = None
        if tag == "span" and self.ref is not None:
            self.ref[1] = " ".join(self.ref[1].split())
            self.refs.append(self.ref)
            self.ref = None
        if tag == "pre" and self.in_pre:
            self.in_pre -= 1
            self.code_blocks.append("".join(self.code))
            self.code = None

    def handle_data(self, data):
        if self.depth_in_body == 0 or self.in_headerlink:
            return
        if self.heading is not None:
            self.heading[2] += data
        if self.ref is not None:
            self.ref[1] += data
        if self.in_pre:
            self.code.append(data)
        else:
            self.visible.append(data)


# What the old build's `sed` did to the HTML Sphinx wrote (the corpus's book.toml
# [variables] now do it): the facts describe the site as it was published.
PUBLISHED_VARIABLES = {
    "|integration_url|": "//cdn.example.com/integration/talkable-4.0.5.min.js",
    "|integration_version|": "4.0.5",
}


def fnv1a(text):
    """64-bit FNV-1a of the UTF-8 text, as hex (the Rust test computes the same)."""
    value = 0xCBF29CE484222325
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % value


def published(text):
    for name, value in PUBLISHED_VARIABLES.items():
        text = text.replace(name, value)
    return text


HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
VOID = {"br", "hr", "img", "input", "meta", "link", "col", "area", "base", "wbr", "source"}


def absolute_href(page, href):
    """A link as `doc#anchor` from the site root (`#anchor` alone is the page itself)."""
    path, _, fragment = href.partition("#")
    if not path:
        target = page
    else:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
        target = target[: -len(".html")] if target.endswith(".html") else target
    return "%s#%s" % (target, fragment) if fragment else target


def main():
    out_path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    import docutils
    import sphinx

    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "source"
        shutil.copytree(CORPUS, source)
        build = Path(work) / "html"
        subprocess.run(
            ["sphinx-build", "-Q", "-b", "html", "-D", "smartquotes=0", str(source), str(build)],
            check=True,
        )
        pages = {}
        for html in sorted(build.rglob("*.html")):
            page = html.relative_to(build).as_posix()[: -len(".html")]
            if page in ("search", "genindex") or page.startswith("_"):
                continue
            facts = PageFacts()
            facts.feed(html.read_text(encoding="utf-8"))
            visible = " ".join(facts.visible)
            pages[page] = {
                "title": facts.headings[0][2] if facts.headings else None,
                "headings": facts.headings,
                "refs": [[absolute_href(page, href), text] for href, text in facts.refs],
                "code_languages": facts.languages,
                # Hashes, not text: the visible text without white space (which the two
                # writers lay out differently), and each code block as published.
                "text_hash": fnv1a("".join(visible.split())),
                "code_hashes": [fnv1a(published(code)) for code in facts.code_blocks],
                "syntax_in_text": {
                    name: len(re.findall(pattern, visible))
                    for name, pattern in SYNTAX_PATTERNS.items()
                },
            }
    result = {
        "generator": "tests/corpus/sphinx_expected.py",
        "sphinx": sphinx.__version__,
        "docutils": docutils.__version__,
        "options": "-b html -D smartquotes=0",
        "syntax_patterns": SYNTAX_PATTERNS,
        "pages": pages,
    }
    out_path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print("wrote %d pages to %s" % (len(pages), out_path))


if __name__ == "__main__":
    main()
