"""A director's summary counted by the database (`bot.team.rollup`, `store.subtree`): the same figures as the
per-person computation on the same org, a bounded number of statements that load nobody's row, groups opened
one level down by their Show button, and never a group outside the presser's own subtree."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import astuple
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, update
from sqlmodel import select

from bot.chat.coach import Coach
from bot.chat.dates import plain
from bot.dispatch.digest import digest_notice
from bot.engine.fitted import load_model
from bot.lessons.progress import competency_names
from bot.replies import Moment, TeamGroup, TeamSummary
from bot.team import rollup
from bot.team.roster import load_standings
from bot.team.summary import NOT_A_MANAGER, NOT_FOUND, group_view, team_summary, team_view
from bot.team.text import group_line
from handlers.msteams.team_cards import team_summary_card
from handlers.slack.renderers.team import team_summary_blocks
from store import subtree, team_totals
from store.db import Database
from store.models import Answer, Delivery, Focus, Lesson, MasteryState, Person
from store.subtree import GroupTotals
from tests.support.org import load_sample_org

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
ROLES = ("buyer", "call-centre-agent", "shop-floor-operator", "new-hire", "")
HEADER = "email,name,manager_email,role,timezone"


def layered_org(leads: int, subleads: int, reports: int, *, assistant: bool = False) -> str:
    """Bea Boss > `leads` team leads > `subleads` managers each > `reports` people each, of mixed roles (some
    with none), plus Olga, another manager with a team of her own outside Bea's (and with `assistant`, Ada,
    who reports to Bea and manages no one)."""
    lines = [HEADER, "boss@example.com,Bea Boss,,people-manager,Europe/Paris",
             "olga@example.com,Olga Other,,people-manager,Europe/Paris",
             "ola@example.com,Ola Outside,olga@example.com,buyer,Europe/Paris"]
    if assistant:
        lines.append("ada@example.com,Ada Assistant,boss@example.com,buyer,Europe/Paris")
    for lead in range(leads):
        lines.append(f"lead{lead}@example.com,Lead {lead},boss@example.com,team-lead,Europe/Paris")
        for sub in range(subleads):
            manager = f"m{lead}x{sub}@example.com"
            lines.append(f"{manager},Manager {lead}x{sub},lead{lead}@example.com,people-manager,Europe/Paris")
            lines += [f"p{lead}x{sub}x{n}@example.com,Person {lead}x{sub}x{n:02d},{manager},"
                      f"{ROLES[n % len(ROLES)]},Europe/Paris" for n in range(reports)]
    return "\n".join(lines) + "\n"


async def seeded(db: Database, tmp_path: Path, seed: int, *, assistant: bool = False) -> dict[str, int]:
    """The layered org with random model states (some answered with no ability stored), answers over the last
    40 days (and one after the coach's clock, which must not count), open and cleared focuses, and Lead 3 gone
    from the org chart (their people stay, under their name)."""
    ids = await load_sample_org(db, tmp_path, layered_org(4, 2, 20, assistant=assistant))
    rng = random.Random(seed)
    async with db.session() as session:
        lessons = (await session.exec(select(Lesson.id, Lesson.current_version_id, Lesson.competency_id))).all()
        competencies = sorted({c for _, _, c in lessons})
        await session.exec(update(Person).where(Person.id == ids["lead3@example.com"]).values(active=False))
        for email, pid in ids.items():
            if not email.startswith(("p", "m", "lead", "ada")):
                continue
            for competency in rng.sample(competencies, k=rng.randint(0, len(competencies))):
                attempts = rng.choice([0, 0, 1, 3, 8])
                state = {} if rng.random() < 0.1 else {"ability": rng.gauss(0.5, 1.5),
                                                       "ability_sd": rng.uniform(0.1, 1.5)}
                session.add(MasteryState(person_id=pid, competency_id=competency, state=state, attempts=attempts,
                                         correct=attempts // 2))
            if rng.random() < 0.15:
                session.add(Focus(person_id=pid, competency_id=rng.choice(competencies)))
            if rng.random() < 0.05:
                session.add(Focus(person_id=pid, competency_id=rng.choice(competencies), cleared_at=NOW))
            for _ in range(rng.choice([0, 0, 1, 2, 5])):
                lesson, version, competency = rng.choice(lessons)
                at = NOW - timedelta(days=rng.uniform(-0.5, 40))
                delivery = Delivery(person_id=pid, lesson_id=lesson, lesson_version_id=version, kind="lesson",
                                    status="sent", created_at=at, sent_at=at, due_at=at)
                session.add(delivery)
                await session.flush()
                assert delivery.id is not None and version is not None
                session.add(Answer(delivery_id=delivery.id, person_id=pid, competency_id=competency,
                                   lesson_version_id=version, correct=rng.random() < 0.6, answered_at=at))
    return ids


def normal(totals: GroupTotals) -> tuple[object, ...]:
    """Totals in an order-free form, to compare kept and live ones."""
    return (sorted(map(astuple, totals.roles)), sorted(map(astuple, totals.focuses)),
            sorted(map(astuple, totals.answered)), totals.activity, totals.below_people)


def figures(group: TeamGroup) -> tuple[object, ...]:
    return (group.key, group.heading, group.left, group.people, group.levels, group.below, group.below_people,
            group.active_7, group.active_14, group.answered_7, group.answered_30, group.gaps, group.show)


@pytest.mark.parametrize(("seed", "threshold"), [(1, 0.8), (2, 0.6)])
async def test_the_counted_groups_equal_the_per_person_computation(db: Database, tmp_path: Path, seed: int,
                                                                   threshold: float) -> None:
    ids = await seeded(db, tmp_path, seed, assistant=True)
    boss = ids["boss@example.com"]
    async with db.session() as session:
        model, names = await load_model(session), await competency_names(session)
        loaded = await team_view(session, boss, NOW, threshold, everyone=True)
        totals = await subtree.group_totals(session, boss, rollup.level_rule(model, threshold), NOW)
        columns, counted = await rollup.counted_groups(session, totals, names)
        live = await team_summary(session, boss, NOW, threshold)
        await rollup.refresh_totals(session, NOW, threshold)
    async with db.session() as session:
        kept = await team_totals.kept(session, boss, rollup.level_rule(model, threshold), NOW, rollup.KEPT_FOR)
        whole = await team_summary(session, boss, NOW, threshold)
    assert loaded is not None and not loaded.summary.counted and len(loaded.standings) == 4 + 8 + 160 - 1 + 1
    assert columns == loaded.summary.competencies
    assert [figures(g) for g in counted] == [figures(g) for g in loaded.summary.groups]
    assert kept is not None and kept.as_of == NOW and normal(kept.totals) == normal(totals), \
        "the kept totals (the assistant, who manages no one, counted live beside them) are the live ones"
    assert live is not None and live.note == rollup.COUNTED_NOTE and live.as_of == NOW
    assert whole is not None and plain(whole.note).startswith(rollup.COUNTED_NOTE + " Counted less than a minute ago")
    assert [figures(g) for g in whole.groups] == [figures(g) for g in counted]
    assert [g.heading for g in counted] == ["Ada Assistant's group", "Lead 0's group", "Lead 1's group",
                                            "Lead 2's group", "Reporting to Lead 3 (left)"]
    assert sum(c.new for g in counted for c in g.levels) and sum(c.far for g in counted for c in g.levels), \
        "the org has every kind of cell"
    assert whole is not None and whole.counted and not whole.members
    assert (whole.people, whole.gaps) == (loaded.summary.people, loaded.summary.gaps)
    assert [group_line(g) for g in whole.groups] == [group_line(g) for g in counted]
    today = Moment(NOW, "UTC", day=True)
    weekly = plain(digest_notice(whole, today).text).splitlines()[1]
    assert weekly == plain(digest_notice(loaded.summary, today).text).splitlines()[1]
    assert weekly.startswith(f"{sum(g.answered_7 for g in counted)} lessons answered") and " by 0 of " not in weekly

    lead = ids["lead0@example.com"]
    async with db.session() as session:
        person_by_person = await group_view(session, boss, lead, NOW, threshold, everyone=True)
        [own] = await load_standings(session, [lead], model, names, NOW, threshold)
        below_lead = await subtree.group_totals(session, lead, rollup.level_rule(model, threshold), NOW)
        kept_lead = await team_totals.kept(session, lead, rollup.level_rule(model, threshold), NOW, rollup.KEPT_FOR)
        one_down = await rollup.counted_summary(session, "Bea Boss", below_lead, NOW, names, scope="Lead 0's group",
                                                lead=own)
    assert kept_lead is not None and normal(kept_lead.totals) == normal(below_lead), "one level down too"
    assert person_by_person is not None
    [together] = person_by_person.summary.groups
    assert one_down.people == together.people == 1 + 2 + 40
    assert [g.heading for g in one_down.groups] == ["Lead 0 (who leads this group)", "Manager 0x0's group",
                                                    "Manager 0x1's group"]
    by_id = {c.value: i for i, c in enumerate(one_down.competencies)}
    for index, column in enumerate(person_by_person.summary.competencies):
        summed = sum(g.levels[by_id[column.value]].met + g.levels[by_id[column.value]].far for g in one_down.groups)
        assert summed == together.levels[index].met + together.levels[index].far
    assert one_down.gaps == person_by_person.summary.gaps
    assert sum(g.answered_30 for g in one_down.groups) == together.answered_30


def _actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Action.Submit of an Adaptive Card, wherever it sits."""
    found = []
    for value in card.values() if isinstance(card, dict) else card:
        if isinstance(value, dict) and value.get("type") == "Action.Submit":
            found.append(value)
        elif isinstance(value, dict | list):
            found += _actions(value)
    return found


@contextmanager
def counting(db: Database) -> Iterator[dict[str, int]]:
    """Statements sent, and rows loaded as people, learner states or answers, while the block runs."""
    seen = {"statements": 0, "people": 0, "states": 0, "answers": 0}

    def statement(*_args: object) -> None:
        seen["statements"] += 1

    def loader(kind: str):
        def loaded(*_args: object) -> None:
            seen[kind] += 1
        return loaded

    listeners = [(db.engine.sync_engine, "before_cursor_execute", statement),
                 (Person, "load", loader("people")), (MasteryState, "load", loader("states")),
                 (Answer, "load", loader("answers"))]
    for target, name, function in listeners:
        event.listen(target, name, function)
    try:
        yield seen
    finally:
        for target, name, function in listeners:
            event.remove(target, name, function)


async def test_a_large_root_summary_sends_the_same_few_statements_and_loads_no_one(db: Database,
                                                                                   tmp_path: Path) -> None:
    """Counted now and read from the kept totals alike: a fixed number of statements, at any size."""
    sent = []
    for size, (leads, subleads, reports) in (("small", (3, 3, 20)), ("large", (6, 4, 40))):
        folder = tmp_path / size
        folder.mkdir()
        ids = await load_sample_org(db, folder, layered_org(leads, subleads, reports))
        # each org's own boss: the second import moved everyone under the same emails
        with counting(db) as seen:
            async with db.session() as session:
                view = await team_summary(session, ids["boss@example.com"], NOW, 0.8)
        assert isinstance(view, TeamSummary) and view.counted
        assert view.people == leads * (1 + subleads * (1 + reports))
        assert (seen["people"], seen["states"], seen["answers"]) == (1, 0, 0), "only the manager is loaded"
        async with db.session() as session:
            await rollup.refresh_totals(session, NOW, 0.8)
        with counting(db) as read:
            async with db.session() as session:
                kept = await team_summary(session, ids["boss@example.com"], NOW + timedelta(minutes=3), 0.8)
        assert kept is not None and kept.as_of == NOW and kept.people == view.people
        assert [figures(g) for g in kept.groups] == [figures(g) for g in view.groups]
        assert (read["people"], read["states"], read["answers"]) == (1, 0, 0)
        sent.append((seen["statements"], read["statements"]))
    assert sent[0] == sent[1] and sent[0][1] <= sent[0][0] <= 13, sent


async def test_show_goes_one_level_down_and_never_outside_the_presser_s_subtree(
        coach: Coach, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = await seeded(db, tmp_path, 3)
    monkeypatch.setattr(rollup, "COUNT_ABOVE", 20)  # so that a lead's group of 43 is counted too
    boss, olga, learner = ids["boss@example.com"], ids["olga@example.com"], ids["p0x0x1@example.com"]

    top = (await coach.command(boss, "", default="team")).messages[0]
    assert isinstance(top, TeamSummary) and top.counted and not top.members
    assert not (await coach.command(boss, "", default="team")).attachments, "no heatmap or sheet of no one"
    first = top.groups[0]
    assert first.show is not None and first.show.value == {"g": ids["lead0@example.com"]}
    assert "levels: 1. " in top.text and "active in 14 days" in top.text, "each group's distribution, as text"
    slack_shows = [json.loads(b["accessory"]["value"]) for b in team_summary_blocks(top) if "accessory" in b]
    teams_shows = [a["data"]["value"] for a in _actions(team_summary_card(top)) if a["data"]["action"] == "team_group"]
    assert slack_shows == teams_shows == [g.show.value for g in top.groups if g.show], "a Show button per group"
    down = (await coach.press(boss, first.show.action, first.show.value, via="test")).messages[0]
    assert isinstance(down, TeamSummary) and down.counted and down.scope == "Lead 0's group"
    assert down.people == first.people == 43
    assert down.text.startswith("**Lead 0's group: 43 people**")
    manager = down.groups[1]
    assert manager.show is not None and manager.show.value == {"g": ids["m0x0@example.com"]}
    bottom = (await coach.press(boss, manager.show.action, manager.show.value, via="test")).messages[0]
    assert isinstance(bottom, TeamSummary) and not bottom.counted and bottom.listed
    assert {m.email for m in bottom.members} == {"m0x0@example.com"} | {f"p0x0x{n}@example.com" for n in range(20)}

    unknown = (await coach.press(boss, "team_group", {"g": 10**9}, via="test")).messages[0].text
    assert unknown == NOT_FOUND.format(typed="that group")
    for outside in (ids["ola@example.com"], olga, boss):
        refused = await coach.press(boss, "team_group", {"g": outside}, via="test")
        assert refused.messages[0].text == unknown, "a group outside Bea's team looks like no group at all"
    other = await coach.press(olga, "team_group", {"g": ids["lead0@example.com"]}, via="test")
    assert other.messages[0].text == unknown and "Lead 0" not in str(other)
    assert (await coach.press(learner, "team_group", {"g": ids["lead0@example.com"]}, via="test")) \
        .messages[0].text == NOT_A_MANAGER
