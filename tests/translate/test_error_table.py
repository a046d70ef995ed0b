"""The error classification table (``service_errors.ERROR_TABLE``): one test per row, in
both protocols, plain and streaming, through the production backends against the
emulator, which sends every documented error body in each protocol's shape.

Then the rows that decide a job: the compatible endpoint's TPM throttle (429
``insufficient_quota`` "Allocated quota exceeded") is retried and the job ends with exit
0; each billing code stops the job at its first answer with exit 3 and one line saying
why and what to do.
"""
from __future__ import annotations

import asyncio

import pytest
from support import EMULATOR_KEY

from pipeline import errors
from pipeline.config import load_job, with_overrides
from pipeline.emulator.faults import ERRORS
from pipeline.emulator.native import native_code
from pipeline.languages import lookup
from pipeline.job.progress import Progress
from pipeline.job.run import EXIT_FATAL, EXIT_OK, run_job
from pipeline.translate.backend import TranslationRequest
from pipeline.translate.engines import text_backend
from pipeline.translate.service_errors import ERROR_TABLE, classify, error_row

REQUEST = TranslationRequest(text="A sentence to translate.", model="qwen-mt-flash", source_lang="English",
                             target_lang=lookup("fr").name)

# Each emulator error kind, the class it must become, and the row that must catch it
# (in the native protocol where its code is spelled differently there).
EXPECTED: dict[str, tuple[type[errors.ServiceError], str, str]] = {
    "free_quota": (errors.QuotaExhausted, "free quota used up", "free quota used up"),
    "arrearage": (errors.Arrearage, "account in arrears", "account in arrears"),
    "prepaid_overdue": (errors.BillOverdue, "prepaid bill overdue", "prepaid bill overdue"),
    "postpaid_overdue": (errors.BillOverdue, "postpaid bill overdue", "postpaid bill overdue"),
    "not_purchased": (errors.NotActivated, "model not purchased", "model not purchased"),
    "401": (errors.AuthenticationFailed, "bad API key", "bad API key"),
    "403": (errors.AccessDenied, "no access to the model", "no access to the model"),
    "404": (errors.ModelNotFound, "unknown model", "unknown model"),
    "tpm_compat": (errors.RateLimited, "TPM throttle (compatible)", "TPM throttle (native)"),
    "tpm": (errors.RateLimited, "TPM throttle (native)", "TPM throttle (native)"),
    "429": (errors.RateLimited, "RPM throttle", "RPM throttle"),
    "rate_limit": (errors.RateLimited, "RPM throttle", "RPM throttle"),
    "burst": (errors.RateLimited, "burst throttle", "burst throttle"),
    "throttling": (errors.RateLimited, "throttle", "throttle"),
    "429_unknown": (errors.RateLimited, "unknown 429", "unknown 429"),
    "408": (errors.ServiceTimeout, "request timed out", "request timed out"),
    "blocked": (errors.ContentRejected, "content moderation", "content moderation"),
    "500": (errors.ServerError, "server error", "server error"),
    "502": (errors.ServerError, "server error", "server error"),
    "503": (errors.ServerError, "server error", "server error"),
    "504": (errors.ServerError, "server error", "server error"),
    "400": (errors.InvalidRequest, "bad request", "bad request"),
}
PROTOCOLS = ("openai", "dashscope")


def _answer(server, protocol: str, stream: bool, kind: str) -> errors.ServiceError:
    server.reset()
    server.script(kind)
    backend = text_backend(protocol, api_key=EMULATOR_KEY, base_url=server.url_for(protocol), timeout=5.0,
                           stream=stream)

    async def call() -> errors.ServiceError:
        try:
            await backend.translate(REQUEST)
        except errors.ServiceError as exc:
            return exc
        finally:
            await backend.aclose()
        raise AssertionError(f"{kind}: the request succeeded")

    return asyncio.run(call())


@pytest.mark.parametrize("stream", (False, True), ids=("plain", "stream"))
@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_each_documented_error_body_is_classified_by_its_row(server, kind, protocol, stream):
    cls, compatible_row, native_row = EXPECTED[kind]
    exc = _answer(server, protocol, stream, kind)
    assert type(exc) is cls, (kind, protocol, exc)
    spec = ERRORS[kind]
    assert exc.status == spec.status
    assert exc.code == (spec.code if protocol == "openai" else native_code(spec.code))
    row = error_row(exc.status, exc.code, spec.message)
    assert row.name == (compatible_row if protocol == "openai" else native_row)
    assert row.source   # every row says where the code is documented


def test_every_row_of_the_table_is_reached_by_an_emulated_answer():
    reached = {row for _, compatible, native in EXPECTED.values() for row in (compatible, native)}
    assert reached == {row.name for row in ERROR_TABLE}


