"""Faults the emulator injects: the service's error replies, its network failures, and
the damage a real model does to the markers of a packed request.

Two sources decide what happens to a request before it is served normally:

* a **scripted queue** (``FaultPlan.script("429:retry_after=1", "500", "drop", "ok")``):
  the next requests take these actions in order, for deterministic tests;
* **random rates** per kind (``{"429": 0.1, "drop": 0.02}``) drawn from a seeded RNG,
  for soak tests and benchmarks.

Account states (arrearage, free quota exhausted, access denied) are sticky: every
request fails the same way until the state is cleared, as on the real service.

Action syntax: ``KIND`` or ``KIND:key=value,key=value``. Kinds (see ``KINDS``):

====================  ========================================================
``ok``                serve normally (skips random faults for that request)
``429`` / ``rate``    429 Throttling.RateQuota, "Requests rate limit exceeded"
``burst``             429 Throttling.BurstRate, "Request rate increased too quickly"
``tpm``               429 Throttling.AllocationQuota, "Allocated quota exceeded"
``tpm_compat``        429 insufficient_quota, "Allocated quota exceeded, please increase
                      your quota limit." (the compatible endpoint's TPM throttle)
``throttling``        429 Throttling, "Requests throttling triggered."
``rate_limit``        429 rate_limit_exceeded (the OpenAI-style RPM code)
``429_unknown``       429 with a code no document lists (retried, never fatal)
``408``               408 RequestTimeOut
``404``               404 model_not_found
``prepaid_overdue``   429 PrepaidBillOverdue (billing: fatal)
``postpaid_overdue``  429 PostpaidBillOverdue (billing: fatal)
``not_purchased``     429 CommodityNotPurchased (the model is not activated: fatal)
``500`` ``502``       ``internal_error`` with that status
``503`` ``504``
``timeout``           hang without answering (until the client gives up); with
                      ``EmulatorConfig.announce_hangs``, an empty 504 marked
                      ``X-Emulator-Hang`` at once, for a test transport to time out on
``drop``              close the connection without any response
``drop_mid``          send part of the response (or of the stream), then close
``cut``               a stream that ends cleanly but early: no finish_reason, no [DONE]
``malformed``         200 with a body that is not valid JSON (a bad SSE line in streams)
``blocked``           400 data_inspection_failed
``400``               400 invalid_parameter
``401`` ``403``       invalid_api_key / access_denied
``arrearage``         400 Arrearage
``free_quota``        429 insufficient_quota, "Free allocated quota exceeded."
``marker``            200 and billed as usual, but the pack markers of the answer
                      are damaged (only in a packed request: two markers or more)
====================  ========================================================

Options: ``retry_after=SECONDS`` (a Retry-After header on any error), ``after=N`` (for
``drop_mid``/``cut``/``malformed`` in streams: content chunks sent before the failure),
``seconds=S`` (for ``timeout``: how long to hang, default ``hang_seconds``),
``kind=drop|merge|alter|cjk`` and ``at=K`` (for ``marker``: which damage, to the K-th
marker of the answer).

Marker damage imitates what public reports show models doing to numbered pieces of a
batched prompt (Qwen-MT in buxuku/SmartSub PR #399; lines merged and the rest shifted in
machinewrapped/llm-subtrans issue #6). In the answer ``⟦§1⟧ a⏎⏎⟦§2⟧ b⏎⏎⟦§3⟧ c``:

=========  ==================================================================  ====================
``drop``   marker K is lost; its text runs on in the previous piece            ``⟦§1⟧ a⏎⏎b⏎⏎⟦§3⟧ c``
``merge``  pieces K-1 and K become one sentence and the markers after it are   ``⟦§1⟧ a b⏎⏎⟦§2⟧ c``
           numbered on from there (everything after K shifts by one)
``alter``  marker K comes back rewritten (``[§K]``, ``【K】``, ``⟦§ K⟧``,        ``⟦§1⟧ a⏎⏎[§2] b⏎⏎⟦§3⟧ c``
           ``⟦第K节⟧``), so it no longer reads as a marker
``cjk``    every marker comes back in CJK brackets, ``【§K】``: what              ``【§1】 a⏎⏎【§2】 b⏎⏎【§3】 c``
           Qwen2.5-Coder did in about half its en→zh answers (issue 28). qmt
           reads these as the markers they stand for
           (:func:`pipeline.translate.packing.read_markers`): not damage, so
           scripted only, never drawn at random
=========  ==================================================================  ====================

A scripted ``marker`` without options is ``kind=drop`` at the middle marker; a random
one (``--error-rate marker=0.1``: that share of packed requests) draws the kind and the
marker from the seeded RNG. The marker rate is drawn on its own, after the other kinds
have spared the request (it is never both failed and damaged), and it does not count
toward their sum of at most 1. The request is billed for the damaged
answer, as the model did answer.
"""
from __future__ import annotations

