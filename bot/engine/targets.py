"""Which competencies a learner should work on, to which level, and how urgently.

Sources, most urgent first: a focus their manager assigned, their chosen goal role, their own role, and
interests they picked. A competency takes the highest level any source asks for and the priority of the
most urgent source; "not relevant" feedback scales the priority down for that learner.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PRIORITY = {"focus": 4.0, "goal": 3.0, "role": 2.0, "interest": 1.0}
FOCUS_DEFAULT_LEVEL = 2
INTEREST_LEVEL = 2


@dataclass(frozen=True)
class Target:
    competency: str
    level: int
    source: str  # focus | goal | role | interest
    priority: float


def learner_targets(
    role: Mapping[str, int],
    goal: Mapping[str, int],
    focuses: Iterable[str],
    interests: Iterable[str],
    relevance: Mapping[str, float],
) -> dict[str, Target]:
    """Merge every source into one target per competency."""
    asks: dict[str, list[tuple[str, int]]] = {}
    for competency, level in role.items():
        asks.setdefault(competency, []).append(("role", level))
    for competency, level in goal.items():
        asks.setdefault(competency, []).append(("goal", level))
    for competency in focuses:
        level = max(role.get(competency, 0), goal.get(competency, 0), FOCUS_DEFAULT_LEVEL)
        asks.setdefault(competency, []).append(("focus", level))
    for competency in interests:
        asks.setdefault(competency, []).append(("interest", INTEREST_LEVEL))
    targets = {}
    for competency, sources in asks.items():
        source = max(sources, key=lambda s: PRIORITY[s[0]])[0]
        level = max(level for _, level in sources)
        targets[competency] = Target(competency, level, source,
                                     PRIORITY[source] * relevance.get(competency, 1.0))
    return targets
