"""The engine's decision rules on their own (issue 13): the level decision, confirmation on a later day,
and Bayesian placement, on the mastery model's default parameters."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.engine.decision import ACCEPT, ALPHA, BETA, REJECT, log_ratio, p_above_bar, p_non_master, sprt_confirms
from bot.engine.evidence import Evidence, decided_level, target_met
from bot.engine.mastery import MasteryModel, ModelParams, SkillState
from bot.engine.placement import (
    CONFIDENT,
    PLACEMENT_MAX,
    log_odds,
    next_level,
    placed_level,
    posterior,
    prior,
    worth_asking,
)

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


def test_one_right_answer_on_a_later_day_is_not_enough_the_sequential_test_must_confirm() -> None:
    """Confirmation is Wald's SPRT over the answers at the level (bot.engine.decision): two right answers
    after reading and one on a later day (three in all) do not confirm; a miss among them needs two more."""
    _, evidence = answered([(1, True)] * 2)
    evidence.shown(1, MONDAY)
    later = evidence.after("review", 1, True, MONDAY + timedelta(days=1), placing=False)
    assert later.confirmed == 1 and not target_met(later, 1), "one right answer on a later day, three in all"
    assert target_met(later.after("review", 1, True, MONDAY + timedelta(days=2), placing=False), 1)
    _, noisy = answered([(1, True), (1, True), (1, True), (1, False)])
    noisy.shown(1, MONDAY)
    noisy = noisy.after("review", 1, True, MONDAY + timedelta(days=1), placing=False)
    one_more = noisy.after("review", 1, True, MONDAY + timedelta(days=2), placing=False)
    assert not target_met(noisy, 1) and not target_met(one_more, 1), "a miss outweighs more than one right answer"
    assert target_met(one_more.after("review", 1, True, MONDAY + timedelta(days=3), placing=False), 1)


def test_the_sequential_test_keeps_its_stated_error_rates() -> None:
    """Wald's bounds: one test accepts a learner at the non-master's chance with probability at most
    ALPHA / (1 − BETA), and turns down one at the master's chance with at most BETA / (1 − ALPHA). Computed
    exactly, walking the test's sum over every sequence of answers."""
    def accepts(p: float) -> float:
        walk, accepted = {0.0: 1.0}, 0.0
        for _ in range(200):
            step: dict[float, float] = {}
            for total, chance in walk.items():
                for right, weight in ((True, p), (False, 1.0 - p)):
                    moved = round(total + log_ratio(right), 9)
                    if moved >= ACCEPT:
                        accepted += chance * weight
                    elif moved > REJECT:
                        step[moved] = step.get(moved, 0.0) + chance * weight
            walk = step
        return accepted

    assert accepts(p_non_master(4)) <= ALPHA / (1 - BETA)
    assert 1.0 - accepts(p_above_bar()) <= BETA / (1 - ALPHA)
    assert sprt_confirms([True] * 4) and not sprt_confirms([True] * 3)
    assert sprt_confirms([True] * 4 + [False]), "the test stops at its decision (the evidence reopens a level)"
    assert sprt_confirms([False, False, True, True, True, True]), "turned down, then a new test from scratch"


def test_the_evidence_is_stored_beside_the_model_state_and_read_back() -> None:
    states, evidence = answered([(2, True), (3, False)])
    evidence.shown(2, MONDAY)
    stored = evidence.stored_with(states["c"])
    assert SkillState.from_json(stored) == states["c"]
    assert Evidence.of(stored) == evidence and Evidence.of(None) == Evidence()


