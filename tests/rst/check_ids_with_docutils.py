#!/usr/bin/env python3
"""Cross-check the heading ids of the blessed example files against docutils itself.

Usage: python3 tests/rst/check_ids_with_docutils.py   (needs docutils installed)

For every tests/rst/cases/NAME.rst, parse it with docutils using the settings Sphinx
uses (auto_id_prefix "id", no document-title promotion), take the ids of its sections
in order, and compare them with the `<hN id="…">` ids in NAME.html. Cases that need
Sphinx-only directives to produce their sections (`only`) are listed as skipped.
Exit status 1 when an id differs.
"""
import re
import sys
from pathlib import Path

from docutils import nodes
from docutils.core import publish_doctree

CASES = Path(__file__).resolve().parent / "cases"
SPHINX_ONLY = {"only_with_section.rst"}


def main():
    differing = 0
    checked = 0
    for case in sorted(CASES.glob("*.rst")):
        if case.name.startswith("_") or case.name in SPHINX_ONLY:
            continue
        document = publish_doctree(
            case.read_text(encoding="utf-8"),
            source_path=str(case),
            settings_overrides={
                "auto_id_prefix": "id",
                "doctitle_xform": False,
                "report_level": 5,
                "halt_level": 5,
            },
        )
        expected = [s["ids"][0] for s in document.findall(nodes.section) if s["ids"]]
        blessed = re.findall(r'<h[1-6] id="([^"]*)"', case.with_suffix(".html").read_text())
        checked += 1
        if expected != blessed:
            differing += 1
            print("%s: docutils %s, loopbook %s" % (case.name, expected, blessed))
    print("%d cases checked, %d differ, skipped: %s"
          % (checked, differing, ", ".join(sorted(SPHINX_ONLY))))
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
