#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Check the translations of the addons against their templates.

    python3 scripts/check_po.py [addon/i18n/xx.po ...]     (default: every .po of every addon)

For each .po: it is valid gettext (msgfmt --check-format); every msgid of the addon's .pot is in it (run msgmerge
when the .pot changed); no msgid is in it that the .pot lacks; and each translation keeps what the program fills in
or reads: the same Python placeholders (%s, %(name)s, %d, %%), the same {{ expressions }} and Jinja/QWeb
expressions, the same HTML/XML tags with the same attributes (their values but for human text: alt, title,
placeholder, aria-label), and the same leading and trailing line breaks. Prints one line per problem; exit 1 when
there is one.
"""
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
# (no space flag: "% followed up" is a percent sign before words, not a placeholder)
PLACEHOLDER = re.compile(r"%(?:\([a-zA-Z_][a-zA-Z0-9_]*\))?[-#0+]*\d*(?:\.\d+)?[sdifr%]")
EXPRESSION = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|#\{.*?\}")
TAG = re.compile(r"<(/?)([a-zA-Z][\w:.-]*)((?:\s+[\w:.@-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'))?)*)\s*(/?)>")
ATTRIBUTE = re.compile(r"([\w:.@-]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'))?")
HUMAN_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "string", "help", "data-tooltip", "confirm"}


def tags(text):
    found = []
    for closing, name, attributes, selfclosing in TAG.findall(text):
        attrs = tuple(sorted((key, None if key in HUMAN_ATTRIBUTES else value)
                             for key, value in ATTRIBUTE.findall(attributes)))
        found.append((closing, name.lower(), attrs, selfclosing))
    return Counter(found)


def problems(entry):
    source, target = entry.msgid, entry.msgstr
    if not target:
        return []
    found = []
    if Counter(PLACEHOLDER.findall(source)) != Counter(PLACEHOLDER.findall(target)):
        found.append(f"placeholders {sorted(PLACEHOLDER.findall(source))} != {sorted(PLACEHOLDER.findall(target))}")
    if Counter(EXPRESSION.findall(source)) != Counter(EXPRESSION.findall(target)):
        found.append("expressions ({{ }}, {% %}, #{ }) differ")
    if tags(source) != tags(target):
        found.append(f"HTML tags or attributes differ: {sorted(tags(source) - tags(target))[:3]} / "
                     f"{sorted(tags(target) - tags(source))[:3]}")
    for edge, pick in (("leading", lambda text: re.match(r"\s*", text).group()),
                       ("trailing", lambda text: re.search(r"\s*$", text).group())):
        if pick(source).count("\n") != pick(target).count("\n"):
            found.append(f"{edge} line breaks differ")
    return found


def check(path):
    path = Path(path)
    addon = path.parent.parent.name
    pot_path = path.parent / f"{addon}.pot"
    lines = []
    checked = subprocess.run(["msgfmt", "--check-format", "-o", "/dev/null", str(path)], capture_output=True,
                             text=True)
    if checked.returncode:
        lines.append(f"{path}: msgfmt: {checked.stderr.strip()}")
    po = polib.pofile(str(path))
    pot = polib.pofile(str(pot_path)) if pot_path.exists() else None
    if pot is not None:
        ids = {(entry.msgctxt, entry.msgid) for entry in po if not entry.obsolete}
        missing = [entry.msgid for entry in pot if (entry.msgctxt, entry.msgid) not in ids]
        extra = [msgid for _ctx, msgid in ids - {(entry.msgctxt, entry.msgid) for entry in pot}]
        if missing:
            lines.append(f"{path}: {len(missing)} msgids of the .pot missing (msgmerge it), e.g. {missing[0][:60]!r}")
        if extra:
            lines.append(f"{path}: {len(extra)} msgids not in the .pot, e.g. {extra[0][:60]!r}")
    for entry in po:
        if entry.obsolete:
            continue
        for problem in problems(entry):
            lines.append(f"{path}:{entry.linenum}: {problem}: {entry.msgid[:70]!r}")
    return lines, len([entry for entry in po if entry.translated()]), len([entry for entry in po if not entry.obsolete])


def main(paths):
    paths = paths or sorted(str(path) for path in ROOT.glob("*/i18n/*.po"))
    failed = False
    for path in paths:
        lines, translated, total = check(path)
        for line in lines:
            print(line)
        failed = failed or bool(lines)
        print(f"{path}: {translated}/{total} translated{'' if not lines else f', {len(lines)} problems'}",
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
