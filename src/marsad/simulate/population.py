"""The simulated population: every account as columns of numpy arrays.

Part of the simulate stage (outside the flow: it produces exports for ingest).
:func:`build_population` draws the first-generation X accounts (ordinary users,
news, the counter-messaging campaign and the covert network with its roles and
planted communities), their languages, clients, follower counts, posting rates
and suspension times, adds the newcomers that join during the period
(re-creations of nobody), then re-creates suspended covert accounts generation
by generation -- each successor with a varied (or, with ``rename_rate``, an
unrelated) handle and name, a bio and a picture that is its predecessor's or
a new one -- so that the TRUE lineage (successor -> predecessor, family) is
known.  The Telegram channels (outlets and relays) are a small separate table.

Two random streams: *rng* draws everything earlier versions drew, in the same
order; *variety* draws what the realism knobs add (look-alike names,
newcomers, renamed successors, new pictures, image file names).  With the
knobs off, the population is therefore the one earlier versions gave, but for
the avatars (a picture not reused is a new one, and no URL names a picture).

Avatars: ``avatar_picture`` is the account whose upload first showed the
picture (a successor reusing its predecessor's picture has the same), and
``avatar_hash`` a synthetic 256-bit perceptual hash of the uploaded image; a
re-upload is a re-encoding, a few bits off.  ``avatar_file`` is the random
file name of each account's own upload: nothing in a URL tells two uploads
of one picture apart from two pictures.

Times are integer seconds since the Unix epoch (UTC); ``NEVER`` marks an
account not suspended within the period.  Account ids follow the creation
order, as X's do.  Strings are kept in plain lists (equal strings share one
object), so a million accounts stay within a few hundred megabytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from marsad.simulate.config import SimConfig
from marsad.simulate.text import (
    ACCOUNT_WORD,
    AR_GIVEN,
    BIOS,
    GIVEN,
    KUNYA,
    LANGUAGE_LABEL,
    LANGUAGES,
    LOCATIONS,
    SIGNATURES,
    VARIATIONS,
    WORDS,
    handle_slug,
    handle_variant,
    lookalike_identity,
)

__all__ = ["NEVER", "RENAMED", "ROLES", "Channels", "Population", "build_population"]

#: role codes (index) -> names written to the ground truth
ROLES = (
    "ordinary",
    "news",
    "campaign",
    "hub",
    "amplifier",
    "supporter",
    "shoutout",
    "outlet",
)
ORDINARY, NEWS, CAMPAIGN, HUB, AMPLIFIER, SUPPORTER, SHOUTOUT, OUTLET = range(8)
COVERT_CODES = {
    "hub": HUB,
    "amplifier": AMPLIFIER,
    "supporter": SUPPORTER,
    "shoutout": SHOUTOUT,
    "outlet": OUTLET,
}
#: "not suspended within the period"
NEVER = np.int64(2**62)
DAY = 86400
#: X's launch: no account is older
_X_LAUNCH = int(datetime(2006, 7, 15, tzinfo=UTC).timestamp())
#: relative posting rate of each role (assumption; only ratios matter: the
#: total is fixed by ``SimConfig.posts``)
ROLE_RATE = np.array([1.0, 6.0, 2.0, 8.0, 5.0, 2.0, 3.0, 6.0])
#: follower multiplier of each covert role before renormalising to the configured
#: mean (assumption: hubs and outlets are followed most)
_COVERT_FOLLOWER_MULT = {
    "hub": 4.0,
    "amplifier": 0.6,
    "supporter": 1.0,
    "shoutout": 1.5,
    "outlet": 3.0,
}
#: mean following counts per role (assumption)
_FOLLOWING_MEAN = np.array([300.0, 500.0, 800.0, 600.0, 700.0, 500.0, 900.0, 100.0])
#: ages at the start of the period, in days, per role: (low, high) (assumption:
#: covert accounts are young, news accounts old)
_AGE_DAYS = {
    ORDINARY: (30, 2500),
    NEWS: (300, 2900),
    CAMPAIGN: (10, 200),
}
_COVERT_AGE_DAYS = (1, 400)
#: chance an ordinary user keeps X's default profile image (assumption)
_DEFAULT_AVATAR = 0.10
#: chance a covert account uses a kunya display name (assumption)
_KUNYA_NAME = 0.4
#: chance a successor keeps its predecessor's display name and bio unchanged
_SAME_NAME = 0.5
_SAME_BIO = 0.7
#: bit positions drawn (with repeats) to flip in the synthetic perceptual hash of
#: a re-uploaded picture: a re-encoding moves a PDQ hash by a few bits (assumption)
_REENCODE_FLIP_BITS = 8
#: the random stream of the personal habits (peak hour, signature)
_HABIT_STREAM = 0x4AB17
#: roles that may take a name from the shared kunya-style pool (hubs and outlets
#: keep names of their own)
_LOOKALIKE_ROLES = (ORDINARY, AMPLIFIER, SUPPORTER, SHOUTOUT)
#: a newcomer's expected followers relative to an established account of its
#: role: it has had weeks, not years, to gather them (assumption)
_NEWCOMER_FOLLOWERS = 0.2
#: the handle variation recorded for a successor with an unrelated handle
RENAMED = "renamed"


@dataclass
class Channels:
    """The Telegram channels: branded outlets and relays forwarding them."""

    ids: np.ndarray  # int64 channel ids
    names: list[str]
    is_relay: np.ndarray  # bool
    outlet: np.ndarray  # int: outlet index (outlets), -1 for relays
    lang: np.ndarray  # int: index into LANGUAGES
    created: np.ndarray  # int64 seconds
    community: int


@dataclass
class Population:
    """All X accounts as parallel arrays, indexed 0..n-1: the first generation, then
    the newcomers, then the successors generation by generation."""

    role: np.ndarray
    community: np.ndarray
    lang: np.ndarray
    client: np.ndarray
    followers: np.ndarray
    following: np.ndarray
    listed: np.ndarray
    base_posts: np.ndarray
    weight: np.ndarray
    created: np.ndarray
    suspended: np.ndarray
    predecessor: np.ndarray
    family: np.ndarray
    generation: np.ndarray
    hyperactive: np.ndarray
    avatar_picture: np.ndarray  # int64: the account that first uploaded the picture
    avatar_default: np.ndarray
    avatar_hash: np.ndarray  # (n, 4) uint64: a synthetic 256-bit perceptual hash
    upload_id: np.ndarray
    avatar_file: np.ndarray  # int64: random file name of the upload (48 bits)
    outlet: np.ndarray  # outlet index for outlet accounts, else -1
    handles: list[str]
    names: list[str]
    bios: list[str]
    locations: list[str]
    variation: list[str]  # handle variation of a successor (or RENAMED), "" for roots
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    id_str: list[str] = field(default_factory=list)
    clients: tuple[str, ...] = ()
    channels: Channels | None = None
    communities: int = 0
    #: the newcomers are accounts ``first_newcomer .. first_newcomer + newcomers - 1``
    first_newcomer: int = 0
    newcomers: int = 0
    #: personal habits (``SimConfig.habit_strength``): peak hour of the day (UTC)
    #: and signature token index, kept by a successor with ``habit_persistence``
    peak_hour: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    signature: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def n(self) -> int:
        return int(self.role.shape[0])

    @property
    def is_covert(self) -> np.ndarray:
        return self.role >= HUB

    @property
    def monitored(self) -> np.ndarray:
        """Accounts a study watches: everything but ordinary users."""
        return np.asarray(self.role != ORDINARY)


def _counts(total: int, shares: list[float]) -> list[int]:
    """Largest-remainder rounding of *shares* of *total*."""
    raw = [total * s for s in shares]
    out = [int(np.floor(r)) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def _draw(rng: np.random.Generator, shares: tuple[tuple[str, float], ...], size: int) -> np.ndarray:
    p = np.array([s for _, s in shares], dtype=np.float64)
    return rng.choice(len(shares), size=size, p=p / p.sum())


def _lognormal(
    rng: np.random.Generator, mean: np.ndarray | float, sigma: float, size: int
) -> np.ndarray:
    """Log-normal draws with the given *mean* (not median)."""
    return np.asarray(mean) * rng.lognormal(-sigma * sigma / 2.0, sigma, size)


def build_population(
    config: SimConfig, rng: np.random.Generator, variety: np.random.Generator
) -> Population:
    """Draw the whole population of *config* (see the module docstring for the two streams)."""
    start = int(config.start.timestamp())
    end = int(config.end.timestamp())
    n0 = config.accounts

    # -- roles ----------------------------------------------------------------
    n_cov, n_news, n_camp = (
        round(n0 * s) for s in (config.covert_share, config.news_share, config.campaign_share)
    )
    n_cov = min(n_cov, n0)
    n_news = min(n_news, n0 - n_cov)
    n_camp = min(n_camp, n0 - n_cov - n_news)
    role_names = [r for r, _ in config.covert_roles]
    per_role = _counts(n_cov, [s for _, s in config.covert_roles])
    role = np.concatenate(
        [
            np.full(n0 - n_cov - n_news - n_camp, ORDINARY, np.int8),
            np.full(n_news, NEWS, np.int8),
            np.full(n_camp, CAMPAIGN, np.int8),
            *[
                np.full(c, COVERT_CODES[r], np.int8)
                for r, c in zip(role_names, per_role, strict=True)
            ],
        ]
    )
    role = role[rng.permutation(n0)]
    covert = role >= HUB

    # -- communities ------------------------------------------------------------
    kc, ko = config.covert_communities, config.ordinary_communities
    community = np.empty(n0, np.int32)
    pc = rng.dirichlet(np.full(kc, 4.0))
    po = rng.dirichlet(np.full(ko, 2.0))
    community[covert] = rng.choice(kc, size=int(covert.sum()), p=pc)
    community[role == ORDINARY] = kc + rng.choice(ko, size=int((role == ORDINARY).sum()), p=po)
    community[role == NEWS] = kc + ko
    community[role == CAMPAIGN] = kc + ko + 1

    # -- languages and clients --------------------------------------------------
    lang = np.empty(n0, np.int8)
    lang[covert] = _languages(rng, config, config.covert_languages, int(covert.sum()))
    lang[~covert] = _languages(rng, config, config.ordinary_languages, int((~covert).sum()))
    clients = tuple(
        dict.fromkeys(
            [c for c, _ in config.covert_clients] + [c for c, _ in config.ordinary_clients]
        )
    )
    client = np.empty(n0, np.int8)
    cov_map = np.array([clients.index(c) for c, _ in config.covert_clients])
    ord_map = np.array([clients.index(c) for c, _ in config.ordinary_clients])
    client[covert] = cov_map[_draw(rng, config.covert_clients, int(covert.sum()))]
    client[~covert] = ord_map[_draw(rng, config.ordinary_clients, int((~covert).sum()))]

    # -- followers, following, activity -----------------------------------------
    sigma = config.followers_sigma
    followers = np.empty(n0, np.float64)
    mult = np.array([_COVERT_FOLLOWER_MULT.get(ROLES[r], 1.0) for r in range(len(ROLES))])
    norm = sum(s * _COVERT_FOLLOWER_MULT[r] for r, s in config.covert_roles) or 1.0
    for code, mean in (
        (ORDINARY, config.ordinary_followers_mean),
        (NEWS, config.news_followers_mean),
        (CAMPAIGN, config.campaign_followers_mean),
    ):
        sel = role == code
        followers[sel] = _lognormal(rng, mean, sigma, int(sel.sum()))
    followers[covert] = _lognormal(
        rng, config.covert_followers_mean * mult[role[covert]] / norm, sigma, int(covert.sum())
    )
    following = _lognormal(rng, _FOLLOWING_MEAN[role], 0.8, n0)
    hyperactive = covert & (rng.random(n0) < config.hyperactive_share)
    weight = ROLE_RATE[role] * _lognormal(rng, 1.0, config.activity_sigma, n0)
    weight[hyperactive] *= config.hyperactive_boost

    # -- creation and suspension ------------------------------------------------
    created = np.empty(n0, np.int64)
    for code, (lo, hi) in _AGE_DAYS.items():
        sel = role == code
        created[sel] = start - (rng.uniform(lo, hi, int(sel.sum())) * DAY).astype(np.int64)
    created[covert] = start - (rng.uniform(*_COVERT_AGE_DAYS, int(covert.sum())) * DAY).astype(
        np.int64
    )
    created = np.maximum(created, _X_LAUNCH)
    age_days = (start - created) / DAY
    base_posts = rng.poisson(np.minimum(age_days, 3000) * 0.4 * weight / ROLE_RATE[role].clip(1))
    suspended = np.full(n0, NEVER, np.int64)
    suspended[covert] = _time_to_suspension(rng, config, start, int(covert.sum()))
    spam = (role == ORDINARY) & (rng.random(n0) < config.ordinary_suspension_rate)
    suspended[spam] = start + (rng.random(int(spam.sum())) * (end - start)).astype(np.int64)
    suspended[suspended >= end] = NEVER

    # -- outlets --------------------------------------------------------------------
    outlet = np.full(n0, -1, np.int32)
    outlet_idx = np.flatnonzero(role == OUTLET)
    outlet[outlet_idx] = np.arange(outlet_idx.size) % len(config.outlets)

    # -- names ----------------------------------------------------------------------
    taken: set[str] = set()
    intern: dict[str, str] = {}
    picks = rng.integers(0, 1 << 30, size=(n0, 6)).tolist()
    ordinal = np.zeros(n0, np.int64)
    ordinal[outlet_idx] = np.arange(outlet_idx.size) // len(config.outlets) + 1
    alike = _lookalike_picks(config, variety, role)
    handles, names, bios, locations = _profiles(
        config, role, lang, outlet, ordinal, picks, alike, taken, intern
    )

    # kept from earlier versions, which named the picture in the image URL: drawing
    # it keeps every later draw of *rng* (and so the population) as it was
    rng.integers(1, 10_000_000, n0)
    avatar_default = (role == ORDINARY) & (rng.random(n0) < _DEFAULT_AVATAR)
    avatar_hash = rng.integers(
        0, np.iinfo(np.uint64).max, size=(n0, 4), dtype=np.uint64, endpoint=True
    )

    pop = Population(
        role=role,
        community=community,
        lang=lang,
        client=client,
        followers=np.rint(followers).astype(np.int64),
        following=np.rint(following).astype(np.int64),
        listed=rng.poisson(followers / 150.0).astype(np.int64),
        base_posts=base_posts.astype(np.int64),
        weight=weight,
        created=created,
        suspended=suspended,
        predecessor=np.full(n0, -1, np.int64),
        family=np.arange(n0, dtype=np.int64),
        generation=np.zeros(n0, np.int16),
        hyperactive=hyperactive,
        avatar_picture=np.arange(n0, dtype=np.int64),
        avatar_default=avatar_default,
        avatar_hash=avatar_hash,
        upload_id=np.zeros(n0, np.int64),
        avatar_file=np.zeros(n0, np.int64),
        outlet=outlet,
        handles=handles,
        names=names,
        bios=bios,
        locations=locations,
        variation=[""] * n0,
        clients=clients,
        communities=kc + ko + 3,
    )
    _add_newcomers(pop, config, variety, taken, intern, pc, po, start, end)
    _recreate(pop, config, rng, variety, taken, end)
    _assign_ids(pop, rng)
    pop.avatar_file = variety.integers(0, 1 << 48, pop.n, dtype=np.int64)
    pop.channels = _channels(config, rng, start, kc + ko + 2)
    _habits(pop, config, config.seed)
    return pop


def _habits(pop: Population, config: SimConfig, seed: int) -> None:
    """Each account's peak hour and signature; a successor keeps its predecessor's
    with ``habit_persistence``.  Drawn on a stream of their own, so the other
    draws stay those of a simulation without habits."""
    rng = np.random.default_rng([seed, _HABIT_STREAM])
    n = pop.n
    own = np.arange(n)
    keep = rng.random(n) < config.habit_persistence
    habit = own.copy()
    for i in np.flatnonzero((pop.generation > 0) & keep).tolist():
        habit[i] = habit[int(pop.predecessor[i])]  # parents come before their successors
    peak = rng.integers(0, 24, n)
    sign = rng.integers(0, len(SIGNATURES), n)
    pop.peak_hour = peak[habit]
    pop.signature = sign[habit]


def _lookalike_picks(
    config: SimConfig, variety: np.random.Generator, role: np.ndarray
) -> list[list[int] | None]:
    """For each account, the picks of its name from the shared kunya-style pool, or None."""
    n = role.size
    chosen = np.isin(role, _LOOKALIKE_ROLES) & (variety.random(n) < config.lookalike_name_share)
    picks = variety.integers(0, 1 << 30, size=(n, 5))
    out: list[list[int] | None] = [None] * n
    for i in np.flatnonzero(chosen).tolist():  # lists only where used: a million stay small
        out[i] = picks[i].tolist()
    return out


def _profiles(
    config: SimConfig,
    role: np.ndarray,
    lang: np.ndarray,
    outlet: np.ndarray,
    ordinal: np.ndarray,
    picks: list[list[int]],
    alike: list[list[int] | None],
    taken: set[str],
    intern: dict[str, str],
) -> tuple[list[str], list[str], list[str], list[str]]:
    """Unique handles, display names, bios and locations of new (non-successor) accounts."""
    handles: list[str] = []
    names: list[str] = []
    bios: list[str] = []
    locations: list[str] = []
    roles, langs, outlets, ordinals = (
        role.tolist(),
        lang.tolist(),
        outlet.tolist(),
        ordinal.tolist(),
    )
    for i in range(len(roles)):
        r, lg, p = roles[i], LANGUAGES[langs[i]], picks[i]
        if r == OUTLET:
            o = outlets[i]
            base = f"{handle_slug(config.outlets[o])[:8]}_{lg}{ordinals[i]}"
            name = f"{config.outlets[o]} {LANGUAGE_LABEL[lg]}"
            bio = BIOS["outlet"][lg][0].format(outlet=config.outlets[o])
        else:
            like = alike[i]
            if like is None:
                base = _handle(p)
                name = _display_name(p, lg, r >= HUB)
            else:
                base, name = lookalike_identity(like, lg)
            kind = {NEWS: "news", CAMPAIGN: "campaign"}.get(r, "covert" if r >= HUB else "ordinary")
            variants = BIOS[kind][lg]
            bio = variants[int(p[4]) % len(variants)].format(tag=config.campaign_hashtag)
        handles.append(_unique(base, taken, int(p[5])))
        names.append(intern.setdefault(name, name))
        bios.append(intern.setdefault(bio, bio))
        places = LOCATIONS[lg]
        loc = places[int(p[3]) % len(places)] if r < HUB or int(p[3]) % 3 == 0 else ""
        locations.append(intern.setdefault(loc, loc))
    return handles, names, bios, locations


def _add_newcomers(
    pop: Population,
    config: SimConfig,
    rng: np.random.Generator,
    taken: set[str],
    intern: dict[str, str],
    pc: np.ndarray,
    po: np.ndarray,
    start: int,
    end: int,
) -> None:
    """Append the accounts that join during the period, re-creations of nobody.

    Mostly ordinary users; ``newcomer_covert_share`` of them new covert
    accounts (the first of their family: they may be suspended and re-created
    like any other).  They are created uniformly over the period and post,
    follow and are followed like their role.  *rng* is the variety stream.
    """
    m = int(rng.poisson(config.newcomer_rate * config.days))
    roles = [(r, s) for r, s in config.covert_roles if r != "outlet" and s > 0]
    if m == 0:
        return
    kc, ko = config.covert_communities, config.ordinary_communities
    created = np.sort(start + (rng.random(m) * (end - start)).astype(np.int64))
    covert = (rng.random(m) < config.newcomer_covert_share) & bool(roles)
    role = np.full(m, ORDINARY, np.int8)
    if roles:
        codes = np.array([COVERT_CODES[r] for r, _ in roles], np.int8)
        drawn = _draw(rng, tuple(roles), m)
        role[covert] = codes[drawn[covert]]
    community = np.where(covert, rng.choice(kc, size=m, p=pc), kc + rng.choice(ko, size=m, p=po))
    lang = np.where(
        covert,
        _languages(rng, config, config.covert_languages, m),
        _languages(rng, config, config.ordinary_languages, m),
    ).astype(np.int8)
    cov_map = np.array([pop.clients.index(c) for c, _ in config.covert_clients])
    ord_map = np.array([pop.clients.index(c) for c, _ in config.ordinary_clients])
    client = np.where(
        covert,
        cov_map[_draw(rng, config.covert_clients, m)],
        ord_map[_draw(rng, config.ordinary_clients, m)],
    ).astype(np.int8)
    mult = np.array([_COVERT_FOLLOWER_MULT.get(ROLES[r], 1.0) for r in range(len(ROLES))])
    norm = sum(s * _COVERT_FOLLOWER_MULT[r] for r, s in config.covert_roles) or 1.0
    mean = np.where(
        covert,
        config.covert_followers_mean * mult[role] / norm,
        config.ordinary_followers_mean,
    )
    followers = _lognormal(rng, mean * _NEWCOMER_FOLLOWERS, config.followers_sigma, m)
    following = _lognormal(rng, _FOLLOWING_MEAN[role], 0.8, m)
    hyperactive = covert & (rng.random(m) < config.hyperactive_share)
    weight = ROLE_RATE[role] * _lognormal(rng, 1.0, config.activity_sigma, m)
    weight[hyperactive] *= config.hyperactive_boost
    suspended = np.where(
        covert,
        _time_to_suspension(rng, config, created, m),
        np.where(
            rng.random(m) < config.ordinary_suspension_rate,
            created + (rng.random(m) * (end - created)).astype(np.int64) + 1,
            NEVER,
        ),
    ).astype(np.int64)
    suspended[suspended >= end] = NEVER
    first = pop.n
    picks = rng.integers(0, 1 << 30, size=(m, 6)).tolist()
    alike = _lookalike_picks(config, rng, role)
    handles, names, bios, locations = _profiles(
        config, role, lang, np.full(m, -1), np.zeros(m, np.int64), picks, alike, taken, intern
    )
    avatar_default = (role == ORDINARY) & (rng.random(m) < _DEFAULT_AVATAR)
    avatar_hash = rng.integers(
        0, np.iinfo(np.uint64).max, size=(m, 4), dtype=np.uint64, endpoint=True
    )
    columns: dict[str, np.ndarray] = {
        "role": role,
        "community": community.astype(np.int32),
        "lang": lang,
        "client": client,
        "followers": np.rint(followers).astype(np.int64),
        "following": np.rint(following).astype(np.int64),
        "listed": rng.poisson(followers / 150.0).astype(np.int64),
        "base_posts": np.zeros(m, np.int64),
        "weight": weight,
        "created": created,
        "suspended": suspended,
        "predecessor": np.full(m, -1, np.int64),
        "family": np.arange(first, first + m, dtype=np.int64),
        "generation": np.zeros(m, np.int16),
        "hyperactive": hyperactive,
        "avatar_picture": np.arange(first, first + m, dtype=np.int64),
        "avatar_default": avatar_default,
        "avatar_hash": avatar_hash,
        "upload_id": np.zeros(m, np.int64),
        "avatar_file": np.zeros(m, np.int64),
        "outlet": np.full(m, -1, np.int32),
    }
    for name, values in columns.items():
        setattr(pop, name, np.concatenate([getattr(pop, name), values]))
    pop.handles += handles
    pop.names += names
    pop.bios += bios
    pop.locations += locations
    pop.variation += [""] * m
    pop.first_newcomer, pop.newcomers = first, m


def _languages(
    rng: np.random.Generator, config: SimConfig, shares: tuple[tuple[str, float], ...], size: int
) -> np.ndarray:
    drawn = _draw(rng, shares, size)
    codes = np.array(
        [LANGUAGES.index(code) if code != "other" else -1 for code, _ in shares], dtype=np.int64
    )
    out = codes[drawn]
    other = out < 0
    others = np.array([LANGUAGES.index(c) for c in config.other_languages])
    out[other] = others[rng.integers(0, others.size, int(other.sum()))]
    return np.asarray(out, dtype=np.int8)


def _time_to_suspension(
    rng: np.random.Generator, config: SimConfig, origin: int | np.ndarray, size: int
) -> np.ndarray:
    """Weibull times to suspension counted from *origin*, never under the minimum lifetime."""
    days = config.suspension_scale_days * rng.weibull(config.suspension_shape, size)
    seconds = np.maximum(days * DAY, config.min_lifetime_hours * 3600.0)
    return np.asarray(origin, np.int64) + seconds.astype(np.int64)


def _handle(p: list[int]) -> str:
    given, word = GIVEN[int(p[0]) % len(GIVEN)], WORDS[int(p[1]) % len(WORDS)]
    num = int(p[2]) % 1000
    style = int(p[3]) % 4
    if style == 0:
        out = f"{given}_{word}{num % 100}"
    elif style == 1:
        out = f"{given}{num}"
    elif style == 2:
        out = f"{word}_{given}"
    else:
        out = f"{given}{word}{num % 10}"
    return out[:15]


def _display_name(p: list[int], lang: str, covert: bool) -> str:
    i, j = int(p[0]) % len(GIVEN), int(p[2]) % len(GIVEN)
    kunya = covert and int(p[1]) % 100 < _KUNYA_NAME * 100
    if lang == "ar":
        return f"{KUNYA[1]} {AR_GIVEN[j]}" if kunya else f"{AR_GIVEN[i]} {AR_GIVEN[j]}"
    return f"Abu {GIVEN[j].title()}" if kunya else f"{GIVEN[i].title()} {GIVEN[j].title()}"


def _unique(handle: str, taken: set[str], pick: int) -> str:
    out = handle
    k = 0
    while out in taken:
        suffix = str((pick + k * 7919) % 10 ** (2 + k // 10))
        out = handle[: 15 - len(suffix)] + suffix
        k += 1
    taken.add(out)
    return out


def _recreate(
    pop: Population,
    config: SimConfig,
    rng: np.random.Generator,
    variety: np.random.Generator,
    taken: set[str],
    end: int,
) -> None:
    """Append successors of suspended covert accounts, one generation at a time.

    *rng* makes the draws earlier versions made, in their order; *variety* the
    renamed successors and the hashes of new pictures.
    """
    parents = np.flatnonzero(pop.is_covert & (pop.suspended < end))
    for generation in range(1, config.max_generations + 1):
        if parents.size == 0:
            break
        again = rng.random(parents.size) < config.recreate_prob
        delay = rng.exponential(config.recreate_delay_days * DAY, parents.size) + 600
        created = pop.suspended[parents] + delay.astype(np.int64)
        keep = again & (created < end)
        parents, created = parents[keep], created[keep]
        m = parents.size
        if m == 0:
            break
        suspended = _time_to_suspension(rng, config, created, m)
        suspended[suspended >= end] = NEVER
        returned = rng.binomial(pop.followers[parents], config.follower_return_rate)
        fresh = rng.poisson(0.05 * config.covert_followers_mean, m)
        reuse = rng.random(m) < config.avatar_reuse_rate
        flips = rng.integers(0, 256, size=(m, _REENCODE_FLIP_BITS))
        kinds = rng.integers(0, len(VARIATIONS), m)
        picks = rng.integers(0, 1 << 30, size=(m, 4))
        renamed = variety.random(m) < config.rename_rate
        rename_picks = variety.integers(0, 1 << 30, size=(m, 6))
        rename_alike = variety.random(m) < config.lookalike_name_share
        alike_picks = variety.integers(0, 1 << 30, size=(m, 5))
        new_pictures = variety.integers(
            0, np.iinfo(np.uint64).max, size=(m, 4), dtype=np.uint64, endpoint=True
        )
        first = pop.n
        # a re-uploaded picture is the same image re-encoded: a few bits off
        new_hash = np.where(reuse[:, None], pop.avatar_hash[parents], new_pictures)
        rows = np.flatnonzero(reuse)
        for b in range(_REENCODE_FLIP_BITS):
            word, bit = flips[:, b] // 64, (flips[:, b] % 64).astype(np.uint64)
            new_hash[rows, word[rows]] ^= np.left_shift(np.uint64(1), bit[rows])

        def grow(name: str, values: np.ndarray) -> None:
            setattr(pop, name, np.concatenate([getattr(pop, name), values]))

        for name in (
            "role",
            "community",
            "lang",
            "client",
            "following",
            "weight",
            "hyperactive",
            "outlet",
            "avatar_default",
        ):
            grow(name, getattr(pop, name)[parents])
        grow("followers", (returned + fresh).astype(np.int64))
        grow("listed", rng.poisson((returned + fresh) / 150.0).astype(np.int64))
        grow("base_posts", np.zeros(m, np.int64))
        grow("created", created)
        grow("suspended", suspended)
        grow("predecessor", parents.astype(np.int64))
        grow("family", pop.family[parents])
        grow("generation", np.full(m, generation, np.int16))
        grow(
            "avatar_picture",
            np.where(reuse, pop.avatar_picture[parents], np.arange(first, first + m)),
        )
        grow("avatar_hash", new_hash)
        grow("upload_id", np.zeros(m, np.int64))
        grow("avatar_file", np.zeros(m, np.int64))
        for k in range(m):
            parent = int(parents[k])
            lg = LANGUAGES[pop.lang[parent]]
            if renamed[k]:
                # a fresh identity: nothing of the old handle or name
                p = rename_picks[k].tolist()
                if rename_alike[k]:
                    handle, name = lookalike_identity(alike_picks[k].tolist(), lg)
                else:
                    handle, name = _handle(p), _display_name(p, lg, True)
                pop.handles.append(_unique(handle, taken, int(p[5])))
                pop.variation.append(RENAMED)
                pop.names.append(name)
            else:
                kind = VARIATIONS[int(kinds[k])]
                handle = handle_variant(pop.handles[parent], kind, generation, int(picks[k, 0]))
                pop.handles.append(_unique(handle, taken, int(picks[k, 1])))
                pop.variation.append(kind)
                pop.names.append(_name_variant(pop.names[parent], lg, generation, int(picks[k, 2])))
            bio = pop.bios[parent]
            if int(picks[k, 3]) % 100 >= _SAME_BIO * 100:
                bio = f"{bio} ({ACCOUNT_WORD[lg]} {generation + 1})".strip()
            pop.bios.append(bio)
            pop.locations.append(pop.locations[parent])
        parents = np.arange(first, pop.n)[pop.suspended[first:] < end]


def _name_variant(name: str, lang: str, generation: int, pick: int) -> str:
    choice = pick % 100
    if choice < _SAME_NAME * 100:
        return name
    if choice < 75:
        return f"{name} {generation + 1}"
    kunya = KUNYA[1] if lang == "ar" else "Abu"
    if name.startswith(kunya + " "):
        return name[len(kunya) + 1 :]
    return f"{kunya} {name.split(' ')[-1]}"


def _assign_ids(pop: Population, rng: np.random.Generator) -> None:
    """Ids increase with creation time, like X's (about 10 a second since launch)."""
    order = np.argsort(pop.created, kind="stable")
    raw = 10_000_000 + (pop.created[order] - _X_LAUNCH) * 10 + rng.integers(0, 10, pop.n)
    steps = np.arange(pop.n, dtype=np.int64)
    raw = np.maximum.accumulate(raw - steps) + steps  # strictly increasing
    ids = np.empty(pop.n, np.int64)
    ids[order] = raw
    pop.ids = ids
    pop.id_str = [str(v) for v in ids.tolist()]
    pop.upload_id = (
        (pop.created - _X_LAUNCH) * 1000 + rng.integers(0, 1000, pop.n) + 500_000_000_000
    )


def _channels(config: SimConfig, rng: np.random.Generator, start: int, community: int) -> Channels:
    """One Telegram channel per outlet and ``relay_channels`` relays."""
    n_out, n_rel = len(config.outlets), config.relay_channels
    n = n_out + n_rel
    ids = 1_000_000_000 + rng.choice(500_000_000, size=n, replace=False)
    names = list(config.outlets) + [f"relay {k + 1}" for k in range(n_rel)]
    lang = np.concatenate(
        [
            _languages(rng, config, config.covert_languages, n_out),
            _languages(rng, config, config.covert_languages, n_rel),
        ]
    )
    for k in range(n_rel):
        names[n_out + k] = f"{LANGUAGE_LABEL[LANGUAGES[lang[n_out + k]]]} {k + 1}"
    created = start - (rng.uniform(5, 300, n) * DAY).astype(np.int64)
    return Channels(
        ids=ids.astype(np.int64),
        names=names,
        is_relay=np.arange(n) >= n_out,
        outlet=np.where(np.arange(n) < n_out, np.arange(n), -1),
        lang=lang,
        created=created,
        community=community,
    )
