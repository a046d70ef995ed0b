"""What the emulated service would bill, and counters of everything it saw.

The billing record is the ground truth cost tests and benchmarks compare the client's
own accounting against: one :class:`BillingRecord` per request the service would bill
(served ones, and interrupted streams for the output generated so far). Counters cover
every request received and every error returned, by kind. Nothing here ever holds a
request header, so the API key cannot leak into a stats dump or a log.
"""
from __future__ import annotations

import json
import threading
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class BillingRecord:
    request_id: str
    model: str
    target_lang: str
    prompt_tokens: int
    completion_tokens: int
    status: str  # "stop", "length", "interrupted" (stream cut or dropped), "malformed"
    stream: bool = False
    time: float = field(default_factory=time.time)
    audio_tokens: int = 0       # of prompt_tokens: audio measured (LiveTranslate)
    video_tokens: int = 0       # of prompt_tokens: visual tokens (LiveTranslate with video)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"total_tokens": self.total_tokens}


BODIES_KEPT = 1000


class Ledger:
    """Billing records plus request/error counters; safe to read from another thread."""

    def __init__(self, log_path: str | Path | None = None):
        self._lock = threading.Lock()
        self._records: list[BillingRecord] = []
        self._received_at: list[float] = []
        # The last bodies received, parsed, for tests that check what a client sends.
        # Bounded so a long benchmark does not grow without limit; headers are never kept.
        self._bodies: deque[Any] = deque(maxlen=BODIES_KEPT)
        self.received = 0
        self.served = 0
        self.errors: Counter[str] = Counter()
        self.log_path = Path(log_path) if log_path else None

    # --- written by the server ---------------------------------------------------------

    def count_received(self) -> None:
        with self._lock:
            self.received += 1
            self._received_at.append(time.monotonic())

    def keep_body(self, raw: bytes) -> None:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        with self._lock:
            self._bodies.append(body)

    def count_error(self, kind: str) -> None:
        with self._lock:
            self.errors[kind] += 1

    def count_served(self) -> None:
        with self._lock:
            self.served += 1

    def bill(self, record: BillingRecord) -> None:
        with self._lock:
            self._records.append(record)
            if self.log_path is not None:
                with self.log_path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(record.as_dict(), ensure_ascii=False) + "\n")

    def reset(self) -> None:
        with self._lock:
            self._records.clear()
            self._received_at.clear()
            self._bodies.clear()
            self.received = 0
            self.served = 0
            self.errors.clear()

    # --- read by tests ------------------------------------------------------------------

    @property
    def records(self) -> list[BillingRecord]:
        with self._lock:
            return list(self._records)

    def received_times(self) -> list[float]:
        """``time.monotonic()`` at which each request arrived, in order (to check a
        client's backoff: the gap between two attempts)."""
        with self._lock:
            return list(self._received_at)

    def bodies(self) -> list[Any]:
        """The JSON bodies of the last requests received (None where not JSON), in order."""
        with self._lock:
            return list(self._bodies)

    @property
    def prompt_tokens(self) -> int:
        return sum(r.prompt_tokens for r in self.records)

    @property
    def completion_tokens(self) -> int:
        return sum(r.completion_tokens for r in self.records)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def snapshot(self) -> dict[str, Any]:
        """The ``GET /_emulator/stats`` document."""
        records = self.records
        with self._lock:
            counters = {"received": self.received, "served": self.served,
                        "errors": dict(self.errors), "errors_total": sum(self.errors.values())}
        by_model: dict[str, dict[str, int]] = {}
        for r in records:
            m = by_model.setdefault(r.model, {"requests": 0, "prompt_tokens": 0, "completion_tokens": 0})
            m["requests"] += 1
            m["prompt_tokens"] += r.prompt_tokens
            m["completion_tokens"] += r.completion_tokens
        return counters | {
            "billed": {
                "requests": len(records),
                "prompt_tokens": sum(r.prompt_tokens for r in records),
                "completion_tokens": sum(r.completion_tokens for r in records),
                "by_model": by_model,
            },
            "records": [r.as_dict() for r in records],
        }
