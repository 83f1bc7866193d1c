"""`coach demo`: the real engine and dispatcher run a simulated team, deterministically for a seed."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.demo.cohort import cohort
from bot.demo.courses import role_course, sit
from bot.demo.learners import Question
from bot.demo.population import make_learner
from bot.demo.run import DemoOptions, run_demo
from bot.replies import AnswerResult, LessonCard, Notice
from handlers.cli import app


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    import asyncio

    folder = tmp_path_factory.mktemp("demo")
    options = [DemoOptions(seed=5, learners=3, weeks=1, path=folder / f"run{n}.db", catch_up_cap=25) for n in (1, 2)]
    return [asyncio.run(run_demo(option)) for option in options]


def test_the_conversation_is_what_a_learner_sees(demo_runs) -> None:  # type: ignore[no-untyped-def]
    transcript = demo_runs[0].transcript
    coach_says = [item for speaker, item in transcript if speaker == "coach"]
    assert isinstance(coach_says[0], Notice) and "learning coach" in coach_says[0].text  # the welcome
    cards = [m for m in coach_says if isinstance(m, LessonCard)]
    results = [m for m in coach_says if isinstance(m, AnswerResult)]
    assert cards and results and all(card.options or card.prompt for card in cards)
    assert any(speaker == "learner" and str(item).startswith("(presses") for speaker, item in transcript)


def test_outcomes_compare_adaptive_and_fixed_for_every_learner(demo_runs) -> None:  # type: ignore[no-untyped-def]
    result = demo_runs[0]
    assert len(result.outcomes) == 3 and result.course_length >= 70
    for outcome in result.outcomes:
        assert outcome.fixed_needed is not None  # two passes through the whole course reach any role's targets
        assert 0.0 <= outcome.mastery_fixed <= 1.0 and 0.0 <= outcome.mastery_review <= 1.0
        assert outcome.lessons_sent > 0
    assert result.team.messages, "the manager's summary"
    assert result.lessons_sent >= result.answers > 0


def test_the_same_seed_gives_the_same_run(demo_runs) -> None:  # type: ignore[no-untyped-def]
    first, second = demo_runs
    assert [asdict(o) for o in first.outcomes] == [asdict(o) for o in second.outcomes]
    assert (first.lessons_sent, first.answers) == (second.lessons_sent, second.answers)


def test_the_command_prints_the_three_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo", "--weeks", "1", "--learners", "2", "--seed", "1", "--catch-up", "10"])
    assert result.exit_code == 0, result.output
    for part in ("A learner's conversation", "/team summary", "Adaptive coach versus a one-size-fits-all course"):
        assert part in result.output
    assert (tmp_path / "coach-demo.db").exists()


def test_the_database_left_behind_is_recent_history(demo_runs) -> None:  # type: ignore[no-untyped-def]
    """`coach chat` and `/team` on the demo file run on today's clock: nothing in it may lie in the future,
    and the lessons counted after the weeks (the catch-up) are not left in it."""
    options = demo_runs[0].options
    end = options.first_monday(datetime.now(UTC).date()) + timedelta(weeks=options.weeks)
    with sqlite3.connect(options.path) as connection:
        latest = connection.execute("SELECT max(created_at) FROM delivery").fetchone()[0]
    assert datetime.fromisoformat(latest).replace(tzinfo=UTC) <= min(end, datetime.now(UTC))


def test_a_start_date_pins_the_simulated_weeks() -> None:
    options = DemoOptions(weeks=2, start=date(2026, 3, 4))  # a Wednesday: its week's Monday
    assert options.first_monday(date(2027, 1, 1)).isoformat() == "2026-03-02T05:00:00+00:00"
    default = DemoOptions(weeks=2).first_monday(date(2026, 12, 3))  # a Thursday
    assert default.isoformat() == "2026-11-16T05:00:00+00:00", "two weeks that end on this Monday"


def test_a_course_is_charged_in_whole_passes_and_the_oracle_count_is_kept_beside() -> None:
    """The symmetric stop (bench/learning.py): a course ends at the end of the first whole pass after which
    the hidden skill meets every target, never at the lesson the oracle saw it happen."""
    targets = {"safety": 2, "infosec": 1}
    questions = [Question(c, level, f"{c}-{level}-{n}", f"{c}-{level}-{n}/q") for c in targets
                 for level in (1, 2, 3) for n in range(3)]
    learner = make_learner(1, "ana@example.com", "operator", targets, 3, questions, "novice")
    course = role_course(questions, targets)
    run = sit(learner, course, datetime(2027, 1, 4, 9, tzinfo=UTC), cap=90)
    assert run.lessons is not None and run.oracle is not None and run.at_oracle is not None
    assert run.lessons % len(course) == 0 and run.lessons >= run.oracle
    assert run.sim.meets(targets, questions, run.ended)
    short = sit(learner, course, datetime(2027, 1, 4, 9, tzinfo=UTC), cap=len(course) - 1)
    assert short.lessons is None, "a pass cut by the cap does not count"


def test_each_arm_s_symmetric_count_is_never_before_its_oracle_count(tmp_path: Path) -> None:
    """Both rules are counted in one run of the cohort: each arm's symmetric stop (it knows the learner is there
    and the learner truly is) comes at or after the oracle's moment."""
    figures = cohort(tmp_path / "c.db", "experienced", 1, 2, 60)
    assert figures
    for f in figures:
        assert f.coach is None or (f.coach_oracle is not None and f.coach >= f.coach_oracle)
        assert f.role_course is None or (f.role_course_oracle is not None and f.role_course >= f.role_course_oracle)
