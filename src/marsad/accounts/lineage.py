"""Lineage of re-created accounts: which suspended account a new account replaces.

Part of the *score / link* stage (issue 6): it reads what ingest stored
(accounts, status events, posts, edges) through a read-only DuckDB connection
(:meth:`marsad.store.base.Store.analytics`) and writes nothing.  "If they close
one account, open three": for every account that appears after others were
suspended, :func:`lineage` finds its likely predecessor, with the evidence, and
chains the links into *families* of re-creations.

How, per platform:

1. **Suspensions.**  A predecessor is an account with a ``suspended`` status
   event.  Its suspension is known only to lie between its *last activity*
   (its last post; its creation if it never posted) and the first lookup
   that saw it suspended (``seen``).  Snapshots and profile observations are
   softer signs of life -- an export can date a profile by when the page that
   held it was fetched, after the author's post -- so they are a feature, not
   a bound.
2. **Candidates by blocking** (never all pairs).  A *successor* candidate is
   an account created after some predecessor's last activity and within
   :data:`WINDOW_DAYS` of the lookup that saw that predecessor suspended
   (before or after it): a re-created account cannot predate the suspension
   it answers; the lookup comes after the suspension, by up to the interval
   between lookups (a week in the simulator's collection, days in a
   monitored study); and returns take days (the simulator's mean is one).
   The window is generous because the time features penalise slow returns
   anyway; a collection that looks accounts up less often than monthly needs
   a wider one.  Pairs come only from shared *keys*: a
   handle stem (:func:`marsad.accounts.names.handle_stems`), the display
   name's tokens, the avatar (exact hash, one of 16 bands of a 256-bit
   perceptual hash -- two hashes within 15 bits share a band by pigeonhole --
   or the same image file), and followers (two or more shared followers,
   counting only followers of at most :data:`MAX_FOLLOWER_DEGREE` candidates).
   A key shared by more than :data:`MAX_BLOCK` predecessors in a successor's
   window is too common to block on and is skipped for it.
3. **Features** per pair (:func:`pair_features`): handle, stem, name and bio
   similarity on normalised, transliteration-aware text; avatar distance;
   followers regained and other overlaps of followers, followings and of who
   engages with whom; announcements -- posts naming the new handle within
   :data:`ANNOUNCE_HOURS` of its creation -- and whether the announcer knew the
   predecessor; hours since the predecessor's last activity and since the
   lookup that saw it suspended; language and client; and how many *later*
   look-alikes of the predecessor stand between it and the successor (the
   grandparent of a chain looks like the parent, only older).
4. **Scoring**: :class:`~marsad.accounts.lineage_model.LineagePairModel`, a
   calibrated logistic regression trained on simulator ground truth.
5. **Conflicts**: links are accepted best first; a successor keeps one
   predecessor (the runner-up is reported with the link) and a predecessor
   one successor (:data:`MAX_SUCCESSORS`), so a grandparent cannot take a
   grandchild once its child has been linked to it.
6. **Families**: chains of links; per family the number of re-creations, the
   time to return of each link (successor's creation minus the predecessor's
   last activity (its last post): an upper bound of the time since the suspension) and the
   share of the predecessor's followers who follow the successor.

Known false positives: two unrelated accounts of one small community with the
same common given name in their handles, the same default-style bio and the
same followers (a fan account created the day a namesake was suspended); a
*backup* account created before the suspension is never linked, because a
successor must be created after its predecessor's last post.
"""

from __future__ import annotations

import bisect
import math
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from marsad.accounts.lineage_model import FEATURES, LineagePairModel
from marsad.accounts.names import (
    bio_tokens,
    handle_stems,
    jaccard,
    name_tokens,
    normalize_handle,
    similarity,
)
from marsad.detect.risk import logit, sigmoid
from marsad.errors import ConfigError
from marsad.hashing.signals import MATCH_DISTANCE
from marsad.text.normalize import normalize

__all__ = [
    "ANNOUNCE_HOURS",
    "DETECTOR",
    "MAX_BLOCK",
    "MAX_FOLLOWER_DEGREE",
    "MAX_SUCCESSORS",
    "WINDOW_DAYS",
    "Abstention",
    "Candidate",
    "Family",
    "LineageLink",
    "LineageResult",
    "PairTable",
    "candidate_pairs",
    "link_detections",
    "store_links",
    "lineage",
    "link_probabilities",
    "pair_features",
    "resolve",
    "rivals",
]

#: successors are looked for up to this many days after the lookup (or the
#: exact time) that saw the predecessor suspended (assumption: returns take
#: hours to weeks; with 30 days, 8-10% of the randomised grid's re-creations
#: -- mean delays up to 14 days -- fell outside when the suspension time was
#: exact; the time features, not the window, weigh a slow return)
WINDOW_DAYS = 90.0
#: a post naming a new handle this soon after its creation announces it
#: (the simulator's shout-outs come 6 hours after on average)
ANNOUNCE_HOURS = 72.0
#: a blocking key shared by more predecessors than this in a successor's window
#: is too common to block on (it would only add pairs the features reject)
MAX_BLOCK = 100
#: a single display-name token (a given name) blocks only when at most this
#: many predecessors have it: "Omar" alone pairs a new account with hundreds
MAX_TOKEN_BLOCK = 20
#: however loosely a suspension is dated, a successor is looked for at most
#: this many days before the lookup that saw it (an account that never posted
#: in the collection is dated from its creation, possibly years back)
MAX_INTERVAL_DAYS = 365.0
#: a successor keeps at most this many candidate predecessors: those sharing the
#: most (and the rarest) blocking keys with it; at a hundred thousand accounts a
#: common name token would otherwise pair a new account with hundreds
MAX_CANDIDATES = 25
#: a follower who follows more candidate accounts than this is no evidence of a
#: shared audience (bots and hubs follow everyone) and is not a blocking key
MAX_FOLLOWER_DEGREE = 1000
#: a follower-key pair needs this many shared followers ...
MIN_SHARED_FOLLOWERS = 2
#: ... or one who follows at most this many candidate accounts (a specific audience)
SPECIFIC_FOLLOWER_DEGREE = 20
#: a token in this share of an account's posts is one of its habits (a blocking key)
HABIT_SHARE = 1 / 3
HABITS_PER_ACCOUNT = 5
#: successors linked to one predecessor at most; the simulator re-creates one
#: account per suspension, and a second look-alike is more often a later
#: generation (which belongs to the first successor) than a sibling
MAX_SUCCESSORS = 1
#: an account's writing style and posting hours are read from its latest this-many
#: original posts, and at most STYLE_CHARS characters of them
STYLE_POSTS = 30
STYLE_CHARS = 3000
#: a successor with no link whose best candidate's link probability reaches this
#: is reported as an abstention, with the reason
ABSTAIN_FLOOR = 0.2
#: an abstention names the rival candidates whose pair probability reaches this
RIVAL_FLOOR = 0.05
#: the 256-bit perceptual hash is split in this many bands for blocking
_BANDS = 16
_HOUR = 3600.0


# -- results -----------------------------------------------------------------------------------


