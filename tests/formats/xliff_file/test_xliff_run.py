"""XLIFF inputs through ``qmt translate`` and ``qmt estimate`` against the emulator:
outputs named as Angular expects, read by translate-toolkit, checked by the run's
coverage read-back, and a second run sends nothing."""
from __future__ import annotations

import shutil
from pathlib import Path

from translate.storage import xliff as tt_xliff
from translate.storage import xliff2 as tt_xliff2

from pipeline.cli import main
from pipeline.config import load_job, with_overrides
from pipeline.emulator import EmulatorServer
from pipeline.job.estimate import estimate_job
from pipeline.job.progress import Progress
from pipeline.job.run import EXIT_OK, pool_settings, region_of, run_job
from pipeline.translate.qwen_backend import QwenBackend

FIXTURES = Path(__file__).parent / "fixtures"
KEY = "sk-xliff0123456789abcdef"


def _folder(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    (root / "web/src/locale").mkdir(parents=True)
    shutil.copy(FIXTURES / "angular-i18n/messages.xlf", root / "web/src/locale/messages.xlf")
    (root / "lib").mkdir()
    shutil.copy(FIXTURES / "locize/example_note.xliff", root / "lib/example_note.xliff")
    return root


def test_cli_run_writes_angular_names_that_translate_toolkit_reads(tmp_path):
    root, out = _folder(tmp_path), tmp_path / "out"
    assert main(["translate", str(root), "--to", "fr", "--out", f"{out}/{{lang}}", "--emulator"]) == EXIT_OK
    web = (out / "fr/web/src/locale/messages.fr.xlf").read_bytes()
    units = tt_xliff.xlifffile.parsestring(web).units
    assert len(units) == 9 and all(u.target and "⟦fr⟧" in u.target for u in units if u.source.strip())
    lib = (out / "fr/lib/example_note.fr.xliff").read_bytes()
    assert 'trgLang="fr"' in lib.decode() and lib.decode().count('state="translated"') == 6
    assert all(u.target.startswith("⟦fr⟧") for u in tt_xliff2.Xliff2File.parsestring(lib).units)


def test_estimate_equals_run_and_a_second_run_sends_nothing(tmp_path):
    root = _folder(tmp_path)
    path = tmp_path / "job.toml"
    path.write_text(f'input = "{root}"\noutput = "{tmp_path}/o/{{lang}}"\nsource_lang = "en"\n'
                    'target_langs = ["de", "ja"]\n[run]\nrpm = 0\ntpm = 0\npack_tokens = 60\n', encoding="utf-8")
    job = load_job(path)
    est = estimate_job(job, pool_settings(job), region_of(job))
    assert est.requests > 0
    with EmulatorServer(mode="pseudo", output_tokens="source") as server:
        backend = QwenBackend(api_key=KEY, base_url=server.base_url, timeout=10)
        run = with_overrides(job, base_url=server.base_url)
        result = run_job(run, backend=backend, progress=Progress(interactive=False))
        assert result.exit_code == EXIT_OK
        assert est.requests == server.billing.received
        assert run_job(run, backend=backend, progress=Progress(interactive=False)).exit_code == EXIT_OK
        assert server.billing.received == est.requests
