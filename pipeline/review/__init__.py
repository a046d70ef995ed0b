"""The review loop: what people check and fix between runs.

:mod:`pipeline.review.qa` is the QA gate (``qmt check``: checks, accepted findings, reports);
:mod:`pipeline.review.xliff` exchanges translations with CAT tools and reviewers
(``qmt xliff export`` / ``import``).
"""
