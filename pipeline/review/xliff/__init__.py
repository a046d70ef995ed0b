"""The review loop's human half: bilingual XLIFF for CAT tools, and back.

* :mod:`~pipeline.review.xliff.inline` — qmt's inline tags as XLIFF inline codes and back;
* :mod:`~pipeline.review.xliff.export` — ``qmt xliff export``: XLIFF 2.1 (default) or 1.2;
* :mod:`~pipeline.review.xliff.importer` — ``qmt xliff import``: reviewed units, validated,
  stored as human translations in the job's state;
* :mod:`~pipeline.review.xliff.cli` — the two subcommands.
"""
