"""The validator reports every problem at once, each as FILE:LINE, for each kind of mistake."""

from __future__ import annotations

import textwrap
from pathlib import Path

from typer.testing import CliRunner

from content.packs import STARTER, load_packs
from handlers.cli import app

PACK = """\
id: broken
title: Broken pack
competencies:
  - id: procurement
    name: Purchase approvals
  - id: safety
    name: Shop-floor safety
roles:
  - id: buyer
    name: Buyer
    requires: {procurement: 2, finance: 1}
  - id: operator
    name: Operator
    requires: {safety: 4}
"""

GOOD = """\
---
id: {id}
competency: procurement
level: {level}
format: text
requires: {requires}
questions:
  - ask: Which approval does a $7,500 purchase need?
    options:
      - Line manager only
      - {{text: Line manager and Finance, correct: true}}
    explain: Over $5,000 also needs Finance.
---
Body text.
"""

BODY = ("---\nid: {id}\ncompetency: procurement\nlevel: 1\nformat: text\nquestions:\n  - ask: Q?\n"
        "    options: [a, {{text: b, correct: true}}]\n---\n")
"""A valid lesson whose text, appended after it, starts on line 10."""

BROKEN = {
    "yaml.md": "---\nid: yaml-error\ncompetency: [unclosed\n---\nBody\n",
    "yaml-late.md": "---\nid: yaml-late\ncompetency: procurement\nlevel: [1\nformat: text\n---\nBody\n",
    "multiline-option.md": "---\nid: multiline-option\ncompetency: procurement\nlevel: 1\nformat: text\n"
                           "questions:\n  - ask: Q?\n    options:\n      - |\n        first line\n"
                           "        second line\n      - {text: b, correct: true}\n---\nBody\n",
    "table.md": BODY.format(id="table") + "Intro.\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n",
    "table-bare.md": BODY.format(id="table-bare") + "Intro.\n\na | b\n--- | ---\n1 | 2\n",
    "image.md": BODY.format(id="image") + "See this:\n![diagram](https://example.com/d.png)\n",
    "html.md": BODY.format(id="html") + "Text.\n\n<script>alert(1)</script>\n",
    "js-link.md": BODY.format(id="js-link") + "Click [here](javascript:alert(1)) now.\n",
    "relative-link.md": BODY.format(id="relative-link") + "Read it.\n\nSee [the policy](policy.md).\n",
    "unknown-competency.md": "---\nid: unknown-comp\ncompetency: cooking\nlevel: 1\nformat: text\n"
                             "questions:\n  - ask: Q?\n    options: [a, {text: b, correct: true}]\n---\nBody\n",
    "bad-level.md": "---\nid: bad-level\ncompetency: procurement\nlevel: 4\nformat: text\n"
                    "questions:\n  - ask: Q?\n    options: [a, {text: b, correct: true}]\n---\nBody\n",
    "two-correct.md": "---\nid: two-correct\ncompetency: procurement\nlevel: 1\nformat: text\nquestions:\n"
                      "  - ask: Q?\n    options:\n      - {text: a, correct: true}\n"
                      "      - {text: b, correct: true}\n---\nBody\n",
    "one-option.md": "---\nid: one-option\ncompetency: procurement\nlevel: 1\nformat: text\nquestions:\n"
                     "  - ask: Q?\n    options:\n      - {text: only, correct: true}\n---\nBody\n",
    "long-label.md": "---\nid: long-label\ncompetency: procurement\nlevel: 1\nformat: text\nquestions:\n"
                     "  - ask: Q?\n    options:\n      - " + "x" * 80 + "\n      - {text: ok, correct: true}\n"
                     "---\nBody\n",
    "long-paragraph.md": "---\nid: long-paragraph\ncompetency: procurement\nlevel: 1\nformat: text\n"
                         "questions:\n  - ask: Q?\n    options: [a, {text: b, correct: true}]\n---\n\n"
                         + "word " * 700 + "\n",
    "cycle-a.md": GOOD.format(id="cycle-a", level=1, requires="[cycle-b]"),
    "cycle-b.md": GOOD.format(id="cycle-b", level=1, requires="[cycle-a]"),
    "unknown-require.md": GOOD.format(id="needs-ghost", level=1, requires="[ghost-lesson]"),
    "dup-1.md": GOOD.format(id="twin", level=1, requires="[]"),
    "dup-2.md": GOOD.format(id="twin", level=1, requires="[]"),
    "video.md": "---\nid: no-media\ncompetency: procurement\nlevel: 1\nformat: video\n"
                "questions:\n  - ask: Q?\n    options: [a, {text: b, correct: true}]\n---\nBody\n",
    "typo.md": "---\nid: typo-field\ncompetency: procurement\nlevel: 1\nformat: text\ntittle: Oops\n"
               "questions:\n  - ask: Q?\n    options: [a, {text: b, correct: true}]\n---\nBody\n",
    "reflection.md": "---\nid: reflect-no-prompt\ncompetency: procurement\nlevel: 1\nformat: reflection\n"
                     "---\nBody\n",
}


