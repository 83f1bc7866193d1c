"""Just-in-time search: which lessons best match the words someone typed (`/learn <words>`, a trigger's topic).

Ranking is BM25 (the `bm25s` library) over each lesson's fields, on the terms of `content.search_terms`
(English stems, amounts made comparable, typos mended against the lessons' own words). Fields weigh
differently: a word in the title or the tags says more than one in the text or the check questions. The
packs' synonyms (`content.synonyms`) let "goggles" find "safety glasses", a little less strongly than the
words typed. The index is built in memory from the lessons it is given — about a tenth of a second for the
starter pack, a second or two for a couple of thousand lessons — and rebuilt only after an import.

Lessons' example questions (`asks:`, what employees type when they need the lesson) are a field of their own,
weighted like the title, and a query that one example question says on its own counts up to twice. The way a
question is phrased ("what do I do if", "someone keeps": `content.phrasing`) is dropped before matching.

Relevance to the words decides. A learner's level and competencies may only reorder near-ties (`prefer`), an
organisation's evidence (`learned`, from `store.search_log`) lifts or drops the lessons its people confirmed or
rejected for these words, and `judge` tells whether to send the best match, offer the close ones, or say that
nothing fits. Sending without asking needs more than a high score: the lesson must be *about* the query's words
(say them in its title, tags or example questions, not only in passing) and, when it covers only part of the
query, about its key concept — so that a question sharing only everyday words with a lesson ("bank account",
"order", "expenses") is offered choices, not sent a lesson.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import bm25s
import numpy as np

from content.phrasing import Phrasing
from content.search_terms import Speller, stem, terms, words
from content.synonyms import Concept, Thesaurus

FIELDS = {"asks": 2.0, "title": 3.0, "tags": 2.5, "questions": 0.5, "text": 0.5, "competency": 0.5}
"""Each field's weight in the score. `asks` are the authors' example questions: what people type."""
HEADLINE = ("asks", "title", "tags")
"""The fields that say what a lesson is about; the text and the check questions also mention other things."""
IN_PASSING = 0.5
"""How much a query word counts towards a lesson's topical coverage when the lesson only mentions it in passing
(in its text or check questions, not in the title, tags or example questions)."""
SYNONYM = 0.7
"""How much a synonym of a word counts, compared with the word itself."""
MENDED = 0.8
"""How much a typo's correction counts: it is probably, not certainly, the word meant."""
COORD = 1.0
"""Scores are multiplied by coverage to this power (Lucene's classic coordination factor): a lesson about
everything the query says beats one that repeats a single word of it."""
ASKED = 1.0
"""Scores are multiplied by 1 + ASKED × the share of the query that one of the lesson's example questions
says on its own: a query worded like an ask the author wrote is very likely that lesson."""
NEAR_TIE = 0.1
"""Hits within this share of the best score count as tied: only then do the learner's preferences matter."""
MIN_COVERAGE = 0.65
"""To be sent without asking, the best hit must cover at least this share of what the query asks about
(weighted by how telling each word is, see `Hit.coverage`)…"""
MIN_SCORE = 2.0
"""…score at least this much once the score is multiplied by the share of the query the lesson is *about*
(`Hit.topical`): a lesson that says two of three words only in passing ("submit" in its text, "expenses" in a
check question's option) is not sent for "submit my travel expenses"…

Scores are in units of the inverse document frequency of a word that one lesson of the pack says
(`LessonIndex.unit`), not raw BM25: BM25 grows with the log of the number of lessons, so a threshold in raw
points set on the 88-lesson starter pack (where the unit is 4.1 points and this is 8.2) would never be reached in
a pack of five lessons (unit 1.4), however well a lesson matched. In these units the bar means the same in
both: about two distinctive words said where a lesson says what it is about."""
CLOSE = NEAR_TIE
"""…and beat the next lesson by more than this share of its score; otherwise the two are close, and the
person chooses. Close means what a near tie means (`NEAR_TIE`): a lesson the learner's preferences could put
first is one to choose between. It was 0.2: chosen leave-one-set-out (`bench/search_confidence.py`), every
fold took 0.05, sending more at once and no more off-topic; 0.1 keeps the near tie's meaning and was right
more often on the set left out (docs/operations.md)."""
CLEAR_COVERAGE = 0.5
CLEAR_LEAD = 0.5
"""A hit that covers less (at least CLEAR_COVERAGE) is still sent when it scores twice MIN_SCORE, the next
lesson scores at most CLEAR_LEAD of it, and either one of its example questions alone says at least
CLEAR_COVERAGE of the query (its author foresaw the question) or it is about the query's key concept (`Hit.key`).
Otherwise the part of the query the lesson leaves out may be what the query is about: "the bank account my
salary goes into" is not a supplier's bank details when another lesson is about salaries."""
NOTHING_COVERAGE = 0.4
"""Below this coverage (or a quarter of MIN_SCORE) even the best hit is about something else: the coach says
plainly that nothing fits."""
OFFER = 0.5
"""Choices offered are the hits scoring at least this share of the best."""
LEARNED = 0.1
"""A lesson the organisation confirmed for the words scores above the best by this share per unit of evidence."""
REJECTED = 0.5
"""A lesson the organisation rejected for the words keeps this share of its score."""

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
    asks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    doc: SearchDoc
    score: float
    coverage: float
    """Share of the query's concepts the lesson mentions, each weighted by its inverse document frequency; a
    word no lesson uses weighs most, so "lunch menu" is not covered by a lesson that only says "menu". A
    concept the lesson says only through a synonym counts SYNONYM, as in the score: a synonym is probably,
    not certainly, what the person meant."""
    topical: float = 0.0
    """The same share, a word the lesson mentions only in passing (in its text or check questions, not in its
    title, tags or example questions) counting IN_PASSING: how much of the query the lesson is about."""
    asked: float = 0.0
    """The same share for the one example question (`asks:`) of the lesson that covers most of the query."""
    key: bool = True
    """Whether the lesson is about (says in its title, tags or example questions) the query's key concept, the
    one the fewest lessons are about (`LessonIndex.key_concept`); true when no lesson is about any of them."""
    learned: float = 0.0
    """The organisation's evidence that this lesson answers these words (see `store.search_log`)."""
    similarity: float | None = None
    """Closeness to the words in the semantic model, when one re-ranked the hits (`content.semantic`)."""


