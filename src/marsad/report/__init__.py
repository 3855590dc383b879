"""HTML reports: a census drawn as one self-contained page in English or Arabic.

The last stage of the flow.  :func:`render_report` turns a
:class:`~marsad.census.result.CensusResult` into an HTML document with inline
CSS and SVG charts that opens offline; :func:`write_report` saves it.  The
report reads only the census result, never the store.
"""

from __future__ import annotations

from marsad.report.html import render_report, write_report

__all__ = ["render_report", "write_report"]
