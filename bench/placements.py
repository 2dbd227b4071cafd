#!/usr/bin/env python3
"""What placements cost a build: the example site, and a generated site with many.

Needs: Python 3.9+ (standard library only) and a built loopbook (release by default).

Usage:
    python3 bench/placements.py [--placements 200] [--runs 5] [--work /tmp/lb-placements]
                                [--loopbook PATH]

Steps:
 1. Copy the example site (book.toml, content/, placements/) into WORK/example.
 2. Generate WORK/generated: N placement definitions (each with nested fields, a
    union, formats and two variants) and N pages, each page showing one placement's
    snippet, field table and payload, plus its advanced variant's snippet.
 3. Generate WORK/baseline: the same N pages with the directives replaced by code
    blocks of about the same size, and no placements, so the difference between the
    two is what the placements themselves cost (definitions, validation, snippets,
    schemas and 3N sample pages).
 4. For each site, run `runs` clean builds (output and cache moved aside first) and
    print the median, lowest and highest wall time, and the files written.

Exit status: 0 when every build succeeded, 1 when one failed, 2 on a usage error.
"""
import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import outputs  # bench/outputs.py: why outputs are moved aside rather than deleted

REPO_DIR = Path(__file__).resolve().parent.parent
DEFAULT_LOOPBOOK = REPO_DIR / "target" / "release" / "loopbook"

BOOK = """[book]
title = "Generated placements"

[variables]
site_id = "SITE-BENCH"
integration_url = "https://cdn.example/loader.js"

[placements]
queue = "_bench"
"""

DEFINITION = """name = "p{n:03}"
title = "Placement {n}"
summary = "Generated placement number {n}."
call = "call_{n}"
snippet = "{snippet}"
container = "widget-{n}"

[[fields]]
name = "order_number"
type = "string"
required = true
description = "Order number."

[[fields]]
name = "amount"
type = "decimal"
required = true
description = "Amount as a decimal string."

[[fields]]
name = "email"
type = "email"
required = true

[[fields]]
name = "codes"
type = ["string", "array<string>", "null"]
required = true

[[fields]]
name = "placed_at"
type = "datetime"

[[fields]]
name = "channel"
type = "enum(web|app|store)"

[[fields]]
name = "items"
type = "array<object>"
fields = [
  {{ name = "sku", type = "string", required = true }},
  {{ name = "price", type = "decimal", required = true }},
  {{ name = "quantity", type = "number", required = true }},
  {{ name = "url", type = "url" }},
]

[example]
order_number = "{n}00"
amount = "{n}.50"
email = "buyer{n}@example.com"
codes = ["CODE{n}"]
placed_at = 2026-03-14T09:26:53Z
channel = "web"
items = [
  {{ sku = "A-{n}", price = "1.50", quantity = 2, url = "https://shop.example/p/{n}" }},
  {{ sku = "B-{n}", price = "3.00", quantity = 1 }},
]

[variants.basic]
include = ["order_number", "amount", "email", "codes"]

[variants.basic.example]
order_number = "{n}00"
amount = "{n}.50"
email = "buyer{n}@example.com"
codes = "CODE{n}"

[variants.advanced]

[[variants.advanced.fields]]
name = "customer"
type = "object"
fields = [
  {{ name = "id", type = "string", required = true }},
  {{ name = "tier", type = "enum(standard|gold)" }},
]

[variants.advanced.example]
order_number = "{n}00"
amount = "{n}.50"
email = "buyer{n}@example.com"
codes = ["CODE{n}"]
customer = {{ id = "c{n}", tier = "gold" }}
"""

PAGE_WITH_PLACEMENTS = """# Placement {n}

Where placement {n} goes, and what it sends.

```{{placement}} p{n:03}
```

## Fields

```{{placement-fields}} p{n:03}
```

## Payload

```{{placement-payload}} p{n:03}
```

## With the customer

```{{placement}} p{n:03}
:variant: advanced
```
"""

