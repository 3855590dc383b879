"""The simulated X post stream, generated one time slice at a time.

Part of the simulate stage (outside the flow: it produces exports for ingest).
The period is cut into equal time slices (a day, or less when a day would hold
more than ``_SLICE_POSTS`` posts).  The posts are first shared out over slices
in proportion to how much posting rate is active in each; inside a slice each
post's author is drawn with probability proportional to its rate times its
active time in the slice (an account posts only between its creation and its
suspension), and its time uniformly in that window.  Shout-outs announcing
re-created accounts are planted events merged into their slices.

Kinds follow the author's role (amplifiers mostly repost, outlets never do).
A repost, reply or quote points at a recent original of the author's planted
community (sometimes across communities, or at the news desk), drawn from the
originals of the current and the previous slice, earlier than the post and by
an author still active -- so memory stays flat however many posts there are.

Each post is a tuple (see the ``R_*`` indices) holding its text and entities;
the writers turn it into the platform's and marsad's formats.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from marsad.simulate.config import SimConfig
from marsad.simulate.population import (
    CAMPAIGN,
    DAY,
    HUB,
    NEWS,
    ORDINARY,
    OUTLET,
    SHOUTOUT,
    Population,
)
from marsad.simulate.text import (
    CAMPAIGN_DOMAIN,
    COVERT_DOMAINS,
    LANGUAGES,
    NEWS_DOMAINS,
    NEWS_TAGS,
    NEWS_TOPICS,
    ORDINARY_DOMAINS,
    SIGNATURES,
    TEMPLATES,
    TOPIC_TAGS,
    TOPICS,
    handle_slug,
    slug,
)

__all__ = ["POST", "QUOTE", "REPLY", "REPOST", "PostStream", "Slice", "snowflake"]

#: post kinds (row field R_KIND)
POST, REPOST, REPLY, QUOTE = range(4)
KIND_NAMES = ("post", "repost", "reply", "quote")
#: row fields
R_ID, R_AUTHOR, R_T, R_TEXT, R_KIND, R_LANG, R_CLIENT = range(7)
R_TAGS, R_MENTIONS, R_URLS, R_REF, R_CONV, R_METRICS, R_N, R_CREATED = range(7, 15)
#: at most this many posts in one slice (memory bound of the stream)
_SLICE_POSTS = 100_000
#: (repost, reply, quote) probabilities of each role (assumption; amplifiers
#: mostly repost, outlets only post originals)
_KIND_P = np.array(
    [
        [0.30, 0.10, 0.03],  # ordinary
        [0.05, 0.02, 0.02],  # news
        [0.35, 0.05, 0.05],  # campaign
        [0.20, 0.05, 0.05],  # hub
        [0.85, 0.03, 0.02],  # amplifier
        [0.45, 0.10, 0.05],  # supporter
        [0.30, 0.05, 0.02],  # shoutout
        [0.00, 0.00, 0.00],  # outlet
    ]
)
#: chance a covert reference targets a prominent account (hub, outlet, shout-out)
_PROMINENT_P = np.array([0.0, 1.0, 0.0, 0.8, 0.9, 0.6, 0.6, 0.8])
#: chance an ordinary user's reference goes to the news desk instead of its community
_ORDINARY_TO_NEWS = 0.3
#: the random stream of the personal habits' post times
_HABIT_STREAM = 0x4AB18
#: mean hours between a successor's creation and a shout-out announcing it (assumption)
_SHOUTOUT_DELAY_HOURS = 6.0
#: X's snowflake epoch (ms)
_TWEPOCH = 1288834974657
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

Row = tuple[Any, ...]


def snowflake(seconds: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """X-style ids: time-ordered, unique for distinct *seq* (global post numbers)."""
    ms = seconds.astype(np.int64) * 1000 + (seq % 1000)
    return np.asarray(((ms - _TWEPOCH) << 22) | ((seq // 1000) % (1 << 22)), dtype=np.int64)


def _b62(value: int, width: int) -> str:
    out = []
    for _ in range(width):
        value, r = divmod(value, 62)
        out.append(_B62[r])
    return "".join(out)


def iso_ms(seconds: np.ndarray) -> list[str]:
    """``2015-01-01T00:00:00.000Z`` for each epoch second."""
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    return [t + ".000Z" for t in text.tolist()]


@dataclass
class Slice:
    """The posts of one time slice ``[t0, t1)``, in time order."""

    t0: int
    t1: int
    rows: list[Row]
    authors: np.ndarray  # author of each row
    times: np.ndarray  # time of each row (seconds)


class PostStream:
    """Yields :class:`Slice` s of posts; see the module docstring for the model."""

    def __init__(self, pop: Population, config: SimConfig, rng: np.random.Generator) -> None:
        self.pop, self.config, self.rng = pop, config, rng
        self.start = int(config.start.timestamp())
        self.end = int(config.end.timestamp())
        per_day = max(1, -(-config.posts // (config.days * _SLICE_POSTS)))
        #: slice bounds; every day boundary is one (users lookups happen there)
        self.bounds = np.array(
            [
                self.start + d * DAY + j * DAY // per_day
                for d in range(config.days)
                for j in range(per_day)
            ]
            + [self.end],
            np.int64,
        )
        self.act_lo = np.maximum(pop.created, self.start)
        self.act_hi = np.minimum(pop.suspended, self.end)
        #: posts per account so far (the {n} of templates, X's tweet_count)
        self.counts = np.zeros(pop.n, np.int64)
        #: ``counts`` as they were at the start of the last slice yielded
        self.counts_at_start = self.counts.copy()
        self.news_community = config.covert_communities + config.ordinary_communities
        self.campaign_community = self.news_community + 1
        every_tag = [slug(o) for o in config.outlets] + list(config.covert_hashtags)
        latin = [t for t in every_tag if t.isascii()] or every_tag
        #: the covert hashtags a post may carry, by language: Arabic-script tags
        #: only in Arabic posts, so language identification sees the post's language
        self.covert_tags = {lang: every_tag if lang == "ar" else latin for lang in LANGUAGES}
        self.role_l: list[int] = pop.role.tolist()
        self.lang_l = [LANGUAGES[x] for x in pop.lang.tolist()]
        self.client_l = [pop.clients[x] for x in pop.client.tolist()]
        self.gen_l: list[int] = pop.generation.tolist()
        self.outlet_l: list[int] = pop.outlet.tolist()
        self.shout_parts = {
            lang: tuple(v[0].split("|@|")) for lang, v in TEMPLATES["shoutout"].items()
        }
        self.reply_tpl = {lang: v[0] for lang, v in TEMPLATES["reply"].items()}
        #: personal habits (``SimConfig.habit_strength``), drawn on a stream of their own
        self.habit = config.habit_strength
        self.habit_rng = np.random.default_rng([config.seed, _HABIT_STREAM])
        self.signature_l: list[str] = [SIGNATURES[x] for x in pop.signature.tolist()]
        self.quote_tpl = {lang: v[0] for lang, v in TEMPLATES["quote"].items()}
        self._plan_shoutouts()
        self._allocate()
        self.seq = 0

    # -- planning ----------------------------------------------------------------
    def _plan_shoutouts(self) -> None:
        pop, cfg, rng = self.pop, self.config, self.rng
        successors = np.flatnonzero(pop.generation > 0)
        announce = successors[rng.random(successors.size) < cfg.shoutout_prob]
        extra = rng.poisson(max(cfg.shoutouts_per_successor - 1.0, 0.0), announce.size)
        targets = np.repeat(announce, 1 + extra)
        times = pop.created[targets] + rng.exponential(
            _SHOUTOUT_DELAY_HOURS * 3600, targets.size
        ).astype(np.int64)
        ok = (times < self.act_hi[targets]) & (times < self.end)
        targets, times = targets[ok], times[ok]
        shouters = np.flatnonzero(pop.role == SHOUTOUT)
        by_comm = {
            c: shouters[pop.community[shouters] == c]
            for c in np.unique(pop.community[shouters]).tolist()
        }
        picks = rng.integers(0, 1 << 30, size=(targets.size, 6))
        chosen = np.full(targets.size, -1, np.int64)
        for k in range(targets.size):
            t = int(times[k])
            pools = [by_comm.get(int(pop.community[targets[k]]), shouters), shouters]
            for j in range(6):
                pool = pools[j // 4]
                if pool.size == 0:
                    continue
                cand = int(pool[int(picks[k, j]) % pool.size])
                if self.act_lo[cand] <= t < self.act_hi[cand]:
                    chosen[k] = cand
                    break
        keep = chosen >= 0
        order = np.argsort(times[keep], kind="stable")
        self.shout_t = times[keep][order]
        self.shout_author = chosen[keep][order]
        self.shout_target = targets[keep][order]
        budget = max(self.config.posts, 0)
        if self.shout_t.size > budget:
            self.shout_t, self.shout_author, self.shout_target = (
                a[:budget] for a in (self.shout_t, self.shout_author, self.shout_target)
            )

    def _allocate(self) -> None:
        regular = self.config.posts - int(self.shout_t.size)
        mass = np.array([self._overlap(k)[1].sum() for k in range(self.bounds.size - 1)])
        if mass.sum() <= 0 or regular <= 0:
            self.alloc = np.zeros(mass.size, np.int64)
            return
        self.alloc = self.rng.multinomial(regular, mass / mass.sum())

    def _overlap(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        t0, t1 = self.bounds[k], self.bounds[k + 1]
        ov = np.minimum(self.act_hi, t1) - np.maximum(self.act_lo, t0)
        active = np.flatnonzero(ov > 0)
        return active, self.pop.weight[active] * ov[active]

    # -- the stream ----------------------------------------------------------------
    def slices(self) -> Iterator[Slice]:
        prev_rows: list[Row] = []
        prev_keys = np.zeros(0, np.int64)
        for k in range(self.bounds.size - 1):
            t0, t1 = int(self.bounds[k]), int(self.bounds[k + 1])
            self.counts_at_start = self.counts.copy()
            rows, authors, times, prev_rows, prev_keys = self._slice(
                k, t0, t1, prev_rows, prev_keys
            )
            yield Slice(t0, t1, rows, authors, times)

    def _slice(
        self, k: int, t0: int, t1: int, prev_rows: list[Row], prev_keys: np.ndarray
    ) -> tuple[list[Row], np.ndarray, np.ndarray, list[Row], np.ndarray]:
        pop, rng = self.pop, self.rng
        count = int(self.alloc[k])
        authors = np.zeros(0, np.int64)
        times = np.zeros(0, np.int64)
        if count:
            active, mass = self._overlap(k)
            cum = np.cumsum(mass)
            authors = active[
                np.minimum(
                    np.searchsorted(cum, rng.random(count) * cum[-1], side="right"), active.size - 1
                )
            ]
            lo = np.maximum(self.act_lo[authors], t0)
            hi = np.minimum(self.act_hi[authors], t1)
            times = lo + (rng.random(count) * (hi - lo)).astype(np.int64)
            if self.habit > 0:
                # this share of posts moves to within about an hour of the author's
                # peak hour of that day, where that stays inside its active window
                hr = self.habit_rng
                near = hr.normal(0.0, 2400.0, count).astype(np.int64)
                want = times - times % DAY + self.pop.peak_hour[authors] * 3600 + near
                move = (hr.random(count) < self.habit) & (want >= lo) & (want < hi)
                times = np.where(move, want, times)
        s_lo, s_hi = np.searchsorted(self.shout_t, [t0, t1])
        authors = np.concatenate([authors, self.shout_author[s_lo:s_hi]])
        times = np.concatenate([times, self.shout_t[s_lo:s_hi]])
        target = np.concatenate([np.full(count, -1, np.int64), self.shout_target[s_lo:s_hi]])
        order = np.argsort(times, kind="stable")
        authors, times, target = authors[order], times[order], target[order]
        m = authors.size
        if m == 0:
            return [], authors, times, prev_rows, prev_keys

        # running number of each post for its author ({n}, tweet_count)
        by_author = np.argsort(authors, kind="stable")
        sorted_a = authors[by_author]
        first = np.r_[True, sorted_a[1:] != sorted_a[:-1]]
        group_start = np.maximum.accumulate(np.where(first, np.arange(m), 0))
        rank = np.empty(m, np.int64)
        rank[by_author] = np.arange(m) - group_start
        n = self.counts[authors] + rank + 1
        np.add.at(self.counts, authors, 1)

        role = pop.role[authors]
        u = rng.random(m)
        p = _KIND_P[role]
        kind = np.where(
            u < p[:, 0],
            REPOST,
            np.where(u < p[:, 0] + p[:, 1], REPLY, np.where(u < p.sum(axis=1), QUOTE, POST)),
        )
        back = (pop.generation[authors] > 0) & (n == 1)
        kind[(target >= 0) | back] = POST
        seq = self.seq + np.arange(m, dtype=np.int64)
        self.seq += m
        ids = snowflake(times, seq)

        # candidate originals: the previous slice's and this one's
        orig = np.flatnonzero(kind == POST)
        cur_keys = self._keys(authors[orig], times[orig])
        keys = np.concatenate([prev_keys, cur_keys])
        sort = np.argsort(keys, kind="stable")
        sorted_keys = keys[sort]
        refs = self._resolve(authors, times, kind, sorted_keys, sort, prev_rows, orig)
        kind[(kind != POST) & (refs < 0)] = POST

        created = iso_ms(times)
        draws = rng.integers(0, 1 << 30, size=(m, 5)).tolist()
        like = rng.poisson(pop.followers[authors] * 0.003 + 0.1).tolist()
        rts = rng.poisson(pop.followers[authors] * 0.001 + 0.05).tolist()
        cols = _Columns(
            ids=[str(v) for v in ids.tolist()],
            authors=authors.tolist(),
            times=times.tolist(),
            n=n.tolist(),
            target=target.tolist(),
            draws=draws,
            created=created,
            like=like,
            rts=rts,
        )
        rows: list[Row] = [()] * m
        # originals first: references may point at them
        original = self._original
        for i in np.flatnonzero(kind == POST).tolist():
            rows[i] = original(i, cols)
        pool_rows = prev_rows + [rows[i] for i in orig.tolist()]
        reference = self._reference
        kinds = kind.tolist()
        for i in np.flatnonzero(kind != POST).tolist():
            rows[i] = reference(i, kinds[i], pool_rows[int(refs[i])], cols)
        # this slice's originals are the next slice's candidates
        next_rows = [rows[i] for i in orig.tolist()]
        next_keys = self._keys(authors[orig], times[orig])
        return rows, authors, times, next_rows, next_keys

    def _keys(self, authors: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Pool keys: (community, prominent) in the high bits, time in the low 34."""
        role = self.pop.role[authors]
        prominent = (role == HUB) | (role == OUTLET) | (role == SHOUTOUT) | (role == NEWS)
        group = self.pop.community[authors].astype(np.int64) * 2 + prominent
        return np.asarray((group << 34) | (times - self.start), dtype=np.int64)

    def _resolve(
        self,
        authors: np.ndarray,
        times: np.ndarray,
        kind: np.ndarray,
        sorted_keys: np.ndarray,
        sort: np.ndarray,
        prev_rows: list[Row],
        orig: np.ndarray,
    ) -> np.ndarray:
        """Index (into previous + current originals) of what each non-original points at, or -1."""
        pop, rng, cfg = self.pop, self.rng, self.config
        refs = np.full(authors.size, -1, np.int64)
        need = np.flatnonzero(kind != POST)
        if need.size == 0 or sorted_keys.size == 0:
            return refs
        a = authors[need]
        role = pop.role[a]
        comm = pop.community[a].astype(np.int64)
        kc = cfg.covert_communities
        covert = role >= HUB
        cross = covert & (rng.random(need.size) < cfg.community_mixing) & (kc > 1)
        comm = np.where(cross, (comm + rng.integers(1, max(kc, 2), need.size)) % kc, comm)
        to_news = (role == ORDINARY) & (rng.random(need.size) < _ORDINARY_TO_NEWS)
        comm = np.where(to_news, self.news_community, comm)
        prominent = (rng.random(need.size) < _PROMINENT_P[role]) | to_news
        t = times[need] - self.start
        back = np.minimum(rng.geometric(0.05, need.size) - 1, 1 << 30)
        picked = np.full(need.size, -1, np.int64)
        for cls in (prominent, ~prominent):
            todo = picked < 0
            group = comm * 2 + cls.astype(np.int64)
            lo = np.searchsorted(sorted_keys, group << 34)
            hi = np.searchsorted(sorted_keys, (group << 34) | t)
            ok = todo & (hi > lo)
            picked[ok] = hi[ok] - 1 - np.minimum(back[ok], hi[ok] - lo[ok] - 1)
        ok = picked >= 0
        idx = np.where(ok, sort[np.maximum(picked, 0)], -1)
        # the referenced post's author must still be active, and not the poster
        n_prev = len(prev_rows)
        ref_author = np.full(need.size, -1, np.int64)
        from_prev = ok & (idx < n_prev)
        if from_prev.any():
            ref_author[from_prev] = [prev_rows[j][R_AUTHOR] for j in idx[from_prev].tolist()]
        from_cur = ok & (idx >= n_prev)
        ref_author[from_cur] = authors[orig[idx[from_cur] - n_prev]]
        alive = ok & (pop.suspended[np.maximum(ref_author, 0)] > times[need]) & (ref_author != a)
        refs[need] = np.where(alive, idx, -1)
        return refs

    # -- rendering -------------------------------------------------------------------
    def _original(self, i: int, c: _Columns) -> Row:
        cfg = self.config
        a = c.authors[i]
        role = self.role_l[a]
        lang = self.lang_l[a]
        d0, d1, d2, d3, d4 = c.draws[i]
        num = c.n[i]
        tags: list[str] = []
        mentions: tuple[tuple[int, int, str, int], ...] = ()
        url = ""
        tag_pool = self.covert_tags[lang]
        covert_tag = tag_pool[d2 % len(tag_pool)]
        tgt = c.target[i]
        if tgt >= 0:
            before, after = self.shout_parts[lang]
            handle = self.pop.handles[tgt]
            body = f"{before}@{handle}{after}"
            mentions = ((len(before), len(before) + 1 + len(handle), handle, tgt),)
            if d3 % 2:
                tags.append(covert_tag)
        elif num == 1 and self.gen_l[a] > 0:
            body = TEMPLATES["back"][lang][0].format(g=self.gen_l[a] + 1)
            if d3 % 2:
                tags.append(covert_tag)
        elif role == ORDINARY:
            topic = d1 % 8
            body = TEMPLATES["ordinary"][lang][d0 % 2].format(n=num, topic=TOPICS[lang][topic])
            if d3 % 10 < 4:
                tags.append(TOPIC_TAGS[topic])
            if d4 % 100 < 5:
                url = self._url(ORDINARY_DOMAINS[d4 % 2], d4)
        elif role == NEWS:
            topic = d1 % 8
            body = TEMPLATES["news"][lang][d0 % 2].format(n=num, topic=NEWS_TOPICS[lang][topic])
            if d3 % 10 < 6:
                tags.append(NEWS_TAGS[topic])
            if d3 % 100 < 15:
                tags.append(covert_tag)  # news reports name the group: hard negatives
            if d4 % 10 < 7:
                url = f"https://{NEWS_DOMAINS[d4 % 3]}/2015/{num}"
        elif role == CAMPAIGN:
            body = TEMPLATES["campaign"][lang][d0 % 2].format(n=num)
            tags.append(cfg.campaign_hashtag)
            if d3 % 10 < 3:
                tags.append(covert_tag)  # counter-messaging names what it counters
            if d4 % 10 < 3:
                url = f"https://{CAMPAIGN_DOMAIN}/stories/{num}"
        elif role == OUTLET:
            outlet = cfg.outlets[self.outlet_l[a]]
            body = TEMPLATES["outlet"][lang][d0 % 2].format(n=num, outlet=outlet)
            tags.append(slug(outlet))
            if d3 % 2 and covert_tag != tags[0]:
                tags.append(covert_tag)
            if d4 % 10 < 3:
                url = f"https://t.me/{handle_slug(outlet)}"
            elif d4 % 10 < 6:
                url = self._url(COVERT_DOMAINS[0], d4)
        else:
            if d0 % 10 < 3:
                outlet = cfg.outlets[d1 % len(cfg.outlets)]
                body = TEMPLATES["outlet"][lang][d0 % 2].format(n=num, outlet=outlet)
            else:
                body = TEMPLATES["covert"][lang][d0 % 2].format(n=num)
            tags.append(covert_tag)
            if d3 % 10 < 4:
                second = tag_pool[(d2 + 1 + d3) % len(tag_pool)]
                if second != covert_tag:
                    tags.append(second)
            if d4 % 10 < 2:
                url = self._url(COVERT_DOMAINS[d4 % 2], d4)
        text = body
        if self.habit > 0 and tgt < 0 and (d0 ^ d4) % 1000 < self.habit * 1000:
            text = f"{text} {self.signature_l[a]}"
        hashtags = []
        for tag in tags:
            start = len(text) + 1
            text = f"{text} #{tag}"
            hashtags.append((start, start + 1 + len(tag), tag))
        sid = c.ids[i]
        urls: tuple[tuple[int, int, str, str, str], ...] = ()
        if url:
            tco = "https://t.co/" + _b62(int(sid) * 2654435761 % 62**10, 10)
            start = len(text) + 1
            text = f"{text} {tco}"
            display = url.split("://", 1)[1]
            if len(display) > 26:
                display = display[:26] + "…"
            urls = ((start, start + len(tco), tco, url, display),)
        metrics = (c.rts[i], d2 % 3 if d2 % 5 == 0 else 0, c.like[i], 0)
        return (
            sid,
            a,
            c.times[i],
            text,
            POST,
            lang,
            self.client_l[a],
            tuple(hashtags),
            mentions,
            urls,
            None,
            sid,
            metrics,
            num,
            c.created[i],
        )

    def _url(self, domain: str, pick: int) -> str:
        code = _b62(pick * 40503 % 62**8, 8)
        if domain == "youtube.com":
            return f"https://www.youtube.com/watch?v={code}"
        if domain == "instagram.com":
            return f"https://www.instagram.com/p/{code}/"
        if domain == "archive.org":
            return f"https://archive.org/details/{code}"
        return f"https://{domain}/{code.lower()[:6]}"

    def _reference(self, i: int, kind: int, ref: Row, c: _Columns) -> Row:
        a = c.authors[i]
        ref_author = ref[R_AUTHOR]
        ref_handle = self.pop.handles[ref_author]
        sid = c.ids[i]
        client = self.client_l[a]
        num = c.n[i]
        t = c.times[i]
        if kind == REPOST:
            prefix = f"RT @{ref_handle}: "
            k = len(prefix)
            mentions = ((3, 4 + len(ref_handle), ref_handle, ref_author),)
            if ref[R_MENTIONS]:
                mentions += tuple((s + k, e + k, h, acc) for s, e, h, acc in ref[R_MENTIONS])
            tags = tuple((s + k, e + k, tag) for s, e, tag in ref[R_TAGS]) if ref[R_TAGS] else ()
            urls = (
                tuple((s + k, e + k, *rest) for s, e, *rest in ref[R_URLS]) if ref[R_URLS] else ()
            )
            metrics = (ref[R_METRICS][0], 0, 0, 0)
            return (
                sid,
                a,
                t,
                prefix + ref[R_TEXT],
                REPOST,
                ref[R_LANG],
                client,
                tags,
                mentions,
                urls,
                ref,
                sid,
                metrics,
                num,
                c.created[i],
            )
        lang = self.lang_l[a]
        if kind == REPLY:
            text = f"@{ref_handle} " + self.reply_tpl[lang].format(n=num)
            mentions = ((0, 1 + len(ref_handle), ref_handle, ref_author),)
            metrics = (0, 0, c.draws[i][0] % 3, 0)
            return (
                sid,
                a,
                t,
                text,
                REPLY,
                lang,
                client,
                (),
                mentions,
                (),
                ref,
                ref[R_CONV],
                metrics,
                num,
                c.created[i],
            )
        body = self.quote_tpl[lang].format(n=num)
        tco = "https://t.co/" + _b62(int(sid) * 2654435761 % 62**10, 10)
        expanded = f"https://twitter.com/{ref_handle}/status/{ref[R_ID]}"
        display = expanded[8:]
        display = display[:26] + "…" if len(display) > 26 else display
        start = len(body) + 1
        urls = ((start, start + len(tco), tco, expanded, display),)
        metrics = (0, 0, c.draws[i][0] % 4, 0)
        return (
            sid,
            a,
            t,
            f"{body} {tco}",
            QUOTE,
            lang,
            client,
            (),
            (),
            urls,
            ref,
            sid,
            metrics,
            num,
            c.created[i],
        )


@dataclass
class _Columns:
    """One slice's per-post values as Python lists (fast to index in loops)."""

    ids: list[str]
    authors: list[int]
    times: list[int]
    n: list[int]
    target: list[int]
    draws: list[list[int]]
    created: list[str]
    like: list[int]
    rts: list[int]
