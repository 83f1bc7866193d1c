"""The live mastery model: how answers move mastery and levels, state storage, and the batch replay."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bot.engine.answer_log import AnswerLog
from bot.engine.mastery import AnswerRow, MasteryModel, ModelParams, SkillState
from bot.engine.tracing import trace


def answer(model: MasteryModel, answers: list[tuple[int, bool]], skill: str = "procurement") -> SkillState:
    """A new learner's state after answering questions (level, right?) of one competency."""
    states: dict[str, SkillState] = {}
    for level, correct in answers:
        model.update(states, skill, correct, level=level)
    return states[skill]


@pytest.fixture
def model() -> MasteryModel:
    return MasteryModel(ModelParams.default())


def test_right_answers_raise_and_wrong_answers_lower_prediction_and_mastery(model: MasteryModel) -> None:
    states: dict[str, SkillState] = {}
    before = model.predict(states, "safety", level=2)
    model.update(states, "safety", True, level=2)
    after_right = model.predict(states, "safety", level=2)
    mastery_right = model.mastery(states["safety"], 2)
    model.update(states, "safety", False, level=2)
    assert after_right > before
    assert model.predict(states, "safety", level=2) < after_right
    assert model.mastery(states["safety"], 2) < mastery_right


def test_surprising_answers_move_mastery_more(model: MasteryModel) -> None:
    hard_right, easy_right = answer(model, [(3, True)]), answer(model, [(1, True)])
    hard_wrong, easy_wrong = answer(model, [(3, False)]), answer(model, [(1, False)])
    assert model.mastery(hard_right, 2) > model.mastery(easy_right, 2)
    assert model.mastery(easy_wrong, 1) < model.mastery(hard_wrong, 1)


def test_a_right_answer_that_could_be_a_guess_counts_for_less(model: MasteryModel) -> None:
    def after(guess: float, correct: bool) -> SkillState:
        states: dict[str, SkillState] = {}
        model.update(states, "procurement", correct, level=3, guess=guess)
        return states["procurement"]

    sure, four_options, two_options = after(0.0, True), after(0.25, True), after(0.5, True)
    assert model.mastery(sure, 3) > model.mastery(four_options, 3) > model.mastery(two_options, 3)
    assert model.mastery(two_options, 3) > model.mastery(SkillState(), 3), "a right answer is still evidence"
    assert model.mastery(after(0.25, False), 1) == pytest.approx(model.mastery(after(0.0, False), 1)), \
        "nobody misses by guessing: a wrong answer weighs the same"


def test_four_option_questions_need_more_right_answers_for_a_level(model: MasteryModel) -> None:
    def state(answers: int, guess: float) -> SkillState:
        states: dict[str, SkillState] = {}
        for _ in range(answers):
            model.update(states, "procurement", True, level=3, guess=guess)
        return states["procurement"]

    assert model.level(state(1, 0.25)) < model.level(state(1, 0.0))
    assert model.level(state(6, 0.25)) == 3, "someone who knows it still gets there in a handful of questions"


def test_level_thresholds_for_the_product(model: MasteryModel) -> None:
    assert model.level(SkillState.from_json(None)) == 0
    assert model.level(answer(model, [(3, True)] * 3)) == 3
    assert model.level(answer(model, [(1, False)] * 3)) == 0
    assert model.level(answer(model, [(1, True)] * 6)) < 3, "easy questions alone never prove level 3"
    assert model.level(answer(model, [(1, True)] * 3)) >= 1


def test_level_probabilities_are_non_increasing_and_level_follows_threshold(model: MasteryModel) -> None:
    state = answer(model, [(2, True), (2, True), (3, False), (2, True)])
    p1, p2, p3 = model.level_probabilities(state)
    assert 1 >= p1 >= p2 >= p3 >= 0
    assert model.level(state, threshold=p2) >= 2
    assert model.level(state, threshold=min(1.0, p1 + 1e-9)) == 0
    assert model.mastery(state, 2) == p2
    assert model.mastery(state, 5) == p3


def test_levels_stay_ordered_even_if_fitted_level_difficulties_are_not() -> None:
    params = ModelParams.default()
    params.level_difficulty = [0.5, -0.5, 1.0]
    p1, p2, p3 = MasteryModel(params).level_probabilities(SkillState())
    assert p1 >= p2 >= p3


