"""Adaptive Cards for the coach's replies: the registry, the Markdown conversion, lessons and files."""

from __future__ import annotations

import base64
import dataclasses
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from bot.replies import (
    AnswerResult,
    Button,
    CompetencyRow,
    Engagement,
    LessonCard,
    Notice,
    PeerView,
    PersonDetail,
    ProgressView,
    SettingsForm,
)
from handlers.msteams import cards, files, lesson_cards, settings_card
from handlers.msteams.adaptive import card, inline, registered, render, renderer, text_blocks
from handlers.msteams.fitting import fit
from handlers.msteams.wire import BUDGET, message, wire_size
from handlers.slack.modals import settings_modal


def _lesson(**changes: object) -> LessonCard:
    base = dict(delivery_id=7, kind="lesson", competency="Purchase approvals", level=1, minutes=2,
                title="Thresholds", format="video", body="Read **this**.\n\n• one\n• two",
                media="https://media.example.org/v.mp4", question="Which approval?",
                options=[Button("Manager", "answer", {"d": 7, "o": 0}), Button("Finance", "answer", {"d": 7, "o": 1})])
    return LessonCard(**{**base, **changes})  # type: ignore[arg-type]


def test_every_reply_type_of_the_coach_has_a_card() -> None:
    assert {Notice, LessonCard, AnswerResult, ProgressView, SettingsForm} <= registered()


def test_other_modules_can_register_cards_for_new_reply_types() -> None:
    @dataclass
    class Summary:
        people: int

    @dataclass
    class BigSummary(Summary):
        pass

    @renderer(Summary)
    def _summary(item: Summary) -> dict:
        return {"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": f"{item.people} people"}]}

    assert render(BigSummary(3))["body"][0]["text"] == "3 people"  # found through the base class


def test_a_type_with_markdown_text_falls_back_to_it_and_anything_else_is_an_error() -> None:
    @dataclass
    class View:
        text: str
        buttons: list[Button] = field(default_factory=list)

    shown = render(View("**Team**\n• `/team export`", [Button("Export", "team_export", {"x": 1}, "primary")]))
    assert [b["text"] for b in shown["body"]] == ["**Team**", "• **team export**"]
    assert shown["actions"] == [{"type": "Action.Submit", "title": "Export", "style": "positive",
                                 "data": {"action": "team_export", "value": {"x": 1}}}]

    @dataclass
    class Opaque:
        number: int

    with pytest.raises(LookupError, match="no Teams card for Opaque"):
        render(Opaque(1))


def test_markdown_becomes_one_block_per_line() -> None:
    assert inline("type `/learn progress` or `pause`") == "type **learn progress** or **pause**"
    blocks = text_blocks("First line\nsecond\n\n- a bullet\n* another")
    assert [b["text"] for b in blocks] == ["First line", "second", "• a bullet", "• another"]
    assert [b.get("spacing") for b in blocks] == [None, "Small", "Medium", "Small"]


def test_lesson_text_reads_as_markdown_paragraphs_under_headings() -> None:
    blocks = text_blocks("Intro, first line\nand its second\n\n## Your task ##\n1. **Think**\n2. Write\n"
                         "   - _Situation_\nlazy line\nand another\n### Then", paragraphs=True)
    assert [(b["text"], b.get("weight"), b.get("spacing")) for b in blocks] == [
        ("Intro, first line\nand its second", None, None),
        ("Your task", "Bolder", "Medium"),
        ("1. **Think**", None, "Small"),
        ("2. Write", None, "Small"),
        ("• _Situation_", None, "Small"),
        ("lazy line\nand another", None, "Small"),
        ("Then", "Bolder", "Medium"),
    ]
    assert text_blocks("## Gaps\nrow one\nrow two")[0] == {"type": "TextBlock", "text": "Gaps", "weight": "Bolder",
                                                           "size": "Medium", "wrap": True}


def test_a_lesson_card_and_its_answered_form() -> None:
    shown = lesson_cards.lesson(_lesson())
    texts = [b.get("text") for b in shown["body"]]
    assert texts[0] == "Purchase approvals · level 1 · 2 min" and texts[1] == "Thresholds"
    [media] = [b["actions"] for b in shown["body"] if b["type"] == "ActionSet"]
    assert media == [{"type": "Action.OpenUrl", "title": "▶ Watch the video", "url": "https://media.example.org/v.mp4"}]
    assert [a["title"] for a in shown["actions"]] == ["Manager", "Finance"]
    assert shown["actions"][1]["data"] == {"action": "answer", "value": {"d": 7, "o": 1}}

    answered = lesson_cards.lesson(_lesson(chosen="Finance", correct=True))
    assert "actions" not in answered
    assert "Your answer: **Finance** — ✅ right" in [b.get("text") for b in answered["body"]]


