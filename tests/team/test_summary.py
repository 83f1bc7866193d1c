"""`/team`: the summary of a multi-level org, one person in detail, access refusals, a large team grouped and
complete, and the heatmap PNG and CSV export parsed back."""

from __future__ import annotations

import csv
import io
import random
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from bot.chat.coach import Coach
from bot.chat.dates import plain
from bot.engine.learner import LearnerContext
from bot.imports.packs import import_content
from bot.lessons.answers import FEEDBACK
from bot.replies import Engagement, Notice, PersonDetail, TeamSummary
from bot.team import summary as team
from bot.team import view as team_view
from bot.team.heatmap import COLOURS, DPI, ROW_INCHES, cell_code
from bot.team.roster import Standing
from content.packs import STARTER
from store.db import Database
from store.models import LearnerSettings, Person
from tests.conftest import Clock
from tests.support.learner import all_deliveries, answer, delivery_facts, next_card
from tests.support.org import SAMPLE_ORG, load_sample_org, sixty_people

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def team_reply(coach: Coach, person_id: int, text: str = "") -> tuple[object, list[tuple[str, bytes, str]]]:
    reply = await coach.command(person_id, text, default="team")
    assert reply.ephemeral, "team views are shown only to the manager"
    return reply.messages[0], reply.attachments


async def topic_answers(coach: Coach, person_id: int, topic: str, pattern: list[bool]) -> None:
    """Answer lessons found by topic (so the competency is the test's choice, not the engine's)."""
    for right in pattern:
        card = (await coach.command(person_id, topic)).messages[0]
        await coach.sent(card.delivery_id, platform="test", message_ref=None)
        await answer(coach, person_id, card, right)


