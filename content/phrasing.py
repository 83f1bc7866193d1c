"""How people phrase a question, as opposed to what they ask about: "how do I", "someone keeps", "is it ok to".

Search drops these phrases from a query before it matches lessons, so that "what do I do if someone keeps
sending me MFA prompts" is judged on "sending MFA prompts" and not marked down for "keeps". The phrases are a
bundled list of everyday English question openers (`FILLER`), which a pack extends with `phrasing.yaml` next
to pack.yaml: a list of phrases its people use ("quick question", "asking for a friend"). Question words that
carry intent ("who", "how long", "refuse", "report") are not filler and stay in the query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from content import limits
from content.model import Problem
from content.synonyms import load_list_file

FILE = "phrasing.yaml"

FILLER = (
    # asking how
    "how do i", "how do you", "how do we", "how can i", "how can we", "how should i", "how should we",
    "how would i", "how to", "what is the best way to", "what's the best way to", "best way to",
    "the right way to", "is there a way to", "any tips on", "any tips for", "tips on", "tips for",
    "any advice on", "any advice", "advice on", "can you help me", "can you help", "help me",
    "i need help with", "i need help", "i'd like to know", "i want to know", "i would like to know",
    "tell me about", "quick question", "just wondering", "i was wondering", "wondering if",
    # asking what to do
    "what do i do if", "what do i do when", "what do i do about", "what do i do", "what should i do if",
    "what should i do when", "what should i do about", "what should i do", "what do we do if",
    "what do we do", "what now", "what happens if", "what happens when", "what am i supposed to do",
    "what are we supposed to do", "am i supposed to", "are we supposed to", "supposed to",
    # asking permission
    "is it ok to", "is it ok if", "is it okay to", "is it okay if", "is it alright to", "is it all right to",
    "is it fine to", "is it acceptable to", "am i allowed to", "are we allowed to", "is it allowed to",
    "can i", "can we", "could i", "should i", "should we", "do i have to", "do we have to",
    "do i need to", "do we need to", "do i", "i have to", "i need to", "i want to", "i'd like to",
    "i would like to", "i'm trying to", "i am trying to", "trying to",
    # telling what happened
    "someone keeps", "somebody keeps", "someone is", "somebody is", "someone has", "there is someone",
    "keeps on", "keep on", "i think", "i guess", "i just", "i'm not sure", "not sure if", "not sure",
    "i don't know", "i dont know", "don't know", "dont know", "what to do", "anymore", "right now",
    "at the moment", "basically", "kind of", "sort of",
)
"""Everyday question openers and hedges; none of them says what a lesson is about."""


def read_phrasing(folder: Path, problems: list[Problem]) -> list[str]:
    """The phrases in `folder/phrasing.yaml` (none when there is no such file); problems as FILE:LINE."""
    path = folder / FILE
    data = load_list_file(path, "phrasing.yaml is a list of phrases, e.g. - quick question", problems)
    phrases = []
    for i in range(len(data)):
        phrase = (data.as_written(i) or "").strip()
        if not phrase or "\n" in phrase or len(phrase) > limits.TAG:
            problems.append(Problem(path, data.line_of(i), f"a phrase is text of at most {limits.TAG} characters "
                                                           f"on one line, not {data[i]!r}"))
        elif not _WORD.search(phrase):
            problems.append(Problem(path, data.line_of(i), f"'{phrase}' has no words"))
        else:
            phrases.append(phrase)
    return phrases


_WORD = re.compile(r"[^\W_]+")


class Phrasing:
    """Removes question phrasing from a query, longest phrase first, on word boundaries."""

    def __init__(self, phrases: Iterable[str] = ()) -> None:
        patterns = {r"[\W_]+".join(_WORD.findall(phrase.lower())) for phrase in (*FILLER, *phrases)} - {""}
        ordered = sorted(patterns, key=lambda pattern: (-len(pattern), pattern))
        self._filler = re.compile(rf"(?<![^\W_])(?:{'|'.join(ordered)})(?![^\W_])", re.IGNORECASE)

    def strip(self, query: str) -> str:
        """The query without its phrasing; the words that say what it is about stay in order."""
        return self._filler.sub(" ", query.replace("’", "'"))
