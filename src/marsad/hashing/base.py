"""The signal-type contract: what a bank can hold and how two signals compare.

Part of the *match* stage (issue 5), shaped like python-threatexchange's
``SignalType`` (``threatexchange/signal_type/signal_base.py``): each kind of
signal is a class with class-level methods, a stable :attr:`SignalType.name`
(the storage key in ``bank_signals.signal_type``: never renamed), a
``version``, a brute-force :meth:`SignalType.compare` that is the
correctness oracle, and an index (:meth:`SignalType.index`) that must find
what the oracle finds -- checked by one conformance suite
(``tests/hashing/test_signal_types.py``) that every type passes.

A *distance* is an integer, 0 for identical signals; two signals match when
it is at most the type's threshold (:attr:`SignalType.default_threshold`,
which a caller may change).  Exact types (MD5, SHA-256) have threshold 0.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

__all__ = ["BruteForceIndex", "ExactIndex", "SignalIndex", "SignalType"]

#: (query position, banked position, distance) of one match
Hit = tuple[int, int, int]


class SignalIndex(ABC):
    """Banked values of one signal type, searched for matches of queries."""

    @abstractmethod
    def search(self, queries: Sequence[str], threshold: int) -> list[Hit]:
        """Every (query, banked, distance) with distance <= *threshold*."""


class SignalType(ABC):
    """A kind of signal: see the module docstring."""

    #: storage key: never renamed
    name: ClassVar[str]
    version: ClassVar[str] = "1"
    #: the names this type has in python-threatexchange files (``<type> <value>``)
    threatexchange_names: ClassVar[tuple[str, ...]] = ()
    #: distances at or under this match (0: the type is exact)
    default_threshold: ClassVar[int] = 0
    #: the largest threshold a caller may set
    max_threshold: ClassVar[int] = 0
    #: whether compare(a, b) == compare(b, a); vPDQ's is not (a clip of a
    #: banked video matches it, the video does not match a banked clip)
    symmetric: ClassVar[bool] = True

    @classmethod
    @abstractmethod
    def validate(cls, value: str) -> str:
        """*value* in its canonical form, or ValueError saying what is wrong."""

    @classmethod
    def from_threatexchange(cls, te_name: str, value: str) -> str:
        """The signal a threatexchange line ``<te_name> <value>`` stands for
        (a type may turn content, such as ``raw_text``, into its signal)."""
        return cls.validate(value)

    @classmethod
    @abstractmethod
    def compare(cls, a: str, b: str) -> int:
        """The distance of query *a* from banked *b* (canonical values): the
        brute-force oracle."""

    @classmethod
    def index(cls, values: Sequence[str], cache: Path | None = None) -> SignalIndex:
        """An index of canonical *values* (default: compare with each); it
        may keep files in the directory *cache* between runs."""
        return BruteForceIndex(cls, values)

    @classmethod
    @abstractmethod
    def examples(cls) -> list[str]:
        """Valid values, some pairs of them close, for the conformance suite."""


class BruteForceIndex(SignalIndex):
    """Every query compared with every banked value: the oracle as an index."""

    def __init__(self, kind: type[SignalType], values: Sequence[str]) -> None:
        self.kind = kind
        self.values = list(values)

    def search(self, queries: Sequence[str], threshold: int) -> list[Hit]:
        out = []
        for qi, q in enumerate(queries):
            for bi, v in enumerate(self.values):
                d = self.kind.compare(q, v)
                if d <= threshold:
                    out.append((qi, bi, d))
        return out


class ExactIndex(SignalIndex):
    """Equality through a dict: the index of exact types."""

    def __init__(self, values: Sequence[str]) -> None:
        self.rows: dict[str, list[int]] = {}
        for i, v in enumerate(values):
            self.rows.setdefault(v, []).append(i)

    def search(self, queries: Sequence[str], threshold: int) -> list[Hit]:
        return [(qi, bi, 0) for qi, q in enumerate(queries) for bi in self.rows.get(q, ())]
