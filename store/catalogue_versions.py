"""The counters that tell each process whether its cached catalogue or fitted model is stale.

Whatever changes lessons, questions or roles (`store.catalog.import_packs`) or the fitted model
(`store.model_params.save_fit`) bumps its counter in the same transaction, so a process that sees the old
number also still sees the old rows, and one that sees the new number sees the new rows.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import CatalogueVersion

CATALOGUE = "catalogue"
MODEL = "model"


async def current(session: AsyncSession) -> dict[str, int]:
    """Every counter, in one small query (the rows the migration created; 0 for one that is missing)."""
    found = dict((await session.exec(select(CatalogueVersion.name, CatalogueVersion.version))).all())
    return {CATALOGUE: found.get(CATALOGUE, 0), MODEL: found.get(MODEL, 0)}


async def bump(session: AsyncSession, name: str) -> None:
    """Move one counter on, inside the caller's transaction (the one that changed what it counts)."""
    result = await session.exec(update(CatalogueVersion).where(col(CatalogueVersion.name) == name)
                                .values(version=CatalogueVersion.version + 1))
    if not result.rowcount:  # type: ignore[attr-defined]
        session.add(CatalogueVersion(name=name, version=1))
        await session.flush()
