"""Job configuration: the one table of defaults and strict validation of job files.

A job file (``jobs/*.toml``) or the ``qmt translate`` flags become a :class:`Job`.
Every default lives in the dataclasses below (and in :mod:`pipeline.formats.options`
for the per-format tables); validation is strict: an unknown key, a wrong type, an
unknown language, ``domains`` with qwen-mt-lite, a language lite does not take or a
missing input folder is a :class:`~pipeline.errors.ConfigError` naming the file and
the key, and the CLI exits with 2 before anything is sent.
"""
from __future__ import annotations

import hashlib
import os
import re
import tomllib
import types
import typing
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from pipeline.errors import ConfigError
from pipeline.media.options import MediaOptions, check_media
from pipeline.formats.options import (AndroidOptions, AppleStringsOptions, CsvOptions, DocxOptions, JsonOptions,
                                      MarkdownOptions, PoOptions, PptxOptions, PropertiesOptions, XlsxOptions,
                                      YamlOptions)
from pipeline.formats.options import HtmlOptions, MdxOptions, SubtitleOptions, XliffOptions
from pipeline.languages import Language, resolve
from pipeline.memory.options import TM_FUZZY_THRESHOLD, TM_MAX_ENTRIES, check_memory
from pipeline.review.qa.options import CHECK_IDS, FAIL_ON, GRADES, QaOptions
from pipeline.service_facts import (API_KEY_ENV, BASE_URL_ENV, ENGINES, LLM, LLM_API_KEY_ENV, MODELS,  # noqa: F401
                                    NATIVE_BASE_URL_ENV, NATIVE_REGIONS, PROTOCOLS, QWEN_MT, REGION_TPM, REGIONS,
                                    is_qwen_mt, out_of_range)
from pipeline.translate.backend import Sampling

AUTO_PACK_MIN, AUTO_PACK_MAX, AUTO_PACK_UNLIMITED = 200, 2000, 800
ADHOC = "adhoc"                 # ad-hoc runs (no job file) are named adhoc-<input>-<digest>
CATALOG_TABLES = ("json", "po", "yaml", "properties", "apple_strings", "android", "xliff")   # string catalogues' tables


@dataclass(frozen=True)
class RunTable:
    """``[run]``: concurrency, retries, pacing, packing and budget."""

    concurrency: int = 8            # requests in flight at once
    timeout: float = 120.0          # seconds for one request
    max_attempts: int = 6           # per request, the first included
    backoff_initial: float = 1.0    # seconds before the first retry
    backoff_max: float = 60.0       # cap on one wait (a longer Retry-After is honoured)
    stream: bool = False            # use streaming responses
    max_segment_tokens: int = 2000  # longer paragraphs are split at sentence boundaries
    rpm: int = 60                   # requests per minute for the model (0: do not pace)
    tpm: int = -1                   # tokens per minute; -1: the region's documented limit
    pack_tokens: int = -1           # source tokens per packed request; -1: from tpm/rpm; 0: no packing
    pack_max_segments: int = 40     # segments in one packed request at most
    budget_usd: float = 0.0         # stop before the request that would pass this cost (0: none)
    budget_tokens: int = 0          # stop before the request that would pass these tokens (0: none)
    outage_seconds: float = 300.0   # no request succeeded this long: the service is down, stop (exit 6)
    minute_seconds: float = 60.0    # the rate limits' minute: only an emulator on a scaled clock shortens it
    max_segments_in_memory: int = 20000  # extraction runs ahead of translation up to this many segments


