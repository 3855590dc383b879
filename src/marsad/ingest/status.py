"""Account statuses observed outside an export: a CSV behind ``marsad status FILE``.

Ingest adapter (first stage of the flow), used only when named -- it is never
picked by sniffing.  Analysts learn that accounts were suspended, deleted or
made protected by checking them later (a profile page, a compliance endpoint, a
takedown notice); this adapter turns each row of such a list into a
:class:`~marsad.model.StatusEvent`, from which the store sets the account's
latest status (creating a bare account row if it has never been seen).

Columns (header names, case-insensitive, any order):

``account_id``
    the platform's native account id.  Required unless ``handle`` is given.
``handle``
    used *as the native id* when ``account_id`` is absent or empty (a leading
    ``@`` is dropped).  Caveat: it then matches only accounts keyed by handle
    (e.g. from a CSV with no numeric ids), not the same account ingested from
    an API export under its numeric id, and a handle can be re-used.
``status``
    ``active``, ``suspended``, ``deleted`` or ``protected`` (any case).
``observed_at``
    ISO-8601; a date alone means midnight UTC, a time without offset is UTC.
``evidence`` (optional)
    what said so: a URL, a notice id, "profile page 404" ...
``platform`` (optional)
    overrides the adapter's default platform for that row.

A header without ``status``, ``observed_at`` or an id column makes the file
unreadable (the message names the columns found).  A row with a bad status, a
bad time, a missing value or the wrong number of fields is a bad record with
its line number; the other rows land.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from marsad.codec import parse_time
from marsad.errors import UnreadableFile
from marsad.ingest.base import IngestAdapter, RawRecord, Span
from marsad.ingest.csv_table import CsvRow, iter_csv_rows
from marsad.model import AccountStatus, StatusEvent

__all__ = ["StatusCsvAdapter"]

#: statuses a row may record (``unknown`` is what the store starts from, not an observation)
STATUSES = {
    s.value: s
    for s in (
        AccountStatus.ACTIVE,
        AccountStatus.SUSPENDED,
        AccountStatus.DELETED,
        AccountStatus.PROTECTED,
    )
}


class StatusCsvAdapter(IngestAdapter):
    """CSV rows -> :class:`StatusEvent` s; ``platform`` is the default for rows without one."""

    name = "status-csv"
    version = "1"
    platform = "*"
    description = "observed account statuses: account_id|handle, status, observed_at[, evidence]"

    def __init__(self, platform: str = "x") -> None:
        self.default_platform = platform

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> float:
        return 0.0  # explicit only: `marsad status FILE`

    def records(
        self, path: Path, source_id: str, start: int = 0, span: Span | None = None
    ) -> Iterator[RawRecord]:
        columns: dict[str, int] = {}
        width = 0
        for header, row in iter_csv_rows(path, start):
            if row is None:
                columns = _columns(path, header)
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
                event = self._event(row, columns, source_id)
            except ValueError as exc:
                yield RawRecord(row.record_no, row.line_no, row.raw, error=str(exc))
                continue
            yield RawRecord(row.record_no, row.line_no, row.raw, [event])

    def _event(self, row: CsvRow, columns: dict[str, int], source_id: str) -> StatusEvent:
        def value(name: str) -> str:
            return row.fields[columns[name]].strip() if name in columns else ""

        account_id = value("account_id") or value("handle").lstrip("@")
        if not account_id:
            raise ValueError("no account: account_id (or handle) is empty")
        status_text = value("status").lower()
        if status_text not in STATUSES:
            raise ValueError(
                f"status {value('status')!r} is not one of: {', '.join(sorted(STATUSES))}"
            )
        when = value("observed_at")
        if not when:
            raise ValueError("observed_at is empty")
        try:
            observed_at = parse_time(when)
        except ValueError:
            raise ValueError(
                f"observed_at: cannot parse time {when!r} (expected ISO-8601)"
            ) from None
        assert observed_at is not None
        return StatusEvent(
            platform=value("platform") or self.default_platform,
            account_id=account_id,
            status=STATUSES[status_text],
            observed_at=observed_at,
            evidence=value("evidence"),
            provenance=self.provenance(source_id, row.record_no, row.line_no),
        )

    @classmethod
    def examples(cls) -> list[tuple[str, bytes]]:
        return [
            (
                "statuses.csv",
                b"account_id,status,observed_at,evidence\n"
                b"100,suspended,2024-03-01,profile page says account suspended\n"
                b"200,ACTIVE,2024-03-01T12:00:00Z,\n",
            ),
            (
                "statuses_by_handle.csv",
                b"handle,status,observed_at,platform\n@weatherdesk,deleted,2024-03-02,x\n",
            ),
        ]


def _columns(path: Path, header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for i, name in enumerate(header):
        columns.setdefault(name.strip().lower(), i)
    missing = [c for c in ("status", "observed_at") if c not in columns]
    if "account_id" not in columns and "handle" not in columns:
        missing.insert(0, "account_id (or handle)")
    if missing:
        raise UnreadableFile(
            f"{path}: the header of this status CSV lacks column(s) {', '.join(missing)} "
            f"(found: {', '.join(header)})"
        )
    return columns
