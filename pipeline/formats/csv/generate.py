"""A large, realistic data export for benchmarks: many rows, few distinct text values.

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


def measure(path: Path, mode: str = "per-language", targets: tuple[str, ...] = ("zh", "ja")) -> dict[str, float]:
    """Load, write and check ``path`` the way the runner does (streaming, a pseudo
    translation); seconds per step and peak RSS in MB.

    Peak RSS is the process's high-water mark (Linux ``ru_maxrss``), so run it in a
    fresh process for a meaningful number: ``python -m pipeline.formats.csv.generate``.
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


if __name__ == "__main__":  # python -m pipeline.formats.csv.generate [rows] [mode]
    import sys
    import tempfile

    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    mode = sys.argv[2] if len(sys.argv) > 2 else "per-language"
    with tempfile.TemporaryDirectory() as tmp:
        target = write_large_csv(Path(tmp) / "large.csv", rows)
        for key, value in measure(target, mode).items():
            print(f"{key}: {value:.2f}" if isinstance(value, float) else f"{key}: {value}")