def test_placement_asks_where_an_answer_tells_most_and_stops_when_the_posterior_is_confident() -> None:
    even = [0.5, 0.5, 0.5]
    assert next_level(even, []) == 3, "an even prior: the target level, the cut"
    assert next_level([0.66, 0.46, 0.27], []) == 2, "the level nearest one half first"
    assert next_level(even, [[3, 1, 4]]) == 3 and placed_level(even, [[3, 1, 4]]) == 0
    four_right = [[3, 1, 4]] * 4
    assert posterior(even, four_right)[2] >= CONFIDENT
    assert next_level(even, four_right) is None and placed_level(even, four_right) == 3, "tested out"
    assert next_level([0.5], [[1, 1, 2], [1, 1, 2]]) == 1, "two-option questions: two right answers may be luck"
    assert next_level([0.8, 0.5, 0.3], [[3, 0, 4]]) == 2, "not at the target: the level now nearest one half"
    unlikely = [0.5, 0.3, 0.1]
    assert next_level(unlikely, []) == 1 and next_level(unlikely, [[1, 0, 4]]) == 1
    assert next_level(unlikely, [[1, 0, 4], [1, 0, 4]]) is None
    assert placed_level(unlikely, [[1, 0, 4], [1, 0, 4]]) == 0, "clearly does not know: teaching starts at level 1"
    assert len([[1, 1, 4], [1, 0, 4], [1, 1, 4], [1, 0, 4]]) == PLACEMENT_MAX
    assert next_level(even, [[1, 1, 4], [1, 0, 4], [1, 1, 4], [1, 0, 4]]) is None


def test_a_run_of_lucky_answers_short_of_the_bar_does_not_test_out() -> None:
    """A learner who does not know the level is read as answering right about half the time (partial
    knowledge and a guess, bot.engine.decision), not as a blind guesser: three right answers in a row, which
    such a learner gives about one time in ten, leave the test-out undecided; a fourth decides it."""
    even = [0.5, 0.5, 0.5]
    assert 0.4 < p_non_master(4) < 0.5 and p_non_master(2) > 0.5
    assert posterior(even, [[3, 1, 4]] * 3)[2] < CONFIDENT and placed_level(even, [[3, 1, 4]] * 3) == 0
    assert placed_level(even, [[3, 1, 4]] * 4) == 3


def test_placement_asks_only_while_the_questions_to_come_can_pay_for_themselves() -> None:
    """Backward induction over the answers still possible: a question is asked only when the lessons that
    placement could let the learner skip, in expectation over every run of answers and stopping wherever that
    is better, outweigh the questions it takes (QUESTION_COST each)."""
    doubtful = [0.15, 0.08, 0.03]  # someone whose other competencies say they probably know little
    assert worth_asking(doubtful, [], [30, 30, 30]) <= 0.0
    assert next_level(doubtful, [], [30, 30, 30]) is None and placed_level(doubtful, []) == 0, (
        "no run of four answers could settle a level: however many lessons, nothing is asked")
    assert next_level(doubtful, []) == 1, "without the lesson counts, only the posterior stops it"
    likely = [0.8, 0.6, 0.4]
    assert worth_asking(likely, [], [4, 4, 2]) > 0.0 and next_level(likely, [], [4, 4, 2]) == 3
    assert next_level(likely, [], [0, 0, 0]) is None, "nothing to skip: a question pays for nothing"
    assert next_level([0.7], [[1, 0, 4]], [4]) is None, (
        "after a miss, three questions cannot give the four right answers a test-out needs")
    assert next_level([0.7], [[1, 0, 4]]) == 1
    shown_two = [[2, 1, 4]] * 2
    assert placed_level([0.95, 0.8, 0.5], shown_two) == 2
    assert next_level([0.95, 0.8, 0.5], shown_two, [3, 3, 3]) is None, "two questions left: no test-out in reach"
    assert next_level([0.95, 0.8, 0.5], [[2, 1, 4]], [3, 3, 3]) == 3


