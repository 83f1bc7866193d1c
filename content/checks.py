"""Checks across lessons and packs: ids, competencies, `requires`, and whether roles can be taught."""

from __future__ import annotations

from content.model import KnownContent, LessonSpec, PackSpec, Problem


def check_packs(packs: list[PackSpec], problems: list[Problem], known: KnownContent = KnownContent()) -> None:
    """Append every cross-file problem; the per-file ones were found while reading. `known` is what other,
    already loaded packs provide (competencies, lessons to require, levels taught)."""
    _unique_packs(packs, problems)
    competencies = _declared_competencies(packs, problems) | known.competencies
    _check_roles(packs, competencies, problems)
    lessons = _unique_lessons(packs, problems)
    for lesson in lessons.values():
        if lesson.competency and lesson.competency not in competencies:
            problems.append(Problem(lesson.file, lesson.line_of("competency"),
                                    f"unknown competency '{lesson.competency}' (declare it in a pack.yaml)"))
        for required in lesson.requires:
            if required not in lessons and required not in known.lessons:
                problems.append(Problem(lesson.file, lesson.line_of("requires"),
                                        f"requires unknown lesson '{required}'"))
    _check_cycles(lessons, problems)
    _check_teachable(packs, lessons, competencies, known.taught, problems)


def _unique_packs(packs: list[PackSpec], problems: list[Problem]) -> None:
    """Two folders with one pack id would overwrite each other on import, the second retiring the first's
    lessons: report it at the second one's `id:`."""
    seen: dict[str, PackSpec] = {}
    for pack in packs:
        first = seen.setdefault(pack.id, pack) if pack.id else pack
        if first is not pack:
            problems.append(Problem(pack.manifest, pack.line, f"duplicate pack id '{pack.id}' (first in "
                                                              f"{first.manifest}:{first.line}); give each pack "
                                                              "its own id"))


def _declared_competencies(packs: list[PackSpec], problems: list[Problem]) -> set[str]:
    seen: dict[str, PackSpec] = {}
    for pack in packs:
        for competency in pack.competencies:
            if competency.id in seen:
                problems.append(Problem(pack.manifest, competency.line,
                                        f"competency '{competency.id}' is already declared in "
                                        f"{seen[competency.id].manifest}"))
            seen.setdefault(competency.id, pack)
    return set(seen)


def _check_roles(packs: list[PackSpec], competencies: set[str], problems: list[Problem]) -> None:
    seen: dict[str, PackSpec] = {}
    for pack in packs:
        for role in pack.roles:
            if role.id in seen:
                problems.append(Problem(pack.manifest, role.line,
                                        f"role '{role.id}' is already declared in {seen[role.id].manifest}"))
            seen.setdefault(role.id, pack)
            for competency in role.requires:
                if competency not in competencies:
                    problems.append(Problem(pack.manifest, role.line,
                                            f"role '{role.id}' requires undeclared competency '{competency}'"))


def _unique_lessons(packs: list[PackSpec], problems: list[Problem]) -> dict[str, LessonSpec]:
    lessons: dict[str, LessonSpec] = {}
    for pack in packs:
        for lesson in pack.lessons:
            if not lesson.id:
                continue
            first = lessons.get(lesson.id)
            if first is not None:
                problems.append(Problem(lesson.file, lesson.line,
                                        f"duplicate lesson id '{lesson.id}' (first in {first.file}:{first.line})"))
                continue
            lessons[lesson.id] = lesson
    return lessons


def _check_cycles(lessons: dict[str, LessonSpec], problems: list[Problem]) -> None:
    """Report each `requires` cycle once, at the lesson where the walk closed it."""
    done: set[str] = set()
    reported: set[frozenset[str]] = set()

    def walk(lesson_id: str, path: list[str]) -> None:
        if lesson_id in path:
            cycle = path[path.index(lesson_id):]
            if frozenset(cycle) not in reported:
                reported.add(frozenset(cycle))
                lesson = lessons[path[-1]]
                problems.append(Problem(lesson.file, lesson.line_of("requires"),
                                        "requires forms a cycle: " + " -> ".join([*cycle, lesson_id])))
            return
        if lesson_id in done or lesson_id not in lessons:
            return
        for required in lessons[lesson_id].requires:
            walk(required, [*path, lesson_id])
        done.add(lesson_id)

    for lesson_id in lessons:
        walk(lesson_id, [])


def _check_teachable(packs: list[PackSpec], lessons: dict[str, LessonSpec], competencies: set[str],
                     known: frozenset[tuple[str, int]], problems: list[Problem]) -> None:
    """A role must never need a level that no graded lesson teaches: the engine could not get anyone there."""
    taught = {(lesson.competency, lesson.level) for lesson in lessons.values() if lesson.graded} | known
    for pack in packs:
        for role in pack.roles:
            for competency, level in role.requires.items():
                missing = [lv for lv in range(1, level + 1) if (competency, lv) not in taught]
                if missing and competency in competencies:
                    problems.append(Problem(
                        pack.manifest, role.line,
                        f"role '{role.id}' needs {competency} level {level}, but no graded lesson teaches "
                        f"{competency} at level {', '.join(map(str, missing))}"))
