"""Relative links of a translated page, read from where its translation is written.

A page's translation lives elsewhere (``out/zh/guide/intro.md``, or Docusaurus's
``i18n/zh/docusaurus-plugin-content-docs/current/…``): a relative link written in the
source points from there at nothing. With ``rewrite_links`` on ([markdown], [mdx],
[html]), each relative link is resolved against the source page; a file the job
translates is linked at its translation in the same language, any other file of the
input folder (an image, a download) at the original, and a link to nothing the input
holds (a site route, a folder) is left as it is. Absolute URLs, ``/root`` paths and
``#anchors`` are never touched.

:class:`~pipeline.job.links.JobLinks` knows the job's files (one look at the input
folder, on first use); :class:`LinkMap` rewrites the links of one page for one language. The formats decide
where the links are (Markdown destinations, HTML ``href``/``src``, JSX props).
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Callable, Protocol
from urllib.parse import quote, unquote

_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True)
class LinkMap:
    """How the links of the page ``source`` read from its output ``output`` (both
    relative to their folders, "/"-separated)."""

    source: str
    output: str
    #: From the language's output folder to the input folder ("../../docs").
    up: str
    #: An input relpath -> its output relpath when the job translates that file, else None.
    translated: Callable[[str], "str | None"]
    #: Whether an input relpath is a file of the input folder.
    exists: Callable[[str], bool]

    def rewrite(self, url: str) -> str:
        """``url`` as the translated page must write it (unchanged when it needs no change)."""
        if not url or url.startswith(("#", "/", "\\", "?")) or _SCHEME_RE.match(url):
            return url
        cut = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=len(url))
        path, suffix = url[:cut], url[cut:]
        target = posixpath.normpath(posixpath.join(posixpath.dirname(self.source), unquote(path)))
        if target == ".." or target.startswith("../") or not self.exists(target):
            return url
        here = posixpath.dirname(self.output) or "."
        out = self.translated(target)
        new = posixpath.relpath(out if out is not None else posixpath.join(self.up, target), here)
        if "%" in path or " " in new:
            new = quote(new, safe="/")
        if not new.startswith(".") and path.startswith("./"):
            new = "./" + new
        return new + suffix


class PageLinks(Protocol):
    """The job's side (:class:`pipeline.job.links.JobLinks`): the links of one page."""

    def for_page(self, relpath: str, lang_code: str) -> LinkMap: ...


#: What a page document keeps to rewrite its links: the job's links and its own relpath.
LinkSource = tuple[PageLinks, str]


def page_links(ctx: object) -> "LinkSource | None":
    """The (job links, relpath) of the page ``ctx`` loads, when the job rewrites links."""
    links = getattr(ctx, "links", None)
    return (links, ctx.relpath) if links is not None else None


__all__ = ["LinkMap", "LinkSource", "PageLinks", "page_links"]
