"""The MDX scanner: where ESM, JSX and expressions are, and the view Markdown reads."""
from __future__ import annotations

from pipeline.formats.mdx.scan import ESM, EXPRESSION, JSX, scan


def kinds(text: str) -> list[tuple[str, str]]:
    return [(s.kind, text[s.start:s.end]) for s in scan(text).spans]


def test_an_esm_block_runs_to_a_blank_line_unless_a_bracket_is_open() -> None:
    text = "import A from 'a';\nexport const meta = {\n\n  title: 'x',\n};\n\nText.\n"
    assert kinds(text) == [(ESM, "import A from 'a';\nexport const meta = {\n\n  title: 'x',\n};")]
    assert scan(text).view.endswith("\n\nText.\n") and not scan(text).view[:60].strip()


def test_a_tag_over_several_lines_with_expression_props_is_one_construct() -> None:
    text = '<Tabs\n  values={[{label: "A}", value: \'a\'}]}\n  groupId="g">\n\nProse.\n\n</Tabs>\n'
    spans = scan(text).spans
    assert [(s.kind, s.element, s.closing) for s in spans] == [(JSX, "Tabs", False), (JSX, "Tabs", True)]
    assert [(p.name, text[p.start:p.end]) for p in spans[0].props] == [("groupId", "g")]
    view = scan(text).view
    assert view.split("\n")[4] == "Prose." and len(view) == len(text)


def test_code_fences_spans_escapes_and_directives_hold_no_constructs() -> None:
    text = "```js\nconst x = <div>{y}</div>;\n```\n\nUse `{a}` and \\{b\\} here.\n\n:::tip{icon=\"heart\"}\nBody\n:::\n"
    assert kinds(text) == []
    assert scan(text).view == text


def test_inline_constructs_become_html_tags_of_the_same_length() -> None:
    text = "Hi <Name first=\"A\" /> and {user.name}, <b>bold</b> {x} {} <>\n"
    assert [k for k, _ in kinds(text)] == [JSX, EXPRESSION, JSX, JSX, EXPRESSION, EXPRESSION, JSX]
    view = scan(text).view
    assert len(view) == len(text)
    assert view == "Hi <x xxxxxxxxxxxxxx> and <x xxxxxxx>, <x>bold</x> <x> \\} \\>\n"


def test_an_expression_breaking_right_after_its_brace_is_blanked() -> None:
    text = "Before {\n  a\n} after\n"
    assert kinds(text) == [(EXPRESSION, "{\n  a\n}")]
    assert scan(text).view == "Before  \n   \n  after\n"


def test_text_that_only_looks_like_a_tag_is_text() -> None:
    assert kinds("a < b and <https://example.com> and x<3\n") == []


def test_boolean_attributes_may_come_before_others() -> None:
    text = '<FileTree.Folder name="a" defaultOpen active>\n  <FileTree.File name="b" />\n</FileTree.Folder>\n'
    assert [(s.element, s.closing) for s in scan(text).spans] == [
        ("FileTree.Folder", False), ("FileTree.File", False), ("FileTree.Folder", True)]
    assert not scan(text).view.strip()


def test_a_template_literal_keeps_an_esm_block_open_over_blank_lines() -> None:
    text = "export const page = `# Title\n\n<Stars />`\n\nProse.\n"
    assert kinds(text) == [(ESM, "export const page = `# Title\n\n<Stars />`")]
