"""Census analytics: read-only statistics of a workspace over time.

The census stage reads the store and never writes it.  :func:`run_census`
computes every section for a :class:`CensusFilter` and returns a
:class:`CensusResult` that the CLI prints and the report draws.
"""

from __future__ import annotations

from marsad.census.result import CensusResult, CensusSection, CensusTable

__all__ = ["CensusResult", "CensusSection", "CensusTable"]