async def test_summary_covers_direct_and_indirect_reports_with_gaps_attention_and_actions(
        coach: Coach, db: Database, clock: Clock, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    card = await next_card(coach, ids["cara@example.com"])
    await answer(coach, ids["cara@example.com"], card, True)
    clock.advance(days=20)
    await coach.command(ids["eli@example.com"], "pause")
    await topic_answers(coach, ids["ben@example.com"], "purchase approvals", [True] * 4 + [False] * 3)
    await topic_answers(coach, ids["gus@example.com"], "phishing", [True])

    summary, files = await team_reply(coach, ids["dana@example.com"])
    assert isinstance(summary, TeamSummary)
    assert sorted(m.email for m in summary.members) == sorted(
        e for e in ids if e != "dana@example.com"), "direct and indirect reports, nobody else"
    assert not summary.grouped and summary.listed
    ben = next(m for m in summary.members if m.email == "ben@example.com")
    procurement = summary.competencies.index(next(c for c in summary.competencies if c.value == "procurement"))
    cell = ben.cells[procurement]
    assert cell is not None and cell.target == 3 and cell.status == "below"
    assert ben.engagement.answered_7 == 7 and ben.engagement.streak_days >= 1
    assert "Purchase approvals" in ben.falling
    assert any(g.startswith("1 of 1 below target in Purchase approvals") for g in summary.gaps), summary.gaps
    assert any(line.startswith("Ben Buyer — mastery falling in Purchase approvals") for line in summary.attention)

    cara = next(m for m in summary.members if m.email == "cara@example.com")
    assert cara.quiet and cara.engagement.answered_30 == 1 and cara.engagement.answered_7 == 0
    assert "Cara Agent — no lesson answered since 20 days ago" in summary.attention
    assert "Fay Newhire — hasn't answered a lesson yet" in summary.attention
    assert not next(m for m in summary.members if m.email == "eli@example.com").quiet, "a pause is not quiet"
    assert not next(m for m in summary.members if m.email == "gus@example.com").quiet

    labels = [b.label for b in summary.actions]
    assert "Nudge Cara" in labels and all(b.action in ("team_nudge", "team_focus") for b in summary.actions)
    assert any(b.value == {"p": ids["ben@example.com"], "c": "procurement"} for b in summary.actions)
    assert "**Your team: 7 people**" in summary.text and "Biggest gaps" in summary.text

    name, png, mime = files[0]
    assert mime == "image/png" and name.endswith(".png")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.height >= 7 * ROW_INCHES * DPI

    mia, _ = await team_reply(coach, ids["mia@example.com"])
    assert isinstance(mia, TeamSummary)
    assert sorted(m.email for m in mia.members) == ["ben@example.com", "cara@example.com", "eli@example.com"]


@SQLITE
async def test_two_people_with_one_first_name_are_told_apart_on_the_buttons(coach: Coach, db: Database,
                                                                           tmp_path: Path) -> None:
    """Two quiet Bens: "Nudge Ben" twice would leave the manager guessing; full names where first names clash."""
    org = SAMPLE_ORG + "ben.two@example.com,Ben Second,mia@example.com,buyer,Europe/Berlin,,\n"
    ids = await load_sample_org(db, tmp_path, org)
    summary, _ = await team_reply(coach, ids["mia@example.com"])
    assert isinstance(summary, TeamSummary)
    nudges = {b.value["p"]: b.label for b in summary.actions if b.action == "team_nudge"}
    assert nudges[ids["ben@example.com"]] == "Nudge Ben Buyer"
    assert nudges[ids["ben.two@example.com"]] == "Nudge Ben Second"
    # a first name nobody else has stays short: "Nudge Cara" in the summary test above


@SQLITE
async def test_one_report_in_detail_by_name_email_and_mentions(coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    await topic_answers(coach, ids["ben@example.com"], "purchase approvals", [True, False])
    await coach.press(ids["ben@example.com"], "feedback", {"d": await _last_delivery(coach, ids["ben@example.com"]),
                                                            "r": "too_hard"}, via="test")
    mia = ids["mia@example.com"]
    for typed in ("Ben Buyer", "ben", "BEN@example.com", "<@UBEN>", "<@UBEN|ben>", "<at>Ben Buyer</at>", "@ben"):
        detail, _ = await team_reply(coach, mia, typed)
        assert isinstance(detail, PersonDetail), typed
        assert detail.email == "ben@example.com"
    assert detail.role == "Buyer"
    tally = next(t for t in detail.recent if t.competency == "Purchase approvals")
    assert (tally.answered, tally.correct) == (2, 1)
    assert detail.feedback and plain(detail.feedback[0]).startswith("Too hard — ")
    assert any(b.action == "team_focus" for b in detail.actions)

    several, _ = await team_reply(coach, ids["dana@example.com"], "agent")
    assert isinstance(several, Notice) and "Cara Agent" in several.text and "Gus Agent" in several.text


@SQLITE
async def test_refusals_reveal_nothing_about_others(coach: Coach, db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    mia = ids["mia@example.com"]

    async def said(text: str, typed: str) -> str:
        reply = await coach.command(mia, text, default="team")
        return reply.messages[0].text.replace(typed, "…")

    for template in ("{}", "assign {} infosec"):
        for not_mine, unknown in (("fay@example.com", "zed@example.com"), ("Fay Newhire", "Zed Nobody"),
                                  ("<@UFAY>", "<@UZZZZ>"), ("dana@example.com", "zed@example.com")):
            assert await said(template.format(not_mine), not_mine) == await said(template.format(unknown), unknown)

    fay = ids["fay@example.com"]
    for action, value in (("team_focus", {"p": fay, "c": "infosec"}), ("team_nudge", {"p": fay})):
        forged = await coach.press(mia, action, value, via="test")
        missing = await coach.press(mia, action, {**value, "p": 999_999}, via="test")
        assert forged.messages[0].text == missing.messages[0].text
        assert "Fay" not in forged.messages[0].text

    for verb in ("", "ben", "export", "assign ben infosec"):
        refused = await coach.command(ids["ben@example.com"], verb, default="team")
        assert refused.messages[0].text.startswith("`/team` shows a summary of the people who report to you")
        assert not refused.attachments


@SQLITE
async def test_sixty_people_are_grouped_by_direct_report_one_line_each_and_all_reachable(
        coach: Coach, db: Database, tmp_path: Path) -> None:
    lines = sixty_people()
    ids = await load_sample_org(db, tmp_path, "\n".join(lines) + "\n")
    for email in ("p0x1@example.com", "p0x2@example.com"):
        await topic_answers(coach, ids[email], "purchase approvals", [False, False])
    summary, files = await team_reply(coach, ids["boss@example.com"])
    assert isinstance(summary, TeamSummary)
    assert summary.grouped and not summary.listed and summary.people == 60
    assert [g.lead for g in summary.groups] == [f"Lead {n}" for n in range(5)]
    assert all(g.people == 12 and g.members[0].name == g.lead for g in summary.groups)
    everyone = {e for e in ids if e != "boss@example.com"}
    assert {m.email for m in summary.members} == everyone
    assert "**Lead 3's group: 12 people** — 0 below target · 0 of 12 answered this week" in summary.text
    assert "**Person 3x04**" not in summary.text, "one line per group: the people are behind its button"
    assert "press its Show button" in summary.text and "spreadsheet have all 60 people" in summary.text
    procurement = [c.value for c in summary.competencies].index("procurement")
    assert summary.groups[0].below[procurement] == 2 and summary.groups[0].below_people == 2
    assert "**Lead 0's group: 12 people** — 2 below target · 2 of 12 answered this week (4 lessons)" in summary.text
    assert summary.gaps[0] == "2 of 2 below target in Purchase approvals (53 more with no answers yet)"

    shown: set[str] = set()
    for group in summary.groups:
        assert group.show is not None and group.show.label == f"Show {group.lead}'s group"
        opened = (await coach.press(ids["boss@example.com"], group.show.action, group.show.value, via="test"))
        view = opened.messages[0]
        assert isinstance(view, TeamSummary) and view.listed and view.scope == f"{group.lead}'s group"
        assert view.text.startswith(f"**{group.lead}'s group: 12 people**")
        assert sum(f"**{m.name}**" in view.text for m in group.members) == 12
        assert view.actions[-1].action == "team_summary", "and back to the whole team"
        shown |= {m.email for m in view.members}
    assert shown == everyone, "every person is one button away"

    [(png_name, png, _), (csv_name, data, mime)] = files
    assert png_name.endswith(".png") and csv_name.endswith(".csv") and mime == "text/csv"
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.height >= 60 * ROW_INCHES * DPI
    colours = {"#{:02x}{:02x}{:02x}".format(*c) for _, c in image.getcolors(maxcolors=256)}
    drawn = {COLOURS[cell_code(cell)] for m in summary.members for cell in m.cells}
    assert len(drawn) >= 3 and drawn <= colours, "every kind of cell is drawn in its colour"
    assert {r["email"] for r in list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))} == everyone

    reply = await coach.command(ids["boss@example.com"], "export", default="team")
    name, data, mime = reply.attachments[0]
    assert mime == "text/csv" and name.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert {r["email"] for r in rows} == everyone
    buyer = next(r for r in rows if r["email"] == "p2x5@example.com")
    assert buyer["group"] == "Lead 2" and buyer["procurement target"] == "3"
    assert buyer["procurement level"] == buyer["procurement mastery"] == "", "no answers yet: no level"
    tried = next(r for r in rows if r["email"] == "p0x1@example.com")
    assert tried["procurement level"] == "0" and 0 <= float(tried["procurement mastery"]) <= 1
    assert tried["last_active"].endswith("+01:00"), "ISO 8601 on Bea's clock (Europe/Paris)"
    assert name == "team-2026-12-01.csv", "named after Bea's day"


async def _last_delivery(coach: Coach, person_id: int) -> int:
    return (await all_deliveries(coach, person_id))[-1].id or 0


@SQLITE
async def test_past_the_drawing_limit_groups_keep_totals_and_the_csv_has_everyone(
        coach: Coach, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = await load_sample_org(db, tmp_path)
    monkeypatch.setattr(team_view, "GROUP_ABOVE", 3)
    monkeypatch.setattr(team_view, "LIST_LIMIT", 5)
    monkeypatch.setattr(team, "LIST_LIMIT", 5)
    summary, files = await team_reply(coach, ids["dana@example.com"])
    assert isinstance(summary, TeamSummary) and summary.grouped and not summary.listed
    assert [(g.lead, g.people) for g in summary.groups] == [("Mia Manager", 4), ("Omar Owner", 3)]
    assert "**Mia Manager's group: 4 people**" in summary.text and "**Ben Buyer**" not in summary.text
    assert "the attached spreadsheet has all 7 people" in summary.text
    [(name, data, mime)] = files
    assert mime == "text/csv" and name.endswith(".csv")
    assert len(list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))) == 7


