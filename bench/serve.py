#!/usr/bin/env python3
"""Benchmark `loopbook serve` against `mdbook serve`, and incremental `loopbook build`.

Needs: Python 3.9+ (standard library only), Linux, a release build of loopbook
(`cargo build --release`), and mdbook 0.5 on PATH (skipped when missing).

Usage:
    python3 bench/serve.py [--pages 1000] [--runs 5] [--work /tmp/lb-serve-bench]
                           [--loopbook PATH] [--mdbook PATH] [--tools loopbook,mdbook]

Steps:
 1. Generate the synthetic corpus with ../shared/bench/gen_corpus.py (its mdbook/
    layout) and make one copy per tool. Each copy gets the same two additions in its
    own syntax: a partial included by 100 pages, and a copy of the tool's page template
    (loopbook: themes/default/templates/page.html; mdbook: theme/index.hbs).
 2. For each tool: start `serve` on a free port of 127.0.0.1, wait for the first
    build, connect to its live-reload channel (loopbook: server-sent events at
    /__loopbook/events; mdbook: the WebSocket at /__livereload), then for each
    scenario run `runs` edits, one at a time:
      page      one page's text changes (a marker word is replaced);
      include   the partial used by 100 pages changes;
      template  the page template changes (every page).
    Each edit is an atomic save (write a temporary file, rename it over the
    original). Measured from the rename: `served`, until GET of the edited page (for
    include and template: a page that uses it) returns the new text, polled every
    2 ms; `reload`, until the reload message arrives.
 3. Incremental `loopbook build`: a clean build (output folder and cache removed
    first, `--no-cache`), then a build after one page changed (using the cache file),
    `runs` times each; the incremental output is compared byte for byte with a clean
    build's.
 4. Print medians (min-max) per tool and scenario, the targets, and write the raw
    figures to WORK/serve-results.json.

Exit status: 0 when everything ran, 1 when a tool failed or an output differed,
2 on a usage error.
"""
import argparse
import base64
import filecmp
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import outputs  # bench/outputs.py: why outputs are moved aside rather than deleted

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
GENERATOR = REPO_DIR.parent / "shared" / "bench" / "gen_corpus.py"
TIMEOUT = 120.0
INCLUDED_BY = 100


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def atomic_write(path, text):
    temporary = path.with_name(f".{path.name}.bench-tmp")
    temporary.write_text(text)
    os.rename(temporary, path)
    return time.perf_counter()


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return response.read().decode("utf-8", "replace")
    except OSError:
        return None


def wait_for_text(url, text, since):
    """Seconds from `since` until `url` serves `text`."""
    deadline = since + TIMEOUT
    while time.perf_counter() < deadline:
        body = fetch(url)
        if body is not None and text in body:
            return time.perf_counter() - since
        time.sleep(0.002)
    raise RuntimeError(f"{url} never showed {text!r}")


class ReloadListener:
    """Records the arrival time of every reload message on a background thread."""

    def __init__(self, kind, port, path):
        self.times = []
        self.condition = threading.Condition()
        self.kind, self.port, self.path = kind, port, path
        self.connect()
        threading.Thread(target=self.run, daemon=True).start()

    def connect(self):
        kind, path = self.kind, self.path
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)
        if kind == "sse":
            request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Accept: text/event-stream\r\n\r\n")
        else:
            key = base64.b64encode(os.urandom(16)).decode()
            request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                       f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                       "Sec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(request.encode())

    def note(self):
        with self.condition:
            self.times.append(time.perf_counter())
            self.condition.notify_all()

    def run(self):
        buffer = b""
        self.sock.settimeout(None)
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                # mdbook closes its socket after each reload (the page reconnects when
                # it reloads): connect again, as the page would.
                try:
                    self.connect()
                    self.sock.settimeout(None)
                except OSError:
                    return
                buffer = b""
                continue
            buffer += chunk
            if self.kind == "sse":
                while b"event: reload\n" in buffer:
                    buffer = buffer.split(b"event: reload\n", 1)[1]
                    self.note()
            else:
                # Server frames are unmasked; a text frame holding "reload" is a reload.
                while b"reload" in buffer:
                    buffer = buffer.split(b"reload", 1)[1]
                    self.note()

    def wait_after(self, since):
        deadline = time.time() + TIMEOUT
        with self.condition:
            while True:
                late = [t for t in self.times if t >= since]
                if late:
                    return late[0] - since
                left = deadline - time.time()
                if left <= 0:
                    raise RuntimeError("no reload message")
                self.condition.wait(left)


