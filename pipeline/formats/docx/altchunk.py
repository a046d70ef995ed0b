"""Embedded ``w:altChunk`` content: found and reported, never silently left in the source.

An altChunk imports another document (HTML, MHT, RTF, plain text or a .docx) that Word
converts into paragraphs when it opens the file. qmt does not translate that content
(it is not WordprocessingML until Word converts it), so each one is listed with what
it holds and what to do; the file is then written as *partial* (exit code 1), never as
"written in full" with English text inside.
"""
from __future__ import annotations

import posixpath
import re

from pipeline.formats.base import text_preview
from pipeline.formats.docx.ooxml import R_NS, W_NS
from pipeline.formats.docx.package import Package, Part

ALT_CHUNK = f"{{{W_NS}}}altChunk"
_R_ID = f"{{{R_NS}}}id"
_KINDS = {".htm": "HTML", ".html": "HTML", ".mht": "MHT", ".mhtml": "MHT", ".rtf": "RTF", ".txt": "text",
          ".xml": "XML", ".docx": "Word"}
_TAG_RE = re.compile(rb"<[^>]*>|&[a-zA-Z#0-9]+;")


def altchunk_problems(package: Package, parts: list[Part]) -> list[str]:
    """One line per altChunk in ``parts``: where, what it holds, what to do."""
    out = []
    for part in parts:
        root = package.xml(part.name).getroot()
        for el in root.iter(ALT_CHUNK):
            target = part.rels.get(el.get(_R_ID, ""), "")
            name = posixpath.normpath(posixpath.join(posixpath.dirname(part.name), target)) if target else "?"
            kind = _KINDS.get(posixpath.splitext(name)[1].lower(), "embedded")
            out.append(f"{part.name}: {kind} content embedded as altChunk ({name}{_excerpt(package, name)}) "
                       "is not translated: qmt does not translate altChunk content; open and save the "
                       "document in Word to turn it into ordinary paragraphs")
    return out


def _excerpt(package: Package, name: str) -> str:
    """The embedded content's first words (markup dropped), to say what is left."""
    data = package.entries.get(name)
    if not data or name.endswith(".docx"):
        return ""
    text = _TAG_RE.sub(b" ", data[:4096]).decode("utf-8", "replace")
    return f": {text_preview(text, 40)}" if text.strip() else ""
