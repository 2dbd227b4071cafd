#!/usr/bin/env python3
"""Benchmark clean builds of loopbook against Hugo, mdBook, Zola and Sphinx.

Needs: Python 3.9+ (standard library only), Linux (os.wait4), and whichever of the
tools are installed; a missing tool is reported as "not installed" and skipped.

Usage:
    python3 bench/run.py [--pages 1000,10000] [--runs 3]
                         [--tools loopbook,hugo,mdbook,zola,sphinx]
                         [--sphinx-pages 1000] [--work /tmp/lb-bench]
                         [--timeout 1200] [--loopbook PATH] [--markdown]
                         [--clear aside|delete]

Steps:
 1. For each size N, generate the synthetic corpus with
    ../shared/bench/gen_corpus.py (found from this file's location) into
    WORK/corpus-N, unless its MANIFEST.json already says N pages and the generator
    has not changed since. Then lay out, fresh, the folders loopbook builds from
    Sphinx sources: sphinx-lb/ (the generated sphinx/ sources with a book.toml beside
    them) and talkable/ (a copy of ../shared/corpus/talkable-2015, a real Sphinx tree
    of 81 pages, built by loopbook and by sphinx-build side by side).
 2. For each case (a tool building one layout of the corpus) and size, run `runs`
    clean builds: the case's output folder (and loopbook's cache file) is moved
    aside before each run and deleted after the last (see bench/outputs.py). Each run
    measures wall time, CPU time (user + sys) and peak RSS of the tool's process
    tree as reported by os.wait4, plus the 1-minute load average at its start.
 3. Count the .html files each case produced and compare with the MANIFEST page
    count (content pages + folder index pages + the root page). A mismatch is a
    warning for loopbook; for the other tools the count is only shown, since each
    adds pages of its own (404, print, search).
 4. Print the medians side by side (plain text, or Markdown with --markdown),
    then the ratios: loopbook against each other tool, and each tool's scaling
    from the smallest size to the largest. The raw runs go to WORK/results.json.

Exit status: 0 when every build that ran succeeded, 1 when one failed or timed
out (its stderr tail is printed) or loopbook left pages out, 2 on a usage error.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import outputs  # bench/outputs.py: why outputs are moved aside rather than deleted

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
SHARED_DIR = REPO_DIR.parent / "shared"
GENERATOR = SHARED_DIR / "bench" / "gen_corpus.py"
DEFAULT_LOOPBOOK = REPO_DIR / "target" / "release" / "loopbook"
GENERATOR_STAMP = ".generator-stamp"

ALL_TOOLS = ["loopbook", "hugo", "mdbook", "zola", "sphinx"]
# A clean loopbook build starts without its output and without the cache file that
# `loopbook build` leaves beside it (which would make the next build incremental).
LOOPBOOK_CLEAN = ["public", ".public.loopbook-cache"]
TALKABLE = SHARED_DIR / "corpus" / "talkable-2015"
TALKABLE_PAGES = 81

# loopbook reads the generated Sphinx sources as they are; this is all it needs beside
# them (conf.py is Sphinx's and is not a page).
SPHINX_LB_TOML = """[book]
title = "Synthetic Docs"
src = "."

