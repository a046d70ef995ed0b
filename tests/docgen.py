"""Document generators for property tests and the coverage soak (``bench/soak_coverage.py``).

Hypothesis strategies that build Markdown, DOCX and CSV documents from random nesting of
the constructs users write. Prose is drawn from :data:`PROSE` (words that appear nowhere
else: not in code, URLs or markup), so an oracle independent of qmt's walk can check the
output: after a pseudo-translation (every ASCII letter swapped) no prose word may be
left as it was, unless the run reported it. Code, URLs and ids use :data:`KEEP` words,
which must survive unchanged.
"""
from __future__ import annotations

import io
import re
import zipfile

from hypothesis import strategies as st

PROSE = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
         "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango")
KEEP = ("xcode", "yurl", "zpath")
PROSE_RE = re.compile(r"\b(" + "|".join(PROSE) + r")\b")

words = st.lists(st.sampled_from(PROSE), min_size=1, max_size=6).map(" ".join)


# --- Markdown -------------------------------------------------------------------------------

@st.composite
def md_inline(draw, depth: int = 0) -> str:
    """A line of prose with inline markup (emphasis, strong, code, links, strikethrough)."""
    parts = [draw(words)]
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["em", "strong", "code", "link", "strike", "plain", "image", "titled", "html",
                                     "break"]))
        inner = draw(md_inline(depth + 1)) if depth < 2 and kind in ("em", "strong", "link") else draw(words)
        parts.append({"em": f"*{inner}*", "strong": f"**{inner}**", "code": f"`{KEEP[0]}()`",
                      "link": f"[{inner}](https://{KEEP[1]}.example/{KEEP[2]})", "strike": f"~~{inner}~~",
                      "plain": draw(words), "image": f"![{inner}](/{KEEP[2]}.png)",
                      "titled": f'[{inner}](/{KEEP[2]} "{draw(words)}")', "html": f"<span>{inner}</span>",
                      "break": f"{inner}  \n{draw(words)}"}[kind])
        parts.append(draw(words))
    return " ".join(parts)


def _indent(lines: list[str], prefix: str, first: str | None = None) -> list[str]:
    out = []
    for i, line in enumerate(lines):
        lead = first if (i == 0 and first is not None) else prefix
        out.append((lead + line) if line else lead.rstrip())
    return out


