"""Every signal type a bank can hold, by its storage name.

Part of the *match* stage (issue 5); the types follow the contract of
:mod:`marsad.hashing.base` and are checked by one conformance suite.
"""

from __future__ import annotations

from marsad.hashing.base import SignalType
from marsad.hashing.signals import Md5Signal, PdqSignal, Sha256Signal
from marsad.hashing.text import TextMinHashSignal
from marsad.hashing.video import VpdqSignal

__all__ = ["SIGNAL_TYPES", "THREATEXCHANGE_NAMES", "signal_type"]

SIGNAL_TYPES: dict[str, type[SignalType]] = {
    t.name: t for t in (PdqSignal, Md5Signal, Sha256Signal, VpdqSignal, TextMinHashSignal)
}
#: a name in python-threatexchange files -> the type it is read as
THREATEXCHANGE_NAMES: dict[str, type[SignalType]] = {
    te: t for t in SIGNAL_TYPES.values() for te in t.threatexchange_names
}


def signal_type(name: str) -> type[SignalType]:
    """The type stored as *name* (ValueError naming the known ones)."""
    try:
        return SIGNAL_TYPES[name]
    except KeyError:
        raise ValueError(
            f"unknown signal type {name!r} (one of {', '.join(SIGNAL_TYPES)})"
        ) from None
