"""`coach serve` on its own: first start imports the starter pack; Teams without an app id stays local."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest
from sqlmodel import func, select
from typer.testing import CliRunner

from handlers.cli import app
from store.db import Database
from store.models import Lesson
from tests.support.health import until_serving
from tests.support.waiting import PATIENCE


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_teams_without_an_app_id_refuses_a_public_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COACH_DATABASE_URL", f"sqlite:///{tmp_path / 's.db'}")
    monkeypatch.setenv("COACH_TEAMS", "1")
    monkeypatch.delenv("MICROSOFT_APP_ID", raising=False)
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", str(_free_port())])
    assert result.exit_code == 1
    assert "would accept anyone's activities" in result.output and "--insecure-teams" in result.output


async def test_first_start_imports_the_starter_pack(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'first.db'}"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "COACH_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from handlers.cli import main; main()", "serve", "--host", "127.0.0.1",
        "--port", str(port),
        env={**env, "COACH_DATABASE_URL": url}, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        async with aiohttp.ClientSession() as http:
            await until_serving(http, port, process)
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), PATIENCE)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    database = Database(url)
    async with database.session() as session:
        lessons = (await session.exec(select(func.count()).select_from(Lesson))).one()
    await database.dispose()
    assert lessons >= 80
