"""Would other confidence rules do better on questions they were not chosen on? Leave-one-set-out.

    python bench/search_confidence.py

`content.search.judge` decides whether a search's best lesson is sent at once. Its constants were set by hand.
This checks them the honest way: for each query set of tests/content/search_queries.py (the blind ones and
TUNING/AUDIT, each with the off-topic set written with it), the rule is chosen on all the *other* sets and
measured on the one left out. Two kinds of rule are chosen:

- `judge` itself, its constants (MIN_COVERAGE, MIN_SCORE, CLOSE, CLEAR_COVERAGE, CLEAR_LEAD) picked from a grid;
- a logistic score over what a hit knows (its score, lead over the next, coverage, topical coverage, example
  question, key concept, the next hit's coverage), fitted by Newton's method, sent above a threshold.

Each is chosen to send the most on-topic questions at once while, on the sets it was chosen on, being right at
least `PRECISION` of the time and answering no more off-topic questions than the current constants do. It
prints, per set left out, sent at once / right when sent / off-topic sent for the current rule and the chosen
ones, and the blind sets together. Re-run it when a blind set is added to `search_queries.BLIND`.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from content import search as rules
from content.search import Hit
from tests.content import search_queries as sets
from tests.support.starter_search import starter_index

CONSTANTS = ("MIN_COVERAGE", "MIN_SCORE", "CLOSE", "CLEAR_COVERAGE", "CLEAR_LEAD")
GRID = list(itertools.product([0.6, 0.62, 0.65, 0.7], [1.5, 1.75, 2.0, 2.5], [0.05, 0.1, 0.15, 0.2],
                              [0.45, 0.5, 0.55], [0.4, 0.5, 0.6]))
PRECISION = 0.96
"""Right when sent, on the sets a rule is chosen on: the bar (95 %) with a margin for new words."""
WRITTEN_WITH = {"HELD_OUT": "OFF_TOPIC", "AUDIT": "ADJACENT_OFF_TOPIC"}
"""Off-topic sets not named after their on-topic set (`<NAME>_OFF_TOPIC`)."""


@dataclass(frozen=True)
class Case:
    """One query: the set it was written with, whether the pack teaches it, whether the first hit is right."""

    group: str
    on_topic: bool
    right: bool
    hits: list[Hit]
    features: np.ndarray


Rule = Callable[[Case], bool]


def cases() -> list[Case]:
    """Every on-topic and off-topic query of the blind and tuned sets, searched as the bot does."""
    index = asyncio.run(starter_index())
    found = []
    for name in (*sets.BLIND, *sets.TUNED):
        for query, wanted in getattr(sets, name):
            hits = index.search(query)
            found.append(Case(name, True, bool(hits) and hits[0].doc.lesson_id in wanted, hits, features(hits)))
        off_topic = WRITTEN_WITH.get(name, f"{name}_OFF_TOPIC")
        for query in getattr(sets, off_topic, []):
            hits = index.search(query)
            found.append(Case(name, False, False, hits, features(hits)))
    return found


def tally(chosen: Sequence[Case], rule: Rule) -> tuple[int, int, int, int]:
    """(on-topic, sent, sent and right, off-topic sent)."""
    sent = [case for case in chosen if rule(case)]
    return (sum(case.on_topic for case in chosen), sum(case.on_topic for case in sent),
            sum(case.right for case in sent), sum(not case.on_topic for case in sent))


def best(train: Sequence[Case], candidates: Sequence[tuple[str, Rule]], current: Rule) -> tuple[str, Rule]:
    """The candidate sending the most on `train` within PRECISION and the current rule's off-topic count."""
    allowed = tally(train, current)[3]
    fine = []
    for i, (_, rule) in enumerate(candidates):
        _, sent, right, off = tally(train, rule)
        if sent and right / sent >= PRECISION and off <= allowed:
            fine.append((sent, right, i))
    return candidates[max(fine)[2]] if fine else ("current", current)


def with_constants(values: Sequence[float]) -> tuple[str, Rule]:
    """`judge` with these values of CONSTANTS."""
    def rule(case: Case) -> bool:
        kept = {name: getattr(rules, name) for name in CONSTANTS}
        for name, value in zip(CONSTANTS, values, strict=True):
            setattr(rules, name, value)
        try:
            return rules.confident(case.hits)
        finally:
            for name, value in kept.items():
                setattr(rules, name, value)
    return " ".join(f"{value:g}" for value in values), rule


def features(hits: Sequence[Hit]) -> np.ndarray:
    """What the logistic score sees of a search: its best hit, and how close the next one comes."""
    if not hits:
        return np.zeros(8)
    top, second = hits[0], hits[1] if len(hits) > 1 else None
    return np.array([1.0, math.log(top.score), second.score / top.score if second else 0.0, top.coverage,
                     top.topical, top.asked, float(top.key), second.coverage if second else 0.0])


def logistic(train: Sequence[Case], everything: Sequence[Case], current: Rule) -> tuple[str, Rule]:
    """A logistic score of "sent and right" fitted on `train` (off-topic questions weigh 3: sending one is
    worse than offering choices), sent above the threshold `best` picks."""
    x = np.array([case.features for case in train])
    y = np.array([float(case.on_topic and case.right) for case in train])
    weight = np.array([1.0 if case.on_topic else 3.0 for case in train])
    mean, spread = x[:, 1:].mean(0), x[:, 1:].std(0) + 1e-9
    beta = np.zeros(x.shape[1])
    ridge = np.diag([0.0] + [1.0] * (x.shape[1] - 1))

    def scaled(rows: np.ndarray) -> np.ndarray:
        return np.column_stack([rows[:, 0], (rows[:, 1:] - mean) / spread])
    for _ in range(50):
        p = 1 / (1 + np.exp(-scaled(x) @ beta))
        gradient = scaled(x).T @ (weight * (p - y)) + ridge @ beta
        hessian = (scaled(x) * (weight * p * (1 - p))[:, None]).T @ scaled(x) + ridge
        beta -= np.linalg.solve(hessian, gradient)
    score = dict(zip(map(id, everything), scaled(np.array([c.features for c in everything])) @ beta, strict=True))

    def above(threshold: float) -> tuple[str, Rule]:
        return f"{threshold:.2f}", lambda case: bool(case.hits) and score[id(case)] >= threshold
    return best(train, [above(score[id(case)]) for case in train], current)


def line(name: str, counts: Sequence[tuple[int, int, int, int]]) -> str:
    return f"{name:<10}" + "".join(f"   {s / n:6.1%} / {r / max(s, 1):6.1%} / {off:<2}" for n, s, r, off in counts)


def main() -> None:
    found = cases()
    candidates = [with_constants(values) for values in GRID]

    def current(case: Case) -> bool:
        return rules.confident(case.hits)
    print(f"{'left out':<10}   {'sent / right when sent / off-topic sent: current, judge re-chosen, logistic'}")
    totals = np.zeros((3, 4), dtype=int)
    for group in dict.fromkeys(case.group for case in found):
        train = [case for case in found if case.group != group]
        test = [case for case in found if case.group == group]
        (constants, chosen), (threshold, fitted) = best(train, candidates, current), logistic(train, found, current)
        counts = [tally(test, rule) for rule in (current, chosen, fitted)]
        if group in sets.BLIND:
            totals += np.array(counts)
        print(line(group, counts) + f"   (chosen: {constants}; logistic above {threshold})")
    print(line("blind", [tuple(row) for row in totals]))
    print("constants:", ", ".join(CONSTANTS), "now", " ".join(f"{getattr(rules, name):g}" for name in CONSTANTS))


if __name__ == "__main__":
    main()
