"""Graph files for other tools: GraphML (igraph, networkx, Cytoscape) and GEXF (Gephi).

Part of the network stage: the last step, after communities, centrality and
roles are known.  :func:`annotate` puts them on the graph's vertices as plain
attributes (``community``, ``pagerank``, ``in_strength``, ``out_strength``,
``betweenness``, ``participation``, ``roles`` -- a comma-joined string such
as ``"hub,bridge"``, "" for none) beside ``name``, ``handle``, ``platform``
and ``kind``; :func:`write_graph` writes it.

**Atomic.**  A graph is written to a temporary file in the target's directory
and renamed over the target only once complete, so a reader (Gephi watching a
folder, a half-finished copy) never sees a half-written file, and a failed
write leaves any previous file as it was.

**GraphML** is igraph's writer (attribute types: ``string``, ``double`` for
numbers -- integers read back as floats --, ``boolean``; igraph keeps 15 significant digits, and numbers below 1e-307
are written as 0, since its reader refuses subnormal numbers).  **GEXF 1.2** is
written here, streaming (igraph has no GEXF writer, and networkx is a test
dependency only): typed attributes (``long`` for integers, ``double``,
``boolean``, ``string``), edge ``weight`` as GEXF's own weight, node
``label`` = the handle (else the name) so Gephi shows handles.  Parallel edges
(two kinds between the same accounts) stay separate edges with their own ids.
Text is XML-escaped and characters XML 1.0 forbids (control characters that
some handles carry) are dropped.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

import igraph as ig
import numpy as np

from marsad import __version__
from marsad.errors import ConfigError, InputError
from marsad.network.communities import Centrality, Communities, Roles

__all__ = ["FORMATS", "annotate", "write_graph"]

#: file suffix -> format
FORMATS = {".graphml": "graphml", ".gexf": "gexf"}

#: numbers smaller than this are written to GraphML as 0 (see _normal)
_TINY = 1e-307
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def annotate(
    g: ig.Graph,
    communities: Communities | None = None,
    centrality: Centrality | None = None,
    roles: Roles | None = None,
) -> ig.Graph:
    """Put *communities*, *centrality* and *roles* (of this graph's vertices) on
    *g* as vertex attributes; returns *g* itself (changed in place)."""
    n = g.vcount()
    if communities is not None:
        _check(n, len(communities.membership), "communities")
        g.vs["community"] = list(communities.membership)
    if centrality is not None:
        _check(n, len(centrality.pagerank), "centrality")
        g.vs["pagerank"] = centrality.pagerank.tolist()
        g.vs["in_strength"] = centrality.in_strength.tolist()
        g.vs["out_strength"] = centrality.out_strength.tolist()
        g.vs["betweenness"] = centrality.betweenness.tolist()
    if roles is not None:
        _check(n, len(roles.roles), "roles")
        g.vs["roles"] = roles.labels()
        g.vs["participation"] = roles.participation.tolist()
    return g


def _check(n: int, got: int, what: str) -> None:
    if got != n:
        raise ConfigError(f"{what} cover {got} vertices, the graph has {n}")


def write_graph(g: ig.Graph, path: str | Path, *, fmt: str | None = None) -> Path:
    """Write *g* to *path* as GraphML or GEXF (by *fmt*, else by the suffix), atomically.

    Raises :class:`~marsad.errors.ConfigError` for an unknown format and
    :class:`~marsad.errors.InputError` when the file cannot be written.
    """
    path = Path(path)
    fmt = fmt or FORMATS.get(path.suffix.lower())
    if fmt not in FORMATS.values():
        raise ConfigError(
            f"cannot tell the graph format of {path.name!r}: use a .graphml or .gexf file name"
        )
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    tmp = Path(tmp_name)
    try:
        if fmt == "graphml":
            os.close(fd)
            _clean(g).write_graphml(str(tmp))
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                _write_gexf(g, fh)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise InputError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise
    return path


def _clean(g: ig.Graph) -> ig.Graph:
    """A copy of *g* whose attributes GraphML can hold: None -> "" or NaN, numpy
    scalars -> Python numbers, anything else -> its string."""
    h = g.copy()
    for seq in (h.vs, h.es):
        for attr in seq.attributes():
            seq[attr] = _plain(seq[attr])
    for attr in h.attributes():
        h[attr] = _plain([h[attr]])[0]
    return h


def _plain(values: Sequence[Any]) -> list[Any]:
    kind = _kind(values)
    if kind == "string":
        return ["" if v is None else _xml_text(str(v)) for v in values]
    if kind == "boolean":
        return [bool(v) for v in values]
    if kind == "long":
        return [int(v) for v in values]
    return [math.nan if v is None else _normal(float(v)) for v in values]


def _normal(f: float) -> float:
    """*f*, or 0.0 when it is (or rounds to) a subnormal number: igraph writes 15
    significant digits and its reader refuses a subnormal ("Failed to parse real
    number"), so ``2.2250738585072014e-308`` would not come back."""
    return 0.0 if 0.0 < abs(f) < _TINY else f


def _kind(values: Sequence[Any]) -> str:
    """The GEXF type of an attribute's values: boolean, long, double or string."""
    present = [v for v in values if v is not None]
    if not present:
        return "string"
    if all(isinstance(v, bool | np.bool_) for v in present):
        return "boolean"
    if all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in present):
        return "long" if len(present) == len(values) else "double"
    if all(isinstance(v, int | float | np.integer | np.floating) for v in present):
        return "double"
    return "string"


def _xml_text(text: str) -> str:
    return _XML_BAD.sub("", text)


def _value(kind: str, v: Any) -> str:
    if kind == "boolean":
        return "true" if v else "false"
    if kind == "long":
        return str(int(v))
    if kind == "double":
        f = math.nan if v is None else float(v)
        if math.isnan(f):
            return "NaN"
        if math.isinf(f):
            return "INF" if f > 0 else "-INF"
        return repr(f)
    return "" if v is None else _xml_text(str(v))


def _write_gexf(g: ig.Graph, fh: IO[str]) -> None:
    for chunk in _gexf_chunks(g):
        fh.write(chunk)


def _gexf_chunks(g: ig.Graph) -> Iterator[str]:
    directed = "directed" if g.is_directed() else "undirected"
    node_attrs = [a for a in g.vs.attributes()]
    edge_attrs = [a for a in g.es.attributes() if a != "weight"]
    node_kinds = [_kind(g.vs[a]) for a in node_attrs]
    edge_kinds = [_kind(g.es[a]) for a in edge_attrs]
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield (
        '<gexf xmlns="http://www.gexf.net/1.2draft" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.gexf.net/1.2draft '
        'http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">\n'
    )
    desc = ", ".join(f"{a}={_xml_text(str(g[a]))}" for a in g.attributes())
    yield f"  <meta>\n    <creator>marsad {escape(__version__)}</creator>\n"
    yield f"    <description>{escape(desc)}</description>\n  </meta>\n"
    yield f'  <graph defaultedgetype="{directed}" mode="static">\n'
    for cls, names, kinds in (("node", node_attrs, node_kinds), ("edge", edge_attrs, edge_kinds)):
        yield f'    <attributes class="{cls}" mode="static">\n'
        for i, (name, kind) in enumerate(zip(names, kinds, strict=True)):
            yield f'      <attribute id="{i}" title={quoteattr(name)} type="{kind}"/>\n'
        yield "    </attributes>\n"
    yield "    <nodes>\n"
    columns = [g.vs[a] for a in node_attrs]
    handles = g.vs["handle"] if "handle" in node_attrs else [None] * g.vcount()
    names = g.vs["name"] if "name" in node_attrs else [str(v) for v in range(g.vcount())]
    for v in range(g.vcount()):
        label = _xml_text(str(handles[v] or names[v]))
        values = "".join(
            f'<attvalue for="{i}" value={quoteattr(_value(kind, col[v]))}/>'
            for i, (kind, col) in enumerate(zip(node_kinds, columns, strict=True))
            if col[v] is not None
        )
        yield f'      <node id="{v}" label={quoteattr(label)}><attvalues>{values}</attvalues></node>\n'
    yield "    </nodes>\n    <edges>\n"
    ends = g.get_edgelist()
    weights = g.es["weight"] if "weight" in g.es.attributes() else [1.0] * g.ecount()
    columns = [g.es[a] for a in edge_attrs]
    for e, (s, t) in enumerate(ends):
        values = "".join(
            f'<attvalue for="{i}" value={quoteattr(_value(kind, col[e]))}/>'
            for i, (kind, col) in enumerate(zip(edge_kinds, columns, strict=True))
            if col[e] is not None
        )
        yield (
            f'      <edge id="{e}" source="{s}" target="{t}" weight="{_value("double", weights[e])}">'
            f"<attvalues>{values}</attvalues></edge>\n"
        )
    yield "    </edges>\n  </graph>\n</gexf>\n"