def _pieces(doc: SearchDoc, name: str) -> list[str]:
    """A field's texts: each tag and each example question on its own, so that no phrase spans two of them."""
    if name in ("tags", "asks"):
        return list(getattr(doc, name))
    return [doc.competency_name if name == "competency" else str(getattr(doc, name))]


def _grams(tokens: Sequence[str], longest: int) -> set[tuple[str, ...]]:
    """Every run of up to `longest` neighbouring terms: the ways a text can say a concept."""
    return {tuple(tokens[i:i + size]) for size in range(1, longest + 1) for i in range(len(tokens) - size + 1)}


class LessonIndex:
    """A BM25 index per field over a fixed set of lessons, with the packs' synonym groups and phrasing."""

    def __init__(self, docs: Sequence[SearchDoc], synonyms: Sequence[Sequence[str]] = (),
                 phrasing: Sequence[str] = ()) -> None:
        self.docs = list(docs)
        self._retrievers: dict[str, bm25s.BM25] = {}
        self.thesaurus = Thesaurus(synonyms)
        self.phrasing = Phrasing(phrasing)
        longest = max(self.thesaurus.longest, 1)
        self._said: list[set[tuple[str, ...]]] = [set() for _ in self.docs]
        """What each lesson says: its terms and runs of neighbouring terms (a phrase counts where it is said)."""
        self._headline: list[set[tuple[str, ...]]] = [set() for _ in self.docs]
        self._asks = [[_grams(terms(ask), longest) for ask in doc.asks] for doc in self.docs]
        self._cache: dict[str, np.ndarray] = {}
        vocabulary = list(self.thesaurus.words)
        for name in FIELDS:
            field_words = [[words(piece) for piece in _pieces(doc, name)] for doc in self.docs]
            pieces = [[[stem(word) for word in piece] for piece in doc_pieces] for doc_pieces in field_words]
            tokens = [[term for piece in doc_pieces for term in piece] for doc_pieces in pieces]
            vocabulary += [word for doc_pieces in field_words for word in {w for piece in doc_pieces for w in piece}]
            for i, doc_pieces in enumerate(pieces):
                said = set().union(*(_grams(piece, longest) for piece in doc_pieces))
                self._said[i] |= said
                if name in HEADLINE:
                    self._headline[i] |= said
            if not any(tokens):
                continue  # no lesson has this field (BM25 needs at least one word)
            retriever = bm25s.BM25()
            retriever.index(tokens, show_progress=False)
            self._retrievers[name] = retriever
        self.speller = Speller(vocabulary)
        self._frequency = Counter(gram[0] for said in self._said for gram in said if len(gram) == 1)
        self.unit = self._idf_of(1)
        """What a word that one lesson says weighs: scores are given in this unit (see MIN_SCORE)."""

    def query(self, words_typed: str) -> Query:
        """What search matches of the words: its terms without phrasing, typos mended."""
        typed = list(dict.fromkeys(words(self.phrasing.strip(words_typed))))
        mended = {word: self.speller.mend(word) for word in typed}
        return Query(tuple(stem(mended[word] or word) for word in typed),
                     frozenset(stem(fixed) for fixed in mended.values() if fixed))

    def search(self, words_typed: str, *, limit: int = 3,
               prefer: Callable[[SearchDoc], tuple[float, ...]] | None = None,
               learned: Mapping[str, float] | None = None) -> list[Hit]:
        """The best `limit` lessons for the words, best first. `prefer` (smaller is better) reorders only
        hits whose scores are within `NEAR_TIE` of the best; `learned` is the organisation's evidence for
        these words, lesson id -> weight (see `LEARNED`)."""
        query = self.query(words_typed)
        if not query.terms or not self.docs:
            return []
        concepts = self.thesaurus.concepts(query.terms)
        coverage = np.array([self._coverage(concepts, said) for said in self._said])
        topical = np.array([self._coverage(concepts, headline, also=said, weight=IN_PASSING)
                            for headline, said in zip(self._headline, self._said, strict=True)])
        asked = np.array([max((self._coverage(concepts, ask) for ask in asks), default=0.0)
                          for asks in self._asks])
        scores = self._scores(concepts, query.doubtful) / self.unit * coverage ** COORD * (1 + ASKED * asked)
        weights = np.array([(learned or {}).get(doc.lesson_id, 0.0) for doc in self.docs])
        if weights.any():
            scores = _with_evidence(scores, weights)
        order = [int(i) for i in np.argsort(-scores, kind="stable") if scores[i] > 0]
        key = self.key_concept(concepts)
        hits = [Hit(self.docs[i], float(scores[i]), float(coverage[i]), float(topical[i]), float(asked[i]),
                    key is None or _says(key, self._headline[i]), float(weights[i]))
                for i in order[:max(limit, 10)]]
        if prefer is not None and hits:
            tied = [h for h in hits if h.score >= hits[0].score * (1 - NEAR_TIE)]
            tied.sort(key=lambda h: (*prefer(h.doc), -h.score))
            hits = tied + hits[len(tied):]
        return hits[:limit]

    def key_concept(self, concepts: list[Concept]) -> Concept | None:
        """The concept of the query that the fewest lessons are about (say in their title, tags or example
        questions), the rarer word first on a tie; None when no lesson is about any. It is the most telling
        thing the query asks that the pack teaches: "salary" in "change the bank account my salary goes into",
        where several lessons are about bank details and one mentions salaries."""
        about = [(sum(_says(concept, headline) for headline in self._headline), concept) for concept in concepts]
        about = [(count, -max(self._idf(term) for term in concept.typed), concept) for count, concept in about if count]
        return min(about, key=lambda found: found[:2])[2] if about else None

    def _scores(self, concepts: list[Concept], doubtful: frozenset[str]) -> np.ndarray:
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

    def _coverage(self, concepts: list[Concept], said: set[tuple[str, ...]], *,
                  also: set[tuple[str, ...]] = frozenset(), weight: float = 0.0) -> float:
        """The IDF-weighted share of the concepts that `said` says (only by a synonym: SYNONYM); those only
        `also` says count `weight`."""
        total = covered = 0.0
        for concept in concepts:
            idf = max(self._idf(term) for term in concept.typed)
            total += idf
            if concept.typed in said:
                covered += idf
            elif _says(concept, said):
                covered += SYNONYM * idf
            elif weight and _says(concept, also):
                covered += weight * idf
        return covered / total if total else 0.0

    def _idf(self, term: str) -> float:
        return self._idf_of(self._frequency.get(term, 0))

    def _idf_of(self, count: int) -> float:
        """The inverse document frequency of a word that `count` lessons say (as bm25s weighs it)."""
        return math.log(1 + (len(self.docs) - count + 0.5) / (count + 0.5))


