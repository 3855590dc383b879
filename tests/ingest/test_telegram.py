"""Telegram Desktop export adapter: the real 2020 export from ``../shared``, synthetic
current-format exports (single chat and full account export), bad messages,
media paths that try to leave the export folder, and sniffing."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from marsad.errors import UnreadableFile
from marsad.hashing import pdq_bytes
from marsad.ingest import ADAPTERS, detect_format
from marsad.ingest.base import read_head
from marsad.ingest.telegram import TelegramExportAdapter
from marsad.model import Post
from marsad.pipeline import ingest_file
from marsad.store.duckdb import DuckDBStore
from tests.conftest import shared_file

DATA = Path(__file__).resolve().parents[1] / "data" / "telegram"
CHANNEL = DATA / "channel" / "result.json"
FULL = DATA / "full" / "result.json"
REAL = "fixtures/telegram_desktop_export_2020/tests/result.json"


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _chats(export: dict[str, Any]) -> list[dict[str, Any]]:
    """The chats of a single-chat or a full export, in file order."""
    if "messages" in export:
        return [export]
    return [*export["chats"]["list"], *export.get("left_chats", {}).get("list", [])]


def _plain(text: Any) -> str:
    if isinstance(text, str):
        return text
    return "".join(p if isinstance(p, str) else p["text"] for p in text)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rows(store: DuckDBStore, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return store.query(sql, params)


@functools.cache
def _posts(path: Path) -> dict[str, Post]:
    """The posts the adapter maps from *path*, by id (before the text stage enriches them)."""
    return {
        item.native_id: item
        for record in TelegramExportAdapter().records(path, "src")
        for item in record.items
        if isinstance(item, Post)
    }


def _ingested(tmp_path_factory: pytest.TempPathFactory, path: Path) -> Iterator[DuckDBStore]:
    with DuckDBStore(tmp_path_factory.mktemp("ws")) as store:
        ingest_file(store, path, fmt="telegram")
        yield store


@pytest.fixture(scope="module")
def channel_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    """The synthetic single-chat export, ingested once for the read-only tests."""
    yield from _ingested(tmp_path_factory, CHANNEL)


@pytest.fixture(scope="module")
def full_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    """The synthetic full account export, ingested once for the read-only tests."""
    yield from _ingested(tmp_path_factory, FULL)


# -- the real 2020 export ---------------------------------------------------------


def test_real_2020_export(store: DuckDBStore) -> None:
    path = shared_file(REAL)
    export = _load(path)
    chat_id = str(export["id"])
    messages = export["messages"]
    posts = [m for m in messages if m["type"] != "service"]
    service = [m for m in messages if m["type"] == "service"]
    assert service, "the fixture is expected to hold a service message"

    summary = ingest_file(store, path, fmt="telegram")

    assert summary.records == 1 + len(messages)  # the chat header, then every message
    assert summary.quarantined == 0
    assert _rows(store, "SELECT count(*) FROM raw_records")[0][0] == 1 + len(messages)
    assert _rows(store, "SELECT count(*) FROM posts")[0][0] == len(posts)
    # a channel: every post belongs to the channel, and the channel is the only account
    assert _rows(store, "SELECT DISTINCT account_id FROM posts") == [(chat_id,)]
    assert _rows(store, "SELECT native_id, kind, display_name FROM accounts") == [
        (chat_id, "channel", export["name"])
    ]
    got = {
        r[0]: r[1:] for r in _rows(store, "SELECT native_id, text, created_at, metrics FROM posts")
    }
    mapped = _posts(path)
    for m in posts:
        post_id = f"{chat_id}/{m['id']}"
        text, created_at, metrics = got[post_id]
        assert (text or "") == _plain(m["text"])
        # 2020 exports have only the local `date`, taken as UTC
        assert created_at == datetime.fromisoformat(m["date"]).replace(tzinfo=UTC)
        assert ("edited" in json.loads(metrics or "{}")) == ("edited" in m)
        # URLs from the typed parts, as the adapter gives them (before the text stage)
        parts = m["text"] if isinstance(m["text"], list) else []
        expected_urls = tuple(
            p["href"] if p["type"] == "text_link" else p["text"]
            for p in parts
            if isinstance(p, dict) and p["type"] in ("link", "text_link")
        )
        assert mapped[post_id].urls == expected_urls


def test_real_2020_export_media_hashed(store: DuckDBStore) -> None:
    path = shared_file(REAL)
    export = _load(path)
    chat_id = str(export["id"])
    expected: dict[str, tuple[str, int]] = {}
    for m in export["messages"]:
        n = 0
        for key in ("photo", "file", "thumbnail"):
            if key in m:
                media = path.parent / m[key]
                expected[f"{chat_id}/{m['id']}/{n}"] = (_sha256(media), media.stat().st_size)
                n += 1
    assert any(key.endswith("/0") for key in expected)

    ingest_file(store, path, fmt="telegram")

    rows = _rows(store, "SELECT native_id, sha256, size_bytes, md5, path, kind FROM media")
    assert {r[0]: (r[1], r[2]) for r in rows} == expected
    photos = [r for r in rows if r[5] == "photo"]
    assert photos, "the export's photos are hashed"
    for _, _, _, md5, media_path, _ in photos:
        assert md5 == hashlib.md5(Path(media_path).read_bytes()).hexdigest()  # noqa: S324
    # pictures carry their PDQ hash (python-threatexchange's); the photo file
    # that is only the text of another's name (a symlink checked out) has none
    pdqs = dict(_rows(store, "SELECT path, pdq FROM media WHERE kind = 'photo'"))
    pictures = {p: h for p, h in pdqs.items() if Path(p).read_bytes()[:3] == b"\xff\xd8\xff"}
    assert pictures and all(h == pdq_bytes(Path(p).read_bytes()).hex for p, h in pictures.items())
    assert all(h is None for p, h in pdqs.items() if p not in pictures)


def test_real_2020_export_reingest_changes_nothing(store: DuckDBStore) -> None:
    path = shared_file(REAL)
    ingest_file(store, path, fmt="telegram")
    before = store.counts()
    again = ingest_file(store, path, fmt="telegram")
    assert again.already_complete
    assert store.counts() == before


# -- synthetic current-format exports --------------------------------------------


def test_channel_export_counts(store: DuckDBStore) -> None:
    export = _load(CHANNEL)
    messages = export["messages"]
    posts = [m for m in messages if m["type"] != "service"]
    summary = ingest_file(store, CHANNEL, fmt="telegram")
    assert (summary.records, summary.quarantined) == (1 + len(messages), 0)
    assert _rows(store, "SELECT count(*) FROM posts")[0][0] == len(posts)
    assert _rows(store, "SELECT count(*) FROM edges WHERE kind = 'forwards'")[0][0] == sum(
        1 for m in posts if "forwarded_from" in m
    )
    # service messages keep their raw record and map to nothing
    raws = {r[0]: json.loads(r[1]) for r in _rows(store, "SELECT record_no, raw FROM raw_records")}
    assert [raws[i + 1] for i in range(len(messages))] == messages


@pytest.mark.parametrize(
    ("native_id", "column", "expected"),
    [
        # typed text parts are joined into one text
        (
            "1001/2",
            "text",
            "community notice 1: library opens at 10:00 #library see "
            "https://example.org/notices/1 or the calendar questions to @example_helpdesk",
        ),
        # hashtags and mentions from text_entities, without # and @
        ("1001/2", "hashtags", ("library",)),
        ("1001/2", "mentions", ("example_helpdesk",)),
        # link gives its text, text_link its href
        ("1001/2", "urls", ("https://example.org/notices/1", "https://example.org/calendar")),
        # reactions are summed over emoji
        ("1001/2", "metrics", {"reactions": 5}),
        # an edited message is flagged; the edit time stays in the raw record
        ("1001/3", "metrics", {"edited": 1}),
        # a channel post belongs to the channel
        ("1001/3", "account_id", "1001"),
        # date_unixtime is the time
        ("1001/3", "created_at", datetime(2024, 1, 5, 9, 10, tzinfo=UTC)),
        # a forward with only a name: the name is the source
        ("1001/4", "forward_from_account_id", "Example Weather Service"),
        ("1001/4", "kind", "message"),
        # a reply points at the chat's message
        ("1001/5", "kind", "reply"),
        ("1001/5", "reply_to_id", "1001/2"),
    ],
)
def test_channel_export_posts(native_id: str, column: str, expected: Any) -> None:
    assert getattr(_posts(CHANNEL)[native_id], column) == expected


def test_channel_export_media(channel_store: DuckDBStore) -> None:
    export = _load(CHANNEL)
    photo_msg = next(m for m in export["messages"] if "photo" in m)
    missing_msg = next(m for m in export["messages"] if "file" in m)
    rows = {
        r[0]: r[1:]
        for r in _rows(
            channel_store,
            "SELECT native_id, kind, path, sha256, size_bytes, width, height, duration_ms "
            "FROM media",
        )
    }
    photo_path = CHANNEL.parent / photo_msg["photo"]
    assert rows[f"1001/{photo_msg['id']}/0"] == (
        "photo",
        str(photo_path.resolve()),
        _sha256(photo_path),
        photo_path.stat().st_size,
        photo_msg["width"],
        photo_msg["height"],
        None,
    )
    # "(File not included ...)": the Media is kept, with no path and no hashes
    assert missing_msg["file"].startswith("(File not included")
    assert rows[f"1001/{missing_msg['id']}/0"] == (
        "video",
        None,
        None,
        missing_msg["file_size"],
        missing_msg["width"],
        missing_msg["height"],
        missing_msg["duration_seconds"] * 1000,
    )
    assert rows[f"1001/{missing_msg['id']}/1"][:3] == ("thumbnail", None, None)


def test_full_export_counts(store: DuckDBStore) -> None:
    export = _load(FULL)
    chats = _chats(export)
    messages = [m for c in chats for m in c["messages"]]
    posts = [m for m in messages if m["type"] != "service"]
    summary = ingest_file(store, FULL, fmt="telegram")
    assert (summary.records, summary.quarantined) == (len(chats) + len(messages), 0)
    assert _rows(store, "SELECT count(*) FROM posts")[0][0] == len(posts)
    assert sorted(r[0] for r in _rows(store, "SELECT native_id FROM posts")) == sorted(
        f"{c['id']}/{m['id']}" for c in chats for m in c["messages"] if m["type"] != "service"
    )
    # every sender of a non-channel chat is an account, besides the chats themselves
    senders = {
        m["from_id"].removeprefix("user").removeprefix("channel")
        for c in chats
        if not c["type"].endswith("channel")
        for m in c["messages"]
        if "from_id" in m
    }
    accounts = {r[0] for r in _rows(store, "SELECT native_id FROM accounts")}
    assert accounts == senders | {str(c["id"]) for c in chats}


@pytest.mark.parametrize(
    ("native_id", "kind", "display_name"),
    [
        ("5005", "channel", "Example Library Updates"),  # public_channel
        ("2002", "group", "Example Garden Club"),  # private_supergroup, not overwritten by its
        # anonymous admin posting as the group
        ("3004", "user", "Member B"),  # personal_chat: the chat id is the other person
        ("6006", "group", "Example Old Committee"),  # private_group from left_chats
        ("3003", "user", "Member A"),  # a group member
        ("9009", "user", "Example Person"),  # the exporting person, as a sender
    ],
)
def test_full_export_accounts(
    full_store: DuckDBStore, native_id: str, kind: str, display_name: str
) -> None:
    rows = _rows(
        full_store, "SELECT kind, display_name FROM accounts WHERE native_id = ?", native_id
    )
    assert rows == [(kind, display_name)]


@pytest.mark.parametrize(
    ("native_id", "column", "expected"),
    [
        # a group message belongs to its sender, with the user prefix dropped
        ("2002/11", "account_id", "3003"),
        ("2002/11", "metrics", {"reactions": 4}),
        # reply inside a group; mention_name gives the user id
        ("2002/12", "reply_to_id", "2002/11"),
        ("2002/12", "mentions", ("3003",)),
        # an anonymous admin posts as the group itself
        ("2002/13", "account_id", "2002"),
        # forwarded_from_id wins over the name
        ("2002/14", "forward_from_account_id", "5005"),
        # date_unixtime wins over the local-time `date` (3 hours ahead in this export)
        ("5005/2", "created_at", datetime(2024, 3, 1, 10, 5, tzinfo=UTC)),
        # personal chats: both sides are senders
        ("3004/1", "account_id", "9009"),
        ("3004/2", "account_id", "3004"),
    ],
)
def test_full_export_posts(native_id: str, column: str, expected: Any) -> None:
    assert getattr(_posts(FULL)[native_id], column) == expected


def test_full_export_forward_edge_and_media(full_store: DuckDBStore) -> None:
    export = _load(FULL)
    assert _rows(
        full_store, "SELECT src_id, dst_id, post_id FROM edges WHERE kind = 'forwards'"
    ) == [("3003", "5005", "2002/14")]
    expected = {}
    for chat in _chats(export):
        for m in chat["messages"]:
            for n, key in enumerate(k for k in ("photo", "file", "thumbnail") if k in m):
                expected[f"{chat['id']}/{m['id']}/{n}"] = _sha256(FULL.parent / m[key])
    assert dict(_rows(full_store, "SELECT native_id, sha256 FROM media")) == expected


@pytest.mark.parametrize("path", [CHANNEL, FULL])
def test_reingest_synthetic_changes_nothing(store: DuckDBStore, path: Path) -> None:
    ingest_file(store, path, fmt="telegram")
    before = store.counts()
    assert ingest_file(store, path, fmt="telegram").already_complete
    assert store.counts() == before


@pytest.mark.parametrize("path", [CHANNEL, FULL])
def test_resume_yields_the_tail(path: Path) -> None:
    adapter = TelegramExportAdapter()
    records = list(adapter.records(path, "src"))
    for start in (1, len(records) // 2, len(records) - 1):
        tail = list(adapter.records(path, "src", start))
        assert [dataclasses.astuple(r) for r in tail] == [
            dataclasses.astuple(r) for r in records[start:]
        ]


# -- bad input ----------------------------------------------------------------------


def _copy_export(src: Path, dest: Path, messages: list[dict[str, Any]]) -> Path:
    export = _load(src)
    export["messages"] = messages
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / "result.json"
    out.write_text(json.dumps(export, ensure_ascii=False, indent=1), encoding="utf-8")
    return out


def test_malformed_messages_quarantined(store: DuckDBStore, tmp_path: Path) -> None:
    messages = _load(CHANNEL)["messages"]
    broken = [dict(m) for m in messages]
    del broken[2]["date"], broken[2]["date_unixtime"]  # no time at all
    broken[3]["date_unixtime"] = "soon"  # not a number
    del broken[4]["id"]
    path = _copy_export(CHANNEL, tmp_path / "export", broken)

    summary = ingest_file(store, path, fmt="telegram")

    reasons = dict(_rows(store, "SELECT record_no, reason FROM quarantine"))
    assert reasons == {
        3: f"chat 1001, message #2 (id {broken[2]['id']}): missing date",
        4: f"chat 1001, message #3 (id {broken[3]['id']}): unparsable date_unixtime 'soon'",
        5: "chat 1001, message #4: missing id",
    }
    assert summary.quarantined == 3
    good = [m for i, m in enumerate(messages) if i not in (2, 3, 4) and m["type"] != "service"]
    assert sorted(r[0] for r in _rows(store, "SELECT native_id FROM posts")) == sorted(
        f"1001/{m['id']}" for m in good
    )
    # the raw bytes of the bad messages are kept in quarantine
    raw = _rows(store, "SELECT raw FROM quarantine WHERE record_no = 3")[0][0]
    assert json.loads(raw) == broken[2]


def test_media_paths_outside_the_export_are_not_read(store: DuckDBStore, tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"outside the export folder")
    export_dir = tmp_path / "export"
    (export_dir / "photos").mkdir(parents=True)
    inside = export_dir / "photos" / "ok.png"
    inside.write_bytes(b"inside the export folder")
    link = export_dir / "photos" / "link.png"
    link.symlink_to(secret)
    base = {"type": "message", "date_unixtime": "1704445500", "from_id": "channel1001"}
    messages = [
        {**base, "id": 1, "photo": "../secret.png", "text": "relative escape"},
        {**base, "id": 2, "photo": str(secret), "text": "absolute path"},
        {**base, "id": 3, "photo": "photos/link.png", "text": "symlink out"},
        {**base, "id": 4, "file": "photos/../../secret.png", "text": "escape after a folder"},
        {**base, "id": 5, "photo": "photos/ok.png", "text": "allowed"},
    ]
    path = _copy_export(CHANNEL, export_dir, messages)

    summary = ingest_file(store, path, fmt="telegram")

    assert summary.quarantined == 0
    assert _rows(store, "SELECT count(*) FROM posts")[0][0] == len(messages)
    rows = dict(_rows(store, "SELECT native_id, sha256 FROM media"))
    assert rows == {
        "1001/1/0": None,
        "1001/2/0": None,
        "1001/3/0": None,
        "1001/4/0": None,
        "1001/5/0": _sha256(inside),
    }
    assert _rows(store, "SELECT count(*) FROM media WHERE path IS NOT NULL")[0][0] == 1


def test_header_after_messages_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text(
        '{"messages": [{"id": 1, "type": "message", "date": "2024-01-01T00:00:00", "text": "a"}],'
        ' "name": "Example", "type": "public_channel", "id": 7}'
    )
    records = list(TelegramExportAdapter().records(path, "src"))
    assert [r.record_no for r in records] == [0, 1]
    assert all(r.error and r.items == [] for r in records)
    assert "before its messages" in (records[0].error or "")
    assert "message #0 (id 1)" in (records[1].error or "")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b'{"name": "x", "type": "public_channel", "id": 1, "messages": [{"id": 1,',
            "premature EOF",
        ),
        (b'{"name": "x", "id": 1, "messages": [{"id": 1 "date": 2}]}', "near byte"),  # no comma
        (b"", "not valid JSON"),  # empty
        (b"[1, 2]", "not a Telegram export"),  # valid JSON of another shape
        (b'{"data": {"id": "1"}}', "no chat found"),  # an object that holds no chat
    ],
)
def test_unreadable_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "result.json"
    path.write_bytes(content)
    with pytest.raises(UnreadableFile, match=message):
        list(TelegramExportAdapter().records(path, "src"))


# -- sniffing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (CHANNEL.read_bytes(), 0.95),  # single chat, current format
        (FULL.read_bytes(), 0.95),  # full export: its first chat's messages are in the head
        (b'{"about": "x", "chats": {"about": "y", "list": []}}', 0.9),  # chats, no message
        (b'{"about": "x", "personal_information": {"user_id": 1}, "contacts": {}}', 0.8),
        (b'{"data": {"id": "1", "text": "hello"}, "includes": {}}\n', 0.0),  # X API v2 line
        (b'{"type": "account", "platform": "x", "native_id": "1"}\n', 0.0),  # marsad JSONL
        (b'{"kind": "youtube#videoListResponse", "items": []}', 0.0),  # YouTube
        (b'{"messages": [], "type": "something_else"}', 0.0),  # no chat type Telegram writes
        (b"id,text\n1,hello\n", 0.0),  # CSV
    ],
)
def test_sniff(tmp_path: Path, content: bytes, expected: float) -> None:
    path = tmp_path / "result.json"
    path.write_bytes(content)
    assert TelegramExportAdapter.sniff(path, read_head(path)) == expected


def test_sniff_real_export() -> None:
    path = shared_file(REAL)
    assert TelegramExportAdapter.sniff(path, read_head(path)) >= 0.9


def _all_adapters_importable() -> bool:
    for target in ADAPTERS.values():
        try:
            importlib.import_module(target.partition(":")[0])
        except ImportError:
            return False
    return True


@pytest.mark.parametrize("relative", ["channel/result.json", "full/result.json", None])
def test_detect_format_picks_telegram(relative: str | None) -> None:
    if not _all_adapters_importable():
        pytest.skip("detect_format needs every adapter in the registry; not all are written yet")
    path = DATA / relative if relative else shared_file(REAL)
    assert detect_format(path) == "telegram"
