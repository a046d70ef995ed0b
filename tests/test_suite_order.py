"""make test's order of files (tests/conftest.py): the slow corpus files are handed out
first, then the files with most tests; each file's tests stay together and in order."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import _slow_files_first


@dataclass
class Item:
    path: Path
    name: str
    markers: tuple[str, ...] = field(default=())

    def get_closest_marker(self, name: str):
        return pytest.mark.slow if name in self.markers else None


def test_slow_files_first_then_the_files_with_most_tests_each_file_kept_in_order():
    items = [Item(Path("a.py"), "a1"), Item(Path("b.py"), "b1"), Item(Path("b.py"), "b2"),
             Item(Path("c.py"), "c1", ("slow",)), Item(Path("d.py"), "d1"), Item(Path("d.py"), "d2"),
             Item(Path("e.py"), "e1", ("slow",)), Item(Path("e.py"), "e2", ("slow",))]
    _slow_files_first(items)
    assert [i.name for i in items] == ["e1", "e2", "c1", "b1", "b2", "d1", "d2", "a1"]


def test_make_test_keeps_that_order_on_its_workers():
    makefile = (Path(__file__).parents[1] / "Makefile").read_text(encoding="utf-8")
    assert "--dist loadfile --no-loadscope-reorder" in makefile   # else xdist sorts by test count
