"""The review loop's human half: bilingual XLIFF for CAT tools, and back.

* :mod:`~pipeline.xliff.inline` — qmt's inline tags as XLIFF inline codes and back;
* :mod:`~pipeline.xliff.export` — ``qmt xliff export``: XLIFF 2.1 (default) or 1.2;
* :mod:`~pipeline.xliff.importer` — ``qmt xliff import``: reviewed units, validated,
  stored as human translations in the job's state;
* :mod:`~pipeline.xliff.cli` — the two subcommands.
"""
