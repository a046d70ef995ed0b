"""Per-format job options: the ``[markdown]``, ``[docx]``, ``[csv]`` … and string catalogue
(``[json]``, ``[po]``, ``[yaml]``, ``[properties]``, ``[apple_strings]``, ``[android]``, ``[xliff]``) tables
of a job file.

Defaults live here, once; :mod:`pipeline.config` validates job files against these
dataclasses strictly (unknown keys and wrong types are errors naming file and key).
Tuples stand for TOML arrays.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar


@dataclass(frozen=True)
class MarkdownOptions:
    #: Front matter keys whose values are translated (YAML ``---`` and TOML ``+++``).
    front_matter_keys: tuple[str, ...] = ("title", "description")
    #: Output paths below the job's output folder: "keep" mirrors the input tree;
    #: "docusaurus" puts a docs folder's pages where Docusaurus reads a locale's docs
    #: (``docusaurus-plugin-content-docs/current/…``, with ``output = "site/i18n/{lang}"``),
    #: "docusaurus-blog" a blog folder's posts (``docusaurus-plugin-content-blog/…``).
    naming: str = "keep"
    #: Relative links to pages the job translates point at their translations (where the
    #: naming put them); links to anything else (images, downloads) at the originals.
    rewrite_links: bool = False

    #: The values ``naming`` takes (checked by :meth:`check`).
    NAMINGS = ("keep", "docusaurus", "docusaurus-blog")

    def check(self, source: str, table: str = "markdown") -> None:
        """ConfigError naming the key unless ``naming`` is known."""
        from pipeline.errors import ConfigError

        if self.naming not in self.NAMINGS:
            raise ConfigError(f"must be one of {', '.join(self.NAMINGS)}", source=source, key=f"{table}.naming")


@dataclass(frozen=True)
class MdxOptions(MarkdownOptions):
    """``[mdx]``: MDX pages (Docusaurus, Nextra, Astro); Markdown's keys and ``props``."""

    front_matter_keys: tuple[str, ...] = ("title", "description", "sidebar_label")
    #: JSX props whose string values are translated, as "Element.prop" ("*.prop": on
    #: every element). Every other prop, and every ``{expression}``, is kept as it is.
    props: tuple[str, ...] = ("TabItem.label", "Admonition.title", "*.alt", "*.title")

    def check(self, source: str, table: str = "mdx") -> None:
        """Markdown's checks, and each prop rule an "Element.prop" pair."""
        import re

        from pipeline.errors import ConfigError

        super().check(source, table)
        for rule in self.props:
            if not re.fullmatch(r"(?:\*|[A-Za-z_$][\w$.:-]*)\.[A-Za-z_$][\w$:-]*", rule):
                raise ConfigError(f"{rule!r} is not \"Element.prop\" (e.g. \"TabItem.label\", \"*.alt\")",
                                  source=source, key=f"{table}.props")


@dataclass(frozen=True)
class DocxOptions:
    #: Also translate the core properties title and subject.
    core_properties: bool = False
    #: Translate header and footer parts.
    headers_footers: bool = True
    #: Translate footnotes and endnotes.
    notes: bool = True
    #: Translate comments.
    comments: bool = True
    #: Character or paragraph styles (name or id) whose text is code, kept as it is, besides
    #: the built-in ones ("Code", "HTML Code", "Source Code", "Verbatim Char", "Macro Text"...).
    protect_styles: tuple[str, ...] = ()
    #: Fonts whose runs are code, besides the monospace ones (Consolas, Courier New, "... Mono").
    protect_fonts: tuple[str, ...] = ()


@dataclass(frozen=True)
class PptxOptions:
    #: Translate speaker notes.
    notes: bool = True
    #: Translate comments.
    comments: bool = True
    #: Translate chart titles and labels stored as text (never cell references).
    charts: bool = True
    #: Translate SmartArt text.
    smartart: bool = True
    #: Also translate text the slides show from their layouts and masters (shapes that
    #: are not placeholders: a footer line, a label on the background).
    layouts_masters: bool = False
    #: Fonts whose runs are code, kept as they are, besides the monospace ones.
    protect_fonts: tuple[str, ...] = ()


