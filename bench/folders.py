"""Deterministic input folders for the job benchmarks (``bench/bench_job.py`` and friends).

Each generator writes the same bytes for the same arguments (seeded ``random.Random``,
no clock, no set ordering), so two bench runs translate identical folders and a
smaller folder is the prefix of a larger one (the first N files, paragraphs or rows):

* :func:`write_small_markdown` -- N small Markdown pages, 1 to 3 paragraphs each (a spec
  split into many files);
* :func:`write_docx` -- one Word document of N body paragraphs (python-docx);
* :func:`write_l10n_csv` -- a localization table ``key,en,<target columns>`` of N rows with
  empty target cells (``[csv] mode = "fill"``), UI strings with ``{placeholders}``;
* :func:`write_json_catalog` -- an i18next-style ``locales/en/app.json`` of N keys in
  sections of 25, the same strings as the table;
* :func:`write_po_catalog` -- a gettext template ``po/messages.pot`` of N entries: the
  same strings with source references, an extracted comment every 10th entry, a
  ``msgctxt`` every 7th and a ``%d`` plural entry every 20th.

The text is English-like prose drawn from a fixed technical vocabulary: every paragraph
is distinct, so neither the cache nor de-duplication shrinks the work.
"""
from __future__ import annotations

import csv
import io
import random
from pathlib import Path

_NOUNS = ("server", "client", "request", "token", "folder", "file", "document", "table", "column",
          "segment", "translation", "glossary", "memory", "cache", "ledger", "report", "budget",
          "limit", "model", "region", "endpoint", "account", "key", "paragraph", "heading", "link",
          "image", "caption", "footnote", "comment", "style", "template", "plugin", "option",
          "setting", "schedule", "queue", "worker", "pipeline", "build", "release", "branch",
          "commit", "review", "user", "team", "project", "workspace", "dashboard", "workflow")
_VERBS = ("translates", "reads", "writes", "checks", "sends", "stores", "keeps", "skips", "splits",
          "joins", "counts", "lists", "updates", "replaces", "protects", "retries", "waits for",
          "reports", "exports", "imports", "validates", "renders", "schedules", "measures")
_ADJECTIVES = ("new", "old", "large", "small", "shared", "local", "remote", "default", "custom",
               "empty", "partial", "complete", "current", "previous", "next", "invalid", "secure",
               "public", "private", "optional", "required", "visible", "hidden", "stable")
_ADVERBS = ("quickly", "once", "again", "safely", "silently", "automatically", "in order",
            "at once", "later", "first", "by default", "on request")
_LINKS = ("when", "because", "so that", "unless", "after", "before", "while", "and then")
_UI = ("Save {name}", "Delete {count} files?", "Open the {item} settings", "Sign in to continue",
       "Your changes to {name} were saved", "Cannot connect to {host}", "{count} items selected",
       "Rename {item}", "Upload failed: {reason}", "Share {name} with your team",
       "Last synced {time} ago", "Remove {user} from {project}?", "Search in {folder}",
       "Download {count} files", "Restore the previous version of {name}")


def _phrase(rng: random.Random) -> str:
    return f"the {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"


def sentence(rng: random.Random) -> str:
    """One sentence of 8 to 20 words."""
    words = [_phrase(rng), rng.choice(_VERBS), _phrase(rng)]
    if rng.random() < 0.6:
        words += [rng.choice(_ADVERBS)]
    if rng.random() < 0.7:
        words += [rng.choice(_LINKS), _phrase(rng), rng.choice(_VERBS), _phrase(rng)]
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, sentences: tuple[int, int] = (3, 5)) -> str:
    """A paragraph of a few sentences (about 60 words, 70 to 80 tokens)."""
    return " ".join(sentence(rng) for _ in range(rng.randint(*sentences)))


def write_small_markdown(folder: Path, files: int, seed: int = 13) -> list[Path]:
    """``files`` pages ``page-NNNNN.md`` (in 100-file subfolders): a heading and 1 to 3
    paragraphs each. Each file's text depends only on the seed and its index."""
    paths = []
    for index in range(files):
        rng = random.Random(f"{seed}-md-{index}")
        body = [f"# {sentence(rng)[:-1]}"] + [paragraph(rng) for _ in range(rng.randint(1, 3))]
        path = folder / f"part-{index // 100:03d}" / f"page-{index:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n\n".join(body) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def docx_paragraphs(count: int, seed: int = 13) -> list[tuple[str, str]]:
    """(style, text) of the generated document's body: a heading every 25 paragraphs."""
    out: list[tuple[str, str]] = []
    for index in range(count):
        rng = random.Random(f"{seed}-docx-{index}")
        if index % 25 == 0:
            out.append(("Heading 1", sentence(rng)[:-1]))
        else:
            out.append(("Normal", paragraph(rng)))
    return out


