"""Loading the org chart from CSV: every bad line reported with its number, and nothing half-loaded."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.config import MASTERY_THRESHOLD
from content.accepted_text import REFUSED, control_lines
from content.model import Problem
from store import catalog
from store.db import Database
from store.people import OrgRow, OrgUpsert, identities_in_use, manager_links, upsert_org
from store.types import utcnow

COLUMNS = ("email", "name", "manager_email", "role", "timezone", "slack_user_id", "teams_user_id")
REQUIRED = ("email", "name")
EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


class OrgChartError(Exception):
    """The file has problems; `problems` lists them all, in line order."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the org chart")
        self.problems = problems


async def import_org_chart(database: Database, path: Path, *, deactivate_missing: bool = False,
                           threshold: float = MASTERY_THRESHOLD) -> OrgUpsert:
    """Validate the whole file against itself and the database, then load it in one transaction. With
    `deactivate_missing`, people the file no longer lists have left the organisation. An import that changed
    anyone counts the managers' kept team totals again in the same transaction (`bot.team.rollup`, at the
    mastery `threshold`), so no summary shows the chart before it; one that changed nothing writes nothing."""
    rows, problems = parse_org_csv(path)
    async with database.session() as session:
        known_roles = await catalog.role_ids(session)
        links = await manager_links(session)
        problems += _check_against(path, rows, known_roles, links)
        for platform, column in (("slack", "slack_user_id"), ("teams", "teams_user_id")):
            in_use = await identities_in_use(session, platform, [getattr(r, column) for r in rows
                                                                 if getattr(r, column)])
            for row in rows:
                owner = in_use.get(getattr(row, column) or "")
                if owner and owner != row.email:
                    problems.append(Problem(path, row.line, f"{column} {getattr(row, column)} already "
                                                               f"belongs to {owner}"))
        if problems:
            raise OrgChartError(sorted(problems, key=lambda p: p.line))
        result = await upsert_org(session, rows, deactivate_missing=deactivate_missing)
        if result.created or result.updated or result.deactivated:
            from bot.team.rollup import refresh_totals  # the engine's numerics: only for an import that changed

            await refresh_totals(session, utcnow(), threshold)
        return result


def parse_org_csv(path: Path) -> tuple[list[OrgRow], list[Problem]]:
    """Rows that are well-formed on their own, and the problems of those that are not."""
    problems: list[Problem] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(path, 1, f"cannot read the file: {exc}")]
    controls = control_lines(text)
    if controls:  # refused before anything is read: no name or email may carry one
        return [], [Problem(path, line, REFUSED.format(char)) for line, char in controls]
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        if missing:
            problems.append(Problem(path, 1, f"the header needs the column(s) {', '.join(missing)}"))
        if unknown:
            problems.append(Problem(path, 1, f"unknown column(s) {', '.join(unknown)}; "
                                                f"the columns are {', '.join(COLUMNS)}"))
        return [], problems
    rows: list[OrgRow] = []
    first_line: dict[str, int] = {}
    zones = available_timezones()
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            problems.append(Problem(path, line, f"expected {len(header)} values, found {len(values)}"))
            continue
        cell = {name: value.strip() for name, value in zip(header, values, strict=True)}
        email = cell["email"].lower()
        before = len(problems)
        if not EMAIL.match(email):
            problems.append(Problem(path, line, f"'{cell['email']}' is not an email address"))
        elif email in first_line:
            problems.append(Problem(path, line, f"duplicate email {email} (first on line {first_line[email]})"))
        if not cell["name"]:
            problems.append(Problem(path, line, "the name is empty"))
        manager = cell.get("manager_email", "").lower() or None
        if manager == email:
            problems.append(Problem(path, line, f"{email} cannot be their own manager"))
        timezone = cell.get("timezone") or None
        if timezone and not _valid_zone(timezone, zones):
            problems.append(Problem(path, line, f"'{timezone}' is not an IANA time zone (e.g. Europe/Berlin)"))
        if len(problems) > before:
            continue
        first_line[email] = line
        rows.append(OrgRow(line=line, email=email, name=cell["name"], manager_email=manager,
                           role=cell.get("role") or None, timezone=timezone,
                           slack_user_id=cell.get("slack_user_id") or None,
                           teams_user_id=cell.get("teams_user_id") or None))
    problems += _duplicate_ids(path, rows)
    return rows, problems


def _valid_zone(name: str, zones: set[str]) -> bool:
    if name not in zones:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _duplicate_ids(path: Path, rows: list[OrgRow]) -> list[Problem]:
    problems = []
    for column in ("slack_user_id", "teams_user_id"):
        seen: dict[str, int] = {}
        for row in rows:
            value = getattr(row, column)
            if value and value in seen:
                problems.append(Problem(path, row.line, f"duplicate {column} {value} "
                                                           f"(first on line {seen[value]})"))
            elif value:
                seen[value] = row.line
    return problems


def _check_against(path: Path, rows: list[OrgRow], roles: set[str],
                   links: dict[str, str | None]) -> list[Problem]:
    """Roles and managers must exist, and the merged chart (database + file) must have no cycle."""
    problems = []
    merged = dict(links)
    merged.update({row.email: row.manager_email for row in rows})
    for row in rows:
        if row.role and row.role not in roles:
            hint = f"known roles: {', '.join(sorted(roles))}" if roles else "no content pack is loaded yet"
            problems.append(Problem(path, row.line, f"unknown role '{row.role}' ({hint})"))
        if row.manager_email and row.manager_email not in merged:
            problems.append(Problem(path, row.line, f"unknown manager {row.manager_email} (not in this "
                                                       "file nor already loaded)"))
    cycles = _cycles(merged)
    for row in rows:
        cycle = cycles.get(row.email)
        if cycle:
            start = cycle.index(row.email)
            around = cycle[start:] + cycle[:start]
            problems.append(Problem(path, row.line, "manager cycle: " + " -> ".join([*around, row.email])))
    return problems


def _cycles(managers: dict[str, str | None]) -> dict[str, list[str]]:
    """Everyone who is on a cycle of managers -> that cycle. Each person has one manager, so a walk up from
    anyone ends at the top, at someone already walked, or on a cycle; marking everyone walked makes the whole
    check one pass over the chart (a 3,000-level chain costs what a flat one does)."""
    done: set[str] = set()
    on_cycle: dict[str, list[str]] = {}
    for start in managers:
        if start in done:
            continue
        path: list[str] = []
        position: dict[str, int] = {}
        current: str | None = start
        while current is not None and current not in done and current not in position:
            position[current] = len(path)
            path.append(current)
            current = managers.get(current)
        if current is not None and current in position:
            cycle = path[position[current]:]
            on_cycle.update(dict.fromkeys(cycle, cycle))
        done.update(path)
    return on_cycle
