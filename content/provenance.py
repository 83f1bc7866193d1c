"""Whether importing a pack folder updates the stored pack with the same id, or would take over another
pack's id.

The database remembers the folder each pack was last imported from. Importing the same pack id from another
folder is the same pack in a new place when
- the folder it was imported from no longer holds a pack with that id (the pack was moved or renamed), or
- the new folder carries on at least half of the lessons the stored pack has (a copy of it, such as an
  adapted starter pack).
Otherwise two different packs claim one id, and importing the second would retire the first one's lessons
and take over its competencies and roles: the import is refused.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from content.model import PackSpec, Problem
from content.reader import declared_pack_id


def takeover_problem(pack: PackSpec, stored_source: str, stored_lessons: Collection[str]) -> Problem | None:
    """A FILE:LINE problem at pack.yaml's `id:` when `pack` would take over a different pack's id; None when
    it is the same pack (same folder, moved, or a copy that keeps most of its lessons)."""
    old = Path(stored_source).resolve() if stored_source else None
    if old is None or old == pack.path.resolve() or declared_pack_id(old) != pack.id:
        return None
    kept = len(set(stored_lessons) & {lesson.id for lesson in pack.lessons})
    if 2 * kept >= len(stored_lessons):
        return None
    return Problem(pack.manifest, pack.line,
                   f"pack id '{pack.id}' belongs to the pack imported from {old}, which still holds it and whose "
                   f"lessons this folder does not have ({kept} of {len(stored_lessons)}); give this pack its "
                   "own id, or import that folder")
