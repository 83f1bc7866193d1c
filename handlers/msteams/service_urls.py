"""Which `serviceUrl`s the coach believes: where a Teams conversation reference may send the bot's replies.

The Bot Framework tells the bot where to answer in each activity (`serviceUrl`), and a proactive lesson later
goes to the stored reference's `serviceUrl` — with the bot's token once an app id is set. So an address is
only ever taken from an authenticated activity, and in production only on Microsoft's own service hosts
(COACH_TEAMS_SERVICE_HOSTS; tests list their loopback connector). An address stored from an unauthenticated
activity (dev mode, no MICROSOFT_APP_ID) is marked so, never replaces one already stored, and is never used
once an app id is configured.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

from store.people import UNVERIFIED_ADDRESS as UNVERIFIED

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def allowed_service_url(url: Any, hosts: Iterable[str]) -> bool:
    """Whether `url` is HTTPS (plain HTTP only on loopback) on one of `hosts` (`*.example.com` patterns)."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if parts.scheme != "https" and not (parts.scheme == "http" and host in LOOPBACK):
        return False
    return any(fnmatchcase(host, pattern.strip().lower()) for pattern in hosts if pattern.strip())


def usable_reference(address: Mapping[str, Any] | None, hosts: Iterable[str] | None) -> bool:
    """Whether a stored reference may carry a message: any in dev mode (`hosts` None); in production only a
    verified one on an allowed host, since the SDK sends the bot's token to that address."""
    if not address:
        return False
    if hosts is None:
        return True
    return not address.get(UNVERIFIED) and allowed_service_url(address.get("serviceUrl"), hosts)


def clean_reference(address: Mapping[str, Any]) -> dict[str, Any]:
    """The reference as the SDK reads it, without the coach's own marker."""
    return {key: value for key, value in address.items() if key != UNVERIFIED}
