"""A job's lock files as one book: read before a run, written together with its outputs.

:class:`LockBook` loads the lock files of the labels a run writes (its target languages,
and ``all`` for tables holding every language), tells the plan what each file's
committed outputs say (:meth:`LockBook.harvest`), and after the run writes the lock
files again with what the run wrote.

Written together with the outputs: a file's new entries are journaled in the job's state
store *before* its outputs are renamed into place (:meth:`LockBook.entries_record`, stored
by the run's journal), and folded into the lock files at the end of the run, or, after
a killed run, at the start of the next one (:func:`pending_applied`), but only where the
output on disk is the one they describe. So the lock file never describes an output that
is not there, and never misses one that is: what a killed run wrote is not mistaken for a
reviewer's edit.

Outputs whose input is gone are pruned: removed with their entries, and listed; a run
that would remove more than half of the outputs it knows refuses (``--prune`` allows it:
a renamed input folder must not wipe a translated site).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping

from pipeline.errors import ConfigError, FileError
from pipeline.formats import Document, FormatHandler, LoadContext, output_relpath
from pipeline.languages import Language
from pipeline.output import output_path
from pipeline.provenance import endpoint_of, job_engine
from pipeline.repository.committed import FileHarvest, harvest_output
from pipeline.repository.lockfile import (LockedOutput, LockFormatError, file_hash, lock_dir, lock_path,
                                          parse_lock, read_lock, render_lock, write_lock)

if TYPE_CHECKING:
    from pipeline.config import Job

COMBINED_SEP = ":"          # a combined output's entries: "<lang>:<segment id>"
COMBINED_LABEL = "all"      # {lang} of a file that holds every target language (a CSV table)


def output_groups(job: Job, combined: bool) -> list[tuple[str, tuple[Language, ...]]]:
    """(label, languages) of each output a file has: one per language, or one combined
    output holding every language (labelled by the language when there is only one)."""
    langs = job.target_langs
    if not combined:
        return [(lang.code, (lang,)) for lang in langs]
    return [(langs[0].code if len(langs) == 1 else COMBINED_LABEL, langs)]


def run_labels(job: Job) -> list[str]:
    """Every label a run of ``job`` may write."""
    labels = [lang.code for lang in job.target_langs]
    return labels + ([COMBINED_LABEL] if len(labels) > 1 else [])


@dataclass
class Pruned:
    """An output removed because its input is gone."""

    label: str
    relpath: str
    path: Path


@dataclass
class LockBook:
    """The lock files of one run's labels (see the module docstring)."""

    job: Job
    directory: Path
    outputs: dict[str, dict[str, LockedOutput]] = field(default_factory=dict)  # label -> relpath -> output
    # endpoint -> the engine found answering there, where that is not what the job's
    # configuration says (an emulator behind a configured URL): a fresh clone then knows
    # which engine its committed translations came from without asking.
    engines: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, job: Job, pending: Iterable[tuple[str, str, str]] = ()) -> "LockBook":
        """The lock files as they stand, with the journaled entries of a killed run folded
        in where their outputs are on disk (``pending``: (label, relpath, record)).
        ConfigError when a lock file cannot be read (a merge conflict left in it)."""
        directory = lock_dir(job.name, job.state_dir)
        book = cls(job, directory)
        for label in run_labels(job):
            try:
                book.outputs[label] = read_lock(lock_path(directory, label), book.engines)
            except LockFormatError as exc:
                raise ConfigError(str(exc), source=job.source, key="lock file") from None
        book.fold(pending)
        return book

    def fold(self, records: Iterable[tuple[str, str, str]]) -> None:
        """Take journaled entries whose output on disk is the one they describe."""
        for label, relpath, record in records:
            if label not in self.outputs:
                continue
            out = parse_lock(record, "the state store").get(relpath)
            if out is not None and _on_disk(self._path(label, relpath), out.output_hash):
                self.outputs[label][relpath] = out

    def _path(self, label: str, relpath: str) -> Path:
        return output_path(self.job.output_dir(label),
                           output_relpath(self.job, self.job.input_dir / relpath, relpath, label))

    # --- before planning -----------------------------------------------------------------

    def harvest(self, handler: FormatHandler, ctx: LoadContext, doc: Document, relpath: str
                ) -> dict[str, FileHarvest]:
        """What each committed output of this file says, by language code."""
        found: dict[str, FileHarvest] = {}
        segments = list(doc.segments())
        for label, langs in output_groups(self.job, doc.combined):
            locked = self.outputs.get(label, {}).get(relpath)
            if locked is None:
                continue
            try:
                path = self._path(label, relpath)
            except FileError:
                continue
            if not path.is_file():
                continue
            for lang in langs:
                entries = _entries_for(locked, lang, len(langs) > 1)
                found[lang.code] = harvest_output(handler, ctx, doc, segments, path, entries, lang)
        return found

    def committed_engine(self) -> str:
        """The engine the lock files say answers at the job's endpoint ("" unknown)."""
        return self.engines.get(endpoint_of(self.job), "")

    def learned(self, engine: str | None) -> None:
        """The engine that answered at the job's endpoint this run: remembered when it is
        not the one the configuration names."""
        if not engine:
            return
        endpoint = endpoint_of(self.job)
        if engine == job_engine(self.job):
            self.engines.pop(endpoint, None)
        else:
            self.engines[endpoint] = engine

    def known_outputs(self) -> int:
        return sum(len(per) for per in self.outputs.values())

    # --- pruning ---------------------------------------------------------------------------

    def stale(self) -> list[Pruned]:
        """Outputs the lock files know whose input file is gone."""
        gone: list[Pruned] = []
        for label, per in self.outputs.items():
            for relpath in per:
                if not (self.job.input_dir / relpath).is_file():
                    try:
                        gone.append(Pruned(label, relpath, self._path(label, relpath)))
                    except FileError:
                        continue
        return sorted(gone, key=lambda p: (p.relpath, p.label))

    def check_prune(self, gone: list[Pruned], allowed: bool) -> None:
        """Refuse (ConfigError, exit 2) to remove more than half of the known outputs
        unless ``allowed``."""
        known = self.known_outputs()
        if gone and not allowed and len(gone) * 2 > known:
            raise ConfigError(
                f"{len(gone)} of the {known} outputs in the lock files have no input any more (was the input "
                f"folder moved or renamed?); nothing was removed. Run with --prune to remove them",
                source=self.job.source, key="input")

    def prune(self, gone: list[Pruned]) -> None:
        """Remove the outputs and their entries (the lock files are written by :meth:`save`)."""
        for p in gone:
            p.path.unlink(missing_ok=True)
            self.outputs[p.label].pop(p.relpath, None)

    # --- after writing ---------------------------------------------------------------------

    def record(self, relpath: str, written: Mapping[str, LockedOutput]) -> list[tuple[str, str, str]]:
        """A file's new entries (label -> output) as journal records (label, relpath, text)."""
        return [(label, relpath, render_lock(self.job.name, label, [out])) for label, out in written.items()]

    def took(self, relpath: str, written: Mapping[str, LockedOutput]) -> None:
        """A file's outputs are in place: its new entries replace the old ones."""
        for label, out in written.items():
            self.outputs.setdefault(label, {})[relpath] = out

    def save(self, records: Iterable[tuple[str, str, str]] = ()) -> list[Path]:
        """Fold ``records`` in and write every lock file of the run's labels; the files
        whose content changed."""
        self.fold(records)
        written = []
        for label, per in self.outputs.items():
            path = lock_path(self.directory, label)
            if write_lock(path, self.job.name, label, per.values(), self.engines):
                written.append(path)
        return written


def load_book(job: Job) -> LockBook:
    """The job's lock files for reading only (an estimate, a ``--frozen`` check), with what
    a killed run journaled folded in, in memory."""
    from pipeline.ledger.store import STATE_FILE, StateStore

    store = StateStore.read_only(job.state_dir / STATE_FILE)
    try:
        pending = store.lock_pending()
    finally:
        store.close()
    return LockBook.load(job, pending)


def _entries_for(locked: LockedOutput, lang: Language, combined: bool) -> LockedOutput:
    """The entries of one language: a combined output's carry "<lang>:" before the id."""
    if not combined:
        return locked
    prefix = lang.code + COMBINED_SEP
    return replace(locked, entries=[replace(e, segment=e.segment[len(prefix):]) for e in locked.entries
                                    if e.segment.startswith(prefix)])


def _on_disk(path: Path, output_hash: str) -> bool:
    try:
        return file_hash(path) == output_hash
    except OSError:
        return False


__all__ = ["COMBINED_SEP", "LockBook", "Pruned", "load_book", "output_groups", "run_labels"]
