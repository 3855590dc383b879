"""Simulator settings: :class:`SimConfig` and the named :data:`PROFILES`.

Part of the simulate stage, which stands outside the flow: it *produces* the
exports that the first stage (ingest) reads, with the ground truth that the
later stages (lineage, networks, census) are scored against.

Every field says where its default comes from.  Three kinds of source:

* **census** -- J. M. Berger and J. Morgan, *The ISIS Twitter Census*
  (Brookings, March 2015), which measured ~20,000 supporting accounts of
  late 2014: 73% Arabic / 18% English / 6% French tweets, 69% Android / 30%
  iPhone / 1% BlackBerry clients, ~1,000 followers on average, a small
  hyperactive core doing most of the tweeting, and accounts re-created after
  suspension under varied names;
* **design** -- ``DESIGN.md`` (outlet names, the re-creation doctrine, the
  2015 setting);
* **assumption** -- a value chosen so the simulation behaves plausibly, not a
  measurement.  Those are stated as such; change them freely.

A config is immutable and JSON-serialisable (:meth:`SimConfig.to_dict`), and
the same config with the same seed gives byte-identical files.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from marsad.errors import ConfigError
from marsad.simulate.text import LANGUAGES

__all__ = ["COVERT_ROLES", "PROFILES", "SimConfig"]

#: the covert network's roles, in the order of :attr:`SimConfig.covert_roles`
COVERT_ROLES = ("hub", "amplifier", "supporter", "shoutout", "outlet")

Shares = tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class SimConfig:
    """Everything that shapes one simulated platform.

    Sizes
        ``accounts`` first-generation X accounts (re-created successors and
        newcomers come on top of it and are counted in the summary); ``posts``
        X posts in total (shout-outs included); ``telegram_posts`` messages
        over all Telegram channels; ``days`` from ``start`` (UTC).

    Population
        ``covert_share`` of the accounts belong to the covert network, split
        over ``covert_roles``; ``news_share`` are news accounts;
        ``campaign_share`` post the counter-messaging ``campaign_hashtag``; the
        rest are ordinary users.  The covert network is planted as
        ``covert_communities`` communities and ordinary users as
        ``ordinary_communities``; ``community_mixing`` is the chance that a
        follow or a repost of a covert account crosses to another covert
        community.

    Suspension and re-creation
        A covert account's time to suspension is Weibull(``suspension_shape``,
        ``suspension_scale_days``), counted from ``start`` for accounts that
        exist then and from creation for re-created ones (never shorter than
        ``min_lifetime_hours``).  A suspended covert account is re-created with
        ``recreate_prob`` after an exponential delay of mean
        ``recreate_delay_days``; each of its followers comes back with
        ``follower_return_rate``.  ``ordinary_suspension_rate`` of ordinary
        users are suspended (spam) and never re-created: the false positives a
        lineage linker must not link.

    What a study sees (and what makes linking hard)
        Monitored accounts are looked up every ``lookup_every_days`` (0: only
        the final lookup of every account), so a suspension is known from the
        first lookup after it -- unless ``suspension_times_known``, when a
        status CSV gives every suspension's exact time.  A successor re-uploads
        its predecessor's picture with ``avatar_reuse_rate`` (a new URL and
        file; its perceptual hash within a few bits), and marsad's JSONL
        carries avatar hashes only if ``avatar_media_kept``.  A share
        ``lookalike_name_share`` of the non-hub accounts (ordinary users and
        covert rank and file alike) take kunya-style names from one small
        shared pool; ``rename_rate`` of the successors take a handle and name
        unrelated to their predecessor's; ``newcomer_rate`` accounts a day,
        re-creations of nobody, join during the period (``newcomer_covert_share``
        of them covert).  :func:`marsad.simulate.grid.randomised_config` draws
        all of these at random.
    """

    # -- identity and size -------------------------------------------------
    #: random seed; the same seed and config give byte-identical files
    seed: int = 7
    #: name of the profile this config was built from (recorded in config.json)
    profile: str = "census-2014"
    #: first-generation X accounts (assumption: a mid-size study)
    accounts: int = 5000
    #: X posts over the whole period, shout-outs included (assumption)
    posts: int = 50000
    #: Telegram messages over all channels (assumption)
    telegram_posts: int = 2000
    #: first instant of the period (design: the 2015 "virtual caliphate")
    start: datetime = datetime(2015, 1, 1, tzinfo=UTC)
    #: length of the period in days (assumption: half a year)
    days: int = 180

    # -- population --------------------------------------------------------
    #: share of accounts in the covert network (assumption: a hashtag-seeded
    #: collection over-represents it; the census population itself was ~46,000)
    covert_share: float = 0.10
    #: share of news accounts (assumption)
    news_share: float = 0.01
    #: share of counter-messaging campaign accounts (assumption)
    campaign_share: float = 0.02
    #: covert roles and their shares (assumption; the census names a small
    #: hyperactive core, mass re-posting and accounts announcing new handles)
    covert_roles: Shares = (
        ("hub", 0.05),
        ("amplifier", 0.55),
        ("supporter", 0.28),
        ("shoutout", 0.07),
        ("outlet", 0.05),
    )
    #: branded media outlets the outlet accounts and channels are named after (design)
    outlets: tuple[str, ...] = (
        "Amaq",
        "Nashir",
        "al-Naba",
        "al-Hayat",
        "al-Furqan",
        "Dabiq",
        "Rumiyah",
    )
    #: hashtags of the covert network besides the outlet names: short indicator
    #: tokens only ("the Caliphate", "the Islamic State"; design)
    covert_hashtags: tuple[str, ...] = ("الخلافة", "الدولة_الإسلامية", "IS_news")
    #: the counter-messaging campaign's hashtag (the 2014 #NotInMyName campaign)
    campaign_hashtag: str = "NotInMyName"
    #: planted communities of the covert network (assumption)
    covert_communities: int = 8
    #: planted communities of ordinary users (assumption)
    ordinary_communities: int = 20
    #: chance a covert follow or repost crosses to another covert community (assumption)
    community_mixing: float = 0.10

    # -- languages and clients ---------------------------------------------
    #: languages of covert accounts (census: 73% Arabic, 18% English, 6% French)
    covert_languages: Shares = (("ar", 0.73), ("en", 0.18), ("fr", 0.06), ("other", 0.03))
    #: languages of ordinary, news and campaign accounts (assumption: an
    #: English-led general mix with a large Arabic and French audience)
    ordinary_languages: Shares = (
        ("en", 0.50),
        ("ar", 0.20),
        ("fr", 0.10),
        ("es", 0.08),
        ("other", 0.12),
    )
    #: what "other" expands to, uniformly (assumption)
    other_languages: tuple[str, ...] = ("de", "tr", "ru", "id")
    #: clients of covert accounts (census: 69% Android, 30% iPhone, 1% BlackBerry)
    covert_clients: Shares = (
        ("Twitter for Android", 0.69),
        ("Twitter for iPhone", 0.30),
        ("Twitter for BlackBerry®", 0.01),
    )
    #: clients of everyone else (assumption: a 2015 general mix)
    ordinary_clients: Shares = (
        ("Twitter for Android", 0.40),
        ("Twitter for iPhone", 0.33),
        ("Twitter Web Client", 0.17),
        ("Twitter for iPad", 0.04),
        ("TweetDeck", 0.03),
        ("Twitter for BlackBerry®", 0.01),
        ("Hootsuite", 0.02),
    )

    # -- followers and the follower graph ----------------------------------
    #: mean followers of a covert account (census: ~1,000)
    covert_followers_mean: float = 1000.0
    #: mean followers of an ordinary user (assumption)
    ordinary_followers_mean: float = 300.0
    #: mean followers of a news account (assumption)
    news_followers_mean: float = 20000.0
    #: mean followers of a campaign account (assumption)
    campaign_followers_mean: float = 2000.0
    #: sigma of the log-normal follower counts: heavy-tailed degrees (assumption)
    followers_sigma: float = 1.0
    #: share of a monitored account's followers that are accounts of the
    #: simulation and so appear as follow edges (assumption; the rest are
    #: accounts outside the collection)
    follow_sample_rate: float = 0.05
    #: at most this many follow edges per monitored account (assumption)
    max_follow_edges: int = 2000
    #: share of a covert account's in-sample followers that are covert (assumption)
    covert_follower_share: float = 0.7

    # -- activity ----------------------------------------------------------
    #: sigma of the log-normal per-account posting rate: heavy tails (assumption)
    activity_sigma: float = 1.2
    #: share of covert accounts in the hyperactive core (census: a few percent)
    hyperactive_share: float = 0.04
    #: how many times faster the hyperactive core posts (assumption)
    hyperactive_boost: float = 15.0

    # -- suspension and re-creation ----------------------------------------
    #: Weibull shape of covert time to suspension (<1: most suspensions come
    #: early, as platforms flag new accounts quickly; assumption)
    suspension_shape: float = 0.8
    #: Weibull scale in days (assumption: a median covert life of about a month)
    suspension_scale_days: float = 45.0
    #: no account is suspended sooner than this after its creation (assumption)
    min_lifetime_hours: float = 1.0
    #: share of ordinary users suspended over the period, never re-created (assumption)
    ordinary_suspension_rate: float = 0.005
    #: chance a suspended covert account is re-created (design: "if they close one
    #: account, open three"; one successor each keeps families chains)
    recreate_prob: float = 0.7
    #: mean days between a suspension and the successor's creation (assumption)
    recreate_delay_days: float = 1.0
    #: chance each follower of a suspended account follows its successor (assumption)
    follower_return_rate: float = 0.5
    #: re-creations per family at most (assumption)
    max_generations: int = 12
    #: chance a successor's handle is announced by shout-out accounts (assumption)
    shoutout_prob: float = 0.8
    #: mean shout-out posts per announced successor (assumption)
    shoutouts_per_successor: float = 2.0

    # -- collection --------------------------------------------------------
    #: the monitored accounts (covert, news, campaign) are looked up this often;
    #: 0: never during the period, only the final lookup of every account at its
    #: end, as a collection checked once (assumption)
    lookup_every_days: int = 7
    #: also write ``status/suspensions.csv`` (format ``status-csv``) with every
    #: suspended X account's exact suspension time, as a platform's own log or a
    #: takedown list gives it (assumption: studies rarely have this)
    suspension_times_known: bool = False
    #: the media (profile images) were kept, so marsad's JSONL carries each
    #: avatar's perceptual hash (assumption; X's own export never does)
    avatar_media_kept: bool = True
    #: a monitored account's followers are collected this long after it appears (assumption)
    collect_delay_days: int = 1
    #: Telegram relay channels forwarding outlet posts (assumption)
    relay_channels: int = 6

    # -- realism: what a linker must not be flattered by ----------------------
    #: chance a successor re-uploads its predecessor's picture: a new upload
    #: (new URL and file) of the same image re-encoded, its perceptual hash a
    #: few bits off; otherwise a new picture (assumption)
    avatar_reuse_rate: float = 0.6
    #: share of the non-hub accounts (ordinary users, amplifiers, supporters,
    #: shout-out accounts) named from one small shared pool of kunya-style
    #: names ("Abu Omar al-Masri", "أبو عمر", "abou_omar88") in Arabic, English
    #: and French spellings (assumption: such names are common among
    #: supporters and ordinary users alike)
    lookalike_name_share: float = 0.0
    #: share of successors whose handle and display name are unrelated to
    #: their predecessor's (assumption)
    rename_rate: float = 0.0
    #: accounts a day that join during the period, re-creations of nobody
    #: (assumption: a platform grows every day)
    newcomer_rate: float = 0.0
    #: share of those newcomers that are new covert accounts, first of their
    #: family (any covert role but outlet); the rest are ordinary users (assumption)
    newcomer_covert_share: float = 0.2
    #: how strongly accounts keep personal habits: this share of an account's
    #: posts falls within about an hour of its own peak hour of the day, and
    #: this share of its original posts ends with its own signature token (an
    #: emoji or a mark); 0 for none (assumption: people post at their hours
    #: and sign alike; 0 keeps the earlier simulator's posts)
    habit_strength: float = 0.0
    #: chance a successor keeps its predecessor's habits (peak hour and
    #: signature) rather than taking new ones (assumption)
    habit_persistence: float = 0.8

    def __post_init__(self) -> None:
        problems = list(_problems(self))
        if problems:
            raise ConfigError("bad simulation config: " + "; ".join(problems))

    @classmethod
    def from_profile(cls, profile: str = "census-2014", **overrides: Any) -> SimConfig:
        """The named profile with *overrides* applied (``None`` values are ignored).

        Raises :class:`~marsad.errors.ConfigError` for an unknown profile or field.
        """
        try:
            base = PROFILES[profile]
        except KeyError:
            raise ConfigError(
                f"unknown simulation profile {profile!r}; choose one of: {', '.join(PROFILES)}"
            ) from None
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ConfigError(f"unknown simulation setting(s): {', '.join(unknown)}")
        changes = {k: v for k, v in overrides.items() if v is not None}
        return dataclasses.replace(base, **changes)

    @property
    def end(self) -> datetime:
        """The first instant after the period."""
        return self.start + timedelta(days=self.days)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (times ISO-8601 UTC, tuples as lists) for ``config.json``."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                value = value.astimezone(UTC).isoformat().replace("+00:00", "Z")
            elif isinstance(value, tuple):
                value = [list(v) if isinstance(v, tuple) else v for v in value]
            out[f.name] = value
        return out


def _problems(c: SimConfig) -> list[str]:
    out: list[str] = []
    if c.start.tzinfo is None:
        out.append("start must be timezone-aware (UTC)")
    for name in ("accounts", "days"):
        if getattr(c, name) < 1:
            out.append(f"{name} must be at least 1, got {getattr(c, name)}")
    for name in ("posts", "telegram_posts", "relay_channels", "max_follow_edges"):
        if getattr(c, name) < 0:
            out.append(f"{name} must not be negative, got {getattr(c, name)}")
    for name in ("covert_communities", "ordinary_communities"):
        if getattr(c, name) < 1:
            out.append(f"{name} must be at least 1, got {getattr(c, name)}")
    if c.lookup_every_days < 0:
        out.append(
            f"lookup_every_days must not be negative (0: only the final lookup), "
            f"got {c.lookup_every_days}"
        )
    for name in ("suspension_times_known", "avatar_media_kept"):
        if not isinstance(getattr(c, name), bool):
            out.append(f"{name} must be true or false, got {getattr(c, name)!r}")
    if not 0.0 <= c.newcomer_rate < float("inf"):
        out.append(f"newcomer_rate must be a non-negative number, got {c.newcomer_rate}")
    for name in (
        "covert_share",
        "news_share",
        "campaign_share",
        "community_mixing",
        "follow_sample_rate",
        "covert_follower_share",
        "hyperactive_share",
        "ordinary_suspension_rate",
        "recreate_prob",
        "follower_return_rate",
        "shoutout_prob",
        "avatar_reuse_rate",
        "lookalike_name_share",
        "rename_rate",
        "habit_strength",
        "habit_persistence",
        "newcomer_covert_share",
    ):
        value = getattr(c, name)
        if not 0.0 <= value <= 1.0:
            out.append(f"{name} must be in [0, 1], got {value}")
    if c.covert_share + c.news_share + c.campaign_share > 1.0:
        out.append("covert_share + news_share + campaign_share must not exceed 1")
    for name in ("covert_roles", "covert_languages", "ordinary_languages"):
        out.extend(_shares_problems(name, getattr(c, name)))
    for name in ("covert_clients", "ordinary_clients"):
        out.extend(_shares_problems(name, getattr(c, name)))
    roles = {r for r, _ in c.covert_roles}
    if not roles <= set(COVERT_ROLES):
        out.append(f"covert_roles: unknown role(s) {sorted(roles - set(COVERT_ROLES))}")
    if not c.outlets:
        out.append("outlets must name at least one outlet")
    if not c.other_languages:
        out.append("other_languages must name at least one language")
    named = [lang for lang, _ in c.covert_languages + c.ordinary_languages if lang != "other"]
    missing = sorted(set(named + list(c.other_languages)) - set(LANGUAGES))
    if missing:
        out.append(
            f"no templates for language(s) {missing}; the simulator writes {', '.join(LANGUAGES)}"
        )
    for name in (
        "covert_followers_mean",
        "ordinary_followers_mean",
        "news_followers_mean",
        "campaign_followers_mean",
        "suspension_shape",
        "suspension_scale_days",
        "recreate_delay_days",
        "hyperactive_boost",
    ):
        if getattr(c, name) <= 0:
            out.append(f"{name} must be positive, got {getattr(c, name)}")
    for name in (
        "followers_sigma",
        "activity_sigma",
        "min_lifetime_hours",
        "shoutouts_per_successor",
    ):
        if getattr(c, name) < 0:
            out.append(f"{name} must not be negative, got {getattr(c, name)}")
    return out


def _shares_problems(name: str, shares: Shares) -> list[str]:
    if not shares:
        return [f"{name} must not be empty"]
    if any(p < 0 for _, p in shares):
        return [f"{name}: shares must not be negative"]
    total = sum(p for _, p in shares)
    if abs(total - 1.0) > 1e-6:
        return [f"{name}: shares must add up to 1, got {total:.6f}"]
    return []


#: named configurations; :meth:`SimConfig.from_profile` applies overrides to one
PROFILES: dict[str, SimConfig] = {
    # the default: a mid-size 2015 study calibrated on the 2014 census
    "census-2014": SimConfig(),
    # a few seconds to build: tests and ``marsad demo``; a denser covert network
    # so that every mechanism (suspension, re-creation, shout-outs) shows
    "small": SimConfig(
        profile="small",
        accounts=600,
        posts=6000,
        telegram_posts=300,
        days=90,
        covert_share=0.25,
        covert_communities=3,
        ordinary_communities=5,
        relay_channels=3,
        follow_sample_rate=0.05,
    ),
    # the platform of the randomised grid (:mod:`marsad.simulate.grid`): mid-size,
    # about 0.3 s to simulate and 3 s to ingest (one format, 2 shared cores), so a
    # benchmark can run dozens of settings; the realism knobs are drawn per
    # setting, not set here
    "grid": SimConfig(
        profile="grid",
        accounts=2500,
        posts=20000,
        telegram_posts=200,
        days=120,
        covert_share=0.15,
        covert_communities=5,
        ordinary_communities=10,
        relay_channels=3,
    ),
}
