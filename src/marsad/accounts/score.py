"""Account scores: how likely an account belongs to the network marsad watches.

Part of the *accounts* stage (issue 6).  A post score says what one post
says; trust-and-safety teams act on accounts.  An account's score combines
four kinds of evidence, each a few numbers (:data:`FEATURES`) computed in the
store (DuckDB) from what earlier stages wrote:

* **posts** -- the post detections (``marsad scan``): the mean classifier
  log-odds of its posts, the share of its posts the classifier scores 0.9 or
  more, the share carrying a registry indicator (outlet, slogan, hashtag,
  handle, domain) and the strongest of them, and hash-bank matches of its
  media and texts (``marsad match``) and of its avatar (when the export
  gives the avatar's perceptual hash, it is matched against the PDQ banks);
* **profile** -- the indicator registry run over its handle, display name,
  bio and location (noisy-OR of the weights found), and a re-creation naming
  pattern (a handle ending in a counter such as ``_2`` or ``3``), and
  whether it re-creates a suspended account (the score of its lineage link,
  :mod:`marsad.accounts.lineage`: "if they close one account, open three");
* **behaviour** -- posts a day while observed, the share of reposts, and
  the age of the account when it was first seen posting;
* **network** -- proximity to accounts already labelled: the weighted share
  of its interaction partners (reposts, quotes, replies, mentions, forwards,
  follows, both directions) that are *seeds*, and its personalised PageRank
  from the seeds over the same graph (the 2015 census's seed expansion, as a
  random walk), and the share of seeds among the other members of its
  community (Leiden).  Seeds are given (``seeds=``: accounts an analyst has
  labelled) or, by default, taken from the content: accounts with at least
  :data:`SEED_MIN_POSTS` posts of which at least :data:`SEED_MIN_SHARE` carry
  an indicator, or with a hash-bank match.  An account is never its own
  seed's evidence: the share counts *other* accounts.

Platform suspension is deliberately **not** a feature: the score is meant to
find the accounts a platform has not acted on yet.

An account with a hash-bank match (its media, its texts or its avatar) is
scored at least at the threshold: a rule, not learnt, because the simulated
training data has no banks.  The features go through one logistic model (standardised inputs,
coefficients, then Platt calibration), stored as JSON in
``accounts/models/default.json`` with its card: trained on the simulator's
ground truth (covert network against ordinary, news and counter-messaging
accounts) from seeds that the tests and benchmarks do not use.  A team with
its own labelled accounts refits it (:func:`fit`).  The evidence of a score
is each feature's contribution to the log-odds (:meth:`AccountScorer.explain`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from marsad.errors import InputError
from marsad.model import Detection
from marsad.store.base import Store

__all__ = [
    "DETECTOR",
    "FEATURES",
    "AccountFeatures",
    "AccountModel",
    "AccountScore",
    "AccountScorer",
    "account_features",
    "fit",
]

DETECTOR = "account-score"
#: the evidence an account score reads, in model order (module docstring)
FEATURES = (
    "posts_log",
    "classifier_mean_z",
    "classifier_high_share",
    "indicator_share",
    "indicator_max",
    "hash_matches_log",
    "profile_indicators",
    "handle_counter",
    "posts_per_day_log",
    "repost_share",
    "age_at_first_post_log",
    "seed_neighbour_share",
    "seed_pagerank_log",
    "community_seed_share",
    "content_x_network",
    "recreates_suspended",
)
#: a seed (by content) has at least this many posts ...
SEED_MIN_POSTS = 3
#: ... of which at least this share carry an indicator
SEED_MIN_SHARE = 0.3
#: interactions that make two accounts neighbours
NETWORK_KINDS = ("reposts", "quotes", "replies", "mentions", "forwards", "follows")
_COUNTER = re.compile(r"(?:[_.\-]?\d{1,4}|_+)$")
_MODEL = Path(__file__).parent / "models" / "default.json"
FORMAT = "marsad-account-model/1"


@dataclass
class AccountFeatures:
    """The feature matrix of a workspace's accounts."""

    keys: list[tuple[str, str]]  # (platform, native_id)
    handles: list[str | None]
    values: npt.NDArray[np.float64]  # (accounts, FEATURES)
    seeds: npt.NDArray[np.bool_]
    posts: npt.NDArray[np.int64]

    def column(self, name: str) -> npt.NDArray[np.float64]:
        return self.values[:, FEATURES.index(name)]


