"""Lessons to target and retention: the live coach against a fair role course, on simulated learners.

    python bench/learning.py [--seeds 5] [--learners 40] [--cap 90] [--populations novice,mixed,experienced]
    python bench/learning.py --quick      # 2 seeds x 12 learners: a development mode, not the issue's protocol

For every population (how much of their role people already know) and seed, a cohort of simulated learners
(bot/demo/learners.py; every parameter and its source in docs/engine.md) uses the real coach through `/learn`
once a working day; fresh copies of the same learners sit the role course (the role's competencies, levels
1..target in level order, each lesson once a pass, passes until the targets or the cap) and the whole
catalogue in catalogue order. Two stopping rules (STOPS), each printed as a line; the bars read on the first:
- symmetric: each arm is charged until it knows the learner is there and the learner truly is — the coach
  until its own model counts every target met and the hidden skill meets them, a course to the end of the
  first whole pass after which the hidden skill meets them;
- oracle: both stopped at the first graded lesson after which the hidden skill meets every target.
A learner not there by the cap counts as the cap in every median and ratio.

Printed per population and rule: median lessons of the coach, role course and catalogue course with the ratios
coach / role course (of the medians, pooled, and the range of the per-seed ratios); learners not reached;
learners the role course reached and the coach did not. Then what the coach's lessons were, and the true
chance of a right answer on target-level questions 30 and 90 days after each arm's symmetric stop: staying
with the coach (its maintenance reviews), left alone at the stop, and after the role course.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.demo.cohort import Figures, cohort
from bot.demo.population import POPULATIONS
from bot.demo.trial import HORIZONS


def capped(values: list[int | None], cap: int) -> list[int]:
    """Unreached learners count as failures at the cap."""
    return [cap if v is None else v for v in values]


STOPS = {
    "symmetric": ("coach", "role_course", "catalogue"),
    "oracle": ("coach_oracle", "role_course_oracle", "catalogue_oracle"),
}
"""The two ways the arms are charged (bot.demo.trial, bot.demo.courses; docs/engine.md, "How it performs"):
symmetric — each arm until it knows the learner is there and the learner truly is (the coach: its own model
counts every target met and the hidden skill meets them; a course: the end of the first whole pass after which
the hidden skill meets them); oracle — both stopped the moment the hidden skill first meets the targets, which
no real course can do. The bars read on the symmetric line."""


def stop_lines(stop: str, runs: list[list[Figures]], cap: int) -> list[str]:
    """Lessons to target, ratios and unreached learners under one stopping rule."""
    coach_of, role_of, catalogue_of = (lambda f, name=name: getattr(f, name) for name in STOPS[stop])
    everyone = [f for run in runs for f in run]
    coach = statistics.median(capped([coach_of(f) for f in everyone], cap))
    course = statistics.median(capped([role_of(f) for f in everyone], cap))
    catalogue = statistics.median(capped([catalogue_of(f) for f in everyone], cap))
    per_seed = [statistics.median(capped([coach_of(f) for f in run], cap))
                / statistics.median(capped([role_of(f) for f in run], cap)) for run in runs]
    worse = sum(capped([coach_of(f)], cap)[0] > capped([role_of(f)], cap)[0] for f in everyone)
    lost = sum(coach_of(f) is None and role_of(f) is not None for f in everyone)
    return [
        f"  [{stop} stop] lessons to target, median: coach {coach:g}, role course {course:g}, catalogue {catalogue:g}",
        f"    ratio coach / role course: {coach / course:.2f} (per seed {min(per_seed):.2f}-{max(per_seed):.2f}); "
        f"coach / catalogue {coach / catalogue:.2f}; the coach needed more for {worse}/{len(everyone)}",
        f"    not reached: coach {sum(coach_of(f) is None for f in everyone)}, role course "
        f"{sum(role_of(f) is None for f in everyone)}, catalogue {sum(catalogue_of(f) is None for f in everyone)}; "
        f"reached by the role course but not the coach: {lost}",
    ]


def report(population: str, runs: list[list[Figures]], cap: int) -> list[str]:
    """The lines printed for one population (runs: one list of learners per seed)."""
    everyone = [f for run in runs for f in run]
    kinds: Counter[str] = sum((f.kinds for f in everyone), Counter())
    after: Counter[str] = sum((f.after for f in everyone), Counter())
    graded = sum(kinds.values()) or 1
    lines = [
        f"{population} ({len(runs)} seeds x {len(runs[0])} learners, cap {cap})",
        *stop_lines("symmetric", runs, cap),
        *stop_lines("oracle", runs, cap),
        "  coach's lessons until the symmetric stop: " + ", ".join(
            f"{kind} {count / graded:.0%}" for kind, count in kinds.most_common()),
        f"  after the stop, 90 days with the coach: {sum(after.values()) / len(everyone):.1f} lessons a learner ("
        + ", ".join(f"{kind} {count}" for kind, count in after.most_common()) + ")",
    ]
    for stop, prefix in (("symmetric", ""), ("oracle", "oracle_")):
        for days in HORIZONS:
            with_coach = statistics.mean(getattr(f, f"{prefix}with_coach")[days] for f in everyone)
            alone = statistics.mean(getattr(f, f"{prefix}left_alone")[days] for f in everyone)
            role = statistics.mean(getattr(f, f"{prefix}after_role_course")[days] for f in everyone)
            lines.append(f"  [{stop} stop] retention +{days} d after each arm's stop: with reviews {with_coach:.1%}, "
                         f"without {alone:.1%} ({(with_coach - alone) * 100:+.1f} points), role course {role:.1%} "
                         f"({(with_coach - role) * 100:+.1f} points)")
    return lines


def _scratch() -> str | None:
    """A memory-backed folder when there is one: the cohorts' SQLite files commit after every answer."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() else None


QUICK = (2, 12)
"""`--quick`: seeds and learners per population, to iterate in minutes; not the issue's protocol."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--learners", type=int, default=40)
    parser.add_argument("--cap", type=int, default=90)
    parser.add_argument("--populations", default=",".join(POPULATIONS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true",
                        help=f"development mode: {QUICK[0]} seeds x {QUICK[1]} learners (not the issue's protocol)")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.learners = QUICK
        print(f"QUICK DEVELOPMENT MODE: {args.seeds} seeds x {args.learners} learners, not the issue's protocol "
              "(5 x 40); too few to read the bars on", flush=True)
    populations = args.populations.split(",")
    started = time.perf_counter()
    spawn = get_context("spawn")
    with tempfile.TemporaryDirectory(dir=_scratch()) as folder, ProcessPoolExecutor(args.workers, spawn) as pool:
        jobs = {(population, seed): pool.submit(cohort, Path(folder) / f"{population}-{seed}.db", population, seed,
                                                 args.learners, args.cap)
                for population in populations for seed in range(1, args.seeds + 1)}
        for population in populations:
            runs = [jobs[population, seed].result() for seed in range(1, args.seeds + 1)]
            print("\n".join(report(population, runs, args.cap)), flush=True)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
