"""What a job has spent and recorded: the state store, the run's journal, the usage ledger.

* :mod:`~pipeline.ledger.store` — :class:`StateStore`: the job's SQLite file (cache, TM additions,
  pending lock entries, the ledger's pending rows);
* :mod:`~pipeline.ledger.journal` — :class:`Journal`: what a run records (ledger rows, cache entries,
  TM additions, lock entries), the worker pool's one observer;
* :mod:`~pipeline.ledger.usage` — the usage ledger's rows and Parquet parts (polars);
* :mod:`~pipeline.ledger.summary` — ``qmt usage``: the ledger summed per file, language and model.
"""
