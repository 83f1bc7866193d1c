"""What the coach has seen of a learner in one competency, beyond the mastery model: the level decision the
engine acts on, and the evidence that a target level lasts.

- **The level decision survives one miss.** The model's level (bot.engine.mastery) moves with every answer
  and lags a learner who is learning: it weighs the misses made before the lessons as much as the right
  answers after them, and one slip after a run of right answers can drop it a level. The engine acts on the
  higher of two views: the model's level, kept through a single miss and given back only on a second miss
  in a row; and the classic mastery criterion of tutoring systems, three right of the last four answers at
  that level or above (ASSISTments' "three in a row", relaxed to forgive one slip; Pelánek & Řihák 2017
  compare such criteria). Pure guessing passes it about once in twenty.
- **A target counts as met when a sequential probability ratio test confirms it** (bot.engine.decision:
  Wald's SPRT over the answers at that level or above, with its error rates stated there), **and after a
  right answer at that level on a later day** than the day the level was first shown, to a question asked
  without its lesson in front of the learner (a review, or a question alone): a question answered right just
  after reading shows what is fresh in mind, not what lasts, and one right answer cannot tell a learner right
  two times in three from one right nine times in ten. The test starts from what placement found (`prior`).
  A placement that tests the learner out with high confidence (bot.engine.placement) needs neither: nothing
  was read. The lessons at the target level need not all be taught: the target is the competency, not the
  coverage (docs/engine.md, "Competency, not coverage").

Days are UTC calendar days (the engine does not depend on the schedule's time zones). Both are kept in the
competency's stored state (`MasteryState.state`, under "evidence"), next to the mastery
model's own record, so no new table is needed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from bot.engine.decision import sprt_confirms
from bot.engine.mastery import MasteryModel, SkillState

KEY = "evidence"
DELAYED = ("placement", "review")
"""Deliveries that ask a question without showing its lesson: a right answer shows what the learner keeps."""


WINDOW = 4
WINDOW_RIGHT = 3
KEPT = 12
"""Answers remembered per competency (level and result), enough for the window at every level."""


@dataclass
class Evidence:
    confirmed: int = 0
    """The highest level answered right without the lesson in front of the learner (placement, review)."""
    misses: int = 0
    """Wrong answers in a row on this competency, up to now."""
    answers: list[list[int]] = field(default_factory=list)
    """The last KEPT answers after teaching began, as [lesson level, 1 right / 0 wrong], oldest first.
    Placement questions are left out: placement is the model's to judge (bot.engine.placement)."""
    shown_on: dict[str, str] = field(default_factory=dict)
    """The day (ISO date) each level was first shown by the level decision."""
    placement: list[list[int]] = field(default_factory=list)
    """The placement answers, [level, 1 right / 0 wrong, options], oldest first (bot.engine.placement)."""
    tested: int = 0
    """The level placement proved without teaching (the target: the learner tested out)."""
    prior: float = 0.0
    """Log odds that the learner was above the bar at their target level before teaching began: placement's
    posterior (its prior is their other competencies), never below even. The sequential test starts there
    (bot.engine.decision): teaching does not unlearn, so what placement found is a floor on it now."""

    @classmethod
    def of(cls, stored: dict[str, Any] | None) -> Evidence:
        data = (stored or {}).get(KEY) or {}
        return cls(confirmed=int(data.get("confirmed", 0)), misses=int(data.get("misses", 0)),
                   answers=_pairs(data.get("answers")),
                   shown_on={str(k): str(v) for k, v in (data.get("shown_on") or {}).items()},
                   placement=[[int(v) for v in a] for a in data.get("placement") or []],
                   tested=int(data.get("tested", 0)), prior=float(data.get("prior", 0.0)))

    def stored_with(self, skill: SkillState) -> dict[str, Any]:
        """The JSON to store: the model's state, with this evidence alongside."""
        return {**skill.to_json(), KEY: asdict(self)}

    def after(self, kind: str, level: int, correct: bool, day: date, *, placing: bool,
              options: int = 4) -> Evidence:
        """The evidence once this answer (to a delivery of this kind, at this lesson level, on this day) is
        counted: it confirms every level up to its own that was shown on an earlier day; a miss without the
        lesson in view at a level already confirmed (or tested out) reopens that level and those above it. `placing`: a
        placement question while placement is under way (kept apart, for bot.engine.placement, with the
        question's number of `options`: the chance of a lucky guess)."""
        confirmed = self.confirmed
        if correct and kind in DELAYED:
            earlier = [int(k) for k, shown in self.shown_on.items() if int(k) <= level and shown < day.isoformat()]
            confirmed = max([confirmed, *earlier])
        pair, misses = [level, int(correct)], 0 if correct else self.misses + 1
        if misses >= 2 and not placing:  # two misses in a row: what was shown must be shown again
            keep = 0
        elif not correct and not placing and kind in DELAYED and level <= max(self.confirmed, self.tested):
            keep = level - 1  # a confirmed level missed later: reopened, to be taught and confirmed again
        else:
            keep = 3
        return Evidence(confirmed=min(confirmed, keep), misses=misses,
                        answers=self.answers if placing else [*self.answers, pair][-KEPT:],
                        shown_on={k: v for k, v in self.shown_on.items() if int(k) <= keep},
                        placement=[*self.placement, [*pair, options]] if placing else list(self.placement),
                        tested=min(self.tested, keep), prior=self.prior if keep >= 3 else 0.0)

    def shown(self, level: int, day: date) -> None:
        """Record the day each level up to `level` was first shown."""
        for k in range(1, level + 1):
            self.shown_on.setdefault(str(k), day.isoformat())

    def shown_before(self, level: int, day: date) -> bool:
        """Whether `level` was first shown before `day` (so a right answer today can confirm it)."""
        shown = self.shown_on.get(str(level))
        return shown is not None and shown < day.isoformat()

    def streak_level(self) -> int:
        """The highest level with WINDOW_RIGHT right among the last WINDOW answers at that level or above (so
    at least WINDOW_RIGHT answers: one right answer to a multiple-choice question can be a lucky guess)."""
        for level in (3, 2, 1):
            last = [right for at, right in self.answers if at >= level][-WINDOW:]
            if sum(last) >= WINDOW_RIGHT:
                return level
        return 0


def day_of(now: datetime) -> date:
    """The UTC calendar day of `now`: what "a later day" is counted in."""
    return now.astimezone(UTC).date()


def decided_level(model: MasteryModel, skill: SkillState, previous: int, evidence: Evidence,
                  threshold: float) -> int:
    """The level the engine acts on after an answer (`evidence` includes it): the model's, kept through one
    miss and given back only on the second miss in a row, or the streak criterion's if higher."""
    level = model.level(skill, threshold)
    if level < previous and evidence.misses <= 1:
        level = previous
    return max(level, evidence.streak_level())


def target_met(evidence: Evidence, target: int) -> bool:
    """The target level is tested out in placement, or confirmed by the sequential probability ratio test
    over the answers at that level or above since teaching began (bot.engine.decision; placement's answers
    describe the learner before it), *and* by a right
    answer at that level on a later day, without the lesson in view (a test-out needs neither: nothing was
    read)."""
    if evidence.tested >= target:
        return True
    return evidence.confirmed >= target and sprt_confirms((right == 1 for level, right in evidence.answers
                                                           if level >= target), evidence.prior)


def _pairs(data: Any) -> list[list[int]]:
    return [[int(level), int(right)] for level, right in data or []]
