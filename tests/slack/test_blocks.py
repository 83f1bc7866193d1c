"""Block Kit rendering within Slack's limits, Markdown to mrkdwn, long texts split at words, the renderer
registry, and the settings modal's shape."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest

from bot.replies import AnswerResult, Button, Choice, LessonCard, Notice, SettingsForm
from handlers.slack.blocks import (
    BUTTON_TEXT,
    BUTTON_VALUE,
    MAX_BLOCKS,
    SECTION_TEXT,
    action_of,
    blocks_for,
    messages_for,
    renderer,
)
from handlers.slack.modals import settings_modal, settings_values
from handlers.slack.mrkdwn import clip, split_text, to_mrkdwn
from handlers.slack.renderers.lessons import reflect_value

WORDS = ("approval", "threshold", "purchase", "finance", "supplier", "invoice", "budget", "contract")


def _long_text(paragraphs: int, words_each: int) -> str:
    return "\n\n".join(" ".join(WORDS[(p + w) % len(WORDS)] for w in range(words_each)) for p in range(paragraphs))


def _card(**changes: object) -> LessonCard:
    fields: dict[str, object] = {
        "delivery_id": 7, "kind": "lesson", "competency": "Purchase approvals", "level": 2, "minutes": 3,
        "title": "Thresholds", "format": "video", "body": "Read **this**.", "media": "https://example.com/v_1.mp4",
        "question": "Which approval?", "options": [Button("Manager and Finance", "answer", {"d": 7, "o": 0}),
                                                   Button("No approval", "answer", {"d": 7, "o": 1})],
    }
    fields.update(changes)
    return LessonCard(**fields)  # type: ignore[arg-type]


def _texts(blocks: list[dict]) -> list[str]:
    found = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            found.append(block["text"]["text"])
        for element in block.get("elements", []):
            if isinstance(element.get("text"), str):
                found.append(element["text"])
    return found


def test_markdown_becomes_mrkdwn_and_leaves_code_and_urls_alone() -> None:
    markdown = ("# Heading\n**Bold** and *italic*, _also italic_, ~~gone~~, a [link](https://x.com/a_b?c=1&d=2) "
                "and https://example.com/some_path_here.\n- one\n* two\n`a **b** <c>` & 3 < 4\n```\nx = **y**\n```")
    assert to_mrkdwn(markdown) == (
        "*Heading*\n*Bold* and _italic_, _also italic_, ~gone~, a <https://x.com/a_b?c=1&d=2|link> "
        "and https://example.com/some_path_here.\n• one\n• two\n`a **b** &lt;c&gt;` &amp; 3 &lt; 4\n"
        "```\nx = **y**\n```")


def test_long_texts_split_at_paragraphs_then_words_never_inside_a_word_or_link() -> None:
    text = _long_text(40, 90) + " [a link with spaces](https://example.com/x)"
    pieces = split_text(to_mrkdwn(text), SECTION_TEXT)
    assert len(pieces) > 1 and all(0 < len(p) <= SECTION_TEXT for p in pieces)
    words = set(WORDS) | {"a", "link", "with", "spaces", "<https://example.com/x|a"}
    for piece in pieces:
        assert piece.split()[0] in words and piece.split()[-1].rstrip(">") in words | {"spaces"}, piece[:40]
    assert " ".join(" ".join(pieces).split()) == " ".join(to_mrkdwn(text).split())

    paragraph = " ".join(["word"] * 1000)
    assert all(p.startswith("word") and p.endswith("word") for p in split_text(paragraph, 100))
    giant = "x" * 250
    assert split_text(giant, 100) == ["x" * 100, "x" * 100, "x" * 50]  # only a word longer than the limit is cut


def test_a_code_block_split_across_pieces_is_closed_and_reopened() -> None:
    code = "```\n" + "\n".join(f"line {n} = compute({n})" for n in range(300)) + "\n```"
    pieces = split_text(code, 1000)
    assert len(pieces) > 1 and all(p.count("```") == 2 and len(p) <= 1000 for p in pieces)


def test_a_long_lesson_stays_within_every_block_kit_limit() -> None:
    long_label = "An option whose text is much longer than a Slack button can show in its label at all, really"
    card = _card(body=_long_text(400, 40), title="T" * 300,
                 options=[Button(long_label, "answer", {"d": 7, "o": i}) for i in range(30)])
    messages = messages_for(card)
    assert len(messages) > 1
    for message in messages:
        assert len(message.blocks) <= MAX_BLOCKS and message.text
        for block in message.blocks:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= SECTION_TEXT
            if block["type"] == "header":
                assert len(block["text"]["text"]) <= 150
            if block["type"] == "actions":
                assert len(block["elements"]) <= 25
                for element in block["elements"]:
                    assert len(element["text"]["text"]) <= BUTTON_TEXT and len(element["value"]) <= BUTTON_VALUE
    buttons = [e for m in messages for b in m.blocks if b["type"] == "actions" for e in b["elements"]]
    assert len(buttons) == 30 and messages[-1].blocks[-1]["type"] == "actions"
    assert [b["text"]["text"] for b in buttons] == [str(n) for n in range(1, 31)]  # options listed in full above
    label = buttons[0]["accessibility_label"]
    assert len(label) <= BUTTON_TEXT and label.endswith("…") and f"Answer 1: {long_label}".startswith(label[:-1])
    assert not label[:-1].endswith(" ")


def test_lesson_card_header_media_link_and_answered_state() -> None:
    blocks = blocks_for(_card())
    texts = _texts(blocks)
    assert blocks[0]["type"] == "header" and "Thresholds" in blocks[0]["text"]["text"]
    assert "Purchase approvals · level 2 · 3 min" in texts
    assert "▶️ <https://example.com/v_1.mp4|Open the video>" in texts and "Read *this*." in texts
    [answers] = [b for b in blocks if b["type"] == "actions"]
    assert [(action_of(e["action_id"]), json.loads(e["value"])) for e in answers["elements"]] == [
        ("answer", {"d": 7, "o": 0}), ("answer", {"d": 7, "o": 1})]

    answered = blocks_for(_card(chosen="Manager and Finance", correct=True))
    assert not [b for b in answered if b["type"] == "actions"]
    assert "Your answer: *Manager and Finance* — ✅ right" in _texts(answered)


def test_answer_result_and_a_reflection_card() -> None:
    result = AnswerResult(delivery_id=7, correct=False, chosen="No approval", right_answer="Manager and Finance",
                          explain="Above $5,000 Finance signs too.", progress_line="Purchase approvals: level 1 of 3",
                          buttons=[Button("Next lesson", "next", {}, "primary")],
                          feedback=[Button("Too easy", "feedback", {"d": 7, "r": "too_easy"})])
    blocks = blocks_for(result)
    assert "❌ *Not quite.* The answer is *Manager and Finance*.\nAbove $5,000 Finance signs too." in _texts(blocks)
    rows = [b for b in blocks if b["type"] == "actions"]
    assert [e["text"]["text"] for r in rows for e in r["elements"]] == ["Next lesson", "Too easy"]
    assert rows[0]["elements"][0]["style"] == "primary"

    prompt = "What would you do differently? " * 60
    reflection = blocks_for(_card(format="reflection", question=None, options=[], prompt=prompt, media=None))
    [write] = [e for b in reflection if b["type"] == "actions" for e in b["elements"]]
    assert write["action_id"] == "slack.reflect" and len(write["value"]) <= BUTTON_VALUE
    value = json.loads(write["value"])
    assert value["d"] == 7 and prompt.startswith(value["p"][:-1])
    assert json.loads(reflect_value(3, "short"))["p"] == "short"


def test_new_reply_types_register_their_own_renderer() -> None:
    @dataclass
    class Heatmap:
        image_url: str

    with pytest.raises(LookupError, match="no Slack renderer for Heatmap"):
        blocks_for(Heatmap("https://example.com/h.png"))

    @renderer(Heatmap)
    def heatmap_blocks(item: Heatmap) -> list[dict]:
        return [{"type": "image", "image_url": item.image_url, "alt_text": "Team heatmap"}]

    assert blocks_for(Heatmap("https://example.com/h.png"))[0]["type"] == "image"
    with pytest.raises(ValueError, match="already has a Slack renderer"):
        renderer(Heatmap)(lambda item: [])

    @dataclass
    class Digest:
        text: str
        buttons: list[Button]

    plain = blocks_for(Digest("**Weekly** digest", [Button("Open", "team.open", {"p": 1})]))
    assert _texts(plain)[0] == "*Weekly* digest" and plain[-1]["elements"][0]["action_id"] == "coach.team.open.0"
    assert action_of("coach.team.open.0") == "team.open"
    assert blocks_for(Notice("hi")) == [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]


def test_settings_modal_shape_and_what_a_submission_means() -> None:
    form = SettingsForm(
        person_id=1, days="135", window_start="09:00", window_end="12:30", lessons_per_day=2,
        timezone="Europe/Paris", formats=["video"], goal_role=None, interests=[], show_name_to_peers=True,
        shoutout_opt_in=False, digest_opt_in=True, is_manager=True,
        role_choices=[Choice(f"role-{n}", f"Role {n}") for n in range(150)],
        competency_choices=[Choice("infosec", "Information security")],
        format_choices=[Choice("text", "Reading"), Choice("video", "Video")],
    )
    view = settings_modal(form)
    assert len(view["title"]["text"]) <= 24 and len(view["blocks"]) <= 100
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert [o["value"] for o in inputs["days"]["initial_options"]] == ["1", "3", "5"]
    groups = inputs["goal_role"]["option_groups"]  # 151 choices: in groups of up to 100, none dropped
    assert inputs["goal_role"]["initial_option"]["value"] == "-" and [len(g["options"]) for g in groups] == [100, 51]
    assert "initial_options" not in inputs["interests"]  # Slack refuses an empty list there
    assert [o["value"] for o in inputs["privacy"]["initial_options"]] == ["show_name_to_peers", "digest_opt_in"]
    assert all(len(o["text"]["text"]) <= 75 for e in inputs.values() for o in e.get("options", []))
    assert inputs["away_until"]["type"] == "datepicker" and "initial_date" not in inputs["away_until"]

    submitted = {**view, "state": {"values": {
        "away_until": {"away_until": {"type": "datepicker", "selected_date": "2026-12-24"}},
        "days": {"days": {"type": "checkboxes", "selected_options": [{"value": "2"}]}},
        "goal_role": {"goal_role": {"type": "static_select", "selected_option": {"value": "-"}}},
        "lessons_per_day": {"lessons_per_day": {"type": "static_select", "selected_option": None}},
        "privacy": {"privacy": {"type": "checkboxes", "selected_options": []}},
        "timezone": {"timezone": {"type": "plain_text_input", "value": 5}},
    }}}
    assert settings_values(submitted) == {"days": ["2"], "goal_role": None, "lessons_per_day": None,
                                          "away_until": "2026-12-24",
                                          "timezone": "5", "show_name_to_peers": False, "shoutout_opt_in": False,
                                          "digest_opt_in": False}


def test_a_media_url_with_parentheses_or_pipes_stays_one_link() -> None:
    url = "https://en.wikipedia.org/wiki/Bracket_(disambiguation)"
    assert f"▶️ <{url}|Open the video>" in _texts(blocks_for(_card(media=url)))
    odd = "https://example.com/a|b>c<d"
    assert "▶️ <https://example.com/a%7Cb%3Ec%3Cd|Open the media>" in _texts(blocks_for(_card(media=odd, format="text")))
    assert to_mrkdwn(f"See [the brackets]({url}) & [more](https://x.org/(a)_(b)).") == (
        f"See <{url}|the brackets> &amp; <https://x.org/(a)_(b)|more>.")


def test_labels_are_clipped_at_a_word() -> None:
    assert clip("Purchase approvals above five thousand dollars", 20) == "Purchase approvals…"
    assert clip("short", 20) == "short"
    assert re.fullmatch(r"x{19}…", clip("x" * 40, 20))


@pytest.mark.parametrize(("markdown", "mrkdwn"), [
    ("***x***", "*_x_*"),
    ("a ***strong and em*** b", "a *_strong and em_* b"),
    ("___x___", "*_x_*"),
    ("***x** y*", "_*x* y_"),
    ("*it **b***", "_it *b*_"),
    ("**bold _it_ more**", "*bold _it_ more*"),
])
def test_bold_and_italic_together_nest_properly(markdown: str, mrkdwn: str) -> None:
    assert to_mrkdwn(markdown) == mrkdwn


def test_an_image_becomes_a_link_to_it() -> None:
    assert to_mrkdwn("See ![the chart](https://x.com/c.png) here") == "See <https://x.com/c.png|the chart> here"
    assert to_mrkdwn("![](https://x.com/c.png)") == "<https://x.com/c.png|https://x.com/c.png>"
    assert to_mrkdwn("Wow! [a link](https://x.com)") == "Wow! <https://x.com|a link>"
