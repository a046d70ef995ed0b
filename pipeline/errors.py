"""The one error tree of qmt. Its shape decides what happens, not the call site.

    QmtError
    ├── ConfigError              bad job file, flag or language        -> exit 2, nothing sent
    ├── FileError                one input file cannot be handled      -> that file fails, the job goes on
    │   └── FormatError          the file parses but cannot be rebuilt safely
    ├── JobLockedError           another run of the same job is active -> exit 4
    ├── BudgetExceeded           the next request would pass the job's budget -> stop, exit 5
    ├── ServiceUnavailable       no request succeeded for [run] outage_seconds -> stop, exit 6
    ├── StateWriteFailed         the journal or ledger cannot be written -> stop before the next
    │                            request, exit 7
    ├── OutputOwned              another job owns an output this run would write -> exit 2
    └── ServiceError             anything the translation service said or failed to say
        ├── TransientError       retried with backoff (tenacity), Retry-After honoured
        │   ├── RateLimited          429 rate or token quota (RPM, TPM, burst, any unknown 429)
        │   ├── ServerError          500, 502, 503, 504
        │   ├── ServiceTimeout       no answer in time, or 408 RequestTimeOut
        │   ├── ConnectionDropped    connection refused, reset, closed mid-response or mid-stream
        │   └── MalformedResponse    a 200 whose body is not the documented JSON
        ├── SegmentError         permanent for this segment: it stays in the source language
        │   ├── InvalidRequest       400 InvalidParameter (e.g. too long, bad option)
        │   ├── ContentRejected      400 DataInspectionFailed (moderation; same text fails again)
        │   ├── TruncatedOutput      finish_reason "length": an incomplete translation (asked once
        │   │                        more, then the source is kept; a packed batch is split)
        │   └── BadTranslation       tags dropped/invented beyond repair, empty output (likewise)
        └── FatalServiceError    the job cannot go on: stop at once, send nothing more -> exit 3
            ├── AuthenticationFailed 401 invalid_api_key
            ├── AccessDenied         403
            ├── ModelNotFound        404
            ├── Arrearage            Arrearage: the account is in arrears
            ├── BillOverdue          PrepaidBillOverdue / PostpaidBillOverdue: a bill is unpaid
            ├── NotActivated         CommodityNotPurchased: the model service is not bought
            └── QuotaExhausted       429 "Free allocated quota exceeded" (never the TPM throttle's
                                     "Allocated quota exceeded", which is RateLimited)

Vendor exceptions (openai, httpx) and both protocols' error bodies are mapped to this
tree in one place, by status, code and message together: the table of
:mod:`pipeline.translate.service_errors`. Messages never contain the API key: every
``ServiceError`` message passes through :func:`pipeline.secrets.redact`.
"""
from __future__ import annotations

from pathlib import Path

# The command line's exit codes (documented in the README), one per outcome the tree
# above names: defined here, at the bottom, so that a command that only reads (qmt
# check, estimate, langs, usage, xliff) names them without loading the run.
EXIT_OK = 0
EXIT_PARTIAL = 1            # finished with failed files or segments (or failed QA checks)
EXIT_USAGE = 2              # usage or config error: nothing was sent
EXIT_FATAL = 3              # stopped by a fatal service error (key, quota, arrears)
EXIT_LOCKED = 4             # another run of the same job is in progress: nothing was done
EXIT_BUDGET = 5             # stopped by the job's budget before the request that would pass it
EXIT_UNAVAILABLE = 6        # no request succeeded for [run] outage_seconds: stopped, run again to resume
EXIT_STATE = 7              # the journal or ledger could not be written: stopped before the next request
EXIT_STALE = 8              # --frozen: something would be sent, written, removed or taken in


class QmtError(Exception):
    """Base of every error qmt raises on purpose."""


class ConfigError(QmtError):
    """A job file, flag or environment value is wrong. One line, names file and key."""

    def __init__(self, message: str, *, source: str | Path | None = None, key: str | None = None):
        self.source = str(source) if source is not None else None
        self.key = key
        where = ""
        if self.source and key:
            where = f"{self.source}: {key}: "
        elif self.source:
            where = f"{self.source}: "
        elif key:
            where = f"{key}: "
        super().__init__(f"{where}{message}")


