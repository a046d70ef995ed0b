"""What users run: ``qmt translate`` on whole folders, against the documented limits.

Every measurement is the ``qmt`` command line (``.venv/bin/qmt``) in its own process
against a separately started ``qmt emulator`` that enforces the documented per-model
limits of qwen-mt-flash in Singapore (60 requests and 100,000 tokens a minute,
``../shared/docs/qwen-mt.md``) on a clock scaled by
``--time-scale`` (0.2: a minute lasts 12 s), with a realistic latency (lognormal time
to first byte, mean 800 ms, sigma 0.5, plus 8 ms per output token, scaled the same way)
and completion tokens billed as a real translation's (``--output-tokens source``).
qmt gets the same ``--rpm/--tpm`` and ``--minute-seconds`` (60 x the time scale), so it paces
over the same scaled minute. Each run gets a fresh folder and state (no cache reuse).

Why 0.2 and not faster: the scale shrinks the service's time, never the client's CPU. At
100,000 tokens a minute and ~60 tokens a segment, the limit is ~1,700 segments a minute;
on a clock 50 times fast (0.02) that is ~1,400 segments per real second, 0.7 ms each,
less than qmt's own measured cost per segment (``bench_overhead.py``), so a run there
measures the machine's CPU, not the scheduling. At 0.2 the client has 7 ms a segment,
still 17 times less than on the real clock, and its start-up and last writes (about 3 s
of wall time: imports, loading the first file, the last language's output) weigh five
times what they do at full scale: 2% of a 12-minute run, 4% at 0.1 (the scale this bench
used until issue 28's last measurements; bench_mixed.py has used 0.2 throughout; both
read harness.BENCH_TIME_SCALE).

Folders (``bench/folders.py`` generates them, seeded; each sized to last at least 10
emulated minutes once the token limit binds, about 1,000,000 billed tokens):

* ``vite``  -- the shared Vite docs (``../shared/corpus/markdown``, 57 pages) into 6 languages;
  skipped with a reason when ``../shared`` is absent;
* ``small`` -- 500 generated Markdown files of 1 to 3 paragraphs into 8 languages;
* ``docx``  -- one generated Word document of 6,000 paragraphs into 2 languages;
* ``csv``   -- a generated localization table of 5,000 rows (``[csv] mode = "fill"``) into 5 languages;
* ``json``  -- a generated 10,000-key JSON string catalogue (``locales/en/app.json``) into 4 languages;
* ``po``    -- a generated 5,000-entry gettext template (``po/messages.pot``, plural entries
  expanded to each language's CLDR forms) into 4 languages.

The string catalogues are measured in the same run as the Markdown folders, and a last
line sets their share of the token limit beside the Markdown folder's (``small``): short
UI strings are packed with their neighbours, so they should load the limit as prose does.

For each folder: ``qmt estimate`` first, then ``qmt translate``, then a **naive** run of a
deterministic sample of the same folder (its first files, paragraphs or rows, about
``QMT_BENCH_NAIVE_SEGMENTS`` segments x languages): one segment per request,
sequential (job keys ``[run] pack_tokens = 0`` and ``concurrency = 1``; both existed).
The naive run is sampled because at ~50 segments a minute it would take hours; its
speed is a rate (segments per emulated minute between its first and last billed answer,
so the sample's start-up, which a full naive run would not notice, is left out), and
"x naive" divides the packed run's whole-run rate by it.

Columns:
  wall s / emu min  the qmt process from start to exit (start-up, planning, writing included)
  requests          billed by the emulator (its ``--billing-log``: one line per billed request)
  % TPM, % RPM      billed tokens (prompt + completion) and billed requests per emulated
                    minute of that wall time, against 100,000 and 60
  429s              rate refusals the emulator returned (``GET /_emulator/stats``, its error
                    counts by code: Throttling.RateQuota, .AllocationQuota and .BurstRate)
  splits            packed answers qmt split and sent again (run report ``batch_splits``)
  resent            segments of packed answers qmt found misaligned and sent again (run
                    report ``misaligned``, once qmt counts them; n/a before)
  misaligned        stored translations that are not the pseudo-translation of their own
                    source (every row of the run's translation memory is reversed and compared)
  peak MB           peak RSS of the qmt process alone (``os.wait4`` rusage of that child)
  naive seg/min     the naive sample's steady speed (see above)
  x naive           (segments per emulated minute of the whole packed run) / (naive seg/min)

A second table sets ``qmt estimate``'s requests and prompt tokens beside the run's own
(its run report, the same figures as its ledger).

Two profiles, as in ``bench_mixed.py``: **perfect** answers (the latency above and nothing
else) and **realistic** (``qmt emulator --realistic``, pipeline/emulator/realistic.py: the
same latency, 500s and 503s, 429 throttles of both kinds, and marker damage in packed
answers at the rate a real model showed). Under the realistic profile the job's retry
backoff is scaled with the clock (1 s and 60 s on the real clock), the estimate is not
expected to equal the run (damaged packs are sent again), and the naive run is left out
(its speed is the perfect profile's). A row per folder and profile.

Environment (for a quick look):
  QMT_BENCH_FOLDERS         comma-separated subset of vite,small,docx,csv,json,po (default: all)
  QMT_BENCH_SCALE           multiply every folder's size (files, paragraphs, rows; default 1.0;
                            0.05 gives a run of seconds, far below the 10 emulated minutes)
  QMT_BENCH_TIME_SCALE      the emulator's time scale (default 0.2, harness.BENCH_TIME_SCALE)
  QMT_BENCH_NAIVE_SEGMENTS  size of the naive sample in segments x languages (default 400; 0: no naive run)
  QMT_BENCH_TIMEOUT         seconds after which a qmt run is interrupted (default 2400)
  QMT_BENCH_PROFILES        comma-separated perfect,realistic (default: perfect,realistic)
  QMT_BENCH_KEEP            a folder to keep the inputs, outputs and states in (default: a temp folder)

Run: ``make bench`` (every bench/bench_*.py) or ``.venv/bin/python bench/bench_job.py``.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import folders  # noqa: E402
from harness import BENCH_TIME_SCALE, REPO, RPM, TPM, Emulated, EmulatorProcess, misaligned, parse_estimate, \
    run_qmt, run_report, write_job  # noqa: E402

SHARED_DOCS = REPO.parent / "shared" / "corpus" / "markdown"
SCALE = float(os.environ.get("QMT_BENCH_SCALE", "1.0"))
TIME_SCALE = float(os.environ.get("QMT_BENCH_TIME_SCALE", str(BENCH_TIME_SCALE)))
NAIVE_SEGMENTS = int(os.environ.get("QMT_BENCH_NAIVE_SEGMENTS", "400"))
TIMEOUT = float(os.environ.get("QMT_BENCH_TIMEOUT", "2400"))
PROFILES = [p for p in os.environ.get("QMT_BENCH_PROFILES", "perfect,realistic").split(",") if p]
LIMITED = Emulated(rpm=RPM, tpm=TPM, time_scale=TIME_SCALE, latency_ms=800.0, latency_sigma=0.5,
                   latency_per_token_ms=8.0)
REALISTIC = replace(LIMITED, realistic=True)
# Under the realistic profile the retry backoff is scaled with the clock (bench_mixed.py's).
SCALED_BACKOFF = {"backoff_initial": round(1.0 * TIME_SCALE, 3), "backoff_max": round(60.0 * TIME_SCALE, 3)}
CSV_JOB = '\n[csv]\nmode = "fill"\nkey_column = "key"\n'


@dataclass(frozen=True)
class Folder:
    """A benchmark folder: ``build(dest, fraction)`` writes (or picks) its input and returns
    the input folder; ``fraction`` < 1 is the naive run's prefix sample."""

    name: str
    targets: tuple[str, ...]
    build: Callable[[Path, float], Path]
    extra: str = ""
    missing: str = ""           # why the folder cannot be run here ("" when it can)


