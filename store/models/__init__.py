"""All tables. Importing this package registers them on `SQLModel.metadata` (Alembic reads it)."""

from store.models.catalog import (
    CatalogueVersion,
    Competency,
    ItemParam,
    Lesson,
    LessonVersion,
    ModelFit,
    Pack,
    Question,
    Role,
    RoleRequirement,
)
from store.models.events import ProcessedEvent
from store.models.learning import (
    WEEKDAYS,
    Answer,
    Badge,
    Delivery,
    Focus,
    LearnerSettings,
    LessonFeedback,
    MasteryState,
    PausePeriod,
    ReviewState,
    Suggestion,
)
from store.models.outgoing import DigestSent, LrsCursor
from store.models.people import ChatIdentity, OrgState, PendingContact, Person
from store.models.searches import SearchEvidence, TopicSearch
from store.models.teams import TeamTotal, TeamTotalsState

__all__ = [
    "WEEKDAYS",
    "Answer",
    "Badge",
    "CatalogueVersion",
    "ChatIdentity",
    "Competency",
    "Delivery",
    "DigestSent",
    "Focus",
    "ItemParam",
    "LearnerSettings",
    "Lesson",
    "LessonFeedback",
    "LessonVersion",
    "LrsCursor",
    "MasteryState",
    "ModelFit",
    "OrgState",
    "Pack",
    "PausePeriod",
    "PendingContact",
    "Person",
    "ProcessedEvent",
    "Question",
    "ReviewState",
    "Role",
    "RoleRequirement",
    "SearchEvidence",
    "Suggestion",
    "TeamTotal",
    "TeamTotalsState",
    "TopicSearch",
]