@dataclass(frozen=True)
class CsvFileRule:
    """``[[csv.files]]``: column rules for the files matching ``match`` (first match wins).

    A rule's ``columns``, ``mode`` and ``encoding`` replace the job's when set; its ``keep`` adds to
    the job's. Without ``columns`` (here or in ``[csv]``), a file that is not a
    localization table has its prose columns detected.
    """

    #: Glob relative to the input folder (``**`` spans folders), e.g. "exports/**/*.csv".
    match: str = ""
    columns: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()
    #: "" keeps the job's [csv] mode.
    mode: str = ""
    #: "" keeps the job's [csv] encoding (e.g. "latin-1" for a legacy export).
    encoding: str = ""


@dataclass(frozen=True)
class CsvOptions:
    #: How translations are written:
    #:   "fill"          localization table: fill the target-language columns (one file)
    #:   "add"           add ``{column}_{lang}`` beside each translated column (one file)
    #:   "per-language"  one file per target language with ``columns`` translated
    mode: str = "fill"
    #: Columns to translate ("add" and "per-language"); in "fill" mode, the source
    #: column (default: the column named by the source language, e.g. "en").
    columns: tuple[str, ...] = ()
    #: The key column of a localization table (reported with segment problems).
    key_column: str = ""
    #: Columns never touched even if named elsewhere.
    keep: tuple[str, ...] = ()
    #: Replace translations: "fill" and "add" write over target cells that are already
    #: filled, and a column whose header names a language other than the source (``de``,
    #: ``de-DE``, ``German``) may be translated in place ("per-language" columns, a data
    #: export's detected columns). Without it such cells and columns are kept as they are.
    overwrite: bool = False
    #: "auto" (BOM or UTF-8) or a Python codec name (latin-1, gbk, utf-16...).
    encoding: str = "auto"
    #: "auto" or one character (",", ";", "\t").
    delimiter: str = "auto"
    #: The first row is a header row.
    header: bool = True
    #: Protect interpolation placeholders ({count}, {{name}}, %s, %1$d, ${x}, <b>) as
    #: tags the translation must keep.
    placeholders: bool = True
    #: What a malformed file (unbalanced quotes) does: "skip" the file or "stop" the job. Ragged
    #: rows and title lines above the header are not malformed: they are kept as they are.
    on_malformed: str = "skip"
    #: Per file pattern rules (``[[csv.files]]``), tried in order.
    files: tuple[CsvFileRule, ...] = ()

    def for_file(self, relpath: str) -> "CsvOptions":
        """These options with the first ``[[csv.files]]`` rule matching ``relpath`` applied."""
        from wcmatch import glob  # the same glob rules as include/exclude

        for rule in self.files:
            if glob.globmatch(relpath, rule.match, flags=glob.GLOBSTAR | glob.DOTGLOB):
                return replace(self, columns=rule.columns or self.columns, keep=self.keep + rule.keep,
                               mode=rule.mode or self.mode, encoding=rule.encoding or self.encoding, files=())
        return replace(self, files=())


@dataclass(frozen=True)
class XlsxFileRule:
    """``[[xlsx.files]]``: which columns of which sheets to translate, for the files matching ``match``.

    ``sheet`` is a sheet name or glob ("" or "*": every sheet). ``columns`` names columns
    by header (first row) or letter ("C"); ``keep`` adds columns never translated.
    """

    match: str = ""
    sheet: str = ""
    columns: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()


@dataclass(frozen=True)
class XlsxOptions:
    #: Translate cell comments and notes.
    comments: bool = True
    #: Translate chart titles and labels stored as text.
    charts: bool = True
    #: Translate text boxes and shapes on sheets.
    drawings: bool = True
    #: Per file pattern and sheet rules (``[[xlsx.files]]``), tried in order; a sheet no
    #: rule names has its prose columns detected like a CSV data export.
    files: tuple[XlsxFileRule, ...] = ()

    def rule_for(self, relpath: str, sheet: str) -> XlsxFileRule | None:
        """The first rule matching this file and sheet, if any."""
        from wcmatch import fnmatch, glob

        for rule in self.files:
            if not glob.globmatch(relpath, rule.match, flags=glob.GLOBSTAR | glob.DOTGLOB):
                continue
            if not rule.sheet or fnmatch.fnmatch(sheet, rule.sheet):
                return rule
        return None