def _vite(dest: Path, fraction: float) -> Path:
    pages = sorted(SHARED_DOCS.glob("*.md"))
    if fraction >= 1.0 and SCALE >= 1.0:
        return SHARED_DOCS   # read in place: qmt only reads its input
    total = sum(p.stat().st_size for p in pages) * min(fraction * SCALE, 1.0)
    dest.mkdir(parents=True, exist_ok=True)
    size = 0
    for page in pages:   # the first pages, up to the fraction of the bytes (at least one)
        shutil.copy(page, dest / page.name)
        size += page.stat().st_size
        if size >= total:
            break
    return dest


def _small(dest: Path, fraction: float) -> Path:
    folders.write_small_markdown(dest, max(1, round(500 * SCALE * fraction)))
    return dest


def _docx(dest: Path, fraction: float) -> Path:
    folders.write_docx(dest / "manual.docx", max(2, round(6000 * SCALE * fraction)))
    return dest


def _csv(dest: Path, fraction: float) -> Path:
    folders.write_l10n_csv(dest / "strings.csv", max(1, round(5000 * SCALE * fraction)), CSV_TARGETS)
    return dest


def _json(dest: Path, fraction: float) -> Path:
    folders.write_json_catalog(dest / "locales/en/app.json", max(1, round(10000 * SCALE * fraction)))
    return dest


