"""The review loop's automatic half: QA checks over a job's translations (``qmt check``).

* :mod:`~pipeline.review.qa.options` — ``[qa]``: check ids, grades, ``fail_on``;
* :mod:`~pipeline.review.qa.snapshot` — every segment of the job with its current translation,
  read from the job's state store (no request is sent);
* :mod:`~pipeline.review.qa.checks` — the checks, each a small function over one segment (or,
  for length and consistency, over the whole job);
* :mod:`~pipeline.review.qa.numerals` — numbers read as values in each language (the
  ``numbers`` check);
* :mod:`~pipeline.review.qa.accepted` — findings a reviewer accepted (``--accept``), kept
  beside the job file;
* :mod:`~pipeline.review.qa.report` — the summary, the JSON and the self-contained HTML report.

This package imports nothing heavy at import time: :mod:`pipeline.config` imports its
options.
"""
