"""What the services qmt talks to document, in one place: models, regions, limits, ranges.

The emulator refuses what the service refuses (:mod:`pipeline.emulator.protocol`) and
the job loader refuses the same values first (:mod:`pipeline.config`), so that a job the
service would answer with 400 on every request never sends one. Both read the ranges
from here, so they cannot drift apart.

A leaf module: it imports nothing of the package (the emulator and the loader both
import it, and neither may pull the other in), so reading a job file loads no SDK:
the LiveTranslate languages and voices the ``[media]`` table is checked against live
here, not in the backend that imports openai.

Sources (``../shared/seeds``, digest in ``../shared/docs/qwen-mt.md``):

* ``qwen-mt-api-reference-zh.txt`` (request body) and ``qwen-mt-api-reference-ja.txt``
  ("temperature", "top_p", "top_k", "repetition_penalty", "seed", "max_tokens"; the
  same for the native protocol's ``parameters``);
* ``livetranslate-zh-hant.txt``: LiveTranslate's languages, voices, limits, its speech's
  format, and its audio and video billing (:func:`audio_tokens`, :func:`video_tokens`);
* ``data/prices.toml``: the price list, each row with its source (:func:`price_list`);
* qwen-mt.md "Request": one message, role user, no system message; qwen-mt-lite takes
  no ``domains``; "Limits (ext)": 8,192 input and output tokens.
"""
from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

MODELS = ("qwen-mt-plus", "qwen-mt-flash", "qwen-mt-lite", "qwen-mt-turbo")
# The engines qmt speaks to: Qwen-MT (the default) or any OpenAI-compatible model server.
QWEN_MT, LLM = "qwen-mt", "llm"
ENGINES = (QWEN_MT, LLM)
API_KEY_ENV = "DASHSCOPE_API_KEY"           # Model Studio's key (Qwen-MT and LiveTranslate)
LLM_API_KEY_ENV = "QMT_LLM_API_KEY"         # engine llm: the server's key, if it needs one (never DASHSCOPE_API_KEY)
BASE_URL_ENV = "DASHSCOPE_BASE_URL"
NATIVE_BASE_URL_ENV = "DASHSCOPE_HTTP_BASE_URL"   # the dashscope SDK's name for the native API root
# The regions' OpenAI-compatible endpoints, and their API roots for the DashScope native
# protocol (``protocol = "dashscope"``, the SDK's ``base_http_api_url``).
REGIONS = {
    "beijing": "https://dashscope.aliyuncs.com/compatible-mode/v1",
    "singapore": "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
    "us": "https://dashscope-us.aliyuncs.com/compatible-mode/v1",
}
NATIVE_REGIONS = {
    "beijing": "https://dashscope.aliyuncs.com/api/v1",
    "singapore": "https://dashscope-intl.aliyuncs.com/api/v1",
    "us": "https://dashscope-us.aliyuncs.com/api/v1",
}
PROTOCOLS = {"openai": REGIONS, "dashscope": NATIVE_REGIONS}   # protocol -> its endpoints by region
# Documented tokens-per-minute limits (docs/qwen-mt.md): the default pacing per region.
REGION_TPM = {"beijing": 35_000, "singapore": 100_000, "us": 100_000}

# Qwen3-LiveTranslate (``../shared/seeds/livetranslate-zh-hant.txt``): 18 language codes,
# seven of them text only; eight voices and the languages each speaks.
LIVETRANSLATE_MODEL = "qwen3-livetranslate-flash"
LIVETRANSLATE_MODELS = (LIVETRANSLATE_MODEL, "qwen3-livetranslate-flash-2025-12-01")
SPEECH_LANGS = ("en", "zh", "ru", "fr", "de", "pt", "es", "it", "ko", "ja", "yue")
TEXT_ONLY_LANGS = ("id", "vi", "th", "ar", "hi", "el", "tr")
LIVETRANSLATE_LANGS = SPEECH_LANGS + TEXT_ONLY_LANGS
_TEN = ("zh", "en", "fr", "de", "ru", "it", "es", "pt", "ja", "ko")
VOICES: dict[str, tuple[str, ...]] = {
    "Cherry": _TEN, "Nofish": _TEN,
    "Jada": ("zh",), "Dylan": ("zh",), "Sunny": ("zh",), "Peter": ("zh",), "Eric": ("zh",),
    "Kiki": ("yue",),
}
LIVETRANSLATE_MAX_INPUT_TOKENS = 49_152
LIVETRANSLATE_MAX_OUTPUT_TOKENS = 4_096
AUDIO_TOKENS_PER_SECOND = 12.5          # audio under one second counts as one second
SPEECH_RATE = 24_000                    # the model's speech: PCM16 mono at 24 kHz
# A 10 MB limit on the base64 payload is reported for Qwen's audio models: our bound.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
LITE_MODEL_PREFIX = "qwen-mt-lite"      # no domains, 31 languages (qwen-mt.md "Request")
QWEN_MT_PREFIX = "qwen-mt-"             # a Qwen-MT model: translation_options, never a system prompt
MAX_INPUT_TOKENS = 8192                 # qwen-mt.md "Limits (ext)"; the guide: 8,192 input for all models
MAX_OUTPUT_TOKENS = 8192                # max_tokens defaults to and is capped at the model's max output
MAX_SEED = 2**31 - 1                    # seed: [0, 2^31-1] (api-reference zh and ja)