def _po(dest: Path, fraction: float) -> Path:
    folders.write_po_catalog(dest / "po/messages.pot", max(1, round(5000 * SCALE * fraction)))
    return dest


CSV_TARGETS = ("zh", "ja", "ko", "fr", "de")
CATALOG_TARGETS = ("zh", "ja", "fr", "de")
FOLDERS = (
    Folder("vite", ("zh", "ja", "ko", "fr", "de", "es"), _vite,
           missing="" if SHARED_DOCS.is_dir() else f"{SHARED_DOCS} is absent"),
    Folder("small", ("zh", "ja", "ko", "fr", "de", "es", "pt", "it"), _small),
    Folder("docx", ("zh", "ja"), _docx),
    Folder("csv", CSV_TARGETS, _csv, extra=CSV_JOB),
    Folder("json", CATALOG_TARGETS, _json),
    Folder("po", CATALOG_TARGETS, _po),
)
MARKDOWN = "small"          # the Markdown folder the catalogues' share of the limit is set beside


@dataclass
class Measured:
    """One ``qmt translate`` against the limited emulator."""

    files: int
    segments: int
    wall: float
    requests: int
    tokens: int
    refused: int
    splits: int
    resent: int                 # qmt's own count (run report "misaligned"); -1 when it has none
    misaligned: int
    checked: int
    peak_mb: float
    code: int
    run_requests: int
    run_prompt: int
    busy: float = 0.0           # real seconds from the first billed answer to the last


    @property
    def minutes(self) -> float:
        return self.wall / LIMITED.minute

    @property
    def rate(self) -> float:
        """Segments x languages per emulated minute of the whole run."""
        return self.segments / self.minutes if self.minutes else 0.0

    @property
    def steady_rate(self) -> float:
        """Segments x languages per emulated minute between the first and the last billed
        answer: the naive sample's speed without its start-up, which a full naive run
        (hours) would not notice."""
        if self.requests < 2 or self.busy <= 0:
            return self.rate
        return self.segments * (self.requests - 1) / self.requests / (self.busy / LIMITED.minute)