def _iso(seconds: float | None) -> str | None:
    if seconds is None or not math.isfinite(seconds):
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Candidate:
    """A predecessor considered for a successor but not kept (the runner-up)."""

    predecessor_id: str
    predecessor_handle: str | None
    score: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "predecessor_id": self.predecessor_id,
            "predecessor_handle": self.predecessor_handle,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class LineageLink:
    """One re-creation: *successor* replaces the suspended *predecessor*.

    ``score`` is the calibrated probability of the pair model; ``evidence``
    names what supports it (handles and stems, names, avatar distance,
    followers regained, announcements, times, each feature's contribution to
    the log-odds); ``runner_up`` is the next-best predecessor of the successor.
    """

    platform: str
    successor_id: str
    predecessor_id: str
    successor_handle: str | None
    predecessor_handle: str | None
    score: float
    successor_created_at: float
    predecessor_last_active_at: float
    predecessor_suspended_seen_at: float
    followers_regained: float | None
    evidence: dict[str, Any]
    runner_up: Candidate | None = None

    @property
    def return_hours(self) -> float:
        """Hours from the predecessor's last activity to the successor's creation."""
        return (self.successor_created_at - self.predecessor_last_active_at) / _HOUR

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "successor_id": self.successor_id,
            "successor_handle": self.successor_handle,
            "predecessor_id": self.predecessor_id,
            "predecessor_handle": self.predecessor_handle,
            "score": round(self.score, 4),
            "successor_created_at": _iso(self.successor_created_at),
            "predecessor_last_active_at": _iso(self.predecessor_last_active_at),
            "predecessor_suspended_seen_at": _iso(self.predecessor_suspended_seen_at),
            "return_hours": round(self.return_hours, 2),
            "followers_regained": (
                None if self.followers_regained is None else round(self.followers_regained, 4)
            ),
            "evidence": self.evidence,
            "runner_up": None if self.runner_up is None else self.runner_up.as_dict(),
        }


@dataclass(frozen=True)
class Family:
    """A chain of re-creations, from its first known account (the root) to the latest.

    ``members`` are account ids in creation order, ``handles`` theirs;
    ``recreations`` is the number of links; ``return_hours`` the time to return
    of each link (see :attr:`LineageLink.return_hours`); ``followers_regained``
    the share of each predecessor's followers who follow its successor, where
    the followers are known; ``confidence`` the weakest link's score.
    """

    platform: str
    family_id: str
    members: tuple[str, ...]
    handles: tuple[str | None, ...]
    links: tuple[LineageLink, ...]

    @property
    def recreations(self) -> int:
        return len(self.links)

    @property
    def return_hours(self) -> list[float]:
        return [link.return_hours for link in self.links]

    @property
    def median_return_hours(self) -> float:
        return float(statistics.median(self.return_hours))

    @property
    def followers_regained(self) -> list[float]:
        return [x.followers_regained for x in self.links if x.followers_regained is not None]

    @property
    def mean_followers_regained(self) -> float | None:
        values = self.followers_regained
        return float(statistics.fmean(values)) if values else None

    @property
    def confidence(self) -> float:
        return min(link.score for link in self.links)

    def as_dict(self) -> dict[str, Any]:
        regained = self.mean_followers_regained
        return {
            "platform": self.platform,
            "family_id": self.family_id,
            "members": list(self.members),
            "handles": list(self.handles),
            "recreations": self.recreations,
            "return_hours": [round(h, 2) for h in self.return_hours],
            "median_return_hours": round(self.median_return_hours, 2),
            "followers_regained": [round(v, 4) for v in self.followers_regained],
            "mean_followers_regained": None if regained is None else round(regained, 4),
            "confidence": round(self.confidence, 4),
            "links": [[x.successor_id, x.predecessor_id, round(x.score, 4)] for x in self.links],
        }


#: why a successor with a plausible predecessor got no link
ABSTAIN_REASONS = {
    "ambiguous": "more than one suspended account fits it, or its predecessor fits another "
    "new account as well: the pair alone passes the threshold, the link does not",
    "predecessor_taken": "its best predecessor is linked to another new account that "
    "fits it better",
    "weak_evidence": "the best candidate is plausible but the evidence falls short of the threshold",
}


@dataclass(frozen=True)
class Abstention:
    """A new account lineage declined to link although a suspended account fits it
    in part: the best candidate, the reason (:data:`ABSTAIN_REASONS`), and the
    rivals -- the successor's other candidate predecessors (``rival_predecessors``)
    and the other new accounts its best candidate fits (``rival_successors``,
    whose ``predecessor_id`` holds the new account's id; the one linked to it first)."""

    platform: str
    successor_id: str
    successor_handle: str | None
    reason: str
    best: Candidate
    pair_score: float
    rival_predecessors: tuple[Candidate, ...] = ()
    rival_successors: tuple[Candidate, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "successor_id": self.successor_id,
            "successor_handle": self.successor_handle,
            "reason": self.reason,
            "why": ABSTAIN_REASONS[self.reason],
            "best": self.best.as_dict(),
            "pair_score": round(self.pair_score, 4),
            "rival_predecessors": [r.as_dict() for r in self.rival_predecessors],
            "rival_successors": [
                {
                    "successor_id": r.predecessor_id,
                    "successor_handle": r.predecessor_handle,
                    "score": round(r.score, 4),
                }
                for r in self.rival_successors
            ],
        }


@dataclass
class LineageResult:
    """What :func:`lineage` found: links (best first), families (largest first),
    abstentions (best candidate first), counts."""

    links: list[LineageLink]
    families: list[Family]
    threshold: float
    model_version: str
    platforms: list[str]
    successors_considered: int
    predecessors_considered: int
    pairs_scored: int
    seconds: float
    parameters: dict[str, Any] = field(default_factory=dict)
    abstentions: list[Abstention] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "model_version": self.model_version,
            "platforms": self.platforms,
            "parameters": self.parameters,
            "counts": {
                "successors_considered": self.successors_considered,
                "predecessors_considered": self.predecessors_considered,
                "pairs_scored": self.pairs_scored,
                "links": len(self.links),
                "families": len(self.families),
                "abstentions": len(self.abstentions),
            },
            "seconds": round(self.seconds, 3),
            "links": [x.as_dict() for x in self.links],
            "families": [f.as_dict() for f in self.families],
            "abstentions": [a.as_dict() for a in self.abstentions],
        }


# -- what the workspace says -------------------------------------------------------------------


@dataclass
class _Account:
    id: str
    handle: str
    name: str
    bio: str
    created: float
    avatar_hash: int | None
    lang: str | None
    client: str | None
    stems: frozenset[str] = frozenset()
    name_set: frozenset[str] = frozenset()
    bio_set: frozenset[str] = frozenset()
    name_norm: str = ""
    bio_norm: str = ""
    #: row of the account's writing-style and posting-hour profiles (-1: no posts)
    row: int = -1
    #: words, emoji or marks in a third or more of its posts: a personal habit
    habits: frozenset[str] = frozenset()
    #: the stems that are whole (not ``^``-prefixes), and the display name's key
    whole_stems: tuple[str, ...] = ()
    name_key: str = ""


@dataclass
class _Suspension:
    #: the last post (or the creation): the suspension came later
    last_active: float
    #: the first lookup that found it suspended
    seen: float
    #: the last time a snapshot or the profile showed it (before ``seen``); a
    #: softer sign of life than a post -- an export can date a profile by when
    #: the page holding it was fetched
    observed: float | None
    #: the earliest creation time of a successor: the last activity (the
    #: suspension lies between it and ``seen``, however far apart they are)
    earliest: float


@dataclass
class _Data:
    """One platform's accounts, suspensions and relations, as the features need them."""

    platform: str
    accounts: dict[str, _Account]
    suspended: dict[str, _Suspension]
    followers: dict[str, set[str]]
    following: dict[str, set[str]]
    audience: dict[str, set[str]]
    peers: dict[str, set[str]]
    #: (engager, engaged) -> first time (seconds; None when the edge has no time)
    first_engaged: dict[tuple[str, str], float | None]
    #: successor -> [(announcer, post id, time, handles named in the post)]
    announced: dict[str, list[tuple[str, str, float, frozenset[str]]]]
    #: writing style: L2-normalised TF-IDF of character n-grams of each account's
    #: posts (a sparse matrix, one row per account with posts: ``_Account.row``)
    style: Any = None
    #: posting hours: each account's share of posts per hour of the day (UTC), L2-normalised
    hours: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 24)))
    #: how many of the platform's accounts have each handle stem / display name
    stem_accounts: Counter[str] = field(default_factory=Counter)
    name_accounts: Counter[str] = field(default_factory=Counter)


_EMPTY: frozenset[str] = frozenset()


# The queries are static SQL; every value is a bound parameter.  ``relevant``
# is what lineage looks at: every suspended account, and every account created
# inside [$since, $until].

