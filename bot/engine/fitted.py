"""The mastery model as fitted for this organisation (or its defaults), with the difficulties it needs."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.engine.mastery import MasteryModel, ModelParams
from store import model_params


async def load_model(session: AsyncSession, item_keys: Iterable[str] = ()) -> MasteryModel:
    """The newest fit's parameters and the fitted difficulty of the questions about to be used."""
    stored = await model_params.latest_fit(session)
    params = ModelParams.from_json(stored) if stored else ModelParams.default()
    return MasteryModel(params, await model_params.item_difficulties(session, item_keys))
