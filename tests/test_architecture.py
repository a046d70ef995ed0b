"""The package's shape: layers that import only downward, no two folders importing each
other, every class name used once, a short list of top-level modules.

The import graph is read from the source with :mod:`ast` (nothing is imported): every
``import`` and ``from ... import`` of ``pipeline``, at module level and inside functions
alike, so an import moved into a function to dodge the rule is still an edge. Only the
bodies of ``if TYPE_CHECKING:`` are left out: they name a type for the type checker and
run never (a lower layer may say that it is handed a :class:`~pipeline.config.Job`).

A failure names the edge (``pipeline.media.run -> pipeline.job.discover``), so the fix
is to move that code to the layer it belongs in, never to allowlist it.
"""
from __future__ import annotations

import ast
import functools
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "pipeline"

# The layers, bottom first. A module may import its own unit (a top-level module, or a
# package with everything under it) and any unit listed before it; never one after it.
LAYERS: tuple[str, ...] = (
    # The root package (its version) and the leaf modules every layer may use: they know
    # nothing of documents, jobs or services. secrets is below errors (error messages
    # redact keys); service_facts is what the services document (models, regions, voices,
    # ranges) and imports nothing; provenance names engines from service_facts' regions.
    "pipeline", "secrets", "errors", "service_facts", "languages", "segments", "tokens", "provenance", "output",
    # Where segments are born and written back: one module per format, and their options.
    "formats",
    # Where a segment is translated: backends, the request sender, the worker pool.
    "translate",
    # What a run records: the state store (cache, TM additions), the journal, the usage
    # ledger: rows of translate's responses, kept whatever reads them later.
    "ledger",
    # What is already known: glossary, TM and the lookup a plan asks, reading the ledger's
    # state store (it builds the units translate sends).
    "memory",
    # The repository as memory: lock files and committed outputs read back through formats.
    "repository",
    # The second pipeline: audio and video through LiveTranslate; the job's run drives it.
    "media",
    # The job's flow: discover, load, plan, run, assemble, estimate, freshness. It drives
    # media, writes the repository's lock files and the ledger's journal.
    "job",
    # The review loop (qmt check, XLIFF): it reads a job's documents through the job's one
    # loader and its state through memory and the repository.
    "review",
    # The job file: config composes every package's own options module (formats, media,
    # review.qa, memory) and service_facts into a Job. So it sits above those packages,
    # which are handed a Job and name its type only under TYPE_CHECKING; only the commands
    # read a job file.
    "config",
    # The local stand-in for the services (tests, --emulator); it shares their facts.
    "emulator",
    # The commands, and ``python -m pipeline``.
    "cli", "__main__",
)
MAX_TOP_LEVEL_MODULES = 11      # pipeline/*.py besides __init__.py: the rest lives in packages


@dataclass(frozen=True)
class Graph:
    modules: dict[str, Path]            # dotted name -> file
    edges: frozenset[tuple[str, str]]   # (importer, imported), both modules of the package

    def unit(self, module: str) -> str:
        """The top-level module or package a module belongs to (``pipeline.job.run`` -> ``job``)."""
        parts = module.split(".")
        return parts[1] if len(parts) > 1 else parts[0]

    @property
    def unit_edges(self) -> set[tuple[str, str]]:
        return {(self.unit(a), self.unit(b)) for a, b in self.edges if self.unit(a) != self.unit(b)}

    def mutual_pairs(self) -> set[tuple[str, str]]:
        units = self.unit_edges
        return {(a, b) for a, b in units if a < b and (b, a) in units}

    def upward_edges(self) -> list[tuple[str, str]]:
        rank = {name: n for n, name in enumerate(LAYERS)}
        return sorted((a, b) for a, b in self.edges
                      if rank.get(self.unit(b), len(LAYERS)) > rank.get(self.unit(a), -1))


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except in ``if TYPE_CHECKING:`` bodies."""
    found: list[ast.Import | ast.ImportFrom] = []
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))
    return found


def _targets(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool, modules: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:      # relative: from the importer's package, one level up per extra dot
        package = importer.split(".") if is_package else importer.split(".")[:-1]
        package = package[:len(package) - (node.level - 1)]
        base = ".".join(package + ([node.module] if node.module else []))
    # ``from pipeline import errors`` imports the module pipeline.errors; ``from
    # pipeline.formats import Document`` imports the package pipeline.formats.
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]


@functools.lru_cache(maxsize=None)
def parsed(path: Path) -> ast.Module:
    """A module's syntax tree, parsed once for all the rules here (each reads every module)."""
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@functools.lru_cache(maxsize=None)
def import_graph(package: Path = PACKAGE) -> Graph:
    modules = {module_name(path, package): path for path in sorted(package.rglob("*.py"))}
    edges: set[tuple[str, str]] = set()
    for name, path in modules.items():
        for node in _imports(parsed(path)):
            for target in _targets(node, name, path.name == "__init__.py", modules):
                if target != "pipeline" and not target.startswith("pipeline."):
                    continue
                while target not in modules and "." in target:   # an attribute of a module
                    target = target.rsplit(".", 1)[0]
                if target != name:
                    edges.add((name, target))
    return Graph(modules, frozenset(edges))