def prepare(corpus, target, tool, loopbook_template):
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(corpus, target)
    src = target / "src"
    pages = sorted(p for p in src.rglob("*.md") if p.name not in ("SUMMARY.md", "README.md"))
    partial = src / "partials" / "shared-note.md"
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.write_text("Shared note: SHARED-0.\n")
    users = pages[:INCLUDED_BY]
    for page in users:
        relative = os.path.relpath(partial, page.parent)
        if tool == "loopbook":
            addition = "\n```{include} /partials/shared-note.md\n```\n"
        else:
            addition = f"\n{{{{#include {relative}}}}}\n"
        page.write_text(page.read_text() + addition)
    edited = pages[-1]
    edited.write_text(edited.read_text() + "\nMarker PAGE-0 here.\n")
    if tool == "loopbook":
        book_toml = target / "book.toml"
        book_toml.write_text(book_toml.read_text() + '\n[build]\nexclude = ["partials/**"]\n')
        template = target / "themes" / "default" / "templates" / "page.html"
        template.parent.mkdir(parents=True)
        shutil.copy(loopbook_template, template)
    else:
        with_theme = target.parent / "mdbook-theme-source"
        shutil.rmtree(with_theme, ignore_errors=True)
        subprocess.run(["mdbook", "init", "--theme", "--title", "t", "--ignore", "none",
                        str(with_theme)], check=True, capture_output=True)
        template = target / "theme" / "index.hbs"
        template.parent.mkdir()
        shutil.copy(with_theme / "theme" / "index.hbs", template)
    return {"page": edited, "include": partial, "template": template, "user": users[0]}


def html_path(book, source, tool):
    relative = source.relative_to(book / "src").with_suffix(".html")
    return "/" + relative.as_posix()


def edit(scenario, files, run, tool):
    """Makes the scenario's change; returns (file saved, marker the page will show)."""
    if scenario == "page":
        path = files["page"]
        text = path.read_text()
        old = text[text.index("PAGE-"):].split()[0]
        marker = f"PAGE-{run + 1}"
        return path, text.replace(old, marker), marker
    if scenario == "include":
        path = files["include"]
        marker = f"SHARED-{run + 1}"
        return path, f"Shared note: {marker}.\n", marker
    path = files["template"]
    text = path.read_text()
    marker = f"TEMPLATE-{run + 1}"
    comment = f"<!-- {marker} -->"
    lines = [line for line in text.splitlines(True) if "TEMPLATE-" not in line]
    # The marker goes into the page's body so a GET shows it.
    for index, line in enumerate(lines):
        if ("<article" in line and tool == "loopbook") or ("<main>" in line and tool == "mdbook"):
            lines.insert(index, f"{comment}\n")
            break
    else:
        raise RuntimeError(f"no place for the marker in {path}")
    return path, "".join(lines), marker