_SUSPENSIONS = """
WITH s AS (
    SELECT account_id, min(observed_at) AS seen_at FROM status_events
    WHERE platform = $platform AND status = 'suspended'
    GROUP BY account_id
), lp AS (
    SELECT p.account_id, max(p.created_at) AS t FROM posts p
    JOIN s ON s.account_id = p.account_id
    WHERE p.platform = $platform AND p.created_at < s.seen_at
    GROUP BY p.account_id
), ls AS (
    SELECT n.account_id, max(n.observed_at) AS t FROM snapshots n
    JOIN s ON s.account_id = n.account_id
    WHERE n.platform = $platform AND n.observed_at < s.seen_at
    GROUP BY n.account_id
)
SELECT s.account_id, epoch(s.seen_at), epoch(greatest(a.created_at, lp.t)),
       epoch(greatest(ls.t, CASE WHEN a.observed_at < s.seen_at THEN a.observed_at END))
FROM s
LEFT JOIN accounts a ON a.platform = $platform AND a.native_id = s.account_id
LEFT JOIN lp ON lp.account_id = s.account_id
LEFT JOIN ls ON ls.account_id = s.account_id
"""

_ACCOUNTS = """
WITH
relevant AS (
    SELECT account_id AS id FROM status_events
    WHERE platform = $platform AND status = 'suspended'
    UNION
    SELECT native_id AS id FROM accounts
    WHERE platform = $platform AND created_at >= to_timestamp($since)
      AND created_at <= to_timestamp($until)
),
used AS (
    SELECT account_id, client, coalesce(lang, lang_platform) AS lang
    FROM posts WHERE platform = $platform AND account_id IN (SELECT id FROM relevant)
),
-- the most used client and language; a tie goes to the greater value, not to the
-- first row read (as mode() does), so every store and thread count gives the same
clients AS (
    SELECT account_id, arg_max(client, (n, client)) AS client
    FROM (SELECT account_id, client, count(*) AS n FROM used WHERE client IS NOT NULL GROUP BY ALL)
    GROUP BY account_id
),
langs AS (
    SELECT account_id, arg_max(lang, (n, lang)) AS lang
    FROM (SELECT account_id, lang, count(*) AS n FROM used WHERE lang IS NOT NULL GROUP BY ALL)
    GROUP BY account_id
),
usage AS (
    SELECT account_id, c.client, l.lang FROM clients c FULL JOIN langs l USING (account_id)
)
SELECT a.native_id, a.handle, a.display_name, a.bio, epoch(a.created_at), a.avatar_hash,
       coalesce(a.lang, u.lang), u.client
FROM accounts a
LEFT JOIN usage u ON u.account_id = a.native_id
WHERE a.platform = $platform AND a.native_id IN (SELECT id FROM relevant)
"""

_FOLLOWS = """
WITH
relevant AS (
    SELECT account_id AS id FROM status_events
    WHERE platform = $platform AND status = 'suspended'
    UNION
    SELECT native_id AS id FROM accounts
    WHERE platform = $platform AND created_at >= to_timestamp($since)
      AND created_at <= to_timestamp($until)
)
SELECT src_id, dst_id FROM edges
WHERE platform = $platform AND kind = 'follows' AND src_id <> dst_id
  AND (dst_id IN (SELECT id FROM relevant) OR src_id IN (SELECT id FROM relevant))
"""

_ENGAGES = """
WITH
relevant AS (
    SELECT account_id AS id FROM status_events
    WHERE platform = $platform AND status = 'suspended'
    UNION
    SELECT native_id AS id FROM accounts
    WHERE platform = $platform AND created_at >= to_timestamp($since)
      AND created_at <= to_timestamp($until)
)
SELECT src_id, dst_id, epoch(min(created_at)) FROM edges
WHERE platform = $platform AND kind IN ('reposts', 'replies', 'quotes', 'mentions')
  AND src_id <> dst_id
  AND (dst_id IN (SELECT id FROM relevant) OR src_id IN (SELECT id FROM relevant))
GROUP BY src_id, dst_id
"""

# the latest original posts of each relevant account, for its writing style and hours
_POSTS = """
WITH
relevant AS (
    SELECT account_id AS id FROM status_events
    WHERE platform = $platform AND status = 'suspended'
    UNION
    SELECT native_id AS id FROM accounts
    WHERE platform = $platform AND created_at >= to_timestamp($since)
      AND created_at <= to_timestamp($until)
), latest AS (
    SELECT account_id, coalesce(text_norm, text) AS t, hour(created_at AT TIME ZONE 'UTC') AS h,
           row_number() OVER (PARTITION BY account_id ORDER BY created_at DESC, native_id) AS k
    FROM posts
    WHERE platform = $platform AND kind <> 'repost' AND created_at IS NOT NULL
      AND account_id IN (SELECT id FROM relevant)
)
SELECT account_id, list(t ORDER BY k), list(h)
FROM latest WHERE k <= $per_account GROUP BY account_id ORDER BY account_id
"""

_NAMES = "SELECT handle, display_name FROM accounts WHERE platform = $platform"

# announcements: original posts naming a new account's handle (as an @handle in
# the text, or as a structured mention) within $hours of its creation
_ANNOUNCED = """
WITH new AS (
    SELECT native_id, lower(handle) AS h, created_at FROM accounts
    WHERE platform = $platform AND handle IS NOT NULL
      AND created_at >= to_timestamp($since) AND created_at <= to_timestamp($until)
), named AS (
    SELECT native_id AS post_id, account_id, created_at,
           list_distinct(regexp_extract_all(lower(text), '@([a-z0-9_]{1,32})', 1)) AS hs
    FROM posts
    WHERE platform = $platform AND kind <> 'repost' AND text LIKE '%@%'
      AND created_at >= to_timestamp($since)
      AND created_at <= to_timestamp($until) + to_hours(CAST($hours AS BIGINT))
), by_text AS (
    SELECT n.native_id AS successor, m.account_id AS author, m.post_id, m.created_at, m.hs
    FROM (SELECT post_id, account_id, created_at, hs, unnest(hs) AS h FROM named) m
    JOIN new n ON n.h = m.h
), by_edge AS (
    SELECT e.dst_id AS successor, e.src_id AS author, e.post_id, e.created_at,
           CAST([] AS VARCHAR[]) AS hs
    FROM edges e JOIN new n ON n.native_id = e.dst_id
    WHERE e.platform = $platform AND e.kind = 'mentions'
)
SELECT x.successor, x.author, x.post_id, epoch(x.created_at), x.hs
FROM (SELECT * FROM by_text UNION ALL SELECT * FROM by_edge) x
JOIN new n ON n.native_id = x.successor
WHERE x.author IS NOT NULL AND x.author <> x.successor
  AND x.created_at >= n.created_at
  AND x.created_at < n.created_at + to_hours(CAST($hours AS BIGINT))
"""


def _avatar(hash_hex: str | None) -> int | None:
    if not hash_hex:
        return None
    try:
        value = int(hash_hex, 16)
    except ValueError:
        return None
    return value if len(hash_hex) == 64 else None


def _strip_counters(text: str) -> str:
    """Normalised *text* without digits and brackets: ``Name 2`` and ``Name`` compare equal."""
    return " ".join(
        "".join(c for c in normalize(text) if not c.isdigit() and c not in "()[]#").split()
    )


def _platforms(con: Any, platform: str | None) -> list[str]:
    if platform is not None:
        return [platform]
    rows = con.execute(
        "SELECT DISTINCT platform FROM status_events WHERE status = 'suspended' ORDER BY 1"
    ).fetchall()
    return [str(r[0]) for r in rows]


