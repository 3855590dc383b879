"""How much identity evidence the true re-creations of a simulation leave in its export.

Figures for ``BENCHMARKS.md`` (lineage, issue 17).  For each workspace built
by ``benchmarks/lineage.py`` (``DATA_DIR/grid-seedN-x-v2-exact``), every true
re-creation the export can show (:func:`marsad.accounts.evaluate.observable_truth`)
is checked for *specific* identity evidence between successor and predecessor:

* a shared follower (follow edges of the export);
* a handle stem, or a display-name token, that at most 20 accounts share;
* a word, hashtag or mention of their original posts that at most 20 accounts use;
* a post of the successor naming the predecessor's handle (an announcement).

A re-creation with none of these can be linked only on weak signals (a common
name, posting hours, a signature emoji shared by many, timing), among the
suspensions of the weeks before: their median count is printed too.

    python benchmarks/lineage_evidence.py --data-dir /tmp/bl 2001 2002 3001
"""

from __future__ import annotations

import argparse
import bisect
import csv
import re
import sys
from collections import Counter
from pathlib import Path

import duckdb

from marsad.accounts.evaluate import observable_truth

_TOKEN = re.compile(r"[^\W_]{3,}", re.U)
_SPECIFIC = 20


def _stems(handle: str | None) -> set[str]:
    h = re.sub(r"^(abu|umm|abou|abo)_?", "", (handle or "").lower())
    return {re.sub(r"[\d_]+$", "", h)} - {""}


def _tokens(text: str | None) -> set[str]:
    return {w.lower() for w in _TOKEN.findall(text or "")}


def measure(base: Path) -> dict[str, float]:
    with open(base / "sim" / "ground_truth" / "lineage.csv", newline="") as fh:
        links = list(csv.DictReader(fh))
    con = duckdb.connect(str(base / "ws" / "marsad.duckdb"), read_only=True)
    pairs = [(r["successor_id"], r["predecessor_id"]) for r in links]
    observable = observable_truth(con, pairs)
    acc = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT native_id, handle, display_name, epoch(created_at) FROM accounts "
            "WHERE platform = 'x'"
        ).fetchall()
    }
    suspensions = sorted(
        r[0]
        for r in con.execute(
            "SELECT min(epoch(observed_at)) FROM status_events WHERE status = 'suspended' "
            "GROUP BY account_id"
        ).fetchall()
    )
    followers: dict[str, set[str]] = {}
    for src, dst in con.execute(
        "SELECT src_id, dst_id FROM edges WHERE kind = 'follows'"
    ).fetchall():
        followers.setdefault(dst, set()).add(src)
    words = {
        a: _tokens(t) | set(re.findall(r"[#@]\w+", (t or "").lower()))
        for a, t in con.execute(
            "SELECT account_id, string_agg(text, ' ') FROM posts WHERE platform = 'x' "
            "AND repost_of_id IS NULL GROUP BY 1"
        ).fetchall()
    }
    word_df = Counter(w for ws in words.values() for w in ws)
    name_df = Counter(w for v in acc.values() for w in _tokens(v[1]))
    stem_df = Counter(w for v in acc.values() for w in _stems(v[0]))
    none, nearby = 0, []
    for s, p in observable:
        (sh, sn, sc), (ph, pn, _) = acc[s], acc[p]
        evidence = (
            bool(followers.get(s, set()) & followers.get(p, set()))
            or any(stem_df[w] <= _SPECIFIC for w in _stems(sh) & _stems(ph))
            or any(name_df[w] <= _SPECIFIC for w in _tokens(sn) & _tokens(pn))
            or any(word_df[w] <= _SPECIFIC for w in words.get(s, set()) & words.get(p, set()))
            or bool(ph and "@" + ph.lower() in words.get(s, set()))
        )
        if not evidence:
            none += 1
            if sc is not None:
                lo = bisect.bisect_left(suspensions, sc - 14 * 86400)
                nearby.append(bisect.bisect_right(suspensions, sc) - lo)
    nearby.sort()
    return {
        "observable": len(observable),
        "no_specific_evidence": none,
        "share": none / max(len(observable), 1),
        "median_suspensions_14d_before": nearby[len(nearby) // 2] if nearby else 0,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("seeds", nargs="+", type=int)
    ap.add_argument("--data-dir", type=Path, default=Path("bench-data") / "lineage")
    args = ap.parse_args()
    print(
        "| setting | observable re-creations | no specific evidence | share | suspensions in the 14 days before (median) |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    for seed in args.seeds:
        base = args.data_dir / f"grid-seed{seed}-x-v2-exact"
        if not (base / "ready").exists():
            print(f"{base}: not built (run benchmarks/lineage.py first)", file=sys.stderr)
            continue
        m = measure(base)
        print(
            f"| {seed} | {m['observable']} | {m['no_specific_evidence']} | {m['share']:.1%} "
            f"| {m['median_suspensions_14d_before']} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
