"""Peak memory of an XLSX whose shared-strings table is large and compresses well (issue #27).

Generated workbooks (``tests/sstgen.py``: a number shared by 20 strings in a row, three
sentences; deflate packs the table about 110 to 1): the one of the issue (1.0 MB of zip,
110 MB of ``xl/sharedStrings.xml``, 2,000 strings used by the sheet), a smaller one, and
one whose sheet uses every string (300,000 cells: the per-cell cost). Each is loaded,
pseudo-translated into German, rebuilt and verified in a fresh process; printed: the
parts' uncompressed size, the peak resident size over the process's size after its
imports (``VmHWM``), that peak over the parts' size, and the seconds of each step.

Run: ``make bench`` (or ``.venv/bin/python bench/bench_xlsx_memory.py``). Linux only.
"""
from __future__ import annotations

import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from sstgen import big_book  # noqa: E402

CASES = (("18 MB table, 2,000 strings used", 250_000, 2_000),
         ("110 MB table, 2,000 strings used (issue #27)", 1_400_000, 2_000),
         ("23 MB table, all 300,000 strings used", 300_000, 300_000))
MEASURE = """
import sys, time
from pathlib import Path
from pipeline.emulator.pseudo import pseudo_translate
from pipeline.formats.base import LoadContext
from pipeline.formats.xlsx import HANDLER
from pipeline.languages import lookup
def hwm():  # this process's peak resident size (ru_maxrss would start at the parent's at fork)
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) * 1024
data = Path(sys.argv[1]).read_bytes()
base = hwm()
t0 = time.perf_counter()
doc = HANDLER.load(LoadContext(Path("big.xlsx"), data, None, None, (), relpath="big.xlsx"))
t1 = time.perf_counter()
out = doc.rebuild(lookup("de"), {s.id: pseudo_translate(s.text, "de") for s in doc.segments()})
t2 = time.perf_counter()
doc.verify(out)
t3 = time.perf_counter()
print(hwm() - base, t1 - t0, t2 - t1, t3 - t2)
"""


def main() -> int:
    if not sys.platform.startswith("linux"):
        print("bench_xlsx_memory: VmHWM in /proc/self/status is Linux's; skipped")
        return 0
    print(f"{'workbook':48} {'zip MB':>7} {'parts MB':>9} {'peak MB':>8} {'x parts':>8} "
          f"{'load s':>7} {'rebuild s':>10} {'verify s':>9}")
    with tempfile.TemporaryDirectory() as folder:
        for label, strings, used in CASES:
            data = big_book(strings, used)
            size = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
            path = Path(folder) / "big.xlsx"
            path.write_bytes(data)
            run = subprocess.run([sys.executable, "-c", MEASURE, str(path)], cwd=REPO, capture_output=True,
                                 text=True, check=True)
            grown, load, rebuild, verify = (float(v) for v in run.stdout.split())
            mb = 1024 * 1024
            print(f"{label:48} {len(data) / mb:7.2f} {size / mb:9.1f} {grown / mb:8.0f} {grown / size:8.1f} "
                  f"{load:7.1f} {rebuild:10.1f} {verify:9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