def test_a_test_out_needs_a_right_answer_at_the_target_level_and_a_confident_prior_alone_never_places() -> None:
    assert next_level([0.99, 0.98, 0.95], []) == 3, "a prior, however sure, is no test-out"
    assert next_level([0.05, 0.02, 0.01], []) is None and placed_level([0.05, 0.02, 0.01], []) == 0
    known_below = [[2, 1, 4], [2, 1, 4], [2, 1, 4], [3, 0, 4]]
    assert placed_level([0.95, 0.8, 0.5], known_below) == 2, "teaching starts above the level shown"


def test_the_prior_follows_the_learners_other_placements() -> None:
    fresh = prior(MODEL, {}, "new", 3, known=0, placed=0)
    assert fresh == pytest.approx(MODEL.level_chances({}, "new")), "no other placements: the model's prior"
    assert prior(MODEL, {}, "new", 3, known=0, placed=3)[0] < fresh[0] / 3, "knew none of three: less likely"
    assert prior(MODEL, {}, "new", 3, known=3, placed=3)[0] > 0.9
    assert len(prior(MODEL, {}, "new", 1, known=0, placed=0)) == 1
    states: dict[str, SkillState] = {}
    for _ in range(6):
        MODEL.update(states, "other", True, level=3, guess=0.25)
    assert MODEL.level_chances(states, "new")[0] > fresh[0], "ability elsewhere raises the model's prior"


def test_a_miss_without_the_lesson_reopens_a_confirmed_level() -> None:
    _, evidence = answered([(2, True)] * 3)
    evidence.shown(2, MONDAY)
    met = evidence.after("review", 2, True, MONDAY + timedelta(days=1), placing=False)
    assert target_met(met, 2)
    missed = met.after("review", 2, False, MONDAY + timedelta(days=2), placing=False)
    assert not target_met(missed, 2) and missed.confirmed == 1 and "2" not in missed.shown_on
    tested = Evidence(confirmed=2, tested=2)
    assert target_met(tested, 2) and tested.after("lesson", 2, False, MONDAY, placing=False).tested == 2
    assert tested.after("review", 2, False, MONDAY, placing=False).tested == 1, "a test-out contradicted"


def test_the_sequential_test_starts_from_what_placement_found() -> None:
    """A Bayesian sequential test: someone placement found at the target with P = 0.8 before any lesson needs
    two right answers, not four; a rejection starts the next test from even."""
    placed = log_odds(0.8)
    assert not sprt_confirms([True] * 3) and sprt_confirms([True] * 4)
    assert not sprt_confirms([True], placed) and sprt_confirms([True] * 2, placed)
    assert not sprt_confirms([False] * 4 + [True] * 2, placed), "after a rejection the prior is spent"
    assert sprt_confirms([False] * 4 + [True] * 4, placed)


def test_the_prior_is_kept_with_the_evidence_and_a_reopened_level_loses_it() -> None:
    evidence = Evidence(confirmed=1, shown_on={"1": "2026-12-01"}, prior=log_odds(0.8))
    evidence = evidence.after("lesson", 1, True, MONDAY, placing=False)
    assert not target_met(Evidence(confirmed=1, answers=evidence.answers), 1)
    evidence = evidence.after("lesson", 1, True, MONDAY, placing=False)
    assert target_met(evidence, 1), "two right answers from P = 0.8 confirm the level"
    assert Evidence.of(evidence.stored_with(SkillState())).prior == evidence.prior
    reopened = evidence.after("review", 1, False, MONDAY, placing=False)
    assert reopened.prior == 0.0 and not target_met(reopened, 1)


def test_a_test_out_needs_four_right_answers_at_the_target_level_however_sure_the_prior() -> None:
    """Up to three right answers are what a learner short of the bar gives one time in ten to a half of the
    time: however strongly their other competencies speak for them, they are not a test-out."""
    sure = [0.97, 0.95, 0.9]
    assert placed_level(sure, [[3, 1, 4]] * 3) == 2 and next_level(sure, [[3, 1, 4]] * 3) == 3
    assert placed_level(sure, [[3, 1, 4]] * 4) == 3 and next_level(sure, [[3, 1, 4]] * 4) is None
