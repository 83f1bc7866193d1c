"""Just-in-time search quality on the starter pack: right lesson first, sent directly, never sure off-topic.

    python bench/search.py

Loads the bundled starter pack into a throwaway SQLite database, builds the search index the bot uses, and
runs the query sets that tests/content/search_queries.py names (`BLIND`, `BLIND_OFF_TOPIC`, `TUNED`, `CHECKS`:
adding a set there adds its line here). For each on-topic set it prints:

- top-1: share of queries whose first hit is a lesson an L&D author would accept;
- sent: share of queries answered directly (confident: the lesson is sent without asking);
- right when sent: share of those direct answers that are an accepted lesson;

and for each off-topic set how many were answered confidently (must be 0); then all blind sets together.

The blind sets were written by people who did not see the ranking code, and each was measured before anyone
tuned on it (the first three have since been studied: see search_queries.BLIND); the tuned sets and the
checks were looked at while tuning, so they show less. The figures say how often the ranking is right on these
queries against this pack; they say nothing about another company's pack or words.

    python bench/search.py --model PATH_OR_ID      # also with semantic re-ranking by that model2vec model
    python bench/search.py --model synthetic       # the cost of a model shaped like potion-base-8M

With a model it also prints what re-ranking costs: the memory the loaded model takes (resident set growth) and
the median time per query with and without it, measured in the same run over every query, as a ratio. The
synthetic model has random vectors of potion-base-8M's shape (29,528 tokens x 256 dimensions, float32) and a
word-level tokenizer: its cost is representative, its quality figures are meaningless and are not printed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from content.search import Hit, LessonIndex, confident
from content.semantic import load_reranker
from tests.content import search_queries as sets
from tests.support.starter_search import starter_index

Queries = Sequence[tuple[str, frozenset[str]]]
Search = Callable[[str], list[Hit]]


def figures(find: Search, queries: Queries) -> dict[str, float]:
    """top-1, sent directly and right-when-sent shares for one query set."""
    top = sent = right = 0
    for query, wanted in queries:
        hits = find(query)
        hit = bool(hits) and hits[0].doc.lesson_id in wanted
        top += hit
        if confident(hits):
            sent += 1
            right += hit
    return {"n": len(queries), "top1": top / len(queries), "sent": sent / len(queries),
            "right_when_sent": right / sent if sent else 1.0}


def resident_mb() -> float:
    """This process's resident memory, in MB (Linux)."""
    for row in Path("/proc/self/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1]) / 1024
    return float("nan")


def synthetic_model(folder: Path, vocabulary: list[str]) -> str:
    """A model2vec model shaped like potion-base-8M with random vectors, saved in `folder`."""
    import numpy as np
    from model2vec import StaticModel
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    words = ["[UNK]", "[PAD]", *sorted(set(vocabulary))]
    words += [f"token{i}" for i in range(SYNTHETIC_VOCABULARY - len(words))]
    tokenizer = Tokenizer(models.WordLevel({word: i for i, word in enumerate(words)}, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    vectors = np.random.default_rng(7).standard_normal((len(words), 256)).astype(np.float32)
    StaticModel(vectors, tokenizer).save_pretrained(str(folder))
    return str(folder)


SYNTHETIC_VOCABULARY = 29_528


def cost(index: LessonIndex, model: str, queries: list[str], rounds: int = 5) -> tuple[float, float, float]:
    """(MB the loaded model adds, median ms per query lexical, median ms per query re-ranked)."""
    before = resident_mb()
    reranker = load_reranker(model)
    for doc in index.docs:  # the lesson vectors are part of what the model costs
        reranker.rerank(doc.title, [Hit(doc, 1.0, 1.0)])
    grown = resident_mb() - before
    lexical: list[float] = []
    reranked: list[float] = []
    for _ in range(rounds):  # alternate, so that noise hits both alike
        for query in queries:
            start = time.perf_counter()
            hits = index.search(query, limit=10)
            middle = time.perf_counter()
            reranker.rerank(query, hits)
            lexical.append(middle - start)
            reranked.append(time.perf_counter() - start)
    return grown, statistics.median(lexical) * 1000, statistics.median(reranked) * 1000


def line(name: str, result: dict[str, float]) -> str:
    return (f"{name:<22} {int(result['n']):>4}   top-1 {result['top1']:6.1%}   sent {result['sent']:6.1%}   "
            f"right when sent {result['right_when_sent']:6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tuning", action="store_true", help="only the sets that may be looked at while tuning")
    parser.add_argument("--model", help="a model2vec folder or id, or 'synthetic': measure semantic re-ranking")
    arguments = parser.parse_args()
    tuning_only = arguments.tuning
    index = asyncio.run(starter_index())
    reranker = None
    if arguments.model:
        everything = [q for name in sets.BLIND + sets.TUNED for q, _ in getattr(sets, name)]
        everything += [q for name in sets.BLIND_OFF_TOPIC + sets.CHECKS for q in getattr(sets, name)]
        with tempfile.TemporaryDirectory() as folder:
            model = arguments.model
            if model == "synthetic":
                model = synthetic_model(Path(folder) / "synthetic", list(index.speller.counts))
            grown, lexical, reranked = cost(index, model, everything)
            reranker = load_reranker(model)
        print(f"semantic re-ranking ({arguments.model}): model in memory {grown:.0f} MB; per query "
              f"{lexical:.2f} ms lexical, {reranked:.2f} ms re-ranked = {reranked / lexical:.2f}x, "
              f"median of {len(everything)} queries x 5")
        if arguments.model == "synthetic":
            return

    def find(query: str) -> list[Hit]:
        hits = index.search(query, limit=10 if reranker else 3)
        return (reranker.rerank(query, hits) if reranker else hits)[:3]

    if not tuning_only:
        print("blind sets")
        report(find, sets.BLIND, sets.BLIND_OFF_TOPIC, together="all blind")
    print("sets looked at while tuning, and off-topic checks written with the rules")
    report(find, sets.TUNED, sets.CHECKS)


def report(find: Search, on_topic: Sequence[str], off_topic: Sequence[str], together: str = "") -> None:
    """A line per named set of tests/content/search_queries.py and, if `together` names it, one for all."""
    for name in on_topic:
        print(line(name, figures(find, getattr(sets, name))))
    for name in off_topic:
        print(off_line(name, getattr(sets, name), find))
    if together:
        print(line(together, figures(find, [q for name in on_topic for q in getattr(sets, name)])))
        print(off_line(together + " off-topic", [q for name in off_topic for q in getattr(sets, name)], find))


def off_line(name: str, queries: Sequence[str], find: Search) -> str:
    sure = [query for query in queries if confident(find(query))]
    return f"{name:<22} {len(queries):>4}   answered confidently {len(sure)}" + (f" {sure}" if sure else "")


if __name__ == "__main__":
    main()
