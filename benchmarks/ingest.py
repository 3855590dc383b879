"""Ingest throughput and peak memory: marsad against named peers, in one run.

Figures for ``BENCHMARKS.md`` (the "ingest" section).  For each format and
each size it times, as separate processes on the same file:

* **marsad** -- the real CLI, ``python -m marsad.cli ingest FILE -w <fresh
  workspace> --format x-v2|x-v1|telegram --json``: parse, map to the model,
  normalise text, identify language, write to DuckDB with checkpoints.  The
  workspace is deleted after each run.
* **X API v2 peer: twarc-csv** (PyPI ``twarc-csv``, the standard converter of
  twarc2 output), run as its users run it: ``twarc2 --bearer-token x csv
  --hide-progress IN OUT`` -- default options (one row per ``data`` tweet,
  retweets merged, entities processed); the dummy token only stops ``twarc2``
  from prompting for credentials (``csv`` never touches the network) and
  ``--hide-progress`` only hides the progress bar.  The CSV is checked to have
  one row per tweet.
* **X API v1.1 and Telegram peer: a pandas loader**, the usual "load it into a
  table" script: v1.1 -- read the lines, ``json.loads`` each,
  ``pandas.json_normalize(records)``; Telegram -- ``json.load`` the export and
  ``pandas.json_normalize(chats, record_path="messages", meta=[chat id, name,
  type])``.  The DataFrame is kept in memory, not written anywhere, and the
  process ends with ``os._exit`` once the row count is printed, so the peer is
  not charged for freeing its objects: both choices favour the peer.

Wall time spans process start to exit (interpreter start and imports
included, for every tool alike); posts/s is the number of posts in the file
(tweets in ``data`` for v2, tweet lines for v1.1, messages for Telegram)
divided by it.  Peak memory is the process's own peak RSS (``os.wait4``).
Each measurement is repeated ``--repeat`` times and the medians are printed.

Data (synthetic, benign, generated once and cached under ``--data-dir`` keyed
by format, size and generator version): neutral template sentences in Arabic,
English and French ("daily update number {n}" ...), each with a hashtag and a
mention, a URL in a fifth of them, from several thousand accounts (N/50,
between 50 and 5,000) and five clients; 15 % retweets (v1.1: with the full
``retweeted_status``; v2: the original in ``includes.tweets``) and 10 %
replies to recent posts.  X v2 is twarc2 search pages (100 tweets a line with
``includes.users``); v1.1 one tweet object a line; Telegram a full-account
Desktop export (``result.json``, current format with ``date_unixtime`` and
``text_entities``, pretty-printed as Telegram Desktop writes it) of three
channels and five supergroups.  ``--x-v2-source simulator`` takes the X v2
file from :mod:`marsad.simulate` instead.

Usage::

    .venv/bin/python benchmarks/ingest.py                 # 250k and 1M posts, 3 repeats
    .venv/bin/python benchmarks/ingest.py --quick         # 20k posts, 1 repeat (smoke run)
    .venv/bin/python benchmarks/ingest.py --sizes 100000 --formats x-v2 --repeat 1
    .venv/bin/python benchmarks/ingest.py --profile 100000   # cProfile marsad on X v2
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import shutil
import sys
import tempfile
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    Measurement,
    load_average,
    machine_lines,
    markdown_table,
    median,
    run_measured,
)

#: bump when the generated files change, so cached files are not reused
GENERATOR_VERSION = 1
FORMATS = ("x-v2", "x-v1", "telegram")
TITLES = {
    "x-v2": "X API v2 (twarc2 search pages)",
    "x-v1": "X API v1.1 (tweet lines)",
    "telegram": "Telegram Desktop export (result.json)",
}
PEERS = {"x-v2": "twarc-csv", "x-v1": "pandas", "telegram": "pandas"}
#: speed targets of the issue: marsad posts/s at least this multiple of the peer's
TARGETS = {"twarc-csv": 2.0, "pandas": 3.0}
SEED = 20240601
T0 = 1_609_459_200  # 2021-01-01T00:00:00Z
STEP_S = 30  # seconds between consecutive posts

# -- synthetic content ---------------------------------------------------------------------

SENTENCES = {
    "ar": ("تحديث يومي رقم {n}", "نشرة الأخبار المحلية رقم {n}", "حالة الطقس اليوم رقم {n}"),
    "en": (
        "daily update number {n}",
        "local news bulletin number {n}",
        "weather report number {n}",
    ),
    "fr": (
        "mise à jour quotidienne numéro {n}",
        "bulletin d'information locale numéro {n}",
        "météo du jour numéro {n}",
    ),
}
HASHTAGS = {
    "ar": ("أخبار", "طقس", "تحديث"),
    "en": ("news", "weather", "update"),
    "fr": ("actualites", "meteo", "info"),
}
LANGS = ("ar", "ar", "en", "en", "fr")  # 40 % Arabic, 40 % English, 20 % French
CLIENTS = (
    ("Twitter for Android", "http://twitter.com/download/android"),
    ("Twitter for iPhone", "http://twitter.com/download/iphone"),
    ("Twitter Web App", "https://mobile.twitter.com"),
    ("TweetDeck", "https://about.twitter.com/products/tweetdeck"),
    ("Buffer", "https://buffer.com"),
)
POST, REPOST, REPLY = "post", "repost", "reply"


def n_accounts(posts: int) -> int:
    return max(50, min(5000, posts // 50))


def account_id(a: int) -> str:
    return str(1_100_000_000 + a * 7_919)


def handle(a: int) -> str:
    return f"acct{a:05d}"


@dataclass(slots=True)
class Item:
    """One generated post, independent of the output format."""

    n: int  # 1-based position in the file
    tweet_id: str
    author: int
    created: int  # unix seconds
    lang: str
    text: str
    tags: list[tuple[int, int, str]]  # (start, end, tag without '#')
    mentions: list[tuple[int, int, int]]  # (start, end, account)
    urls: list[tuple[int, int, str, str]]  # (start, end, t.co url, expanded url)
    client: int
    kind: str = POST
    ref: Item | None = None
    metrics: tuple[int, int, int, int] = (0, 0, 0, 0)  # retweets, replies, likes, quotes


def _sentence(
    rng: random.Random, n: int, accounts: int
) -> tuple[str, str, list[Any], list[Any], list[Any]]:
    lang = LANGS[rng.randrange(5)]
    base = SENTENCES[lang][rng.randrange(3)].format(n=n)
    tag = HASHTAGS[lang][rng.randrange(3)]
    who = rng.randrange(accounts)
    text = f"{base} #{tag}"
    tags = [(len(base) + 1, len(text), tag)]
    start = len(text) + 1
    text += f" @{handle(who)}"
    mentions = [(start, len(text), who)]
    urls = []
    if rng.random() < 0.2:
        start = len(text) + 1
        short = f"https://t.co/b{n:09d}"
        text += f" {short}"
        urls.append((start, len(text), short, f"https://example.org/{lang}/{n}"))
    return lang, text, tags, mentions, urls


def _shift(spans: list[Any], by: int) -> list[Any]:
    return [(s + by, e + by, *rest) for s, e, *rest in spans]


def generate_items(posts: int, seed: int = SEED) -> Iterator[Item]:
    """*posts* items in time order; memory is bounded (a window of recent originals)."""
    rng = random.Random(seed)
    accounts = n_accounts(posts)
    recent: deque[Item] = deque(maxlen=500)
    for i in range(posts):
        n = i + 1
        author = rng.randrange(accounts)
        created = T0 + i * STEP_S
        tweet_id = str(1_345_000_000_000_000_000 + i * 4_194_304)
        client = rng.randrange(len(CLIENTS))
        roll = rng.random()
        metrics = (rng.randrange(20), rng.randrange(5), rng.randrange(50), rng.randrange(3))
        if roll < 0.15 and recent:
            orig = recent[rng.randrange(len(recent))]
            prefix = f"RT @{handle(orig.author)}: "
            yield Item(
                n,
                tweet_id,
                author,
                created,
                orig.lang,
                prefix + orig.text,
                _shift(orig.tags, len(prefix)),
                [(3, len(prefix) - 2, orig.author), *_shift(orig.mentions, len(prefix))],
                _shift(orig.urls, len(prefix)),
                client,
                REPOST,
                orig,
                (orig.metrics[0], 0, 0, 0),
            )
            continue
        lang, text, tags, mentions, urls = _sentence(rng, n, accounts)
        if roll < 0.25 and recent:
            orig = recent[rng.randrange(len(recent))]
            prefix = f"@{handle(orig.author)} "
            item = Item(
                n,
                tweet_id,
                author,
                created,
                lang,
                prefix + text,
                _shift(tags, len(prefix)),
                [(0, len(prefix) - 1, orig.author), *_shift(mentions, len(prefix))],
                _shift(urls, len(prefix)),
                client,
                REPLY,
                orig,
                metrics,
            )
        else:
            item = Item(n, tweet_id, author, created, lang, text, tags, mentions, urls, client)
            item.metrics = metrics
        recent.append(item)
        yield item


# -- X API v2 (twarc2 pages) ------------------------------------------------------------------


def _iso_x(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _v2_user(a: int) -> dict[str, Any]:
    return {
        "id": account_id(a),
        "username": handle(a),
        "name": f"Account {a}",
        "description": "daily notes and local news",
        "location": "",
        "url": "",
        "created_at": _iso_x(T0 - 86_400 * (100 + a % 2000)),
        "protected": False,
        "verified": False,
        "profile_image_url": f"https://pbs.twimg.com/profile_images/{a}/avatar_normal.jpg",
        "public_metrics": {
            "followers_count": 10 + a % 997,
            "following_count": 20 + a % 503,
            "tweet_count": 100 + a % 4001,
            "listed_count": a % 7,
        },
    }


def _v2_tweet(it: Item) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": it.tweet_id,
        "text": it.text,
        "author_id": account_id(it.author),
        "created_at": _iso_x(it.created),
        "conversation_id": (it.ref.tweet_id if it.kind == REPLY and it.ref else it.tweet_id),
        "lang": it.lang,
        "source": CLIENTS[it.client][0],
        "possibly_sensitive": False,
        "reply_settings": "everyone",
        "edit_history_tweet_ids": [it.tweet_id],
    }
    if it.ref is not None:
        kind = "retweeted" if it.kind == REPOST else "replied_to"
        out["referenced_tweets"] = [{"type": kind, "id": it.ref.tweet_id}]
        if it.kind == REPLY:
            out["in_reply_to_user_id"] = account_id(it.ref.author)
    entities: dict[str, Any] = {
        "hashtags": [{"start": s, "end": e, "tag": t} for s, e, t in it.tags],
        "mentions": [
            {"start": s, "end": e, "username": handle(a), "id": account_id(a)}
            for s, e, a in it.mentions
        ],
    }
    if it.urls:
        entities["urls"] = [
            {"start": s, "end": e, "url": u, "expanded_url": x, "display_url": x[8:]}
            for s, e, u, x in it.urls
        ]
    out["entities"] = entities
    rt, reply, like, quote = it.metrics
    out["public_metrics"] = {
        "retweet_count": rt,
        "reply_count": reply,
        "like_count": like,
        "quote_count": quote,
    }
    return out


def write_x_v2(path: Path, posts: int) -> None:
    import orjson

    users: dict[int, dict[str, Any]] = {}

    def user(a: int) -> dict[str, Any]:
        if a not in users:
            users[a] = _v2_user(a)
        return users[a]

    url = (
        "https://api.twitter.com/2/tweets/search/all?query=%28benchmark%29"
        "&expansions=author_id%2Creferenced_tweets.id%2Centities.mentions.username&max_results=100"
    )
    with open(path, "wb", buffering=1 << 20) as fh:
        page: list[Item] = []
        for item in generate_items(posts):
            page.append(item)
            if len(page) == 100:
                fh.write(_v2_page(page, user, url, orjson.dumps))
                page = []
        if page:
            fh.write(_v2_page(page, user, url, orjson.dumps))


def _v2_page(page: list[Item], user: Any, url: str, dumps: Any) -> bytes:
    newest_first = page[::-1]
    authors: dict[int, None] = {}
    refs: dict[str, dict[str, Any]] = {}
    for it in newest_first:
        authors[it.author] = None
        for _, _, a in it.mentions:
            authors[a] = None
        if it.ref is not None:
            refs.setdefault(it.ref.tweet_id, _v2_tweet(it.ref))
            authors[it.ref.author] = None
    includes: dict[str, Any] = {"users": [user(a) for a in authors]}
    if refs:
        includes["tweets"] = list(refs.values())
    data = [_v2_tweet(it) for it in newest_first]
    obj = {
        "data": data,
        "includes": includes,
        "meta": {
            "newest_id": data[0]["id"],
            "oldest_id": data[-1]["id"],
            "result_count": len(data),
        },
        "__twarc": {
            "url": url,
            "version": "2.13.0",
            "retrieved_at": datetime.fromtimestamp(page[-1].created + 60, UTC).isoformat(),
        },
    }
    return bytes(dumps(obj)) + b"\n"


# -- X API v1.1 (one tweet a line) -----------------------------------------------------------


def _v1_time(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%a %b %d %H:%M:%S +0000 %Y")


def _v1_user(a: int) -> dict[str, Any]:
    return {
        "id": int(account_id(a)),
        "id_str": account_id(a),
        "name": f"Account {a}",
        "screen_name": handle(a),
        "location": "",
        "url": None,
        "description": "daily notes and local news",
        "protected": False,
        "verified": False,
        "followers_count": 10 + a % 997,
        "friends_count": 20 + a % 503,
        "listed_count": a % 7,
        "favourites_count": a % 311,
        "statuses_count": 100 + a % 4001,
        "created_at": _v1_time(T0 - 86_400 * (100 + a % 2000)),
        "utc_offset": None,
        "time_zone": None,
        "geo_enabled": False,
        "lang": None,
        "profile_image_url_https": f"https://pbs.twimg.com/profile_images/{a}/avatar_normal.jpg",
        "default_profile": True,
        "default_profile_image": False,
    }


def _v1_tweet(it: Item, users: dict[int, dict[str, Any]]) -> dict[str, Any]:
    if it.author not in users:
        users[it.author] = _v1_user(it.author)
    name, link = CLIENTS[it.client]
    reply = it.ref if it.kind == REPLY else None
    out: dict[str, Any] = {
        "created_at": _v1_time(it.created),
        "id": int(it.tweet_id),
        "id_str": it.tweet_id,
        "text": it.text,
        "source": f'<a href="{link}" rel="nofollow">{name}</a>',
        "truncated": False,
        "in_reply_to_status_id": int(reply.tweet_id) if reply else None,
        "in_reply_to_status_id_str": reply.tweet_id if reply else None,
        "in_reply_to_user_id": int(account_id(reply.author)) if reply else None,
        "in_reply_to_user_id_str": account_id(reply.author) if reply else None,
        "in_reply_to_screen_name": handle(reply.author) if reply else None,
        "user": users[it.author],
        "geo": None,
        "coordinates": None,
        "place": None,
        "contributors": None,
        "is_quote_status": False,
        "retweet_count": it.metrics[0],
        "favorite_count": it.metrics[2],
        "entities": {
            "hashtags": [{"text": t, "indices": [s, e]} for s, e, t in it.tags],
            "urls": [
                {"url": u, "expanded_url": x, "display_url": x[8:], "indices": [s, e]}
                for s, e, u, x in it.urls
            ],
            "user_mentions": [
                {
                    "screen_name": handle(a),
                    "name": f"Account {a}",
                    "id": int(account_id(a)),
                    "id_str": account_id(a),
                    "indices": [s, e],
                }
                for s, e, a in it.mentions
            ],
            "symbols": [],
        },
        "favorited": False,
        "retweeted": False,
        "filter_level": "low",
        "lang": it.lang,
        "timestamp_ms": str(it.created * 1000),
    }
    if it.urls:
        out["possibly_sensitive"] = False
    if it.kind == REPOST and it.ref is not None:
        out["retweeted_status"] = _v1_tweet(it.ref, users)
    return out


def write_x_v1(path: Path, posts: int) -> None:
    import orjson

    users: dict[int, dict[str, Any]] = {}
    with open(path, "wb", buffering=1 << 20) as fh:
        for item in generate_items(posts):
            fh.write(orjson.dumps(_v1_tweet(item, users)) + b"\n")


# -- Telegram Desktop export ---------------------------------------------------------------

#: (type, name, share of the messages); channels post as themselves
CHATS = (
    ("public_channel", "Daily Weather Channel", 0.10),
    ("public_channel", "Local News Channel", 0.10),
    ("private_channel", "Community Notes", 0.10),
    ("public_supergroup", "City Discussion", 0.20),
    ("public_supergroup", "Weather Watchers", 0.15),
    ("private_supergroup", "Neighbourhood Group", 0.15),
    ("public_supergroup", "Language Exchange", 0.10),
    ("private_supergroup", "Book Club", 0.10),
)


def _tg_parts(it: Item) -> tuple[list[Any], list[dict[str, str]]]:
    """``text`` (strings and typed parts) and ``text_entities`` of an item's text."""
    spans = sorted(
        [(s, e, "hashtag") for s, e, _ in it.tags]
        + [(s, e, "mention") for s, e, _ in it.mentions]
        + [(s, e, "link") for s, e, _, _ in it.urls]
    )
    text, at = it.text, 0
    parts: list[Any] = []
    entities: list[dict[str, str]] = []
    for s, e, kind in spans:
        if s > at:
            parts.append(text[at:s])
            entities.append({"type": "plain", "text": text[at:s]})
        value = text[s:e]
        if kind == "link":  # Telegram shows the link itself, not a t.co wrapper
            value = next(x for ss, _, _, x in it.urls if ss == s)
        parts.append({"type": kind, "text": value})
        entities.append({"type": kind, "text": value})
        at = e
    if at < len(text):
        parts.append(text[at:])
        entities.append({"type": "plain", "text": text[at:]})
    return parts, entities