class FileError(QmtError):
    """One input file cannot be handled; the message names the file and the reason.

    ``stop_job`` is set when the job asked to stop rather than skip such a file
    (``[csv] on_malformed = "stop"``): the runner then starts no further files.
    """

    def __init__(self, path: str | Path, reason: str, *, stop_job: bool = False):
        self.path = Path(path)
        self.reason = reason
        self.stop_job = stop_job
        super().__init__(f"{path}: {reason}")


class FormatError(FileError):
    """A file parsed but its rebuild failed a check; nothing is written for it."""


class JobLockedError(QmtError):
    """Another run of the same job holds its lock."""


class BudgetExceeded(QmtError):
    """The next request would take the run past its budget; it was not sent."""


class ServiceUnavailable(QmtError):
    """A sustained outage: requests kept failing transiently and none succeeded for the
    job's ``[run] outage_seconds``. The run stops cleanly; a rerun resumes."""


class StateWriteFailed(QmtError):
    """The job's journal or ledger could not be written (disk full, read-only, quota):
    spending stops before the next request, so nothing is bought that cannot be stored."""

    def __init__(self, path: str | Path, reason: str):
        self.path = str(path)
        super().__init__(f"cannot write {path}: {reason}")


class OutputOwned(ConfigError):
    """Another job (or ad-hoc run) owns an output file this run would write."""


class ServiceError(QmtError):
    """Something the translation service said (or failed to say)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        billed: tuple[int, int | None] | None = None,
    ):
        from pipeline.secrets import redact

        self.status = status
        self.code = code
        self.request_id = request_id
        # (prompt, completion) tokens the service bills for an answer that broke on the
        # way (a stream cut short, a 200 with an unreadable body): the ledger records them,
        # marked as estimated. A completion of None is unknown: the sender estimates it.
        self.billed = billed
        super().__init__(redact(message))


class TransientError(ServiceError):
    """Worth retrying after a pause."""

    retry_after: float | None = None


class RateLimited(TransientError):
    """A throttle. ``limit`` is the one the service named: "requests" (RPM, burst),
    "tokens" (TPM), or None when its code does not say (then both)."""

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = None,
                 code: str | None = None, request_id: str | None = None,
                 billed: tuple[int, int | None] | None = None, limit: str | None = None):
        super().__init__(message, status=status, code=code, request_id=request_id, billed=billed)
        self.retry_after = retry_after
        self.limit = limit


class ServerError(TransientError):
    pass


class ServiceTimeout(TransientError):
    pass


class ConnectionDropped(TransientError):
    pass


class MalformedResponse(TransientError):
    pass


class SegmentError(ServiceError):
    """Permanent for this segment: keep its source text and report it."""


class InvalidRequest(SegmentError):
    pass


class ContentRejected(SegmentError):
    pass


class TruncatedOutput(SegmentError):
    pass


class BadTranslation(SegmentError):
    pass


class FatalServiceError(ServiceError):
    """The job cannot go on; ``advice`` says what the user should do. A backend may set
    its own ``advice`` on the instance (engine llm: its key is QMT_LLM_API_KEY)."""

    advice: str = ""

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base} ({self.advice})" if self.advice else base


class AuthenticationFailed(FatalServiceError):
    advice = "check DASHSCOPE_API_KEY and that the key belongs to the region of the base URL"


class AccessDenied(FatalServiceError):
    advice = "the key has no access to this model; enable it in the Model Studio console"


class ModelNotFound(FatalServiceError):
    advice = "check the model name (qwen-mt-plus, qwen-mt-flash, qwen-mt-lite, qwen-mt-turbo)"


class Arrearage(FatalServiceError):
    advice = "the account is in arrears; top it up in the Alibaba Cloud billing console"


class BillOverdue(FatalServiceError):
    advice = "a bill of the account is overdue; pay it in the Alibaba Cloud billing console, then run again"


class NotActivated(FatalServiceError):
    advice = "the model service is not activated (purchased) for this account; activate Model Studio in the console"


class QuotaExhausted(FatalServiceError):
    advice = "the free quota is used up; enable pay-as-you-go billing for this model"