def write_docx(path: Path, paragraphs: int, seed: int = 13) -> Path:
    """One Word document of ``paragraphs`` body paragraphs, some with a bold run."""
    import docx  # python-docx, a test extra (make setup installs it)

    document = docx.Document()
    for style, text in docx_paragraphs(paragraphs, seed):
        para = document.add_paragraph(style=style)
        head, _, tail = text.partition(" ")
        if style == "Normal" and tail:
            para.add_run(head + " ").bold = True   # an inline tag, as real documents have
            para.add_run(tail)
        else:
            para.add_run(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    document.save(buffer)
    # python-docx stamps the core properties with the current time: pin them so the bytes repeat.
    path.write_bytes(_pinned_docx(buffer.getvalue()))
    return path


def _pinned_docx(data: bytes) -> bytes:
    """The package with a fixed date in docProps/core.xml and fixed zip timestamps."""
    import re
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2026-01-01T00:00:00Z", body)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0)), body,
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def l10n_rows(rows: int, seed: int = 13) -> list[tuple[str, str]]:
    """(key, English text): short UI strings with placeholders and longer help texts."""
    out = []
    for index in range(rows):
        rng = random.Random(f"{seed}-csv-{index}")
        area = rng.choice(_NOUNS)
        if index % 3 == 0:
            text = rng.choice(_UI).format(name="{name}", count="{count}", item="{item}", host="{host}",
                                          reason="{reason}", time="{time}", user="{user}",
                                          project="{project}", folder="{folder}")
            text = f"{text} ({rng.choice(_ADJECTIVES)} {area}, {rng.choice(_NOUNS)} {index})"
        else:
            text = paragraph(rng, (1, 2))
        out.append((f"{area}.{rng.choice(_VERBS).split()[0]}.{index:05d}", text))
    return out


def write_l10n_csv(path: Path, rows: int, targets: tuple[str, ...], seed: int = 13) -> Path:
    """A localization table: ``key,en,<one column per target>`` with the targets empty."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["key", "en", *targets])
    for key, text in l10n_rows(rows, seed):
        writer.writerow([key, text, *([""] * len(targets))])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def write_json_catalog(path: Path, keys: int, seed: int = 13) -> Path:
    """A nested JSON string catalogue of ``keys`` values (sections of 25 keys, in index order)."""
    import json

    catalog: dict[str, dict[str, str]] = {}
    for index, (key, text) in enumerate(l10n_rows(keys, seed)):
        section = catalog.setdefault(f"section_{index // 25:04d}", {})
        section[key.replace(".", "_")] = text
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(catalog, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _po_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_po_catalog(path: Path, entries: int, seed: int = 13) -> Path:
    """A gettext template of ``entries`` entries (see the module docstring)."""
    lines = ['msgid ""', 'msgstr ""', '"Project-Id-Version: bench 1.0\\n"', '"Language: \\n"',
             '"Content-Type: text/plain; charset=UTF-8\\n"', '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"', ""]
    for index, (key, text) in enumerate(l10n_rows(entries, seed)):
        rng = random.Random(f"{seed}-po-{index}")
        area = key.split(".")[0]
        if index % 10 == 0:
            lines.append(f"#. {rng.choice(_ADJECTIVES)} {area} label on the {rng.choice(_NOUNS)} screen")
        lines.append(f"#: src/{area}/views.py:{index + 1}")
        if index % 20 == 0:
            noun = rng.choice(_NOUNS)
            lines += ["#, c-format", f'msgid "%d {noun} in the {area} ({index})"',
                      f'msgid_plural "%d {noun}s in the {area} ({index})"', 'msgstr[0] ""', 'msgstr[1] ""', ""]
            continue
        if index % 7 == 0:
            lines.append(f'msgctxt "{area}"')
        lines += [f"msgid {_po_string(text)}", 'msgstr ""', ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# --- a mixed docs site -----------------------------------------------------------------------

#: Sections of the generated docs site, in discovery order (the folders sort so).
_SECTIONS = ("api", "blog", "concepts", "guides", "how-to", "integrations", "reference", "releases", "tutorials")
#: The site's huge pages: (index, segments). A real docs site has a few: an API reference, a
#: configuration reference, a changelog. Placed in the middle of the discovery order, where a
#: huge page has small pages planned before and after it.
_HUGE_PAGES = ((37, 1000), (71, 640), (118, 420))


def docs_page_sizes(pages: int, seed: int = 13) -> list[int]:
    """Segments of each page of :func:`write_docs_site`: lognormal (median 30, many small
    pages, a long tail) within 1 to 1,000, and the few huge pages of ``_HUGE_PAGES``."""
    rng = random.Random(f"{seed}-docs-sizes")
    sizes = [max(1, min(400, round(rng.lognormvariate(3.6, 1.1)))) for _ in range(pages)]
    for index, size in _HUGE_PAGES:
        if index < pages:
            sizes[index] = size
    for index in range(0, pages, 23):   # one-line pages (a redirect stub, a title and a sentence)
        sizes[index] = 1 + index % 2
    return sizes


Block = tuple[str, list[list[str]]]   # (kind, rows of texts): a heading or paragraph is one row of one text


def _blocks(rng: random.Random, segments: int) -> list[Block]:
    """A page's blocks, about ``segments`` segments in all: heading, paragraph, note and
    code (one text), list (one item a row) and table (rows of three cells)."""
    out: list[Block] = []
    left = segments
    while left > 0:
        roll = rng.random()
        if roll < 0.12 or left == 1:
            out.append(("heading", [[sentence(rng)[:-1]]]))
            left -= 1
        elif roll < 0.55:
            out.append(("paragraph", [[paragraph(rng, (1, 4))]]))
            left -= 1
        elif roll < 0.75:
            items = min(left, rng.randint(2, 6))
            out.append(("list", [[sentence(rng)] for _ in range(items)]))
            left -= items
        elif roll < 0.85 and left >= 6:
            rows = min(left // 3, rng.randint(2, 8))
            out.append(("table", [[f"`{rng.choice(_NOUNS)}_{r}`", rng.choice(_ADJECTIVES), sentence(rng)]
                                  for r in range(rows)]))
            left -= rows * 3
        elif roll < 0.93:
            out.append(("code", [[f"qmt {rng.choice(_VERBS).split()[0]} --{rng.choice(_NOUNS)} {rng.randint(1, 99)}"]]))
        else:
            out.append(("note", [[sentence(rng)]]))
            left -= 1
    return out


def _markdown(title: str, blocks: list[Block], mdx: bool) -> str:
    lines = [f"# {title}", ""]
    for kind, rows in blocks:
        text = rows[0][0]
        if kind == "heading":
            lines += [f"## {text}", ""]
        elif kind == "paragraph":
            lines += [text, ""]
        elif kind == "list":
            lines += [f"- {item}" for item, in rows] + [""]
        elif kind == "table":
            lines += ["| Name | Kind | Description |", "|---|---|---|"]
            lines += [f"| {' | '.join(row)} |" for row in rows] + [""]
        elif kind == "code":
            lines += ["```sh", text, "```", ""]
        elif mdx:
            lines += ['<Aside type="note">', "", text, "", "</Aside>", ""]
        else:
            lines += [f"> **Note:** {text}", ""]
    return "\n".join(lines)


def _html(title: str, blocks: list[Block]) -> str:
    lines = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">', f"<title>{title}</title>",
             "</head>", "<body>", f"<h1>{title}</h1>"]
    for kind, rows in blocks:
        text = rows[0][0]
        if kind == "heading":
            lines.append(f"<h2>{text}</h2>")
        elif kind in ("paragraph", "note"):
            lines.append(f"<p>{text}</p>")
        elif kind == "list":
            lines += ["<ul>"] + [f"<li>{item}</li>" for item, in rows] + ["</ul>"]
        elif kind == "table":
            lines += ["<table>"] + ["<tr>" + "".join(f"<td>{cell.strip('`')}</td>" for cell in row) + "</tr>"
                                    for row in rows] + ["</table>"]
        else:
            lines.append(f"<pre><code>{text}</code></pre>")
    return "\n".join(lines + ["</body>", "</html>", ""])


def write_docs_site(folder: Path, pages: int = 155, seed: int = 13) -> list[Path]:
    """A docs site of ``pages`` pages in section folders: mostly Markdown, every 9th page
    MDX (front matter, an import, an ``<Aside>`` component) and every 13th HTML, sized by
    :func:`docs_page_sizes` (one to a thousand segments: headings, paragraphs of one to
    four sentences, list items, table cells; code blocks are not translated). Each page
    depends only on the seed and its index."""
    paths = []
    for index, size in enumerate(docs_page_sizes(pages, seed)):
        rng = random.Random(f"{seed}-docs-{index}")
        title = sentence(rng)[:-1]
        blocks = _blocks(rng, size - 1)
        stem = folder / _SECTIONS[index * len(_SECTIONS) // pages] / f"page-{index:03d}"
        if index % 13 == 6:
            path, text = stem.with_suffix(".html"), _html(title, blocks)
        elif index % 9 == 4:
            front = f"---\ntitle: {title}\ndescription: {sentence(rng)}\n---\n\nimport {{ Aside }} from '@astrojs/starlight/components';\n\n"
            path, text = stem.with_suffix(".mdx"), front + _markdown(title, blocks, mdx=True)
        else:
            path, text = stem.with_suffix(".md"), _markdown(title, blocks, mdx=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
