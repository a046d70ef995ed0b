"""Rebuild ``correct.jsonl`` from the gettext catalogues shipped inside PyPI packages.

Not run by the tests (they read the committed file): run it by hand after
``pip install django==5.2.20 humanize==4.17.0 wtforms==3.3.2 babel``::

    .venv/bin/python tests/review/qa/data/extract.py tests/review/qa/data/correct.jsonl

Every entry is a real human translation, reviewed by the package's translators, of a
message that holds a number, a placeholder or markup. HTML tags become qmt's inline tags
(``<a href=...>`` -> ``<g1>``, ``<br>`` -> ``<x2/>``), the k-th tag of a name in the
translation standing for the k-th tag of that name in the source, which is how qmt's
format modules hand tagged text to the checks.
"""
from __future__ import annotations

import json
import re
import sys
from importlib import import_module
from pathlib import Path

from babel.messages.pofile import read_po

LANGS = {"zh": ("zh_Hans", "zh_CN", "zh"), "ja": ("ja", "ja_JP"), "ko": ("ko", "ko_KR"), "de": ("de", "de_DE"),
         "fr": ("fr", "fr_FR"), "es": ("es", "es_ES"), "ru": ("ru", "ru_RU"), "ar": ("ar",)}
PACKAGES = ("django", "humanize", "wtforms")
HTML_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)((?:\s[^<>]*)?)(/?)>")
VOID = {"br", "img", "input", "hr", "meta", "link"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")
WANTED = re.compile(r"\d|%\(\w+\)[sdif]|%[sdif]|\{\w*\}|<[A-Za-z/]")


def to_tags(source: str, target: str) -> tuple[str, str] | None:
    """Both sides with HTML tags as qmt tags; None when the tags do not pair up."""
    ids: dict[tuple[str, int], int] = {}
    counter = [0]

    def convert(text: str, assign: bool) -> str | None:
        seen: dict[str, int] = {}
        stack: list[int] = []
        out, pos = [], 0
        for m in HTML_RE.finditer(text):
            closing, name = m.group(1), m.group(2).lower()
            out.append(text[pos:m.start()])
            pos = m.end()
            if closing:
                if not stack:
                    return None
                out.append(f"</g{stack.pop()}>")
                continue
            k = seen.get(name, 0)
            seen[name] = k + 1
            if assign:
                counter[0] += 1
                ids[(name, k)] = counter[0]
            if (name, k) not in ids:
                return None
            n = ids[(name, k)]
            if name in VOID or m.group(4):
                out.append(f"<x{n}/>")
            else:
                out.append(f"<g{n}>")
                stack.append(n)
        out.append(text[pos:])
        return None if stack else "".join(out)

    src = convert(source, True)
    tgt = convert(target, False) if src is not None else None
    return (src, tgt) if tgt is not None else None


def catalogues(package: str, codes: tuple[str, ...]) -> list[Path]:
    root = Path(import_module(package).__file__).parent
    for code in codes:
        found = sorted(root.rglob(f"locale/{code}/LC_MESSAGES/*.po"))
        if found:
            return found
    return []


def main(out_path: str) -> None:
    lines: list[str] = []
    seen: set[tuple[str, str]] = set()
    for lang, codes in LANGS.items():
        for package in PACKAGES:
            version = import_module(package).__version__ if hasattr(import_module(package), "__version__") else ""
            for po in catalogues(package, codes):
                rel = po.relative_to(Path(import_module(package).__file__).parent.parent)
                with po.open("rb") as fh:
                    catalog = read_po(fh)
                for msg in catalog:
                    if not msg.id or msg.fuzzy:
                        continue
                    if msg.pluralizable:
                        pairs = [(msg.id[1], msg.string[-1])]
                    else:
                        pairs = [(msg.id, msg.string)]
                    for source, target in pairs:
                        if not target or not WANTED.search(source) or (lang, source) in seen:
                            continue
                        converted = to_tags(source, target)
                        if converted is None:
                            continue
                        seen.add((lang, source))
                        lines.append(json.dumps({"lang": lang, "source": converted[0], "target": converted[1],
                                                 "from": f"{package} {version} {rel}"}, ensure_ascii=False))
    Path(out_path).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
