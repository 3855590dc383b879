"""Small helpers shared by the X/Twitter ingest adapters (API v1.1 and v2).

Part of the ingest stage; no I/O, no model records.  Both adapters run these
once per tweet, so they are written for speed: a dict lookup or a cache hit on
the common path, no regular expression on plain input.

* :func:`client_name` -- the client (device) name from a ``source`` field:
  v1.1 gives an HTML anchor, v2 plain text.
* :func:`parse_x_time` -- X's two time formats (v2 ISO-8601, v1.1
  ``Wed Oct 10 20:19:24 +0000 2018``) to an aware UTC datetime.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

__all__ = ["client_name", "parse_x_time"]

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


@lru_cache(maxsize=4096)
def _client_from_html(source: str) -> str | None:
    start = source.find(">")
    end = source.rfind("</a")
    text = source[start + 1 : end] if start != -1 and end > start else source
    if "<" in text:  # stray tags inside the anchor: drop them
        parts = []
        for chunk in text.split("<"):
            parts.append(chunk.split(">", 1)[1] if ">" in chunk else chunk)
        text = "".join(parts)
    text = html.unescape(text).strip()
    return text or None


def client_name(source: Any) -> str | None:
    """The client name of a tweet's ``source`` field, or ``None`` when empty.

    ``<a href="http://twitter.com/download/android" rel="nofollow">Twitter for
    Android</a>`` (v1.1) gives ``Twitter for Android``; plain text (v2, or v1.1
    ``web``) is returned as it is.  HTML entities are unescaped.  A few hundred
    distinct clients cover almost every tweet, so the HTML case is cached.
    """
    if not source:
        return None
    if not isinstance(source, str):
        return str(source)
    if source[0] != "<":
        return source
    return _client_from_html(source)


def parse_x_time(value: Any) -> datetime | None:
    """An X time string -> aware UTC datetime; ``None`` or ``""`` -> ``None``.

    Accepts v2 / twarc ISO-8601 (``2022-10-03T17:57:01.000Z``,
    ``2022-10-03T18:00:57+00:00``; a missing offset is read as UTC) and v1.1
    ``Wed Oct 10 20:19:24 +0000 2018``.  Raises ``ValueError`` on anything
    else, so a caller can quarantine the record rather than guess a time.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected an X time string, got {value!r}")
    if value[0].isdigit():
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is UTC:
            return parsed
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    parts = value.split()
    if len(parts) != 6 or parts[1] not in _MONTHS:
        raise ValueError(f"not an X time (ISO-8601 or 'Wed Oct 10 20:19:24 +0000 2018'): {value!r}")
    _, mon, day, hms, offset, year = parts
    hour, minute, second = hms.split(":")
    tz = UTC
    if offset != "+0000":
        sign = -1 if offset[0] == "-" else 1
        tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
    parsed = datetime(
        int(year), _MONTHS[mon], int(day), int(hour), int(minute), int(second), tzinfo=tz
    )
    return parsed if tz is UTC else parsed.astimezone(UTC)
