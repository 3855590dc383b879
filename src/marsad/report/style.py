"""The report's stylesheet, inlined in a ``<style>`` so the file needs nothing else.

Logical properties (``margin-inline-start``, ``text-align: start``) make one
sheet serve both directions.  The font stacks name families with Arabic glyphs
that ship on common Linux desktops (Noto, DejaVu) before Windows and macOS
ones; nothing is fetched.  Accent colours are the Okabe–Ito palette of the
charts, each with a darker ink for text on white.  A card's number stays on
one line with its unit (a long text value wraps anywhere instead).  The web
app puts its own bar (``.app-bar``: back to the app, the language) above a
report it serves; the offline file has none.  In print, the header loses its
background, the bar and links to CSV files are hidden, and cards, charts and
headings are kept from breaking across pages.
"""

from __future__ import annotations

from marsad.report.markup import Html

__all__ = ["ACCENTS", "CSS"]

#: (accent, ink for text on white): Okabe–Ito colours, darkened inks for 4.5:1 contrast
ACCENTS = (
    ("#0072B2", "#005a8c"),
    ("#E69F00", "#8a5d00"),
    ("#009E73", "#006b4e"),
    ("#D55E00", "#a34800"),
    ("#CC79A7", "#9c3f73"),
    ("#56B4E9", "#1f6f9e"),
    ("#000000", "#000000"),
    ("#F0E442", "#6e6600"),
)

_ACCENT_RULES = "\n".join(
    f".accent-{i} {{ --accent: {accent}; --accent-ink: {ink}; }}"
    for i, (accent, ink) in enumerate(ACCENTS)
)