import random
import re
import threading
from collections import deque
from dataclasses import dataclass, field

from pipeline.translate.packing import PACK_MARKER_RE

# --- the service's error replies ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    """One error reply: HTTP status and the OpenAI-compatible ``error`` object."""

    status: int
    code: str
    message: str
    type: str


INVALID_PARAMETER = "invalid_parameter"

ERRORS: dict[str, ErrorSpec] = {
    "429": ErrorSpec(429, "Throttling.RateQuota", "Requests rate limit exceeded, please try again later.", "limit_requests"),
    "burst": ErrorSpec(
        429,
        "Throttling.BurstRate",
        "Request rate increased too quickly. To ensure system stability, please adjust your client "
        "logic to scale requests more smoothly over time.",
        "limit_burst_rate",
    ),
    # The real service reuses the billing wording's type here: clients must look at the
    # code and message, not the type, to tell a TPM throttle from an exhausted free quota.
    "tpm": ErrorSpec(429, "Throttling.AllocationQuota", "Allocated quota exceeded, please increase your quota limit.", "insufficient_quota"),
    "free_quota": ErrorSpec(429, "insufficient_quota", "Free allocated quota exceeded.", "insufficient_quota"),
    "500": ErrorSpec(500, "internal_error", "An internal error has occured, please try again later or contact service support.", "internal_error"),
    "502": ErrorSpec(502, "internal_error", "Bad gateway: the upstream model service returned an invalid response.", "internal_error"),
    "503": ErrorSpec(503, "internal_error", "The service is temporarily unavailable, please try again later.", "internal_error"),
    "504": ErrorSpec(504, "internal_error", "The request timed out upstream, please try again later.", "internal_error"),
    "blocked": ErrorSpec(400, "data_inspection_failed", "Input data may contain inappropriate content.", "data_inspection_failed"),
    "400": ErrorSpec(400, INVALID_PARAMETER, "The request is invalid.", "invalid_request_error"),
    "401": ErrorSpec(401, "invalid_api_key", "Incorrect API key provided. ", "invalid_request_error"),
    "403": ErrorSpec(403, "access_denied", "Access denied.", "invalid_request_error"),
    "arrearage": ErrorSpec(400, "Arrearage", "Access denied, please make sure your account is in good standing.", "Arrearage"),
    # The compatible endpoint's TPM throttle: the same code as the free quota's end, told
    # apart by its message only (docs/qwen-mt.md "Errors"; issue 28). Natively it is the
    # token quota's own code.
    "tpm_compat": ErrorSpec(429, "insufficient_quota", "Allocated quota exceeded, please increase your quota limit.",
                            "insufficient_quota"),
    "throttling": ErrorSpec(429, "Throttling", "Requests throttling triggered.", "Throttling"),
    "rate_limit": ErrorSpec(429, "rate_limit_exceeded", "Requests rate limit exceeded, please try again later.",
                            "limit_requests"),
    "429_unknown": ErrorSpec(429, "TooManyRequests", "Too many requests, please slow down.", "TooManyRequests"),
    "408": ErrorSpec(408, "RequestTimeOut", "Request timed out, please try again later.", "RequestTimeOut"),
    "404": ErrorSpec(404, "model_not_found", "The model does not exist or you do not have access to it.",
                     "invalid_request_error"),
    # Billing and activation (issue 28, from Alibaba Cloud's error-code page): the same
    # code in both protocols, sent with 429, so a client that reads the status alone
    # takes them for a rate limit.
    "prepaid_overdue": ErrorSpec(429, "PrepaidBillOverdue", "The prepaid bill is overdue.", "PrepaidBillOverdue"),
    "postpaid_overdue": ErrorSpec(429, "PostpaidBillOverdue", "The postpaid bill is overdue.", "PostpaidBillOverdue"),
    "not_purchased": ErrorSpec(429, "CommodityNotPurchased", "Commodity has not purchased yet.",
                               "CommodityNotPurchased"),
}
ALIASES = {"rate": "429", "rpm": "429", "data_inspection_failed": "blocked", "invalid_api_key": "401",
           "access_denied": "403", "insufficient_quota": "free_quota", "stream_drop": "drop_mid", "hang": "timeout"}

