"""What every use case needs from the running process, and nothing more.

Use cases take this small object rather than the `Coach` façade, so they depend on the database, the
configuration and the clock — not on the handlers' entry point — and the import graph stays acyclic.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.config import Settings
from store.db import Database
from store.types import utcnow


def new_worker_id() -> str:
    """Names this process in leases and claims, so a takeover can tell whose work it is."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class Services:
    """The database (the only truth), the configuration, the clock (injectable so the demo and tests can move
    time; leases never follow it) and this process's worker id. One object per process, shared by reference,
    so a configuration swapped in (as tests do) reaches every part at once."""

    database: Database
    config: Settings
    clock: Callable[[], datetime] = utcnow
    worker_id: str = field(default_factory=new_worker_id)
