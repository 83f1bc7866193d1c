"""Just-in-time search quality on the starter pack: right lesson first, sent directly, never sure off-topic.

    python bench/search.py

Loads the bundled starter pack into a throwaway SQLite database, builds the search index the bot uses, and
runs every query set of tests/search_queries.py. For each set it prints:

- top-1: share of queries whose first hit is a lesson an L&D author would accept;
- sent: share of queries answered directly (confident: the lesson is sent without asking);
- right when sent: share of those direct answers that are an accepted lesson;
- and, for the off-topic queries, how many were answered confidently (must be 0).

The blind sets (HELD_OUT, FRESH, NEW) were written by people who did not see the ranking code, and nothing was
tuned on them; TUNING and AUDIT were looked at while tuning, so they show less. The figures say how often the
ranking is right on these queries against this pack; they say nothing about another company's pack or words.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.catalog_import import import_content
from content.packs import STARTER
from content.search import Hit, LessonIndex, confident
from store import search
from store.db import Database
from tests import search_queries as sets

Queries = Sequence[tuple[str, frozenset[str]]]
Search = Callable[[str], list[Hit]]


async def starter_index() -> LessonIndex:
    """The index the bot builds, from the starter pack as imported into a fresh database."""
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{folder}/bench.db")
        await database.ensure_schema()
        await import_content(database, [STARTER])
        async with database.session() as session:
            index = LessonIndex(await search.lesson_documents(session), await search.synonym_groups(session),
                                await search.pack_phrasing(session))
        await database.dispose()
    return index


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


def line(name: str, result: dict[str, float]) -> str:
    return (f"{name:<22} {int(result['n']):>4}   top-1 {result['top1']:6.1%}   sent {result['sent']:6.1%}   "
            f"right when sent {result['right_when_sent']:6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tuning", action="store_true", help="only the sets that may be looked at while tuning")
    tuning_only = parser.parse_args().tuning
    index = asyncio.run(starter_index())

    def find(query: str) -> list[Hit]:
        return index.search(query)

    blind = [("HELD_OUT", sets.HELD_OUT), ("FRESH", sets.FRESH), ("NEW", sets.NEW)]
    tuned = [("TUNING", sets.TUNING), ("AUDIT", sets.AUDIT)]
    if not tuning_only:
        print("blind sets (never tuned on)")
        for name, queries in blind:
            print(line(name, figures(find, queries)))
        print(line("all blind", figures(find, [q for _, queries in blind for q in queries])))
    print("sets looked at while tuning")
    for name, queries in tuned:
        print(line(name, figures(find, queries)))
    off_topic = sets.OFF_TOPIC + sets.NEW_OFF_TOPIC
    sure = [query for query in off_topic if confident(find(query))]
    print(f"off-topic answered confidently: {len(sure)} of {len(off_topic)}" + (f" {sure}" if sure else ""))


if __name__ == "__main__":
    main()
