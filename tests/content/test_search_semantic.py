"""Optional semantic re-ranking (COACH_SEARCH_MODEL): the real model2vec loading code on a tiny model the test
builds, once per process; the lexical top hits re-scored by closeness; a model that cannot load is one clear
error; off by default. `coach search build-model` distils one offline (the distillation itself needs torch, which
the tests do not have: they check what wraps it)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from model2vec import StaticModel
from typer.testing import CliRunner

from bot.chat.coach import Coach
from bot.config import Settings
from bot.errors import CoachError
from content.search import LessonIndex, SearchDoc
from content.semantic import ModelUnavailable, build_model, load_reranker
from handlers.cli import app
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


def test_build_model_distils_a_local_folder_offline_and_loads_what_it_wrote(tmp_path: Path) -> None:
    source = tmp_path / "minilm"
    source.mkdir()
    (source / "config.json").write_text("{}")
    asked: list[dict[str, object]] = []

    def distil(**arguments: object) -> StaticModel:  # stands in for model2vec's (torch) distillation
        asked.append(arguments)
        return StaticModel.from_pretrained(str(save_tiny_model(tmp_path / "distilled")))

    reranker = build_model(source, tmp_path / "built", dims=64, distil=distil)
    assert asked == [{"model_name": str(source), "pca_dims": 64, "device": "cpu"}]
    assert (tmp_path / "built" / "model.safetensors").is_file() and reranker is load_reranker(str(tmp_path / "built"))
    lexical = LessonIndex(DOCS).search("safety goggles", limit=10)
    assert reranker.rerank("safety goggles", lexical)[0].doc.lesson_id == "eyes"


def test_build_model_refuses_what_it_cannot_build_in_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("someone's file")
    for source, dest, dims, message in ((tmp_path / "nothing", tmp_path / "a", 256, "not a model folder"),
                                        (model, tmp_path / "full", 256, "is not empty"),
                                        (model, tmp_path / "b", 4, "between 8 and 1024")):
        with pytest.raises(ModelUnavailable, match=message):
            build_model(source, dest, dims=dims)
    assert (tmp_path / "full" / "keep.txt").read_text() == "someone's file"
    monkeypatch.setitem(sys.modules, "model2vec.distill", None)  # as where the distill extra is not installed
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailable, match=r"distill extra: pip install 'model2vec\[distill,quantization\]"):
        build_model(model, tmp_path / "c")
    result = CliRunner().invoke(app, ["search", "build-model", str(tmp_path / "nothing"), str(tmp_path / "d")])
    assert result.exit_code == 1 and "error:" in result.output and "not a model folder" in result.output
    assert not (tmp_path / "a").exists() and not (tmp_path / "d").exists()
