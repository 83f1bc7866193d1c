"""Use case: `/learn team` — the learner's team averages beside their own; privacy first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.engine.fitted import load_model
from bot.engine.learner import load_learner
from bot.replies import Reply
from bot.usecases.progress import competency_names, competency_rows
from store import people

if TYPE_CHECKING:
    from bot.coach import Coach

MIN_GROUP = 3


async def team_view(coach: Coach, person_id: int) -> Reply:
    """Averages of the learner's peers (same manager), shown only for groups of at least three."""
    async with coach.database.session() as session:
        me = await load_learner(session, person_id)
        if me.person.manager_id is None:
            return Reply.text("You have no team in the org chart, so there is nothing to compare with.")
        peer_ids = [p for p in await people.report_ids(session, me.person.manager_id) if p != person_id]
        model = await load_model(session)
        names = await competency_names(session)
        threshold = coach.config.mastery_threshold
        mine = {r.competency_id: r for r in competency_rows(me, model, names, threshold)}
        peers = [competency_rows(await load_learner(session, pid), model, names, threshold) for pid in peer_ids]
    if len(peers) + 1 < MIN_GROUP:
        return Reply.text("Your team is too small to show averages without revealing individuals.")
    lines = ["**Your team and you** (mastery)"]
    for competency_id, row in sorted(mine.items(), key=lambda kv: kv[1].name):
        values = [r.mastery for rows in peers for r in rows if r.competency_id == competency_id]
        if len(values) + 1 >= MIN_GROUP:
            average = (sum(values) + row.mastery) / (len(values) + 1)
            lines.append(f"• {row.name}: you {row.mastery:.0%} · team {average:.0%}")
    return Reply.text("\n".join(lines))
