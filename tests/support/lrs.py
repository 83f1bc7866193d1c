"""A real Learning Record Store on loopback for the LRS tests: Ralph (`ralph-malph[lrs]`, the test extra) serving
the xAPI statement API over HTTP with Basic auth, storing statements in a file (see `ralph_app` for the one
adjustment). Started once per test module."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bcrypt
import requests

from tests.support.waiting import PATIENCE

USER, PASSWORD = "coach", "lrs-secret"
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Lrs:
    url: str  # the xAPI root: …/xAPI/

    def statements(self) -> list[dict[str, Any]]:
        """Everything stored, newest first (the statement API pages by `more`)."""
        found: list[dict[str, Any]] = []
        url: str | None = self.url + "statements?limit=500"
        while url:
            response = requests.get(url, auth=(USER, PASSWORD), headers={"X-Experience-API-Version": "1.0.3"},
                                    timeout=PATIENCE)
            response.raise_for_status()
            body = response.json()
            found += body["statements"]
            more = body.get("more")
            url = self.url.split("/xAPI/")[0] + more if more else None
        return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_lrs(folder: Path) -> Iterator[Lrs]:
    auth = folder / "auth.json"
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    auth.write_text(f'[{{"agent": {{"mbox": "mailto:coach@example.com"}}, "scopes": ["all"], '
                    f'"hash": "{hashed}", "username": "{USER}"}}]')
    port = _free_port()
    env = {**os.environ, "RALPH_AUTH_FILE": str(auth), "RALPH_RUNSERVER_BACKEND": "fs",
           "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(folder), "RALPH_APP_DIR": str(folder),
           "PYTHONPATH": str(ROOT)}
    log = (folder / "ralph.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "tests.support.ralph_app:app", "--host",
                                "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                               env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/xAPI/"
    try:
        deadline = time.monotonic() + PATIENCE
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"Ralph did not start: {(folder / 'ralph.log').read_text()[-2000:]}")
            try:
                if requests.get(f"http://127.0.0.1:{port}/__heartbeat__", timeout=10).ok:
                    break
            except requests.RequestException:  # not listening yet, or too slow to answer on a loaded machine
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"Ralph did not answer within {PATIENCE:g} s")
            time.sleep(0.2)
        yield Lrs(url)
    finally:
        process.terminate()
        process.wait(timeout=PATIENCE)
        log.close()