def class_names_used_twice(package: Path = PACKAGE) -> dict[str, list[str]]:
    where: dict[str, list[str]] = {}
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.ClassDef):
                where.setdefault(node.name, []).append(module_name(path, package))
    return {name: mods for name, mods in where.items() if len(mods) > 1}


def top_level_modules(package: Path = PACKAGE) -> list[str]:
    return sorted(p.stem for p in package.glob("*.py") if p.name != "__init__.py")


def figures(package: Path = PACKAGE) -> dict[str, int]:
    """The measures the issue's closing note reports (``python tests/test_architecture.py``)."""
    graph = import_graph(package)
    return {"modules": len(graph.modules), "top-level modules": len(top_level_modules(package)),
            "module import edges": len(graph.edges), "package-level edges": len(graph.unit_edges),
            "upward edges": len(graph.upward_edges()), "mutual pairs": len(graph.mutual_pairs()),
            "class names used twice": len(class_names_used_twice(package))}


# --- the rules ----------------------------------------------------------------------------


def test_every_folder_and_top_level_module_has_a_layer():
    graph = import_graph()
    units = {graph.unit(m) for m in graph.modules}
    assert sorted(units - set(LAYERS)) == [], "add it to LAYERS, where it belongs"
    assert sorted(set(LAYERS) - units) == [], "LAYERS names a module or folder that is gone"


def test_no_import_goes_up_a_layer():
    graph = import_graph()
    upward = [f"{a} -> {b} ({graph.unit(a)} is below {graph.unit(b)})" for a, b in graph.upward_edges()]
    assert upward == [], "imports from a lower layer to a higher one:\n" + "\n".join(upward)


def test_no_two_folders_import_each_other():
    graph = import_graph()
    lines = []
    for a, b in sorted(graph.mutual_pairs()):
        lines.append(f"{a} <-> {b}:")
        lines += [f"    {x} -> {y}" for x, y in sorted(graph.edges) if {graph.unit(x), graph.unit(y)} == {a, b}]
    assert lines == [], "folders importing each other:\n" + "\n".join(lines)


def test_every_class_name_is_used_once():
    twice = class_names_used_twice()
    assert twice == {}, "class names defined more than once: " + "; ".join(
        f"{name} in {', '.join(mods)}" for name, mods in sorted(twice.items()))


def test_few_top_level_modules():
    top = top_level_modules()
    assert len(top) <= MAX_TOP_LEVEL_MODULES, f"{len(top)} top-level modules: {', '.join(top)}"


OPTION_MODULES = ("pipeline.formats.options", "pipeline.media.options", "pipeline.memory.options",
                  "pipeline.review.qa.options")


def test_each_package_owns_its_options_and_config_composes_them():
    """The job file's tables are defined by their packages, in option modules that never
    import the job loader (not even for a type): config imports them, never the reverse."""
    graph = import_graph()
    composed = {b for a, b in graph.edges if a == "pipeline.config"}
    assert set(OPTION_MODULES) <= composed
    for name in OPTION_MODULES:
        tree = parsed(graph.modules[name])
        named = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        named |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        assert "pipeline.config" not in named, name


