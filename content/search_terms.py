"""The words search compares: amounts made comparable, filler words dropped, English stems, typos mended.

The same analysis runs over lessons and queries, so that "approving purchases" meets "Who approves a
purchase?", "$5,000", "5000", "5k" and "€5.000" are one term, and "phising emial" still finds the phishing
lesson. Typos are mended only against words the lessons (or the pack's synonyms) actually use.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

import Stemmer

AMOUNT_TERM = "#amount"
"""Added for every sum of money ("$3,200", "5k", "40 euros"): questions about spending meet lessons about it."""

_FILLER = """
a about above after again against all am an and any are as at be because been before being below between
both but by can could did do does doing during each few for from further had has have having he her
here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
now of on once only or other our ours ourselves own same she should so some such than that the
their theirs them themselves then there these they this those through to too until very was we were
what when where which while who whom why will with would you your yours yourself yourselves
s t d ll m re ve don doesn didn isn aren wasn weren won cannot cant dont doesnt didnt isnt arent wasnt werent
wont shouldnt couldnt wouldnt im ive id
need needs want wants wanted please help thing things stuff something someone somebody anyone anything
ok okay way also get got
"""
STOPWORDS = frozenset(_FILLER.split())
"""Function words, and the filler of questions ("how do I need to …", "someone wants something"): they say
nothing about the topic, and left in they let any lesson that uses them win."""

_CURRENCY = r"[$€£¥]|\b(?:usd|eur|gbp|chf)\b"
_TOKEN = re.compile(
    r"(?P<word>(?!(?:usd|eur|gbp|chf)\b)[^\W\d_][^\W_]*)|"  # most tokens: a word that starts with a letter
    rf"(?:(?P<before>{_CURRENCY})\s?)?(?<![\w.,])"
    r"(?P<number>\d{1,3}(?:[,.\u00a0\u202f']\d{3})+|\d+)(?:[.,](?P<cents>\d{1,2}))?"
    r"(?:\s?(?P<scale>k|thousand|million)\b|(?!\w))"
    rf"(?:\s?(?P<after>{_CURRENCY}|\b(?:dollars?|euros?|pounds?|bucks)\b))?"
    r"|(?P<other>[^\W_]+)",
    re.IGNORECASE,
)
"""A word, or a number with thousands separators of any locale ("5,000", "5.000", "5'000", a non-breaking
space), decimals, a "k" or "thousand", and a currency before or after it."""
_SCALES = {"k": 1_000, "thousand": 1_000, "million": 1_000_000}
_STEMMER = Stemmer.Stemmer("english")
_OWN_STEMS = {
    "accessible": "accessibl", "accessibility": "accessibl", "inaccessible": "accessibl",
    "presentation": "presentation", "presentations": "presentation",
    "training": "training", "trainings": "training",
}
"""Words the English stemmer would merge with another word that means something else here: "accessible"
documents are not "access" rights, a "presentation" is not a "present", "training" is not a "train"."""


def words(text: str) -> list[str]:
    """Lower-cased words without filler, amounts as whole numbers ("$5,000" -> "5000", "#amount")."""
    found: list[str] = []
    for match in _TOKEN.finditer(text.lower()):
        word = match.group("word") or match.group("other")
        if word is None:
            found += _amount_words(match)
        elif len(word) > 1 and word not in STOPWORDS:
            found.append(word)
    return found


def _amount_words(match: re.Match[str]) -> list[str]:
    scale = (match.group("scale") or "").lower()
    whole = re.sub(r"\D", "", match.group("number"))
    number = float(f"{whole}.{match.group('cents') or 0}")
    value = round(number * _SCALES.get(scale, 1))
    if match.group("before") or match.group("after") or scale:
        return [str(value), AMOUNT_TERM]
    return [str(value)] if value >= 10 else []  # "level 1", "step 2": not worth a term


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    if word.startswith("#") or word.isdigit():
        return word
    return _OWN_STEMS.get(word) or _STEMMER.stemWord(word)


def terms(text: str) -> list[str]:
    """The stemmed terms of a text, in order (repeats kept: they count in BM25)."""
    return [stem(w) for w in words(text)]


class Speller:
    """Mends a query word that no lesson uses into the closest word that one does (one slip, or two in a word of
    TWO_SLIPS letters or more), preferring the word more lessons use."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self.counts = Counter(vocabulary)
        self.stems = {stem(w) for w in self.counts}
        self._by_length: dict[int, list[str]] = {}
        for word in self.counts:
            if not word.isdigit() and not word.startswith("#"):
                self._by_length.setdefault(len(word), []).append(word)

    def knows(self, word: str) -> bool:
        return stem(word) in self.stems

    def mend(self, word: str) -> str | None:
        """The word meant, or None when the word is known, too short to guess, or like nothing known."""
        if self.knows(word) or len(word) < 5 or word.isdigit() or word.startswith("#"):
            return None
        allowed = 1 if len(word) < TWO_SLIPS else 2
        best: tuple[int, int, str] | None = None
        for length in range(len(word) - allowed, len(word) + allowed + 1):
            for known in self._by_length.get(length, ()):
                distance = edit_distance(word, known, allowed)
                if distance <= allowed:
                    candidate = (distance, -self.counts[known], known)
                    best = candidate if best is None or candidate < best else best
        return best[2] if best else None


TWO_SLIPS = 9
"""Most typos are one slip. Two slips in a shorter word leave too few letters right to tell a typo from another
word: "overtime" is two slips from "override", "internet" from "internal", "dialling" from "calling"."""


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (insert, delete, substitute, swap two neighbours); anything above
    `limit` is reported as limit + 1 without finishing the table."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]
