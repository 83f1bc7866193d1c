"""Queries about what can be learned: importing packs, and finding competencies, roles and lessons."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.model import KnownContent, LessonSpec, PackSpec
from store import catalogue_versions
from store.models import Competency, Lesson, LessonVersion, Pack, Question, Role, RoleRequirement
from store.types import utcnow


@dataclass
class ImportReport:
    """What an import changed, for the CLI to print."""

    packs: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    retired_roles: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OwnedElsewhere:
    """An id this import declares that another pack, not part of this import, already owns."""

    kind: str  # competency | role | lesson
    id: str
    owner: str


async def owned_elsewhere(session: AsyncSession, packs: list[PackSpec]) -> list[OwnedElsewhere]:
    """Ids that would move out of a pack this import does not include (an import never takes another pack's
    content silently; import both packs together to move something)."""
    importing = {pack.id for pack in packs}
    found = []
    for kind, model, ids in (
        ("competency", Competency, {c.id for pack in packs for c in pack.competencies}),
        ("role", Role, {r.id for pack in packs for r in pack.roles}),
        ("lesson", Lesson, {lesson.id for pack in packs for lesson in pack.lessons}),
    ):
        if not ids:
            continue
        rows = await session.exec(select(model.id, model.pack_id).where(col(model.id).in_(sorted(ids))))
        found += [OwnedElsewhere(kind, item_id, owner) for item_id, owner in rows.all() if owner not in importing]
    return found


async def stored_packs(session: AsyncSession, pack_ids: set[str]) -> dict[str, tuple[str, set[str]]]:
    """For each of these packs already loaded: the folder it came from and its active lessons (so an import
    can tell the same pack in a new place from another pack that reuses its id)."""
    sources = dict((await session.exec(select(Pack.id, Pack.source).where(col(Pack.id).in_(sorted(pack_ids))))).all())
    found: dict[str, tuple[str, set[str]]] = {pack_id: (source, set()) for pack_id, source in sources.items()}
    for lesson_id, pack_id in (await session.exec(
        select(Lesson.id, Lesson.pack_id).where(col(Lesson.pack_id).in_(sorted(found)), col(Lesson.active))
    )).all():
        found[pack_id][1].add(lesson_id)
    return found


async def import_packs(session: AsyncSession, packs: list[PackSpec]) -> ImportReport:
    """Load or update packs in one transaction (the caller's): new lesson text becomes a new version; lessons
    and roles a pack no longer has are retired, and content may move between packs imported together."""
    report = ImportReport()
    for pack in packs:
        await session.merge(Pack(id=pack.id, title=pack.title, source=str(pack.path.resolve()),
                                 imported_at=utcnow(), synonyms=[list(group) for group in pack.synonyms],
                                 phrasing=list(pack.phrasing)))
        report.packs.append(pack.id)
    await session.flush()
    for pack in packs:
        for competency in pack.competencies:
            await session.merge(Competency(id=competency.id, pack_id=pack.id, name=competency.name,
                                           description=competency.description))
        for role in pack.roles:
            await session.merge(Role(id=role.id, pack_id=pack.id, name=role.name))
    await session.flush()
    declared_roles = {role.id for pack in packs for role in pack.roles}
    for pack in packs:
        for role in pack.roles:
            await session.exec(delete(RoleRequirement).where(col(RoleRequirement.role_id) == role.id))
            for competency_id, level in role.requires.items():
                session.add(RoleRequirement(role_id=role.id, competency_id=competency_id, level=level))
        report.retired_roles += await _retire_roles(session, pack.id, declared_roles)
    await session.flush()
    declared = {lesson.id for pack in packs for lesson in pack.lessons}
    for pack in packs:
        await _import_lessons(session, pack, declared, report)
    await catalogue_versions.bump(session, catalogue_versions.CATALOGUE)  # every process's cached copy is stale
    return report


async def _retire_roles(session: AsyncSession, pack_id: str, declared: set[str]) -> list[str]:
    """Roles the pack no longer declares keep their row (people may still hold them) but need nothing."""
    gone = (await session.exec(select(Role.id).where(Role.pack_id == pack_id,
                                                     col(Role.id).not_in(sorted(declared))))).all()
    retired = []
    for role_id in gone:
        result = await session.exec(delete(RoleRequirement).where(col(RoleRequirement.role_id) == role_id))
        if (result.rowcount or 0) > 0:  # type: ignore[attr-defined]
            retired.append(role_id)
    return retired


async def _import_lessons(session: AsyncSession, pack: PackSpec, declared: set[str], report: ImportReport) -> None:
    ids = sorted({spec.id for spec in pack.lessons})
    existing = {lesson.id: lesson for lesson in (await session.exec(
        select(Lesson).where((Lesson.pack_id == pack.id) | col(Lesson.id).in_(ids))
    )).all()}
    current = await _current_checksums(session, list(existing))
    for spec in pack.lessons:
        lesson = existing.pop(spec.id, None)
        if lesson is None:
            lesson = Lesson(id=spec.id, pack_id=pack.id, competency_id=spec.competency, level=spec.level,
                            format=spec.format, minutes=spec.minutes, title=spec.title)
            report.created.append(spec.id)
        elif current.get(spec.id) == (spec.checksum, lesson.active) and lesson.pack_id == pack.id:
            report.unchanged.append(spec.id)
            continue
        else:
            report.updated.append(spec.id)
        lesson.pack_id = pack.id
        _copy_fields(lesson, spec)
        session.add(lesson)
        await session.flush()
        if current.get(spec.id, ("", True))[0] != spec.checksum:
            lesson.current_version_id = await _add_version(session, spec)
    for retired in existing.values():
        if retired.active and retired.id not in declared:  # moved to another pack of this import: not retired
            retired.active = False
            session.add(retired)
            report.retired.append(retired.id)
    await session.flush()


def _copy_fields(lesson: Lesson, spec: LessonSpec) -> None:
    lesson.competency_id = spec.competency
    lesson.level = spec.level
    lesson.format = spec.format
    lesson.minutes = spec.minutes
    lesson.title = spec.title
    lesson.tags = list(spec.tags)
    lesson.asks = list(spec.asks)
    lesson.requires = list(spec.requires)
    lesson.active = True


async def _current_checksums(session: AsyncSession, lesson_ids: list[str]) -> dict[str, tuple[str, bool]]:
    if not lesson_ids:
        return {}
    rows = await session.exec(
        select(Lesson.id, LessonVersion.checksum, Lesson.active)
        .join(LessonVersion, col(LessonVersion.id) == col(Lesson.current_version_id))
        .where(col(Lesson.id).in_(lesson_ids))
    )
    return {lesson_id: (checksum, active) for lesson_id, checksum, active in rows.all()}


async def _add_version(session: AsyncSession, spec: LessonSpec) -> int:
    latest = (await session.exec(
        select(LessonVersion.version).where(LessonVersion.lesson_id == spec.id)
        .order_by(col(LessonVersion.version).desc()).limit(1)
    )).first()
    version = LessonVersion(lesson_id=spec.id, version=(latest or 0) + 1, checksum=spec.checksum,
                            title=spec.title, body=spec.body, media=spec.media, prompt=spec.prompt,
                            source=str(spec.file))
    session.add(version)
    await session.flush()
    assert version.id is not None
    for position, question in enumerate(spec.questions):
        session.add(Question(
            lesson_version_id=version.id, key=question.key, item_key=f"{spec.id}/{question.key}",
            position=position, ask=question.ask, explain=question.explain,
            options=[{"text": o.text, "correct": o.correct} for o in question.options],
        ))
    return version.id


async def known_content(session: AsyncSession, excluding: set[str]) -> KnownContent:
    """What packs other than `excluding` have loaded: what the packs being imported may build on."""
    others = sorted(excluding)
    competencies = (await session.exec(select(Competency.id).where(col(Competency.pack_id).not_in(others)))).all()
    lessons = (await session.exec(select(Lesson.id, Lesson.competency_id, Lesson.level, Lesson.format)
                                  .where(col(Lesson.pack_id).not_in(others), col(Lesson.active)))).all()
    return KnownContent(competencies=frozenset(competencies), lessons=frozenset(row[0] for row in lessons),
                        taught=frozenset((c, lv) for _, c, lv, fmt in lessons if fmt != "reflection"))


async def has_content(session: AsyncSession) -> bool:
    """Whether any pack was ever imported (first start imports the bundled starter pack)."""
    return (await session.exec(select(Pack.id).limit(1))).first() is not None


async def role_ids(session: AsyncSession) -> set[str]:
    return set((await session.exec(select(Role.id))).all())
