"""The team views as Markdown: what plain-text clients show, what notifications preview, and what rich
renderers reuse for their text parts. Cells are coloured squares so a row reads at a glance."""

from __future__ import annotations

from datetime import datetime

from bot.replies import Engagement, HeatCell, MemberLine, PeerView, PersonDetail, TeamSummary

GLYPHS = {"met": "🟩", "near": "🟨", "far": "🟥", "none": "⬜"}
LEGEND = "🟩 target met · 🟨 one level below · 🟥 two or more below · ⬜ no target"


def glyph(cell: HeatCell | None) -> str:
    if cell is None or cell.status == "none":
        return GLYPHS["none"]
    if cell.status == "met":
        return GLYPHS["met"]
    return GLYPHS["near"] if cell.gap == 1 else GLYPHS["far"]


def last_seen(moment: datetime | None, now: datetime) -> str:
    """'today', 'yesterday', '5 days ago', or the date for anything older than a month."""
    if moment is None:
        return "never"
    days = (now.date() - moment.date()).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago" if days <= 31 else f"{moment:%d %b %Y}"


def engagement_line(engagement: Engagement, now: datetime) -> str:
    return (f"{engagement.answered_7} answered this week · {engagement.answered_30} in 30 days · "
            f"streak {engagement.streak_days} · last active {last_seen(engagement.last_active, now)}")


def summary_text(summary: TeamSummary, now: datetime) -> str:
    answered_7 = sum(g.answered_7 for g in summary.groups)
    answered_30 = sum(g.answered_30 for g in summary.groups)
    lines = [f"**Your team: {summary.people} {'person' if summary.people == 1 else 'people'}** — "
             f"{answered_7} lessons answered this week, {answered_30} in the last 30 days"]
    if summary.gaps:
        lines += ["", "**Biggest gaps**", *(f"• {gap}" for gap in summary.gaps)]
    if summary.attention:
        lines += ["", "**Needs attention**", *(f"• {note}" for note in summary.attention)]
    lines += ["", "**Levels against targets** — " + LEGEND,
              "Columns: " + " · ".join(f"{i}. {c.label}" for i, c in enumerate(summary.competencies, 1))]
    for group in summary.groups:
        if summary.grouped:
            below = sum(group.below)
            lines += ["", f"**{group.lead}'s group** — {group.people} people · {group.answered_7} answered this "
                          f"week · {below} below target · {group.quiet} quiet"]
        if summary.listed:
            lines += [member_row(m, now) for m in group.members]
    if summary.note:
        lines += ["", f"_{summary.note}_"]
    return "\n".join(lines)


def member_row(member: MemberLine, now: datetime) -> str:
    """`🟩🟨⬜ **Ben Buyer** — 3 this week · 12 in 30 days · streak 4 · today`."""
    e = member.engagement
    marks = "".join(glyph(c) for c in member.cells)
    flags = (" · 💤 quiet" if member.quiet else "") + (" · 📉 falling" if member.falling else "")
    focus = f" · focus: {', '.join(member.focus)}" if member.focus else ""
    return (f"{marks} **{member.name}** — {e.answered_7} this week · {e.answered_30} in 30 days · "
            f"streak {e.streak_days} · {last_seen(e.last_active, now)}{flags}{focus}")


def detail_text(detail: PersonDetail, heading: str, now: datetime) -> str:
    lines = [f"**{heading}**", f"{detail.role} · {detail.email}", engagement_line(detail.engagement, now), "",
             "**Levels against targets**"]
    for row in detail.rows:
        cell = HeatCell(row.level, row.target, row.mastery)
        target = f"level {row.level} of {row.target}" if row.target else f"level {row.level} (no target)"
        why = {"role": "role", "goal": "goal role", "focus": "focus set by the manager",
               "interest": "own interest"}.get(row.why, row.why)
        lines.append(f"{glyph(cell)} {row.name}: {target} · mastery {row.mastery:.0%} · {why}")
    lines += ["", "**Answers in the last 30 days**"]
    lines += [f"• {t.competency}: {t.answered} answered, {t.correct} right — {', '.join(t.lessons[:3])}"
              for t in detail.recent] or ["• none"]
    if detail.feedback:
        lines += ["", "**Lesson feedback given**", *(f"• {f}" for f in detail.feedback)]
    if detail.attention:
        lines += ["", "**Needs attention**", *(f"• {note}" for note in detail.attention)]
    return "\n".join(lines)


def peer_text(view: PeerView) -> str:
    lines = [f"**Your team and you** — {view.team_size} people (your manager's direct reports)"]
    for row in view.rows:
        team = (f"team {row.team_average:.0%} ({row.people} people)" if row.team_average is not None
                else "team: too few people to average")
        target = f" · your target level {row.target}" if row.target else ""
        lines.append(f"• {row.competency}: you {row.mine:.0%} (level {row.level}{target}) · {team}")
    lines += ["", "**What your teammates are learning this week**"]
    lines += [f"• {line}" for line in view.learning] or ["• nothing yet this week"]
    return "\n".join(lines)
