"""Soak: ``kill -9`` at random moments of a run in the review loop, then resume.

Outside the test run (it takes minutes): ``.venv/bin/python bench/soak_loop.py [--kills 20]``.
Each trial builds a small repository (the sample Markdown, DOCX and CSV, and generated
Markdown pages), translates it into zh and ja against the local emulator, lets a
reviewer edit one segment of two outputs, changes a third of the pages' sources, and
runs ``qmt translate`` again in a subprocess that is killed with SIGKILL at a random
moment (the emulator answers slowly, so kills land while requests are in flight and
while outputs are being written). Then it runs again to the end and checks:

* the resumed run exits 0 and every reviewer's edit is still in its output;
* outputs and lock files agree: ``--frozen`` exits 0, and again with the state folder
  deleted (the repository alone is consistent);
* nothing was paid twice: no request carried a segment whose answer had already been
  delivered and recorded (``soak_faults``' count).
"""
from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.emulator import EmulatorServer  # noqa: E402
from pipeline.emulator.pseudo import pseudo_translate  # noqa: E402
from pipeline.ledger.usage import read_ledger  # noqa: E402
from soak_faults import BILLED, _double_billed, _watch_bills  # noqa: E402

KEY = "sk-soakloop0123456789abcdef"
JOB = """name = "site"
input = "../docs"
output = "../i18n/{lang}"
source_lang = "en"
target_langs = ["zh", "ja"]
[run]
concurrency = 4
rpm = 0
tpm = 0
backoff_initial = 0.01
backoff_max = 0.1
pack_tokens = 150
[csv]
mode = "fill"
key_column = "key"
"""
EDITS = {"getting-started.md": ("Install the client", "安装客户端（审校）"),
         "guide.docx": ("Before you begin", "开始之前（审校）")}
PAGES = 12


def page(i: int, version: int) -> str:
    return "".join(f"# Part {j} of page {i}\n\nParagraph {j} of page {i}, version {version}, explains option "
                   f"{i * j} in a few plain words.\n\n" for j in range(30))


def build(root: Path) -> Path:
    docs = root / "docs"
    docs.mkdir(parents=True)
    for name in ("getting-started.md", "guide.docx", "ui_strings.csv"):
        shutil.copy(REPO / "sample_docs" / name, docs / name)
    for i in range(PAGES):
        (docs / f"page{i:02d}.md").write_text(page(i, 1), encoding="utf-8")
    (root / "jobs").mkdir()
    (root / "jobs" / "site.toml").write_text(JOB, encoding="utf-8")
    return root / "jobs" / "site.toml"


def qmt(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], env=env, capture_output=True, text=True)


def edit(path: Path, before: str, after: str) -> None:
    old = pseudo_translate(before, "zh")
    if path.suffix == ".md":
        path.write_text(path.read_text(encoding="utf-8").replace(old, after, 1), encoding="utf-8")
        return
    with zipfile.ZipFile(path) as z:
        parts = {i: z.read(i.filename) for i in z.infolist()}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for info, data in parts.items():
            z.writestr(info, data.replace(old.encode(), after.encode(), 1))
    path.write_bytes(buf.getvalue())


def holds(path: Path, text: str) -> bool:
    if path.suffix == ".md":
        return text in path.read_text(encoding="utf-8")
    with zipfile.ZipFile(path) as z:
        return any(text.encode() in z.read(n) for n in z.namelist())


def trial(server, seed: int) -> dict:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        job = build(Path(tmp))
        env = dict(os.environ, DASHSCOPE_API_KEY=KEY, DASHSCOPE_BASE_URL=server.base_url, PYTHONPATH=str(REPO))
        server.reset()
        server.set_latency(0)
        assert qmt(env, "translate", str(job)).returncode == 0
        out = Path(tmp) / "i18n" / "zh"
        for name, (before, after) in EDITS.items():
            edit(out / name, before, after)
        for i in rng.sample(range(PAGES), PAGES // 3):
            (Path(tmp) / "docs" / f"page{i:02d}.md").write_text(page(i, 2), encoding="utf-8")
        BILLED.clear()
        server.set_latency(300, 0.3)
        child = subprocess.Popen([sys.executable, "-m", "pipeline", "translate", str(job)], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        start = server.billing.received
        while server.billing.received == start and child.poll() is None:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.05, 3.0))
        killed = child.poll() is None
        child.send_signal(signal.SIGKILL)
        child.wait()
        time.sleep(0.5)                     # answers under way at the kill reach the emulator's bill
        server.set_latency(0)
        resumed = qmt(env, "translate", str(job))
        ledger = read_ledger(Path(tmp) / "i18n" / ".qmt" / "site" / "ledger")
        twice = _double_billed(ledger, [r.request_id for r in server.billing.records][start:])
        kept = all(holds(out / name, after) for name, (_, after) in EDITS.items())
        frozen = qmt(env, "translate", str(job), "--frozen").returncode
        shutil.rmtree(Path(tmp) / "i18n" / ".qmt")
        frozen_fresh = qmt(env, "translate", str(job), "--frozen").returncode
        return {"killed": killed, "exit": resumed.returncode, "kept": kept, "frozen": frozen,
                "frozen_fresh": frozen_fresh, "twice": twice, "stderr": resumed.stderr[-300:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20, help="random-kill trials")
    args = parser.parse_args()
    _watch_bills()
    started = time.monotonic()
    with EmulatorServer(mode="pseudo", api_key=KEY) as server:
        trials = [trial(server, seed) for seed in range(args.kills)]
    bad = [t for t in trials if t["exit"] or not t["kept"] or t["frozen"] or t["frozen_fresh"] or t["twice"]]
    print(f"kill -9 in the loop: {len(trials)} trials ({sum(t['killed'] for t in trials)} killed mid-run); "
          f"resumed exit codes {dict(Counter(t['exit'] for t in trials))}; edits kept in "
          f"{sum(t['kept'] for t in trials)}/{len(trials)}; --frozen after resume: "
          f"{dict(Counter(t['frozen'] for t in trials))}, without the state folder: "
          f"{dict(Counter(t['frozen_fresh'] for t in trials))}; requests billed twice: "
          f"{sum(t['twice'] for t in trials)} ({time.monotonic() - started:.0f} s)", flush=True)
    for t in bad:
        print(f"  inconsistent trial: {t}", flush=True)


if __name__ == "__main__":
    main()
