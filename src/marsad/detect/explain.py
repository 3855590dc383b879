"""Explanations of risk scores, for ``marsad explain``.

Part of the *detect* stage.  An analyst who is asked to act on a score must
be able to see why it is what it is: :func:`explain_post` gathers, for one
post (from the workspace, or a bare text), the risk and the threshold of its
language, what the classifier read (the words and n-grams that pushed the
score each way), the indicators it carries and where, the share quoted from
scripture, and -- for a stored post -- the author context the last scan
used.  :func:`render_explanation` prints it for people; ``--json`` prints
the same dictionary.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from marsad.detect.base import text_posts
from marsad.detect.risk import TOO_LITTLE_TEXT
from marsad.detect.scan import POST_SELECT, posts_from_arrow
from marsad.detect.scorer import RiskScorer
from marsad.errors import InputError
from marsad.model import Post
from marsad.store.base import Store, StoreView
from marsad.store.duckdb import arrow_table

__all__ = ["explain_post", "render_explanation"]


def _stored_post(store: Store | StoreView, post_id: str, platform: str | None) -> Post:
    sql = POST_SELECT + "WHERE p.native_id = ?"
    params: list[Any] = [post_id]
    if platform:
        sql += " AND p.platform = ?"
        params.append(platform)
    posts = posts_from_arrow(arrow_table(store.analytics().sql(sql, params=params)))
    if not posts:
        raise InputError(
            f"no post {post_id!r}{' on ' + platform if platform else ''} in this workspace"
        )
    if len(posts) > 1:
        raise InputError(
            f"post id {post_id!r} is on several platforms ({', '.join(p.platform for p in posts)}); "
            "give --platform"
        )
    return posts[0]


def explain_post(
    store: Store | StoreView | None,
    scorer: RiskScorer,
    *,
    post_id: str | None = None,
    platform: str | None = None,
    text: str | None = None,
    post: Post | None = None,
) -> dict[str, Any]:
    """The explanation of a stored post (*post_id*; *post* when the caller has
    read it already) or of a bare *text*."""
    if text is not None:
        post = text_posts([text])[0]
    elif post is not None:
        post_id = post.native_id
    elif store is not None and post_id is not None:
        post = _stored_post(store, post_id, platform)
    else:
        raise InputError("give a post id (and a workspace) or a text")
    policy = scorer.policy()
    clf = scorer.model_.explain(post)
    ind = scorer.indicators_.explain(post)
    c = scorer.components([post])
    risk, stored = float(c.text_risk[0]), None
    if store is not None and post_id is not None:
        row = (
            store.analytics()
            .execute(
                "SELECT score, evidence, detector_version FROM detections WHERE detector = ? "
                "AND target_kind = 'post' AND platform = ? AND target_id = ? "
                "ORDER BY detector_version = ? DESC LIMIT 1",
                [scorer.name, post.platform, post.native_id, scorer.version],
            )
            .fetchone()
        )
        if row is not None:
            stored = {
                "score": row[0],
                "evidence": json.loads(row[1]),
                "version": row[2],
                "current": row[2] == scorer.version,
            }
            if stored["current"]:
                risk = float(row[0])
    with_author = bool(stored and stored["current"] and stored["evidence"].get("author"))
    threshold = policy.threshold(post.lang, with_author=with_author)
    return {
        "post": {
            "platform": post.platform,
            "id": post.native_id,
            "account": post.account_id,
            "lang": post.lang,
        },
        "risk": round(risk, 6),
        "text_risk": round(float(c.text_risk[0]), 6),
        "threshold": round(threshold, 6),
        "decision": policy.decide(risk, post.lang, with_author=with_author),
        "versions": {
            "risk": scorer.version,
            "text-classifier": scorer.model_.version,
            "indicators": scorer.indicators_.version,
        },
        "classifier": {
            "score": round(float(c.classifier[0]), 6),
            "counted": bool(c.known[0]),
            "margin": round(float(c.margin[0]), 6),
            "known_words": int(c.known_words[0]),
            "evidence": round(float(c.evidence[0]), 4),
            "too_little_text": bool(c.evidence[0] < TOO_LITTLE_TEXT),
            "top_features": clf.evidence["top_features"],
            "against": clf.evidence["against"],
            "prepared_text": clf.text,
            "words": [[clf.text[a:b], float(v)] for a, b, v in clf.spans][:30],
        },
        "indicators": {"score": round(float(c.indicators[0]), 6), **ind.evidence},
        "scripture_share": round(float(c.scripture[0]), 4),
        "stance": {k: round(float(v[0]), 3) for k, v in c.cues.items() if v[0] > 0},
        "source": "text" if text is not None else "workspace",
        "stored": stored,
    }


def render_explanation(result: dict[str, Any], console: Console) -> None:
    """Print *result* of :func:`explain_post` for people."""
    post = result["post"]
    flag = result["decision"] == "flag"
    console.print(
        f"[bold]{post['platform']} {post['id']}[/] (language {post['lang'] or 'unknown'}): "
        f"risk [bold]{result['risk']:.3f}[/], threshold {result['threshold']:.3f} -> "
        + ("[bold red]flag for review[/]" if flag else "[green]below the threshold[/]"),
        highlight=False,
    )
    stored = result.get("stored")
    if stored and stored["evidence"].get("author"):
        a = stored["evidence"]["author"]
        console.print(
            f"  author context: {a['other_posts']:,} other posts, mean log-odds {a['z']:+.2f}; "
            f"text alone {result['text_risk']:.3f}",
            highlight=False,
        )
    elif stored is None:
        console.print(
            "  (not scanned yet: this is the text risk; `marsad scan` adds the author context)"
        )
    clf = result["classifier"]
    words = {w: v for w, v in clf["words"]}
    text = Text()
    for word in clf["prepared_text"].split(" "):
        v = words.get(word, 0.0)
        style = "bold red" if v > 0.05 else "red" if v > 0.01 else "green" if v < -0.01 else ""
        text.append(word + " ", style=style)
    if not clf.get("counted", True):
        console.print(
            f"  classifier {clf['score']:.3f}, not counted in the risk: its training data hold "
            f"too few posts of each label in {post['lang'] or 'this language'} "
            "(see the model card); what it read (red pushes up, green down):",
            highlight=False,
        )
    else:
        console.print(
            "  classifier {:.3f}; the text as it read it (red pushes up, green down):".format(
                clf["score"]
            )
        )
    console.print(text)
    if clf.get("too_little_text"):
        console.print(
            f"  too little text: the model knows {clf['known_words']} of its words, so only "
            f"{clf['evidence']:.0%} of the classifier's log-odds count in the risk",
            highlight=False,
        )
    table = Table(title="features that moved the classifier")
    table.add_column("towards propaganda")
    table.add_column("", justify="right")
    table.add_column("against")
    table.add_column("", justify="right")
    up, down = clf["top_features"], clf["against"]
    for i in range(max(len(up), len(down))):
        u = up[i] if i < len(up) else ["", None]
        d = down[i] if i < len(down) else ["", None]
        table.add_row(
            u[0],
            "" if u[1] is None else f"{u[1]:+.3f}",
            d[0],
            "" if d[1] is None else f"{d[1]:+.3f}",
        )
    console.print(table)
    found = result["indicators"].get("indicators", [])
    if found:
        console.print(
            "  indicators: "
            + ", ".join(f"{m['key']} ({m['category']}, {m['kind']} '{m['token']}')" for m in found),
            highlight=False,
        )
    else:
        console.print("  indicators: none")
    if result.get("stance"):
        console.print(
            "  stance cues (read by the risk, signs learnt): "
            + ", ".join(f"{k} {v:.2f}" for k, v in result["stance"].items()),
            highlight=False,
        )
    if result["scripture_share"] > 0:
        console.print(
            f"  scripture: {result['scripture_share']:.0%} of the words are a quotation",
            highlight=False,
        )
