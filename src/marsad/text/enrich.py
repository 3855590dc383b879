"""Enrichment: fill the derived fields of posts (placeholder until the text stage lands)."""

from __future__ import annotations

from collections.abc import Sequence

from marsad.model import Post

__all__ = ["enrich_posts"]


def enrich_posts(posts: Sequence[Post]) -> list[Post]:
    return list(posts)
