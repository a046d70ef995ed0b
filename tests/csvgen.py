"""Generated data exports: a large one for benchmarks, and a folder of varied small ones.

Test data, not part of the package: the CSV tests import it (``tests/`` is on their path),
``bench/bench_csv.py`` too.

``write_data_exports(folder)`` writes a handful of typical exports (a product list, a
support-ticket dump in TSV, a semicolon CRM export with a BOM and CRLF, an event log, a
file inventory, an ``id,text`` table) whose prose columns are
known (:data:`EXPORT_PROSE`), for the tests of prose column detection.

A large, realistic data export for benchmarks: many rows, few distinct text values.

``write_large_csv(path, rows=1_000_000)`` writes a product catalogue with two text
columns (``name``, ``description``) drawn from small vocabularies, so the file has a
million rows but only a few hundred distinct values to translate, and columns that
must survive exactly (``007``-style ids, ``1.50`` prices, ISO dates, quoted values
holding the delimiter). Deterministic for a given ``seed``; written in batches.
"""
from __future__ import annotations

import random
from pathlib import Path

_ADJECTIVES = ("Compact", "Deluxe", "Classic", "Portable", "Wireless", "Heavy-duty", "Smart", "Mini")
_NOUNS = ("kettle", "lamp", "backpack", "speaker", "blender", "chair", "charger", "notebook",
          "umbrella", "helmet", "drill", "toaster", "monitor", "tent", "watch")
_PHRASES = (
    "Ships in two days",
    "Made from recycled materials",
    "Includes a two-year warranty",
    "Dishwasher safe, easy to clean",
    'Rated "excellent" by reviewers',
    "Available in three colours",
    "Battery lasts all day",
    "Assembly required",
    "Limited edition",
    "Best seller this season",
)
HEADER = "id,sku,name,description,price,updated,stock\n"


def write_large_csv(path: Path, rows: int = 1_000_000, *, seed: int = 0, batch: int = 50_000) -> Path:
    """Write the benchmark file to ``path`` and return it."""
    rnd = random.Random(seed)
    names = [f"{a} {n}" for a in _ADJECTIVES for n in _NOUNS]
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for start in range(0, rows, batch):
            lines = [_row(i, rnd, names) for i in range(start, min(rows, start + batch))]
            out.write("".join(lines))
    return path


def _row(i: int, rnd: random.Random, names: list[str]) -> str:
    name = rnd.choice(names)
    desc = rnd.choice(_PHRASES)
    if "," in desc or '"' in desc:
        desc = '"' + desc.replace('"', '""') + '"'
    price = f"{rnd.randint(1, 500)}.{rnd.choice(('00', '50', '99'))}"
    date = f"2024-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
    return f"{i:07d},SKU-{i % 9973:04d},{name},{desc},{price},{date},{rnd.randint(0, 99):03d}\n"


_SUBJECTS = ("Cannot log in after the update", "Invoice shows the wrong amount", "Where is my order?",
             "Password reset email never arrives", "App crashes when I open settings",
             "Please cancel my subscription", "The download link has expired", "Dark mode is too dark")
_BODIES = ("I tried twice and it still fails.", "Could you look into this today, please?",
           "It worked fine last week.", "This happens on both my phone and my laptop.",
           "Thanks for your help, the team was very kind.", "Nothing changed after a restart.")
_CITIES = ("Berlin", "Paris", "Lisbon", "Nairobi", "Osaka", "Lima", "Toronto", "Hanoi")
_STATUSES = ("open", "closed", "pending")

#: File name -> the header names of its prose columns (what detection must choose).
EXPORT_PROSE: dict[str, tuple[str, ...]] = {
    "shop/products.csv": ("name", "description"),
    "support/tickets.tsv": ("subject", "body"),
    "crm/contacts.csv": ("Notes",),
    "logs/events.csv": ("message",),
    "files/inventory.csv": ("comment",),
    "misc/strings.csv": ("text",),
}