@pytest.mark.parametrize("kind", sorted(k for k in EXPECTED if k != "429_unknown"))
def test_an_error_event_inside_a_stream_is_classified_by_its_code_alone(kind):
    """No status inside a stream: the code (and message) must say the same as the status did."""
    spec = ERRORS[kind]
    for code in (spec.code, native_code(spec.code)):
        exc = classify(None, code, spec.message, None, headers=None)
        assert type(exc) is EXPECTED[kind][0], (kind, code)


def test_an_unknown_throttling_code_inside_a_stream_is_still_a_throttle():
    exc = classify(None, "Throttling.User", "Too many requests.", None, headers=None)
    assert isinstance(exc, errors.RateLimited)


def test_the_tpm_throttle_and_the_free_quota_share_a_code_and_differ_by_message():
    tpm, free = ERRORS["tpm_compat"], ERRORS["free_quota"]
    assert tpm.code == free.code == "insufficient_quota"
    assert isinstance(classify(429, tpm.code, tpm.message, None, headers=None), errors.RateLimited)
    assert isinstance(classify(429, free.code, free.message, None, headers=None), errors.QuotaExhausted)
    # A quota message no document lists: a throttle until the outage window says otherwise.
    assert isinstance(classify(429, "insufficient_quota", "You exceeded your quota.", None, headers=None),
                      errors.RateLimited)


@pytest.mark.parametrize("kind, limit", [("429", "requests"), ("burst", "requests"), ("tpm", "tokens"),
                                         ("tpm_compat", "tokens"), ("throttling", None)])
def test_a_throttle_names_the_limit_it_enforces(kind, limit):
    """What the pacing slows after a 429: the request rate for RPM and burst throttles, the
    token rate for TPM ones, both when the code says neither."""
    spec = ERRORS[kind]
    for code in {spec.code, native_code(spec.code)}:
        exc = classify(429, code, spec.message, None, headers=None)
        assert isinstance(exc, errors.RateLimited) and exc.limit == limit, (kind, code)


# --- what the table decides for a job ----------------------------------------------------------


def _job(tmp_path, server, protocol: str, *, stream: bool = False):
    (tmp_path / "in").mkdir(exist_ok=True)
    (tmp_path / "in" / "page.md").write_text("# Title\n\nFirst paragraph.\n\nSecond paragraph.\n", encoding="utf-8")
    (tmp_path / "job.toml").write_text(
        'input = "in"\noutput = "out/{lang}"\nsource_lang = "en"\ntarget_langs = ["fr"]\n'
        f'protocol = "{protocol}"\n[run]\nconcurrency = 1\nrpm = 0\ntpm = 0\nbackoff_initial = 0.01\n'
        f'backoff_max = 0.05\nmax_attempts = 6\nstream = {str(stream).lower()}\n', encoding="utf-8")
    return with_overrides(load_job(tmp_path / "job.toml"), base_url=server.url_for(protocol))


def _run(job, server):
    backend = text_backend(job.protocol, api_key=EMULATOR_KEY, base_url=server.url_for(job.protocol),
                           timeout=job.run.timeout, stream=job.run.stream)
    return run_job(job, backend=backend, progress=Progress(interactive=False))


@pytest.mark.parametrize("stream", (False, True), ids=("plain", "stream"))
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_the_compatible_tpm_throttle_is_retried_and_the_job_finishes(tmp_path, server, protocol, stream):
    server.reset()
    server.script("tpm_compat:retry_after=0.05", "tpm_compat:retry_after=0.05", "tpm_compat:retry_after=0.05")
    result = _run(_job(tmp_path, server, protocol, stream=stream), server)
    assert result.exit_code == EXIT_OK, result.fatal
    assert server.billing.errors["insufficient_quota"] == 3  # counted by the compatible code
    assert (tmp_path / "out" / "fr" / "page.md").is_file()


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("state, words", [
    ("prepaid_overdue", "bill of the account is overdue"),
    ("postpaid_overdue", "bill of the account is overdue"),
    ("not_purchased", "not activated"),
])
def test_a_billing_code_stops_the_job_at_its_first_answer(tmp_path, server, protocol, state, words):
    server.reset()
    server.set_account_state(state)
    try:
        result = _run(_job(tmp_path, server, protocol), server)
    finally:
        server.set_account_state("ok")
    assert result.exit_code == EXIT_FATAL
    assert server.billing.received == 1            # stopped within one request, not retried
    assert words in result.fatal and "\n" not in result.fatal
    assert not (tmp_path / "out" / "fr" / "page.md").exists()
