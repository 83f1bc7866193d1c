"""Answer logs as integer-coded arrays, and what each learner had done before each answer.

Fitting and evaluation work on many learners at once; strings become indices once, here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from bot.engine.mastery_params import AnswerRow


@dataclass
class AnswerLog:
    """Answers in the order given (a learner's rows in answer order; learners may interleave).

    ``item`` is -1 when a row has no question id and ``level`` is 0 when it has no level.
    """

    user: np.ndarray
    skill: np.ndarray
    item: np.ndarray
    level: np.ndarray
    correct: np.ndarray
    skills: list[str]
    items: list[str]
    n_users: int

    @classmethod
    def from_rows(cls, rows: Iterable[AnswerRow]) -> AnswerLog:
        users: dict[str, int] = {}
        skills: dict[str, int] = {}
        items: dict[str, int] = {}
        u, s, i, lv, c = [], [], [], [], []
        for row in rows:
            u.append(users.setdefault(row.user, len(users)))
            s.append(skills.setdefault(row.skill, len(skills)))
            i.append(-1 if row.item is None else items.setdefault(row.item, len(items)))
            lv.append(0 if row.level is None else min(max(int(row.level), 1), 3))
            c.append(1.0 if row.correct else 0.0)
        return cls(np.array(u, dtype=np.int64), np.array(s, dtype=np.int64), np.array(i, dtype=np.int64),
                   np.array(lv, dtype=np.int64), np.array(c, dtype=float), list(skills), list(items), len(users))

    def __len__(self) -> int:
        return len(self.correct)

    def subset(self, keep: np.ndarray) -> AnswerLog:
        """The rows where ``keep`` is true, with learners renumbered; skill and item codes are kept."""
        users, user = np.unique(self.user[keep], return_inverse=True)
        return AnswerLog(user.astype(np.int64), self.skill[keep], self.item[keep], self.level[keep],
                         self.correct[keep], self.skills, self.items, len(users))


@dataclass
class History:
    """For every row, what its learner had done before it (never the row itself)."""

    pair: np.ndarray
    """Index of the (learner, competency) pair."""
    n_pairs: int
    step: np.ndarray
    """How many answers the learner had given before this one."""
    right: np.ndarray
    wrong: np.ndarray
    """Right and wrong answers on this competency before this one."""
    all_right: np.ndarray
    all_wrong: np.ndarray
    """Right and wrong answers on any competency before this one."""

    @classmethod
    def of(cls, log: AnswerLog) -> History:
        n_skills = max(len(log.skills), 1)
        pair, n_pairs, right, seen = _running_counts(log.user * n_skills + log.skill, log.correct)
        _, _, all_right, step = _running_counts(log.user, log.correct)
        return cls(pair, n_pairs, step, right, seen - right, all_right, step - all_right)


def _running_counts(group: np.ndarray, correct: np.ndarray) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """Group index, number of groups, and per row: right answers and answers earlier in its group."""
    n = len(group)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, 0, np.zeros(0), np.zeros(0)
    order = np.lexsort((np.arange(n), group))
    sorted_group = group[order]
    starts = np.r_[True, sorted_group[1:] != sorted_group[:-1]]
    index = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    before = np.cumsum(correct[order]) - correct[order]
    right, seen, pair = np.empty(n), np.empty(n), np.empty(n, dtype=np.int64)
    right[order] = before - before[first][index]
    seen[order] = np.arange(n) - first[index]
    pair[order] = index
    return pair, int(index[-1]) + 1, right, seen
