"""Writes the covert network's Telegram channels as a Telegram Desktop full export.

Part of the simulate stage (outside the flow: the file goes through the real
``telegram`` ingest adapter).  ``telegram/result.json`` has the shape Telegram
Desktop gives a full-account export in its current format::

    {"about": ..., "personal_information": {...},
     "chats": {"about": ..., "list": [
        {"name": "Amaq", "type": "public_channel", "id": 1234567890,
         "messages": [
           {"id": 1, "type": "service", "date": "...", "date_unixtime": "...",
            "actor": "Amaq", "actor_id": "channel1234567890",
            "action": "create_channel", "title": "Amaq", "text": "", "text_entities": []},
           {"id": 2, "type": "message", "date": "2015-01-01T08:00:00",
            "date_unixtime": "1420099200", "from": "Amaq", "from_id": "channel1234567890",
            "text": ["daily update 1 from Amaq ", {"type": "hashtag", "text": "#Amaq"}],
            "text_entities": [{"type": "plain", "text": "daily update 1 from Amaq "},
                              {"type": "hashtag", "text": "#Amaq"}]}, ...]}, ...]}}

One channel per branded outlet posts originals (neutral template text, the
outlet's hashtag, sometimes a link); ``relay_channels`` relays mostly forward
recent outlet posts (``forwarded_from`` the outlet's name and
``forwarded_from_id`` ``"channel<id>"``) and post a few originals.  ``date`` is
written in UTC (Telegram Desktop writes the exporting computer's local time).
The document is written message by message, never held whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from marsad.model import Account, AccountKind, AccountStatus, Edge, EdgeKind, Post, PostKind, Record
from marsad.simulate.config import SimConfig
from marsad.simulate.population import Channels
from marsad.simulate.text import COVERT_DOMAINS, LANGUAGES, TEMPLATES, slug

__all__ = ["TelegramResult", "write_telegram"]

#: share of Telegram messages posted by outlets (the rest by relays; assumption)
_OUTLET_SHARE = 0.6
#: share of a relay's messages that are forwards (assumption)
_FORWARD_SHARE = 0.8
_ABOUT = (
    "Here is the data you requested. Remember: Telegram is ad free, it doesn't sell your "
    "data and it doesn't give it to anyone else."
)


@dataclass
class TelegramResult:
    """What was written: messages per channel and the records for ``marsad.jsonl``."""

    path: Path | None
    messages: dict[int, int] = field(default_factory=dict)  # channel id -> messages
    records: list[Record] = field(default_factory=list)


def _date(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def write_telegram(
    config: SimConfig, channels: Channels, rng: np.random.Generator, out_dir: Path | None
) -> TelegramResult:
    """Generate the channels' messages; write ``result.json`` when *out_dir* is given."""
    start = int(config.start.timestamp())
    end = int(config.end.timestamp())
    n = channels.ids.size
    relay = channels.is_relay
    total = config.telegram_posts
    n_out = int((~relay).sum())
    share = np.where(
        relay, (1 - _OUTLET_SHARE) / max(int(relay.sum()), 1), _OUTLET_SHARE / max(n_out, 1)
    )
    if not relay.any():
        share = np.full(n, 1.0 / n)
    weights = share * rng.lognormal(0.0, 0.5, n)
    per_channel = (
        rng.multinomial(total, weights / weights.sum()) if total else np.zeros(n, np.int64)
    )

    # outlet messages first: relays forward them
    plans: list[list[dict[str, Any]]] = []
    outlet_posts: list[tuple[int, int, int, str, list[Any]]] = []  # (t, channel, msg id, ...)
    for c in range(n):
        times = np.sort(start + (rng.random(int(per_channel[c])) * (end - start)).astype(np.int64))
        plans.append([{"t": int(t)} for t in times.tolist()])
    for c in np.flatnonzero(~relay).tolist():
        outlet = config.outlets[int(channels.outlet[c])]
        lang = LANGUAGES[channels.lang[c]]
        for k, msg in enumerate(plans[c]):
            body = TEMPLATES["outlet"][lang][k % 2].format(n=k + 1, outlet=outlet)
            parts: list[Any] = [body + " ", {"type": "hashtag", "text": f"#{slug(outlet)}"}]
            if k % 3 == 0:
                code = f"{(int(channels.ids[c]) * 7919 + k * 104729) % 10**8:08d}"
                parts += [" ", {"type": "link", "text": f"https://{COVERT_DOMAINS[0]}/{code[:6]}"}]
            msg["parts"] = parts
            msg["id"] = k + 2
            outlet_posts.append((msg["t"], c, k + 2, outlet, parts))
    outlet_posts.sort(key=lambda p: (p[0], p[1], p[2]))
    outlet_times = np.array([p[0] for p in outlet_posts], np.int64)
    for c in np.flatnonzero(relay).tolist():
        lang = LANGUAGES[channels.lang[c]]
        draws = rng.random(len(plans[c]))
        backs = rng.geometric(0.1, len(plans[c]))
        for k, msg in enumerate(plans[c]):
            msg["id"] = k + 2
            before = int(np.searchsorted(outlet_times, msg["t"]))
            if draws[k] < _FORWARD_SHARE and before > 0:
                src = outlet_posts[before - min(int(backs[k]), before)]
                msg["parts"] = src[4]
                msg["forward"] = (src[1], src[2])
            else:
                body = TEMPLATES["covert"][lang][k % 2].format(n=k + 1)
                msg["parts"] = [body]

    result = TelegramResult(path=None)
    writer = _Writer(out_dir / "telegram" / "result.json") if out_dir is not None else None
    if writer is not None:
        result.path = writer.path
        writer.begin()
    for c in range(n):
        cid = int(channels.ids[c])
        name = channels.names[c]
        created = int(channels.created[c])
        result.messages[cid] = len(plans[c])
        result.records.append(
            Account(
                "telegram",
                str(cid),
                display_name=name,
                lang=LANGUAGES[channels.lang[c]],
                kind=AccountKind.CHANNEL,
                created_at=datetime.fromtimestamp(created, UTC),
                observed_at=config.end,
                status=AccountStatus.ACTIVE,
            )
        )
        messages: list[dict[str, Any]] = [
            {
                "id": 1,
                "type": "service",
                "date": _date(created),
                "date_unixtime": str(created),
                "actor": name,
                "actor_id": f"channel{cid}",
                "action": "create_channel",
                "title": name,
                "text": "",
                "text_entities": [],
            }
        ]
        for msg in plans[c]:
            parts = msg["parts"]
            obj: dict[str, Any] = {
                "id": msg["id"],
                "type": "message",
                "date": _date(msg["t"]),
                "date_unixtime": str(msg["t"]),
                "from": name,
                "from_id": f"channel{cid}",
            }
            fwd = msg.get("forward")
            if fwd is not None:
                src_c, src_id = fwd
                obj["forwarded_from"] = channels.names[src_c]
                obj["forwarded_from_id"] = f"channel{int(channels.ids[src_c])}"
            obj["text"] = parts[0] if len(parts) == 1 else parts
            obj["text_entities"] = [
                {"type": "plain", "text": p} if isinstance(p, str) else p for p in parts
            ]
            messages.append(obj)
            text = "".join(p if isinstance(p, str) else p["text"] for p in parts)
            tags = tuple(
                p["text"][1:] for p in parts if isinstance(p, dict) and p["type"] == "hashtag"
            )
            links = tuple(p["text"] for p in parts if isinstance(p, dict) and p["type"] == "link")
            post_id = f"{cid}/{msg['id']}"
            src_account = str(int(channels.ids[fwd[0]])) if fwd is not None else None
            result.records.append(
                Post(
                    "telegram",
                    post_id,
                    account_id=str(cid),
                    created_at=datetime.fromtimestamp(msg["t"], UTC),
                    text=text,
                    kind=PostKind.MESSAGE,
                    forward_from_account_id=src_account,
                    forward_from_post_id=f"{src_account}/{fwd[1]}" if fwd is not None else None,
                    hashtags=tags,
                    urls=links,
                )
            )
            if src_account is not None:
                result.records.append(
                    Edge(
                        "telegram",
                        str(cid),
                        src_account,
                        EdgeKind.FORWARDS,
                        post_id,
                        datetime.fromtimestamp(msg["t"], UTC),
                    )
                )
        if writer is not None:
            writer.chat(
                {"name": name, "type": "public_channel", "id": cid}, messages, last=c == n - 1
            )
    if writer is not None:
        writer.finish()
    return result


