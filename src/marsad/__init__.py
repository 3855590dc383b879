"""marsad (مرصد, "observatory"): an observatory for violent-extremist activity on social platforms.

The public API is small: the data model, the store, and the ingest entry
points.  See ``DESIGN.md`` for the flow.
"""

from __future__ import annotations

from marsad.errors import MarsadError
from marsad.model import Account, Detection, Edge, Media, Post, Provenance, Snapshot, StatusEvent

__version__ = "0.1.0"

__all__ = [
    "Account",
    "Detection",
    "Edge",
    "MarsadError",
    "Media",
    "Post",
    "Provenance",
    "Snapshot",
    "StatusEvent",
    "__version__",
]
