#!/usr/bin/env python3
"""Measure loopbook's search index against mdBook's on the generated corpus.

Needs: Python 3.9+ (standard library only), a release build of loopbook, Node.js
with tests/browser/node_modules (Playwright's driver) and Debian's chromium for the
browser timings, and mdBook 0.5 (`mdbook` on PATH or in ~/.cargo/bin) for the
comparison; without mdBook the comparison is left out.

Usage:
    python3 bench/search.py [--pages 10000] [--work /tmp/lb-bench]
                            [--loopbook PATH] [--mdbook PATH] [--markdown]
                            [--queries "webhook,referral tracking,..."]

Steps:
 1. Generate (or reuse) the corpus of ../shared/bench/gen_corpus.py in
    WORK/corpus-N, the same folders bench/run.py uses.
 2. Build its mdbook/ layout with loopbook into WORK/search-N/loopbook and sum the
    files of search/: the whole index, per source page, and against the source bytes.
 3. Build the same layout with mdBook into WORK/search-N/mdbook (once: the result is
    kept, with a stamp of the corpus and the mdBook version, because mdBook takes
    about ten minutes and 6 GiB at 10,000 pages) and take the size of its search
    index (searchindex*.json, or the searchindex*.js that mdBook 0.5 writes instead).
 4. Run bench/search-latency.mjs: each query in a fresh Chromium context on a page
    of the built site, timing from the input event to the first result shown, and
    summing what the page downloaded from search/ for it.
 5. Print the figures, and each query's download as a share of mdBook's index (the
    target is under 10%).

Exit status: 0 when everything ran, 1 when a build or the browser run failed.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
import run as build_bench  # noqa: E402  (the corpus and timing helpers of bench/run.py)

DEFAULT_QUERIES = "webhook,referral tracking,shopify,validate signature,coupon code,zendesk"


def folder_bytes(folder, skip=()):
    total, count = 0, 0
    for path in folder.rglob("*"):
        if path.is_file() and path.name not in skip:
            total += path.stat().st_size
            count += 1
    return total, count


def build_loopbook(loopbook, corpus, out):
    if out.exists():
        shutil.rmtree(out)
    started = time.monotonic()
    done = subprocess.run(
        [str(loopbook), "-q", "build", "--dest-dir", str(out), str(corpus / "mdbook")],
        capture_output=True, text=True)
    wall = time.monotonic() - started
    if done.returncode != 0:
        sys.exit("error: loopbook build failed:\n%s" % build_bench.tail(done.stderr))
    return wall


def mdbook_index(mdbook, corpus, work, pages):
    """Size and name of mdBook's search index for the corpus, building it once."""
    out = work / "mdbook"
    stamp_path = work / "mdbook.stamp"
    version = subprocess.run([mdbook, "--version"], capture_output=True, text=True).stdout
    stamp = json.dumps({"pages": pages, "generator": build_bench.generator_stamp(),
                        "mdbook": version.strip()})
    if not (stamp_path.exists() and stamp_path.read_text() == stamp):
        if out.exists():
            shutil.rmtree(out)
        print("mdbook: building %d pages (slow) ..." % pages, flush=True)
        started = time.monotonic()
        done = subprocess.run([mdbook, "build", "-d", str(out), str(corpus / "mdbook")],
                              capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit("error: mdbook build failed:\n%s" % build_bench.tail(done.stderr))
        print("mdbook: built in %.0f s" % (time.monotonic() - started), flush=True)
        stamp_path.write_text(stamp)
    found = sorted(out.glob("searchindex*.json")) or sorted(out.glob("searchindex*.js"))
    if not found:
        sys.exit("error: no searchindex file in %s" % out)
    return found[0].name, found[0].stat().st_size, version.strip()


def browser_timings(public, queries):
    done = subprocess.run(
        ["node", str(BENCH_DIR / "search-latency.mjs"), str(public), "index.html"] + queries,
        capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        sys.exit("error: the browser run failed:\n%s" % build_bench.tail(done.stderr))
    return json.loads(done.stdout.strip().splitlines()[-1])


def find_mdbook(option):
    if option:
        return option
    found = shutil.which("mdbook")
    cargo_bin = Path.home() / ".cargo" / "bin" / "mdbook"
    return found or (str(cargo_bin) if cargo_bin.exists() else None)


def format_table(header, rows, markdown):
    if markdown:
        lines = ["| " + " | ".join(header) + " |",
                 "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])
    widths = [max(len(cell), *(len(row[i]) for row in rows)) for i, cell in enumerate(header)]

    def line(row):
        return "  ".join(cell.ljust(width) if i == 0 else cell.rjust(width)
                         for i, (cell, width) in enumerate(zip(row, widths)))
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def kib(value):
    return "%.1f KiB" % (value / 1024)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=10000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/lb-bench"))
    parser.add_argument("--loopbook", type=Path, default=build_bench.DEFAULT_LOOPBOOK)
    parser.add_argument("--mdbook")
    parser.add_argument("--queries", default=DEFAULT_QUERIES)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    if not args.loopbook.exists():
        sys.exit("error: no loopbook at %s (run `cargo build --release`)" % args.loopbook)

    corpus, manifest = build_bench.ensure_corpus(args.work, args.pages)
    work = args.work / ("search-%d" % args.pages)
    work.mkdir(parents=True, exist_ok=True)

    public = work / "loopbook"
    wall = build_loopbook(args.loopbook, corpus, public)
    index_bytes, index_files = folder_bytes(public / "search", skip=("index.html",))
    source_bytes, source_pages = folder_bytes(corpus / "mdbook" / "src", skip=("SUMMARY.md",))
    largest_shard = max(p.stat().st_size for p in (public / "search" / "t").iterdir())
    manifest_bytes = (public / "search" / "manifest.js").stat().st_size

    mdbook = find_mdbook(args.mdbook)
    mdbook_result = mdbook_index(mdbook, corpus, work, args.pages) if mdbook else None

    queries = [query.strip() for query in args.queries.split(",") if query.strip()]
    timings = browser_timings(public, queries)

    lines = [
        "corpus: %d content pages, %d source files, %s of Markdown"
        % (manifest.get("n_pages", args.pages), source_pages, kib(source_bytes)),
        "loopbook build (whole site, index included): %.2f s" % wall,
        "loopbook index: %s in %d files; %.0f bytes per source page; %.2f bytes per "
        "source byte; manifest %s; largest shard %s"
        % (kib(index_bytes), index_files, index_bytes / source_pages,
           index_bytes / source_bytes, kib(manifest_bytes), kib(largest_shard)),
    ]
    if mdbook_result:
        name, size, version = mdbook_result
        lines.append("%s %s: %s (%.1fx loopbook's whole index)"
                     % (version, name, kib(size), size / index_bytes))
    print()
    print("\n".join(lines))
    print()
    header = ["query", "first result (ms, cold)", "files", "downloaded", "share of mdBook"]
    rows = []
    for timing in timings:
        share = "%.2f%%" % (100 * timing["bytes"] / mdbook_result[1]) if mdbook_result else "-"
        rows.append([timing["query"], "%.0f" % timing["millis"], str(timing["files"]),
                     kib(timing["bytes"]), share])
    print(format_table(header, rows, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
