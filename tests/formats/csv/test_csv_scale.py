"""Scale behaviour on a generated export: repeated values become one segment each."""
from __future__ import annotations

from csvgen import write_large_csv


def test_repeated_values_collapse_and_rows_are_counted(tmp_path, load_csv, identity, pseudo, lang):
    path = write_large_csv(tmp_path / "big.csv", rows=5_000, batch=1_000)
    data = path.read_bytes()
    doc = load_csv(data, mode="per-language", columns=("name", "description"))
    assert doc.rows == 5_000
    texts = [s.text for s in doc.segments()]
    assert len(texts) == len(set(texts)) < 200  # a few distinct values, not 10,000 cells
    assert doc.rebuild(lang("zh"), identity(doc)) == data
    out = doc.rebuild(lang("zh"), pseudo(doc))
    doc.verify(out)
    assert out.count(b"\xc2\xab") == 10_000  # every name and description cell, once each
