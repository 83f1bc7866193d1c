"""Loading the org chart from CSV: every bad line reported with its number, and nothing half-loaded."""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from content.accepted_text import CONTROL, REFUSED
from content.model import Problem
from store import catalog
from store.db import Database
from store.org_import import PLATFORMS, OrgRow, OrgUpsert, read_snapshot, remember, unchanged_since, upsert_org

COLUMNS = ("email", "name", "manager_email", "role", "timezone", "slack_user_id", "teams_user_id")
REQUIRED = ("email", "name")
EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


class OrgChartError(Exception):
    """The file has problems; `problems` lists them all, in line order."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the org chart")
        self.problems = problems


async def import_org_chart(database: Database, path: Path, *, deactivate_missing: bool = False) -> OrgUpsert:
    """Validate the whole file against itself and the database, then load it in one transaction. With
    `deactivate_missing`, people the file no longer lists have left the organisation. One that changed nothing
    writes nothing. The managers' kept team totals are not counted in this transaction: the people it writes
    move the org state's counter, so summaries count live (and never show the chart before the import) until
    they are counted again, by `coach org import` once this has committed (`bot.team.rollup.count_after_import`)
    or else by the scheduler's `team-totals` job (`store.team_totals`).

    The same file again, with nothing it compares written since (store.org_import.unchanged_since), is
    answered from one small read: every person unchanged, nothing written."""
    digest = _digest(path, deactivate_missing)
    async with database.session() as session:
        listed = await unchanged_since(session, digest) if digest else None
        if listed is not None:
            return OrgUpsert(created=0, updated=0, unchanged=listed)
    rows, problems = parse_org_csv(path)
    async with database.session() as session:
        known_roles = await catalog.role_ids(session)
        stored = await read_snapshot(session)
        problems += _check_against(path, rows, known_roles, stored.manager_links())
        for platform, column in PLATFORMS:
            in_use = stored.holders(platform)
            for row in rows:
                owner = in_use.get(getattr(row, column) or "")
                if owner and owner != row.email:
                    problems.append(Problem(path, row.line, f"{column} {getattr(row, column)} already "
                                                               f"belongs to {owner}"))
        if problems:
            raise OrgChartError(sorted(problems, key=lambda p: p.line))
        result = await upsert_org(session, rows, stored, deactivate_missing=deactivate_missing)
        if digest:
            await remember(session, digest, len(rows))
        return result


def _digest(path: Path, deactivate_missing: bool) -> str | None:
    """The file's bytes and the options, hashed; None when it cannot be read (parsing says why)."""
    try:
        with path.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256")
    except OSError:
        return None
    digest.update(b"deactivate_missing" if deactivate_missing else b"")
    return digest.hexdigest()


def parse_org_csv(path: Path) -> tuple[list[OrgRow], list[Problem]]:
    """Rows that are well-formed on their own, and the problems of those that are not. The file is read as a
    stream (only the rows are kept); a line holding a control character refuses the whole file, with only
    those lines reported, since no name or email may carry one."""
    controls: list[Problem] = []
    try:
        with path.open(encoding="utf-8-sig", newline="\n") as handle:
            rows, problems = _parse(path, csv.reader(_checked(path, handle, controls)))
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(path, 1, f"cannot read the file: {exc}")]
    if controls:
        return [], controls
    return rows, problems


def _checked(path: Path, handle: Iterator[str], controls: list[Problem]) -> Iterator[str]:
    """The file's lines as they are, noting each line with a control character (as U+XXXX) on the way."""
    for number, line in enumerate(handle, 1):
        found = CONTROL.search(line)
        if found:
            controls.append(Problem(path, number, REFUSED.format(f"U+{ord(found.group()):04X}")))
        yield line


def _parse(path: Path, reader: Any) -> tuple[list[OrgRow], list[Problem]]:
    """The rows of a csv.reader (whose `line_num` gives each row's line) and their problems."""
    problems: list[Problem] = []
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
    zones = _ZoneCheck()
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
        if timezone and not zones.valid(timezone):
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


class _ZoneCheck:
    """IANA zone names, each checked once per file (a large org uses a few dozen zones, not one per row)."""

    def __init__(self) -> None:
        self._zones: set[str] | None = None
        self._checked: dict[str, bool] = {}

    def valid(self, name: str) -> bool:
        if name not in self._checked:
            self._checked[name] = self._valid(name)
        return self._checked[name]

    def _valid(self, name: str) -> bool:
        if self._zones is None:
            self._zones = available_timezones()
        if name not in self._zones:
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