@dataclass(frozen=True, slots=True)
class Range:
    """A documented range of one request parameter. ``hi`` None: no upper bound; an open
    end excludes that bound. ``integer``: the value must be a whole number."""

    name: str
    lo: float
    hi: float | None
    lo_open: bool = False
    hi_open: bool = False
    integer: bool = False
    source: str = ""

    def accepts(self, value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if self.integer and not isinstance(value, int):
            return False
        if isinstance(value, float) and not math.isfinite(value):
            return False
        above = value > self.lo if self.lo_open else value >= self.lo
        below = True if self.hi is None else (value < self.hi if self.hi_open else value <= self.hi)
        return above and below

    @property
    def interval(self) -> str:
        """The range as the service writes it: ``[0.0, 2.0)``, ``(0.0, 1.0]``, ``[0, inf)``."""
        hi = "inf" if self.hi is None else _num(self.hi, self.integer)
        return (f"{'(' if self.lo_open else '['}{_num(self.lo, self.integer)}, {hi}"
                f"{')' if self.hi_open or self.hi is None else ']'}")

    @property
    def rule(self) -> str:
        """The range in words, for a job file's error (``must be between 0.0 and 2.0, 2.0 excluded``)."""
        lo = _num(self.lo, self.integer)
        whole = "a whole number " if self.integer else ""
        if self.hi is None:
            return f"must be {whole}{'greater than' if self.lo_open else 'at least'} {lo}"
        hi = _num(self.hi, self.integer)
        excluded = [b for b, is_open in ((lo, self.lo_open), (hi, self.hi_open)) if is_open]
        tail = f", {' and '.join(excluded)} excluded" if excluded else ""
        return f"must be {whole}between {lo} and {hi}{tail}"

    @property
    def message(self) -> str:
        """The 400 message for a value outside the range (the service's "Range of ... should be" wording)."""
        kind = "an integer in " if self.integer else ""
        return f"Range of {self.name} should be {kind}{self.interval}"


def _num(value: float, integer: bool) -> str:
    return str(int(value)) if integer else repr(float(value))


def audio_tokens(seconds: float) -> int:
    """Tokens LiveTranslate bills for ``seconds`` of audio, as the seed says: 12.5 a second,
    and audio under one second counted as one second (3.2 s is 40 tokens, not 4 s' 50). A
    fraction of a token is counted whole (61.7 s: 771.25 -> 772), the side a budget must err on."""
    if seconds <= 0:
        return 0
    return math.ceil(max(seconds, 1.0) * AUDIO_TOKENS_PER_SECOND - 1e-9)


# The seed's video formula (frames at 2 fps, 4..128 of them, sides rounded to 32 px).
_FACTOR, _FPS, _MIN_FRAMES, _MAX_FRAMES = 32, 2, 4, 128
_MIN_PIXELS, _MAX_PIXELS, _TOTAL_PIXELS = 128 * 32 * 32, 768 * 32 * 32, 16384 * 32 * 32


def video_tokens(width: int, height: int, total_frames: int, fps: float) -> int:
    """Visual tokens LiveTranslate bills for a clip, as the seed's ``video_token_calculate`` computes them."""
    if width <= 0 or height <= 0 or total_frames <= 0 or fps <= 0:
        return 0
    min_frames = math.ceil(_MIN_FRAMES / 2) * 2
    max_frames = math.floor(min(_MAX_FRAMES, total_frames) / 2) * 2
    duration = total_frames / fps
    frames = math.ceil(duration * fps) if duration - int(duration) > 1 / _FPS else math.ceil(int(duration) * fps)
    nframes = int(min(min(max(frames / fps * _FPS, min_frames), max_frames), frames))
    nframes = max(nframes, 2)
    max_pixels = max(min(_MAX_PIXELS, _TOTAL_PIXELS / nframes * 2), int(_MIN_PIXELS * 1.05))
    h = max(_FACTOR, round(height / _FACTOR) * _FACTOR)
    w = max(_FACTOR, round(width / _FACTOR) * _FACTOR)
    if h * w > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        h, w = math.floor(height / beta / _FACTOR) * _FACTOR, math.floor(width / beta / _FACTOR) * _FACTOR
    elif h * w < _MIN_PIXELS:
        beta = math.sqrt(_MIN_PIXELS / (height * width))
        h, w = math.ceil(height * beta / _FACTOR) * _FACTOR, math.ceil(width * beta / _FACTOR) * _FACTOR
    return int(math.ceil(nframes / _FPS) * h / 32 * w / 32) + 2


# Every sampling parameter the request body takes, with its documented range.
SAMPLING_RANGES: tuple[Range, ...] = (
    Range("temperature", 0.0, 2.0, hi_open=True,
          source="qwen-mt-api-reference-zh.txt 'temperature' 范围 [0, 2); -ja.txt 有効値 [0, 2)"),
    Range("top_p", 0.0, 1.0, lo_open=True,
          source="qwen-mt-api-reference-zh.txt 'top_p' 范围 (0, 1.0]; -ja.txt 有効値 (0, 1.0]"),
    Range("top_k", 0, None, integer=True,
          source="qwen-mt-api-reference-zh.txt 'top_k' 必须 >= 0 (above 100 only top_p applies); -ja.txt"),
    Range("repetition_penalty", 0.0, None, lo_open=True,
          source="qwen-mt-api-reference-zh.txt 'repetition_penalty' 必须 > 0; "
                 "-ja.txt 0 より大きい, no upper bound"),
    Range("seed", 0, MAX_SEED, integer=True,
          source="qwen-mt-api-reference-zh.txt 'seed' 范围 [0, 2^31-1]; -ja.txt"),
    Range("max_tokens", 1, MAX_OUTPUT_TOKENS, integer=True,
          source="qwen-mt-api-reference-ja.txt 'max_tokens': default and maximum the model's max output"),
)
RANGES: dict[str, Range] = {r.name: r for r in SAMPLING_RANGES}


def out_of_range(values: dict[str, object]) -> Range | None:
    """The first documented range a set value of ``values`` falls outside, or None."""
    for r in SAMPLING_RANGES:
        value = values.get(r.name)
        if value is not None and not r.accepts(value):
            return r
    return None


# The price list: data/prices.toml (USD per 1,000,000 tokens by model and region, each row
# with its source), or the copy QMT_PRICES names. Prices change: the file is edited, not the code.
PRICES_ENV = "QMT_PRICES"


def price_list(path: Path | None = None) -> dict[tuple[str, str], tuple[float, float]]:
    """(model, region) -> USD per 1M input and per 1M output tokens."""
    if path is None and os.environ.get(PRICES_ENV):
        path = Path(os.environ[PRICES_ENV])
    text = path.read_text(encoding="utf-8") if path else \
        resources.files("pipeline").joinpath("data/prices.toml").read_text(encoding="utf-8")
    return {(model, region): (float(p["input"]), float(p["output"]))
            for model, regions in tomllib.loads(text).get("models", {}).items() for region, p in regions.items()}


def price_of(model: str, region: str) -> tuple[float, float] | None:
    """USD per input and per output token for ``model`` in ``region``, or None if unknown."""
    per_million = price_list().get((model, region))
    return None if per_million is None else (per_million[0] / 1e6, per_million[1] / 1e6)


def is_qwen_mt(model: str) -> bool:
    """A Qwen-MT model name (which takes translation_options and no system message)."""
    return model.strip().lower().startswith(QWEN_MT_PREFIX)


__all__ = ["API_KEY_ENV", "AUDIO_TOKENS_PER_SECOND", "BASE_URL_ENV", "ENGINES", "LITE_MODEL_PREFIX", "LIVETRANSLATE_LANGS", "LIVETRANSLATE_MAX_INPUT_TOKENS",
           "LIVETRANSLATE_MAX_OUTPUT_TOKENS", "LIVETRANSLATE_MODEL",
           "LIVETRANSLATE_MODELS", "LLM", "LLM_API_KEY_ENV", "MAX_INPUT_TOKENS", "MAX_OUTPUT_TOKENS", "MAX_PAYLOAD_BYTES", "MAX_SEED",
           "MODELS", "NATIVE_BASE_URL_ENV", "NATIVE_REGIONS", "PRICES_ENV", "PROTOCOLS", "QWEN_MT", "QWEN_MT_PREFIX", "RANGES",
           "REGIONS", "REGION_TPM", "Range", "SAMPLING_RANGES", "SPEECH_LANGS", "SPEECH_RATE", "TEXT_ONLY_LANGS", "VOICES",
           "audio_tokens", "is_qwen_mt", "out_of_range", "price_list", "price_of", "video_tokens"]
