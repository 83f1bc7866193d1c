"""Fitting the mastery model on simulated answer logs whose truth is known."""

from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr

from bot.engine.mastery import AnswerRow, MasteryModel, ModelParams, SkillState, fit

TRUE_ITEM_DIFFICULTY = {f"q{k}": d for k, d in enumerate(np.linspace(-2.0, 2.0, 10))}
"""Ten questions, q0 easiest; q0-q4 belong to competency A, q5-q9 to B."""


def simulate(learners: int, answers: int, seed: int) -> list[AnswerRow]:
    """Learners with a Gaussian ability answering random questions (Rasch model with a little learning);
    a question's level is its true difficulty's third (q0-q3 level 1, q4-q6 level 2, q7-q9 level 3)."""
    rng = np.random.default_rng(seed)
    items = list(TRUE_ITEM_DIFFICULTY)
    rows = []
    for u in range(learners):
        ability = rng.normal(0.0, 1.0)
        for t in range(answers):
            k = int(rng.integers(len(items)))
            logit = ability + 0.02 * t - TRUE_ITEM_DIFFICULTY[items[k]]
            rows.append(AnswerRow(f"u{u}", "AB"[k // 5], bool(rng.random() < 1 / (1 + np.exp(-logit))), items[k],
                                  level=1 + int(k >= 4) + int(k >= 7)))
    return rows


def test_fit_recovers_the_order_of_question_difficulties() -> None:
    _, items = fit(simulate(learners=120, answers=25, seed=1))
    fitted = [items[name] for name in TRUE_ITEM_DIFFICULTY]
    assert spearmanr(fitted, list(TRUE_ITEM_DIFFICULTY.values())).statistic > 0.9
    assert items["q9"] - items["q0"] > 2.0


def test_fit_reports_progress_and_gives_json_params_that_predict() -> None:
    seen: list[int] = []
    params, items = fit(simulate(learners=40, answers=20, seed=2), progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 100
    assert params.fit_report["answers"] == 800 and params.fit_report["learners"] == 40
    restored = ModelParams.from_json(params.to_json())
    model = MasteryModel(restored, items)
    states: dict[str, SkillState] = {}
    assert model.predict(states, "A", item="q0") > model.predict(states, "A", item="q4")
    model.update(states, "A", True, item="q4")
    assert model.level(states["A"]) >= 0


def test_fit_with_no_or_few_answers_keeps_sensible_defaults() -> None:
    params, items = fit([])
    assert params == ModelParams.default() and items == {}
    few = [AnswerRow("u1", "A", True, "q1", 2), AnswerRow("u1", "A", False, "q2", 3), AnswerRow("u2", "B", True)]
    params, items = fit(few)
    assert set(items) == {"q1", "q2"}
    assert "fewer than" in params.fit_report["note"]
    model = MasteryModel(params, items)
    assert 0 < model.predict({}, "A", item="q1") < 1


def test_fit_finds_hidden_concepts_shared_by_competencies() -> None:
    """Six competencies drawing on two independent hidden abilities (c0-c2 on one, c3-c5 on the other)."""
    rng = np.random.default_rng(5)
    rows = []
    for u in range(200):
        ability = rng.normal(0.0, 1.5, 2)
        for _ in range(24):
            skill = int(rng.integers(6))
            logit = ability[skill // 3] - 0.5 * (skill % 3)
            rows.append(AnswerRow(f"u{u}", f"c{skill}", bool(rng.random() < 1 / (1 + np.exp(-logit)))))
    params, _ = fit(rows)
    assert params.dims >= 2
    loading = {k: np.array(params.skill_loading[f"c{k}"]) for k in range(6)}

    def alike(i: int, j: int) -> float:
        return abs(loading[i] @ loading[j]) / (np.linalg.norm(loading[i]) * np.linalg.norm(loading[j]))

    same = np.mean([alike(i, j) for i in range(6) for j in range(i + 1, 6) if i // 3 == j // 3])
    across = np.mean([alike(i, j) for i in range(3) for j in range(3, 6)])
    assert same > across + 0.3