def _standing(person_id: int, name: str, manager_id: int, settings: LearnerSettings) -> Standing:
    person = Person(id=person_id, email=f"p{person_id}@example.com", name=name, manager_id=manager_id)
    ctx = LearnerContext(person=person, settings=settings, targets={}, states={}, role_needs={}, goal_needs={})
    return Standing(ctx=ctx, rows=[], engagement=Engagement(0, 0, 0, None))


def test_two_thousand_people_under_forty_leads_are_each_in_their_leads_group(clock: Clock) -> None:
    """Deep, uneven chains below each lead (each newcomer reports to the previous one or to anyone already in
    the group), handed over in no particular order: everyone lands in the group of the lead above them."""
    rnd = random.Random(7)
    settings = LearnerSettings(person_id=0)  # the summary never reads it; one spares 2,000 model builds
    boss, standings, expected = 1, [], {}
    next_id = 2
    for lead in range(40):
        lead_name = f"Lead {lead:02d}"
        group = [next_id]
        standings.append(_standing(next_id, lead_name, boss, settings))
        expected[lead_name] = {f"p{next_id}@example.com"}
        for n in range(49):
            next_id += 1
            manager = group[-1] if rnd.random() < 0.6 else rnd.choice(group)
            standings.append(_standing(next_id, f"Person {lead:02d}-{n:02d}", manager, settings))
            expected[lead_name].add(f"p{next_id}@example.com")
            group.append(next_id)
        next_id += 1
    rnd.shuffle(standings)
    org = team_view.Org(root=boss, manager_of={s.id: s.person.manager_id for s in standings})

    summary = team_view.summary("Bea Boss", standings, org, {}, clock.now, "Europe/Paris")

    assert summary.grouped and not summary.listed and summary.people == 2000
    assert summary.text.count("'s group: 50 people**") == 40
    assert [g.lead for g in summary.groups] == [f"Lead {n:02d}" for n in range(40)]
    for group in summary.groups:
        assert {m.email for m in group.members} == expected[group.lead], group.lead
        assert group.members[0].name == group.lead and group.people == 50


