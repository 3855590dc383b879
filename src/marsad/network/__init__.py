"""Networks: graphs of accounts, their communities, roles and coordinated behaviour.

The network stage reads the store (after ingest and detect) and never writes
it.  Its modules, in the order :func:`analyse_network` runs them:

``graph``         the interaction graph (reposts, quotes, replies, mentions,
                  forwards, follows) and the shared-hashtag / shared-domain
                  co-activity projection, as :class:`igraph.Graph`
``communities``   Leiden communities, PageRank / strength / betweenness, and
                  the role rules (hub, amplifier, shout-out, bridge)
``coordination``  distinct accounts posting the same text or link within a
                  window, and the account-pair graph of who does it together
``outlinks``      which accounts link to which Telegram channels, file hosts
                  and other platforms
``export``        GraphML and GEXF files with every attribute, written atomically
``analysis``      all of the above in one call (``marsad network``)

Example::

    from marsad import pipeline
    from marsad.network import analyse_network

    with pipeline.open_store("./marsad-data", create=False) as store:
        report = analyse_network(store.analytics(), export="network.gexf")
        print(report.summary()["communities"]["count"])
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from marsad.network.analysis import NetworkReport, analyse_network
    from marsad.network.communities import (
        Centrality,
        Communities,
        RoleRules,
        Roles,
        assign_roles,
        compute_centrality,
        detect_communities,
    )
    from marsad.network.coordination import CoordinatedCluster, Coordination, find_coordination
    from marsad.network.export import annotate, write_graph
    from marsad.network.graph import coactivity_graph, interaction_graph
    from marsad.network.outlinks import Outlinks, OutlinkTarget, find_outlinks

#: public name -> the module defining it; imported on first use, so that the
#: command line (``marsad.network.cli``) loads igraph and leidenalg only when run
_WHERE = {
    "NetworkReport": "analysis",
    "analyse_network": "analysis",
    "Centrality": "communities",
    "Communities": "communities",
    "RoleRules": "communities",
    "Roles": "communities",
    "assign_roles": "communities",
    "compute_centrality": "communities",
    "detect_communities": "communities",
    "CoordinatedCluster": "coordination",
    "Coordination": "coordination",
    "find_coordination": "coordination",
    "annotate": "export",
    "write_graph": "export",
    "coactivity_graph": "graph",
    "interaction_graph": "graph",
    "OutlinkTarget": "outlinks",
    "Outlinks": "outlinks",
    "find_outlinks": "outlinks",
}

__all__ = [
    "Centrality",
    "Communities",
    "CoordinatedCluster",
    "Coordination",
    "NetworkReport",
    "OutlinkTarget",
    "Outlinks",
    "RoleRules",
    "Roles",
    "analyse_network",
    "annotate",
    "assign_roles",
    "coactivity_graph",
    "compute_centrality",
    "detect_communities",
    "find_coordination",
    "find_outlinks",
    "interaction_graph",
    "write_graph",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'marsad.network' has no attribute {name!r}")
    return getattr(import_module(f"marsad.network.{module}"), name)
