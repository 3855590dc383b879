"""What is in a workspace: row counts, sources, and the main breakdowns (read-only)."""

from __future__ import annotations

from typing import Any

from marsad.store.base import Store

__all__ = ["workspace_info"]


def workspace_info(store: Store) -> dict[str, Any]:
    def breakdown(sql: str) -> dict[str, int]:
        return {str(k): int(v) for k, v in store.query(sql)}

    sources = [
        {
            "source_id": r[0],
            "path": r[1],
            "adapter": r[2],
            "records": int(r[3]),
            "quarantined": int(r[4]),
            "complete": bool(r[5]),
        }
        for r in store.query(
            "SELECT source_id, path, adapter, records, quarantined, completed_at IS NOT NULL "
            "FROM sources ORDER BY started_at, path"
        )
    ]
    span = store.query("SELECT min(created_at), max(created_at) FROM posts")[0]
    return {
        "schema_version": store.schema_version(),
        "counts": store.counts(),
        "platforms": breakdown(
            "SELECT platform, count(*) n FROM posts GROUP BY 1 ORDER BY n DESC, 1"
        ),
        "languages": breakdown(
            "SELECT coalesce(lang, 'und'), count(*) n FROM posts GROUP BY 1 ORDER BY n DESC, 1"
        ),
        "clients": breakdown(
            "SELECT client, count(*) n FROM posts WHERE client IS NOT NULL "
            "GROUP BY 1 ORDER BY n DESC, 1"
        ),
        "account_status": breakdown(
            # as the census counts them (the accounts_now view)
            "SELECT status, count(*) n FROM accounts_now GROUP BY 1 ORDER BY n DESC, 1"
        ),
        "posts_from": span[0],
        "posts_to": span[1],
        "sources": sources,
    }
