"""Usage ledger and cost summaries."""