def test_reading_a_job_file_loads_no_sdk():
    """Importing the job loader (and the option modules it composes) must not load the
    openai or dashscope SDK, nor the memory's or the ledger's machinery."""
    code = ("import sys, pipeline.config\n"
            "heavy = sorted(m for m in ('openai', 'dashscope', 'httpx', 'polars', 'lxml', 'pipeline.translate.pool',"
            " 'pipeline.memory.lookup', 'pipeline.ledger.store') if m in sys.modules)\n"
            "print(','.join(heavy))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=PACKAGE.parent)
    assert done.stdout.strip() == ""


# What only sending needs: the SDKs and HTTP stacks (loaded when a backend is made, or the
# emulator started), and the run's own machinery (the worker pool, the progress bar).
SENDING_ONLY = ("openai", "httpx", "httpx2", "aiohttp", "dashscope", "tqdm", "pipeline.job.run",
                "pipeline.translate.pool", "pipeline.translate.livetranslate_backend")

_COMMANDS_PROBE = """
import json, sys
from pipeline.cli import main
job, xlf = sys.argv[1], sys.argv[2]
commands = [["--help"], ["langs"], ["langs", "--model", "qwen3-livetranslate-flash"], ["estimate", job],
            ["check", job], ["xliff", "export", job, "-o", xlf], ["xliff", "import", xlf + "/de/a.md.xlf"],
            ["translate", job, "--frozen"], ["usage", job]]
loaded = []
for argv in commands:
    code = main(argv)
    loaded.append([" ".join(argv[:2]), code, sorted(m for m in %r + ("polars",) if m in sys.modules)])
print(json.dumps(loaded))
"""


def test_commands_that_send_nothing_load_no_sdk(tmp_path):
    """``qmt --help``, ``langs``, ``estimate``, ``check``, ``xliff export|import``,
    ``translate --frozen`` and ``usage`` run one after the other in one process, and none
    loads an SDK, an HTTP stack or the run (they start in a fraction of the time); polars
    loads for ``qmt usage`` alone, which reads the ledger with it."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.md").write_text("# Title\n\nHello world.\n", encoding="utf-8")
    job = tmp_path / "job.toml"
    job.write_text('name = "probe"\ninput = "in"\noutput = "out/{lang}"\nsource_lang = "en"\n'
                   'target_langs = ["de"]\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", _COMMANDS_PROBE % (SENDING_ONLY,), str(job), str(tmp_path / "xlf")],
                          capture_output=True, text=True, check=True, cwd=PACKAGE.parent)
    steps = json.loads(done.stdout.splitlines()[-1])
    # check: 1 (nothing is translated yet: its findings); --frozen: 8 (a run would send)
    assert [code for _, code, _ in steps] == [0, 0, 0, 0, 1, 0, 0, 8, 0], done.stderr
    assert [(argv, seen) for argv, _, seen in steps if seen] == [("usage " + str(job), ["polars"])]


def test_the_graph_reader_sees_function_level_imports_and_skips_type_checking(tmp_path):
    pkg = tmp_path / "pipeline"
    (pkg / "low").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "low" / "__init__.py").write_text("")
    (pkg / "high.py").write_text("X = 1\n")
    (pkg / "low" / "a.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from pipeline.high import X\n"
        "def f():\n    from pipeline import high\n    from . import b\n")
    (pkg / "low" / "b.py").write_text("class A: pass\n")
    (pkg / "c.py").write_text("class A: pass\n")
    graph = import_graph(pkg)
    assert graph.edges == {("pipeline.low.a", "pipeline.high"), ("pipeline.low.a", "pipeline.low.b")}
    assert class_names_used_twice(pkg) == {"A": ["pipeline.c", "pipeline.low.b"]}


if __name__ == "__main__":
    for key, value in figures().items():
        print(f"{key}: {value}")