[build]
exclude = ["_build/**", "public/**"]
"""


@dataclass
class Case:
    """One tool building one layout of the corpus.

    `argv` and `out_dir` take the layout folder (WORK/corpus-N/LAYOUT). `clean`
    lists the folders and files cleared before each run, relative to the layout folder, so
    that every run starts from the same state (no caches left by the previous one).
    """

    name: str
    tool: str
    layout: str
    argv: object
    out_dir: str
    clean: list
    strict_page_count: bool = False
    sizes: object = None  # None: every --pages size; else the sizes this case runs at
    # Which corpus the case builds: the generated one, or the real Sphinx tree
    # talkable-2015 (whose page count is fixed). Ratios compare cases of one corpus.
    corpus: str = "generated"
    expected_pages: object = None  # None: the MANIFEST's count


@dataclass
class Run:
    wall_s: float
    cpu_s: float
    max_rss_kib: int
    load_1m: float


@dataclass
class Result:
    case: str
    pages: int
    layout: str
    runs: list = field(default_factory=list)
    status: str = "ok"  # ok | failed | timeout | incomplete | no layout
    html_found: int = None
    html_expected: int = None

    def median(self, attr):
        return statistics.median(getattr(r, attr) for r in self.runs)


def build_cases(binaries, sphinx_sizes):
    """The benchmark matrix. `sphinx-lb` (the generated Sphinx sources with a book.toml)
    and `talkable` (the real Sphinx tree) are laid out by prepare_layouts()."""
    lb, hugo, mdbook = binaries["loopbook"], binaries["hugo"], binaries["mdbook"]
    zola, sphinx = binaries["zola"], binaries["sphinx"]
    return [
        Case("loopbook", "loopbook", "mdbook",
             lambda d: [lb, "build", str(d)], "public", LOOPBOOK_CLEAN,
             strict_page_count=True),
        Case("loopbook-rst", "loopbook", "sphinx-lb",
             lambda d: [lb, "build", str(d)], "public", LOOPBOOK_CLEAN,
             strict_page_count=True),
        Case("hugo", "hugo", "hugo",
             lambda d: [hugo, "--quiet", "-s", str(d), "-d", str(d / "public")],
             "public", ["public", "resources"]),
        Case("mdbook", "mdbook", "mdbook",
             lambda d: [mdbook, "build", str(d)], "book", ["book"]),
        Case("zola", "zola", "zola",
             lambda d: [zola, "--root", str(d), "build"], "public", ["public"]),
        Case("sphinx", "sphinx", "sphinx",
             lambda d: [sphinx, "-q", "-b", "html", str(d), str(d / "_build")],
             "_build", ["_build"], sizes=sphinx_sizes),
        Case("loopbook-talkable", "loopbook", "talkable",
             lambda d: [lb, "build", str(d)], "public", LOOPBOOK_CLEAN,
             strict_page_count=True, sizes=sphinx_sizes, corpus="talkable",
             expected_pages=TALKABLE_PAGES),
        Case("sphinx-talkable", "sphinx", "talkable",
             lambda d: [sphinx, "-q", "-b", "html", str(d / "source"), str(d / "_build")],
             "_build", ["_build"], sizes=sphinx_sizes, corpus="talkable",
             expected_pages=TALKABLE_PAGES),
    ]


def find_binaries(loopbook_path):
    """Path of each tool's executable, or None when it is not installed."""
    lb = Path(loopbook_path)
    return {
        "loopbook": str(lb) if lb.is_file() and os.access(lb, os.X_OK) else None,
        "hugo": shutil.which("hugo"),
        "mdbook": shutil.which("mdbook"),
        "zola": shutil.which("zola"),
        "sphinx": shutil.which("sphinx-build"),
    }


def binary_stamp(binary):
    try:
        stat = os.stat(binary)
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns)


