"""Just-in-time search: which lessons best match the words someone typed (`/learn <words>`, a trigger's topic).

Ranking is BM25 (the `bm25s` library) over each lesson's fields with English Snowball stemming (PyStemmer),
so "approving purchases" finds "Who approves a purchase?". Fields weigh differently: a word in the title or
the tags says more than one in the text or the check questions. The index is built in memory from the
lessons it is given; rebuilding it for a few thousand lessons takes milliseconds.

Relevance to the words decides. A learner's level and competencies may only reorder near-ties (`prefer`),
and `confident` tells whether the best hit is good enough to send without asking.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
import Stemmer

FIELDS = {"title": 3.0, "tags": 2.5, "questions": 0.5, "text": 0.5, "competency": 0.5}
"""Each field's weight in the score."""
NEAR_TIE = 0.1
"""Hits within this share of the best score count as tied: only then do the learner's preferences matter."""
MIN_COVERAGE = 0.6
"""The best hit must contain at least this share of the query's distinct (stemmed) words…"""
MIN_SCORE = 8.0
"""…and score at least this much, or the search offers choices instead of guessing."""

_STEMMER = Stemmer.Stemmer("english")


@dataclass(frozen=True)
class SearchDoc:
    """What search knows of a lesson."""

    lesson_id: str
    title: str
    competency: str
    level: int
    tags: tuple[str, ...] = ()
    text: str = ""
    questions: str = ""
    competency_name: str = ""


@dataclass(frozen=True)
class Hit:
    doc: SearchDoc
    score: float
    coverage: float
    """Share of the query's distinct stemmed words that occur anywhere in the lesson."""


def terms(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stop words removed, stemmed: the same for lessons and for queries."""
    return bm25s.tokenize(list(texts), stopwords="en", stemmer=_STEMMER.stemWords, return_ids=False,
                          show_progress=False)


def _field(doc: SearchDoc, name: str) -> str:
    if name == "tags":
        return " ; ".join(doc.tags)
    if name == "competency":
        return doc.competency_name
    return str(getattr(doc, name))


class LessonIndex:
    """A BM25 index per field over a fixed set of lessons."""

    def __init__(self, docs: Sequence[SearchDoc]) -> None:
        self.docs = list(docs)
        self._retrievers: dict[str, bm25s.BM25] = {}
        self._words: list[set[str]] = [set() for _ in self.docs]
        if not self.docs:
            return
        for name in FIELDS:
            tokens = terms([_field(doc, name) for doc in self.docs])
            for words, doc_tokens in zip(self._words, tokens, strict=True):
                words.update(doc_tokens)
            if not any(tokens):
                continue  # no lesson has this field (BM25 needs at least one word)
            retriever = bm25s.BM25()
            retriever.index(tokens, show_progress=False)
            self._retrievers[name] = retriever

    def search(self, words: str, *, limit: int = 3,
               prefer: Callable[[SearchDoc], tuple[float, ...]] | None = None) -> list[Hit]:
        """The best `limit` lessons for the words, best first. `prefer` (smaller is better) reorders only
        hits whose scores are within `NEAR_TIE` of the best."""
        query = list(dict.fromkeys(terms([words])[0]))
        if not query or not self.docs:
            return []
        scores = np.zeros(len(self.docs), dtype=np.float64)
        for name, retriever in self._retrievers.items():
            scores += FIELDS[name] * retriever.get_scores(query)
        order = [int(i) for i in np.argsort(-scores, kind="stable") if scores[i] > 0]
        hits = [Hit(self.docs[i], float(scores[i]), len(self._words[i].intersection(query)) / len(query))
                for i in order[:max(limit, 10)]]
        if prefer is not None and hits:
            tied = [h for h in hits if h.score >= hits[0].score * (1 - NEAR_TIE)]
            tied.sort(key=lambda h: (*prefer(h.doc), -h.score))
            hits = tied + hits[len(tied):]
        return hits[:limit]


def confident(hits: Sequence[Hit]) -> bool:
    """Whether the best hit matches well enough to send it straight away."""
    return bool(hits) and hits[0].coverage >= MIN_COVERAGE and hits[0].score >= MIN_SCORE