CSS = Html(
    """
:root {
  --ink: #1d2733; --muted: #56606c; --line: #dde2e8; --page: #f4f6f8; --paper: #ffffff;
  --accent: #0072B2; --accent-ink: #005a8c; --brand: #0b3954;
  color-scheme: light;
}
* { box-sizing: border-box; }
html {
  font-family: "Noto Sans", "Noto Naskh Arabic", "Noto Sans Arabic", "DejaVu Sans", Tahoma,
    "Segoe UI", Arial, sans-serif;
  color: var(--ink); background: var(--page); line-height: 1.5;
}
html[lang="ar"] {
  font-family: "Noto Naskh Arabic", "Noto Sans Arabic", "Noto Sans", "DejaVu Sans", Tahoma,
    "Segoe UI", Arial, sans-serif;
  line-height: 1.7;
}
body { margin: 0; }
.num { font-variant-numeric: tabular-nums; }
.app-bar { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 20px;
  padding: 9px 20px; background: #12303d; font-size: 0.95rem; }
.app-bar a { color: #dfeef4; text-decoration: none; }
.app-bar a:hover, .app-bar a:focus { color: #fff; text-decoration: underline; }
.app-bar .app-brand { font-weight: 700; font-size: 1.1rem; }
.app-bar .app-lang { margin-inline-start: auto; }
.report-header { background: linear-gradient(135deg, var(--brand), #0072B2); color: #fff; }
.report-header .inner, main { max-width: 1120px; margin: 0 auto; padding: 28px 20px; }
.report-header h1 { margin: 0 0 6px; font-size: 1.9rem; }
.report-meta { display: flex; flex-wrap: wrap; gap: 4px 24px; margin: 0; padding: 0;
  list-style: none; opacity: 0.92; }
.report-meta b { font-weight: 600; }
nav.toc { background: var(--paper); border-radius: 10px; padding: 12px 20px; margin-bottom: 24px; }
nav.toc h2 { font-size: 1rem; margin: 0 0 6px; }
nav.toc ol { margin: 0; padding-inline-start: 20px; columns: 2 240px; }
nav.toc a { color: var(--brand); }
h2 { font-size: 1.45rem; margin: 0 0 12px; color: var(--brand); }
h3 { font-size: 1.1rem; margin: 0 0 8px; }
.headlines { margin-bottom: 28px; }
.headline-group { margin: 0 0 22px; }
.headline-group h3 { color: var(--accent-ink); border-inline-start: 5px solid var(--accent);
  padding-inline-start: 10px; }
.headline-group h3 a { color: inherit; text-decoration: none; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 180px), 1fr));
  gap: 12px; }
.card { background: var(--paper); border-radius: 10px; padding: 14px 16px;
  border-top: 5px solid var(--accent); box-shadow: 0 1px 3px rgba(16, 24, 40, 0.1); }
.card-value { font-size: 2.1rem; font-weight: 700; line-height: 1.15; color: var(--accent-ink);
  white-space: nowrap; }
.card-value.card-text { font-size: 1.3rem; line-height: 1.3; white-space: normal;
  overflow-wrap: anywhere; }
.card-unit { font-size: 0.95rem; font-weight: 600; color: var(--muted); margin-inline-start: 6px; }
.card-label { color: var(--muted); font-size: 0.92rem; margin-top: 4px; }
.census-section, .methodology { background: var(--paper); border-radius: 12px; padding: 22px 26px;
  margin: 0 0 24px; box-shadow: 0 1px 3px rgba(16, 24, 40, 0.08); }
.section-note, .table-note { color: var(--muted); margin: 0 0 12px; }
.table-block { margin: 26px 0 0; }
.table-block + .table-block { border-top: 1px solid var(--line); padding-top: 22px; }
figure.chart-figure { margin: 8px 0 14px; }
figure.chart-figure figcaption { color: var(--muted); font-size: 0.85rem; }
svg.chart { display: block; width: 100%; height: auto; max-width: 760px; }
svg.chart text { fill: var(--ink); font-family: inherit; }
svg.chart .tick, svg.chart .value { fill: var(--muted); }
svg.chart .chart-title { font-weight: 600; }
svg.chart .grid { stroke: #e8ebef; stroke-width: 1; }
svg.chart .baseline, svg.chart .tick-mark { stroke: #8b96a2; stroke-width: 1; }
svg.chart .area { stroke: #ffffff; stroke-width: 0.6; }
svg.chart .marker { stroke: #ffffff; stroke-width: 1; }
.table-wrap { overflow-x: auto; }
table.data { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
table.data th, table.data td { padding: 6px 10px; border-bottom: 1px solid var(--line);
  text-align: start; vertical-align: top; }
table.data thead th { background: #eef1f5; font-weight: 600; }
table.data tbody tr:nth-child(even) { background: #fafbfc; }
table.data tfoot td { font-weight: 600; }
table.data .num { text-align: end; white-space: nowrap; }
table.data .path { overflow-wrap: anywhere; }
.unit { color: var(--muted); font-weight: 400; font-size: 0.85em; }
.no-data { padding: 18px; border: 1px dashed #b9c1cb; border-radius: 8px; color: var(--muted);
  text-align: center; }
.truncated { color: var(--muted); font-size: 0.85rem; margin: 6px 0 0; }
a.csv-download { display: inline-block; margin-top: 10px; padding: 4px 14px; border-radius: 6px;
  border: 1px solid var(--brand); color: var(--brand); text-decoration: none; font-size: 0.9rem; }
a.csv-download:hover { background: var(--brand); color: #fff; }
.methodology dl { display: grid; grid-template-columns: minmax(140px, max-content) 1fr;
  gap: 6px 18px; margin: 0 0 18px; }
.methodology dt { font-weight: 600; }
.methodology dd { margin: 0; }
.methodology dd ul { margin: 0; padding-inline-start: 18px; }
.methodology h3 { margin-top: 18px; }
.generated { color: var(--muted); font-size: 0.85rem; margin-top: 20px; }
@media (max-width: 640px) {
  .report-header h1 { font-size: 1.5rem; }
  .cards { grid-template-columns: repeat(auto-fill, minmax(min(100%, 150px), 1fr)); }
  .card-value { font-size: 1.7rem; }
  .census-section, .methodology { padding: 14px; }
  .methodology dl { grid-template-columns: 1fr; }
}
@page { margin: 14mm; }
@media print {
  html, body { background: #fff; }
  .report-header { background: none; color: var(--ink); }
  nav.toc, nav.app-bar, a.csv-download { display: none; }
  .census-section, .methodology { box-shadow: none; padding: 0; }
  .card, .headline-group, figure.chart-figure, svg.chart, table.data tr {
    break-inside: avoid; page-break-inside: avoid;
  }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  .census-section { break-before: page; }
  .table-wrap { overflow: visible; }
}
"""
    + _ACCENT_RULES
    + "\n"
)
