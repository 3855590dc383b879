"""The census: every section, computed in DuckDB over the workspace.

Read-only.  :func:`run_census` opens views of the posts and accounts in
scope (:mod:`marsad.census.filters`, :class:`~marsad.census.sections.base.Census`)
and fills one :class:`~marsad.census.result.CensusSection` per question
researchers ask, each computed by its module of :mod:`marsad.census.sections`
(size, accounts, devices, content, outlets, survival, migration, campaigns).

Every aggregate is one SQL statement over columnar data; Python only shapes
the (small) results.  Percentages are 0-100.  Counts of accounts per month,
client, language and hashtag come from rollups with one row per account and
value (:mod:`marsad.store.rollup`): the store's when the census covers every
stored post, there are no edit histories and the rollups hold no partial sums
(callers regroup them first: ``DuckDBStore.compact_rollups``), else made once
from the posts in scope -- the same SQL either way, and a test checks the two
agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb

from marsad.census.filters import CensusFilter
from marsad.census.result import CensusResult, CensusSection
from marsad.census.sections.accounts import accounts_section
from marsad.census.sections.base import HEADLINE_TABLES, Census
from marsad.census.sections.campaigns import campaigns_section
from marsad.census.sections.content import content_section
from marsad.census.sections.devices import devices_section
from marsad.census.sections.meta import census_meta
from marsad.census.sections.migration import migration_section
from marsad.census.sections.outlets import outlets_section
from marsad.census.sections.size import STATUS_LABELS, size_section
from marsad.census.sections.survival import survival_section
from marsad.config import shown_workspace
from marsad.detect.indicators import IndicatorRegistry

__all__ = ["HEADLINE_SECTIONS", "HEADLINE_TABLES", "SECTIONS", "STATUS_LABELS", "run_census"]

#: each section's function, in the order of the census
_MAKERS: dict[str, Callable[[Census], CensusSection]] = {
    "size": size_section,
    "accounts": accounts_section,
    "devices": devices_section,
    "content": content_section,
    "outlets": outlets_section,
    "survival": survival_section,
    "migration": migration_section,
    "campaigns": campaigns_section,
}
#: the sections' names, in that order
SECTIONS = tuple(_MAKERS)
#: the sections the headline statistics come from
HEADLINE_SECTIONS = ("size", "accounts", "devices", "content", "survival")


def run_census(
    con: duckdb.DuckDBPyConnection,
    flt: CensusFilter | None = None,
    *,
    outlets: IndicatorRegistry | None = None,
    sections: Sequence[str] = SECTIONS,
    workspace: Path | str | None = None,
    headline: bool = False,
) -> CensusResult:
    """Compute the census of the workspace open on *con* (read-only).

    *headline* computes only the headline statistics (accounts by status, posts
    per month, followers, clients, languages, top hashtags, the hyperactive
    core, survival); the other tables come back empty.
    """
    flt = flt or CensusFilter()
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        from marsad.errors import ConfigError

        raise ConfigError(f"unknown census section(s): {', '.join(sorted(unknown))}")
    if headline and tuple(sections) == SECTIONS:
        sections = HEADLINE_SECTIONS
    census = Census(con, flt, (outlets or IndicatorRegistry.load()).outlets(), headline)
    census.setup()
    meta = census_meta(census)
    if workspace is not None:
        meta["workspace"] = shown_workspace(workspace)
    return CensusResult(meta, [_MAKERS[s](census) for s in SECTIONS if s in sections])
