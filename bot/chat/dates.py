"""A moment in words, for the text that is written on the server: a Slack date token's fallback, a Teams
notification line, a screen reader where the client's own date functions do not reach.

Words follow the reader's locale as CLDR has it (Babel): `de-DE` reads "Mo., 7. Dez., 10:49", `en-US`
"Mon, Dec 7, 10:49 AM". Without a known locale they are British English with a 24-hour clock ("Mon 7 Dec,
10:49"), the coach's own language without the am/pm that a day-first reader might misread.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime, match_skeleton

from bot.replies import Moment, Text, written

DEFAULT_LOCALE = "en_GB"


@cache
def locale_of(tag: str | None) -> Locale:
    """The CLDR locale for a platform's tag (`de-DE`, `de_DE`, `pt-br`); the default for none or one CLDR
    does not know."""
    if tag:
        try:
            return Locale.parse(tag.strip().replace("-", "_"))
        except (UnknownLocaleError, ValueError, TypeError):
            pass
    return Locale.parse(DEFAULT_LOCALE)


@cache
def _patterns(tag: str | None, wanted: str = "MMMEd") -> tuple[Locale, str, str]:
    """The locale and its CLDR patterns for a day (weekday, day, month: skeleton `MMMEd`; with the year
    `yMMMEd`) and a short time, looked up once per locale (matching a skeleton costs more than formatting
    with it)."""
    locale = locale_of(tag)
    skeleton = match_skeleton(wanted, locale.datetime_skeletons) or wanted
    return locale, str(locale.datetime_skeletons[skeleton]), str(locale.time_formats["short"])


def moment_words(moment: datetime, locale: str | None = None, *, day: bool = False, year: bool = False) -> str:
    """A moment on its own clock in words: weekday, day and month ("Mon 7 Dec", "Mo., 7. Dez."; with the
    `year` "Mon, 7 Dec 2026"), and the time of day unless only the `day` counts."""
    found, day_pattern, time_pattern = _patterns(locale, "yMMMEd" if year else "MMMEd")
    words = format_datetime(moment, day_pattern, tzinfo=moment.tzinfo, locale=found)
    return words if day else f"{words}, {format_datetime(moment, time_pattern, tzinfo=moment.tzinfo, locale=found)}"


def spoken(moment: Moment, locale: str | None = None) -> str:
    """A moment in words in the learner's zone, naming the zone when a time of day is shown
    ("Mon 7 Dec, 10:49 (Europe/Berlin)"); a day alone ("Mon 7 Dec") needs no zone."""
    words = moment_words(moment.local, locale, day=moment.day, year=moment.year)
    return words if moment.day else f"{words} ({moment.local.tzinfo})"


def plain(text: Text, locale: str | None = None) -> str:
    """A reply text as Markdown with each moment in words (for clients that show text written here)."""
    return written(text, lambda moment: spoken(moment, locale))
