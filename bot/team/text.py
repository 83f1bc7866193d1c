"""The team views as Markdown: what plain-text clients show, what notifications preview, and what rich
renderers reuse for their text parts. A cell is written as text, `level/target` with a mark for how far
below the target it is (`3/3✓`, `2/3↓`, `0/3↓↓`, `–/2` before any answer, `·` without a target), so it
reads the same to a colour-blind manager and a screen reader as to anyone (the PNG heatmap adds colour)."""

from __future__ import annotations

from datetime import datetime

from bot.replies import (
    Engagement,
    HeatCell,
    LevelCounts,
    MemberLine,
    Moment,
    PeerView,
    PersonDetail,
    Phrase,
    TeamGroup,
    TeamSummary,
    Text,
    joined,
)

MARKS = {"met": "✓", "near": "↓", "far": "↓↓", "new": "", "none": ""}
LEGEND = ("cells are level/target: ✓ target met · ↓ one level below · ↓↓ two or more below · "
          "–/2 no answers yet · · no target")
GROUP_LEGEND = ("levels per column count the people with a target in it: ✓ met · ↓ one level below · ↓↓ two or "
                "more below · – no answers yet")
ACTIVE_DAYS = 14
NAMED = 3
"""How many of a group's people needing attention its line names (then how many more)."""
ALT_TEXT = 1000
"""Characters Slack keeps of an image's alt text."""


def standing(cell: HeatCell | None) -> str:
    """`met`, `near` (one level below), `far` (two or more), `new` (no answers yet) or `none` (no target)."""
    if cell is None or cell.status == "none":
        return "none"
    if cell.status in ("met", "new"):
        return cell.status
    return "near" if cell.gap == 1 else "far"


def glyph(cell: HeatCell | None) -> str:
    """The mark alone (a detail line names level and target in words): ✓, ↓, ↓↓, – or ·."""
    kind = standing(cell)
    return MARKS[kind] or ("–" if kind == "new" else "·")


def cell_text(cell: HeatCell | None) -> str:
    """One heatmap cell as text: `3/3✓`, `2/3↓`, `0/3↓↓`, `–/2`, or `·` without a target."""
    kind = standing(cell)
    if cell is None or kind == "none":
        return "·"
    return f"{cell.level if cell.answered else '–'}/{cell.target}{MARKS[kind]}"


def heatmap_alt_text(summary: TeamSummary) -> str:
    """What the PNG heatmap shows, in words (its alt text, and the comment beside it): how many cells stand
    where, and the biggest gaps."""
    counts = {kind: 0 for kind in MARKS}
    for member in summary.members:
        for cell in member.cells:
            counts[standing(cell)] += 1
    text = (f"Heatmap of levels against targets: {people(summary.people)} × {len(summary.competencies)} "
            f"competencies. {counts['met']} cells at target, {counts['near']} one level below, {counts['far']} "
            f"two or more below, {counts['new']} with no answers yet, {counts['none']} without a target.")
    if summary.gaps:
        text += " Biggest gaps: " + "; ".join(summary.gaps) + "."
    return text if len(text) <= ALT_TEXT else text[: ALT_TEXT - 1].rsplit(" ", 1)[0] + "…"


def people(n: int) -> str:
    """`1 person`, `3 people`."""
    return f"{n} {'person' if n == 1 else 'people'}"


def last_seen(moment: datetime | None, now: datetime, zone: str) -> Text:
    """'today', 'yesterday', '5 days ago' by the reader's calendar (`zone`), or for anything older than a
    month the day itself, with its year: a `Moment`, which each platform writes in its reader's words."""
    if moment is None:
        return "never"
    seen = Moment(moment, zone, day=True, year=True)
    days = (Moment(now, zone).local.date() - seen.local.date()).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago" if days <= 31 else Phrase.of(seen)


def engagement_line(engagement: Engagement, now: datetime, zone: str) -> Text:
    return (f"{engagement.answered_7} answered this week · {engagement.answered_30} in 30 days · "
            f"streak {engagement.streak_days} · last active " + last_seen(engagement.last_active, now, zone))


def more_attention(summary: TeamSummary) -> str:
    """The line after the first notes of "Needs attention", saying where the others are."""
    where = ("marked 💤 (quiet) or 📉 (falling) in the list below" if summary.listed
             else "named on their group's line" if summary.grouped else "in the attached spreadsheet")
    return f"…and {summary.attention_more} more, {where}"


def summary_text(summary: TeamSummary, now: datetime) -> Text:
    """The summary as Markdown, its dates in the reader's zone (`TeamSummary.zone`)."""
    answered_7 = sum(g.answered_7 for g in summary.groups)
    answered_30 = sum(g.answered_30 for g in summary.groups)
    lines: list[Text] = [f"**{summary.scope or 'Your team'}: {people(summary.people)}** — "
                         f"{answered_7} lessons answered this week, {answered_30} in the last 30 days"]
    if summary.gaps:
        lines += ["", "**Biggest gaps** (among people with answers)", *(f"• {gap}" for gap in summary.gaps)]
    if summary.attention:
        lines += ["", "**Needs attention**", *("• " + note for note in summary.attention)]
        if summary.attention_more:
            lines.append(f"• {more_attention(summary)}")
    if summary.listed or summary.grouped:
        lines += ["", "**Levels against targets** — " + (LEGEND if summary.listed else GROUP_LEGEND),
                  "Columns: " + " · ".join(f"{i}. {c.label}" for i, c in enumerate(summary.competencies, 1))]
    for group in summary.groups:
        if summary.grouped or not summary.listed:
            lines += ["", group_line(group)]
        if summary.listed:
            lines += [member_row(m, now, summary.zone) for m in group.members]
    if summary.note:
        lines += ["", "_" + summary.note + "_"]
    return joined(lines)