def tool_version(tool, binary):
    args = {"hugo": ["version"], "sphinx": ["--version"]}.get(tool, ["--version"])
    try:
        done = subprocess.run([binary] + args, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as err:
        return "unknown (%s)" % err
    text = (done.stdout or done.stderr).strip().splitlines()
    if done.returncode != 0:
        return "unknown (--version exited with %d)" % done.returncode
    return text[0] if text else "unknown (--version printed nothing)"


# --------------------------------------------------------------------------
# Corpus
# --------------------------------------------------------------------------

def generator_stamp():
    stat = GENERATOR.stat()
    return "%d %d" % (stat.st_size, stat.st_mtime_ns)


def ensure_corpus(work, pages):
    """WORK/corpus-N with a MANIFEST.json for N pages, generating it if needed."""
    corpus = work / ("corpus-%d" % pages)
    manifest_path = corpus / "MANIFEST.json"
    stamp_path = corpus / GENERATOR_STAMP
    try:
        manifest = json.loads(manifest_path.read_text())
        same_generator = stamp_path.read_text() == generator_stamp()
        if manifest.get("n_pages") == pages and same_generator:
            print("corpus %d: reusing %s" % (pages, corpus))
            return corpus, manifest
    except (OSError, ValueError):
        pass

    print("corpus %d: generating into %s ..." % (pages, corpus), flush=True)
    corpus.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, str(GENERATOR), str(pages), str(corpus)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit("error: gen_corpus.py failed for %d pages (exit %d):\n%s"
                 % (pages, done.returncode, tail(done.stderr)))
    stamp_path.write_text(generator_stamp())
    return corpus, json.loads(manifest_path.read_text())


def prepare_layouts(corpus, trash):
    """Lays out the two folders loopbook builds from Sphinx sources, fresh each time:
    sphinx-lb/ (a copy of the generated sphinx/ with a book.toml) and talkable/ (a
    copy of the talkable-2015 tree, which has its own book.toml). Copies, so no build
    writes into the generated sphinx/ folder or into ../shared. The previous copies go
    into the trash like outputs do: deleting 10,000 files here would slow down the
    first builds measured after it (see outputs.py)."""
    lb_layout = corpus / "sphinx-lb"
    talkable = corpus / "talkable"
    outputs.clear([lb_layout, talkable], trash)
    shutil.copytree(corpus / "sphinx", lb_layout, ignore=shutil.ignore_patterns("_build"))
    (lb_layout / "book.toml").write_text(SPHINX_LB_TOML)

    if TALKABLE.is_dir():
        shutil.copytree(TALKABLE, talkable)
        for root, dirs, files in os.walk(talkable):
            for name in dirs + files:
                path = os.path.join(root, name)
                os.chmod(path, os.stat(path).st_mode | 0o200)
        os.chmod(talkable, os.stat(talkable).st_mode | 0o200)


# --------------------------------------------------------------------------
# Measuring one build
# --------------------------------------------------------------------------

class BuildFailed(Exception):
    def __init__(self, message, output_tail, timed_out=False):
        super().__init__(message)
        self.output_tail = output_tail
        self.timed_out = timed_out


def tail(text, lines=25):
    return "\n".join(text.rstrip().splitlines()[-lines:])


def measure(argv, cwd, timeout_s):
    """Run argv once; return a Run, or raise BuildFailed.

    The child runs in its own process group so that a timeout kills everything it
    started. os.wait4 gives the rusage of the child and the descendants it waited
    for, so CPU time and peak RSS cover tools that fork workers (Sphinx -j).
    """
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=err, start_new_session=True)
        timed_out = threading.Event()

        def kill_group():
            timed_out.set()
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout_s, kill_group)
        timer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        except KeyboardInterrupt:
            kill_group()
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        # Popen did not reap the child itself; tell it so it does not try again.
        child.returncode = os.waitstatus_to_exitcode(status)

        if timed_out.is_set():
            raise BuildFailed("timed out after %d s" % timeout_s, read_tail(out, err),
                              timed_out=True)
        if child.returncode != 0:
            raise BuildFailed("exited with status %d" % child.returncode, read_tail(out, err))

    return Run(wall_s=wall, cpu_s=usage.ru_utime + usage.ru_stime,
               max_rss_kib=usage.ru_maxrss, load_1m=load)


def read_tail(out, err):
    parts = []
    for name, handle in (("stderr", err), ("stdout", out)):
        handle.seek(0)
        text = handle.read().decode("utf-8", "replace")
        if text.strip():
            parts.append("    --- %s (last lines) ---\n%s" % (name, tail(text)))
    return "\n".join(parts) or "    (no output)"


def count_html(folder):
    """HTML pages under folder, leaving out a top-level 404.html: a not-found page is
    not one of the corpus pages, and loopbook and Hugo both may write one."""
    found = sum(1 for _, _, files in os.walk(folder) for f in files if f.endswith(".html"))
    return found - (1 if (Path(folder) / "404.html").is_file() else 0)


def bench_case(case, corpus, manifest, runs, timeout_s, trash):
    # A case on the real Sphinx tree builds its own fixed set of pages, whatever the size.
    pages = case.expected_pages or manifest["n_pages"]
    expected = case.expected_pages or manifest["pages_rendered_per_tool"]
    result = Result(case.name, pages, case.layout, html_expected=expected)
    layout = corpus / case.layout
    if not layout.is_dir():
        result.status = "no layout"
        print("  %-13s %6d pages: skipped, %s/ not generated by gen_corpus.py"
              % (case.name, pages, case.layout))
        return result

    for i in range(runs):
        outputs.clear([layout / name for name in case.clean], trash)
        try:
            run = measure(case.argv(layout), layout, timeout_s)
        except BuildFailed as failure:
            result.status = "timeout" if failure.timed_out else "failed"
            print("  %-13s %6d pages: run %d/%d FAILED: %s\n    command: %s\n%s"
                  % (case.name, pages, i + 1, runs, failure,
                     " ".join(case.argv(layout)), failure.output_tail), flush=True)
            return result
        result.runs.append(run)
        print("  %-13s %6d pages: run %d/%d  wall %7.2f s  cpu %7.2f s  rss %7.1f MiB"
              "  (load %.2f at start)"
              % (case.name, pages, i + 1, runs, run.wall_s, run.cpu_s,
                 run.max_rss_kib / 1024, run.load_1m), flush=True)

    result.html_found = count_html(layout / case.out_dir)
    if result.html_found != result.html_expected:
        # Only fewer pages is a problem; more are the tool's own (404, search, print).
        missing = result.html_found < result.html_expected
        level = "WARNING" if case.strict_page_count and missing else "note"
        if case.expected_pages:
            print("  %s: %s wrote %d .html files, expected %d"
                  % (level, case.name, result.html_found, result.html_expected))
        else:
            print("  %s: %s wrote %d .html files for %d pages, expected %d"
                  " (%d content + %d folder indexes + 1 root)"
                  % (level, case.name, result.html_found, pages, result.html_expected,
                     pages, manifest["n_folders"]))
    # A build that leaves pages out did less work than the others: its times are
    # shown but kept out of the ratios, and the script exits non-zero.
    if case.strict_page_count and result.html_found < result.html_expected:
        result.status = "incomplete"
    return result


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

