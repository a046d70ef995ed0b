"""The repository as the job's memory: the committed lock file, outputs read back, people's edits.

* :mod:`~pipeline.repository.lockfile`: the lock file's format (what qmt wrote, per segment);
* :mod:`~pipeline.repository.readback`: an output read back with its format's extractor;
* :mod:`~pipeline.repository.committed`: an output compared with its lock entries
  (translations to reuse, edits to take in, human translations whose source changed);
* :mod:`~pipeline.repository.entries`: a written output's new entries;
* :mod:`~pipeline.repository.book`: a job's lock files, read before a run and written with
  its outputs; pruning outputs whose input is gone;
* :mod:`~pipeline.job.freshness`: ``qmt translate --frozen``, the PR check;
* :mod:`~pipeline.job.ci_summary`: the CI summary table.
"""