NETWORK_KINDS = frozenset({"timeout", "drop", "drop_mid", "cut", "malformed"})
# Faults in the content of a served answer (the request succeeds and is billed).
CONTENT_KINDS = frozenset({"marker"})
KINDS = frozenset(ERRORS) | NETWORK_KINDS | CONTENT_KINDS | {"ok"}
MARKER_DAMAGES = ("drop", "merge", "alter")       # drawn at random
MARKER_KINDS = (*MARKER_DAMAGES, "cjk")            # scripted

# Account states map to the error every request gets while the state holds.
ACCOUNT_STATES: dict[str, str] = {
    "ok": "",
    "arrearage": "arrearage",
    "free_quota_exhausted": "free_quota",
    "access_denied": "403",
    "prepaid_overdue": "prepaid_overdue",
    "postpaid_overdue": "postpaid_overdue",
    "not_purchased": "not_purchased",
}


def invalid_parameter(message: str) -> ErrorSpec:
    return ErrorSpec(400, INVALID_PARAMETER, message, "invalid_request_error")


def model_not_found(model: str) -> ErrorSpec:
    return ErrorSpec(404, "model_not_found", f"The model `{model}` does not exist or you do not have access to it.",
                     "invalid_request_error")


# --- actions --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Action:
    """What to do with one request instead of (or on the way to) serving it."""

    kind: str
    retry_after: float | None = None
    after: int | None = None
    seconds: float | None = None
    damage: str | None = None     # marker: drop, merge or alter (None: a random draw picks kind and marker)
    at: int | None = None         # marker: the K-th marker of the answer (None: the middle one, or drawn)

    @property
    def error(self) -> ErrorSpec | None:
        return ERRORS.get(self.kind)


def canonical_kind(kind: str) -> str:
    k = kind.strip().lower()
    k = ALIASES.get(k, k)
    if k not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(sorted(KINDS))}")
    return k


def parse_action(spec: str | Action) -> Action:
    """``"429:retry_after=1"`` -> Action("429", retry_after=1.0)."""
    if isinstance(spec, Action):
        return spec
    kind, _, opts = str(spec).partition(":")
    values: dict[str, float] = {}
    damage: str | None = None
    for item in filter(None, (o.strip() for o in opts.split(","))):
        key, eq, value = item.partition("=")
        if eq and key == "kind" and value in MARKER_KINDS:
            damage = value
            continue
        if not eq or key not in ("retry_after", "after", "seconds", "at"):
            raise ValueError(f"bad fault option {item!r} in {spec!r} "
                             f"(retry_after=, after=, seconds=, at=, kind={'|'.join(MARKER_KINDS)})")
        values[key] = float(value)
    after, at = values.get("after"), values.get("at")
    kind = canonical_kind(kind)
    if kind in CONTENT_KINDS and damage is None:
        damage = "drop"   # scripted damage is deterministic
    return Action(kind, values.get("retry_after"), int(after) if after is not None else None,
                  values.get("seconds"), damage, int(at) if at is not None else None)


def parse_rate(item: str) -> tuple[str, float]:
    """``"429=0.1"`` (the CLI's --error-rate) -> ("429", 0.1)."""
    kind, eq, value = item.partition("=")
    if not eq:
        raise ValueError(f"expected KIND=RATE, got {item!r}")
    rate = float(value)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate for {kind!r} must be within [0, 1], got {rate}")
    return canonical_kind(kind), rate


# --- the plan -------------------------------------------------------------------------