def write_telegram(path: Path, posts: int) -> None:
    import orjson

    indent = orjson.OPT_INDENT_2
    counts = [int(posts * share) for _, _, share in CHATS]
    counts[3] += posts - sum(counts)
    items = generate_items(posts)
    rng = random.Random(SEED + 1)
    header = {
        "about": "Here is the data you requested from Telegram.",
        "personal_information": {
            "user_id": 1_000_001,
            "first_name": "Benchmark",
            "last_name": "",
            "phone_number": "",
            "username": "",
            "bio": "",
        },
    }
    with open(path, "wb", buffering=1 << 20) as fh:
        fh.write(orjson.dumps(header, option=indent)[:-2])  # drop the closing "\n}"
        fh.write(b',\n  "chats": {\n    "about": "This page lists all chats.",\n    "list": [\n')
        for c, ((kind, name, _), count) in enumerate(zip(CHATS, counts, strict=True)):
            chat_id = 1_500_000_000 + c * 1_000_003
            is_channel = kind.endswith("channel")
            head = {"name": name, "type": kind, "id": chat_id}
            fh.write(b"," if c else b"")
            fh.write(orjson.dumps(head, option=indent)[:-2] + b',\n  "messages": [\n')
            for m in range(count):
                it = next(items)
                msg_id = m + 1
                parts, entities = _tg_parts(it)
                msg: dict[str, Any] = {
                    "id": msg_id,
                    "type": "message",
                    "date": datetime.fromtimestamp(it.created, UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                    "date_unixtime": str(it.created),
                }
                if is_channel:
                    msg["from"] = name
                    msg["from_id"] = f"channel{chat_id}"
                else:
                    msg["from"] = f"Account {it.author}"
                    msg["from_id"] = f"user{account_id(it.author)}"
                roll = rng.random()
                if roll < 0.10 and msg_id > 1:
                    msg["reply_to_message_id"] = msg_id - 1 - rng.randrange(min(msg_id - 1, 50))
                elif roll < 0.15:
                    msg["forwarded_from"] = CHATS[(c + 1) % len(CHATS)][1]
                if rng.random() < 0.05:
                    msg["edited"] = datetime.fromtimestamp(it.created + 120, UTC).strftime(
                        "%Y-%m-%dT%H:%M:%S"
                    )
                    msg["edited_unixtime"] = str(it.created + 120)
                msg["text"] = parts
                msg["text_entities"] = entities
                fh.write(b",\n" if m else b"")
                fh.write(orjson.dumps(msg, option=indent))
            fh.write(b"\n  ]\n}")
        fh.write(b"\n    ]\n  }\n}\n")


# -- the data files ----------------------------------------------------------------------------

WRITERS = {"x-v2": write_x_v2, "x-v1": write_x_v1, "telegram": write_telegram}


@dataclass
class DataFile:
    fmt: str
    path: Path
    posts: int
    source: str  # "generator" or "simulator"
    exact: bool  # marsad's stored post count must equal posts


def data_file(fmt: str, posts: int, data_dir: Path, x_v2_source: str) -> DataFile:
    """The cached file for (*fmt*, *posts*), generated first if missing."""
    if fmt == "x-v2" and x_v2_source in ("auto", "simulator"):
        try:
            return _simulated_x_v2(posts, data_dir)
        except Exception as exc:  # the simulator is optional; say why it was not used
            if x_v2_source == "simulator":
                raise
            print(f"note: X v2 file from the built-in generator ({exc})", file=sys.stderr)
    name = {"x-v2": "x-v2.jsonl", "x-v1": "x-v1.jsonl", "telegram": "result.json"}[fmt]
    folder = data_dir / f"{fmt}-{posts}-g{GENERATOR_VERSION}"
    path = folder / name
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{name}.partial"
        print(f"generating {path} ({posts:,} posts) …", file=sys.stderr)
        WRITERS[fmt](tmp, posts)
        tmp.rename(path)
    return DataFile(fmt, path, posts, "generator", exact=True)


def _simulated_x_v2(posts: int, data_dir: Path) -> DataFile:
    import orjson

    from marsad.simulate import SimConfig, simulate

    folder = data_dir / f"x-v2-{posts}-sim"
    path = folder / "x_v2_tweets.jsonl"
    meta = folder / "bench-meta.json"
    if not meta.is_file():
        shutil.rmtree(folder, ignore_errors=True)
        print(f"simulating {folder} ({posts:,} posts) …", file=sys.stderr)
        config = SimConfig.from_profile("census-2014", posts=posts, seed=7)
        simulate(config, folder, formats=["x-v2"])
        with open(path, "rb") as fh:
            tweets = sum(len(orjson.loads(line).get("data") or []) for line in fh if line.strip())
        meta.write_text(json.dumps({"posts": tweets}))
    return DataFile("x-v2", path, json.loads(meta.read_text())["posts"], "simulator", False)


# -- the tools -------------------------------------------------------------------------------


def marsad_cmd(df: DataFile, workspace: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "marsad.cli",
        "ingest",
        str(df.path),
        "-w",
        str(workspace),
        "--format",
        df.fmt,
        "--json",
    ]


def twarc2_exe() -> str | None:
    local = Path(sys.executable).with_name("twarc2")
    return str(local) if local.is_file() else shutil.which("twarc2")


def peer_unavailable(peer: str) -> str | None:
    """Why *peer* cannot run here, or None."""
    if peer == "twarc-csv":
        if importlib.util.find_spec("twarc_csv") is None or twarc2_exe() is None:
            return "twarc-csv is not installed (pip install 'twarc-csv>=0.7', or the bench extra)"
    elif importlib.util.find_spec("pandas") is None:
        return "pandas is not installed"
    return None


TWARC_ARGS = ["--bearer-token", "x", "csv", "--hide-progress"]


def peer_cmd(peer: str, df: DataFile, out: Path) -> list[str]:
    me = [sys.executable, str(Path(__file__).resolve())]
    if peer == "twarc-csv":
        return [*me, "--twarc-peer", str(df.path), str(out)]
    return [*me, "--pandas-peer", df.fmt, str(df.path)]


def twarc_peer(infile: str, outfile: str) -> None:
    """``twarc2 --bearer-token x csv --hide-progress IN OUT``, in this process.

    twarc-csv 0.7.2 calls ``DataFrame.applymap``, which pandas 3 removed
    (DocNow/twarc-csv#68 reports its deprecation warning); ``DataFrame.map`` is
    the same method renamed in pandas 2.1, so it is put back under the old name.
    """
    import pandas as pd
    from twarc.command2 import twarc2

    if not hasattr(pd.DataFrame, "applymap"):
        pd.DataFrame.applymap = pd.DataFrame.map
    twarc2.main([*TWARC_ARGS, infile, outfile], prog_name="twarc2")


def pandas_peer(fmt: str, path: str) -> None:
    """The pandas loader (runs in its own process; see the module docstring)."""
    import json as stdjson

    import pandas as pd

    if fmt == "x-v1":
        with open(path, encoding="utf-8") as fh:
            records = [stdjson.loads(line) for line in fh if line.strip()]
        frame = pd.json_normalize(records)
    else:
        with open(path, encoding="utf-8") as fh:
            export = stdjson.load(fh)
        chats = export["chats"]["list"] if "chats" in export else [export]
        frame = pd.json_normalize(
            chats, record_path="messages", meta=["id", "name", "type"], meta_prefix="chat."
        )
    print(stdjson.dumps({"rows": len(frame), "columns": frame.shape[1]}), flush=True)
    os._exit(0)


def csv_rows(path: Path) -> int:
    import csv

    csv.field_size_limit(1 << 30)
    with open(path, encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


@dataclass
class Runs:
    tool: str
    posts: int
    runs: list[Measurement] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    killed: Measurement | None = None  # a run stopped by the time or memory guard

    @property
    def wall(self) -> float:
        return median([m.wall_s for m in self.runs])

    @property
    def rss(self) -> float:
        return median([m.peak_rss_mb for m in self.runs])

    @property
    def rate(self) -> float:
        return self.posts / self.wall if self.runs else float("nan")


@dataclass(frozen=True)
class Limits:
    timeout_s: float
    rss_mb: float


def _failed(result: Runs, m: Measurement, limits: Limits) -> bool:
    """Record a killed or failed run; True if the measurement must stop."""
    print(
        f"  {result.tool} {result.posts:,}: {m.wall_s:,.1f} s, {m.peak_rss_mb:,.0f} MB"
        + (f", stopped ({m.killed})" if m.killed else "")
        + (f", exit {m.returncode}" if m.returncode and not m.killed else ""),
        file=sys.stderr,
        flush=True,
    )
    if m.killed:
        result.killed = m
        what = (
            f"peak RSS above the {limits.rss_mb / 1024:g} GB guard"
            if m.killed == "memory"
            else f"still running after the {limits.timeout_s:.0f} s time limit"
        )
        result.problems.append(f"stopped after {m.wall_s:,.0f} s: {what}")
        return True
    if m.returncode != 0:
        result.problems.append(f"{result.tool} exited {m.returncode}: {_tail(m.stderr)}")
        return True
    return False


def measure_marsad(df: DataFile, repeat: int, scratch: Path, limits: Limits) -> Runs:
    result = Runs("marsad", df.posts)
    for r in range(repeat):
        workspace = Path(tempfile.mkdtemp(prefix="marsad-ws-", dir=scratch))
        try:
            m = run_measured(
                marsad_cmd(df, workspace),
                cwd=scratch,
                timeout=limits.timeout_s,
                rss_limit_mb=limits.rss_mb,
            )
            if _failed(result, m, limits):
                return result
            result.runs.append(m)
            if r == 0:
                result.problems.extend(_check_marsad(m, df, workspace, scratch))
        finally:
            shutil.rmtree(workspace, ignore_errors=True)
    return result


def _check_marsad(m: Measurement, df: DataFile, workspace: Path, scratch: Path) -> list[str]:
    """Problems with what marsad stored (first repeat only; not timed)."""
    import subprocess

    problems = []
    try:
        summary = json.loads(m.stdout)[0]
        if summary["quarantined"]:
            problems.append(f"marsad quarantined {summary['quarantined']:,} records")
        info = subprocess.run(
            [sys.executable, "-m", "marsad.cli", "info", "-w", str(workspace), "--json"],
            cwd=scratch,
            capture_output=True,
            text=True,
            check=True,
        )
        stored = json.loads(info.stdout)["counts"]["posts"]
    except (ValueError, KeyError, IndexError, subprocess.CalledProcessError) as exc:
        return [f"could not read marsad's summary or workspace: {exc}"]
    if (stored != df.posts) if df.exact else (stored < df.posts):
        problems.append(f"marsad stored {stored:,} posts, the file has {df.posts:,}")
    return problems


def measure_peer(peer: str, df: DataFile, repeat: int, scratch: Path, limits: Limits) -> Runs:
    result = Runs(peer, df.posts)
    for r in range(repeat):
        out = scratch / "peer-out.csv"
        try:
            m = run_measured(
                peer_cmd(peer, df, out),
                cwd=scratch,
                timeout=limits.timeout_s,
                rss_limit_mb=limits.rss_mb,
            )
            if _failed(result, m, limits):
                return result
            result.runs.append(m)
            if r == 0:
                # one row per v2 tweet, per v1.1 tweet line, per Telegram message
                rows = csv_rows(out) if peer == "twarc-csv" else json.loads(m.stdout)["rows"]
                if rows != df.posts:
                    result.problems.append(f"{peer} produced {rows:,} rows, expected {df.posts:,}")
        finally:
            out.unlink(missing_ok=True)
    return result


def _tail(text: str, lines: int = 5) -> str:
    return " | ".join(text.strip().splitlines()[-lines:])


# -- report ----------------------------------------------------------------------------------


def _mb(x: float) -> str:
    return f"{x:,.0f}"


def report(fmt: str, results: dict[int, list[Runs]], source: str) -> str:
    peer = PEERS[fmt]
    out = [f"### {TITLES[fmt]}", ""]
    if fmt == "x-v2" and source == "simulator":
        out += ["File from `marsad simulate` (census-2014 profile, seed 7).", ""]
    rows = []
    for size, runs in sorted(results.items()):
        ours = next((r for r in runs if r.tool == "marsad" and r.runs), None)
        for r in runs:
            if r.killed is not None and not r.runs:
                why = "memory guard" if r.killed.killed == "memory" else "time limit"
                rss = f"> {_mb(r.killed.peak_rss_mb)}"
                rows.append([f"{r.tool} (stopped: {why})", f"{size:,}", "–", "–", rss, "–"])
            if not r.runs:
                continue
            ratio = "1.00×" if r is ours else (f"{ours.rate / r.rate:.2f}×" if ours else "–")
            rows.append(
                [r.tool, f"{size:,}", f"{r.wall:,.1f}", f"{r.rate:,.0f}", _mb(r.rss), ratio]
            )
    headers = ["tool", "posts", "wall s (median)", "posts/s", "peak RSS MB", "marsad speed ÷ tool"]
    if rows:
        out.append(markdown_table(headers, rows))
    sizes = sorted(results)
    notes = []
    if len(sizes) > 1:
        lo, hi = sizes[0], sizes[-1]
        for tool in ("marsad", peer):
            a = next((r for r in results[lo] if r.tool == tool and r.runs), None)
            b = next((r for r in results[hi] if r.tool == tool and r.runs), None)
            if a and b:
                notes.append(
                    f"- {tool} peak RSS at {hi:,} vs {lo:,} posts: {_mb(b.rss)} vs {_mb(a.rss)} MB"
                    f" (×{b.rss / a.rss:.2f} for ×{hi / lo:.0f} the posts)"
                )
    big = sizes[-1] if sizes else None
    if big is not None:
        ours = next((r for r in results[big] if r.tool == "marsad" and r.runs), None)
        theirs = next((r for r in results[big] if r.tool == peer and r.runs), None)
        if ours and theirs:
            got, want = ours.rate / theirs.rate, TARGETS[peer]
            verdict = "met" if got >= want else "NOT met"
            notes.append(
                f"- target ≥{want:.0f}× {peer}'s posts/s at {big:,} posts: {got:.2f}× ({verdict})"
            )
    for runs in results.values():
        for r in runs:
            notes += [f"- {r.tool} at {r.posts:,} posts: {p}" for p in r.problems]
    if notes:
        out += ["", *notes]
    return "\n".join(out)


# -- profile ------------------------------------------------------------------------------------


def profile_marsad(posts: int, data_dir: Path, top: int = 15) -> None:
    """cProfile ``pipeline.ingest_file`` on an X v2 file: main thread and writer thread."""
    import cProfile
    import io
    import pstats
    import time

    from marsad import pipeline

    df = data_file("x-v2", posts, data_dir, "generator")
    writer_prof = cProfile.Profile()
    original = pipeline._BatchWriter._run

    def profiled_run(self: Any) -> None:
        writer_prof.enable()
        try:
            original(self)
        finally:
            writer_prof.disable()

    pipeline._BatchWriter._run = profiled_run  # type: ignore[method-assign]
    main_prof = cProfile.Profile()
    with tempfile.TemporaryDirectory(dir=data_dir) as ws, pipeline.open_store(ws) as store:
        started = time.perf_counter()
        main_prof.enable()
        summary = pipeline.ingest_file(store, df.path, fmt="x-v2")
        main_prof.disable()
        wall = time.perf_counter() - started
    pipeline._BatchWriter._run = original  # type: ignore[method-assign]
    print(f"## cProfile of marsad ingest, X v2, {posts:,} posts ({df.path})\n")
    print(f"wall {wall:.1f} s under the profiler, {summary.records:,} records\n")
    for title, prof in (("main thread", main_prof), ("writer thread", writer_prof)):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
        print(f"### {title}: top {top} by total time\n\n```")
        print(buf.getvalue().strip())
        print("```\n")


# -- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", help="comma-separated post counts (default 250000,1000000)")
    ap.add_argument("--repeat", type=int, help="runs per measurement (default 3)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 20,000 posts, 1 repeat")
    ap.add_argument("--formats", default=",".join(FORMATS), help="subset of x-v2,x-v1,telegram")
    ap.add_argument("--data-dir", type=Path, default=Path("bench-data"), help="file cache")
    ap.add_argument(
        "--x-v2-source",
        choices=("generator", "simulator", "auto"),
        default="generator",
        help="where the X v2 file comes from (auto: the simulator if it works)",
    )
    ap.add_argument("--no-peers", action="store_true", help="measure marsad only")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per run")
    ap.add_argument(
        "--mem-limit-gb",
        type=float,
        default=12,
        help="stop a run whose resident memory passes this (default 12: half this machine)",
    )
    ap.add_argument("--json-out", type=Path, help="also write every measurement as JSON")
    ap.add_argument("--profile", type=int, metavar="POSTS", help="cProfile marsad on X v2")
    ap.add_argument("--pandas-peer", nargs=2, metavar=("FORMAT", "FILE"), help=argparse.SUPPRESS)
    ap.add_argument("--twarc-peer", nargs=2, metavar=("IN", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.pandas_peer:
        pandas_peer(*args.pandas_peer)
        return 0
    if args.twarc_peer:
        twarc_peer(*args.twarc_peer)
        return 0
    data_dir: Path = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    if args.profile:
        profile_marsad(args.profile, data_dir)
        return 0
    sizes = [
        int(s) for s in (args.sizes or ("20000" if args.quick else "250000,1000000")).split(",")
    ]
    repeat = args.repeat or (1 if args.quick else 3)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        ap.error(f"unknown format(s): {', '.join(unknown)}")

    print("## Ingest throughput and memory\n")
    print(f"- sizes: {', '.join(f'{s:,}' for s in sizes)} posts; {repeat} repeat(s), medians")
    for line in machine_lines(["duckdb", "orjson", "ijson", "pandas", "twarc", "twarc-csv"]):
        print(line)
    print()
    skipped = {
        peer: why
        for peer in {PEERS[f] for f in formats}
        if (why := ("--no-peers" if args.no_peers else peer_unavailable(peer)))
    }
    for peer, why in sorted(skipped.items()):
        print(f"- skipped {peer}: {why}")
    if skipped:
        print()
    sys.stdout.flush()

    limits = Limits(args.timeout, args.mem_limit_gb * 1024)
    dump: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-", dir=data_dir) as scratch_name:
        scratch = Path(scratch_name)
        for fmt in formats:
            results: dict[int, list[Runs]] = {}
            source = "generator"
            for size in sizes:
                df = data_file(fmt, size, data_dir, args.x_v2_source)
                source = df.source
                runs = [measure_marsad(df, repeat, scratch, limits)]
                peer = PEERS[fmt]
                if peer not in skipped:
                    runs.append(measure_peer(peer, df, repeat, scratch, limits))
                results[size] = runs
                for r in runs:
                    dump.append(
                        {
                            "format": fmt,
                            "tool": r.tool,
                            "posts": r.posts,
                            "file_bytes": df.path.stat().st_size,
                            "wall_s": [m.wall_s for m in r.runs],
                            "peak_rss_mb": [m.peak_rss_mb for m in r.runs],
                            "problems": r.problems,
                            "stopped": r.killed.killed if r.killed else "",
                        }
                    )
            print(report(fmt, results, source), end="\n\n", flush=True)
    print(f"- load average at end: {load_average()}")
    if args.json_out:
        args.json_out.write_text(json.dumps(dump, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