def _says(concept: Concept, said: set[tuple[str, ...]]) -> bool:
    """Whether a text says the concept in one of its ways (a phrase as a phrase: "say my name" is not said by a
    lesson that says "say" in one sentence and "name" in another)."""
    return any(way in said for way in concept.ways)


@dataclass(frozen=True)
class Query:
    """A query as search matches it: stemmed terms in order, and those that are typo corrections."""

    terms: tuple[str, ...]
    doubtful: frozenset[str] = frozenset()

    @property
    def key(self) -> str:
        """The same for "MFA prompts keep coming" and "keep getting MFA prompts?": what evidence is filed under."""
        return " ".join(sorted(set(self.terms)))


def _with_evidence(scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Lessons the organisation's people confirmed for these words rise to the top (the more evidence, the
    higher); lessons they rejected drop below every lesson that was not rejected."""
    top = float(scores.max()) if scores.size else 0.0
    lifted = np.where(weights > 0, np.maximum(scores, top) * (1 + LEARNED * weights), scores)
    return np.where(weights < 0, lifted * REJECTED, lifted)


class Verdict(StrEnum):
    """What the coach does with a search's hits."""

    SURE = "sure"
    """Send the best lesson straight away."""
    CHOOSE = "choose"
    """Offer the close hits as choices."""
    NOTHING = "nothing"
    """Say plainly that no lesson fits."""