@dataclass(frozen=True)
class AccountScore:
    platform: str
    native_id: str
    handle: str | None
    score: float
    posts: int
    seed: bool
    contributions: dict[str, float] = field(default_factory=dict)
    values: dict[str, float] = field(default_factory=dict)


def _rows(store: Store, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    return store.query(sql, list(params))


def account_features(
    store: Store,
    *,
    platform: str | None = None,
    seeds: Iterable[str] | None = None,
    links: Iterable[Any] | None = None,
) -> AccountFeatures:
    """The :data:`FEATURES` of every account of the workspace (of *platform*).
    *links* are the workspace's lineage links when the caller has them
    (``lineage(con).links``; default: found here).
    *seeds* are ``platform:native_id`` keys of labelled accounts (default:
    seeds from the content, module docstring)."""
    accounts = _rows(
        store,
        "SELECT platform, native_id, handle, display_name, bio, location, created_at "
        "FROM accounts WHERE ? IS NULL OR platform = ? ORDER BY platform, native_id",
        [platform, platform],
    )
    index = {(p, n): i for i, (p, n, *_) in enumerate(accounts)}
    n = len(accounts)
    x = np.zeros((n, len(FEATURES)), dtype=np.float64)
    posts = np.zeros(n, dtype=np.int64)

    def put(rows: Iterable[tuple[Any, ...]], *names: str) -> None:
        cols = [FEATURES.index(name) for name in names]
        for plat, acc, *vals in rows:
            i = index.get((plat, acc))
            if i is None:
                continue
            for c, v in zip(cols, vals, strict=True):
                x[i, c] = float(v) if v is not None else 0.0

    # posts and behaviour
    behaviour = _rows(
        store,
        """
        SELECT p.platform, p.account_id, count(*) AS n,
               avg(CASE WHEN p.kind = 'repost' THEN 1.0 ELSE 0.0 END) AS reposts,
               greatest(date_diff('second', min(p.created_at), max(p.created_at)) / 86400.0, 1.0)
                 AS days,
               date_diff('second', any_value(a.created_at), min(p.created_at)) / 86400.0 AS age
        FROM current_posts p LEFT JOIN accounts a
          ON a.platform = p.platform AND a.native_id = p.account_id
        WHERE p.account_id IS NOT NULL
        GROUP BY p.platform, p.account_id
        """,
    )
    for plat, acc, count, reposts, days, age in behaviour:
        i = index.get((plat, acc))
        if i is None:
            continue
        posts[i] = int(count)
        x[i, FEATURES.index("posts_log")] = math.log1p(count)
        x[i, FEATURES.index("repost_share")] = float(reposts or 0.0)
        x[i, FEATURES.index("posts_per_day_log")] = math.log1p(count / float(days or 1.0))
        if age is not None:
            x[i, FEATURES.index("age_at_first_post_log")] = math.log1p(max(float(age), 0.0))

    # post detections
    put(
        _rows(
            store,
            """
            SELECT p.platform, p.account_id,
                   avg(ln(greatest(least(d.score, 1 - 1e-6), 1e-6)
                          / (1 - greatest(least(d.score, 1 - 1e-6), 1e-6)))),
                   avg(CASE WHEN d.score >= 0.9 THEN 1.0 ELSE 0.0 END)
            FROM detections d JOIN current_posts p
              ON p.platform = d.platform AND p.native_id = d.target_id
            WHERE d.detector = 'text-classifier' AND d.target_kind = 'post'
              AND p.account_id IS NOT NULL
            GROUP BY p.platform, p.account_id
            """,
        ),
        "classifier_mean_z",
        "classifier_high_share",
    )
    put(
        _rows(
            store,
            """
            SELECT p.platform, p.account_id,
                   count(d.target_id) / count(*), coalesce(max(d.score), 0)
            FROM current_posts p LEFT JOIN detections d
              ON d.platform = p.platform AND d.target_id = p.native_id
             AND d.detector = 'indicators' AND d.target_kind = 'post'
            WHERE p.account_id IS NOT NULL
            GROUP BY p.platform, p.account_id
            """,
        ),
        "indicator_share",
        "indicator_max",
    )
    put(
        _rows(
            store,
            """
            SELECT p.platform, p.account_id, count(*)
            FROM detections d
            LEFT JOIN media m ON d.target_kind = 'media'
             AND m.platform = d.platform AND m.native_id = d.target_id
            JOIN current_posts p ON p.platform = d.platform
             AND p.native_id = CASE WHEN d.target_kind = 'media' THEN m.post_id ELSE d.target_id END
            WHERE d.detector = 'hash-match' AND p.account_id IS NOT NULL
            GROUP BY p.platform, p.account_id
            """,
        ),
        "hash_matches_log",
    )

    # re-creation: the score of the lineage link from this account to the
    # suspended account it most likely replaces (marsad.accounts.lineage)
    if links is None:
        from marsad.accounts.lineage import lineage

        links = lineage(store.analytics(), platform=platform).links
    col = FEATURES.index("recreates_suspended")
    for link in links:
        i = index.get((link.platform, link.successor_id))
        if i is not None:
            # 3 decimals: the link's last digits vary from run to run (DuckDB sums in parallel)
            x[i, col] = max(x[i, col], round(float(link.score), 3))

    # avatars (a 256-bit perceptual hash, when the export gives one) matched
    # against the workspace's hash banks count as hash-bank matches too
    _avatar_matches(store, accounts, x)
    x[:, FEATURES.index("hash_matches_log")] = np.log1p(x[:, FEATURES.index("hash_matches_log")])

    # profile
    from marsad.detect.indicators import IndicatorRegistry
    from marsad.text.normalize import normalize

    registry = IndicatorRegistry.load()
    col_profile = FEATURES.index("profile_indicators")
    col_counter = FEATURES.index("handle_counter")
    for i, (_, _, handle, name, bio, location, _) in enumerate(accounts):
        text = " ".join(t for t in (handle, name, bio, location) if t)
        if text:
            weights = [m.weight for m in registry.matches(text_norm=normalize(text))]
            if handle:
                weights += [m.weight for m in registry.matches(author_handle=handle)]
            x[i, col_profile] = 1.0 - math.prod(1.0 - w for w in {*weights})
        if handle and _COUNTER.search(handle) and not handle.isdigit():
            x[i, col_counter] = 1.0

    # seeds and the network
    if seeds is not None:
        wanted = {s.strip() for s in seeds if s.strip()}
        is_seed = np.array([f"{p}:{a}" in wanted for p, a, *_ in accounts], dtype=bool)
    else:
        is_seed = (posts >= SEED_MIN_POSTS) & (
            x[:, FEATURES.index("indicator_share")] >= SEED_MIN_SHARE
        )
        is_seed |= x[:, FEATURES.index("hash_matches_log")] > 0
    _network(store, index, is_seed, x)
    # DuckDB sums in parallel and PageRank iterates: the last bits vary from run
    # to run, so features are rounded (re-running must change nothing)
    x = np.round(x, 9)
    return AccountFeatures(
        keys=[(p, a) for p, a, *_ in accounts],
        handles=[h for _, _, h, *_ in accounts],
        values=x,
        seeds=is_seed,
        posts=posts,
    )


def _avatar_matches(
    store: Store, accounts: list[tuple[Any, ...]], x: npt.NDArray[np.float64]
) -> None:
    rows = store.query(
        "SELECT platform, native_id, lower(avatar_hash) FROM accounts "
        "WHERE avatar_hash IS NOT NULL ORDER BY platform, native_id"
    )
    if not rows or not store.query("SELECT 1 FROM bank_signals WHERE signal_type = 'pdq' LIMIT 1"):
        return
    from marsad.hashing.banks import Matcher

    index = {(p, n): i for i, (p, n, *_) in enumerate(accounts)}
    found = Matcher(store).match_many([{"pdq": h} for _, _, h in rows])
    col = FEATURES.index("hash_matches_log")
    for (plat, native, _), (matches, _) in zip(rows, found, strict=True):
        i = index.get((plat, native))
        if i is not None and matches:
            x[i, col] += 1  # a count until account_features takes its log


def _network(
    store: Store,
    index: dict[tuple[str, str], int],
    is_seed: npt.NDArray[np.bool_],
    x: npt.NDArray[np.float64],
) -> None:
    """Fill the two network features (module docstring)."""
    marks = ", ".join("?" for _ in NETWORK_KINDS)
    rows = _rows(
        store,
        f"SELECT platform, src_id, dst_id, count(*) FROM edges WHERE kind IN ({marks}) "  # noqa: S608 -- placeholders only
        "AND src_id <> dst_id GROUP BY ALL",
        NETWORK_KINDS,
    )
    src, dst, weight = [], [], []
    for plat, a, b, w in rows:
        i, j = index.get((plat, a)), index.get((plat, b))
        if i is not None and j is not None:
            src.append(i)
            dst.append(j)
            weight.append(float(w))
    n = len(is_seed)
    if not src or not is_seed.any():
        return
    s, d, w = np.array(src), np.array(dst), np.array(weight)
    # weighted share of partners that are seeds (both directions, self excluded by the query)
    both_i, both_j, both_w = np.r_[s, d], np.r_[d, s], np.r_[w, w]
    total = np.bincount(both_i, weights=both_w, minlength=n)
    seeded = np.bincount(both_i, weights=both_w * is_seed[both_j], minlength=n)
    share = np.divide(seeded, total, out=np.zeros(n), where=total > 0)
    x[:, FEATURES.index("seed_neighbour_share")] = share

    import igraph as ig

    graph = ig.Graph(n=n, edges=list(zip(s.tolist(), d.tolist(), strict=True)), directed=False)
    graph.es["weight"] = w.tolist()
    rank = np.asarray(
        graph.personalized_pagerank(
            reset_vertices=np.flatnonzero(is_seed).tolist(), weights="weight", damping=0.85
        )
    )
    # PageRank relative to uniform (1 = an average account), on a log scale
    x[:, FEATURES.index("seed_pagerank_log")] = np.log1p(rank * n)

    # the share of seeds among the other members of its community (Leiden, as
    # the network stage finds them): counter-speech that talks about the same
    # outlets sits in other communities than the network it talks about
    from marsad.network.communities import detect_communities

    graph.vs["name"] = [str(i) for i in range(n)]
    membership = np.asarray(detect_communities(graph).membership)
    size = np.bincount(membership, minlength=membership.max() + 1).astype(float)
    seeded_in = np.bincount(membership, weights=is_seed.astype(float), minlength=len(size))
    others = size[membership] - 1
    x[:, FEATURES.index("community_seed_share")] = np.divide(
        seeded_in[membership] - is_seed, others, out=np.zeros(n), where=others > 0
    )
    # content and company together: a linear model cannot otherwise say that
    # indicator-laden posts weigh more from inside the network than from outside
    # it (counter-speech names the same outlets from other communities)
    x[:, FEATURES.index("content_x_network")] = x[
        :, FEATURES.index("indicator_share")
    ] * np.maximum(share, x[:, FEATURES.index("community_seed_share")])


# -- the model ---------------------------------------------------------------


@dataclass(frozen=True)
class AccountModel:
    """Standardisation, logistic coefficients and Platt calibration."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    platt: tuple[float, float] = (1.0, 0.0)
    threshold: float = 0.5
    card: dict[str, Any] = field(default_factory=dict)

    def logits(self, values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        z = (values - np.asarray(self.mean)) / np.asarray(self.scale)
        out: npt.NDArray[np.float64] = z @ np.asarray(self.coef) + self.intercept
        return out

    def contributions(self, values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Each feature's part of the (uncalibrated) log-odds."""
        z = (values - np.asarray(self.mean)) / np.asarray(self.scale)
        out: npt.NDArray[np.float64] = z * np.asarray(self.coef)
        return out

    def proba(self, values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        a, b = self.platt
        out: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-(a * self.logits(values) + b)))
        return out

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "features": list(FEATURES),
                "mean": list(self.mean),
                "scale": list(self.scale),
                "coef": list(self.coef),
                "intercept": self.intercept,
                "platt": list(self.platt),
                "threshold": self.threshold,
                "card": self.card,
            },
            indent=1,
            ensure_ascii=False,
        )

    @classmethod
    def load(cls, path: Path | None = None) -> AccountModel:
        path = Path(path or _MODEL)
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: not an account model ({exc})") from exc
        if not isinstance(obj, dict) or obj.get("format") != FORMAT:
            raise InputError(f"{path}: not a {FORMAT} file")
        if obj.get("features") != list(FEATURES):
            raise InputError(f"{path}: made for other features ({obj.get('features')})")
        try:
            model = cls(
                tuple(float(v) for v in obj["mean"]),
                tuple(float(v) for v in obj["scale"]),
                tuple(float(v) for v in obj["coef"]),
                float(obj["intercept"]),
                (float(obj["platt"][0]), float(obj["platt"][1])),
                float(obj["threshold"]),
                dict(obj.get("card") or {}),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise InputError(f"{path}: damaged account model ({exc})") from exc
        if not all(len(v) == len(FEATURES) for v in (model.mean, model.scale, model.coef)):
            raise InputError(f"{path}: arrays are not {len(FEATURES)} long")
        return model


def fit(
    values: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int64],
    *,
    c: float = 1.0,
    seed: int = 0,
    card: dict[str, Any] | None = None,
) -> AccountModel:
    """A model from labelled accounts: logistic regression on standardised
    features, Platt calibration on out-of-fold logits (5 folds), and the
    threshold of the best F1 on those."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    mean = values.mean(axis=0)
    scale = values.std(axis=0)
    scale[scale == 0] = 1.0
    z = (values - mean) / scale
    oof = np.zeros(len(labels))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(z, labels):
        m = LogisticRegression(C=c, max_iter=2000).fit(z[train], labels[train])
        oof[test] = m.decision_function(z[test])
    full = LogisticRegression(C=c, max_iter=2000).fit(z, labels)
    platt = LogisticRegression(C=1e6, max_iter=2000).fit(oof[:, None], labels)
    a, b = float(platt.coef_[0, 0]), float(platt.intercept_[0])
    p = 1.0 / (1.0 + np.exp(-(a * oof + b)))
    order = np.argsort(-p)
    tp = np.cumsum(labels[order])
    f1 = 2 * tp / (np.arange(1, len(p) + 1) + labels.sum())
    threshold = float(p[order][int(np.argmax(f1))])
    return AccountModel(
        tuple(mean.tolist()),
        tuple(scale.tolist()),
        tuple(full.coef_[0].tolist()),
        float(full.intercept_[0]),
        (a, b),
        threshold,
        dict(card or {}),
    )


# -- scoring -------------------------------------------------------------------


class AccountScorer:
    """Scores a workspace's accounts with *model* (default: the packaged one)."""

    def __init__(self, model: AccountModel | None = None) -> None:
        self.model = model or AccountModel.load()

    def score(
        self,
        store: Store,
        *,
        platform: str | None = None,
        seeds: Iterable[str] | None = None,
        links: Iterable[Any] | None = None,
    ) -> list[AccountScore]:
        """Every account's score, highest first, with its evidence (*links*:
        the lineage links, when the caller has found them already)."""
        feats = account_features(store, platform=platform, seeds=seeds, links=links)
        if not feats.keys:
            return []
        proba = np.round(self.model.proba(feats.values), 9)
        # known content is the surest evidence there is: an account whose media,
        # texts or avatar match a hash bank is at least at the threshold (a
        # rule, because simulated training data has no banks to learn it from)
        known = feats.column("hash_matches_log") > 0
        proba = np.where(known, np.maximum(proba, self.model.threshold), proba)
        parts = self.model.contributions(feats.values)
        out = [
            AccountScore(
                platform=p,
                native_id=a,
                handle=feats.handles[i],
                score=float(proba[i]),
                posts=int(feats.posts[i]),
                seed=bool(feats.seeds[i]),
                contributions={f: round(float(parts[i, k]), 4) for k, f in enumerate(FEATURES)},
                values={f: round(float(feats.values[i, k]), 4) for k, f in enumerate(FEATURES)},
            )
            for i, (p, a) in enumerate(feats.keys)
        ]
        out.sort(key=lambda s: (-s.score, s.platform, s.native_id))
        return out

    def store_scores(self, store: Store, scores: Sequence[AccountScore]) -> int:
        """Write *scores* as ``account-score`` detections, replacing the last run's."""
        now = datetime.now(UTC)
        detections = [
            Detection(
                detector=DETECTOR,
                detector_version=self.version,
                target_kind="account",
                platform=s.platform,
                target_id=s.native_id,
                score=s.score,
                evidence={
                    "seed": s.seed,
                    "posts": s.posts,
                    "threshold": self.model.threshold,
                    "contributions": s.contributions,
                    "values": s.values,
                },
                created_at=now,
            )
            for s in scores
        ]
        with store.transaction():
            store.execute("DELETE FROM detections WHERE detector = ?", [(DETECTOR,)])
            store.write_detections(detections)
        return len(detections)

    @property
    def version(self) -> str:
        import hashlib

        return hashlib.sha256(self.model.to_json().encode()).hexdigest()[:12]

    def explain(self, score: AccountScore) -> list[tuple[str, float, float]]:
        """(feature, value, contribution to the log-odds), largest effect first."""
        rows = [(f, score.values[f], score.contributions[f]) for f in FEATURES]
        return sorted(rows, key=lambda r: -abs(r[2]))


