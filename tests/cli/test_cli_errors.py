"""The command line's answers when something is wrong: a database that cannot be opened, a manager who
manages nobody, a pack named by its pack.yaml — one line and exit 1 (or the right thing), never a traceback.
And `coach db upgrade` says what it did, on SQLite and PostgreSQL, with migrations that read no `bot`
settings (the store does not import the application)."""

from __future__ import annotations

import ast
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic.script import ScriptDirectory
from psycopg import sql
from typer.testing import CliRunner

from content.packs import STARTER
from handlers.cli import app
from store.db import alembic_config, newest_migration
from tests.support.databases import PG_ADMIN, pg_url
from tests.support.waiting import PATIENCE

ROOT = Path(__file__).resolve().parents[2]
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_the_newest_migration_file_is_alembic_s_head() -> None:
    """Commands skip Alembic when the database is at `newest_migration()`: it must be Alembic's own head."""
    assert newest_migration() == HEAD


def _coach(monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("COACH_DATABASE_URL", url)
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the socket is closed


@pytest.fixture
def blank_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it, not even the schema (unlike the cloned templates)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    name = f"coach_blank_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield pg_url(name)
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.mark.parametrize(("url", "shown", "reason"), [
    ("foo", "foo", "not a database URL"),
    ("mysql://x@localhost/db", "mysql://x@localhost/db", "unsupported database 'mysql'"),
    ("sqlite:////nonexistent_dir/x.db", "sqlite:////nonexistent_dir/x.db", "unable to open database file"),
    ("postgres//u:hunter2@x", "postgres//u:***@x", "not a database URL"),
    ("postgresql://u:hunter2@[::1/x", "postgresql://u:***@[::1/x", "not a database URL"),
    (f"postgresql://coach:hunter2@127.0.0.1:{_closed_port()}/coach", "postgresql://coach:***@127.0.0.1:",
     "Connection refused"),
], ids=["not-a-url", "mysql", "missing-folder", "masked-unparseable", "masked-bad-host", "closed-port"])
def test_a_database_that_cannot_be_opened_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                      url: str, shown: str, reason: str) -> None:
    monkeypatch.chdir(tmp_path)
    for command in (["report", "learner", "a@x.com", "--json"], ["db", "upgrade"], ["dispatch"]):
        code, output = _coach(monkeypatch, url, *command)
        assert code == 1, (command, output)
        assert output.startswith(f"error: cannot open the database {shown}") and output.count("\n") == 1, output
        assert reason in output and "COACH_DATABASE_URL" in output and "hunter2" not in output, output


def test_the_installed_command_prints_the_one_line_and_nothing_after_it(tmp_path: Path) -> None:
    """In a real process: nothing may print after the message either (a driver's thread, say)."""
    env = {"COACH_DATABASE_URL": "sqlite:////nonexistent_dir/x.db", "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-c", "from handlers.cli import main; main()", "report", "learner", "a@x.com"]
    done = subprocess.run(command,
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=PATIENCE)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("error: cannot open the database sqlite:////nonexistent_dir/x.db: unable to open")
    assert done.stderr.count("\n") == 1, done.stderr


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_postgresql_database_that_does_not_exist_is_one_line(backend: str, monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    url = pg_url(f"coach_missing_{uuid.uuid4().hex[:8]}").replace("postgres@", "postgres:hunter2@")
    code, output = _coach(monkeypatch, url, "report", "learner", "a@x.com")
    assert code == 1 and output.count("\n") == 1 and "Traceback" not in output, output
    assert "does not exist" in output and ":***@" in output and "hunter2" not in output, output


def test_db_upgrade_says_it_created_the_schema_then_that_it_is_up_to_date(
    blank_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    code, output = _coach(monkeypatch, blank_url, "db", "upgrade")
    assert code == 0 and f"created the schema at revision {HEAD} on" in output, output
    code, output = _coach(monkeypatch, blank_url, "db", "upgrade")
    assert code == 0 and f"schema up to date at revision {HEAD}" in output, output
    code, output = _coach(monkeypatch, blank_url, "report", "learner", "a@x.com")
    assert code == 1 and "no one with the email a@x.com" in output, output  # the schema is there to ask


def test_alembic_itself_migrates_the_database_of_coach_database_url(tmp_path: Path) -> None:
    """The developers' path (`alembic -c store/alembic.ini …`) runs env.py without `store.db` handing over a
    connection: it finds the database in COACH_DATABASE_URL alone."""
    database = tmp_path / "alembic.db"
    env = {"COACH_DATABASE_URL": f"sqlite:///{database}", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "alembic", "-c", str(ROOT / "store/alembic.ini"), "upgrade", "head"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=PATIENCE)
    assert done.returncode == 0, done.stderr
    current = subprocess.run([sys.executable, "-m", "alembic", "-c", str(ROOT / "store/alembic.ini"), "current"],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=PATIENCE)
    assert f"{HEAD} (head)" in current.stdout, current.stdout + current.stderr


def test_the_store_imports_neither_bot_nor_handlers() -> None:
    """Dependencies point one way: handlers -> bot -> (content, store)."""
    offending = []
    for path in sorted((ROOT / "store").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offending += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in ("bot", "handlers")]
    assert offending == []


def test_report_team_for_someone_who_manages_nobody_is_an_error(monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'r.db'}"
    org = tmp_path / "org.csv"
    org.write_text("email,name,manager_email,role\nm@x.com,M,,people-manager\na@x.com,A,m@x.com,buyer\n")
    assert _coach(monkeypatch, url, "org", "import", str(org))[0] == 0
    for args in (["report", "team", "a@x.com", "--json"], ["report", "team", "a@x.com"]):
        code, output = _coach(monkeypatch, url, *args)
        assert code == 1 and output.startswith("error: a@x.com manages nobody") and output.count("\n") == 1, output
    code, output = _coach(monkeypatch, url, "report", "team", "m@x.com", "--json")
    assert code == 0 and '"a@x.com"' in output


def test_content_validate_takes_a_pack_yaml_for_its_folder(tmp_path: Path) -> None:
    runner = CliRunner()
    by_file = runner.invoke(app, ["content", "validate", str(STARTER / "pack.yaml")])
    by_folder = runner.invoke(app, ["content", "validate", str(STARTER)])
    assert by_file.exit_code == 0 and by_file.output == by_folder.output and "1 pack(s)" in by_file.output
    lesson = next(STARTER.rglob("*.md"))
    not_a_pack = runner.invoke(app, ["content", "validate", str(lesson)])
    assert not_a_pack.exit_code == 1 and "no pack.yaml here" in not_a_pack.output
