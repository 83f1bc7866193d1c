"""The words people type — `/learn …` and `/team …` in Slack, the same words in a DM or to the Teams bot,
or in `coach chat` — parsed once here and routed to the use cases."""

from __future__ import annotations

from dataclasses import dataclass

from bot.lessons import away, lessons, preferences, progress, topics
from bot.replies import Reply
from bot.services import Services
from bot.team import peers, summary

WHOLE_TEXT_VERBS = ("progress", "settings", "pause", "resume", "team", "help")
"""`/learn` words that are a command only on their own: `learn team building` is a topic, not the peer view."""
ARGUMENT_VERBS = ("away", "goal", "suggest")
"""`/learn` words that take the rest of the text as their argument."""
TEAM_VERBS = ("assign", "export", "help")
GREETINGS = {"hi", "hello", "hey", "help", "?", "start", "menu"}

HELP = """**Here's what I can do** — type these here, or use the slash commands in Slack:
• `/learn` — a lesson now, the one most worth your two minutes
• `/learn <any words>` — the best lesson on that topic, right now (e.g. `/learn purchase order`)
• `/learn progress` — your levels against your role's targets, your streak, and what your manager sees
• `/learn settings` — your days, time window, time zone, lessons per day, formats, goal and privacy
• `/learn pause` · `/learn resume` — stop and restart scheduled lessons (your streak is kept)
• `/learn away <last day off>` — time off: no lessons, reviews wait, streak kept (`/learn away off` to cancel)
• `/learn goal <role>` — see the gap to another role and work towards it
• `/learn team` — your team's averages and what peers are learning this week
• `/learn suggest <text>` — ask L&D for a topic
Managers: `/team` for a summary of your reports, `/team <name, @mention or email>` for one person, \
`/team assign <person> <competency>` to set a focus, `/team export` for a CSV."""


@dataclass(frozen=True)
class Command:
    name: str  # learn | team
    verb: str  # lesson | topic | progress | … | summary | person | assign | export
    args: str


def parse(text: str, default: str = "learn") -> Command:
    """`/learn goal buyer` -> Command('learn', 'goal', 'buyer'); bare words default to `/learn <words>`.
    A typed `team` is the manager's `/team` (CONTRACTS.md), the peer view is `learn team`; a topic that
    merely starts with a command word (`pause and resume meetings`) is a topic."""
    words = text.strip().lstrip("/").split(maxsplit=1)
    name = default
    if words and words[0].lower() in ("learn", "team"):
        name = words[0].lower()
        words = words[1].split(maxsplit=1) if len(words) > 1 else []
    first = words[0].lower() if words else ""
    rest = words[1].strip() if len(words) > 1 else ""
    if name == "team":
        if not first:
            return Command("team", "summary", "")
        if first in TEAM_VERBS:
            return Command("team", first, rest)
        return Command("team", "person", " ".join(words))
    if not first:
        return Command("learn", "lesson", "")
    if first in ARGUMENT_VERBS:
        return Command("learn", first, rest)
    if not rest and first in WHOLE_TEXT_VERBS:
        return Command("learn", first, "")
    if not rest and first in GREETINGS:
        return Command("learn", "help", "")
    return Command("learn", "topic", " ".join(words))


async def run(services: Services, person_id: int, command: Command) -> Reply:
    """Carry out a parsed command for this person."""
    if command.name == "team":
        return await summary.run(services, person_id, command.verb, command.args)
    verb, args = command.verb, command.args
    if verb == "lesson":
        return await lessons.lesson_now(services, person_id)
    if verb == "topic":
        return await topics.lesson_on_topic(services, person_id, args)
    if verb == "progress":
        return await progress.progress(services, person_id)
    if verb == "settings":
        return Reply(messages=[await preferences.settings_form(services, person_id)], ephemeral=True)
    if verb == "pause":
        return await preferences.pause(services, person_id)
    if verb == "resume":
        return await preferences.resume(services, person_id)
    if verb == "away":
        return await away.away(services, person_id, args)
    if verb == "goal":
        return await _goal(services, person_id, args)
    if verb == "team":
        return await peers.team_view(services, person_id)
    if verb == "suggest":
        return await preferences.suggest(services, person_id, args)
    return Reply.text(HELP)


async def _goal(services: Services, person_id: int, role: str) -> Reply:
    """`goal <role>` works towards a role. Words that name no role are a topic (`goal setting` finds the
    goal-setting lessons); only when no lesson matches them either does the reply list the roles."""
    if not role or await preferences.named_role(services, role) is not None:
        return await preferences.set_goal(services, person_id, role)
    return await topics.lesson_on_topic(services, person_id, f"goal {role}",
                                        otherwise=lambda: preferences.set_goal(services, person_id, role))
