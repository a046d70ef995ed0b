"""What a run would cost, before it spends anything: ``qmt estimate JOB``.

The estimate walks the job through the run's own plan (:mod:`pipeline.job.plan`: same
files in the same order, same format modules, same memory decisions, same
de-duplication, long-segment splitting and packing across files) and counts the
requests it makes instead of sending them. Requests and prompt tokens are therefore
predicted exactly for a run without failures (prompt tokens as the service bills them,
with Qwen's own tokenizer); completion tokens are the one estimate every part of qmt
uses (:func:`pipeline.tokens.estimate_completion`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from pipeline.service_facts import LLM, price_of
from pipeline.job.load import inputs
from pipeline.media.run import MediaEstimate, estimate_media, split_media
from pipeline.memory.lookup import MemoryLookup
from pipeline.job.plan import PLANNED, SKIPPED, Planner
from pipeline.repository.book import load_book
from pipeline.tokens import count_tokens, estimate_completion, prompt_tokens
from pipeline.translate.backend import TranslationRequest
from pipeline.translate.llm_prompt import prompt_tokens_of
from pipeline.translate.sender import build_request
from pipeline.translate.units import PoolSettings, Unit

if TYPE_CHECKING:
    from pipeline.config import Job


@dataclass
class Estimate:
    job: str
    model: str
    region: str
    files: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    decisions: list[tuple[str, str]] = field(default_factory=list)  # (file, what its format chose)
    segments: int = 0           # (segment, language) pairs with text to translate
    cache_hits: int = 0
    tm_hits: int = 0
    human_hits: int = 0         # answered by reviewed translations (qmt xliff import, edits)
    committed_hits: int = 0     # reused from the committed outputs (the lock file)
    edits: int = 0              # reviewers' edits of committed outputs a run would take in
    units: int = 0              # distinct texts to send (after memory and de-duplication)
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    media: "MediaEstimate | None" = None    # audio and video files (qwen3-livetranslate-flash)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def estimate_job(job: Job, settings: PoolSettings, region: str, engine: str = "") -> Estimate:
    """Plan ``job`` as a run would and count requests, tokens and cost; ``engine``: the one
    the run would expect (``--emulator``: the emulator's)."""
    est = Estimate(job.name, job.model, region)
    book = load_book(job)
    lookup = MemoryLookup.open(job, engine=book.committed_engine() or engine)
    found, _ = inputs(job)
    found, media, refused = split_media(found)
    planner = Planner(job, lookup, settings, book=book)
    count = prompt_tokens_of if job.engine == LLM else None   # engine llm: its system prompt counts too
    try:
        if media or refused:
            est.media = estimate_media(job, media, lookup.store, lookup.engine)
            est.media.failed += refused
        for item in found:
            fp = planner.add(item.path, item.relpath)
            if fp.status == PLANNED:
                est.decisions.extend((item.relpath, d) for d in (fp.doc.decisions if fp.doc else ()))
                est.decisions.extend((item.relpath, f"warning: {w}") for w in (fp.doc.warnings if fp.doc else ()))
                est.edits += sum(len(found.edits) for found in fp.harvest.values())
            elif fp.status != SKIPPED:
                est.failed.append((item.relpath, fp.reason))
            for request in fp.requests:
                _count_request(est, request, settings, count)
        for request in planner.finish():
            _count_request(est, request, settings, count)
    finally:
        lookup.close()
    est.files, est.segments, est.units = planner.stats.files, planner.stats.segments, planner.stats.units
    est.cache_hits, est.tm_hits = lookup.stats.cache_hits, lookup.stats.tm_hits
    est.human_hits = lookup.stats.human_hits
    est.committed_hits = lookup.stats.committed_hits
    est.cost_usd = _price(est)
    return est


def estimate_requests(job: Job, requests: list[list[Unit]], settings: PoolSettings, region: str) -> Estimate:
    """Requests, tokens and cost of ``requests`` (planned elsewhere, e.g. by ``--frozen``)."""
    est = Estimate(job.name, job.model, region)
    count = prompt_tokens_of if job.engine == LLM else None
    for request in requests:
        _count_request(est, request, settings, count)
    est.cost_usd = _price(est)
    return est


def _count_request(est: Estimate, request: list[Unit], settings: PoolSettings,
                   count: Callable[[TranslationRequest], int] | None = None) -> None:
    sent = build_request(request, settings)
    est.requests += 1
    est.prompt_tokens += count(sent) if count else prompt_tokens(sent.text, sent.terms, sent.tm_list, sent.domains)
    est.completion_tokens += estimate_completion(count_tokens(sent.text))


def _price(est: Estimate) -> float | None:
    price = price_of(est.model, est.region)
    if price is None:
        return None
    return est.prompt_tokens * price[0] + est.completion_tokens * price[1]


def format_estimate(est: Estimate) -> str:
    cost = f"${est.cost_usd:.4f}" if est.cost_usd is not None else "unknown (no price for this model and region)"
    lines = [
        f"estimate for job {est.job} ({est.model}, {est.region} prices); nothing was sent",
        f"  files                 {est.files}" + (f" ({len(est.failed)} cannot be read)" if est.failed else ""),
        f"  segments x languages  {est.segments}",
        f"  from the cache        {est.cache_hits}",
        f"  exact TM matches      {est.tm_hits}",
        f"  reviewed (human)      {est.human_hits}" + (f" ({est.edits} edits to take in)" if est.edits else ""),
        f"  committed outputs     {est.committed_hits}",
        f"  texts to send         {est.units}",
        f"  requests              {est.requests}",
        f"  prompt tokens         {est.prompt_tokens}",
        f"  completion tokens     {est.completion_tokens} (estimated: a translation as long as its source)",
        "                        (the emulator's pseudo text is 2.5 to 5 times as long: an emulated run bills more)",
        f"  cost                  {cost}",
    ]
    lines += [f"  cannot read {relpath}: {reason}" for relpath, reason in est.failed]
    if est.media is not None:
        m = est.media
        lines += [
            f"  media files           {m.files}" + (f" ({len(m.failed)} cannot be translated)" if m.failed else ""),
            f"  pieces x languages    {m.pieces} ({m.cached} from the cache)",
            f"  media requests        {m.requests}",
            f"  audio tokens          {m.audio_tokens}",
            f"  video tokens          {m.video_tokens}",
            f"  media output tokens   {m.completion_tokens} (estimated)",
            "  media cost            unknown (no price for qwen3-livetranslate-flash in the price list)",
        ]
        lines += [f"  cannot translate {relpath}: {reason}" for relpath, reason in m.failed]
    lines += [f"  {relpath}: {decision}" for relpath, decision in est.decisions]
    return "\n".join(lines)
