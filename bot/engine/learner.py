"""Everything the engine needs to know about one learner, loaded in a handful of bounded queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.engine.mastery import SkillState
from bot.engine.targets import Target, learner_targets
from store import learning
from store.models import LearnerSettings, MasteryState, Person

_BLANK = MasteryState(person_id=0, competency_id="")
"""What a competency never answered reads as (`LearnerContext.view`)."""


@dataclass
class LearnerContext:
    person: Person
    settings: LearnerSettings
    targets: dict[str, Target]
    states: dict[str, MasteryState]
    role_needs: dict[str, int]
    goal_needs: dict[str, int]
    fresh: dict[str, MasteryState] = field(default_factory=dict)
    """States made by `state` for competencies never answered (not saved, not in `states`)."""

    @property
    def id(self) -> int:
        assert self.person.id is not None
        return self.person.id

    def skill_states(self) -> dict[str, SkillState]:
        """The mastery model's view: competency -> SkillState."""
        return {c: SkillState.from_json(s.state or None) for c, s in self.states.items()}

    def view(self, competency: str) -> MasteryState:
        """The stored state for a competency, to read and never to change: a shared blank one if never answered
        (the policy reads states for every target of every learner a tick plans; building rows is not free)."""
        return self.states.get(competency) or _BLANK

    def state(self, competency: str) -> MasteryState:
        """The stored state for a competency, or a fresh one (not yet saved) if never answered — the same one
        each time it is asked for (building a table row is not free, and the policy asks often)."""
        stored = self.states.get(competency)
        if stored is not None:
            return stored
        if competency not in self.fresh:
            self.fresh[competency] = MasteryState(person_id=self.id, competency_id=competency)
        return self.fresh[competency]


async def load_learner(session: AsyncSession, person_id: int, *, lock: bool = False) -> LearnerContext:
    """The learner's person, settings, targets (role, goal, focus, interests) and mastery states."""
    person, settings = await learning.learner(session, person_id)
    states = await learning.mastery_states(session, person_id, lock=lock)
    role = await learning.role_requirements(session, person.role_id)
    goal = await learning.role_requirements(session, settings.goal_role_id) if settings.goal_role_id else {}
    focuses = [f.competency_id for f in await learning.active_focuses(session, person_id)]
    return learner_context(person, settings, states, role, goal, focuses)


def learner_context(person: Person, settings: LearnerSettings, states: dict[str, MasteryState],
                    role: dict[str, int], goal: dict[str, int], focuses: list[str]) -> LearnerContext:
    """The context from rows already loaded (one learner by `load_learner`, or a batch by the dispatcher)."""
    relevance = {c: s.relevance for c, s in states.items()}
    targets = learner_targets(role, goal, focuses, settings.interests or [], relevance)
    return LearnerContext(person=person, settings=settings, targets=targets, states=states, role_needs=role,
                          goal_needs=goal)