def _load(con: Any, platform: str, window_days: float, announce_hours: float) -> _Data | None:
    suspended: dict[str, _Suspension] = {}
    rows = con.execute(_SUSPENSIONS, {"platform": platform}).fetchall()
    for account_id, seen, active, observed in rows:
        # no creation time and no post: as far back as the window reaches forward
        lower = float(active) if active is not None else float(seen) - window_days * 86400
        last_active = min(lower, float(seen))
        suspended[str(account_id)] = _Suspension(
            last_active=last_active,
            seen=float(seen),
            observed=None if observed is None else float(observed),
            earliest=max(last_active, float(seen) - MAX_INTERVAL_DAYS * 86400),
        )
    if not suspended:
        return None
    since = min(s.earliest for s in suspended.values())
    until = max(s.seen for s in suspended.values()) + window_days * 86400
    params = {"platform": platform, "since": since, "until": until}
    accounts: dict[str, _Account] = {}
    for row in con.execute(_ACCOUNTS, params).fetchall():
        native_id, handle, name, bio, created, avatar_hash, lang, client = row
        if created is None:
            continue
        acc = _Account(
            id=str(native_id),
            handle=handle or "",
            name=name or "",
            bio=bio or "",
            created=float(created),
            avatar_hash=_avatar(avatar_hash),
            lang=lang,
            client=client,
        )
        acc.stems = handle_stems(acc.handle) if acc.handle else _EMPTY
        acc.whole_stems = tuple(sorted(x for x in acc.stems if not x.startswith("^")))
        acc.name_key = _name_key(acc.name)
        acc.name_set = name_tokens(acc.name)
        acc.bio_set = bio_tokens(acc.bio)
        acc.name_norm = _strip_counters(acc.name)
        acc.bio_norm = _strip_counters(acc.bio)
        accounts[acc.id] = acc
    followers: dict[str, set[str]] = defaultdict(set)
    following: dict[str, set[str]] = defaultdict(set)
    for src, dst in con.execute(_FOLLOWS, params).fetchall():
        followers[dst].add(src)
        following[src].add(dst)
    audience: dict[str, set[str]] = defaultdict(set)
    peers: dict[str, set[str]] = defaultdict(set)
    first_engaged: dict[tuple[str, str], float | None] = {}
    for src, dst, at in con.execute(_ENGAGES, params).fetchall():
        audience[dst].add(src)
        peers[src].add(dst)
        first_engaged[(src, dst)] = None if at is None else float(at)
    announced: dict[str, list[tuple[str, str, float, frozenset[str]]]] = defaultdict(list)
    seen_posts: set[tuple[str, str]] = set()
    rows = con.execute(_ANNOUNCED, {**params, "hours": int(math.ceil(announce_hours))}).fetchall()
    for successor, author, post_id, at, hs in sorted(rows, key=lambda r: (r[3], str(r[2]))):
        key = (str(successor), str(post_id))
        if key in seen_posts:
            continue
        seen_posts.add(key)
        announced[str(successor)].append(
            (str(author), str(post_id), float(at), frozenset(hs or ()))
        )
    data = _Data(
        platform,
        accounts,
        suspended,
        followers,
        following,
        audience,
        peers,
        first_engaged,
        announced,
    )
    _load_posts(con, data, params)
    for handle, display in con.execute(_NAMES, {"platform": platform}).fetchall():
        data.stem_accounts.update(handle_stems(handle) if handle else ())
        name_key = _name_key(display or "")
        if name_key:
            data.name_accounts[name_key] += 1
    return data


def _name_key(name: str) -> str:
    return " ".join(sorted(name_tokens(name)))


def _habit_tokens(posts: Sequence[str]) -> frozenset[str]:
    """The tokens (words, emoji, marks; not links or handles) in at least
    :data:`HABIT_SHARE` of an account's posts, when it has three or more: the
    most frequent :data:`HABITS_PER_ACCOUNT` of them."""
    if len(posts) < 3:
        return _EMPTY
    counts: Counter[str] = Counter()
    for post in posts:
        counts.update({t for t in post.split() if not t.startswith(("http", "@")) and len(t) <= 40})
    need = HABIT_SHARE * len(posts)
    # ties go to the token that sorts first: the same posts always give the same habits
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:HABITS_PER_ACCOUNT]
    common = [t for t, n in ranked if n >= need]
    return frozenset(common)


def _load_posts(con: Any, data: _Data, params: dict[str, Any]) -> None:
    """Each relevant account's writing style and posting hours (``_Data.style``, ``.hours``)."""
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

    rows = con.execute(_POSTS, {**params, "per_account": STYLE_POSTS}).fetchall()
    texts: list[str] = []
    hours: list[list[int]] = []
    for account_id, posts, hs in rows:
        acc = data.accounts.get(str(account_id))
        posts = [str(t) for t in posts or () if t]
        if acc is None or not posts:
            continue
        acc.row = len(texts)
        acc.habits = _habit_tokens(posts)
        texts.append(" ".join(posts)[:STYLE_CHARS])
        hours.append([int(h) for h in hs if h is not None])
    if not texts:
        return
    counts = HashingVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 4),
        n_features=1 << 18,
        alternate_sign=False,
        norm=None,
    ).transform(texts)
    data.style = TfidfTransformer(sublinear_tf=True).fit_transform(counts).tocsr()
    grid = np.zeros((len(hours), 24))
    for i, hs in enumerate(hours):
        np.add.at(grid[i], hs, 1.0)
    # a little smoothing over neighbouring hours: a habit is an hour or two, not a minute
    grid = grid + 0.5 * (np.roll(grid, 1, axis=1) + np.roll(grid, -1, axis=1))
    norm = np.linalg.norm(grid, axis=1, keepdims=True)
    data.hours = grid / np.where(norm > 0, norm, 1.0)


# -- blocking ----------------------------------------------------------------------------------


def _keys(acc: _Account) -> set[str]:
    keys = {"h:" + s for s in acc.stems}
    if acc.name_set:
        keys.add("n:" + " ".join(sorted(acc.name_set)))
        # a token's consonant skeleton of two letters ("sn": Susan, Snow) joins strangers
        keys.update("t:" + t for t in acc.name_set if len(t) >= 3)
    keys.update("w:" + t for t in acc.habits)
    if acc.avatar_hash is not None:
        for b in range(_BANDS):
            keys.add(f"a{b}:{(acc.avatar_hash >> (16 * b)) & 0xFFFF:04x}")
    return keys


class _Window:
    """Predecessors sorted by the earliest creation time of a successor, to find
    those whose window holds a creation time."""

    def __init__(self, data: _Data, ids: Iterable[str], window: float) -> None:
        rows = sorted((data.suspended[p].earliest, data.suspended[p].seen, p) for p in ids)
        self.earliest = [r[0] for r in rows]
        self.rows = rows
        self.window = window

    def before(self, created: float) -> list[str]:
        """Predecessors whose window (after their last activity, around the lookup
        that saw them suspended) holds *created*."""
        hi = bisect.bisect_left(self.earliest, created)
        return [p for _, seen, p in self.rows[:hi] if created <= seen + self.window]


def _block(data: _Data, window: float) -> tuple[list[str], dict[str, set[str]]]:
    """Successor candidates and, for each, its candidate predecessors (see the module docstring)."""
    preds = [p for p in data.suspended if p in data.accounts]
    if not preds:
        return [], {}
    first = min(data.suspended[p].earliest for p in preds)
    last = max(data.suspended[p].seen for p in preds) + window
    succs = [a.id for a in data.accounts.values() if first < a.created <= last]
    by_key: dict[str, list[str]] = defaultdict(list)
    for p in preds:
        for k in _keys(data.accounts[p]):
            by_key[k].append(p)
    windows = {
        k: _Window(data, ids, window)
        for k, ids in by_key.items()
        if len(ids) <= (MAX_TOKEN_BLOCK if k.startswith("t:") else MAX_BLOCK)
    }
    # each shared key adds 1 / log2(2 + how many predecessors have it) to a pair's
    # pre-score; a successor keeps its MAX_CANDIDATES best-scored predecessors
    weight = {k: 1.0 / math.log2(2 + len(by_key[k])) for k in windows}
    prescore: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for s in succs:
        acc = data.accounts[s]
        for k in _keys(acc):
            w = windows.get(k)
            if w is None:
                continue
            found = w.before(acc.created)
            if len(found) <= MAX_BLOCK:
                got = prescore[s]
                for p in found:
                    got[p] += weight[k]
    # followers: pairs with at least MIN_SHARED_FOLLOWERS shared specific followers
    succ_set, pred_set = set(succs), set(preds)
    shared: Counter[tuple[str, str]] = Counter()
    specific: set[tuple[str, str]] = set()
    for followed in data.following.values():
        if len(followed) > MAX_FOLLOWER_DEGREE:
            continue
        ss = [x for x in followed if x in succ_set]
        ps = [x for x in followed if x in pred_set]
        if not ss or not ps:
            continue
        for s in ss:
            created = data.accounts[s].created
            for p in ps:
                sp = data.suspended[p]
                if sp.earliest < created <= sp.seen + window:
                    shared[(s, p)] += 1
                    if len(followed) <= SPECIFIC_FOLLOWER_DEGREE:
                        specific.add((s, p))
    for (s, p), n in shared.items():
        if n >= MIN_SHARED_FOLLOWERS or (s, p) in specific:
            prescore[s][p] += float(n)
    pairs: dict[str, set[str]] = {}
    for s, got in prescore.items():
        got.pop(s, None)
        if got:
            # rounded: a sum of key weights must not depend on the order it was added in
            best = sorted(got.items(), key=lambda kv: (-round(kv[1], 9), kv[0]))
            pairs[s] = {p for p, _ in best[:MAX_CANDIDATES]}
    return succs, pairs


