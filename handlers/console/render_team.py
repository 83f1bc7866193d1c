"""Terminal renderers of the manager's views and the learner's peer view: heatmaps as tables."""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from bot.replies import Engagement, HeatCell, Moment, PeerView, PersonDetail, Phrase, TeamSummary, written
from bot.replies import Text as Said
from bot.team.text import more_attention, people
from handlers.console.render import Keys, iso, markdown, renders

CELL_STYLE = {"met": "black on green", "below": "black on yellow", "far": "white on red", "new": "white on blue",
              "none": "dim"}


def _cell(cell: HeatCell | None) -> Text:
    if cell is None:
        return Text("·", style="dim", justify="center")
    status = "far" if cell.status == "below" and cell.gap >= 2 else cell.status
    level = str(cell.level) if cell.answered else "–"
    label = f"{level}/{cell.target}" if cell.target else level
    return Text(label, style=CELL_STYLE[status], justify="center")


def _engagement(e: Engagement) -> str:
    return f"{e.answered_7}/{e.answered_30} · {e.streak_days}d"


def _last_active(e: Engagement, zone: str) -> str:
    """The day someone last answered, as ISO 8601 on the reader's clock (the terminal's dates are ISO,
    whatever its locale)."""
    return iso(Moment(e.last_active, zone, day=True)) if e.last_active else "never"


def _bullets(heading: str, lines: list[Said]) -> Phrase:
    """A bold heading (none when empty) over a bullet a line, dates as the terminal writes them."""
    return Phrase.lines([*([f"**{heading}**"] if heading else []), *("• " + line for line in lines)])


@renders(TeamSummary)
def _summary(view: TeamSummary, keys: Keys) -> RenderableType:
    title = view.scope or f"{view.manager}'s team"
    table = Table(title=f"{title} · {people(view.people)}", box=box.SIMPLE_HEAD, padding=(0, 1),
                  caption="cells: level/target (green met, yellow one below, red two or more, blue no answers "
                          "yet) · answers in 7/30 days · streak")
    table.add_column("person", no_wrap=True, max_width=22)
    for index, _competency in enumerate(view.competencies, start=1):
        table.add_column(str(index), justify="center", no_wrap=True)
    table.add_column("activity", no_wrap=True)
    for group in view.groups:
        if view.grouped:
            table.add_row(Text(f"{group.heading} — {people(group.people)}, {group.below_people} below target, "
                               f"{group.answered_7} answers this week", style="bold"))
        if not view.listed:
            continue
        for member in group.members:
            flags = (" 💤" if member.quiet else "") + (" 📉" if member.falling else "")
            table.add_row(member.name + flags, *(_cell(c) for c in member.cells), _engagement(member.engagement))
    legend = "  ".join(f"{i}. {c.label}" for i, c in enumerate(view.competencies, start=1))
    parts: list[RenderableType] = [table, Text(legend, style="dim")]
    if view.gaps:
        parts.append(markdown("**Biggest gaps**\n" + "\n".join(f"• {gap}" for gap in view.gaps)))
    if view.attention:
        more = [more_attention(view)] if view.attention_more else []
        parts.append(markdown(_bullets("Needs attention", [*view.attention, *more])))
    if view.note:
        parts.append(Text(written(view.note, iso), style="italic"))
    shows = [g.show for g in view.groups if g.show is not None and not view.listed]
    if shows:
        parts.append(keys.row(shows))
    if view.actions:
        parts.append(keys.row(view.actions))
    return Group(*parts)


@renders(PersonDetail)
def _person(view: PersonDetail, keys: Keys) -> RenderableType:
    table = Table(title=f"{view.name} · {view.role} · answers in 7/30 days {_engagement(view.engagement)} · "
                        f"last active {_last_active(view.engagement, view.zone)}")
    for column in ("competency", "level", "target", "mastery"):
        table.add_column(column)
    for row in view.rows:
        shown = (str(row.level), f"{row.mastery:.0%}") if row.attempts else ("no answers yet", "—")
        table.add_row(row.name, shown[0], str(row.target or "—"), shown[1])
    parts: list[RenderableType] = [table]
    if view.recent:
        parts.append(markdown("**Last 30 days**\n" + "\n".join(
            f"• {t.competency}: {t.correct} of {t.answered} right" for t in view.recent)))
    if view.feedback:
        parts.append(markdown(_bullets("Lesson feedback", view.feedback)))
    if view.attention:
        parts.append(markdown(_bullets("", view.attention)))
    if view.actions:
        parts.append(keys.row(view.actions))
    return Group(*parts)


@renders(PeerView)
def _peers(view: PeerView, keys: Keys) -> RenderableType:
    table = Table(title=f"You and your team ({people(view.team_size)})")
    for column in ("competency", "you", "team average"):
        table.add_column(column)
    for row in view.rows:
        average = f"{row.team_average:.0%}" if row.team_average is not None else "— (too few to show)"
        table.add_row(row.competency, f"{row.mine:.0%}" if row.answered else "no answers yet", average)
    parts: list[RenderableType] = [table]
    if view.learning:
        parts.append(markdown("**Learning this week**\n" + "\n".join(f"• {line}" for line in view.learning)))
    if view.buttons:
        parts.append(keys.row(view.buttons))
    return Group(*parts)
