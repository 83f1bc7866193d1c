"""Queries about what can be learned: importing packs, and finding competencies, roles and lessons."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from content.model import LessonSpec, PackSpec
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


async def import_packs(session: AsyncSession, packs: list[PackSpec]) -> ImportReport:
    """Load or update packs in one transaction (the caller's): new lesson text becomes a new version."""
    report = ImportReport()
    for pack in packs:
        await session.merge(Pack(id=pack.id, title=pack.title, source=str(pack.path), imported_at=utcnow()))
        report.packs.append(pack.id)
    await session.flush()
    for pack in packs:
        for competency in pack.competencies:
            await session.merge(Competency(id=competency.id, pack_id=pack.id, name=competency.name,
                                           description=competency.description))
        for role in pack.roles:
            await session.merge(Role(id=role.id, pack_id=pack.id, name=role.name))
    await session.flush()
    for pack in packs:
        for role in pack.roles:
            await session.exec(delete(RoleRequirement).where(col(RoleRequirement.role_id) == role.id))
            for competency_id, level in role.requires.items():
                session.add(RoleRequirement(role_id=role.id, competency_id=competency_id, level=level))
    await session.flush()
    for pack in packs:
        await _import_lessons(session, pack, report)
    return report


async def _import_lessons(session: AsyncSession, pack: PackSpec, report: ImportReport) -> None:
    existing = {
        lesson.id: lesson
        for lesson in (await session.exec(select(Lesson).where(Lesson.pack_id == pack.id))).all()
    }
    current = await _current_checksums(session, pack.id)
    for spec in pack.lessons:
        lesson = existing.pop(spec.id, None)
        if lesson is None:
            lesson = Lesson(id=spec.id, pack_id=pack.id, competency_id=spec.competency, level=spec.level,
                            format=spec.format, minutes=spec.minutes, title=spec.title)
            report.created.append(spec.id)
        elif current.get(spec.id) == (spec.checksum, lesson.active):
            report.unchanged.append(spec.id)
            continue
        else:
            report.updated.append(spec.id)
        _copy_fields(lesson, spec)
        session.add(lesson)
        await session.flush()
        if current.get(spec.id, ("", True))[0] != spec.checksum:
            lesson.current_version_id = await _add_version(session, spec)
    for retired in existing.values():
        if retired.active:
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
    lesson.requires = list(spec.requires)
    lesson.active = True


async def _current_checksums(session: AsyncSession, pack_id: str) -> dict[str, tuple[str, bool]]:
    rows = await session.exec(
        select(Lesson.id, LessonVersion.checksum, Lesson.active)
        .join(LessonVersion, col(LessonVersion.id) == col(Lesson.current_version_id))
        .where(Lesson.pack_id == pack_id)
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


async def has_content(session: AsyncSession) -> bool:
    """Whether any pack was ever imported (first start imports the bundled starter pack)."""
    return (await session.exec(select(Pack.id).limit(1))).first() is not None


async def role_ids(session: AsyncSession) -> set[str]:
    return set((await session.exec(select(Role.id))).all())
