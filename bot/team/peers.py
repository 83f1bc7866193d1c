"""Use case: `/learn team` — the learner's team averages beside their own, and what teammates are learning
this week. Privacy first: no average over fewer than three people, and teammates are named only if they
chose to be (`show_name_to_peers`); a teammate's goal role and interests are their own and shape nothing here.
Averages are over the people with answers in the competency: before the first answer, mastery is only the
model's prior."""

from __future__ import annotations

from datetime import timedelta

from bot.engine.fitted import load_model
from bot.lessons.progress import competency_names
from bot.replies import Button, PeerRow, PeerView, Reply
from bot.services import Services
from bot.team.roster import Standing, load_standings
from bot.team.text import peer_text
from store import groups
from store.models import Person

MIN_GROUP = 3
WEEK = timedelta(days=7)
TOO_SMALL = ("Your team has fewer than {n} people, so I show no averages: they would reveal individuals' "
             "results.")


async def team_view(services: Services, person_id: int) -> Reply:
    """The learner's team is everyone who reports to the same manager, the learner included."""
    now = services.clock()
    async with services.database.session() as session:
        me = await session.get(Person, person_id)
        if me is None or me.manager_id is None:
            return Reply.text("You have no team in the org chart, so there is nothing to compare with.")
        team = [p.id for p in await groups.direct_reports(session, me.manager_id) if p.id is not None]
        if len(team) < MIN_GROUP:
            return Reply.text(TOO_SMALL.format(n=MIN_GROUP))
        names = await competency_names(session)
        standings = await load_standings(session, team, await load_model(session), names, now,
                                         services.config.mastery_threshold, personal={person_id})
        learning = await groups.learning_since(session, [i for i in team if i != person_id], now - WEEK)
    mine = next(s for s in standings if s.id == person_id)
    view = PeerView(team_size=len(team), rows=[_row(mine, standings, row.competency_id) for row in mine.rows],
                    learning=_learning(standings, learning, names), buttons=[], text="")
    view.buttons = [Button("Privacy settings", "settings", {})]
    named = "see your name here" if mine.ctx.settings.show_name_to_peers else "don't see your name here"
    view.text = peer_text(view) + f"\n\n_Your teammates {named}; change it in `/learn settings`._"
    return Reply(messages=[view])


def _row(mine: Standing, standings: list[Standing], competency: str) -> PeerRow:
    own = mine.row(competency)
    assert own is not None
    values = [row.mastery for s in standings if (row := s.row(competency)) is not None and row.attempts > 0]
    average = round(sum(values) / len(values), 3) if len(values) >= MIN_GROUP else None
    return PeerRow(competency=own.name, mine=own.mastery, level=own.level, target=own.target, team_average=average,
                   people=len(values), answered=own.attempts > 0)


def _learning(standings: list[Standing], learning: dict[int, set[str]], names: dict[str, str]) -> list[str]:
    """Per competency, how many teammates had lessons in it this week, naming those who agreed to it."""
    by_competency: dict[str, list[Standing]] = {}
    for standing in standings:
        for competency in learning.get(standing.id, set()):
            by_competency.setdefault(competency, []).append(standing)
    lines = []
    for competency, learners in sorted(by_competency.items(), key=lambda kv: (-len(kv[1]), names.get(kv[0], kv[0]))):
        named = sorted(s.person.name for s in learners if s.ctx.settings.show_name_to_peers)
        others = len(learners) - len(named)
        if others:
            plural = "s" if others > 1 else ""
            named.append(f"{others} other{plural}" if named else f"{others} teammate{plural}")
        lines.append(f"{names.get(competency, competency)} — {_join(named)}")
    return lines


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
