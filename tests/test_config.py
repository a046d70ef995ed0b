"""Job files: defaults, strict validation, one-line errors naming file and key."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import NATIVE_REGIONS, REGIONS, load_job
from pipeline.errors import ConfigError

BASE = 'input = "in"\noutput = "out/{lang}"\ntarget_langs = ["zh", "ja"]\n'


def error_of(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_job(path)
    return info.value


def test_defaults_and_resolution(write_job, monkeypatch):
    monkeypatch.delenv("DASHSCOPE_BASE_URL", raising=False)
    job = load_job(write_job(BASE))
    assert [lang.code for lang in job.target_langs] == ["zh", "ja"]
    assert job.source_lang is None  # auto
    assert job.model == "qwen-mt-flash"
    assert job.base_url == REGIONS["beijing"]
    assert job.run.concurrency == 8
    assert job.output_dir("zh").name == "zh"
    assert job.markdown.front_matter_keys == ("title", "description")
    assert job.state_dir.parts[-2:] == (".qmt", "job")


def test_region_and_env_base_url(write_job, monkeypatch):
    monkeypatch.delenv("DASHSCOPE_BASE_URL", raising=False)
    assert load_job(write_job(BASE + 'region = "singapore"\n')).base_url == REGIONS["singapore"]
    monkeypatch.setenv("DASHSCOPE_BASE_URL", "http://127.0.0.1:9/compatible-mode/v1/")
    assert load_job(write_job(BASE)).base_url == "http://127.0.0.1:9/compatible-mode/v1"
    explicit = load_job(write_job(BASE + 'base_url = "http://h/v1"\n'))
    assert explicit.base_url == "http://h/v1"


def test_native_protocol_endpoints_by_region_and_environment(write_job, monkeypatch):
    monkeypatch.delenv("DASHSCOPE_HTTP_BASE_URL", raising=False)
    monkeypatch.setenv("DASHSCOPE_BASE_URL", "http://127.0.0.1:9/compatible-mode/v1")   # the other protocol's
    job = load_job(write_job(BASE + 'protocol = "dashscope"\n'))
    assert job.protocol == "dashscope" and job.base_url == NATIVE_REGIONS["beijing"]
    assert load_job(write_job(BASE + 'protocol = "dashscope"\nregion = "us"\n')).base_url == NATIVE_REGIONS["us"]
    monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", "http://127.0.0.1:9/api/v1/")
    assert load_job(write_job(BASE + 'protocol = "dashscope"\n')).base_url == "http://127.0.0.1:9/api/v1"
    assert load_job(write_job(BASE), {"protocol": "dashscope"}).protocol == "dashscope"   # --protocol
    assert load_job(write_job(BASE)).protocol == "openai"
    monkeypatch.setenv("DASHSCOPE_BASE_URL", "http://127.0.0.1:9/api/v1")      # a native root for openai
    assert error_of(write_job(BASE)).key == "DASHSCOPE_BASE_URL"                # names where it came from


def test_flag_overrides_win(write_job):
    job = load_job(write_job(BASE), {"target_langs": ["fr"], "run": {"concurrency": 9}})
    assert [lang.code for lang in job.target_langs] == ["fr"]
    assert job.run.concurrency == 9


@pytest.mark.parametrize(
    ("extra", "key", "words"),
    [
        ('colour = "red"\n', "colour", "unknown key"),
        ('[sampling]\ntempreature = 0.3\n', "sampling.tempreature", "unknown key"),
        ('[run]\nconcurrency = "four"\n', "run.concurrency", "whole number"),
        ('model = "qwen-mt-max"\n', "model", "unknown model"),
        ('source_lang = "Klingon"\n', "source_lang", "unknown language"),
        ('model = "qwen-mt-lite"\ndomains = "IT"\n', "domains", "does not support domains"),
        ('region = "mars"\n', "region", "unknown region"),
        ('[sampling]\ntemperature = 0.3\ntop_p = 0.5\n', "sampling.top_p", "not both"),
        ('[sampling]\nseed = -1\n', "sampling.seed", "between"),
        ('[csv]\nmode = "merge"\n', "csv.mode", "fill"),
        ('terms = "missing.csv"\n', "terms", "file not found"),
        ('[[csv.files]]\ncolumns = ["a"]\n', "csv.files[0].match", "is required"),
        ('[[csv.files]]\nmatch = "*.csv"\nmode = "merge"\n', "csv.files[0].mode", "fill"),
        ('[[csv.files]]\nmatch = "*.csv"\ncolumn = ["a"]\n', "csv.files.column", "unknown key"),
        ('[[xlsx.files]]\nsheet = "S"\n', "xlsx.files[0].match", "is required"),
        ('[pptx]\nslides = false\n', "pptx.slides", "unknown key"),
        ('protocol = "grpc"\n', "protocol", "unknown protocol"),
        ('protocol = "dashscope"\nbase_url = "https://dashscope.aliyuncs.com/compatible-mode/v1"\n', "base_url",
         "OpenAI-compatible endpoint"),
        ('base_url = "https://dashscope.aliyuncs.com/api/v1"\n', "base_url", "native API root"),
    ],
)
def test_each_config_error_names_file_and_key(write_job, extra, key, words):
    path = write_job(BASE + extra)
    err = error_of(path)
    assert err.key == key
    assert words in str(err)
    assert str(path) in str(err)
    assert "\n" not in str(err)


def test_unknown_target_language_suggests(write_job):
    err = error_of(write_job('input = "in"\noutput = "o/{lang}"\ntarget_langs = ["Japanes"]\n'))
    assert err.key == "target_langs"
    assert "Japanese (ja)" in str(err)


def test_lite_rejects_language_it_does_not_take(write_job):
    err = error_of(write_job('input = "in"\noutput = "o/{lang}"\ntarget_langs = ["Welsh"]\nmodel = "qwen-mt-lite"\n'))
    assert err.key == "target_langs" and "not supported by qwen-mt-lite" in str(err)


def test_missing_input_folder(tmp_path):
    path = tmp_path / "j.toml"
    path.write_text('input = "nowhere"\noutput = "o/{lang}"\ntarget_langs = ["de"]\n')
    err = error_of(path)
    assert err.key == "input" and "folder not found" in str(err)


def test_output_inside_input_is_refused(write_job):
    err = error_of(write_job('input = "in"\noutput = "in/out/{lang}"\ntarget_langs = ["de"]\n'))
    assert err.key == "output" and "inside the input folder" in str(err)


def test_output_reaching_into_the_input_through_a_symlink_is_refused(write_job, tmp_path):
    job = write_job('input = "in"\noutput = "link/out/{lang}"\ntarget_langs = ["de"]\n')
    (tmp_path / "link").symlink_to(tmp_path / "in", target_is_directory=True)
    err = error_of(job)
    assert err.key == "output" and "inside the input folder" in str(err)


def test_several_targets_need_lang_placeholder(write_job):
    err = error_of(write_job('input = "in"\noutput = "out"\ntarget_langs = ["de", "fr"]\n'))
    assert err.key == "output" and "{lang}" in str(err)


def test_invalid_toml(write_job):
    err = error_of(write_job("input = \n"))
    assert "not valid TOML" in str(err)


def test_sample_job_is_valid():
    job = load_job(Path(__file__).resolve().parents[1] / "jobs" / "sample.toml")
    assert {lang.code for lang in job.target_langs} == {"zh", "ja"}
    assert job.input_dir.name == "sample_docs"


def test_the_rate_limits_minute_sets_the_pacing_window(write_job):
    """A benchmark against an emulator on a scaled clock paces over the same short minute."""
    from pipeline.job.run import pool_settings

    assert pool_settings(load_job(write_job(BASE))).rate_window == 60.0
    job = load_job(write_job(BASE + "[run]\nminute_seconds = 1.2\n"))
    assert pool_settings(job).rate_window == 1.2
    with pytest.raises(ConfigError, match="minute_seconds"):
        load_job(write_job(BASE + "[run]\nminute_seconds = 0\n"))