SYNONYMS = f"""\
- [vendor]
- [the, supplier]
- vendor
- [supplier, {"x" * 61}]
- [buyer, purchaser]
"""


def write_pack(root: Path) -> Path:
    pack = root / "broken"
    pack.mkdir()
    (pack / "pack.yaml").write_text(PACK)
    for name, text in BROKEN.items():
        (pack / name).write_text(text)
    (pack / "synonyms.yaml").write_text(SYNONYMS)
    return pack


def reported(problems: list, name: str, fragment: str, line: int | None = None) -> bool:  # type: ignore[type-arg]
    """Whether a problem in file `name` (at `line`, if given) contains `fragment`."""
    return any(p.file.name == name and fragment in p.message and (line is None or p.line == line) for p in problems)


def test_every_kind_of_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    _, problems = load_packs([write_pack(tmp_path)])
    assert reported(problems, "yaml.md", "YAML syntax error: unclosed '['", 3)
    assert reported(problems, "yaml-late.md", "YAML syntax error: unclosed '[' (the parser gave up on line 5: "
                                              "expected ',' or ']'", 4)
    assert reported(problems, "multiline-option.md", "an option is one line", 9)
    assert reported(problems, "table.md", "a Markdown table cannot be shown", 12)
    assert reported(problems, "table-bare.md", "a Markdown table cannot be shown", 13)
    assert reported(problems, "image.md", "an image cannot be shown", 11)
    assert reported(problems, "html.md", "HTML such as '<script>' is not shown", 12)
    assert reported(problems, "js-link.md", "a link must start with https://, http:// or mailto:, not "
                                            "'javascript:alert(1)'", 10)
    assert reported(problems, "relative-link.md", "not 'policy.md'", 12)
    assert len([p for p in problems if p.file.name.startswith("table")]) == 2  # once per table, not per row
    assert reported(problems, "unknown-competency.md", "unknown competency 'cooking'", 3)
    assert reported(problems, "bad-level.md", "'level' must be a whole number 1–3", 4)
    assert reported(problems, "two-correct.md", "exactly one option must be marked correct: true, found 2")
    assert reported(problems, "one-option.md", "needs 2–6 options, this one has 1")
    assert reported(problems, "long-label.md", "80 characters; a button label takes at most 75", 9)
    assert reported(problems, "long-paragraph.md", "paragraph is 3500 characters", 11)
    cycles = [p for p in problems if "requires forms a cycle" in p.message]
    assert len(cycles) == 1 and cycles[0].file.name in ("cycle-a.md", "cycle-b.md") and cycles[0].line == 6
    assert reported(problems, "unknown-require.md", "requires unknown lesson 'ghost-lesson'", 6)
    assert reported(problems, "dup-2.md", "duplicate lesson id 'twin' (first in", 2)
    assert any("dup-1.md:2" in p.message for p in problems if p.file.name == "dup-2.md")
    assert reported(problems, "video.md", "a video lesson needs 'media:'")
    assert reported(problems, "typo.md", "unknown lesson field 'tittle'", 6)
    assert reported(problems, "reflection.md", "needs a 'prompt:'")
    assert reported(problems, "pack.yaml", "role 'buyer' requires undeclared competency 'finance'", 9)
    assert reported(problems, "pack.yaml", "requires 'safety' at level 4", 14)
    assert reported(problems, "synonyms.yaml", "a synonym group is a list of two or more", 1)
    assert reported(problems, "synonyms.yaml", "'the' has no word that search uses", 2)
    assert reported(problems, "synonyms.yaml", "a synonym group is a list of two or more", 3)
    assert reported(problems, "synonyms.yaml", "a synonym is a word or a phrase of at most 60 characters", 4)
    assert not any(p.file.name == "synonyms.yaml" and p.line == 5 for p in problems)
    untaught = "needs procurement level 2, but no graded lesson teaches procurement at level 2"
    assert reported(problems, "pack.yaml", untaught, 9)


