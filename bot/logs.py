"""Logging set-up with a filter that masks every configured secret, wherever it would appear."""

from __future__ import annotations

import logging

from bot.config import Settings


class SecretMask(logging.Filter):
    """Replaces secret values in log records so tokens never reach a log file."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if len(s) >= 6)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            masked = message
            for secret in self.secrets:
                masked = masked.replace(secret, "***")
            if masked != message:
                record.msg, record.args = masked, None
        return True


def configure_logging(config: Settings, default_level: str = "WARNING") -> None:
    """Plain, timestamped logs on stderr, with secrets masked; services log INFO, one-shot commands less."""
    root = logging.getLogger()
    if not any(isinstance(f, SecretMask) for h in root.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(SecretMask(config.secret_values))
        root.addHandler(handler)
    root.setLevel((config.log_level or default_level).upper())
    for name in ("alembic", "apscheduler", "aiohttp.access", "bm25s"):
        logging.getLogger(name).setLevel(logging.WARNING)
