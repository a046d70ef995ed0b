"""Progress: a tqdm bar on a terminal, periodic plain lines in cron and CI logs."""
from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from tqdm import tqdm

PLAIN_INTERVAL_S = 10.0


class Progress:
    """Counts segments done and tokens used; shows a bar or writes log lines."""

    def __init__(self, *, interactive: bool | None = None, stream: TextIO | None = None,
                 interval: float = PLAIN_INTERVAL_S):
        self.stream = stream or sys.stderr
        self.interactive = sys.stdout.isatty() if interactive is None else interactive
        self.total = 0
        self.done = 0
        self._tokens = 0
        self.spent: Any = None      # what the run spent (pipeline.ledger.journal.Spent): its tokens shown too
        self._interval = interval
        self._started = time.monotonic()
        self._last_line = self._started
        self._bar = tqdm(total=0, unit="seg", file=self.stream, dynamic_ncols=True) if self.interactive else None

    def add_total(self, n: int) -> None:
        self.total += n
        if self._bar is not None:
            self._bar.total = self.total
            self._bar.refresh()

    def advance(self, n: int = 1, tokens: int = 0) -> None:
        self.done += n
        self._tokens += tokens
        if self._bar is not None:
            self._bar.set_postfix(tokens=self.tokens, refresh=False)
            self._bar.update(n)
        elif time.monotonic() - self._last_line >= self._interval:
            self._plain_line()

    @property
    def tokens(self) -> int:
        """Tokens used so far: what the run's journal recorded, and any counted here."""
        return self._tokens + (self.spent.tokens if self.spent is not None else 0)

    def message(self, text: str) -> None:
        """A line for the user that does not tear the bar."""
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self.total:
            self._plain_line()

    def _plain_line(self) -> None:
        self._last_line = now = time.monotonic()
        elapsed = now - self._started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else float("nan")
        eta_text = f"{eta:.0f} s" if eta == eta else "unknown"
        print(f"qmt: {self.done}/{self.total} segments, {self.tokens} tokens, "
              f"{elapsed:.0f} s elapsed, ETA {eta_text}", file=self.stream, flush=True)