@st.composite
def md_block(draw, depth: int = 0) -> list[str]:
    """One block as lines: paragraph, heading, code, list, quote, container or table."""
    kinds = ["paragraph", "heading", "code"] + (["list", "ordered", "quote", "container", "table"] if depth < 4 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "paragraph":   # several lines: soft (and hard) line breaks inside
        return [line for _ in range(draw(st.integers(1, 3))) for line in draw(md_inline()).split("\n")]
    if kind == "heading":
        return ["#" * draw(st.integers(1, 4)) + " " + draw(md_inline()).replace("  \n", " ")]
    if kind == "code":
        return ["```js", f"const {KEEP[0]} = '{KEEP[2]}'", "```"]
    if kind == "table":
        cols = draw(st.integers(1, 3))
        rows = [[draw(words) for _ in range(cols)] for _ in range(draw(st.integers(1, 3)))]
        head = [draw(words) for _ in range(cols)]
        return ["| " + " | ".join(head) + " |", "|" + "---|" * cols] + ["| " + " | ".join(r) + " |" for r in rows]
    body = draw(md_blocks(depth + 1))
    if kind == "quote":
        return _indent(body, "> ")
    if kind == "container":
        return [f"::: tip {draw(words)}", *body, ":::"]
    items = []
    for n in range(draw(st.integers(1, 3))):
        marker = "- " if kind == "list" else f"{n + 1}. "
        item = draw(md_blocks(depth + 1)) if n == 0 else [draw(md_inline())]
        items += _indent(item, " " * len(marker), marker)
    return items


@st.composite
def md_blocks(draw, depth: int = 0) -> list[str]:
    blocks = [draw(md_block(depth)) for _ in range(draw(st.integers(1, 3)))]
    out: list[str] = []
    for block in blocks:
        out += (block + [""])
    return out[:-1]


@st.composite
def markdown_documents(draw) -> str:
    """Front matter (keys qmt translates), nested blocks, sections, a footnote."""
    head = f"---\ntitle: {draw(words)}\ndescription: {draw(words)}\n---\n\n" if draw(st.booleans()) else ""
    lines = draw(md_blocks())
    tail = "".join(f"\n## {draw(words)}\n\n{draw(words)}.\n" for _ in range(draw(st.integers(0, 3))))
    if draw(st.booleans()):
        tail += f"\n{draw(words)}[^1] {draw(words)}.\n\n[^1]: {draw(md_inline())}\n".replace("  \n", " ")
    return head + "\n".join(lines) + "\n" + tail


# --- DOCX -----------------------------------------------------------------------------------

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _run(text: str, bold: bool = False) -> str:
    rpr = "<w:rPr><w:b/></w:rPr>" if bold else ""
    return f'<w:r>{rpr}<w:t xml:space="preserve">{text}</w:t></w:r>'


@st.composite
def docx_paragraph(draw, notes: dict[str, list[str]]) -> str:
    runs = [_run(draw(words) + " ", bold=draw(st.booleans())) for _ in range(draw(st.integers(1, 3)))]
    kind = draw(st.sampled_from(["footnote", "endnote", "comment", None]))
    if kind is not None and len(notes[kind]) < 3:
        notes[kind].append(draw(words))
        n = len(notes[kind])
        runs.append(f'<w:r><w:commentReference w:id="{n}"/></w:r>' if kind == "comment" else
                    f'<w:r><w:{kind}Reference w:id="{n}"/></w:r>')
    if draw(st.booleans()):
        runs.append(_textbox(draw(words)))
    return "<w:p>" + "".join(runs) + "</w:p>"


def _textbox(text: str) -> str:
    return ('<w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">'
            '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData>'
            f'<wps:wsp><wps:txbx><w:txbxContent><w:p>{_run(text)}</w:p></w:txbxContent></wps:txbx></wps:wsp>'
            '</a:graphicData></a:graphic></wp:inline></w:drawing></w:r>')


@st.composite
def docx_body(draw, notes: dict[str, list[str]], depth: int = 0) -> str:
    out = []
    for _ in range(draw(st.integers(1, 4))):
        if depth < 2 and draw(st.integers(0, 3)) == 0:
            rows = "".join("<w:tr>" + "".join(f"<w:tc>{draw(docx_body(notes, depth + 1))}</w:tc>"
                                               for _ in range(draw(st.integers(1, 2)))) + "</w:tr>"
                           for _ in range(draw(st.integers(1, 2))))
            out.append(f"<w:tbl>{rows}</w:tbl><w:p/>")
        else:
            out.append(draw(docx_paragraph(notes)))
    return "".join(out)


@st.composite
def docx_documents(draw, build) -> bytes:
    """A .docx (built by ``build``, the tests' inline package builder) with body
    paragraphs, nested tables, text boxes, footnotes, endnotes, comments and a header."""
    notes: dict[str, list[str]] = {"footnote": [], "endnote": [], "comment": []}
    body = draw(docx_body(notes))
    parts = {"header1": f"<w:p>{_run(draw(words))}</w:p>"}
    for kind, texts in notes.items():
        if texts:
            parts[kind + "s"] = "".join(f'<w:{kind} w:id="{i + 1}"><w:p>{_run(t)}</w:p></w:{kind}>'
                                        for i, t in enumerate(texts))
    return build(body, parts)


def docx_texts(data: bytes) -> list[str]:
    """Every ``w:t`` text of every XML part (an oracle independent of qmt's walk)."""
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.endswith(".xml"):
                out += re.findall(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>", z.read(name).decode("utf-8"))
    return out


# --- CSV ------------------------------------------------------------------------------------

@st.composite
def csv_documents(draw) -> tuple[str, str]:
    """(csv text, text column name): an id column, a text column, a number column."""
    header = draw(st.sampled_from([("id", "text", "count"), ("key", "source", "n"), ("no", "description", "qty")]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    rows = []
    for i in range(draw(st.integers(1, 8))):
        value = draw(words)
        if draw(st.booleans()):
            value = f'"{value}, {draw(words)}"'
        rows.append(f"{i + 1},{value},{draw(st.integers(0, 99))}")
    return newline.join([",".join(header), *rows]) + newline, header[1]