@dataclass(frozen=True)
class JobTable:
    """The top level of a job file. Paths are relative to the job file's folder."""

    input: str = ""
    output: str = ""                # may hold {lang}; mirrors the input tree below it
    include: tuple[str, ...] = ("**/*",)
    exclude: tuple[str, ...] = ()
    source_lang: str = "auto"
    target_langs: tuple[str, ...] = ()
    model: str = "qwen-mt-flash"
    region: str = "beijing"
    base_url: str = ""
    engine: str = QWEN_MT           # qwen-mt | llm (base_url and model then required)
    protocol: str = "openai"        # "openai" (compatible mode) or "dashscope" (the native API)
    terms: str = ""
    tm: str = ""
    tm_fuzzy_threshold: float = TM_FUZZY_THRESHOLD   # pipeline.memory.options
    tm_max_entries: int = TM_MAX_ENTRIES
    cache: bool = True              # reuse finished translations (state.sqlite in the state dir)
    domains: str = ""
    name: str = ""
    sampling: Sampling = field(default_factory=Sampling)   # [sampling]: None = service default
    run: RunTable = field(default_factory=RunTable)
    markdown: MarkdownOptions = field(default_factory=MarkdownOptions)
    mdx: MdxOptions = field(default_factory=MdxOptions)
    docx: DocxOptions = field(default_factory=DocxOptions)
    csv: CsvOptions = field(default_factory=CsvOptions)
    media: MediaOptions = field(default_factory=MediaOptions)
    qa: QaOptions = field(default_factory=QaOptions)
    pptx: PptxOptions = field(default_factory=PptxOptions)
    xlsx: XlsxOptions = field(default_factory=XlsxOptions)
    json: JsonOptions = field(default_factory=JsonOptions)
    po: PoOptions = field(default_factory=PoOptions)
    yaml: YamlOptions = field(default_factory=YamlOptions)
    properties: PropertiesOptions = field(default_factory=PropertiesOptions)
    apple_strings: AppleStringsOptions = field(default_factory=AppleStringsOptions)
    android: AndroidOptions = field(default_factory=AndroidOptions)
    xliff: XliffOptions = field(default_factory=XliffOptions)
    subtitles: SubtitleOptions = field(default_factory=SubtitleOptions)
    html: HtmlOptions = field(default_factory=HtmlOptions)


@dataclass(frozen=True)
class Job:
    """A validated job, paths resolved and languages looked up."""

    name: str
    source: str                     # the job file, or "command line"
    input_dir: Path
    output: str                     # absolute pattern, may hold {lang}
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    source_lang: Language | None    # None = auto
    target_langs: tuple[Language, ...]
    model: str
    region: str                     # price region (beijing, singapore, us)
    base_url: str
    terms_file: Path | None
    tm_file: Path | None
    domains: str
    sampling: Sampling
    run: RunTable
    markdown: MarkdownOptions
    docx: DocxOptions
    csv: CsvOptions
    tm_fuzzy_threshold: float = TM_FUZZY_THRESHOLD
    tm_max_entries: int = TM_MAX_ENTRIES
    cache: bool = True
    force: bool = False             # --force: retranslate regardless of cache and exact TM matches
    prune: bool = False             # --prune: remove outputs whose input is gone, however many
    media: MediaOptions = field(default_factory=MediaOptions)   # [media]: audio and video files
    qa: QaOptions = field(default_factory=QaOptions)  # [qa]: checks of qmt check
    pptx: PptxOptions = field(default_factory=PptxOptions)
    xlsx: XlsxOptions = field(default_factory=XlsxOptions)
    engine: str = QWEN_MT           # qwen-mt | llm (pipeline.translate.llm_backend)
    protocol: str = "openai"        # how base_url is spoken to (pipeline.translate.engines)
    json: JsonOptions = field(default_factory=JsonOptions)     # [json], [po], [yaml]: string catalogues
    po: PoOptions = field(default_factory=PoOptions)
    yaml: YamlOptions = field(default_factory=YamlOptions)
    properties: PropertiesOptions = field(default_factory=PropertiesOptions)
    apple_strings: AppleStringsOptions = field(default_factory=AppleStringsOptions)
    android: AndroidOptions = field(default_factory=AndroidOptions)
    xliff: XliffOptions = field(default_factory=XliffOptions)             # [xliff]: XLIFF inputs
    subtitles: SubtitleOptions = field(default_factory=SubtitleOptions)   # [subtitles]: SRT and WebVTT
    html: HtmlOptions = field(default_factory=HtmlOptions)                # [html]: HTML pages
    mdx: MdxOptions = field(default_factory=MdxOptions)                   # [mdx]: MDX pages
    # The [run] keys the job file or flags set (a model server's pace keeps those as given).
    run_given: frozenset[str] = frozenset()

    def output_dir(self, lang_label: str) -> Path:
        return Path(self.output.replace("{lang}", lang_label))

    @property
    def state_dir(self) -> Path:
        """Where the state store, ledger, reports and lock live: beside the outputs."""
        root = self.output.split("{lang}")[0]
        base = Path(root) if root.endswith(("/", os.sep)) else Path(root).parent
        return base / ".qmt" / self.name

    @property
    def tokens_per_minute(self) -> int | None:
        """The TPM to pace at: the job's, else the region's documented limit."""
        if self.run.tpm == -1:  # a generic model server has no documented limit
            return REGION_TPM[self.region] if self.engine == QWEN_MT else None
        return self.run.tpm or None

    @property
    def packing_tokens(self) -> int:
        """Source tokens per packed request.

        Automatic (-1): big enough that a request carries about 1.5 times the tokens
        per request the limits allow (tpm / rpm), so the token limit binds before the
        request limit, and no bigger, so a bad answer costs little to split and retry.
        """
        if self.run.pack_tokens != -1:
            return self.run.pack_tokens
        tpm, rpm = self.tokens_per_minute, self.run.rpm
        if not tpm or not rpm:
            return AUTO_PACK_UNLIMITED
        per_request = 1.5 * tpm / rpm        # prompt plus completion
        source = per_request / 2.2           # ~1 output token per source token, plus the prompt's overhead
        return int(min(AUTO_PACK_MAX, max(AUTO_PACK_MIN, source)))

    def format_options(self, format_name: str) -> Any:
        return {"markdown": self.markdown, "docx": self.docx, "csv": self.csv, "pptx": self.pptx,
                "xlsx": self.xlsx, "json": self.json, "po": self.po, "yaml": self.yaml, "properties": self.properties,
                "apple_strings": self.apple_strings, "android": self.android, "xliff": self.xliff,
                "subtitles": self.subtitles, "html": self.html, "mdx": self.mdx}[format_name]


