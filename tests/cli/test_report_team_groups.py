"""`coach report team` for a director: the groups counted by the database (JSON and table), `--under` one
group a level down, and never a group outside the manager's own subtree."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from handlers.cli import app
from tests.team.test_counted_summary import layered_org


def _coach(monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("COACH_DATABASE_URL", url)
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_a_director_s_report_is_counted_and_opens_a_group_at_a_time(monkeypatch: pytest.MonkeyPatch,
                                                                    tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "r.db"
    url = f"sqlite:///{path}"
    org = tmp_path / "org.csv"
    org.write_text(layered_org(3, 3, 20))
    assert _coach(monkeypatch, url, "content", "import", "--starter")[0] == 0
    assert _coach(monkeypatch, url, "org", "import", str(org))[0] == 0

    code, output = _coach(monkeypatch, url, "report", "team", "boss@example.com", "--json")
    data = json.loads(output)
    assert code == 0 and data["counted"] is True and data["people"] == 3 * (1 + 3 * 21) and "members" not in data
    counted_at = datetime.fromisoformat(data["as_of"])
    assert counted_at.utcoffset() == counted_at.astimezone(ZoneInfo("Europe/Paris")).utcoffset(), \
        "when the figures were counted: ISO 8601 on Bea's clock (Europe/Paris), with its offset"
    assert [g["title"] for g in data["groups"]] == ["Lead 0's group", "Lead 1's group", "Lead 2's group"]
    first = data["groups"][0]
    assert first["people"] == 64 and first["opens"] == {"g": first["head"]} and "needs_attention" not in first
    assert all(set(levels) == {"met", "one_below", "two_or_more_below", "no_answers"}
               for levels in first["levels"].values()) and first["levels"]
    assert all("average_mastery" not in c and c["with_target"] == sum(c["levels"].values())
               for c in data["competencies"])

    code, output = _coach(monkeypatch, url, "report", "team", "boss@example.com", "--json", "--under",
                          str(first["head"]))
    group = json.loads(output)
    assert code == 0 and (group["title"], group["people"], group["under"]) == ("Lead 0's group", 64, first["head"])
    assert len(group["members"]) == 64 and "counted" not in group, "a group of 150 or fewer lists its people"

    code, output = _coach(monkeypatch, url, "report", "team", "boss@example.com")
    assert code == 0 and "Lead 0's" in output and "✓ met" in output and "Levels by group" in output
    assert "0↓↓ 4–" in output, "a group's levels per competency, as text"
    assert re.search(r"counted at \d{4}-\d\d-\d\d \d\d:\d\d\+0[12]:00", " ".join(output.split())), output

    with sqlite3.connect(path) as conn:
        [(outside,)] = conn.execute("SELECT id FROM person WHERE email = 'ola@example.com'").fetchall()
    for stranger in (outside, 10**7):
        code, output = _coach(monkeypatch, url, "report", "team", "boss@example.com", "--under", str(stranger))
        assert code == 1 and output.startswith(f"error: No one with id {stranger} reports to boss@example.com"), output
