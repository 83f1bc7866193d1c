"""The first-contact welcome: everyone enrolled from the org chart hears, once, how the coach works and how
to change or stop it — in a message of its own, just before the first lesson the coach brings them (or as the
answer when they open the chat with the coach first)."""

from __future__ import annotations

from bot.lessons.preferences import schedule_sentence
from bot.replies import Button, Notice
from store.models import LearnerSettings, Person


def welcome_notice(person: Person, settings: LearnerSettings, zone: str) -> Notice:
    """A short hello with the learner's actual schedule and the commands that change it."""
    first_name = person.name.split()[0] if person.name.strip() else "there"
    text = (
        f"👋 Hi {first_name}, I'm your learning coach. {schedule_sentence(settings, zone)} "
        "Each lesson takes about two minutes and ends with a quick question; what comes next adapts to your "
        "answers and to what your role needs.\n"
        "• `/learn` — a lesson now; `/learn <any words>` — the best lesson on a topic\n"
        "• `/learn settings` — your days, time window, time zone and lessons per day\n"
        "• `/learn pause` and `/learn resume` — stop and restart; `/learn away <date>` for time off\n"
        "• `/learn help` — everything else"
    )
    return Notice(text, [Button("Settings", "settings", {})])
