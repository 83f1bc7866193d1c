"""Numbers that arrive from outside — button values, modal metadata — before they reach a query.

The store's keys are INTEGER columns (32-bit on PostgreSQL), so a value outside their range names no row;
sent to the database it would fail the query instead (OverflowError on SQLite, "integer out of range" on
PostgreSQL) and log a traceback. Such a value gets the answer of a button that is no longer active.
"""

from __future__ import annotations

MAX_ID = 2**31 - 1
"""The largest key an INTEGER column holds on PostgreSQL (and the bound used on SQLite too)."""


def as_int(raw: object, *, low: int = 1, high: int = MAX_ID) -> int | None:
    """The value as a whole number in low..high (by default a row id), or None: booleans, fractions,
    words and numbers out of range are not ids."""
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        return None
    try:
        number = int(raw)
    except ValueError:
        return None
    return number if low <= number <= high else None