# -- features ----------------------------------------------------------------------------------


def _tri(a: str | None, b: str | None) -> float:
    """+1 equal, -1 different, 0 unknown."""
    if not a or not b:
        return 0.0
    return 1.0 if a == b else -1.0


def _avatar_distance(s: _Account, p: _Account) -> int | None:
    if s.avatar_hash is None or p.avatar_hash is None:
        return None
    return (s.avatar_hash ^ p.avatar_hash).bit_count()


def _same_avatar(a: _Account, b: _Account) -> bool | None:
    """Whether two avatars are the same picture (None: unknown): perceptual hashes
    of the image bytes within PDQ's match distance.  An image's URL or file name
    is no evidence: a re-created account uploads its picture anew."""
    dist = _avatar_distance(a, b)
    if dist is None:
        return None
    return dist <= MATCH_DISTANCE


def _later_lookalikes(data: _Data, s: _Account, p: _Account, others: Iterable[str]) -> int:
    """Other candidates of *s* created after *p*'s last activity that look like *p*:
    a shared handle stem and the same avatar, the same name or shared followers."""
    last = data.suspended[p.id].last_active
    fp = data.followers.get(p.id, set())
    n = 0
    for o in others:
        if o == p.id:
            continue
        other = data.accounts[o]
        if other.created <= last or not (other.stems & p.stems):
            continue
        if (
            _same_avatar(other, p)
            or (p.name_set and other.name_set == p.name_set)
            or jaccard(data.followers.get(o, set()), fp) >= 0.1
        ):
            n += 1
    return n


def _returning_engagement_hours(data: _Data, s: _Account, p: _Account) -> float | None:
    """Hours from *s*'s creation to the first repost, reply, quote or mention of it
    by a follower of *p* or an account that engaged with *p* (None: none did)."""
    circle = data.followers.get(p.id, set()) | data.audience.get(p.id, set())
    first: float | None = None
    for who in data.audience.get(s.id, set()) & circle:
        at = data.first_engaged.get((who, s.id))
        if at is not None and at >= s.created and (first is None or at < first):
            first = at
    return None if first is None else (first - s.created) / _HOUR


def pair_features(
    data: _Data, s: _Account, p: _Account, others: Iterable[str] = ()
) -> npt.NDArray[np.float64]:
    """The :data:`~marsad.accounts.lineage_model.FEATURES` of the pair (successor *s*,
    predecessor *p*); *others* are the successor's other candidate predecessors.

    - ``handle_similarity``: ``1 - edit distance / length`` of the normalised handles;
    - ``handle_stem_match``: 1 when they share a stem (:func:`handle_stems`);
    - ``handle_stem_similarity``: the best similarity of their stems;
    - ``name_similarity``: Jaccard of the display names' consonant skeletons;
    - ``name_same`` / ``bio_same``: +1 same non-empty text (counters stripped),
      -1 different, 0 when one is empty;
    - ``bio_similarity``: Jaccard of the bios' words;
    - ``avatar_same``: +1 perceptual hashes within 31 bits (PDQ's match
      distance) or the same image file name, -1 hashes further apart, 0
      unknown (different file names are no evidence: uploads get new names);
    - ``avatar_similarity``: ``1 - distance / 128`` clipped to [0, 1] (128 is
      the distance of unrelated hashes), 0 unknown;
    - ``followers_known``: the predecessor's followers are in the data;
    - ``followers_regained``: share of the predecessor's followers who follow
      the successor; ``followers_jaccard``, ``following_jaccard``: overlaps;
    - ``audience_jaccard`` / ``peers_jaccard``: overlap of the accounts that
      repost, reply to, quote or mention each of them / that each of them does;
    - ``announced``: the successor was named in a post of another account within
      :data:`ANNOUNCE_HOURS` of its creation;
    - ``announcer_knows_predecessor``: such an announcer followed or engaged
      with the predecessor, or named it in the same post;
    - ``returning_engagement_speed``: ``1 / (1 + days)`` from the successor's
      creation to the first repost, reply, quote or mention of it by a follower
      of the predecessor or an account that engaged with it -- how fast the
      predecessor's audience came back (follows carry no time in exports); 0
      when none did;
    - ``log_hours_since_last_active``: ``log1p`` of hours from the predecessor's
      last activity (last post, or creation) to the successor's creation;
    - ``log_hours_since_last_seen``: the same from the last time anything
      (a post, a snapshot, the profile) showed the predecessor, 0 when that is
      after the successor's creation;
    - ``log_hours_after_suspension_seen``: ``log1p`` of hours from the lookup
      that saw the predecessor suspended to the successor's creation (0 before);
    - ``log_hours_observed_after_creation``: ``log1p`` of hours by which a
      snapshot or profile still showed the predecessor after the successor was
      created (0 when it did not: the soft sign of life of step 1);
    - ``same_language`` / ``same_client``: +1 / -1 / 0 unknown;
    - ``later_lookalike_candidates``: ``log1p`` of how many of the successor's
      other candidates were created after the predecessor's last activity,
      share its handle stem and have its avatar, its name or 10% of its
      followers (an intermediate generation);
    - ``style_similarity``: cosine of the two accounts' writing styles (TF-IDF
      of character 2-4-grams of their latest :data:`STYLE_POSTS` original posts);
    - ``hours_similarity``: cosine of their posting-hour profiles (UTC);
    - ``posts_known``: both have original posts (else the two above are 0);
    - ``log_hours_suspension_uncertainty``: ``log1p`` of hours between the
      predecessor's last activity and the lookup that saw it suspended: how
      loosely the suspension is dated (0 when its time is known exactly);
    - ``log_stem_accounts``: ``log1p`` of how many of the platform's accounts
      have the rarest handle stem the two share (0 when none): a kunya-style
      stem that hundreds of accounts use says little;
    - ``log_name_accounts``: ``log1p`` of how many accounts have the display
      name the two share (0 when the names differ);
    - ``log_shared_followers``: ``log1p`` of the number of followers they share;
    - ``habits_jaccard``: Jaccard of their habit tokens (words, emoji or marks
      in a third or more of each one's posts).

    ``style_similarity`` and ``hours_similarity`` are filled for all pairs at
    once by :func:`candidate_pairs`; this function leaves them at 0.
    """
    sp = data.suspended[p.id]
    hs, hp = normalize_handle(s.handle), normalize_handle(p.handle)
    # whole stems only: a prefix stem ("^newsrea") is a blocking key, not a name
    stem_sim = max((similarity(a, b) for a in s.whole_stems for b in p.whole_stems), default=0.0)
    dist = _avatar_distance(s, p)
    same = _same_avatar(s, p)
    avatar_same = 0.0 if same is None else (1.0 if same else -1.0)
    if dist is not None:
        avatar_sim = min(max(1.0 - dist / 128.0, 0.0), 1.0)
    else:
        avatar_sim = 1.0 if same else 0.0
    fp = data.followers.get(p.id, set())
    fs = data.followers.get(s.id, set())
    regained = len(fs & fp) / len(fp) if fp else 0.0
    announcers = data.announced.get(s.id, [])
    knows = 0.0
    if announcers:
        p_handle = p.handle.lower()
        p_circle = fp | data.audience.get(p.id, set()) | data.peers.get(p.id, set())
        for author, _, _, named in announcers:
            if author in p_circle or p.id in data.following.get(author, set()) or p_handle in named:
                knows = 1.0
                break
    hours = _returning_engagement_hours(data, s, p)
    since_last = max(s.created - sp.last_active, 0.0) / _HOUR
    since_seen = max(s.created - max(sp.last_active, sp.observed or 0.0), 0.0) / _HOUR
    after_seen = max(s.created - sp.seen, 0.0) / _HOUR
    observed_after = max((sp.observed or 0.0) - s.created, 0.0) / _HOUR
    shared_stems = s.stems & p.stems
    stem_accounts = min((data.stem_accounts.get(x, 1) for x in shared_stems), default=0)
    name_key = s.name_key
    name_accounts = (
        data.name_accounts.get(name_key, 1) if name_key and name_key == p.name_key else 0
    )
    return np.array(
        [
            similarity(hs, hp),
            1.0 if s.stems & p.stems else 0.0,
            stem_sim,
            jaccard(s.name_set, p.name_set),
            _tri(s.name_norm, p.name_norm),
            jaccard(s.bio_set, p.bio_set),
            _tri(s.bio_norm, p.bio_norm),
            avatar_same,
            avatar_sim,
            1.0 if fp else 0.0,
            regained,
            jaccard(fs, fp),
            jaccard(data.following.get(s.id, set()), data.following.get(p.id, set())),
            jaccard(data.audience.get(s.id, set()), data.audience.get(p.id, set())),
            jaccard(data.peers.get(s.id, set()), data.peers.get(p.id, set())),
            1.0 if announcers else 0.0,
            knows,
            0.0 if hours is None else 1.0 / (1.0 + hours / 24.0),
            math.log1p(since_last),
            math.log1p(since_seen),
            math.log1p(after_seen),
            math.log1p(observed_after),
            _tri(s.lang, p.lang),
            _tri(s.client, p.client),
            math.log1p(_later_lookalikes(data, s, p, others)),
            0.0,
            0.0,
            1.0 if s.row >= 0 and p.row >= 0 else 0.0,
            math.log1p(max(sp.seen - sp.last_active, 0.0) / _HOUR),
            math.log1p(stem_accounts),
            math.log1p(name_accounts),
            math.log1p(len(fs & fp)),
            len(s.habits & p.habits) / max(len(s.habits | p.habits), 1),
        ],
        dtype=np.float64,
    )


