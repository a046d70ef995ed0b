"""Benchmark: the shared PPTX and XLSX corpora through ``qmt translate``, then every output
opened by LibreOffice headless.

    .venv/bin/python bench/bench_office.py

Runs ``qmt translate FOLDER --to zh --out OUT --emulator`` (pseudo mode) on a copy of
``../shared/corpus/pptx`` and ``../shared/corpus/xlsx`` as a user would, then converts
every output with ``soffice --headless --convert-to odp|ods`` and counts the files it
could not load. Prints one table: files, segments, requests, seconds, LibreOffice
failures. Needs ``../shared`` and ``soffice`` (says so and stops without them).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
QMT = REPO / ".venv" / "bin" / "qmt"


def main() -> int:
    soffice = shutil.which("soffice")
    if not CORPUS.is_dir() or soffice is None:
        print(f"bench_office: needs {CORPUS} and soffice; skipped")
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, target in (("pptx", "odp"), ("xlsx", "ods")):
            folder, out = Path(tmp) / kind / "in", Path(tmp) / kind / "run" / "out"
            shutil.copytree(CORPUS / kind, folder)
            started = time.perf_counter()
            code = subprocess.run([str(QMT), "translate", str(folder), "--to", "zh", "--out", str(out), "--emulator"],
                                  capture_output=True, text=True).returncode
            translated = time.perf_counter() - started
            # ad-hoc runs keep their state in .qmt/adhoc-<input folder>-<digest>/
            report = json.loads(max((out.parent / ".qmt").glob("adhoc*/reports/*.json")).read_text())
            outputs = sorted(out.glob(f"*.{kind}"))
            converted = Path(tmp) / kind / "converted"
            started = time.perf_counter()
            subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp}/lo", "--convert-to", target,
                            "--outdir", str(converted), *map(str, outputs)], capture_output=True, timeout=1800)
            opened = time.perf_counter() - started
            failed = [p.name for p in outputs if not (converted / f"{p.stem}.{target}").is_file()]
            rows.append((kind, len(outputs), sum(f["segments"] for f in report["files"]), report["requests"], code,
                         translated, opened, failed))
    print(f"{'format':6} {'files':>5} {'segments':>8} {'requests':>8} {'exit':>4} {'qmt s':>6} {'LO s':>6} LO failures")
    for kind, files, segments, requests, code, translated, opened, failed in rows:
        print(f"{kind:6} {files:5d} {segments:8d} {requests:8d} {code:4d} {translated:6.1f} {opened:6.1f} "
              f"{len(failed)} {' '.join(failed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
