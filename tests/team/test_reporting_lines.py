"""Who manages whom, asked without loading a subtree: `manages_anyone` and `is_below` agree with `report_ids`
on a multi-level org and on a chain deeper than the walk's bound, and drive what only asks that."""

from __future__ import annotations

from pathlib import Path

from bot.chat.coach import Coach
from bot.lessons.preferences import settings_form
from bot.replies import SettingsForm
from store.db import Database
from store.people import is_below, manages_anyone, report_ids
from tests.support.org import load_sample_org

CHAIN = 55
"""Longer than the org walks go (50 levels), so the bound is exercised."""


async def test_manages_anyone_and_is_below_agree_with_the_subtree(db: Database, tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    async with db.session() as session:
        for manager in ids.values():
            below = set(await report_ids(session, manager))
            assert await manages_anyone(session, manager) == bool(below)
            for person in ids.values():
                assert await is_below(session, manager, person) == (person in below), (manager, person)
        assert await is_below(session, ids["dana@example.com"], ids["gus@example.com"])
        assert not await is_below(session, ids["mia@example.com"], ids["gus@example.com"]), "a peer's report"
        assert not await is_below(session, ids["ben@example.com"], ids["mia@example.com"]), "upwards"
        assert not await is_below(session, ids["ben@example.com"], ids["ben@example.com"]), "oneself"
        assert not await manages_anyone(session, 10**9) and not await is_below(session, 10**9, ids["ben@example.com"])


async def test_a_chain_deeper_than_the_bound_is_cut_where_the_subtree_is(db: Database, tmp_path: Path) -> None:
    lines = ["email,name,manager_email,role,timezone", "c0@example.com,C 0,,,"]
    lines += [f"c{n}@example.com,C {n},c{n - 1}@example.com,," for n in range(1, CHAIN)]
    ids = await load_sample_org(db, tmp_path, "\n".join(lines) + "\n")
    top, bottom = ids["c0@example.com"], ids[f"c{CHAIN - 1}@example.com"]
    async with db.session() as session:
        below = set(await report_ids(session, top))
        assert 0 < len(below) < CHAIN - 1, "the subtree itself stops at the bound"
        for person in ids.values():
            assert await is_below(session, top, person) == (person in below), person
        assert await is_below(session, ids["c10@example.com"], bottom)
        assert not await manages_anyone(session, bottom) and await manages_anyone(session, top)


async def test_the_settings_form_offers_the_digest_to_managers_only(coach: Coach, db: Database,
                                                                   tmp_path: Path) -> None:
    ids = await load_sample_org(db, tmp_path)
    manager_form = await settings_form(coach.services, ids["mia@example.com"])
    report_form = await settings_form(coach.services, ids["ben@example.com"])
    assert isinstance(manager_form, SettingsForm) and manager_form.is_manager and not report_form.is_manager
