"""Importing packs: idempotent, edits make new versions, and answers keep the version they answered."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from bot.chat.coach import Coach
from bot.imports.packs import PackProblems, import_content
from content.packs import STARTER
from store.db import Database
from store.models import Answer, Lesson, LessonVersion, Pack, Question, RoleRequirement
from tests.support.org import load_sample_org


async def count(database: Database, model: type) -> int:
    async with database.session() as session:
        return (await session.exec(select(func.count()).select_from(model))).one()


async def test_import_twice_changes_nothing(empty_db: Database) -> None:
    first = await import_content(empty_db, [STARTER])
    versions = await count(empty_db, LessonVersion)
    second = await import_content(empty_db, [STARTER])
    assert len(first.created) >= 80 and not first.updated
    assert second.created == [] and second.updated == [] and len(second.unchanged) == len(first.created)
    assert await count(empty_db, LessonVersion) == versions


async def test_edited_lesson_gets_new_version_and_old_answers_keep_theirs(
    coach: Coach, db: Database, tmp_path: Path
) -> None:
    ids = await load_sample_org(db, tmp_path)
    ben = ids["ben@example.com"]
    reply = await coach.command(ben, "")
    card = reply.messages[0]
    await coach.press(ben, "answer", card.options[0].value, via="test")
    async with db.session() as session:
        answer = (await session.exec(select(Answer))).one()
        old_version = await session.get(LessonVersion, answer.lesson_version_id)
        assert old_version is not None
        lesson_id, old_text = old_version.lesson_id, old_version.body

    pack = tmp_path / "starter"
    shutil.copytree(STARTER, pack)
    lesson_file = next(p for p in pack.rglob("*.md") if f"id: {lesson_id}\n" in p.read_text())
    lesson_file.write_text(lesson_file.read_text() + "\nOne more sentence added by L&D.\n")
    report = await import_content(db, [pack])
    assert report.updated == [lesson_id]

    async with db.session() as session:
        lesson = await session.get(Lesson, lesson_id)
        assert lesson is not None
        current = await session.get(LessonVersion, lesson.current_version_id)
        assert current is not None and current.version == 2 and "One more sentence" in current.body
        answer = (await session.exec(select(Answer))).one()
        answered = await session.get(LessonVersion, answer.lesson_version_id)
        assert answered is not None and answered.version == 1 and answered.body == old_text
        question = await session.get(Question, answer.question_id)
        assert question is not None and question.lesson_version_id == answered.id
        questions_now = (await session.exec(select(func.count()).select_from(Question)
                                            .where(col(Question.lesson_version_id) == current.id))).one()
        assert questions_now >= 2


async def test_removed_lesson_is_retired_not_deleted(empty_db: Database, tmp_path: Path) -> None:
    pack = tmp_path / "starter"
    shutil.copytree(STARTER, pack)
    await import_content(empty_db, [pack])
    victim = pack / "procurement" / "3-fix-the-friction.md"
    victim.unlink()
    report = await import_content(empty_db, [pack])
    assert report.retired == ["procurement-fix-the-friction"]
    async with empty_db.session() as session:
        lesson = await session.get(Lesson, "procurement-fix-the-friction")
        assert lesson is not None and lesson.active is False


async def test_a_broken_pack_imports_nothing(empty_db: Database, tmp_path: Path) -> None:
    pack = tmp_path / "starter"
    shutil.copytree(STARTER, pack)
    (pack / "broken.md").write_text("---\nid: broken\n---\nno competency\n")
    with pytest.raises(PackProblems) as caught:
        await import_content(empty_db, [pack])
    assert any(p.file.name == "broken.md" for p in caught.value.problems)
    assert await count(empty_db, Lesson) == 0


def other_pack(root: Path, *, lesson_id: str, competency: str = "procurement", declare: bool = False) -> Path:
    pack = root / "other"
    pack.mkdir(parents=True)
    manifest = "id: other\ntitle: Other\nroles: []\n"
    manifest += (f"competencies:\n  - id: {competency}\n    name: Takeover\n" if declare
                 else "competencies: []\n")
    (pack / "pack.yaml").write_text(manifest)
    (pack / "lesson.md").write_text(
        f"---\nid: {lesson_id}\ncompetency: {competency}\nlevel: 1\nformat: text\nquestions:\n"
        "  - ask: Which?\n    options: [a, {text: b, correct: true}]\n---\nBody.\n")
    return pack


async def test_another_packs_ids_are_refused_as_file_line_problems(db: Database, tmp_path: Path) -> None:
    steal_lesson = other_pack(tmp_path / "a", lesson_id="procurement-first-purchase-order")
    with pytest.raises(PackProblems) as caught:
        await import_content(db, [STARTER, steal_lesson])  # validated together: a duplicate id
    assert "duplicate lesson id" in caught.value.problems[0].message
    with pytest.raises(PackProblems) as caught:
        await import_content(db, [steal_lesson])  # alone: the database knows the starter owns it
    problem = caught.value.problems[0]
    assert problem.file.name == "lesson.md" and problem.line == 2
    assert "lesson 'procurement-first-purchase-order' already belongs to pack 'starter'" in problem.message
    takeover = other_pack(tmp_path / "b", lesson_id="fresh-one", declare=True)
    with pytest.raises(PackProblems) as caught:
        await import_content(db, [takeover])
    assert "competency 'procurement' already belongs to pack 'starter'" in caught.value.problems[0].message
    async with db.session() as session:
        lesson = await session.get(Lesson, "procurement-first-purchase-order")
    assert lesson is not None and lesson.pack_id == "starter"


async def test_a_lesson_moves_between_packs_imported_together(db: Database, tmp_path: Path) -> None:
    starter = tmp_path / "starter"
    shutil.copytree(STARTER, starter)
    moved = starter / "procurement" / "3-fix-the-friction.md"
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "pack.yaml").write_text("id: extra\ntitle: Extra\ncompetencies: []\nroles: []\n")
    shutil.move(moved, extra / moved.name)
    (starter / "pack.yaml").write_text((starter / "pack.yaml").read_text().replace(
        "  - id: team-lead\n    name: Team lead\n    requires: {feedback: 2, career: 2, inclusion: 2, infosec: 2, "
        "privacy: 1, customer: 1}\n", ""))
    report = await import_content(db, [starter, extra])
    assert "procurement-fix-the-friction" not in report.retired and report.retired_roles == ["team-lead"]
    async with db.session() as session:
        lesson = await session.get(Lesson, "procurement-fix-the-friction")
        requirements = (await session.exec(select(RoleRequirement).where(RoleRequirement.role_id == "team-lead"))).all()
    assert lesson is not None and lesson.pack_id == "extra" and lesson.active
    assert requirements == []


def same_id_pack(folder: Path, lesson_id: str) -> Path:
    """A pack with the id 'shared' and one lesson, in `folder`."""
    folder.mkdir(parents=True)
    (folder / "pack.yaml").write_text("id: shared\ntitle: Shared\nroles: []\ncompetencies:\n"
                                      f"  - id: comp-{lesson_id}\n    name: C\n")
    (folder / "lesson.md").write_text(
        f"---\nid: {lesson_id}\ncompetency: comp-{lesson_id}\nlevel: 1\nformat: text\nquestions:\n"
        "  - ask: Which?\n    options: [a, {text: b, correct: true}]\n---\nBody.\n")
    return folder


async def test_another_folder_reusing_a_pack_id_is_refused_and_changes_nothing(
        empty_db: Database, tmp_path: Path) -> None:
    first = same_id_pack(tmp_path / "pa", "lesson-a")
    second = same_id_pack(tmp_path / "pb", "lesson-b")
    await import_content(empty_db, [first])
    with pytest.raises(PackProblems) as caught:
        await import_content(empty_db, [second])
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == (second / "pack.yaml", 1)
    assert f"pack id 'shared' belongs to the pack imported from {first}" in problem.message
    async with empty_db.session() as session:
        pack = await session.get(Pack, "shared")
        lesson = await session.get(Lesson, "lesson-a")
        assert await session.get(Lesson, "lesson-b") is None
    assert pack is not None and pack.source == str(first) and lesson is not None and lesson.active


async def test_a_moved_pack_folder_updates_the_same_pack(empty_db: Database, tmp_path: Path) -> None:
    old = same_id_pack(tmp_path / "old-place", "lesson-a")
    await import_content(empty_db, [old])
    new = tmp_path / "new-place"
    old.rename(new)
    report = await import_content(empty_db, [new])
    assert report.unchanged == ["lesson-a"] and report.retired == []
    async with empty_db.session() as session:
        pack = await session.get(Pack, "shared")
    assert pack is not None and pack.source == str(new)