def test_new_learner_new_item_and_new_skill_all_predict(model: MasteryModel) -> None:
    fitted = MasteryModel(ModelParams.default(), {"q-known": 1.5})
    states: dict[str, SkillState] = {}
    p_unknown_item = fitted.predict(states, "never-seen", item="q-new", level=2)
    assert 0 < p_unknown_item < 1
    assert fitted.predict(states, "never-seen", item="q-known") < p_unknown_item
    assert fitted.predict(states, "x", level=1) > fitted.predict(states, "x", level=3)


def test_a_learner_strong_elsewhere_starts_higher_on_a_new_competency(model: MasteryModel) -> None:
    strong: dict[str, SkillState] = {}
    weak: dict[str, SkillState] = {}
    for _ in range(4):
        model.update(strong, "infosec", True, level=2)
        model.update(weak, "infosec", False, level=2)
    assert model.predict(strong, "privacy", level=2) > model.predict({}, "privacy", level=2)
    assert model.predict(weak, "privacy", level=2) < model.predict({}, "privacy", level=2)


def test_update_replaces_only_the_answered_state(model: MasteryModel) -> None:
    states = {"privacy": answer(model, [(2, True)], skill="privacy")}
    stored = json.dumps(states["privacy"].to_json())
    model.update(states, "infosec", False, level=1)
    assert json.dumps(states["privacy"].to_json()) == stored
    assert states["infosec"].attempts == 1 and states["infosec"].correct == 0


def test_state_and_params_round_trip_through_json(model: MasteryModel) -> None:
    state = answer(model, [(3, True), (1, False)])
    again = SkillState.from_json(json.loads(json.dumps(state.to_json())))
    assert again == state
    assert SkillState.from_json(None) == SkillState()
    assert SkillState.from_json({"attempts": 2, "correct": 1, "mean": -1.0}).attempts == 2

    params = ModelParams.default()
    params.skill_loading = {"a": [0.5]}
    params.skill_correction = {"a": [0.1, 0.0, 0.0, 0.2, -0.1]}
    restored = ModelParams.from_json(json.loads(json.dumps(params.to_json())))
    assert restored == params
    assert ModelParams.from_json({"prior_sd": 1.2}) == ModelParams.default()


def test_explain_names_the_level_the_evidence_and_the_harder_questions(model: MasteryModel) -> None:
    text = model.explain(answer(model, [(3, True)] * 4), 3, "Purchase approvals")
    assert text.startswith("You have mastered level 3 of Purchase approvals")
    assert "4 of 4 right, mostly on harder questions" in text
    assert "3 of 4 right, mostly on easier" in model.explain(answer(model, [(1, True)] * 3 + [(2, False)]), 2)
    assert model.explain(answer(model, [(1, False)]), 2).startswith("Not yet at level 2")
    assert "No answers yet" in model.explain(SkillState(), 1)


def test_live_model_and_batch_replay_give_the_same_predictions() -> None:
    """coach eval replays logs with bot.engine.tracing; it must be the very model the product runs."""
    rng = np.random.default_rng(3)
    rows = [AnswerRow(f"u{u}", f"s{rng.integers(4)}", bool(rng.random() < 0.6),
                      f"i{rng.integers(8)}" if rng.random() < 0.7 else None,
                      int(rng.integers(1, 4)) if rng.random() < 0.5 else None)
            for u in range(5) for _ in range(30)]
    params = ModelParams.default()
    params.dims, params.default_loading, params.drift = 2, [0.7, 0.3], 0.1
    params.skill_loading = {"s0": [1.0, 0.5], "s1": [0.2, -0.8]}
    params.skill_difficulty = {"s0": 0.3}
    params.correction = {**params.correction, "recent": 0.3, "all_right": 0.1, "ability": 0.8, "wrong": -0.2}
    params.skill_correction = {"s1": [0.1, 0.2, 0.3, -0.1, 0.2]}
    items = {"i1": 0.5, "i2": -0.7}
    model = MasteryModel(params, items)
    learners: dict[str, dict[str, SkillState]] = {}
    live = []
    for row in rows:
        states = learners.setdefault(row.user, {})
        live.append(model.predict(states, row.skill, row.item, row.level))
        model.update(states, row.skill, row.correct, row.item, row.level)
    replay = trace(AnswerLog.from_rows(rows), params, items).probability
    np.testing.assert_allclose(live, replay, atol=1e-9)
