"""The pages behind the Teams app's About links: `/` (what the coach is), `/privacy` and `/terms`.

The Teams manifest points its website, privacy and terms links at the bot's own domain unless the admin
gives others (`coach teams package`, or COACH_PRIVACY_URL / COACH_TERMS_URL), so `coach serve` answers
them. An organisation that has its own pages sets those variables: the manifest then links to them, and
these routes send anyone who still arrives here on to them. Otherwise each is a short, plain page that
says honestly what the coach keeps and who sees it, built from this deployment's configuration.
"""

from __future__ import annotations

import html

from aiohttp import web

from bot.config import Settings

ABOUT, PRIVACY, TERMS = "/", "/privacy", "/terms"

_STYLE = ("body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;"
          "line-height:1.5;color:#1b1b1b}h1{font-size:1.6rem}h2{font-size:1.15rem;margin-top:1.6rem}")

KEPT = [
    "From the org chart your organisation loads: your name, work email, manager, role and time zone.",
    "Where to reach you in Slack or Teams: your user id there and, in Teams, the chat with the coach.",
    "Your settings: days, hours, time zone, lessons per day, formats, goal role, interests, time away, and "
    "whether peers may see your name and whether you join shout-outs.",
    "Each lesson sent to you and when; each answer you give (the option, whether it was right, when); the "
    "text of your reflections; the ratings you give lessons; the topics you ask for; topics you suggest.",
    "Per competency: the level and mastery the coach estimates from your answers, your streak and badges, "
    "and when each question is due for review.",
]
SEEN = [
    "You see all of your own data with **progress** and **settings**.",
    "Your managers (direct and above) see, for the people below them: levels against the role's targets, how "
    "many lessons were answered and when, lesson ratings, and suggested coaching actions. They never see "
    "the text of a reflection, your goal role or your interests.",
    "Teammates see the team's average per competency, and your name only if you allow it in **settings**.",
    "Your L&D team can export learning records (answers and lessons, as CSV or xAPI) for reporting.",
]


class AboutPages:
    """The three pages, for one deployment's configuration."""

    def __init__(self, config: Settings) -> None:
        self.config = config

    def mount(self, app: web.Application) -> None:
        app.router.add_get(ABOUT, self.about)
        app.router.add_get(PRIVACY, self.privacy)
        app.router.add_get(TERMS, self.terms)

    async def about(self, _request: web.Request) -> web.Response:
        return _page("Learning Coach", [
            "<p>Two-minute lessons in your Slack or Teams chat, adapted to what you have shown you know and "
            "to what your role needs, with a quick question after each. Your organisation's L&amp;D team runs "
            "it and writes its lessons.</p>",
            f'<p><a href="{PRIVACY}">What the coach keeps about you</a> · <a href="{TERMS}">Terms of use</a></p>',
        ])

    async def privacy(self, _request: web.Request) -> web.Response:
        if self.config.privacy_url:
            raise web.HTTPFound(self.config.privacy_url)
        parts = ["<h2>What the coach keeps</h2>", _list(KEPT), "<h2>Who sees it</h2>", _list(SEEN)]
        shared = []
        if self.config.shoutout_channel:
            shared.append("If you opt in to shout-outs, the coach names you in a channel when you complete a "
                          "learning path.")
        if self.config.lrs_url:
            shared.append("Learning records are also sent to your organisation's learning record store.")
        if shared:
            parts += ["<h2>What it shares</h2>", _list(shared)]
        parts += ["<h2>How long, and your questions</h2>",
                  "<p>The coach keeps this in your organisation's own database for as long as your organisation "
                  "runs it; it deletes nothing on its own. Ask your HR or L&amp;D team to see, correct or "
                  "remove your data.</p>"]
        return _page("What the learning coach keeps about you", parts)

    async def terms(self, _request: web.Request) -> web.Response:
        if self.config.terms_url:
            raise web.HTTPFound(self.config.terms_url)
        return _page("Terms of use", [
            "<p>The learning coach is a tool your organisation provides for learning at work. Lessons are "
            "voluntary and short; the questions check understanding and are not exams. Your organisation's own "
            "policies for work tools apply to it. Questions go to your HR or L&amp;D team.</p>",
            f'<p><a href="{PRIVACY}">What the coach keeps about you</a></p>',
        ])


def _page(title: str, parts: list[str]) -> web.Response:
    body = "".join(parts)
    text = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width,initial-scale=1"><title>{html.escape(title)}</title>'
            f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>")
    return web.Response(text=text, content_type="text/html")


def _list(lines: list[str]) -> str:
    items = "".join(f"<li>{_bold(html.escape(line))}</li>" for line in lines)
    return f"<ul>{items}</ul>"


def _bold(escaped: str) -> str:
    """`**word**` as bold (the command names people type)."""
    parts = escaped.split("**")
    return "".join(f"<b>{part}</b>" if index % 2 else part for index, part in enumerate(parts))