def bench_serve(tool, binary, book, files, runs):
    if tool == "mdbook":
        # A full rebuild per edit: a few runs tell the story.
        runs = min(runs, 3)
    port = free_port()
    if tool == "loopbook":
        argv = [binary, "--color", "never", "-q", "serve", "--port", str(port), str(book)]
    else:
        argv = [binary, "serve", "--port", str(port), "--hostname", "127.0.0.1", str(book)]
    log = open(book.parent / f"{tool}-serve.log", "w")
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    try:
        page_url = f"http://127.0.0.1:{port}{html_path(book, files['page'], tool)}"
        user_url = f"http://127.0.0.1:{port}{html_path(book, files['user'], tool)}"
        started = time.perf_counter()
        wait_for_text(page_url, "PAGE-0", started)
        if tool == "loopbook":
            listener = ReloadListener("sse", port, "/__loopbook/events")
        else:
            listener = ReloadListener("ws", port, "/__livereload")
        time.sleep(1.0)
        results = {}
        for scenario in ("page", "include", "template"):
            served, reloads = [], []
            url = page_url if scenario in ("page", "template") else user_url
            for run in range(runs):
                path, text, marker = edit(scenario, files, run, tool)
                saved = atomic_write(path, text)
                served.append(wait_for_text(url, marker, saved))
                reloads.append(listener.wait_after(saved))
                # Let the watcher settle so each edit is measured on its own.
                time.sleep(0.6 if tool == "loopbook" else 1.5)
            results[scenario] = {"served": served, "reload": reloads}
            print(f"  {tool:8} {scenario:8} served {summary(served)}  reload {summary(reloads)}",
                  flush=True)
        return results
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def bench_incremental(binary, corpus, work, runs):
    book = work / "incremental"
    if book.exists():
        shutil.rmtree(book)
    shutil.copytree(corpus, book)
    page = sorted((book / "src").rglob("*.md"))[-1]
    clean_times, incremental_times = [], []
    trash = work / "trash"
    for _ in range(runs):
        # A clean build starts from nothing: no output folder, no cache.
        outputs.clear([book / "public", book / ".public.loopbook-cache"], trash)
        clean_times.append(timed([binary, "-q", "build", "--no-cache", str(book)]))
    for run in range(runs):
        page.write_text(page.read_text() + f"\nIncremental edit {run}.\n")
        incremental_times.append(timed([binary, "-q", "build", str(book)]))
    reference = work / "incremental-clean"
    shutil.rmtree(reference, ignore_errors=True)
    timed([binary, "-q", "build", "--no-cache", "--dest-dir", str(reference), str(book)])
    identical = same_tree(book / "public", reference)
    outputs.purge(trash)
    return {"clean": clean_times, "incremental": incremental_times, "identical": identical}


def timed(argv):
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - started


def same_tree(a, b):
    compared = filecmp.dircmp(a, b)
    if compared.left_only or compared.right_only or compared.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, compared.common_files, shallow=False)
    if mismatch or errors:
        return False
    return all(same_tree(a / name, b / name) for name in compared.common_dirs)


def summary(values):
    ms = [value * 1000 for value in values]
    return f"{statistics.median(ms):7.1f} ms ({min(ms):.1f}-{max(ms):.1f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path("/tmp/lb-serve-bench"))
    parser.add_argument("--loopbook", default=str(REPO_DIR / "target" / "release" / "loopbook"))
    parser.add_argument("--mdbook", default=shutil.which("mdbook"))
    parser.add_argument("--tools", default="loopbook,mdbook")
    args = parser.parse_args()
    tools = args.tools.split(",")
    if not Path(args.loopbook).is_file():
        print(f"no loopbook binary at {args.loopbook}: run `cargo build --release`")
        return 2

    args.work.mkdir(parents=True, exist_ok=True)
    generated = args.work / f"corpus-{args.pages}"
    if not (generated / "mdbook").is_dir():
        subprocess.run([sys.executable, str(GENERATOR), str(args.pages), str(generated)],
                       check=True, stdout=subprocess.DEVNULL)
    corpus = generated / "mdbook"
    template = REPO_DIR / "themes" / "default" / "templates" / "page.html"
    load = os.getloadavg()[0]
    print(f"{args.pages} pages, {args.runs} runs, load {load:.2f} on {os.cpu_count()} cores")

    results = {"pages": args.pages, "runs": args.runs, "load": load, "serve": {}}
    failed = False
    for tool in tools:
        binary = args.loopbook if tool == "loopbook" else args.mdbook
        if not binary:
            print(f"  {tool}: not installed, skipped")
            continue
        book = args.work / f"{tool}-book"
        files = prepare(corpus, book, tool, template)
        try:
            results["serve"][tool] = bench_serve(tool, binary, book, files, args.runs)
        except (RuntimeError, OSError) as error:
            print(f"  {tool}: {error}")
            failed = True

    incremental = bench_incremental(args.loopbook, corpus, args.work, args.runs)
    results["build"] = incremental
    clean = statistics.median(incremental["clean"])
    again = statistics.median(incremental["incremental"])
    print(f"  build    clean {summary(incremental['clean'])}  after one page changed "
          f"{summary(incremental['incremental'])}  ({100 * again / clean:.1f}% of clean; "
          f"output {'identical' if incremental['identical'] else 'DIFFERENT'})")
    failed |= not incremental["identical"]

    lb = results["serve"].get("loopbook")
    if lb:
        print("targets: page edit <= 50 ms, include used by 100 pages <= 300 ms, "
              f"template <= clean build ({clean * 1000:.0f} ms), incremental build <= 10%")
    (args.work / "serve-results.json").write_text(json.dumps(results, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