# --- loading --------------------------------------------------------------------------


def load_job(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Job:
    """Read, validate and resolve a job file; ``overrides`` (from flags) win over it."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("job file not found", source=path) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"not valid TOML: {exc}", source=path) from None
    merged = _merge(raw, overrides or {})
    table = build_table(JobTable, merged, source=str(path))
    return resolve_job(table, source=str(path), base_dir=path.resolve().parent,
                       default_name=path.stem, given=merged)


def job_from_flags(values: Mapping[str, Any], *, cwd: Path | None = None) -> Job:
    """An ad hoc job from ``qmt translate INPUT_DIR --to ... --out ...``."""
    table = build_table(JobTable, dict(values), source="command line")
    return resolve_job(table, source="command line", base_dir=(cwd or Path.cwd()).resolve(),
                       default_name=ADHOC, given=values)


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def build_table(cls: type, values: Mapping[str, Any], *, source: str, prefix: str = "") -> Any:
    """Build dataclass ``cls`` from a TOML table: unknown keys and wrong types are errors."""
    if not isinstance(values, Mapping):
        raise ConfigError(f"must be a table, not {type(values).__name__}", source=source,
                          key=prefix.rstrip(".") or None)
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    for key in values:
        if key not in known:
            raise ConfigError(f"unknown key (known keys: {', '.join(sorted(known))})",
                              source=source, key=prefix + key)
    kwargs = {}
    for f in fields(cls):
        if f.name in values:
            kwargs[f.name] = _coerce(hints[f.name], values[f.name], source, prefix + f.name)
        elif f.default is MISSING and f.default_factory is MISSING:  # pragma: no cover
            raise ConfigError("is required", source=source, key=prefix + f.name)
    return cls(**kwargs)


def _coerce(hint: Any, value: Any, source: str, key: str) -> Any:
    if isinstance(hint, type) and hasattr(hint, "__dataclass_fields__"):
        return build_table(hint, value, source=source, prefix=key + ".")
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return None if value is None else _coerce(inner[0], value, source, key)
    if origin is tuple:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise ConfigError(f"must be a list, not {_kind(value)}", source=source, key=key)
        (item,) = [a for a in typing.get_args(hint) if a is not Ellipsis]
        return tuple(_coerce(item, v, source, key) for v in value)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is bool and not isinstance(value, bool):
        raise ConfigError(f"must be true or false, not {_kind(value)}", source=source, key=key)
    if hint is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(f"must be a whole number, not {_kind(value)}", source=source, key=key)
    if not isinstance(value, hint):
        raise ConfigError(f"must be a {_name(hint)}, not {_kind(value)}", source=source, key=key)
    return value


def _kind(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


def _name(hint: Any) -> str:
    return {str: "string", float: "number", int: "whole number"}.get(hint, str(hint))


# --- resolving and cross-field checks -------------------------------------------------


def resolve_job(t: JobTable, *, source: str, base_dir: Path, default_name: str,
                given: Mapping[str, Any] | None = None) -> Job:
    """``given``: the keys the job file and flags set (engine llm needs model and base_url
    set, not defaulted); None counts every key as set."""
    engine = _check_engine(t, source, given)
    model = _check_model(t.model, source) if engine == QWEN_MT else t.model
    if not t.input:
        raise ConfigError("is required (the folder of documents to translate)", source=source, key="input")
    if not t.output:
        raise ConfigError("is required (where translated copies go, e.g. 'out/{lang}')",
                          source=source, key="output")
    input_dir = (base_dir / t.input).resolve()
    if not input_dir.is_dir():
        raise ConfigError(f"folder not found: {input_dir}", source=source, key="input")
    targets = _check_targets(t, model, source)
    src = None if t.source_lang.strip().lower() == "auto" else resolve(
        t.source_lang, source=source, key="source_lang")
    if src is not None and not src.supported_by(model):
        raise ConfigError(f"{src.name} is not supported by {model}", source=source, key="source_lang")
    if t.domains and engine == QWEN_MT and model.startswith("qwen-mt-lite"):
        raise ConfigError("qwen-mt-lite does not support domains", source=source, key="domains")
    output = _check_output(t.output, input_dir, base_dir, len(targets), source)
    _check_sampling(t.sampling, source)
    _check_run(t.run, source)
    _check_csv(t.csv, source)
    _check_file_rules(t.xlsx.files, "xlsx", source)
    check_memory(t.tm_fuzzy_threshold, t.tm_max_entries, source)
    check_media(t.media, tuple(lang.code for lang in targets), source)
    _check_qa(t.qa, source)
    for table in CATALOG_TABLES:
        _check_catalog(getattr(t, table), table, source)
    t.subtitles.check(source)
    t.html.check(source)
    t.markdown.check(source)
    t.mdx.check(source)
    return Job(
        name=t.name or (adhoc_name(input_dir, output) if default_name == ADHOC else default_name), source=source, input_dir=input_dir, output=output,
        include=t.include, exclude=t.exclude, source_lang=src, target_langs=targets,
        model=model, region=_check_region(t.region, source),
        base_url=_base_url(t, source) if engine == QWEN_MT else t.base_url.rstrip("/"), engine=engine,
        protocol=_check_protocol(t.protocol, source),
        terms_file=_optional_file(t.terms, base_dir, source, "terms"),
        tm_file=_optional_file(t.tm, base_dir, source, "tm"),
        domains=t.domains, sampling=t.sampling,
        run=t.run, markdown=t.markdown, docx=t.docx, csv=t.csv,
        tm_fuzzy_threshold=t.tm_fuzzy_threshold, tm_max_entries=t.tm_max_entries, cache=t.cache,
        media=t.media,
        qa=t.qa,
        pptx=t.pptx, xlsx=t.xlsx, **{table: getattr(t, table) for table in CATALOG_TABLES},
        subtitles=t.subtitles, html=t.html, mdx=t.mdx, run_given=_run_given(given),
    )


def _run_given(given: Mapping[str, Any] | None) -> frozenset[str]:
    """The [run] keys set by the job file or flags (None: every key counts as set)."""
    if given is None:
        return frozenset(f.name for f in fields(RunTable))
    run = given.get("run")
    return frozenset(run) if isinstance(run, Mapping) else frozenset()


def adhoc_name(input_dir: Path, output: str) -> str:
    """The state name of an ad-hoc run: its input folder's name and a digest of its input
    and output, so unrelated ad-hoc runs never share state (or block each other)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", input_dir.name).strip("-.")[:40] or "input"
    digest = hashlib.sha256(f"{input_dir}\0{output}".encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{ADHOC}-{slug}-{digest}"


def _check_catalog(options: Any, table: str, source: str) -> None:
    if options.naming not in options.NAMINGS:
        raise ConfigError(f"must be one of {', '.join(options.NAMINGS)}", source=source, key=f"{table}.naming")
    for name in ("include_keys", "exclude_keys"):
        if any(not glob.strip() for glob in getattr(options, name)):
            raise ConfigError("holds an empty glob", source=source, key=f"{table}.{name}")


def _check_qa(q: QaOptions, source: str) -> None:
    if q.fail_on not in FAIL_ON:
        raise ConfigError(f"must be one of {', '.join(FAIL_ON)}", source=source, key="qa.fail_on")
    for check in CHECK_IDS:
        if getattr(q, check) not in GRADES:
            raise ConfigError(f"must be one of {', '.join(GRADES)}", source=source, key=f"qa.{check}")


def _check_engine(t: JobTable, source: str, given: Mapping[str, Any] | None) -> str:
    """The engine, and what engine llm needs: its server's base_url and model, set by the
    job (DASHSCOPE_BASE_URL and the default model name Qwen-MT's), and no USD budget (a
    generic model has no price list)."""
    if t.engine not in ENGINES:
        raise ConfigError(f"unknown engine {t.engine!r} (known: {', '.join(ENGINES)})", source=source, key="engine")
    if t.engine == QWEN_MT:
        return QWEN_MT
    if t.protocol != "openai":
        raise ConfigError("is for Qwen-MT only: a model server (engine = \"llm\") speaks the OpenAI-compatible "
                          "protocol", source=source, key="protocol")
    if not t.base_url.strip():
        raise ConfigError("is required with engine = \"llm\": the model server's OpenAI-compatible endpoint, "
                          "e.g. http://localhost:8000/v1", source=source, key="base_url")
    if not t.base_url.strip().startswith(("http://", "https://")):
        raise ConfigError("must be an http:// or https:// URL", source=source, key="base_url")
    if (given is not None and "model" not in given) or not t.model.strip():
        raise ConfigError("is required with engine = \"llm\": the model name the server serves", source=source,
                          key="model")
    if is_qwen_mt(t.model):
        raise ConfigError(f"{t.model} is a Qwen-MT model: it takes translation_options and refuses the system "
                          "prompt engine = \"llm\" sends; use engine = \"qwen-mt\" for it", source=source,
                          key="model")
    if t.run.budget_usd:
        raise ConfigError("cannot be priced with engine = \"llm\" (no price list for a generic model): "
                          "use run.budget_tokens", source=source, key="run.budget_usd")
    return LLM


def _check_model(model: str, source: str) -> str:
    if model not in MODELS:
        raise ConfigError(f"unknown model {model!r} (known: {', '.join(MODELS)})", source=source, key="model")
    return model


def _check_targets(t: JobTable, model: str, source: str) -> tuple[Language, ...]:
    if not t.target_langs:
        raise ConfigError("is required: at least one target language", source=source, key="target_langs")
    langs: list[Language] = []
    for value in t.target_langs:
        lang = resolve(value, source=source, key="target_langs")
        if not lang.supported_by(model):
            raise ConfigError(f"{lang.name} is not supported by {model} (it takes 31 languages; "
                              "use qwen-mt-flash or qwen-mt-plus)", source=source, key="target_langs")
        if lang not in langs:
            langs.append(lang)
    return tuple(langs)


def _check_output(output: str, input_dir: Path, base_dir: Path, n_targets: int, source: str) -> str:
    if n_targets > 1 and "{lang}" not in output:
        raise ConfigError("must contain {lang} when there are several target languages",
                          source=source, key="output")
    pattern = str(base_dir / output)  # base_dir is absolute; an absolute output wins
    # Real paths on both sides: an output folder that reaches into the input through a
    # symlink would have every rerun translate the previous outputs again (sub/zh/sub/zh/...).
    probe = Path(os.path.normpath(pattern.replace("{lang}", "x"))).resolve()
    if probe == input_dir or input_dir in probe.parents:
        raise ConfigError("is inside the input folder; choose a folder outside it",
                          source=source, key="output")
    return os.path.normpath(pattern)


def _check_sampling(s: Sampling, source: str) -> None:
    """The documented ranges (pipeline.service_facts, the table the emulator checks too):
    a value the service would refuse with 400 on every request is refused here first."""
    if s.temperature is not None and s.top_p is not None:
        raise ConfigError("set temperature or top_p, not both", source=source, key="sampling.top_p")
    bad = out_of_range({f.name: getattr(s, f.name) for f in fields(s)})
    if bad is not None:
        raise ConfigError(f"{bad.rule} (the service refuses it: \"{bad.message}\")", source=source,
                          key=f"sampling.{bad.name}")


def _check_run(r: RunTable, source: str) -> None:
    if r.concurrency < 1 or r.concurrency > 64:
        raise ConfigError("must be between 1 and 64", source=source, key="run.concurrency")
    if r.rpm < 0:
        raise ConfigError("must be 0 (no pacing) or more", source=source, key="run.rpm")
    if r.tpm < -1:
        raise ConfigError("must be -1 (the region's limit), 0 (no limit) or more", source=source, key="run.tpm")
    if r.budget_usd < 0 or r.budget_tokens < 0:
        key = "run.budget_usd" if r.budget_usd < 0 else "run.budget_tokens"
        raise ConfigError("must be 0 (no budget) or more", source=source, key=key)
    if not -1 <= r.pack_tokens <= 4000:
        raise ConfigError("must be -1 (automatic), 0 (no packing) or up to 4000", source=source,
                          key="run.pack_tokens")
    if not 1 <= r.pack_max_segments <= 200:
        raise ConfigError("must be between 1 and 200", source=source, key="run.pack_max_segments")
    if not 50 <= r.max_segment_tokens <= 6000:
        raise ConfigError("must be between 50 and 6000 (the service takes 8,192 input tokens)",
                          source=source, key="run.max_segment_tokens")
    if r.max_attempts < 1:
        raise ConfigError("must be at least 1", source=source, key="run.max_attempts")
    if r.max_segments_in_memory < 100:
        raise ConfigError("must be at least 100", source=source, key="run.max_segments_in_memory")
    for name in ("timeout", "backoff_initial", "backoff_max", "outage_seconds", "minute_seconds"):
        if getattr(r, name) <= 0:
            raise ConfigError("must be positive", source=source, key=f"run.{name}")


def _check_csv(c: CsvOptions, source: str) -> None:
    if c.mode not in ("fill", "add", "per-language"):
        raise ConfigError("must be 'fill', 'add' or 'per-language'", source=source, key="csv.mode")
    if c.on_malformed not in ("skip", "stop"):
        raise ConfigError("must be 'skip' or 'stop'", source=source, key="csv.on_malformed")
    _check_file_rules(c.files, "csv", source)
    for n, rule in enumerate(c.files):
        if rule.mode not in ("", "fill", "add", "per-language"):
            raise ConfigError("must be 'fill', 'add' or 'per-language'", source=source, key=f"csv.files[{n}].mode")
    from pipeline.formats.csv import parse_delimiter  # the CSV format's own rule

    if parse_delimiter(c.delimiter) is None:
        raise ConfigError("must be 'auto', a name (tab, comma, semicolon, pipe) or one character other than "
                          "a quote or line break", source=source, key="csv.delimiter")


def _check_file_rules(rules: tuple[Any, ...], table: str, source: str) -> None:
    """``[[csv.files]]``, ``[[xlsx.files]]``: every rule says which files it is for."""
    for n, rule in enumerate(rules):
        if not rule.match:
            raise ConfigError("is required: a glob relative to the input folder", source=source,
                              key=f"{table}.files[{n}].match")


def _check_region(region: str, source: str) -> str:
    key = region.strip().lower()
    if key not in REGIONS:
        raise ConfigError(f"unknown region {region!r} (known: {', '.join(REGIONS)})",
                          source=source, key="region")
    return key


def _check_protocol(protocol: str, source: str) -> str:
    if protocol not in PROTOCOLS:
        raise ConfigError(f"unknown protocol {protocol!r} (known: {', '.join(PROTOCOLS)})", source=source,
                          key="protocol")
    return protocol


def _base_url(t: JobTable, source: str) -> str:
    """Flags and the job's base_url win; then the environment (DASHSCOPE_BASE_URL, or for
    the native protocol DASHSCOPE_HTTP_BASE_URL); then the region's endpoint for the protocol.
    A base_url of the other protocol's shape is an error: it would fail at the first request."""
    protocol = _check_protocol(t.protocol, source)
    env_name = NATIVE_BASE_URL_ENV if protocol == "dashscope" else BASE_URL_ENV
    url = (t.base_url or os.environ.get(env_name, "").strip()).rstrip("/")
    key = "base_url" if t.base_url else env_name     # where the URL came from
    if not url:
        return PROTOCOLS[protocol][_check_region(t.region, source)]
    if protocol == "dashscope" and url.endswith("/compatible-mode/v1"):
        raise ConfigError(f"{url} is an OpenAI-compatible endpoint; protocol \"dashscope\" takes the API root "
                          f"(e.g. {NATIVE_REGIONS['beijing']})", source=source, key=key)
    if protocol == "openai" and url.endswith("/api/v1"):
        raise ConfigError(f"{url} is a DashScope native API root; set protocol = \"dashscope\" or give the "
                          f"compatible endpoint (e.g. {REGIONS['beijing']})", source=source, key=key)
    return url


def _optional_file(value: str, base_dir: Path, source: str, key: str) -> Path | None:
    if not value:
        return None
    path = (base_dir / value).resolve()
    if not path.is_file():
        raise ConfigError(f"file not found: {path}", source=source, key=key)
    return path


def with_overrides(job: Job, **changes: Any) -> Job:
    """A copy of ``job`` with some resolved fields replaced (used by tests and tools)."""
    return replace(job, **changes)