def level_counts_text(counts: LevelCounts) -> str:
    """One competency of a group, as text: `3✓ 2↓ 1↓↓ 4–` (met, one below, two or more below, no answers)."""
    return f"{counts.met}✓ {counts.near}↓ {counts.far}↓↓ {counts.new}–"


def group_line(group: TeamGroup) -> str:
    """`**Ana's group: 9 people** — 4 below target · 6 of 9 answered this week (21 lessons) · 7 active in 14
    days · gaps: Returns 3 below · levels: 1. 5✓ 3↓ 0↓↓ 1–; 2. … · 💤 2 quiet · needs attention: Ben Buyer`:
    what the group's Show button opens, in one line; the levels follow the summary's numbered columns."""
    heading = group.heading if group.lead else "Everyone"
    parts = [f"{group.below_people} below target",
             f"{group.active_7} of {group.people} answered this week ({group.answered_7} lessons)",
             f"{group.active_14} active in {ACTIVE_DAYS} days"]
    if group.gaps:
        parts.append("gaps: " + ", ".join(group.gaps))
    if any(c.met or c.near or c.far or c.new for c in group.levels):
        parts.append("levels: " + "; ".join(f"{i}. {level_counts_text(c)}" for i, c in enumerate(group.levels, 1)))
    if group.quiet:
        parts.append(f"💤 {group.quiet} quiet")
    if group.needs_attention:
        named = ", ".join(group.needs_attention[:NAMED])
        more = len(group.needs_attention) - NAMED
        parts.append(f"needs attention: {named}" + (f" and {more} more" if more > 0 else ""))
    return f"**{heading}: {people(group.people)}** — " + " · ".join(parts)


def member_row(member: MemberLine, now: datetime, zone: str) -> Text:
    """`3/3✓ 1/3↓↓ · **Ben Buyer** — 3 this week · 12 in 30 days · streak 4 · today` (the day someone was
    last active by the reader's calendar, `zone`)."""
    e = member.engagement
    marks = " ".join(cell_text(c) for c in member.cells)
    flags = (" · 💤 quiet" if member.quiet else "") + (" · 📉 falling" if member.falling else "")
    focus = f" · focus: {', '.join(member.focus)}" if member.focus else ""
    return (f"{marks} **{member.name}** — {e.answered_7} this week · {e.answered_30} in 30 days · "
            f"streak {e.streak_days} · " + last_seen(e.last_active, now, zone) + f"{flags}{focus}")


def detail_text(detail: PersonDetail, heading: str, now: datetime) -> Text:
    """One person as Markdown, its dates in the reader's zone (`PersonDetail.zone`)."""
    lines: list[Text] = [f"**{heading}**", f"{detail.role} · {detail.email}",
                         engagement_line(detail.engagement, now, detail.zone), "", "**Levels against targets**"]
    for row in detail.rows:
        cell = HeatCell(row.level, row.target, row.mastery, answered=row.attempts > 0)
        why = {"role": "role", "goal": "goal role", "focus": "focus set by the manager",
               "interest": "own interest"}.get(row.why, row.why)
        if not row.attempts:
            lines.append(f"{glyph(cell)} {row.name}: no answers yet · target level {row.target} · {why}")
            continue
        target = f"level {row.level} of {row.target}" if row.target else f"level {row.level} (no target)"
        lines.append(f"{glyph(cell)} {row.name}: {target} · mastery {row.mastery:.0%} · {why}")
    lines += ["", "**Answers in the last 30 days**"]
    lines += [f"• {t.competency}: {t.answered} answered, {t.correct} right — {', '.join(t.lessons[:3])}"
              for t in detail.recent] or ["• none"]
    if detail.feedback:
        lines += ["", "**Lesson feedback given**", *("• " + given for given in detail.feedback)]
    if detail.attention:
        lines += ["", "**Needs attention**", *("• " + note for note in detail.attention)]
    return joined(lines)


def peer_text(view: PeerView) -> str:
    lines = [f"**Your team and you** — {people(view.team_size)} (your manager's direct reports)"]
    for row in view.rows:
        team = (f"team {row.team_average:.0%} ({people(row.people)} with answers)" if row.team_average is not None
                else "team: too few people with answers to average")
        target = f" · your target level {row.target}" if row.target else ""
        mine = f"you {row.mine:.0%} (level {row.level}{target})" if row.answered else f"you: no answers yet{target}"
        lines.append(f"• {row.competency}: {mine} · {team}")
    lines += ["", "**What your teammates are learning this week**"]
    lines += [f"• {line}" for line in view.learning] or ["• nothing yet this week"]
    return "\n".join(lines)
