"""`/learn team`: team averages beside the learner's own, never over fewer than three people, and what
teammates are learning this week, named only when they opted in."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.chat.coach import Coach
from bot.replies import PeerView, ProgressView
from store.db import Database
from tests.support.learner import answer, next_card
from tests.support.org import load_sample_org

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def peer_view(coach: Coach, person_id: int) -> PeerView:
    view = (await coach.command(person_id, "learn team")).messages[0]
    assert isinstance(view, PeerView)
    return view


async def mastery(coach: Coach, person_id: int) -> dict[str, float]:
    view = (await coach.command(person_id, "progress")).messages[0]
    assert isinstance(view, ProgressView)
    return {row.name: row.mastery for row in view.rows}


async def answer_topic(coach: Coach, person_id: int, topic: str, pattern: list[bool]) -> None:
    for right in pattern:
        card = (await coach.command(person_id, topic)).messages[0]
        await coach.sent(card.delivery_id, platform="test", message_ref=None)
        await answer(coach, person_id, card, right)


async def test_averages_need_three_people_with_answers(coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    team_emails = ("ben@example.com", "cara@example.com", "eli@example.com")
    for email in team_emails[:2]:
        await answer_topic(coach, ids[email], "phishing", [True, False, True])
    await answer_topic(coach, ids["ben@example.com"], "purchase approvals", [True])

    view = await peer_view(coach, ids["ben@example.com"])
    infosec = next(r for r in view.rows if r.competency == "Information security")
    assert view.team_size == 3 and infosec.people == 2 and infosec.team_average is None, \
        "Eli has no answers in it: his prior is no result, and two people are too few"
    privacy = next(r for r in view.rows if r.competency == "Data privacy")
    assert not privacy.answered and "Data privacy: you: no answers yet" in view.text

    await answer_topic(coach, ids["eli@example.com"], "phishing", [True, False, True])
    view = await peer_view(coach, ids["ben@example.com"])
    team = [await mastery(coach, ids[e]) for e in team_emails]
    infosec = next(r for r in view.rows if r.competency == "Information security")
    values = [m["Information security"] for m in team]
    assert infosec.people == 3 and infosec.answered
    assert infosec.team_average == pytest.approx(sum(values) / 3, abs=0.001)
    assert infosec.mine == team[0]["Information security"]
    procurement = next(r for r in view.rows if r.competency == "Purchase approvals")
    assert procurement.people < 3 and procurement.team_average is None, "only Ben works on it: no average"
    assert "Purchase approvals: you" in view.text and "too few people with answers to average" in view.text

    for small in ("fay@example.com", "mia@example.com"):  # two direct reports under Omar, and under Dana
        reply = await coach.command(ids[small], "learn team")
        assert reply.messages[0].text.startswith("Your team has fewer than 3 people, so I show no averages")
    alone = await coach.command(ids["dana@example.com"], "learn team")
    assert "no team in the org chart" in alone.messages[0].text


async def test_teammates_are_named_only_if_they_opted_in(coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    await coach.save_settings(ids["cara@example.com"], {"show_name_to_peers": True})
    cara_card = await next_card(coach, ids["cara@example.com"])
    eli_card = await next_card(coach, ids["eli@example.com"])

    view = await peer_view(coach, ids["ben@example.com"])
    text = view.text
    assert "Cara Agent" in text and "Eli" not in text
    cara_line = next(line for line in view.learning if line.startswith(cara_card.competency))
    assert "Cara Agent" in cara_line
    eli_line = next(line for line in view.learning if line.startswith(eli_card.competency))
    assert eli_line.endswith("1 other") or eli_line.endswith("1 teammate")
    assert "don't see your name here" in text

    await coach.save_settings(ids["ben@example.com"], {"show_name_to_peers": True})
    assert "Your teammates see your name here" in (await peer_view(coach, ids["ben@example.com"])).text
    cara_sees = await peer_view(coach, ids["cara@example.com"])
    assert all("Cara Agent" not in line for line in cara_sees.learning), "not listed among her own teammates"