COLUMNS = ["tool", "pages", "wall (s)", "CPU (s)", "peak RSS (MiB)", "runs",
           "load at start", ".html files"]


def table_rows(results):
    rows = []
    for r in results:
        if not r.runs:
            rows.append([r.case, str(r.pages), r.status, "", "", "0", "", ""])
            continue
        loads = [run.load_1m for run in r.runs]
        wall = "%.2f" % r.median("wall_s")
        if r.status != "ok":
            wall += " (%s)" % r.status
        html = "" if r.html_found is None else "%d / %d" % (r.html_found, r.html_expected)
        rows.append([r.case, str(r.pages), wall, "%.2f" % r.median("cpu_s"),
                     "%.1f" % (r.median("max_rss_kib") / 1024), str(len(r.runs)),
                     "%.2f-%.2f" % (min(loads), max(loads)), html])
    return rows


def format_table(rows, markdown):
    if markdown:
        lines = ["| " + " | ".join(COLUMNS) + " |",
                 "|" + "|".join("---" if i == 0 else "---:" for i in range(len(COLUMNS))) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(COLUMNS)]
    fmt = lambda row: "  ".join(  # noqa: E731
        cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
    return "\n".join([fmt(COLUMNS), fmt(["-" * w for w in widths])] + [fmt(row) for row in rows])


def ratio_lines(results, sizes, corpus_of):
    """loopbook wall against every other tool at each size (on the same corpus), then
    each tool's scaling."""
    wall = {(r.case, r.pages): r.median("wall_s")
            for r in results if r.status == "ok" and r.runs}
    lines = []
    for (case, pages), lb_wall in sorted(wall.items()):
        if not case.startswith("loopbook"):
            continue
        for (other, other_pages), other_wall in sorted(wall.items()):
            same_corpus = corpus_of.get(other) == corpus_of.get(case)
            if other_pages == pages and not other.startswith("loopbook") and same_corpus:
                lines.append("%s wall / %s wall at %d pages: %.3f"
                             % (case, other, pages, lb_wall / other_wall))

    if len(sizes) >= 2:
        low, high = min(sizes), max(sizes)
        for case in dict.fromkeys(r.case for r in results):
            if corpus_of.get(case) != "generated":
                continue
            if (case, low) in wall and (case, high) in wall:
                lines.append("%s scaling %d -> %d pages: wall x%.2f (pages x%.1f)"
                             % (case, low, high, wall[(case, high)] / wall[(case, low)],
                                high / low))
    return lines


def print_report(results, sizes, markdown, versions, corpus_of):
    print()
    print("Medians of clean builds (wall and CPU in seconds, CPU = user + sys of the"
          " process tree; .html files = found / expected pages):")
    print()
    shown = [r for r in results if r.status != "no layout"]
    if shown:
        print(format_table(table_rows(shown), markdown))
    skipped = sorted({(r.case, r.layout) for r in results if r.status == "no layout"})
    for case, layout in skipped:
        print("(%s skipped: the corpus has no %s/ layout yet)" % (case, layout))
    ratios = ratio_lines(results, sizes, corpus_of)
    if ratios:
        print()
        print("Ratios (median wall times; < 1 means loopbook is faster):")
        print()
        print("\n".join(("- " if markdown else "  ") + line for line in ratios))
    print()
    print("Tools:")
    for tool, version in versions.items():
        print(("- " if markdown else "  ") + "%s: %s" % (tool, version))


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def parse_sizes(text, option):
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("%s wants page counts like 1000,10000" % option)
    return sizes


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", default="1000,10000",
                    type=lambda s: parse_sizes(s, "--pages"),
                    help="corpus sizes, comma-separated (default 1000,10000)")
    ap.add_argument("--runs", type=int, default=3, help="clean builds per tool and size")
    ap.add_argument("--tools", default=",".join(ALL_TOOLS),
                    help="comma-separated subset of %s" % ",".join(ALL_TOOLS))
    ap.add_argument("--sphinx-pages", default="1000",
                    type=lambda s: parse_sizes(s, "--sphinx-pages"),
                    help="sizes at which Sphinx runs (slow: ~80 s per 1000 pages)")
    ap.add_argument("--work", default="/tmp/lb-bench", help="corpus and output folder")
    ap.add_argument("--timeout", type=int, default=1200, help="seconds per build")
    ap.add_argument("--loopbook", default=str(DEFAULT_LOOPBOOK),
                    help="loopbook binary (default target/release/loopbook)")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    ap.add_argument("--clear", choices=["aside", "delete"], default="aside",
                    help="how outputs are cleared before each run: moved aside (default)"
                         " or deleted right before it (see bench/outputs.py)")
    args = ap.parse_args(argv)

    args.tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = [t for t in args.tools if t not in ALL_TOOLS]
    if unknown:
        ap.error("unknown tool(s) %s; known: %s" % (", ".join(unknown), ", ".join(ALL_TOOLS)))
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    if not GENERATOR.is_file():
        sys.exit("error: corpus generator not found at %s (expected ../shared beside the"
                 " repository)" % GENERATOR)
    work = Path(args.work).resolve()
    sizes = sorted(set(args.pages))

    binaries = find_binaries(args.loopbook)
    versions = {}
    for tool in args.tools:
        if binaries[tool] is None:
            where = " at %s" % args.loopbook if tool == "loopbook" else ""
            print("%s: not installed%s, skipped" % (tool, where))
        else:
            versions[tool] = tool_version(tool, binaries[tool])
    # loopbook is often rebuilt while a benchmark runs; a changed binary is reported.
    stamps = {tool: binary_stamp(binaries[tool]) for tool in versions}
    cases = [c for c in build_cases(binaries, args.sphinx_pages)
             if c.tool in args.tools and binaries[c.tool] is not None]
    if not cases:
        sys.exit("error: none of the requested tools is installed")

    # The trash of an interrupted run is deleted at the end with this run's, not now,
    # for the same reason.
    trash = None if args.clear == "delete" else work / "trash"
    print("machine: %d CPUs, load average %s at start"
          % (os.cpu_count(), " ".join("%.2f" % x for x in os.getloadavg())))
    results = []
    for pages in sizes:
        corpus, manifest = ensure_corpus(work, pages)
        prepare_layouts(corpus, trash)
        for case in cases:
            if case.sizes is not None and pages not in case.sizes:
                continue
            results.append(bench_case(case, corpus, manifest, args.runs, args.timeout,
                                      trash))

    outputs.purge(trash)
    print("outputs cleared before each run: %s"
          % ("deleted at once (--clear delete)" if trash is None
             else "moved aside, deleted after the last run (--clear aside)"))
    print_report(results, sizes, args.markdown, versions,
                 {case.name: case.corpus for case in cases})
    for tool, stamp in stamps.items():
        if binary_stamp(binaries[tool]) != stamp:
            print("WARNING: %s (%s) was replaced while the benchmark ran: its figures may"
                  " mix two builds of it" % (tool, binaries[tool]))
    (work / "results.json").write_text(json.dumps(
        {"versions": versions, "cpus": os.cpu_count(),
         "results": [{"case": r.case, "pages": r.pages, "status": r.status,
                      "html_found": r.html_found, "html_expected": r.html_expected,
                      "runs": [vars(run) for run in r.runs]} for r in results]},
        indent=2) + "\n")
    print("\nraw runs: %s" % (work / "results.json"))

    failed = [r for r in results if r.status in ("failed", "timeout", "incomplete")]
    if failed:
        sys.stdout.flush()
        print("error: %d build(s) failed or left pages out: %s"
              % (len(failed), ", ".join("%s at %d pages (%s)" % (r.case, r.pages, r.status)
                                        for r in failed)),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
