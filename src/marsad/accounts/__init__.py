"""Accounts: lineage of re-created accounts (and account scores).

Part of the *score / link* stage of the flow (after detect, before review):
it reads the workspace through a read-only DuckDB connection and writes
nothing.  :func:`lineage` links accounts created after suspensions to the
suspended accounts they re-create and chains the links into families
(:mod:`marsad.accounts.lineage`); the pair model it scores with is
:class:`LineagePairModel` (:mod:`marsad.accounts.lineage_model`).
"""

from __future__ import annotations

from marsad.accounts.lineage import Candidate, Family, LineageLink, LineageResult, lineage
from marsad.accounts.lineage_model import LineagePairModel

__all__ = [
    "Candidate",
    "Family",
    "LineageLink",
    "LineagePairModel",
    "LineageResult",
    "lineage",
]
