"""Optional semantic re-ranking of search hits with a small static embedding model (model2vec).

Lexical search (`content.search`) finds lessons that share words with the query; a static embedding model also
knows that "goggles" and "eye protection" or "prompt bombing" and "MFA fatigue" are close. When
`COACH_SEARCH_MODEL` names a model — a local folder saved by model2vec, or a model id that model2vec can fetch
— the lexical top hits are re-scored: each keeps its lexical score weighted by how close the lesson's title,
tags and example questions are to the words typed, relative to the closest of them. The verdict
(`content.search.judge`) then reads the combined scores, so the semantic confidence and the lexical one
decide together. Off when unset; model2vec needs only numpy, safetensors and tokenizers (no torch), and is the
optional extra `pip install -e '.[search]'`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from content.search import Hit, SearchDoc

if TYPE_CHECKING:
    from model2vec import StaticModel

WEIGHT = 0.5
"""Share of a hit's score that depends on its semantic closeness: 0 is lexical only, 1 semantic only."""


class ModelUnavailable(RuntimeError):
    """COACH_SEARCH_MODEL is set but the model cannot be loaded: said once, at start-up, in words."""


class SemanticReranker:
    """Re-scores lexical hits by the closeness of each lesson to the query in the model's embedding space."""

    def __init__(self, model: StaticModel) -> None:
        self.model = model
        self._lessons: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], np.ndarray] = {}

    def rerank(self, words: str, hits: Sequence[Hit]) -> list[Hit]:
        """The hits re-scored and re-ordered, best first; lexical scores of 0 stay 0."""
        if not hits:
            return []
        query = self._unit(self.model.encode([words]))[0]
        closeness = np.clip(np.array([float(self._lesson_vector(hit.doc) @ query) for hit in hits]), 0.0, None)
        top = float(closeness.max())
        relative = closeness / top if top > 0 else np.ones(len(hits))
        scored = [replace(hit, score=hit.score * (1 - WEIGHT + WEIGHT * float(share)), similarity=float(near))
                  for hit, share, near in zip(hits, relative, closeness, strict=True)]
        return sorted(scored, key=lambda hit: -hit.score)

    def _lesson_vector(self, doc: SearchDoc) -> np.ndarray:
        key = (doc.lesson_id, doc.title, doc.tags, doc.asks)
        if key not in self._lessons:
            texts = [doc.title, *doc.tags, *doc.asks]
            vectors = self._unit(self.model.encode(texts))
            self._lessons[key] = self._unit(vectors.mean(axis=0, keepdims=True))[0]
        return self._lessons[key]

    @staticmethod
    def _unit(vectors: np.ndarray) -> np.ndarray:
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms > 0, norms, 1.0)


@cache
def load_reranker(name: str) -> SemanticReranker:
    """The re-ranker for the model `name`, loaded once per process: a folder (a path that starts with '/', './',
    '../' or '~' is never looked up on the model hub), or a model id that model2vec fetches and caches."""
    try:
        from model2vec import StaticModel
    except ImportError as exc:
        raise ModelUnavailable("COACH_SEARCH_MODEL is set, but model2vec is not installed: "
                               "pip install -e '.[search]', or unset COACH_SEARCH_MODEL") from exc
    folder = Path(name).expanduser()
    if name.startswith(("/", "./", "../", "~")) and not folder.is_dir():
        raise ModelUnavailable(f"COACH_SEARCH_MODEL={name!r} could not be loaded: there is no such folder")
    try:
        return SemanticReranker(StaticModel.from_pretrained(str(folder) if folder.is_dir() else name,
                                                            force_download=False))
    except Exception as exc:  # a missing folder, a broken file, a hub that cannot be reached: one clear error
        raise ModelUnavailable(f"COACH_SEARCH_MODEL={name!r} could not be loaded ({exc.__class__.__name__}: "
                               f"{exc}); give a model2vec folder or model id, or unset it") from exc
