"""CSV tables of posts and accounts, mapped column by column onto the model.

Ingest adapter (first stage of the flow) for the tables researchers publish
(Kaggle, paper supplements, spreadsheets).  A CSV has no fixed layout, so the
adapter is told which column is which model field -- by a named *preset* or by
a *mapping* (``["tweets=text", "username=handle"]``) -- and maps each row to

* an :class:`~marsad.model.Account` when an account column is mapped (keyed by
  ``account_id``, else by ``handle``),
* a :class:`~marsad.model.Snapshot` of its counts at the row's time when a count
  column is mapped and the row has a time (one per distinct account and time;
  the store keeps the first of rows that repeat the same minute),
* a :class:`~marsad.model.Post` when a text or post-id column is mapped.

Target fields (``FIELDS``; aliases in ``ALIASES``): post ``post_id``, ``text``,
``created_at``, ``lang`` (the platform's language), ``client``,
``reply_to_id``; account ``account_id``, ``handle``, ``display_name``, ``bio``,
``location``, ``url``, ``account_lang``, ``account_created_at``,
``followers``, ``following``, ``posts_count``.

**Ids a CSV does not have.**  Without an ``account_id`` column the handle *is*
the account's native id: handle-keyed accounts do not merge with the same
account ingested from an API export under its numeric id, and a renamed or
re-used handle is a different (or the same) account.  Without a ``post_id``
column a post's id is ``csv:`` + SHA-1 of ``account|created_at(ISO)|text``, so
re-ingesting gives the same ids and two identical rows collapse into one post.

Times are ISO-8601 unless ``time_format`` (a ``strptime`` pattern, naive
times taken as UTC) is given; presets set it.  On X, a text starting with
``RT @`` makes the post a repost (old exports have no other retweet marker).

Rows stream through Python's :mod:`csv` over UTF-8 text (an optional BOM is
dropped); ``line_no`` is the physical line where a row starts, so quoted fields
holding newlines do not shift it.  Blank lines are not records.  A row with the
wrong number of fields, a time that does not parse or a count that is not an
integer is a bad record with its line number; the other rows land.

``sniff`` recognises only a header that exactly matches a preset (a CSV with
some other layout needs ``--format csv`` and a mapping).
"""

from __future__ import annotations

import csv
import hashlib
import io
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from marsad.codec import parse_time
from marsad.errors import ConfigError, UnreadableFile
from marsad.ingest.base import IngestAdapter, RawRecord, Span, open_bytes
from marsad.model import Account, Post, PostKind, Record, Snapshot

__all__ = ["ALIASES", "FIELDS", "PRESETS", "CsvAdapter", "CsvPreset", "CsvRow", "iter_csv_rows"]

#: every field a column can be mapped to
FIELDS = frozenset(
    {
        "post_id",
        "text",
        "created_at",
        "lang",
        "client",
        "reply_to_id",
        "account_id",
        "handle",
        "display_name",
        "bio",
        "location",
        "url",
        "account_lang",
        "account_created_at",
        "followers",
        "following",
        "posts_count",
    }
)
#: other names accepted on the right of ``column=field``
ALIASES = {
    "id": "post_id",
    "native_id": "post_id",
    "post.native_id": "post_id",
    "time": "created_at",
    "user_id": "account_id",
    "account.native_id": "account_id",
    "username": "handle",
    "screen_name": "handle",
    "name": "display_name",
    "description": "bio",
    "statuses": "posts_count",
    "statuses_count": "posts_count",
    "followers_count": "followers",
    "friends_count": "following",
    "source": "client",
}
_COUNTS = ("followers", "following", "posts_count")


@dataclass(frozen=True, slots=True)
class CsvPreset:
    """A known CSV layout: its exact header, column -> field map, time format, platform."""

    columns: tuple[str, ...]
    mapping: Mapping[str, str]
    time_format: str | None
    platform: str
    description: str


