"""The ``marker`` fault: damaged pack markers in a served, billed answer, over real HTTP."""
from __future__ import annotations

import argparse

import pytest

from pipeline.emulator import pseudo_translate
from pipeline.emulator.cli import add_arguments, config_from_args
from pipeline.emulator.faults import Action, FaultPlan, parse_action
from pipeline.tokens import count_tokens
from pipeline.translate.packing import PACK_MARKER_RE, pack, unpack

SOURCES = ["First piece.", "Second piece.", "Third piece.", "Fourth piece."]
PACKED = pack(SOURCES)
ANSWER = pseudo_translate(PACKED, "Japanese")
P = [pseudo_translate(s, "Japanese") for s in SOURCES]


def _content(client, chat_kwargs, text: str = PACKED) -> str:
    return client.chat.completions.create(**chat_kwargs(text)).choices[0].message.content


@pytest.mark.parametrize(("spec", "expected"), [
    # drop: marker 3 is lost, its text runs on in piece 2
    ("marker", f"⟦§1⟧ {P[0]}\n\n⟦§2⟧ {P[1]}\n\n{P[2]}\n\n⟦§4⟧ {P[3]}"),
    ("marker:kind=drop,at=2", f"⟦§1⟧ {P[0]}\n\n{P[1]}\n\n⟦§3⟧ {P[2]}\n\n⟦§4⟧ {P[3]}"),
    # merge: pieces 2 and 3 become one, the markers after are numbered on
    ("marker:kind=merge", f"⟦§1⟧ {P[0]}\n\n⟦§2⟧ {P[1]} {P[2]}\n\n⟦§3⟧ {P[3]}"),
    ("marker:kind=merge,at=4", f"⟦§1⟧ {P[0]}\n\n⟦§2⟧ {P[1]}\n\n⟦§3⟧ {P[2]} {P[3]}"),
    # alter: marker 3 rewritten, no longer a marker
    ("marker:kind=alter", f"⟦§1⟧ {P[0]}\n\n⟦§2⟧ {P[1]}\n\n[§3] {P[2]}\n\n⟦§4⟧ {P[3]}"),
    ("marker:kind=alter,at=1", f"[§1] {P[0]}\n\n⟦§2⟧ {P[1]}\n\n⟦§3⟧ {P[2]}\n\n⟦§4⟧ {P[3]}"),
])
def test_scripted_damage_of_each_kind_is_served_and_billed(emu, client, chat_kwargs, spec, expected) -> None:
    emu.script(spec)
    got = _content(client, chat_kwargs)
    assert got == expected and unpack(got, SOURCES) is None
    (record,) = emu.billing.records
    assert record.status == "stop" and record.completion_tokens == count_tokens(expected)
    assert emu.billing.served == 1 and emu.billing.errors["marker"] == 1


def test_scripted_cjk_markers_are_served_and_read_as_markers(emu, client, chat_kwargs) -> None:
    emu.script("marker:kind=cjk")
    got = _content(client, chat_kwargs)
    assert got == PACK_MARKER_RE.sub(lambda m: f"【§{m.group(1)}】", ANSWER) and unpack(got, SOURCES) == P
    assert emu.billing.errors["marker"] == 1


def test_an_unpacked_request_is_never_damaged(emu, client, chat_kwargs) -> None:
    emu.script("marker:kind=merge")
    assert _content(client, chat_kwargs, "Just one segment.") == pseudo_translate("Just one segment.", "Japanese")
    assert emu.emulator.faults.pending == 0 and "marker" not in emu.billing.errors


def test_random_rate_damages_that_share_of_packed_requests_only(emu, client, chat_kwargs) -> None:
    emu.set_seed(7)
    emu.set_error_rates({"marker": 1.0, "500": 0.0})
    assert all(unpack(_content(client, chat_kwargs), SOURCES) is None for _ in range(6))
    assert _content(client, chat_kwargs, "Alone.") == pseudo_translate("Alone.", "Japanese")
    assert emu.billing.errors["marker"] == 6 and emu.billing.served == 7
    emu.set_error_rates({"marker": 0.0})
    assert _content(client, chat_kwargs) == ANSWER


def test_random_damage_is_reproducible_from_the_seed() -> None:
    def draws(seed: int) -> list[str]:
        plan = FaultPlan({"marker": 0.5}, seed=seed)
        return [plan.damage_markers(ANSWER, a) for a in (plan.draw_marker() for _ in range(40)) if a is not None]

    first = draws(3)
    assert first == draws(3) and 8 < len(first) < 32
    assert len(set(first)) > 3                              # kinds and markers vary
    assert all(unpack(d, SOURCES) is None for d in first)


def test_marker_rate_does_not_count_toward_the_error_sum() -> None:
    plan = FaultPlan({"500": 0.6, "drop": 0.4, "marker": 0.3})
    assert plan.error_rates["marker"] == 0.3
    with pytest.raises(ValueError, match="more than 1"):
        FaultPlan({"500": 0.6, "drop": 0.5})


def test_marker_options_parse_and_bad_ones_are_refused() -> None:
    assert parse_action("marker:kind=alter,at=2") == Action("marker", damage="alter", at=2)
    assert parse_action("marker") == Action("marker", damage="drop")
    with pytest.raises(ValueError, match="kind=drop|merge|alter"):
        parse_action("marker:kind=scramble")


def test_cli_takes_a_marker_rate() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    cfg = config_from_args(parser.parse_args(["--error-rate", "marker=0.1", "--error-rate", "429=0.05"]))
    assert cfg.error_rates == {"marker": 0.1, "429": 0.05}
    assert "marker=RATE damages the pack markers" in " ".join(parser.format_help().split())
