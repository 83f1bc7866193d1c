"""The search fields of the content format: a lesson's `asks:` and a pack's `phrasing.yaml`, each problem at
its FILE:LINE; the starter pack's example questions."""

from __future__ import annotations

from pathlib import Path

from content.packs import STARTER, load_packs
from content.search_terms import words

PACK = "id: asks\ntitle: Asks\nroles: []\ncompetencies:\n  - id: safety\n    name: Safety\n"
LESSON = """\
---
id: {id}
title: Wear the PPE the sign asks for
competency: safety
level: 1
format: text
asks:
{asks}
questions:
  - ask: Which PPE?
    options:
      - {{text: What the sign shows, correct: true}}
      - Whatever you like
---
Wear what the sign at the door shows.
"""


def _pack(root: Path, asks: str, phrasing: str | None = None) -> Path:
    pack = root / "asks"
    pack.mkdir()
    (pack / "pack.yaml").write_text(PACK)
    (pack / "ppe.md").write_text(LESSON.format(id="ppe", asks=asks))
    if phrasing is not None:
        (pack / "phrasing.yaml").write_text(phrasing)
    return pack


def test_asks_are_read_as_typed_and_each_problem_has_its_line(tmp_path: Path) -> None:
    asks = "\n".join(["  - do I need goggles in the workshop?",  # line 8
                      "  - [not, a, question]",  # 9
                      "  - how do I",  # 10: only filler words
                      f"  - {'x' * 201}",  # 11
                      "  - yes"])  # 12: kept as typed, not read as true
    packs, problems = load_packs([_pack(tmp_path, asks)])
    assert sorted((p.line, p.message.split(" ")[0:3]) for p in problems) == [
        (9, ["an", "ask", "is"]), (10, ["'how", "do", "I'"]), (11, ["an", "ask", "is"])]
    assert all(p.file.name == "ppe.md" for p in problems)
    assert packs[0].lessons[0].asks == ["do I need goggles in the workshop?", "yes"]


def test_asks_must_be_a_list_and_phrasing_yaml_reports_its_lines(tmp_path: Path) -> None:
    phrasing = "- asking for a friend\n- [a, list]\n- ''\n- quick one\n"
    packs, problems = load_packs([_pack(tmp_path, "  just one line", phrasing)])
    assert [(p.file.name, p.line) for p in problems if "asks" in p.message] == [("ppe.md", 7)]
    assert [(p.file.name, p.line) for p in problems if p.file.name == "phrasing.yaml"] == [("phrasing.yaml", 2),
                                                                                           ("phrasing.yaml", 3)]
    assert packs[0].phrasing == ["asking for a friend", "quick one"]


def test_every_starter_lesson_has_three_example_questions_in_employees_words() -> None:
    [pack], problems = load_packs([STARTER])
    assert problems == []
    for lesson in pack.lessons:
        assert len(lesson.asks) >= 3 and len(set(lesson.asks)) == len(lesson.asks), lesson.id
        assert all(words(ask) and ask != lesson.title for ask in lesson.asks), lesson.id
