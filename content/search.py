"""Just-in-time search: which lessons best match the words someone typed (`/learn <words>`, a trigger's topic).

Ranking is BM25 (the `bm25s` library) over each lesson's fields, on the terms of `content.search_terms`
(English stems, amounts made comparable, typos mended against the lessons' own words). Fields weigh
differently: a word in the title or the tags says more than one in the text or the check questions. The
packs' synonyms (`content.synonyms`) let "goggles" find "safety glasses", a little less strongly than the
words typed. The index is built in memory from the lessons it is given — about a tenth of a second for the
starter pack, a second or two for a couple of thousand lessons — and rebuilt only after an import.

Relevance to the words decides. A learner's level and competencies may only reorder near-ties (`prefer`),
and `confident` tells whether the best match is good enough to send without asking.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np

from content.search_terms import Speller, stem, words
from content.synonyms import Concept, Thesaurus

FIELDS = {"title": 3.0, "tags": 2.5, "questions": 0.5, "text": 0.5, "competency": 0.5}
"""Each field's weight in the score."""
SYNONYM = 0.7
"""How much a synonym of a word counts, compared with the word itself."""
MENDED = 0.8
"""How much a typo's correction counts: it is probably, not certainly, the word meant."""
COORD = 1.0
"""Scores are multiplied by coverage to this power (Lucene's classic coordination factor): a lesson about
everything the query says beats one that repeats a single word of it."""
NEAR_TIE = 0.1
"""Hits within this share of the best score count as tied: only then do the learner's preferences matter."""
MIN_COVERAGE = 0.65
"""The best hit must cover at least this share of what the query asks about (weighted by how telling each
word is, see `Hit.coverage`)…"""
MIN_SCORE = 8.0
"""…and score at least this much, or the search offers choices instead of guessing."""


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
    """Share of the query's concepts the lesson mentions (a word or a synonym of it), each weighted by its
    inverse document frequency; a word no lesson uses weighs most, so "lunch menu" is not covered by a
    lesson that only says "menu"."""


def _field(doc: SearchDoc, name: str) -> str:
    if name == "tags":
        return " ; ".join(doc.tags)
    if name == "competency":
        return doc.competency_name
    return str(getattr(doc, name))


class LessonIndex:
    """A BM25 index per field over a fixed set of lessons, with the packs' synonym groups."""

    def __init__(self, docs: Sequence[SearchDoc], synonyms: Sequence[Sequence[str]] = ()) -> None:
        self.docs = list(docs)
        self._retrievers: dict[str, bm25s.BM25] = {}
        self._terms: list[set[str]] = [set() for _ in self.docs]
        self._cache: dict[str, np.ndarray] = {}
        self.thesaurus = Thesaurus(synonyms)
        vocabulary = list(self.thesaurus.words)
        for name in FIELDS:
            field_words = [words(_field(doc, name)) for doc in self.docs]
            tokens = [[stem(word) for word in doc_words] for doc_words in field_words]
            vocabulary += [word for doc_words in field_words for word in set(doc_words)]
            for doc_terms, doc_tokens in zip(self._terms, tokens, strict=True):
                doc_terms.update(doc_tokens)
            if not any(tokens):
                continue  # no lesson has this field (BM25 needs at least one word)
            retriever = bm25s.BM25()
            retriever.index(tokens, show_progress=False)
            self._retrievers[name] = retriever
        self.speller = Speller(vocabulary)
        self._frequency = Counter(term for doc_terms in self._terms for term in doc_terms)

    def search(self, words_typed: str, *, limit: int = 3,
               prefer: Callable[[SearchDoc], tuple[float, ...]] | None = None) -> list[Hit]:
        """The best `limit` lessons for the words, best first. `prefer` (smaller is better) reorders only
        hits whose scores are within `NEAR_TIE` of the best."""
        typed = list(dict.fromkeys(words(words_typed)))
        mended = {word: self.speller.mend(word) for word in typed}
        query = [stem(mended[word] or word) for word in typed]
        if not query or not self.docs:
            return []
        concepts = self.thesaurus.concepts(query)
        doubtful = {stem(fixed) for fixed in mended.values() if fixed}
        coverage = np.array([self._coverage(concepts, doc_terms) for doc_terms in self._terms])
        scores = self._scores(concepts, doubtful) * coverage ** COORD
        order = [int(i) for i in np.argsort(-scores, kind="stable") if scores[i] > 0]
        hits = [Hit(self.docs[i], float(scores[i]), float(coverage[i])) for i in order[:max(limit, 10)]]
        if prefer is not None and hits:
            tied = [h for h in hits if h.score >= hits[0].score * (1 - NEAR_TIE)]
            tied.sort(key=lambda h: (*prefer(h.doc), -h.score))
            hits = tied + hits[len(tied):]
        return hits[:limit]

    def _scores(self, concepts: list[Concept], doubtful: set[str]) -> np.ndarray:
        """Each term once, at the weight of the strongest way the query says it."""
        weights: dict[str, float] = {}
        for concept in concepts:
            for term in concept.typed:
                weights[term] = max(weights.get(term, 0.0), MENDED if term in doubtful else 1.0)
            for phrase in concept.others:
                for term in phrase:
                    weights[term] = max(weights.get(term, 0.0), SYNONYM)
        scores = np.zeros(len(self.docs), dtype=np.float64)
        for term, weight in weights.items():
            scores += weight * self._term_scores(term)
        return scores

    def _term_scores(self, term: str) -> np.ndarray:
        """One term's field-weighted BM25 score in every lesson (cached: the vocabulary is bounded)."""
        if term not in self._frequency:
            return np.zeros(len(self.docs), dtype=np.float64)
        if term not in self._cache:
            scores = np.zeros(len(self.docs), dtype=np.float64)
            for name, retriever in self._retrievers.items():
                scores += FIELDS[name] * retriever.get_scores([term])
            self._cache[term] = scores
        return self._cache[term]

    def _coverage(self, concepts: list[Concept], doc_terms: set[str]) -> float:
        total = covered = 0.0
        for concept in concepts:
            weight = max(self._idf(term) for term in concept.typed)
            total += weight
            if any(all(term in doc_terms for term in way) for way in concept.ways):
                covered += weight
        return covered / total if total else 0.0

    def _idf(self, term: str) -> float:
        count = self._frequency.get(term, 0)
        return math.log(1 + (len(self.docs) - count + 0.5) / (count + 0.5))


def confident(hits: Sequence[Hit]) -> bool:
    """Whether the best match is good enough to send a lesson straight away. Judged on the most relevant hit,
    whichever near-tie the learner's preferences put first."""
    if not hits:
        return False
    best = max(hits, key=lambda hit: hit.score)
    return best.coverage >= MIN_COVERAGE and best.score >= MIN_SCORE