PRESETS: dict[str, CsvPreset] = {
    "isis-twitter": CsvPreset(
        columns=(
            "name",
            "username",
            "description",
            "location",
            "followers",
            "numberstatuses",
            "time",
            "tweets",
        ),
        mapping={
            "name": "display_name",
            "username": "handle",
            "description": "bio",
            "location": "location",
            "followers": "followers",
            "numberstatuses": "posts_count",
            "time": "created_at",
            "tweets": "text",
        },
        time_format="%m/%d/%Y %H:%M",  # 1/6/2015 21:07
        platform="x",
        description="Kaggle 'How ISIS Uses Twitter' (Fifth Tribe): one tweet per row",
    ),
}


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One data row: its number, the physical line it starts on, its text and its fields."""

    record_no: int
    line_no: int
    raw: bytes
    fields: list[str]


def iter_csv_rows(path: Path, start: int = 0) -> Iterator[tuple[list[str], CsvRow | None]]:
    """Stream a CSV: first ``(header, None)``, then ``(header, row)`` per data row.

    Blank lines are skipped (they are not rows); data rows are numbered from 0
    and rows before *start* are parsed but not yielded.  Raises
    :class:`UnreadableFile` when the file is not UTF-8 text or has no header.
    """
    consumed: list[str] = []

    def lines(text: io.TextIOBase) -> Iterator[str]:
        for line in text:
            consumed.append(line)
            yield line

    with open_bytes(path) as raw_fh:
        text = io.TextIOWrapper(raw_fh, encoding="utf-8-sig", newline="")
        reader = csv.reader(lines(text))
        header: list[str] | None = None
        prev_end = 0
        record_no = -1
        try:
            for fields in reader:
                first_line = prev_end + 1
                prev_end = reader.line_num
                chunk = "".join(consumed)
                consumed.clear()
                if not fields:
                    continue
                if header is None:
                    header = [h.strip() for h in fields]
                    yield header, None
                    continue
                record_no += 1
                if record_no < start:
                    continue
                raw = chunk.rstrip("\r\n").encode("utf-8")
                yield header, CsvRow(record_no, first_line, raw, fields)
        except UnicodeDecodeError as exc:
            raise UnreadableFile(
                f"{path}: not UTF-8 text near line {prev_end + 1} ({exc.reason}); "
                "re-encode the file as UTF-8"
            ) from exc
        except csv.Error as exc:
            raise UnreadableFile(f"{path}: line {reader.line_num}: {exc}") from exc
        except OSError as exc:
            raise UnreadableFile(f"{path}: read failed after line {prev_end}: {exc}") from exc
        if header is None:
            raise UnreadableFile(f"{path}: empty CSV (no header line)")


def _parse_mapping(mapping: Sequence[str] | Mapping[str, str] | None) -> dict[str, str]:
    if not mapping:
        return {}
    pairs: list[tuple[str, str]] = []
    if isinstance(mapping, Mapping):
        pairs = [(str(k), str(v)) for k, v in mapping.items()]
    else:
        for entry in mapping:
            column, sep, target = str(entry).partition("=")
            if not sep or not column.strip() or not target.strip():
                raise ConfigError(
                    f"bad CSV mapping {entry!r}: expected COLUMN=FIELD, e.g. tweets=text"
                )
            pairs.append((column, target))
    out: dict[str, str] = {}
    for column, target in pairs:
        name = target.strip().lower()
        name = ALIASES.get(name, name)
        if name not in FIELDS:
            raise ConfigError(
                f"unknown CSV target field {target!r} (column {column!r}); "
                f"choose one of: {', '.join(sorted(FIELDS))}"
            )
        out[column.strip()] = name
    return out


class CsvAdapter(IngestAdapter):
    """Rows of a CSV -> posts, accounts and snapshots, by preset and/or column mapping.

    ``preset`` names an entry of :data:`PRESETS`; ``mapping`` adds or overrides
    column -> field entries (``"col=field"`` strings or a dict); ``platform``
    defaults to the preset's, else ``x``; ``time_format`` (``strptime``)
    overrides the preset's.  With neither preset nor mapping, a header that
    exactly matches a preset uses it, and otherwise columns named like a field
    or an alias (``text``, ``handle``, ``username``, ``created_at`` ...) map to
    that field.
    Raises :class:`ConfigError` for an unknown preset or field.
    """

    name = "csv"
    version = "1"
    platform = "x"
    description = "CSV tables with a column mapping or a named preset (e.g. isis-twitter)"

    def __init__(
        self,
        preset: str | None = None,
        mapping: Sequence[str] | Mapping[str, str] | None = None,
        platform: str | None = None,
        time_format: str | None = None,
    ) -> None:
        self.preset: CsvPreset | None = None
        if preset:
            try:
                self.preset = PRESETS[preset]
            except KeyError:
                raise ConfigError(
                    f"unknown CSV preset {preset!r}; choose one of: {', '.join(sorted(PRESETS))}"
                ) from None
        self.mapping = _parse_mapping(mapping)
        self.platform_name = platform
        self.time_format = time_format

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> float:
        return 0.9 if _preset_for_header(_head_header(head)) is not None else 0.0

    def _plan(self, path: Path, header: list[str]) -> tuple[dict[str, int], str | None, str]:
        """field -> column index, time format, platform for a file with *header*."""
        preset = self.preset
        if preset is None and not self.mapping:
            preset = _preset_for_header(header)
        column_map: dict[str, str] = dict(preset.mapping) if preset else {}
        column_map.update(self.mapping)
        if preset is None and not self.mapping:
            named = {h: ALIASES.get(h.lower(), h.lower()) for h in header}
            column_map = {h: target for h, target in named.items() if target in FIELDS}
        index = {h: i for i, h in reversed(list(enumerate(header)))}
        missing = [c for c in column_map if c not in index]
        if missing:
            raise UnreadableFile(
                f"{path}: column(s) {', '.join(map(repr, missing))} named in the CSV mapping "
                f"are not in the header ({', '.join(header)})"
            )
        plan = {target: index[col] for col, target in column_map.items()}
        if not plan.keys() & {"text", "post_id", "account_id", "handle"}:
            raise UnreadableFile(
                f"{path}: no column maps to a post or an account (header: {', '.join(header)}); "
                "pass a preset (--csv-preset) or a mapping (--map COLUMN=FIELD)"
            )
        time_format = self.time_format or (preset.time_format if preset else None)
        platform = self.platform_name or (preset.platform if preset else "x")
        return plan, time_format, platform

    def records(
        self, path: Path, source_id: str, start: int = 0, span: Span | None = None
    ) -> Iterator[RawRecord]:
        plan: dict[str, int] = {}
        time_format: str | None = None
        platform = "x"
        width = 0
        for header, row in iter_csv_rows(path, start):
            if row is None:
                plan, time_format, platform = self._plan(path, header)
                width = len(header)
                continue
            if len(row.fields) != width:
                yield RawRecord(
                    row.record_no,
                    row.line_no,
                    row.raw,
                    error=f"expected {width} fields as in the header, found {len(row.fields)}",
                )
                continue
            try:
                items = self._map_row(row, plan, time_format, platform, source_id)
            except ValueError as exc:
                yield RawRecord(row.record_no, row.line_no, row.raw, error=str(exc))
                continue
            yield RawRecord(row.record_no, row.line_no, row.raw, items)

    def _map_row(
        self,
        row: CsvRow,
        plan: dict[str, int],
        time_format: str | None,
        platform: str,
        source_id: str,
    ) -> list[Record]:
        values = {f: row.fields[i].strip() or None for f, i in plan.items()}
        created_at = _time(values.get("created_at"), time_format, "created_at")
        counts = {f: _count(values.get(f), f) for f in _COUNTS}
        prov = self.provenance(source_id, row.record_no, row.line_no)
        items: list[Record] = []

        handle = values.get("handle")
        if handle is not None:
            handle = handle.lstrip("@") or None
        account_id = values.get("account_id") or handle
        if account_id is not None:
            items.append(
                Account(
                    platform=platform,
                    native_id=account_id,
                    handle=handle,
                    display_name=values.get("display_name"),
                    bio=values.get("bio"),
                    location=values.get("location"),
                    url=values.get("url"),
                    lang=values.get("account_lang"),
                    created_at=_time(
                        values.get("account_created_at"), time_format, "account_created_at"
                    ),
                    observed_at=created_at,
                    followers=counts["followers"],
                    following=counts["following"],
                    posts_count=counts["posts_count"],
                    provenance=prov,
                )
            )
            if created_at is not None and any(v is not None for v in counts.values()):
                items.append(
                    Snapshot(
                        platform=platform,
                        account_id=account_id,
                        observed_at=created_at,
                        followers=counts["followers"],
                        following=counts["following"],
                        posts_count=counts["posts_count"],
                        provenance=prov,
                    )
                )

        text = row.fields[plan["text"]] if "text" in plan else None
        post_id = values.get("post_id")
        if post_id is None and text:
            stamp = created_at.isoformat() if created_at else ""
            key = f"{account_id or ''}|{stamp}|{text}".encode()
            post_id = "csv:" + hashlib.sha1(key, usedforsecurity=False).hexdigest()
        if post_id is not None:
            reply_to = values.get("reply_to_id")
            if platform == "x" and text and text.startswith("RT @"):
                kind = PostKind.REPOST
            elif reply_to:
                kind = PostKind.REPLY
            else:
                kind = PostKind.POST
            items.append(
                Post(
                    platform=platform,
                    native_id=post_id,
                    account_id=account_id,
                    created_at=created_at,
                    text=text or None,
                    kind=kind,
                    lang_platform=values.get("lang"),
                    client=values.get("client"),
                    reply_to_id=reply_to,
                    provenance=prov,
                )
            )
        return items

    @classmethod
    def examples(cls) -> list[tuple[str, bytes]]:
        return [
            (
                "isis_twitter_layout.csv",
                b"name,username,description,location,followers,numberstatuses,time,tweets\n"
                b"Weather Desk,weatherdesk,daily forecasts,Springfield,120,3400,"
                b"1/6/2015 21:07,weather update 1\n"
                b"Weather Desk,weatherdesk,daily forecasts,Springfield,121,3401,"
                b'1/7/2015 8:30,"weather update 2\nwith a second line"\n'
                b"Garden Club,gardenclub,,,45,880,1/7/2015 9:00,RT @weatherdesk: weather update 1\n",
            ),
        ]


def _head_header(head: bytes) -> list[str]:
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    first = text.split("\n", 1)[0].rstrip("\r")
    try:
        return [h.strip() for h in next(csv.reader([first]), [])]
    except csv.Error:
        return []


def _preset_for_header(header: list[str]) -> CsvPreset | None:
    for preset in PRESETS.values():
        if tuple(header) == preset.columns:
            return preset
    return None


def _time(value: str | None, time_format: str | None, column: str) -> datetime | None:
    if value is None:
        return None
    try:
        if time_format:
            parsed = datetime.strptime(value, time_format)
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
        return parse_time(value)
    except ValueError:
        expected = f"format {time_format!r}" if time_format else "ISO-8601"
        raise ValueError(f"{column}: cannot parse time {value!r} (expected {expected})") from None


def _count(value: str | None, column: str) -> int | None:
    if value is None:
        return None
    try:
        count = int(value)
    except ValueError:
        raise ValueError(f"{column}: not an integer count: {value!r}") from None
    return count


# csv's default field limit (128 KiB) is below what some exports hold in one cell
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