def judge(hits: Sequence[Hit]) -> Verdict:
    """Sure when the most relevant hit covers the query, is about what it covers, scores well and clearly beats
    the next one (or the organisation confirmed it for these words); nothing when even the best hit is about
    something else; else choices. Judged on the most relevant hit, whichever near-tie the learner's preferences
    put first. See MIN_COVERAGE to CLEAR_LEAD for the rules and why."""
    if not hits:
        return Verdict.NOTHING
    ranked = sorted(hits, key=lambda hit: -hit.score)
    best = ranked[0]
    if best.learned > 0:
        return Verdict.SURE
    if best.coverage < NOTHING_COVERAGE or best.score < MIN_SCORE / 4:
        return Verdict.NOTHING
    lead = ranked[1].score / best.score if len(ranked) > 1 else 0.0
    covered = best.coverage >= MIN_COVERAGE and best.score * best.topical >= MIN_SCORE and lead <= 1 - CLOSE
    clear = (best.coverage >= CLEAR_COVERAGE and (best.asked >= CLEAR_COVERAGE or best.key)
             and best.score >= 2 * MIN_SCORE and lead <= CLEAR_LEAD)
    return Verdict.SURE if (covered or clear) and best.learned >= 0 else Verdict.CHOOSE


def confident(hits: Sequence[Hit]) -> bool:
    """Whether the best match is good enough to send a lesson straight away (see `judge`)."""
    return judge(hits) is Verdict.SURE


def choices(hits: Sequence[Hit]) -> list[Hit]:
    """The hits worth offering when the coach is not sure: those close enough to the best."""
    top = max((hit.score for hit in hits), default=0.0)
    return [hit for hit in hits if hit.score >= top * OFFER]