@dataclass
class PairTable:
    """Every candidate pair of one platform with its features (rows align)."""

    platform: str
    successors: list[str]
    predecessors: list[str]
    x: npt.NDArray[np.float64]
    successors_considered: int
    predecessors_considered: int
    data: _Data | None = None

    def __len__(self) -> int:
        return len(self.successors)


def candidate_pairs(
    con: Any,
    *,
    platform: str | None = None,
    window_days: float = WINDOW_DAYS,
    announce_hours: float = ANNOUNCE_HOURS,
) -> list[PairTable]:
    """The blocked candidate pairs of each platform with their features (for
    :func:`lineage` and for training); *con* is a DuckDB connection."""
    if window_days <= 0 or announce_hours <= 0:
        raise ConfigError(
            f"window_days and announce_hours must be positive, got {window_days}, {announce_hours}"
        )
    cur = con.cursor()
    try:
        tables = []
        for plat in _platforms(cur, platform):
            data = _load(cur, plat, window_days, announce_hours)
            if data is None:
                tables.append(PairTable(plat, [], [], np.zeros((0, len(FEATURES))), 0, 0))
                continue
            succs, pairs = _block(data, window_days * 86400)
            ss: list[str] = []
            ps: list[str] = []
            rows: list[npt.NDArray[np.float64]] = []
            for s in sorted(pairs):
                cands = sorted(pairs[s])
                for p in cands:
                    ss.append(s)
                    ps.append(p)
                    rows.append(pair_features(data, data.accounts[s], data.accounts[p], cands))
            x = np.vstack(rows) if rows else np.zeros((0, len(FEATURES)))
            _profile_similarities(data, ss, ps, x)
            n_preds = sum(1 for p in data.suspended if p in data.accounts)
            tables.append(PairTable(plat, ss, ps, x, len(succs), n_preds, data))
        return tables
    finally:
        cur.close()


_STYLE = FEATURES.index("style_similarity")
_HOURS = FEATURES.index("hours_similarity")


def _profile_similarities(
    data: _Data, successors: Sequence[str], predecessors: Sequence[str], x: npt.NDArray[np.float64]
) -> None:
    """Fill the writing-style and posting-hour cosines of every pair of *x* at once."""
    if not len(x) or data.style is None:
        return
    si = np.array([data.accounts[s].row for s in successors])
    pi = np.array([data.accounts[p].row for p in predecessors])
    known = (si >= 0) & (pi >= 0)
    if not known.any():
        return
    a, b = si[known], pi[known]
    x[known, _STYLE] = np.asarray(data.style[a].multiply(data.style[b]).sum(axis=1)).ravel()
    x[known, _HOURS] = np.einsum("ij,ij->i", data.hours[a], data.hours[b])


# -- conflicts and families --------------------------------------------------------------------


def resolve(
    successors: Sequence[str],
    predecessors: Sequence[str],
    scores: Sequence[float],
    threshold: float,
    *,
    max_successors: int = MAX_SUCCESSORS,
) -> list[tuple[int, int | None]]:
    """Choose the links as one assignment problem: each successor takes one
    predecessor or none, each predecessor at most *max_successors* successors,
    and the kept pairs (scores >= *threshold*) maximise the summed log-odds over
    the threshold -- "no predecessor" is worth 0, so a pair is kept only where
    it beats that option and every rival assignment.  Unlike accepting pairs
    best first, a strong pair is not blocked by a slightly stronger one that
    had an alternative, and a grandparent is never claimed by a grandchild
    while its child needs it.  Solved exactly as a sparse minimum-weight full
    bipartite matching (SciPy's LAPJVsp) with a "none" column per successor.

    Returns ``(row of the kept pair, row of the runner-up or None)`` in row
    order: the runner-up is the successor's best other candidate, whatever its
    score.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    n = len(scores)
    score = np.asarray(scores, np.float64)
    eligible = np.flatnonzero(score >= threshold)
    taken: dict[str, int] = {}
    if len(eligible):
        cut = logit(threshold)
        gain = np.maximum(logit(score[eligible]) - cut, 0.0) + 1e-6
        s_names = sorted({successors[i] for i in eligible.tolist()})
        p_names = sorted({predecessors[i] for i in eligible.tolist()})
        s_index = {x: k for k, x in enumerate(s_names)}
        p_index = {x: k for k, x in enumerate(p_names)}
        top = float(gain.max()) + 1.0
        rows: list[int] = []
        cols: list[int] = []
        cost: list[float] = []
        slots = len(p_names) * max_successors
        for i, g in zip(eligible.tolist(), gain.tolist(), strict=True):
            for copy in range(max_successors):
                rows.append(s_index[successors[i]])
                cols.append(p_index[predecessors[i]] * max_successors + copy)
                cost.append(top - g)
        for k in range(len(s_names)):  # the "no predecessor" option of each successor
            rows.append(k)
            cols.append(slots + k)
            cost.append(top)
        graph = csr_matrix((cost, (rows, cols)), shape=(len(s_names), slots + len(s_names)))
        _, match = min_weight_full_bipartite_matching(graph)
        pair_row = {
            (s_index[successors[i]], p_index[predecessors[i]]): i for i in eligible.tolist()
        }
        for k, col in enumerate(match.tolist()):
            if col < slots:
                taken[s_names[k]] = pair_row[(k, col // max_successors)]
    order = sorted(range(n), key=lambda i: (-score[i], successors[i], predecessors[i]))
    best_other: dict[str, int] = {}
    for i in order:
        s = successors[i]
        if s in taken and taken[s] != i and s not in best_other:
            best_other[s] = i
    return [(i, best_other.get(s)) for s, i in sorted(taken.items(), key=lambda kv: kv[1])]


def rivals(
    successors: Sequence[str], predecessors: Sequence[str], pair_logit: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """For each pair, ``log1p`` of the summed odds of the successor's *other*
    candidate predecessors and of the predecessor's *other* candidate
    successors: the link stage's rival inputs (:data:`LINK_INPUTS`)."""
    odds = np.exp(np.clip(np.asarray(pair_logit, np.float64), -30.0, 30.0))
    out = []
    for keys in (successors, predecessors):
        total: dict[str, float] = defaultdict(float)
        for k, o in zip(keys, odds.tolist(), strict=True):
            total[k] += o
        others = np.array([total[k] for k in keys]) - odds
        out.append(np.log1p(np.maximum(others, 0.0)))
    return out[0], out[1]


