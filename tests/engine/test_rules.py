"""The engine's decision rules on their own (issue 13): the level decision, confirmation on a later day,
and the placement staircase, on the mastery model's default parameters."""

from __future__ import annotations

from datetime import date, timedelta

from bot.engine.evidence import Evidence, decided_level, target_met
from bot.engine.mastery import MasteryModel, ModelParams, SkillState
from bot.engine.placement import PLACEMENT_MAX, placement_result, staircase, worth_placing

MONDAY = date(2026, 12, 7)
MODEL = MasteryModel(ModelParams.default())


def answered(pairs: list[tuple[int, bool]], kind: str = "lesson") -> tuple[dict[str, SkillState], Evidence]:
    """A learner who answered these (level, right) questions of one competency on one day."""
    states: dict[str, SkillState] = {}
    evidence = Evidence()
    for level, right in pairs:
        MODEL.update(states, "c", right, level=level, guess=0.25)
        evidence = evidence.after(kind, level, right, MONDAY, placing=False)
    return states, evidence


def test_one_miss_keeps_the_level_and_a_second_in_a_row_takes_it_back() -> None:
    states, evidence = answered([(2, True)] * 4)
    shown = decided_level(MODEL, states["c"], 0, evidence, 0.8)
    assert shown == 2
    MODEL.update(states, "c", False, level=2, guess=0.25)
    evidence = evidence.after("lesson", 2, False, MONDAY, placing=False)
    assert MODEL.level(states["c"], 0.8) < 2, "the model alone drops the level after one slip"
    assert decided_level(MODEL, states["c"], shown, evidence, 0.8) == 2
    MODEL.update(states, "c", False, level=2, guess=0.25)
    evidence = evidence.after("lesson", 2, False, MONDAY, placing=False)
    assert decided_level(MODEL, states["c"], shown, evidence, 0.8) < 2


def test_three_right_of_the_last_four_show_a_level_that_the_model_still_doubts() -> None:
    states, evidence = answered([(1, False), (1, False), (1, True), (1, False), (1, True), (1, True), (1, True)])
    assert MODEL.level(states["c"], 0.8) == 0, "early misses weigh on the model's belief"
    assert evidence.streak_level() == 1
    assert decided_level(MODEL, states["c"], 0, evidence, 0.8) == 1
    _, lucky = answered([(1, True), (1, False), (1, True), (1, False)])
    assert lucky.streak_level() == 0


def test_a_target_is_met_only_after_a_right_answer_on_a_later_day_without_the_lesson() -> None:
    _, evidence = answered([(1, True)] * 3)
    evidence.shown(1, MONDAY)
    assert evidence.streak_level() == 1 and not target_met(evidence, 1), "right after reading is not enough"
    same_day = evidence.after("review", 1, True, MONDAY, placing=False)
    assert not target_met(same_day, 1)
    after_lesson = evidence.after("lesson", 1, True, MONDAY + timedelta(days=1), placing=False)
    assert not target_met(after_lesson, 1), "a question asked with its lesson in view does not confirm"
    later = evidence.after("review", 1, True, MONDAY + timedelta(days=1), placing=False)
    assert target_met(later, 1) and not target_met(later, 2)
    missed_twice = later.after("review", 1, False, MONDAY + timedelta(days=2), placing=False).after(
        "review", 1, False, MONDAY + timedelta(days=2), placing=False)
    assert not target_met(missed_twice, 1), "two misses in a row: the level must be shown again"


def test_the_evidence_is_stored_beside_the_model_state_and_read_back() -> None:
    states, evidence = answered([(2, True), (3, False)])
    evidence.shown(2, MONDAY)
    stored = evidence.stored_with(states["c"])
    assert SkillState.from_json(stored) == states["c"]
    assert Evidence.of(stored) == evidence and Evidence.of(None) == Evidence()


def test_placement_starts_at_the_target_and_steps_down_after_a_miss() -> None:
    assert staircase([], 3) == (3, 0)
    assert staircase([[3, 1]], 3) == (3, 0)
    assert staircase([[3, 0]], 3) == (2, 0)
    assert staircase([[3, 0], [2, 1], [2, 1], [2, 1]], 3) == (None, 2)
    assert staircase([[1, 0]], 1) == (None, 0)
    assert staircase([[3, 0], [2, 1], [2, 0], [1, 1], [1, 1]], 3) == (None, 0)
    assert len([[3, 0], [2, 1], [2, 0], [1, 1], [1, 1]]) == PLACEMENT_MAX


def test_three_right_at_the_target_level_test_out_and_misses_end_placement() -> None:
    skill = SkillState()
    assert placement_result(MODEL, skill, [[2, 1], [2, 1]], 2) == (False, 0)
    assert placement_result(MODEL, skill, [[2, 1], [2, 1], [2, 1]], 2) == (True, 2)
    assert placement_result(MODEL, skill, [[3, 0], [2, 1], [2, 1], [2, 1]], 3) == (True, 2)
    assert placement_result(MODEL, skill, [[1, 0]], 1) == (True, 0)


def test_a_learner_who_missed_everything_elsewhere_is_not_placed() -> None:
    assert worth_placing(MODEL, {}, "new")
    states: dict[str, SkillState] = {}
    for competency in "abdefgh":  # the default parameters share little across competencies: it takes many
        for _ in range(4):
            MODEL.update(states, competency, False, level=1, guess=0.25)
    assert not worth_placing(MODEL, states, "new")
