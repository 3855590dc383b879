"""What a census looks at: a time window, platforms, languages, an account set.

Filters become temporary tables on the census's own DuckDB connection and
views that join them (``c_posts``, ``c_accounts``); every value reaches SQL as
a bound parameter, never as SQL text.

Scope rules:

* **posts** -- current versions (the latest edit) of the posts on the chosen
  platforms, created inside the window, in the chosen languages, written by
  the account set (when one is given).
* **accounts** -- the account set (or every account) on the chosen
  platforms; when a window or languages are given, only the accounts with at
  least one post in scope, so that "how many accounts" and "how many posts"
  describe the same people.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from marsad.errors import ConfigError, InputError
from marsad.text.normalize import normalize

__all__ = ["Campaign", "CensusFilter", "parse_campaign", "parse_when", "read_account_set"]


@dataclass(frozen=True)
class Campaign:
    """A counter-messaging campaign: posts with one of its hashtags or keywords."""

    name: str
    hashtags: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.name or not (self.hashtags or self.keywords):
            raise ConfigError(f"campaign {self.name!r} needs a name and a hashtag or keyword")


@dataclass(frozen=True)
class CensusFilter:
    since: datetime | None = None
    until: datetime | None = None
    platforms: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    #: (platform or "", native id or "@handle"); None: every account
    accounts: tuple[tuple[str, str], ...] | None = None
    #: per-account figures (followers ...) as of this time; default: ``until`` or now
    at: datetime | None = None
    campaigns: tuple[Campaign, ...] = ()
    interval: str = "month"
    top: int = 20
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.interval not in ("month", "week"):
            raise ConfigError(f"interval must be month or week, not {self.interval!r}")
        if self.since and self.until and self.since >= self.until:
            raise ConfigError("--since must be before --until")
        if self.top < 1:
            raise ConfigError("--top must be at least 1")

    @property
    def posts_filtered(self) -> bool:
        return bool(self.since or self.until or self.langs)

    @property
    def scopes_posts(self) -> bool:
        """Whether the filter leaves out any post (else every current post is in scope)."""
        return self.posts_filtered or bool(self.platforms) or self.accounts is not None

    def describe(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "platforms": list(self.platforms),
            "langs": list(self.langs),
            "accounts": None if self.accounts is None else len(self.accounts),
            "at": self.at.isoformat() if self.at else None,
            "interval": self.interval,
            "campaigns": [
                {"name": c.name, "hashtags": list(c.hashtags), "keywords": list(c.keywords)}
                for c in self.campaigns
            ],
        }

    def tables(self) -> dict[str, dict[str, tuple[str, list[Any]]]]:
        """The filter as tables for the census connection: per table, its columns
        as (DuckDB type, values).  Plain lists, not Arrow: converting Python
        lists to Arrow imports pandas, a third of a second of every census."""
        accounts = self.accounts or ()
        return {
            "_c_filter": {
                "since": ("TIMESTAMPTZ", [self.since]),
                "until": ("TIMESTAMPTZ", [self.until]),
                "any_platform": ("BOOLEAN", [not self.platforms]),
                "any_lang": ("BOOLEAN", [not self.langs]),
                "any_account": ("BOOLEAN", [self.accounts is None]),
                "posts_filtered": ("BOOLEAN", [self.posts_filtered]),
            },
            "_c_platforms": {"platform": ("VARCHAR", list(self.platforms))},
            "_c_langs": {"lang": ("VARCHAR", list(self.langs))},
            "_c_account_list": {
                "platform": ("VARCHAR", [a[0] for a in accounts]),
                "ident": ("VARCHAR", [a[1] for a in accounts]),
            },
        }


def parse_when(text: str, *, end: bool = False) -> datetime:
    """``2015-01``, ``2015-01-31`` or an ISO timestamp, as UTC.

    With *end*, a month or a day means its end (the start of the next), so
    ``--until 2015-01`` includes all of January.
    """
    text = text.strip()
    try:
        if len(text) == 7:  # YYYY-MM
            d = date.fromisoformat(text + "-01")
            if end:
                d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        if len(text) == 10:
            d = date.fromisoformat(text)
            out = datetime(d.year, d.month, d.day, tzinfo=UTC)
            return out + timedelta(days=1) if end else out
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(f"not a date: {text!r} (use 2015-01, 2015-01-31 or ISO 8601)") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_campaign(text: str) -> Campaign:
    """``NAME=#tag1,#tag2,keyword one`` -> a Campaign (``#`` marks a hashtag)."""
    name, sep, rest = text.partition("=")
    if not sep or not name.strip() or not rest.strip():
        raise ConfigError(f"campaign {text!r}: expected NAME=#hashtag,keyword,...")
    tags, words = [], []
    for item in (x.strip() for x in rest.split(",")):
        if not item:
            continue
        if item.startswith(("#", "＃")):
            tags.append(normalize(item).lstrip("#＃"))
        else:
            words.append(normalize(item))
    return Campaign(name.strip(), tuple(tags), tuple(words))


def read_account_set(path: Path) -> tuple[tuple[str, str], ...]:
    """Accounts from a file: one per line (``x:123``, ``@handle``, ``123``) or a CSV
    with ``platform`` and ``native_id`` (or ``handle``) columns."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read account list {path}: {exc}") from exc
    lines = text.splitlines()
    out: list[tuple[str, str]] = []
    header = lines[0].lower() if lines else ""
    if "," in header and ("native_id" in header or "handle" in header):
        for n, row in enumerate(csv.DictReader(lines), start=2):
            ident = (row.get("native_id") or "").strip()
            handle = (row.get("handle") or "").strip().lstrip("@")
            if not ident and not handle:
                raise InputError(f"{path}:{n}: a row needs native_id or handle")
            out.append(((row.get("platform") or "").strip(), ident or "@" + handle.lower()))
        return tuple(out)
    for n, raw in enumerate(lines, start=1):
        line = raw.strip()
        if line.startswith("#"):
            continue
        line = line.split(" #", 1)[0].strip()
        if not line:
            continue
        if line.startswith("@"):
            out.append(("", "@" + line[1:].lower()))
            continue
        platform, sep, ident = line.partition(":")
        if sep and (not platform or not ident or " " in line):
            raise InputError(f"{path}:{n}: expected platform:id, @handle or an id, got {raw!r}")
        out.append((platform, ident) if sep else ("", line))
    return tuple(out)
