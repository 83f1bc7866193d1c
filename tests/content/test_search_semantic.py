"""Optional semantic re-ranking (COACH_SEARCH_MODEL): the real model2vec loading code on a tiny model the test
builds, once per process; the lexical top hits re-scored by closeness; a model that cannot load is one clear
error; off by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.chat.coach import Coach
from bot.config import Settings
from bot.errors import CoachError
from content.search import LessonIndex, SearchDoc
from content.semantic import load_reranker
from store.db import Database
from tests.support.tiny_model import save_tiny_model

DOCS = [
    SearchDoc("signs", "Safety signs", "safety", 1, ("warning sign",)),
    SearchDoc("eyes", "Safety for your eyes", "safety", 1, ("eye protection",)),
    SearchDoc("invoices", "Pay an invoice", "procurement", 1, ("bank payment",)),
]


def test_the_model_reorders_the_lexical_hits_by_meaning(tmp_path: Path) -> None:
    reranker = load_reranker(str(save_tiny_model(tmp_path / "tiny")))
    index = LessonIndex(DOCS)
    lexical = index.search("safety goggles", limit=10)
    assert [hit.doc.lesson_id for hit in lexical] == ["signs", "eyes"]  # a tie: "safety" is all they share
    reranked = reranker.rerank("safety goggles", lexical)
    assert [hit.doc.lesson_id for hit in reranked] == ["eyes", "signs"]  # goggles are eye protection
    assert reranked[0].similarity is not None and reranked[0].similarity > reranked[1].similarity  # type: ignore[operator]
    assert reranked[0].score == pytest.approx(lexical[1].score)  # the closest keeps its lexical score
    assert reranked[1].score < lexical[0].score / 1.5 and reranker.rerank("anything", []) == []


async def test_coach_search_model_loads_once_per_process_and_fails_in_words(db: Database, tmp_path: Path) -> None:
    folder = str(save_tiny_model(tmp_path / "tiny"))
    settings = Settings(COACH_DATABASE_URL=db.url, COACH_SEARCH_MODEL=folder)
    first, second = Coach(db, settings), Coach(db, settings)
    assert first.reranker is not None and first.reranker is second.reranker
    assert Coach(db, Settings(COACH_DATABASE_URL=db.url)).reranker is None  # off by default
    (tmp_path / "empty").mkdir()
    for broken in ("missing", "empty"):  # a path is never looked up on the model hub: no network
        with pytest.raises(CoachError, match=r"COACH_SEARCH_MODEL=.*could not be loaded"):
            Coach(db, Settings(COACH_DATABASE_URL=db.url, COACH_SEARCH_MODEL=str(tmp_path / broken)))
