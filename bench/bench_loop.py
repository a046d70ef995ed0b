"""The review loop through the CLI: what a rerun costs with and without the state folder.

``qmt translate`` on a committed tree of 100 files (90 generated Markdown pages, 5
generated DOCX files of 200 paragraphs, 5 localization CSVs of 200 rows; 2 languages)
against a separate ``qmt emulator`` with no limits and no latency (so the figures are
qmt's own time, not the service's), measured side by side in one run:

* the first run (everything sent);
* a rerun with the state folder (the cache answers);
* a rerun with the state folder deleted: a fresh CI runner, where the committed outputs
  are read back through the lock files (``committed``: answered from them);
* ``--frozen`` with the state folder deleted: the pull-request check.

It prints wall seconds, requests, and the lock files' size per 1,000 segments.
``QMT_BENCH_SCALE`` (default 1) scales the number of files.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from folders import write_docx, write_l10n_csv, write_small_markdown  # noqa: E402
from harness import Emulated, EmulatorProcess, run_qmt, state_dir, write_job  # noqa: E402

NAME = "loop"
TARGETS = ("zh", "ja")


def build(root: Path, scale: float) -> Path:
    docs = root / "docs"
    write_small_markdown(docs / "md", max(1, int(90 * scale)))
    for i in range(max(1, int(5 * scale))):
        write_docx(docs / "docx" / f"manual-{i}.docx", 200, seed=i)
        write_l10n_csv(docs / "csv" / f"strings-{i}.csv", 200, TARGETS, seed=i)
    return write_job(root / "jobs" / f"{NAME}.toml", name=NAME, input_dir=docs, targets=TARGETS,
                     run={"rpm": 0, "tpm": 0}, extra='[csv]\nmode = "fill"\nkey_column = "key"\n')


def requests(stderr: str) -> int:
    match = re.search(r"; (\d+) requests, ", stderr)
    return int(match.group(1)) if match else -1


def main() -> None:
    scale = float(os.environ.get("QMT_BENCH_SCALE", "1"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        job = build(root, scale)
        files = sum(1 for p in (root / "docs").rglob("*") if p.is_file())
        rows = []
        with EmulatorProcess(Emulated(), root) as emu:
            flags = ["--base-url", emu.base_url]
            first = run_qmt(["translate", str(job), *flags], root)
            assert first.code == 0, first.stderr[-2000:]
            rows.append(("first run", first.wall, requests(first.stderr), first.peak_mb))
            warm = run_qmt(["translate", str(job), *flags], root)
            rows.append(("rerun, state folder kept", warm.wall, requests(warm.stderr), warm.peak_mb))
            shutil.rmtree(state_dir(job, NAME))
            fresh = run_qmt(["translate", str(job), *flags], root)
            committed = re.search(r"(\d+) from the committed outputs", fresh.stderr)
            rows.append(("rerun, state folder deleted (fresh clone)", fresh.wall, requests(fresh.stderr),
                         fresh.peak_mb))
            shutil.rmtree(state_dir(job, NAME))
            frozen = run_qmt(["translate", str(job), *flags, "--frozen"], root)
            rows.append((f"--frozen, state folder deleted (exit {frozen.code})", frozen.wall, 0, frozen.peak_mb))
        locks = list((job.parent / "out" / f"{NAME}.qmtlock").glob("*.lock"))
        lock_bytes = sum(p.stat().st_size for p in locks)
        segments = sum(sum(1 for line in p.read_text(encoding="utf-8").splitlines()
                           if line and not line.startswith(("#", "=")) and "\t*\t" not in line) for p in locks)
    print(f"{files} files, {len(TARGETS)} languages; {segments} segments x languages in the lock files")
    print("| run | wall s | requests | peak MB |")
    print("|---|---:|---:|---:|")
    for label, wall, sent, peak in rows:
        print(f"| {label} | {wall:.1f} | {sent} | {peak:.0f} |")
    print(f"lock files: {lock_bytes / 1024:.0f} KiB in {len(locks)} files, "
          f"{lock_bytes / max(1, segments) * 1000 / 1024:.1f} KiB per 1,000 segments; "
          f"answered from the committed outputs on the fresh clone: {committed.group(1) if committed else '?'}")


if __name__ == "__main__":
    main()