PAGE_WITHOUT = """# Placement {n}

Where placement {n} goes, and what it sends.

```html
<script>
  window._bench = window._bench || [];
  _bench.push(["init", {{ site_id: "SITE-BENCH" }}]);
  _bench.push(["call_{n}", {{
    order_number: "{n}00", // Required. Order number.
    amount: "{n}.50", // Required. Amount as a decimal string.
    email: "buyer{n}@example.com", // Required.
    codes: ["CODE{n}"] // Required.
  }}]);
</script>
<script async src="https://cdn.example/loader.js"></script>
```

## Fields

| Field | Type | Required | Description |
|---|---|---|---|
| `order_number` | `string` | required | Order number. |
| `amount` | `decimal` | required | Amount as a decimal string. |
| `email` | `email` | required | |
| `codes` | `string \\| array<string> \\| null` | required | |
| `items` | `array<object>` | optional | |

## Payload

```json
{{ "order_number": "{n}00", "amount": "{n}.50", "email": "buyer{n}@example.com" }}
```
"""


def copy_example(target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    shutil.copy(REPO_DIR / "book.toml", target / "book.toml")
    for folder in ["content", "placements"]:
        shutil.copytree(REPO_DIR / folder, target / folder)


def generate(target: Path, count: int, with_placements: bool) -> None:
    shutil.rmtree(target, ignore_errors=True)
    (target / "content").mkdir(parents=True)
    (target / "book.toml").write_text(BOOK)
    (target / "content" / "index.md").write_text("# Generated\n\nPlacement pages.\n")
    if with_placements:
        (target / "placements").mkdir()
    for n in range(1, count + 1):
        page = PAGE_WITH_PLACEMENTS if with_placements else PAGE_WITHOUT
        (target / "content" / f"p{n:03}.md").write_text(page.format(n=n))
        if with_placements:
            snippet = "container" if n % 4 == 0 else "queue"
            definition = DEFINITION.format(n=n, snippet=snippet)
            (target / "placements" / f"p{n:03}.toml").write_text(definition)


def build_once(loopbook: Path, site: Path, trash: Path) -> tuple[float, int]:
    # A clean build: no output folder and no cache file from the run before.
    outputs.clear([site / "public", site / ".public.loopbook-cache"], trash)
    started = time.perf_counter()
    result = subprocess.run(
        [str(loopbook), "--color", "never", "-q", "build", str(site)],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        print(f"build of {site} failed:\n{result.stderr[-3000:]}", file=sys.stderr)
        raise SystemExit(1)
    files = sum(1 for path in (site / "public").rglob("*") if path.is_file())
    return elapsed, files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--placements", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path("/tmp/lb-placements"))
    parser.add_argument("--loopbook", type=Path, default=DEFAULT_LOOPBOOK)
    args = parser.parse_args()
    if not args.loopbook.is_file():
        print(f"no loopbook at {args.loopbook}: run `cargo build --release`", file=sys.stderr)
        return 2
    if args.placements < 1 or args.runs < 1:
        print("--placements and --runs must be at least 1", file=sys.stderr)
        return 2

    sites = {
        "example site": args.work / "example",
        f"{args.placements} placements": args.work / "generated",
        f"{args.placements} pages, no placements": args.work / "baseline",
    }
    copy_example(sites["example site"])
    generate(sites[f"{args.placements} placements"], args.placements, True)
    generate(sites[f"{args.placements} pages, no placements"], args.placements, False)

    trash = args.work / "trash"
    print(f"loopbook: {args.loopbook}; {args.runs} clean builds each")
    print(f"{'site':<32} {'median s':>9} {'min s':>7} {'max s':>7} {'files':>6}")
    for name, site in sites.items():
        times = []
        files = 0
        for _ in range(args.runs):
            elapsed, files = build_once(args.loopbook, site, trash)
            times.append(elapsed)
        print(
            f"{name:<32} {statistics.median(times):>9.3f} {min(times):>7.3f} "
            f"{max(times):>7.3f} {files:>6}"
        )
    outputs.purge(trash)
    return 0


if __name__ == "__main__":
    sys.exit(main())
