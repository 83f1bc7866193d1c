"""A pack's synonyms: the words employees type for what its lessons call something else.

`synonyms.yaml`, next to pack.yaml, is a list of groups; each group is words or phrases that mean the same
thing at work ("vendor" and "supplier"; "goggles" and "safety glasses"). A query that says any of them is
also a query for the others, a little less strongly than for what was typed. L&D extends the list with the
company's own words (the purchasing system's name, what people call the service desk).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from content import limits
from content.located_yaml import LocatedList, YamlSyntaxError, load
from content.model import Problem
from content.search_terms import terms, words

FILE = "synonyms.yaml"


def read_synonyms(folder: Path, problems: list[Problem]) -> list[tuple[str, ...]]:
    """The groups in `folder/synonyms.yaml` (none when there is no such file); problems as FILE:LINE."""
    path = folder / FILE
    data = load_list_file(path, "synonyms.yaml is a list of groups, e.g. - [vendor, supplier]", problems)
    return [group for i in range(len(data)) if (group := _group(path, data, i, problems))]


def load_list_file(path: Path, shape: str, problems: list[Problem]) -> LocatedList:
    """The YAML list in an optional pack file (empty when the file is absent or has problems, as FILE:LINE);
    `shape` tells the author what the file should hold."""
    if not path.is_file():
        return LocatedList()
    try:
        data = load(path.read_text(encoding="utf-8"))
    except YamlSyntaxError as exc:
        problems.append(Problem(path, exc.line, str(exc)))
        return LocatedList()
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(path, 1, f"cannot read the file as UTF-8 text: {exc}"))
        return LocatedList()
    if data is None:
        return LocatedList()
    if not isinstance(data, LocatedList):
        problems.append(Problem(path, 1, shape))
        return LocatedList()
    return data


def _group(path: Path, groups: LocatedList, index: int, problems: list[Problem]) -> tuple[str, ...]:
    line = groups.line_of(index)
    group = groups[index]
    if not isinstance(group, LocatedList) or len(group) < 2:
        problems.append(Problem(path, line, "a synonym group is a list of two or more words or phrases, "
                                            "e.g. - [vendor, supplier]"))
        return ()
    phrases = []
    for i in range(len(group)):
        phrase = (group.as_written(i) or "").strip()
        where = group.line_of(i)
        if not phrase or "\n" in phrase or len(phrase) > limits.TAG:
            problems.append(Problem(path, where, f"a synonym is a word or a phrase of at most {limits.TAG} "
                                                 f"characters on one line, not {group[i]!r}"))
        elif not terms(phrase):
            problems.append(Problem(path, where, f"'{phrase}' has no word that search uses (words like 'the' "
                                                 "or 'how' are left out)"))
        else:
            phrases.append(phrase)
    return tuple(phrases) if len(phrases) >= 2 else ()


@dataclass(frozen=True)
class Concept:
    """One thing a query asks about: the terms typed, and other ways of saying it (all stemmed)."""

    typed: tuple[str, ...]
    others: tuple[tuple[str, ...], ...] = ()

    @property
    def ways(self) -> tuple[tuple[str, ...], ...]:
        return (self.typed, *self.others)


class Thesaurus:
    """The synonym groups of all loaded packs, matched against a query's stemmed terms."""

    def __init__(self, groups: Iterable[Sequence[str]]) -> None:
        self._others: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
        self.words: list[str] = []
        """Every word of every synonym, unstemmed (a typo may be meant as one of them)."""
        for group in groups:
            self.words += [word for phrase in group for word in words(phrase)]
            phrases = {tuple(terms(phrase)) for phrase in group} - {()}
            for phrase in phrases:
                self._others.setdefault(phrase, set()).update(phrases - {phrase})
        self.longest = max(map(len, self._others), default=0)
        """The most terms in one synonym phrase."""

    def concepts(self, query: Sequence[str]) -> list[Concept]:
        """The query's terms grouped into concepts, left to right, the longest known phrase first: "flexible
        schedule" is one concept, which a lesson on workplace adjustments covers as well as one that says it."""
        found: list[Concept] = []
        i = 0
        while i < len(query):
            for size in range(min(self.longest, len(query) - i), 0, -1):
                phrase = tuple(query[i:i + size])
                if phrase in self._others:
                    found.append(Concept(phrase, tuple(sorted(self._others[phrase]))))
                    i += size
                    break
            else:
                found.append(Concept((query[i],)))
                i += 1
        return _once(found)


def _once(concepts: list[Concept]) -> list[Concept]:
    """The concepts without those whose terms another concept already says: a word typed twice ("changed
    *banks*, update my *bank* details") is asked about once, not weighed twice against a lesson's coverage."""
    kept: list[Concept] = []
    for i, concept in enumerate(concepts):
        within = any(set(concept.typed) <= set(other.typed) and (len(other.typed) > len(concept.typed) or j < i)
                     for j, other in enumerate(concepts) if j != i)
        if not within:
            kept.append(concept)
    return kept