def link_probabilities(
    model: LineagePairModel,
    successors: Sequence[str],
    predecessors: Sequence[str],
    x: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Each pair's probability alone, and as a *link*: weighed against the rival
    candidates of its successor and its predecessor (the model's link stage)."""
    z = model.logit(x)
    sr, pr = rivals(successors, predecessors, z)
    link = model.link_logit(z, sr, pr)
    return sigmoid(z), sigmoid(link)


def _families(links: list[LineageLink]) -> list[Family]:
    pred_of = {(x.platform, x.successor_id): x for x in links}
    children: dict[tuple[str, str], list[LineageLink]] = defaultdict(list)
    for x in links:
        children[(x.platform, x.predecessor_id)].append(x)
    roots = sorted({(x.platform, x.predecessor_id) for x in links} - set(pred_of))
    out: list[Family] = []
    for platform, root in roots:
        chain: list[LineageLink] = []
        stack = [(platform, root)]
        while stack:
            node = stack.pop()
            for link in children.get(node, []):
                chain.append(link)
                stack.append((platform, link.successor_id))
        chain.sort(key=lambda x: (x.successor_created_at, x.successor_id))
        order = [root] + [x.successor_id for x in chain]
        handle_of = {x.successor_id: x.successor_handle for x in chain}
        handle_of.update({x.predecessor_id: x.predecessor_handle for x in chain})
        handles = [handle_of.get(m) for m in order]
        out.append(Family(platform, root, tuple(order), tuple(handles), tuple(chain)))
    out.sort(key=lambda f: (-f.recreations, -f.confidence, f.family_id))
    return out


def _shown_stems(shared: frozenset[str]) -> list[str]:
    """Shared whole stems, or else the shared prefixes (``newsrea…``)."""
    whole = sorted(x for x in shared if not x.startswith("^"))
    return whole or sorted(x[1:] + "…" for x in shared)


def _evidence(
    data: _Data,
    s: _Account,
    p: _Account,
    row: npt.NDArray[np.float64],
    contributions: dict[str, float],
) -> dict[str, Any]:
    sp = data.suspended[p.id]
    values = dict(zip(FEATURES, (float(v) for v in row), strict=True))
    fp = data.followers.get(p.id, set())
    fs = data.followers.get(s.id, set())
    evidence: dict[str, Any] = {
        "handles": {
            "successor": s.handle,
            "predecessor": p.handle,
            "shared_stems": _shown_stems(s.stems & p.stems),
            "similarity": round(values["handle_similarity"], 3),
        },
        "names": {
            "successor": s.name,
            "predecessor": p.name,
            "similarity": round(values["name_similarity"], 3),
        },
        "bio_similarity": round(values["bio_similarity"], 3),
        "time": {
            "predecessor_last_active_at": _iso(sp.last_active),
            "predecessor_suspended_seen_at": _iso(sp.seen),
            "successor_created_at": _iso(s.created),
            "hours_since_last_active": round((s.created - sp.last_active) / _HOUR, 2),
        },
    }
    dist = _avatar_distance(s, p)
    if dist is not None:
        evidence["avatar"] = {"hash_distance": dist, "same": dist <= MATCH_DISTANCE}
    if fp or fs:
        evidence["followers"] = {
            "predecessor": len(fp),
            "successor": len(fs),
            "shared": len(fs & fp),
            "regained": round(len(fs & fp) / len(fp), 4) if fp else None,
        }
    hours = _returning_engagement_hours(data, s, p)
    if hours is not None:
        evidence["first_returning_engagement_hours"] = round(hours, 2)
    announcements = data.announced.get(s.id, [])
    if announcements:
        evidence["announcements"] = [
            {
                "by": author,
                "post_id": post_id,
                "at": _iso(at),
                "hours_after_creation": round((at - s.created) / _HOUR, 2),
                "names_predecessor": p.handle.lower() in named,
            }
            for author, post_id, at, named in announcements[:5]
        ]
    if s.lang or p.lang:
        evidence["language"] = {"successor": s.lang, "predecessor": p.lang}
    if values["posts_known"]:
        evidence["writing_style_similarity"] = round(values["style_similarity"], 3)
        evidence["posting_hours_similarity"] = round(values["hours_similarity"], 3)
    if s.habits & p.habits:
        evidence["shared_habits"] = sorted(s.habits & p.habits)
    if values["log_stem_accounts"]:
        evidence["accounts_with_shared_stem"] = round(math.expm1(values["log_stem_accounts"]))
    evidence["contributions"] = dict(sorted(contributions.items(), key=lambda kv: -abs(kv[1]))[:6])
    evidence["carried_by"] = carried_by(contributions)
    return evidence


#: what each pair feature means, for the "carried by" line of a link's evidence
EVIDENCE_WORDS = {
    "handle_similarity": "similar handle",
    "handle_stem_match": "shared handle stem",
    "handle_stem_similarity": "similar handle stems",
    "name_similarity": "similar display name",
    "name_same": "same display name",
    "bio_similarity": "similar bio",
    "bio_same": "same bio",
    "avatar_same": "same avatar image (perceptual hash)",
    "avatar_similarity": "similar avatar image",
    "followers_known": "followers collected",
    "followers_regained": "followers came back",
    "followers_jaccard": "shared followers",
    "following_jaccard": "follows the same accounts",
    "audience_jaccard": "same accounts engage with it",
    "peers_jaccard": "engages with the same accounts",
    "announced": "announced by another account",
    "announcer_knows_predecessor": "announced by the predecessor's circle",
    "returning_engagement_speed": "the predecessor's audience engaged quickly",
    "log_hours_since_last_active": "time since the predecessor's last activity",
    "log_hours_since_last_seen": "time since the predecessor was last seen",
    "log_hours_after_suspension_seen": "time after the suspension was seen",
    "log_hours_observed_after_creation": "predecessor still seen after the creation",
    "same_language": "same language",
    "same_client": "same client",
    "later_lookalike_candidates": "later look-alikes in between",
    "style_similarity": "similar writing style",
    "hours_similarity": "similar posting hours",
    "posts_known": "posts of both collected",
    "log_hours_suspension_uncertainty": "how loosely the suspension is dated",
    "log_stem_accounts": "how common the shared handle stem is",
    "log_name_accounts": "how common the shared display name is",
    "log_shared_followers": "shared followers",
    "habits_jaccard": "same habitual words or emoji",
}


#: features that describe the export or the timing bookkeeping rather than the two
#: accounts: they move a score (the full contributions show them) but are not named
#: as what carried a link (``log_hours_observed_after_creation`` once leaned positive
#: on a simulator artefact, since fixed: docs/lineage.md)
NOT_IDENTITY = frozenset({"followers_known", "posts_known", "log_hours_observed_after_creation"})


def carried_by(contributions: dict[str, float], top: int = 3) -> list[str]:
    """The evidence about the two accounts that added most to a pair's log-odds,
    in words (at most *top*; :data:`NOT_IDENTITY` features are left out)."""
    best = sorted(
        ((v, k) for k, v in contributions.items() if v > 0.25 and k not in NOT_IDENTITY),
        reverse=True,
    )[:top]
    return [EVIDENCE_WORDS.get(k, k) for _, k in best]


def lineage(
    con: Any,
    *,
    platform: str | None = None,
    threshold: float | None = None,
    model: LineagePairModel | None = None,
    window_days: float = WINDOW_DAYS,
    announce_hours: float = ANNOUNCE_HOURS,
    max_successors: int = MAX_SUCCESSORS,
) -> LineageResult:
    """Link re-created accounts to the suspended accounts they replace.

    *con* is a DuckDB connection over a workspace (``store.analytics()``);
    nothing is written.  *platform* limits the run to one platform (default:
    every platform with a suspension).  *threshold* is the least calibrated
    probability a link needs (default: the model's, chosen on the training
    simulations).  *model* defaults to the packaged one.  Returns the links
    (best first), with evidence and runner-ups, and the families they form.
    Raises :class:`~marsad.errors.ConfigError` for a threshold outside (0, 1)
    and :class:`~marsad.errors.BadModel` for an unusable model file.
    """
    began = time.perf_counter()
    model = model or LineagePairModel.load()
    cut = model.threshold if threshold is None else threshold
    if not 0.0 < cut < 1.0:
        raise ConfigError(f"threshold must be between 0 and 1 (exclusive), got {cut}")
    if max_successors < 1:
        raise ConfigError(f"max_successors must be at least 1, got {max_successors}")
    tables = candidate_pairs(
        con, platform=platform, window_days=window_days, announce_hours=announce_hours
    )
    links: list[LineageLink] = []
    abstentions: list[Abstention] = []
    for table in tables:
        if not len(table) or table.data is None:
            continue
        data = table.data
        pair_p, scores = link_probabilities(model, table.successors, table.predecessors, table.x)
        kept = resolve(
            table.successors,
            table.predecessors,
            scores.tolist(),
            cut,
            max_successors=max_successors,
        )
        abstentions += _abstentions(table, pair_p, scores, kept, cut)
        # each link's feature contributions, for all links at once
        parts = model.contribution_matrix(table.x[[i for i, _ in kept]])
        for k, (i, other) in enumerate(kept):
            contributions = {
                name: round(float(v), 3) for name, v in zip(FEATURES, parts[k], strict=True)
            }
            s, p = data.accounts[table.successors[i]], data.accounts[table.predecessors[i]]
            sp = data.suspended[p.id]
            fp = data.followers.get(p.id, set())
            regained = len(data.followers.get(s.id, set()) & fp) / len(fp) if fp else None
            runner = None
            if other is not None:
                o = data.accounts[table.predecessors[other]]
                runner = Candidate(o.id, o.handle or None, float(scores[other]))
            links.append(
                LineageLink(
                    platform=table.platform,
                    successor_id=s.id,
                    predecessor_id=p.id,
                    successor_handle=s.handle or None,
                    predecessor_handle=p.handle or None,
                    score=float(scores[i]),
                    successor_created_at=s.created,
                    predecessor_last_active_at=sp.last_active,
                    predecessor_suspended_seen_at=sp.seen,
                    followers_regained=regained,
                    evidence={
                        **_evidence(data, s, p, table.x[i], contributions),
                        "pair_score": round(float(pair_p[i]), 4),
                    },
                    runner_up=runner,
                )
            )
    links.sort(key=lambda x: (-x.score, x.platform, x.successor_id))
    abstentions.sort(key=lambda a: (-a.best.score, a.platform, a.successor_id))
    return LineageResult(
        links=links,
        families=_families(links),
        threshold=cut,
        model_version=model.version,
        platforms=[t.platform for t in tables],
        successors_considered=sum(t.successors_considered for t in tables),
        predecessors_considered=sum(t.predecessors_considered for t in tables),
        pairs_scored=sum(len(t) for t in tables),
        seconds=time.perf_counter() - began,
        parameters={
            "window_days": window_days,
            "announce_hours": announce_hours,
            "max_successors": max_successors,
        },
        abstentions=abstentions,
    )


def _abstentions(
    table: PairTable,
    pair_p: npt.NDArray[np.float64],
    link_p: npt.NDArray[np.float64],
    kept: list[tuple[int, int | None]],
    cut: float,
) -> list[Abstention]:
    """The successors left unlinked whose best candidate is plausible, and why."""
    assert table.data is not None
    accounts = table.data.accounts
    linked = {table.successors[i] for i, _ in kept}
    holder = {table.predecessors[i]: i for i, _ in kept}
    rows: dict[str, list[int]] = defaultdict(list)
    by_pred: dict[str, list[int]] = defaultdict(list)
    for i, (s, p) in enumerate(zip(table.successors, table.predecessors, strict=True)):
        rows[s].append(i)
        by_pred[p].append(i)

    def cand(i: int, succ: bool = False) -> Candidate:
        who = table.successors[i] if succ else table.predecessors[i]
        return Candidate(who, accounts[who].handle or None, float(pair_p[i]))

    out = []
    for s, idx in rows.items():
        if s in linked:
            continue
        b = max(idx, key=lambda i: (link_p[i], pair_p[i], table.predecessors[i]))
        if link_p[b] < ABSTAIN_FLOOR and pair_p[b] < cut:
            continue
        p = table.predecessors[b]
        if link_p[b] >= cut:
            reason = "predecessor_taken"
        elif pair_p[b] >= cut:
            reason = "ambiguous"
        else:
            reason = "weak_evidence"
        # rivals worth naming: those with a pair probability of RIVAL_FLOOR or more
        rival_p = sorted(
            (c for c in (cand(i) for i in idx if i != b) if c.score >= RIVAL_FLOOR),
            key=lambda c: -c.score,
        )
        rival_s = sorted(
            (c for c in (cand(i, True) for i in by_pred[p] if i != b) if c.score >= RIVAL_FLOOR),
            key=lambda c: -c.score,
        )
        if reason == "predecessor_taken" and p in holder:  # the holder first
            h = holder[p]
            rival_s = [cand(h, True)] + [
                c for c in rival_s if c.predecessor_id != table.successors[h]
            ]
        out.append(
            Abstention(
                platform=table.platform,
                successor_id=s,
                successor_handle=accounts[s].handle or None,
                reason=reason,
                best=Candidate(p, accounts[p].handle or None, float(link_p[b])),
                pair_score=float(pair_p[b]),
                rival_predecessors=tuple(rival_p[:3]),
                rival_successors=tuple(rival_s[:3]),
            )
        )
    return out


#: the detector name of stored lineage links (``target_kind`` "link",
#: ``target_id`` "<successor id>><predecessor id>")
DETECTOR = "lineage"


def link_detections(result: LineageResult) -> list[Any]:
    """*result*'s links as ``lineage`` detections (target ``"<successor>><predecessor>"``)."""
    from marsad.model import Detection

    now = datetime.now(UTC)
    return [
        Detection(
            detector=DETECTOR,
            detector_version=result.model_version,
            target_kind="link",
            platform=x.platform,
            target_id=f"{x.successor_id}>{x.predecessor_id}",
            score=x.score,
            evidence=x.as_dict(),
            created_at=now,
        )
        for x in result.links
    ]


def store_links(store: Any, result: LineageResult) -> int:
    """Store *result*'s links as detections (the review queue reads them),
    replacing the last run's links of the same platforms; returns links stored."""
    detections = link_detections(result)
    with store.transaction():
        store.execute(
            "DELETE FROM detections WHERE detector = ? AND platform = ?",
            [(DETECTOR, p) for p in result.platforms] or [(DETECTOR, "")],
        )
        store.write_detections(detections)
    return len(detections)
