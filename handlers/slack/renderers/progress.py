"""`/learn progress` and the App Home: levels against targets with a mastery bar, streak, next lesson."""

from __future__ import annotations

from bot.lessons.streaks import streak_length
from bot.replies import CompetencyRow, Moment, ProgressView
from handlers.slack.blocks import Block, button_rows, context, header, renderer, section_mrkdwn, sections
from handlers.slack.mrkdwn import date_token

BAR_CELLS = 10
WHY = {"role": "your role", "goal": "your goal", "focus": "your manager's focus", "interest": "your interest",
       "practised": "practised"}


@renderer(ProgressView)
def progress_blocks(view: ProgressView) -> list[Block]:
    streak = f"🔥 Streak: *{streak_length(view.streak_days)}*"
    if view.paused:
        upcoming = "⏸ Paused — `/learn resume` to restart"
    elif view.next_lesson_at is not None:
        upcoming = f"📬 Next lesson: {date_token(Moment(view.next_lesson_at, view.timezone))}"
    else:
        upcoming = "📬 No lesson scheduled"
    rows = "\n\n".join(competency_line(row) for row in view.rows) or "_Nothing to show yet — try `/learn`._"
    blocks = [header(f"Progress · {view.name}"), section_mrkdwn(f"{streak}   {upcoming}"), *sections(rows)]
    if view.badges:
        blocks.append(context("🏅 " + " · ".join(view.badges)))
    blocks.append(context(f"👀 {view.manager_sees}"))
    blocks.extend(button_rows(view.buttons))
    return blocks


def competency_line(row: CompetencyRow) -> str:
    target = f" of {row.target}" if row.target else ""
    met = " ✅" if row.target and row.level >= row.target else ""
    why = WHY.get(row.why, row.why)
    evidence = (f"`{mastery_bar(row.mastery)}` {row.mastery:.0%} mastery · {row.attempts} answered, {row.correct} right"
                if row.attempts else "no answers yet")  # a bar before any answer would only show the prior
    line = f"**{row.name}** — level {row.level}{target}{met} _({why})_\n{evidence}"
    return line + (f"\n_{row.explanation}_" if row.explanation else "")


def mastery_bar(mastery: float) -> str:
    filled = round(max(0.0, min(1.0, mastery)) * BAR_CELLS)
    return "█" * filled + "░" * (BAR_CELLS - filled)

