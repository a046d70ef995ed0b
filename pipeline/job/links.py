"""The job's side of link rewriting (``rewrite_links``): which files it translates and where to.

:mod:`pipeline.formats.links` rewrites a page's links with the :class:`LinkMap` this
module makes for it; the formats never look at the job themselves.
"""
from __future__ import annotations

import os
from pathlib import Path

from pipeline.formats import handler_for, output_relpath
from pipeline.formats.links import LinkMap
from pipeline.job.load import inputs


class JobLinks:
    """Which files the job translates and where to (one look at the input folder, on
    first use); :meth:`for_page` makes each page's :class:`LinkMap`."""

    def __init__(self, job: object):
        self.job = job
        self._files: dict[str, Path] | None = None

    def _all(self) -> dict[str, Path]:
        if self._files is None:
            found, _ = inputs(self.job)   # the job's files, as every command sees them
            self._files = {f.relpath: f.path for f in found}
        return self._files

    def for_page(self, relpath: str, lang_code: str) -> LinkMap:
        """The links of page ``relpath`` in its ``lang_code`` output."""
        job = self.job

        def translated(target: str) -> str | None:
            path = self._all().get(target)
            if path is None or handler_for(path) is None:
                return None
            return output_relpath(job, path, target, lang_code)

        out_dir = job.output_dir(lang_code)
        up = os.path.relpath(job.input_dir, out_dir).replace(os.sep, "/")
        return LinkMap(relpath, output_relpath(job, job.input_dir / relpath, relpath, lang_code), up,
                       translated, lambda target: (job.input_dir / target).is_file())


def job_links(job: object) -> "JobLinks | None":
    """A :class:`JobLinks` when a page format of the job rewrites links, else None."""
    if any(getattr(job.format_options(name), "rewrite_links", False) for name in ("markdown", "mdx", "html")):
        return JobLinks(job)
    return None


__all__ = ["JobLinks", "job_links"]