def measure(folder: Folder, input_dir: Path, work: Path, run: dict | None = None,
            emulated: Emulated = LIMITED) -> tuple[dict, Measured]:
    """``qmt estimate`` then ``qmt translate`` of ``input_dir`` against a fresh limited
    emulator (``emulated``: the perfect profile, or REALISTIC)."""
    if emulated.realistic:
        run = SCALED_BACKOFF | (run or {})
    job = write_job(work / "job.toml", name=folder.name, input_dir=input_dir, targets=folder.targets,
                    run=run, extra=folder.extra)
    with EmulatorProcess(emulated, work) as emu:
        flags = ["--base-url", emu.base_url, *emulated.client_limits()]
        est = run_qmt(["estimate", str(job), *flags], work)
        if est.code:
            raise RuntimeError(f"qmt estimate failed ({est.code}): {est.stderr.strip()[-300:]}")
        estimate = parse_estimate(est.stdout)
        done = run_qmt(["translate", str(job), *flags], work, timeout=TIMEOUT)
        stats, billed = emu.stats(), emu.billed()
    report = run_report(job, folder.name)
    bad, checked = misaligned(job, folder.name)
    errors = stats.get("errors", {})
    return estimate, Measured(
        files=len(report.get("files", [])), segments=estimate["segments"], wall=done.wall,
        requests=len(billed), tokens=sum(r["total_tokens"] for r in billed),
        refused=sum(count for code, count in errors.items()
                    if code.startswith("Throttling") or code == "insufficient_quota"),
        splits=report.get("batch_splits", 0), resent=report.get("misaligned", -1), misaligned=bad, checked=checked, peak_mb=done.peak_mb,
        code=done.code, run_requests=report.get("requests", -1), run_prompt=report.get("prompt_tokens", -1),
        busy=max(r["time"] for r in billed) - min(r["time"] for r in billed) if billed else 0.0)


def naive(folder: Folder, segments: int, work: Path) -> Measured | None:
    """The naive run (one segment per request, one at a time) of a prefix sample of the folder."""
    if NAIVE_SEGMENTS <= 0 or segments <= 0:
        return None
    fraction = min(1.0, NAIVE_SEGMENTS / segments)
    input_dir = folder.build(work / "in", fraction)
    _, result = measure(folder, input_dir, work, run={"pack_tokens": 0, "concurrency": 1})
    return result


ROW = "| {folder} | {files} | {segments:,} | {wall:.0f} | {minutes:.1f} | {requests:,} | {tpm:.0%} | {rpm:.0%} " \
      "| {refused} | {splits} | {resent} | {misaligned} | {peak:.0f} | {naive_rate} | {ratio} | {code} |"
HEADER = ("| folder | files | segments | wall s | emu min | requests | % TPM | % RPM | 429s | splits | resent | misaligned "
          "| peak MB | naive seg/min | x naive | exit |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")


def row(name: str, m: Measured, slow: Measured | None) -> str:
    minutes = m.minutes or 1e-9
    return ROW.format(folder=name, files=m.files, segments=m.segments, wall=m.wall, minutes=m.minutes,
                      requests=m.requests, tpm=m.tokens / minutes / TPM, rpm=m.requests / minutes / RPM,
                      refused=m.refused, splits=m.splits, resent=m.resent if m.resent >= 0 else "n/a",
                      misaligned=m.misaligned if m.checked else "n/a", peak=m.peak_mb,
                      naive_rate=f"{slow.steady_rate:.0f}" if slow else "-",
                      ratio=f"{m.rate / slow.steady_rate:.1f}x" if slow and slow.steady_rate else "-",
                      code=m.code)


def _revision() -> str:
    """The commit measured (and whether the tree had changes), for comparing runs."""
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "an unknown revision (not a git checkout)"
    return f"commit {head}" + (" with local changes" if dirty else "")


