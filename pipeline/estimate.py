"""What a run would cost, before it spends anything: ``qmt estimate JOB``.

The estimate walks the job exactly as a run does (same files in the same order, same
format modules, same memory decisions: exact TM match, cache, earlier translations,
relevant terms and fuzzy TM entries; same de-duplication, long-segment splitting and
request packing) and sends nothing. Requests are therefore predicted exactly for a run
without failures; prompt tokens are counted with Qwen's own tokenizer as the service
bills them; completion tokens are estimated as ``output_ratio`` times the text sent.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from pipeline.config import Job
from pipeline.discover import discover
from pipeline.errors import FileError
from pipeline.formats import LoadContext, handler_for
from pipeline.media_run import MediaEstimate, estimate_media, split_media
from pipeline.memory import RunMemory
from pipeline.tokens import OUTPUT_RATIO, count_tokens, prompt_tokens
from pipeline.translate.batching import fits_prompt, plan_batches
from pipeline.translate.sender import build_request
from pipeline.translate.split import split
from pipeline.translate.units import PoolSettings, Unit
from pipeline.usage.summary import price_of


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
    human_hits: int = 0         # answered by reviewed translations (qmt xliff import)
    units: int = 0              # distinct texts to send (after memory and de-duplication)
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    media: "MediaEstimate | None" = None    # audio and video files (qwen3-livetranslate-flash)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def estimate_job(job: Job, settings: PoolSettings, region: str) -> Estimate:
    """Plan ``job`` as a run would and count requests, tokens and cost."""
    est = Estimate(job.name, job.model, region)
    memory = RunMemory.for_estimate(job)
    found, _ = discover(job.input_dir, job.include, job.exclude)
    found, media, refused = split_media(found)
    seen: set[tuple] = set()
    try:
        if media or refused:
            est.media = estimate_media(job, media, memory.store, memory.engine)
            est.media.failed += refused
        for item in found:
            units = _file_units(job, item.path, item.relpath, memory, est, seen, settings)
            if units is None:
                continue
            est.units += len(units)
            for batch in plan_batches(units, settings.pack_tokens, settings.pack_max_segments,
                                      lambda b: fits_prompt(b, settings.domains)):
                _count_request(est, batch, settings)
    finally:
        memory.close()
    est.cache_hits, est.tm_hits = memory.stats.cache_hits, memory.stats.tm_hits
    est.human_hits = memory.stats.human_hits
    est.cost_usd = _price(est)
    return est


def _file_units(job: Job, path, relpath: str, memory: RunMemory, est: Estimate, seen: set[tuple],
                settings: PoolSettings) -> list[Unit] | None:
    """The units one file adds to the run, in the order the runner submits them."""
    from pipeline.run import sendable_segments, units_of  # the runner's own choice and order

    handler = handler_for(path)
    if handler is None:
        return None
    try:
        ctx = LoadContext(path, None if handler.streams else path.read_bytes(),
                          job.format_options(handler.name), job.source_lang, job.target_langs,
                          relpath=relpath)
        doc = handler.load(ctx)
        segments = list(doc.segments())
        est.decisions.extend((relpath, d) for d in doc.decisions)
    except (FileError, OSError) as exc:
        est.failed.append((relpath, getattr(exc, "reason", str(exc))))
        return None
    est.files += 1
    units: list[Unit] = []
    for lang, seg in units_of(sendable_segments(segments), job.target_langs):
        est.segments += 1
        plan = memory.plan(seg.text, lang, relpath)
        if plan.outcome is None:
            units.extend(_new_units(plan.unit, seen, settings))
    return units


def _new_units(unit: Unit, seen: set[tuple], settings: PoolSettings) -> list[Unit]:
    """As the pool's submit: skip what was already asked for; split what is too long."""
    if unit.key in seen:
        return []
    seen.add(unit.key)
    if count_tokens(unit.text) > settings.max_segment_tokens:
        pieces = split(unit.text, settings.max_segment_tokens)
        if len(pieces) > 1:
            out = []
            for piece in pieces:
                part = replace(unit, text=piece.text)
                if part.key not in seen:
                    seen.add(part.key)
                    out.append(part)
            return out
    return [unit]


def _count_request(est: Estimate, batch: list[Unit], settings: PoolSettings) -> None:
    request = build_request(batch, settings)
    est.requests += 1
    est.prompt_tokens += prompt_tokens(request.text, request.terms, request.tm_list, request.domains)
    est.completion_tokens += round(count_tokens(request.text) * OUTPUT_RATIO)


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
        f"  reviewed (human)      {est.human_hits}",
        f"  texts to send         {est.units}",
        f"  requests              {est.requests}",
        f"  prompt tokens         {est.prompt_tokens}",
        f"  completion tokens     {est.completion_tokens} (estimated)",
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