def write_data_exports(folder: Path, rows: int = 60, *, seed: int = 1) -> list[Path]:
    """Write the folder of small data exports (see :data:`EXPORT_PROSE`); return the files."""
    rnd = random.Random(seed)
    names = [f"{a} {n}" for a in _ADJECTIVES for n in _NOUNS]
    files = {
        "shop/products.csv": _table(
            "id,sku,name,description,price,currency,updated,url,in_stock\n",
            lambda i: f"{i:05d},SKU-{i * 37 % 9973:04d},{rnd.choice(names)},"
                      f"\"{rnd.choice(_PHRASES).replace(chr(34), chr(34) * 2)}\","
                      f"\"{rnd.randint(1, 9)},{rnd.randint(100, 999)}.{rnd.choice(('00', '50', '99'))}\",EUR,"
                      f"2024-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d},https://shop.example.com/p/{i},"
                      f"{rnd.choice(('true', 'false'))}\n", rows),
        "support/tickets.tsv": _table(
            "ticket_id\tcreated\temail\tsubject\tbody\tstatus\tpriority\n",
            lambda i: f"T-{1000 + i}\t2024-03-{i % 28 + 1:02d}T10:{i % 60:02d}:00Z\tuser{i}@example.org\t"
                      f"{rnd.choice(_SUBJECTS)}\t{rnd.choice(_BODIES)} {rnd.choice(_BODIES)}\t"
                      f"{rnd.choice(_STATUSES)}\t{rnd.randint(1, 4)}\n", rows),
        "crm/contacts.csv": "\ufeff" + _table(
            "Customer ID;Full name;Phone;City;Balance;Last contact;Notes\r\n",
            lambda i: f"C{i:06d};Customer {i};+49 30 {rnd.randint(1000000, 9999999)};{rnd.choice(_CITIES)};"
                      f"-{rnd.randint(1, 999)},{rnd.randint(10, 99)} €;{rnd.randint(1, 28):02d}.0{rnd.randint(1, 9)}.2024;"
                      f"{rnd.choice(_BODIES)}\r\n", rows),
        "logs/events.csv": _table(
            "timestamp,level,source,message,duration_ms\n",
            lambda i: f"2024-05-01 12:{i % 60:02d}:{i * 7 % 60:02d},{rnd.choice(('INFO', 'WARN', 'ERROR'))},"
                      f"/var/log/app/worker-{i % 3}.log,{rnd.choice(_SUBJECTS)} for user {i},"
                      f"{rnd.randint(1, 5000)}\n", rows),
        "files/inventory.csv": _table(
            "path,size_bytes,sha1,owner,comment\n",
            lambda i: f"docs/reports/q{i % 4 + 1}/report-{i}.pdf,{rnd.randint(1000, 99999)},"
                      f"{rnd.getrandbits(160):040x},{rnd.choice(('alice', 'bob', 'carol'))},"
                      f"\"{rnd.choice(_BODIES)}\"\n", rows),
        "misc/strings.csv": "id,text\n1,Hello there\n2,Save the file\n3,Open a new window\n",
    }
    written = []
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written


def _table(header: str, row, rows: int) -> str:
    return header + "".join(row(i) for i in range(rows))


def measure(path: Path, mode: str = "per-language", targets: tuple[str, ...] = ("zh", "ja")) -> dict[str, float]:
    """Load, write and check ``path`` the way the runner does (streaming, a pseudo
    translation); seconds per step and peak RSS in MB.

    Peak RSS is the process's high-water mark (Linux ``ru_maxrss``), so run it in a
    fresh process for a meaningful number: ``python tests/csvgen.py``.
    """
    import resource
    import time

    from pipeline.formats.base import LoadContext
    from pipeline.formats.csv import HANDLER
    from pipeline.formats.options import CsvOptions
    from pipeline.languages import lookup

    langs = tuple(lookup(code) for code in targets)
    columns = ("name",) if mode == "fill" else ("name", "description")
    started = time.perf_counter()
    ctx = LoadContext(path, None, CsvOptions(mode=mode, columns=columns), lookup("en"), langs)  # type: ignore[arg-type]
    doc = HANDLER.load(ctx)
    loaded = time.perf_counter()
    fake = {s.id: "译" + s.text for s in doc.segments()}
    out_path = path.with_name(path.stem + ".out" + path.suffix)
    with open(out_path, "wb") as out:
        if doc.combined:
            doc.write_combined({lang: fake for lang in langs}, out)
        else:
            doc.write(langs[0], fake, out)
    written = time.perf_counter()
    doc.verify_file(out_path)
    verified = time.perf_counter()
    return {
        "rows": doc.rows,
        "segments": len(doc.segments()),
        "file_mb": path.stat().st_size / 1e6,
        "output_mb": out_path.stat().st_size / 1e6,
        "load_s": loaded - started,
        "write_s": written - loaded,
        "verify_s": verified - written,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


if __name__ == "__main__":  # python tests/csvgen.py [rows] [mode]
    import sys
    import tempfile

    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    mode = sys.argv[2] if len(sys.argv) > 2 else "per-language"
    with tempfile.TemporaryDirectory() as tmp:
        target = write_large_csv(Path(tmp) / "large.csv", rows)
        for key, value in measure(target, mode).items():
            print(f"{key}: {value:.2f}" if isinstance(value, float) else f"{key}: {value}")