def test_a_media_url_with_parentheses_opens_as_it_is() -> None:
    url = "https://en.wikipedia.org/wiki/Bracket_(disambiguation)"
    shown = lesson_cards.lesson(_lesson(media=url, format="text"))
    assert {"type": "Action.OpenUrl", "title": "🔗 Open the material", "url": url} in [
        action for block in shown["body"] if block["type"] == "ActionSet" for action in block["actions"]]
    assert url not in json.dumps([b.get("text") for b in shown["body"]])  # never through Markdown


def test_a_picture_that_fits_goes_inline_and_anything_else_is_offered_as_a_file() -> None:
    png = b"\x89PNG\r\n\x1a\nfake"
    [attachment] = cards.file_activity("heatmap.png", png, "image/png").attachments
    assert attachment.content_type == "image/png" and attachment.name == "heatmap.png"
    assert attachment.content_url == "data:image/png;base64," + base64.b64encode(png).decode()

    # under 24,000 characters of base64 (the old limit), yet over the budget once the message is measured
    large = png + bytes(17_900)
    assert len(base64.b64encode(large)) < 24_000
    [offered] = cards.file_activity("heatmap.png", large, "image/png").attachments
    assert offered.content_type == files.FILE_CONSENT and offered.name == "heatmap.png"
    assert offered.content["sizeInBytes"] == len(large)
    assert offered.content["acceptContext"] == offered.content["declineContext"] == {"name": "heatmap.png",
                                                                                     "mime": "image/png"}
    rows = "\ufeff" + "\n".join(["email,name"] + [f"p{i}@example.com,Пётр {i}" for i in range(100)])
    [csv_offer] = cards.file_activity("team.csv", rows.encode(), "text/csv").attachments
    assert csv_offer.content_type == files.FILE_CONSENT and "spreadsheet" in csv_offer.content["description"]
    assert csv_offer.content["sizeInBytes"] == len(rows.encode())


@pytest.mark.parametrize("is_manager", [False, True])
def test_the_settings_choices_read_the_same_in_teams_and_slack(is_manager: bool) -> None:
    form = SettingsForm(person_id=1, days="12345", window_start="10:00", window_end="17:00", lessons_per_day=1,
                        timezone="Europe/Berlin", formats=[], goal_role=None, interests=[], show_name_to_peers=False,
                        shoutout_opt_in=True, digest_opt_in=False, is_manager=is_manager, role_choices=[],
                        competency_choices=[], format_choices=[])
    teams = {e["id"]: e["title"] for e in settings_card.settings_form(form)["body"] if e["type"] == "Input.Toggle"}
    [privacy] = [b["element"] for b in settings_modal(form)["blocks"] if b["block_id"] == "privacy"]
    slack = {o["value"]: o["text"]["text"] for o in privacy["options"]}
    assert teams == slack == form.flags
    assert ("digest_opt_in" in teams) is is_manager
    assert "goal role" in teams["shoutout_opt_in"]  # shout-outs celebrate a completed goal role, nothing less


CHECKLIST = "Before you sign:\n\n" + "\n".join(f"- [ ] check {n}" for n in range(300))
CYRILLIC = "\n\n".join(" ".join("Проверьте" for _ in range(290)) for _ in range(4))  # 11.6k characters
EMOJI = "😀😀😀😀 " * 700 + "\n\n" + "🧾" * 2500  # a paragraph and a "word" each larger than a message


def _shown_text(made: list[dict]) -> str:
    """The lesson text across its messages (without headers, continuation notes and question), spaces
    left out: a word larger than a message is the one thing cut."""
    texts = [b["text"] for c in made for b in c["body"] if b["type"] == "TextBlock" and not b.get("isSubtle")
             and b.get("weight") != "Bolder"]
    return "".join("".join(texts).split())


@pytest.mark.parametrize("body", [CHECKLIST, CYRILLIC, EMOJI], ids=["checklist", "cyrillic", "emoji"])
def test_a_lesson_too_large_for_one_message_is_split_and_every_message_fits(body: str) -> None:
    asked = _lesson(body=body)
    assert wire_size(message(lesson_cards.lesson(asked))) > BUDGET  # as one card it would never arrive
    made = lesson_cards.lesson_cards(asked)
    assert len(made) > 1 and all(wire_size(message(c)) <= BUDGET for c in made)
    assert [a["title"] for a in made[-1]["actions"]] == ["Manager", "Finance"]
    assert all("actions" not in c for c in made[:-1]) and made[-1]["body"][-1]["text"] == "Which approval?"
    assert _shown_text(made) == "".join(body.replace("- ", "• ").split())  # all of it, in order

    answered = lesson_cards.lesson_cards(_lesson(body=body, chosen="Finance", correct=True))
    assert answered[:-1] == made[:-1]  # the answer replaces the question's message, and only that
    assert "actions" not in answered[-1] and wire_size(message(answered[-1])) <= BUDGET
    assert "Your answer: **Finance** — ✅ right" in [b["text"] for b in answered[-1]["body"]]


