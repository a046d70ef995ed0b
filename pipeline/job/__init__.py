"""A job's flow, in the order a segment lives it.

:mod:`~pipeline.job.discover` finds the input files and :mod:`~pipeline.job.load` reads each one
the one way every command reads it (the format's handler, its per-file rules);
:mod:`~pipeline.job.plan` decides, segment by segment, what memory already answers and
what must be sent; :mod:`~pipeline.job.run` drives the worker pool over the plan;
:mod:`~pipeline.job.assemble` rebuilds each output as its languages come back and
:mod:`~pipeline.job.coverage` checks it before it is renamed into place;
:mod:`~pipeline.job.ownership` refuses to overwrite files qmt did not write;
:mod:`~pipeline.job.estimate` prices the same plan without sending it, with the pool's
settings and budget a run uses (:mod:`~pipeline.job.settings`);
:mod:`~pipeline.job.freshness` answers ``--frozen`` (is everything translated?) and
:mod:`~pipeline.job.ci_summary` writes the CI step summary. :mod:`~pipeline.job.runlock` keeps
two runs of one job apart; :mod:`~pipeline.job.progress` draws the progress bar.
"""