class _Writer:
    """Writes the export document piece by piece (pretty-printed, as Telegram does)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.fh = open(path, "wb")  # noqa: SIM115 - closed in finish()

    def begin(self) -> None:
        head = {
            "about": _ABOUT,
            "personal_information": {
                "user_id": 5000000001,
                "first_name": "Observer",
                "last_name": "",
                "phone_number": "",
                "username": "",
                "bio": "",
            },
        }
        text = orjson.dumps(head, option=orjson.OPT_INDENT_2)[:-2]  # drop "\n}"
        self.fh.write(
            text
            + b',\n  "chats": {\n    "about": "This page lists all chats from this export.",\n    "list": [\n'
        )

    def chat(self, header: dict[str, Any], messages: list[dict[str, Any]], last: bool) -> None:
        head = orjson.dumps(header, option=orjson.OPT_INDENT_2)[:-2]
        self.fh.write(head + b',\n  "messages": [\n')
        for i, msg in enumerate(messages):
            self.fh.write(orjson.dumps(msg, option=orjson.OPT_INDENT_2))
            self.fh.write(b"\n" if i == len(messages) - 1 else b",\n")
        self.fh.write(b"  ]\n}" + (b"\n" if last else b",\n"))

    def finish(self) -> None:
        self.fh.write(b"    ]\n  }\n}\n")
        self.fh.close()