@dataclass(frozen=True)
class CatalogOptions:
    """What the string-catalogue tables (``[json]``, ``[po]``, ``[yaml]``) share."""

    #: Shell globs over key paths ("errors.*", "*.title"; ``*`` spans dots); empty: every key.
    #: A PO entry's key is its msgid, prefixed "CONTEXT|" when it has a msgctxt.
    include_keys: tuple[str, ...] = ()
    #: Keys never translated (kept as they are), matched like ``include_keys``.
    exclude_keys: tuple[str, ...] = ()
    #: Output names: "auto" puts the target language where the path names the source
    #: (``en.json`` -> ``zh.json``, ``locales/en/x.json`` -> ``locales/zh/x.json``);
    #: "keep" keeps the input's name under the job's output folder.
    naming: str = "auto"

    #: The values ``naming`` takes (checked by :mod:`pipeline.config`).
    NAMINGS: ClassVar[tuple[str, ...]] = ("auto", "keep")


@dataclass(frozen=True)
class JsonOptions(CatalogOptions):
    pass


@dataclass(frozen=True)
class YamlOptions(CatalogOptions):
    pass


@dataclass(frozen=True)
class PropertiesOptions(CatalogOptions):
    pass


@dataclass(frozen=True)
class AppleStringsOptions(CatalogOptions):
    pass


@dataclass(frozen=True)
class AndroidOptions(CatalogOptions):
    pass


@dataclass(frozen=True)
class XliffOptions(CatalogOptions):
    """``[xliff]``: XLIFF 1.2 and 2.x inputs. Keys are the units' ``resname``/``name``,
    else their ids; ``naming = "auto"`` writes ``messages.xlf`` as ``messages.fr.xlf``."""


@dataclass(frozen=True)
class PoOptions(CatalogOptions):
    #: For a template (.pot) or a file that names no language: "auto" is "lang" in a
    #: folder named ``po`` (GNU: ``po/zh.po``) and "lc-messages" elsewhere (Python,
    #: Django: ``locale/zh/LC_MESSAGES/messages.po``); "keep" keeps the input's name.
    naming: str = "auto"

    NAMINGS = ("auto", "lang", "lc-messages", "keep")


@dataclass(frozen=True)
class SubtitleOptions:
    """``[subtitles]``: SRT and WebVTT inputs. Widths count the characters a viewer sees."""

    #: Reading speed above which a translated cue is reported (characters a second),
    #: for Chinese, Japanese, Korean and Cantonese targets, and for every other script.
    max_cps_cjk: float = 20.0
    max_cps_latin: float = 17.0
    #: Line width a translated cue is broken to (at most two lines), by target script.
    line_chars_cjk: int = 16
    line_chars_latin: int = 42

    def check(self, source: str) -> None:
        """ConfigError naming the key unless every limit is positive."""
        from pipeline.errors import ConfigError

        for name in ("max_cps_cjk", "max_cps_latin", "line_chars_cjk", "line_chars_latin"):
            if getattr(self, name) <= 0:
                raise ConfigError("must be positive", source=source, key=f"subtitles.{name}")


@dataclass(frozen=True)
class HtmlOptions:
    """``[html]``: HTML pages."""

    #: Attributes whose values are translated (a reader sees them: tooltips, image
    #: descriptions, form hints); ``<meta name="description">``'s content always is.
    attributes: tuple[str, ...] = ("title", "alt", "placeholder", "aria-label")
    #: Elements with this class (and with ``translate="no"``) are left as they are.
    skip_class: str = "notranslate"
    #: Relative ``href`` and ``src`` to pages the job translates point at their
    #: translations; to anything else (images, downloads) at the originals.
    rewrite_links: bool = False

    def check(self, source: str) -> None:
        """ConfigError naming the key unless the attribute names and the class are names."""
        import re

        from pipeline.errors import ConfigError

        for name in self.attributes:
            if not re.fullmatch(r"[a-z][a-z0-9_:.-]*", name):
                raise ConfigError(f"{name!r} is not a lower-case attribute name", source=source, key="html.attributes")
        if self.skip_class and not re.fullmatch(r"[^\s]+", self.skip_class):
            raise ConfigError("must be one class name (no spaces)", source=source, key="html.skip_class")