def main() -> int:
    chosen = [n for n in os.environ.get("QMT_BENCH_FOLDERS", ",".join(f.name for f in FOLDERS)).split(",") if n]
    unknown = set(chosen) - {f.name for f in FOLDERS}
    if unknown:
        print(f"bench_job: unknown folder(s) in QMT_BENCH_FOLDERS: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    keep = os.environ.get("QMT_BENCH_KEEP")
    root = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="qmt-bench-job-"))
    print(f"qmt at {_revision()}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    unknown_profiles = set(PROFILES) - {"perfect", "realistic"}
    if unknown_profiles:
        print(f"bench_job: unknown profile(s) in QMT_BENCH_PROFILES: {', '.join(sorted(unknown_profiles))}",
              file=sys.stderr)
        return 2
    print(f"qmt translate through the CLI against qmt emulator: {RPM} RPM, {TPM:,} TPM per model, "
          f"time scale {TIME_SCALE} (a minute lasts {LIMITED.minute:g} s), latency 800 ms (sigma 0.5) "
          f"+ 8 ms/token; profiles {', '.join(PROFILES)}; size scale {SCALE}; "
          f"naive sample ~{NAIVE_SEGMENTS} segments x languages (perfect profile only)\n", flush=True)
    rows, estimates, notes = [], [], []
    try:
        for folder in (f for f in FOLDERS if f.name in chosen):
            if folder.missing:
                notes.append(f"{folder.name}: skipped: {folder.missing}")
                continue
            work = root / folder.name
            shutil.rmtree(work, ignore_errors=True)
            input_dir = folder.build(work / "in", 1.0)
            for profile in PROFILES:
                realistic = profile == "realistic"
                estimate, packed = measure(folder, input_dir, work / profile, emulated=REALISTIC if realistic else LIMITED)
                slow = None if realistic else naive(folder, packed.segments, work / "naive")
                name = folder.name + (" realistic" if realistic else "")
                rows.append(row(f"{name} ({len(folder.targets)} langs)", packed, slow))
                estimates.append((name, estimate, packed, slow))
                print(rows[-1], f"(load average {os.getloadavg()[0]:.1f})", flush=True)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    print("\n" + HEADER)
    print("\n".join(rows))
    print("\n| folder | estimate requests | run requests | estimate prompt tokens | run prompt tokens | equal |")
    print("|---|---:|---:|---:|---:|---|")
    for name, est, run, _ in estimates:
        same = est["requests"] == run.run_requests and est["prompt_tokens"] == run.run_prompt
        print(f"| {name} | {est['requests']:,} | {run.run_requests:,} | {est['prompt_tokens']:,} | "
              f"{run.run_prompt:,} | {'yes' if same else 'no'} |")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end (the scaled clock makes wall time sensitive to it)")
    print("\nTargets of issue 13 (token limit binds for every folder):")
    for name, est, run, slow in estimates:
        print("  " + verdict(name, est, run, slow))
    if line := catalog_share({name: run for name, _, run, _ in estimates}):
        print("\nIssue 25 (string catalogues at the token-limit share of a Markdown folder):\n  " + line)
    for note in notes:
        print(note)
    return 0


def tpm_share(run: Measured) -> float:
    """Billed tokens per emulated minute of the whole run, as a share of the TPM limit."""
    return run.tokens / (run.minutes or 1e-9) / TPM


def catalog_share(runs: dict[str, Measured], tolerance: float = 0.05) -> str:
    """The JSON and PO folders' share of the token limit beside the Markdown folder's: met
    when each is at least the Markdown share less ``tolerance``; "" when not all were run."""
    if MARKDOWN not in runs or not any(n in runs for n in ("json", "po")):
        return ""
    base = tpm_share(runs[MARKDOWN])
    parts = [f"Markdown ({MARKDOWN}) {base:.0%} of TPM"]
    for name in ("json", "po"):
        if name in runs:
            share = tpm_share(runs[name])
            parts.append(f"{name} {share:.0%} {'met' if share >= base - tolerance else 'NOT met'}")
    return "; ".join(parts)


def verdict(name: str, est: dict, run: Measured, slow: Measured | None) -> str:
    """One line: each 'done when' figure of the folder, met or not."""
    tpm = run.tokens / (run.minutes or 1e-9) / TPM
    speed = run.rate / slow.steady_rate if slow and slow.steady_rate else None
    same = est["requests"] == run.run_requests and est["prompt_tokens"] == run.run_prompt
    checks = [(f"TPM {tpm:.0%} >= 90%", tpm >= 0.9),
              (f"misaligned {run.misaligned if run.checked else 'n/a'} = 0", run.checked > 0 and run.misaligned == 0),
              (f"exit {run.code} = 0", run.code == 0),
              (f"{run.minutes:.1f} emulated min >= 10", run.minutes >= 10)]
    if not name.endswith(" realistic"):   # damaged packs are sent again: no naive run, no equal estimate
        checks[3:3] = [(f"{speed:.1f}x naive >= 10x" if speed else "no naive run", bool(speed and speed >= 10)),
                       ("estimate = run" if same else "estimate != run", same)]
    return f"{name}: " + "; ".join(f"{text} {'met' if ok else 'NOT met'}" for text, ok in checks)


if __name__ == "__main__":
    sys.exit(main())