def test_a_lesson_that_fits_is_one_card_and_a_long_answer_shown_in_it_is_shortened() -> None:
    assert lesson_cards.lesson_cards(_lesson()) == [lesson_cards.lesson(_lesson())]
    near = "ж" * 2880 + "\n\n" + "ж" * 800  # laid out for the text box and its refresh, just below the budget
    asked = _lesson(body=near, question=None, options=[], prompt="What will you do?", format="reflection")
    assert len(lesson_cards.lesson_cards(asked)) == 1
    [answered] = lesson_cards.lesson_cards(dataclasses.replace(asked, chosen="ы" * 1000))
    assert wire_size(message(answered)) <= BUDGET
    shown = answered["body"][-1]["text"]
    assert shown.startswith("Your reflection: _ыыы") and shown.endswith("…_")


def test_long_options_are_also_listed_numbered_above_their_buttons() -> None:
    long = "Ask the supplier to split the invoice so each part stays under the threshold"[:75]
    shown = lesson_cards.lesson(_lesson(options=[Button(long, "answer", {"d": 7, "o": 0}),
                                                 Button("Finance", "answer", {"d": 7, "o": 1})]))
    assert [b["text"] for b in shown["body"][-3:]] == ["Which approval?", f"1. {long}", "2. Finance"]
    assert [a["title"] for a in shown["actions"]] == [long, "Finance"]  # the buttons keep the exact text
    answered = lesson_cards.lesson(_lesson(options=[Button(long, "answer", {})], chosen=long, correct=False))
    assert f"1. {long}" not in [b.get("text") for b in answered["body"]]
    assert "1. Manager" not in [b.get("text") for b in lesson_cards.lesson(_lesson())["body"]]  # short: no list


NEXT = Button("Next lesson", "next", {}, "primary")
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


def _rows(n: int) -> list[CompetencyRow]:
    return [CompetencyRow(f"c{i}", f"Компетенция номер {i}", 1, 3, 0.4, 5, 2, "role", "объяснение " * 25)
            for i in range(n)]


@pytest.mark.parametrize("item", [
    ProgressView("Пётр", 3, _rows(90), NOW, "Europe/Berlin", False, "Ваш руководитель видит уровни.", [],
                 [NEXT]),
    Notice("\n".join(f"• строка {n} " + "ж" * 90 for n in range(300)), [NEXT]),
    PersonDetail(1, "Пётр", "p@example.com", "buyer", [], Engagement(1, 2, 3, NOW), [], [], [], [NEXT],
                 "**Пётр**\n" + "\n".join(f"• строка {n} " + "ж" * 90 for n in range(300))),
    PeerView(9, [], [], [NEXT], "**Your team and you**\n" + "\n".join(f"• строка {n} " + "ж" * 90
                                                                      for n in range(300))),
], ids=["progress", "notice", "person-detail", "peer-view"])
def test_any_card_too_large_for_a_message_continues_over_several(item: object) -> None:
    assert wire_size(message(render(item))) > BUDGET
    made = cards.cards_for(item)
    assert len(made) > 1 and all(wire_size(message(part)) <= BUDGET for part in made)
    assert [bool(part.get("actions")) for part in made] == [False] * (len(made) - 1) + [True]
    shown = [t for part in made for t in _texts(part)]
    if isinstance(item, ProgressView):
        assert all(shown.count(f"Компетенция номер {i}") == 1 for i in range(90))  # every row, once
    else:
        assert all(sum(t.startswith(f"• строка {n} ") for t in shown) == 1 for n in range(300))


def _texts(node: object) -> list[str]:
    """Every text and title of a card (fact titles included), in order."""
    if isinstance(node, list):
        return [t for value in node for t in _texts(value)]
    if not isinstance(node, dict):
        return []
    own = [node[key] for key in ("text", "title") if isinstance(node.get(key), str)]
    return own + [t for key, value in node.items() if key not in ("text", "title") for t in _texts(value)]


def test_a_form_is_never_split_from_its_submit_button() -> None:
    form = card([{"type": "Input.Text", "id": "text"}, *text_blocks("ж" * 8000)], [{"type": "Action.Submit"}])
    assert wire_size(message(form)) > BUDGET and fit(form) == [form]