async def test_a_renamed_lesson_shows_its_current_title_in_answers_and_feedback(
        coach: Coach, db: Database, tmp_path: Path) -> None:
    """L&D renames a lesson after Ben answered and rated it: his manager sees one title, the current one."""
    ids = await load_sample_org(db, tmp_path)
    ben = ids["ben@example.com"]
    card = await next_card(coach, ben)
    await answer(coach, ben, card, True)
    await coach.press(ben, "feedback", {"d": card.delivery_id, "r": "useful"}, via="test")
    _, lesson, _ = await delivery_facts(coach, card.delivery_id)
    pack = tmp_path / "starter"
    shutil.copytree(STARTER, pack)
    lesson_file = next(p for p in pack.rglob("*.md") if f"id: {lesson.id}\n" in p.read_text())
    text = lesson_file.read_text()
    written = next(line for line in text.splitlines() if line.startswith("title:"))
    old_title = written.split(":", 1)[1].strip().strip("\"'")
    lesson_file.write_text(text.replace(written, "title: Renamed by L&D", 1))
    assert (await import_content(db, [pack])).updated == [lesson.id]

    detail, _ = await team_reply(coach, ids["mia@example.com"], "ben")
    assert isinstance(detail, PersonDetail)
    assert [title for tally in detail.recent for title in tally.lessons] == ["Renamed by L&D"]
    day = f"{coach.services.clock().astimezone(ZoneInfo('Europe/Berlin')):%a %-d %b}"  # Mia's day, British words
    assert [plain(given) for given in detail.feedback] == [f"{dict(FEEDBACK)['useful']} — Renamed by L&D ({day})"]
    assert old_title not in plain(detail.text)
