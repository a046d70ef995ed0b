"""The packer: per language, across files, within the pack limits and the prompt budget."""
from __future__ import annotations

from pipeline.languages import lookup
from pipeline.tokens import prompt_tokens
from pipeline.translate.backend import TermPair
from pipeline.translate.batching import MAX_PACKED_PROMPT, Packer, plan_batches
from pipeline.translate.packing import pack
from pipeline.translate.units import Unit

ZH, JA = lookup("zh"), lookup("ja")


def _units(n: int, lang=ZH, origin: str = "a.md") -> list[Unit]:
    return [Unit(f"Line number {i} of the test.", lang, origin=origin) for i in range(n)]


def test_packs_are_per_language_and_in_order():
    units = [u for pair in zip(_units(5, ZH), _units(5, JA)) for u in pair]
    batches = plan_batches(units, pack_tokens=1000, max_segments=3)
    assert [[u.target.code for u in b] for b in batches] == [["zh"] * 3, ["ja"] * 3, ["zh"] * 2, ["ja"] * 2]
    assert [u.text for b in batches if b[0].target == ZH for u in b] == [u.text for u in units if u.target == ZH]


def test_packs_span_files():
    units = _units(2, origin="a.md") + [Unit("Another line.", ZH, origin="b.md")]
    (batch,) = plan_batches(units, pack_tokens=1000, max_segments=40)
    assert {u.origin for u in batch} == {"a.md", "b.md"}


def test_no_packing_sends_each_unit_alone():
    assert plan_batches(_units(3), pack_tokens=0, max_segments=40) == [[u] for u in _units(3)]


class _Shrinking:
    """A sizer (the interface of pipeline.translate.pack_size.PackSizer) whose limits
    change between packs, as the adaptive one's do."""

    def __init__(self) -> None:
        self.asked = 0

    def limits(self) -> tuple[int, int]:
        self.asked += 1
        return (4, 1000) if self.asked == 1 else (2, 1000)


def test_the_packer_asks_the_sizer_each_time_a_pack_opens():
    sizer = _Shrinking()
    packer = Packer(1000, 40, sizer=sizer)
    closed = [b for u in _units(8) for b in packer.add(u)] + packer.close()
    assert [len(b) for b in closed] == [4, 2, 2]
    assert sizer.asked == 3


def test_a_pack_stays_within_the_prompt_budget_with_its_terms():
    terms = tuple(TermPair(f"term{i} " * 60, f"target{i} " * 60) for i in range(40))  # ~10,000 tokens in all
    units = [Unit(f"Segment {i}.", ZH, terms=(terms[i],)) for i in range(40)]
    batches = plan_batches(units, pack_tokens=4000, max_segments=200)
    assert len(batches) > 1 and sum(len(b) for b in batches) == 40
    for batch in batches:
        pairs = {p for u in batch for p in u.terms}
        assert prompt_tokens(pack([u.text for u in batch]), tuple(pairs)) <= MAX_PACKED_PROMPT