@dataclass
class FaultPlan:
    """Script queue, random rates, account state and content trigger; thread-safe,
    because tests change it from their own thread while the server runs."""

    error_rates: dict[str, float] = field(default_factory=dict)
    seed: int | None = None
    account_state: str = "ok"
    block_marker: str = "[[BLOCKED]]"
    _queue: deque[Action] = field(default_factory=deque, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self.set_error_rates(self.error_rates)
        self.set_account_state(self.account_state)

    def script(self, *actions: str | Action) -> None:
        """Queue actions for the next requests, in order."""
        parsed = [parse_action(a) for a in actions]
        with self._lock:
            self._queue.extend(parsed)

    def clear_script(self) -> None:
        with self._lock:
            self._queue.clear()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def set_error_rates(self, rates: dict[str, float]) -> None:
        clean: dict[str, float] = {}
        for kind, rate in rates.items():
            k = canonical_kind(kind)
            if k == "ok" or not 0.0 <= float(rate) <= 1.0:
                raise ValueError(f"bad error rate {kind}={rate}")
            clean[k] = float(rate)
        if sum(r for k, r in clean.items() if k not in CONTENT_KINDS) > 1.0:
            raise ValueError("error rates add up to more than 1")
        with self._lock:
            self.error_rates = clean

    def set_error_rate(self, kind: str, rate: float) -> None:
        rates = dict(self.error_rates)
        rates[canonical_kind(kind)] = rate
        self.set_error_rates(rates)

    def set_account_state(self, state: str) -> None:
        if state not in ACCOUNT_STATES:
            raise ValueError(f"unknown account state {state!r}; known: {', '.join(ACCOUNT_STATES)}")
        self.account_state = state

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self.seed = seed
            self._rng = random.Random(seed)

    def next_scripted(self) -> Action | None:
        with self._lock:
            return self._queue.popleft() if self._queue else None

    def account_error(self) -> ErrorSpec | None:
        kind = ACCOUNT_STATES[self.account_state]
        return ERRORS[kind] if kind else None

    def draw_random(self) -> Action | None:
        """One seeded draw against the configured rates (at most one fault per request)."""
        with self._lock:
            if not self.error_rates:
                return None
            u = self._rng.random()
            acc = 0.0
            for kind in sorted(set(self.error_rates) - CONTENT_KINDS):
                acc += self.error_rates[kind]
                if u < acc:
                    return Action(kind)
        return None

    def is_blocked(self, content: str) -> bool:
        return bool(self.block_marker) and self.block_marker in content

    def draw_marker(self) -> Action | None:
        """One seeded draw against the ``marker`` rate, for a packed request."""
        with self._lock:
            rate = self.error_rates.get("marker", 0.0)
            if rate <= 0.0 or self._rng.random() >= rate:
                return None
        return Action("marker")

    def damage_markers(self, answer: str, action: Action) -> str:
        """``answer`` with its pack markers damaged as ``action`` says; unchanged when it
        holds fewer than two markers (an unpacked request has nothing to lose)."""
        found = list(PACK_MARKER_RE.finditer(answer))
        if len(found) < 2:
            return answer
        with self._lock:
            drawn = action.damage is None
            damage = self._rng.choice(MARKER_DAMAGES) if action.damage is None else action.damage
            lowest = 1 if damage == "alter" else 2
            if action.at is not None:
                k = min(max(action.at, lowest), len(found))
            elif drawn:
                k = self._rng.randint(lowest, len(found))
            else:
                k = max(lowest, len(found) // 2 + 1)
            variant = self._rng.randrange(len(_ALTERED)) if drawn else 0
        return _DAMAGE[damage](answer, found, k - 1, variant)


# How a model rewrites a marker it did not recognize as one (none of these parse; 【§K】
# does, see the ``cjk`` kind).
_ALTERED = ("[§{k}]", "【{k}】", "⟦§ {k}⟧", "⟦第{k}节⟧")


def _drop_marker(answer: str, found: list[re.Match[str]], i: int, variant: int) -> str:
    """Marker i is lost (with the space after it): its text runs on in piece i-1."""
    m = found[i]
    end = m.end() + (1 if answer[m.end():m.end() + 1] == " " else 0)
    return answer[:m.start()] + answer[end:]


def _merge_pieces(answer: str, found: list[re.Match[str]], i: int, variant: int) -> str:
    """Pieces i-1 and i fused into one sentence, the markers after it numbered on."""
    start = found[i - 1].end()
    end = found[i + 1].start() if i + 1 < len(found) else len(answer)
    body = answer[start:found[i].start()].rstrip() + " " + answer[found[i].end():end].strip()
    tail = answer[end:]
    gap = answer[len(answer[:end].rstrip()):end]            # the separator before the next marker
    tail = PACK_MARKER_RE.sub(lambda m: f"⟦§{int(m.group(1)) - 1}⟧", tail)
    return answer[:start] + body + gap + tail


def _alter_marker(answer: str, found: list[re.Match[str]], i: int, variant: int) -> str:
    m = found[i]
    return answer[:m.start()] + _ALTERED[variant].format(k=m.group(1)) + answer[m.end():]


def _cjk_markers(answer: str, found: list[re.Match[str]], i: int, variant: int) -> str:
    """Every marker written back in CJK brackets (``【§K】``), as a model writing Chinese does."""
    return PACK_MARKER_RE.sub(lambda m: f"【§{m.group(1)}】", answer)


_DAMAGE = {"drop": _drop_marker, "merge": _merge_pieces, "alter": _alter_marker, "cjk": _cjk_markers}