def test_validate_command_prints_file_line_and_exits_1(tmp_path: Path) -> None:
    pack = write_pack(tmp_path)
    result = CliRunner().invoke(app, ["content", "validate", str(pack)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith(str(pack))]
    assert len(lines) >= len(BROKEN)
    assert all(line.split(":")[1].isdigit() for line in lines)


def test_duplicate_ids_across_packs_are_reported(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "pack.yaml").write_text("id: other\ntitle: Other\ncompetencies: []\nroles: []\n")
    (other / "copy.md").write_text(textwrap.dedent(GOOD.format(id="procurement-approval-thresholds", level=1,
                                                               requires="[]")))
    _, problems = load_packs([STARTER, other])
    assert any("duplicate lesson id 'procurement-approval-thresholds'" in p.message for p in problems)
    assert any("unknown competency 'procurement'" not in p.message for p in problems)


def test_the_starter_pack_is_valid_and_rich_enough() -> None:
    packs, problems = load_packs([STARTER])
    assert problems == []
    pack = packs[0]
    assert len(pack.competencies) >= 8 and len(pack.roles) >= 6 and len(pack.lessons) >= 80
    assert {lesson.format for lesson in pack.lessons} == {"text", "video", "scenario", "reflection", "task"}
    for competency in pack.competencies:
        levels = {lesson.level for lesson in pack.lessons if lesson.competency == competency.id}
        assert levels == {1, 2, 3}, competency.id
    assert all(len(lesson.questions) >= 2 for lesson in pack.lessons if lesson.graded)
    assert all(lesson.media for lesson in pack.lessons if lesson.format == "video")
    assert len(pack.synonyms) >= 50 and any(group[:2] == ("supplier", "vendor") for group in pack.synonyms)


def test_files_the_reader_cannot_take_are_problems_not_crashes(tmp_path: Path) -> None:
    pack = tmp_path / "odd"
    pack.mkdir()
    (pack / "pack.yaml").write_text("id: odd\ntitle: Odd\ncompetencies:\n  - id: c\n    name: C\nroles: []\n")
    (pack / "latin1.md").write_bytes("---\nid: caf\xe9\n---\n".encode("latin-1"))
    (pack / "key.md").write_text("---\nid: k\n? [a, b]\n: value\n---\nBody\n")
    (pack / "folder.md").mkdir()
    _, problems = load_packs([pack])
    assert reported(problems, "latin1.md", "not UTF-8", 2)
    assert reported(problems, "key.md", "a key must be a plain word", 3)
    assert not any(p.file.name == "folder.md" for p in problems)



def test_what_the_author_typed_is_what_the_learner_sees(tmp_path: Path) -> None:
    """YAML 1.1 would turn `Yes` into True, `16:25` into 985, `010` into 8 and `0.10` into 0.1."""
    pack = tmp_path / "typed"
    pack.mkdir()
    (pack / "pack.yaml").write_text("id: typed\ntitle: 2024\ncompetencies:\n  - id: c\n    name: On\n"
                                    "roles: []\n")
    (pack / "yes-no.md").write_text(
        "---\nid: 010\ntitle: 0.10\ncompetency: c\nlevel: 1\nformat: text\ntags: [On, Off, 1e3]\n"
        "questions:\n  - ask: 16:25\n    options: [Yes, {text: No, correct: true}]\n    explain: 010\n"
        "  - ask: Still open?\n    options:\n      - off\n      - {text: on, correct: yes}\n---\nBody\n")
    packs, problems = load_packs([pack])
    assert problems == []
    assert packs[0].title == "2024" and packs[0].competencies[0].name == "On"
    lesson = packs[0].lessons[0]
    assert (lesson.id, lesson.title, lesson.tags) == ("010", "0.10", ["On", "Off", "1e3"])
    first, second = lesson.questions
    assert (first.ask, [o.text for o in first.options], first.explain) == ("16:25", ["Yes", "No"], "010")
    assert [(o.text, o.correct) for o in second.options] == [("off", False), ("on", True)]


def test_markdown_both_chat_apps_show_is_accepted(tmp_path: Path) -> None:
    """Headings (any number), code that contains pipes or tags, and https/mailto links are fine."""
    pack = tmp_path / "fine"
    pack.mkdir()
    (pack / "pack.yaml").write_text("id: fine\ntitle: Fine\ncompetencies:\n  - id: procurement\n"
                                    "    name: P\nroles: []\n")
    (pack / "fine.md").write_text(BODY.format(id="fine") + (
        "## One\n\nType `a | b` or `<br>` as code; 3 < 5 > 2.\n\n## Two\n\n```\n<div>| x |</div>\n```\n\n"
        "Mail [us](mailto:a@example.com), see [the site](https://example.com/a_(b)) or <https://example.com>.\n"))
    assert load_packs([pack])[1] == []


def test_two_folders_declaring_one_pack_id_are_reported_at_the_second(tmp_path: Path) -> None:
    for name in ("pa", "pb"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "pack.yaml").write_text("# comment\nid: same\ntitle: T\ncompetencies: []\nroles: []\n")
    _, problems = load_packs([tmp_path / "pa", tmp_path / "pb"])
    assert [(p.file.parent.name, p.line) for p in problems] == [("pb", 2)]
    assert f"duplicate pack id 'same' (first in {tmp_path / 'pa' / 'pack.yaml'}:2)" in problems[0].message
    assert load_packs([tmp_path / "pa", tmp_path / "pa"])[1] == []  # one folder named twice is one pack
