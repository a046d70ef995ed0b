"""Reading committed outputs against their lock entries: pairing, edits, reuse, changed
sources, broken structure (on a Markdown document, with the real format module)."""
from __future__ import annotations

from pathlib import Path

from pipeline.formats import LoadContext, handler_for
from ooxml_support import build_deck
from pipeline.formats.options import MarkdownOptions, PptxOptions
from pipeline.languages import resolve
from pipeline.repository.committed import harvest_output, pair_by_structure
from pipeline.repository.entries import lock_entries
from pipeline.repository.lockfile import LockEntry, LockedOutput
from pipeline.repository.readback import relabel, tags_note
from pipeline.segments import Segment
from pipeline.translate.units import TRANSLATED, Outcome

FR = resolve("fr")
SOURCE = "# Title\n\nSave **all** the *files* now.\n\nSecond paragraph.\n\nThird one.\n"


def load(path: Path, data: str):
    handler = handler_for(path)
    ctx = LoadContext(path, data.encode(), MarkdownOptions(), None, (FR,))
    return handler, ctx, handler.load(ctx)


def written(tmp_path: Path, translations: dict[str, str]) -> tuple[object, object, object, Path, LockedOutput]:
    """Write the French output and its lock entries, as a run would."""
    src = tmp_path / "page.md"
    src.write_text(SOURCE)
    handler, ctx, doc = load(src, SOURCE)
    out = tmp_path / "fr.md"
    out.write_bytes(doc.rebuild(FR, translations))
    outcomes = {s.id: (s, Outcome(translations[s.id], TRANSLATED, "", "qwen:beijing")) for s in doc.segments()}
    back = list(handler.load(LoadContext(src, out.read_bytes(), MarkdownOptions(), None, (FR,), rebuilt=True))
                .segments())
    entries = lock_entries(doc.segments(), back, outcomes, {}, lambda text: "f" * 64)
    return handler, ctx, doc, out, LockedOutput("page.md", "0" * 16, "0" * 16, entries)


def french(doc) -> dict[str, str]:
    words = {"Title": "Titre", "Second paragraph.": "Deuxième paragraphe.", "Third one.": "Le troisième."}
    out = {}
    for s in doc.segments():
        out[s.id] = words.get(s.text, "Enregistrez <g2>les fichiers</g2> <g1>tous</g1> maintenant.")
    return out


def test_unchanged_outputs_are_reused_with_their_tags_in_the_translation_order(tmp_path):
    _, _, doc = load(tmp_path / "page.md", SOURCE)
    handler, ctx, doc, out, locked = written(tmp_path, french(doc))
    tagged = next(e for e in locked.entries if e.tags)
    assert tagged.tags == "2,1"          # the extractor numbers the moved spans 1, 2
    found = harvest_output(handler, ctx, doc, list(doc.segments()), out, locked, FR)
    assert not found.human and not found.edits and not found.problems
    assert {sid: r.text for sid, r in found.reuse.items()} == french(doc)
    assert {r.depends for r in found.reuse.values()} == {"f" * 12}


def test_an_edit_is_taken_in_and_a_changed_source_is_not(tmp_path):
    _, _, doc = load(tmp_path / "page.md", SOURCE)
    handler, ctx, doc, out, locked = written(tmp_path, french(doc))
    out.write_text(out.read_text().replace("Deuxième paragraphe.", "Un second paragraphe, revu."))
    found = harvest_output(handler, ctx, doc, list(doc.segments()), out, locked, FR)
    (sid,) = found.edits
    assert found.human[sid] == "Un second paragraphe, revu."
    changed = SOURCE.replace("Third one.", "The third one, rewritten.")
    _, _, doc2 = load(tmp_path / "page.md", changed)
    found = harvest_output(handler, ctx, doc2, list(doc2.segments()), out, locked, FR)
    assert found.changed == 1 and not found.replaced                 # machine text: just sent again
    assert len(found.reuse) == 2 and list(found.human.values()) == ["Un second paragraphe, revu."]


def test_an_edit_that_moves_markup_is_reported_not_taken(tmp_path):
    _, _, doc = load(tmp_path / "page.md", SOURCE)
    handler, ctx, doc, out, locked = written(tmp_path, french(doc))
    out.write_text(out.read_text().replace("*les fichiers*", "les fichiers"))
    found = harvest_output(handler, ctx, doc, list(doc.segments()), out, locked, FR)
    assert not found.edits and len(found.problems) == 1 and "markup" in found.problems[0]


def test_a_deleted_paragraph_keeps_the_edits_that_still_align(tmp_path):
    _, _, doc = load(tmp_path / "page.md", SOURCE)
    handler, ctx, doc, out, locked = written(tmp_path, french(doc))
    text = out.read_text().replace("Deuxième paragraphe.\n\n", "").replace("# Titre", "# Titre revu")
    out.write_text(text)
    found = harvest_output(handler, ctx, doc, list(doc.segments()), out, locked, FR)
    assert list(found.human.values()) == ["Titre revu"]
    assert len(found.problems) == 1 and "1 segments could not be matched" in found.problems[0]


def test_pairing_by_alignment_pairs_equal_runs_and_same_length_replacements():
    entries = [LockEntry(f"e{i}", k, k) for i, k in enumerate("abcde")]
    segs = [Segment(f"s{i}", k) for i, k in enumerate("abXde")]
    pairs, broken = pair_by_structure(entries, segs, list("abcde"), list("abXde"))
    assert broken == 0 and [pairs[i].id for i in range(5)] == ["s0", "s1", "s2", "s3", "s4"]
    pairs, broken = pair_by_structure(entries, segs[:2] + segs[3:], list("abcde"), list("abde"))
    assert broken == 1 and 2 not in pairs and pairs[3].id == "s3"


def test_relabel_undoes_the_extractors_numbering():
    translation = "Enregistrez <g2>les fichiers</g2> <g1>tous</g1>"
    extracted = "Enregistrez <g1>les fichiers</g1> <g2>tous</g2>"
    assert relabel(extracted, tags_note(translation, extracted)) == translation
    assert tags_note(extracted, extracted) == "" and relabel(extracted, "") == extracted


def test_an_output_that_no_longer_reads_is_reported_and_rebuilt(tmp_path):
    deck = tmp_path / "deck.pptx"
    deck.write_bytes(build_deck())
    handler = handler_for(deck)
    ctx = LoadContext(deck, deck.read_bytes(), PptxOptions(), None, (FR,))
    doc = handler.load(ctx)
    out = tmp_path / "fr.pptx"
    out.write_bytes(b"PK\x03\x04 not a zip any more")
    locked = LockedOutput("deck.pptx", "0" * 16, "0" * 16, [LockEntry(s.id, "a", "b") for s in doc.segments()])
    found = harvest_output(handler, ctx, doc, list(doc.segments()), out, locked, FR)
    assert not found.reuse and not found.human and len(found.problems) == 1
    assert "cannot be read back" in found.problems[0] and "rebuilt from its source" in found.problems[0]