def find_account(store: Store, ref: str, platform: str | None = None) -> tuple[str, str]:
    """(platform, native_id) of ``@handle``, ``platform:native_id`` or a native id."""
    ref = ref.strip()
    if ref.startswith("@"):
        rows = store.query(
            "SELECT platform, native_id FROM accounts WHERE lower(handle) = lower(?) "
            "AND (? IS NULL OR platform = ?) ORDER BY platform, native_id",
            [ref[1:], platform, platform],
        )
    else:
        plat, sep, native = ref.partition(":")
        if not sep:
            plat, native = "", ref
        rows = store.query(
            "SELECT platform, native_id FROM accounts WHERE native_id = ? "
            "AND (? = '' OR platform = ?) AND (? IS NULL OR platform = ?) "
            "ORDER BY platform, native_id",
            [native, plat, plat, platform, platform],
        )
    if not rows:
        raise InputError(f"no account {ref!r} in the workspace")
    if len(rows) > 1:
        where = ", ".join(f"{p}:{n}" for p, n in rows[:5])
        raise InputError(f"{ref!r} names several accounts ({where}): give platform:id")
    return str(rows[0][0]), str(rows[0][1])


def explain_account(
    store: Store, ref: str, *, platform: str | None = None, scorer: AccountScorer | None = None
) -> dict[str, Any]:
    """Why account *ref* has its score: the stored ``account-score``
    detection (scored now, and stored, when the workspace has none), its
    features and their contributions, largest first."""
    key = find_account(store, ref, platform)
    scorer = scorer or AccountScorer()
    rows = store.query(
        "SELECT score, evidence FROM detections WHERE detector = ? AND detector_version = ? "
        "AND target_kind = 'account' AND platform = ? AND target_id = ?",
        [DETECTOR, scorer.version, *key],
    )
    if not rows:
        scorer.store_scores(store, scorer.score(store))
        rows = store.query(
            "SELECT score, evidence FROM detections WHERE detector = ? AND detector_version = ? "
            "AND target_kind = 'account' AND platform = ? AND target_id = ?",
            [DETECTOR, scorer.version, *key],
        )
    score, evidence = rows[0]
    ev = json.loads(evidence)
    handle = store.query(
        "SELECT handle FROM accounts WHERE platform = ? AND native_id = ?", list(key)
    )[0][0]
    features = sorted(
        (
            {"feature": f, "value": ev["values"][f], "contribution": ev["contributions"][f]}
            for f in FEATURES
        ),
        key=lambda r: -abs(r["contribution"]),
    )
    return {
        "platform": key[0],
        "native_id": key[1],
        "handle": handle,
        "score": float(score),
        "threshold": ev["threshold"],
        "flagged": float(score) >= ev["threshold"],
        "seed": ev["seed"],
        "posts": ev["posts"],
        "model": scorer.version,
        "features": features,
    }
