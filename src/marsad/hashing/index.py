"""An exact index of PDQ hashes for lists of millions: multi-index hashing.

Part of the *match* stage (issue 5).  A query must find every banked hash
within :data:`~marsad.hashing.signals.MATCH_DISTANCE` (31) bits -- exactly
what a comparison with every hash finds, only faster.

How: the 256 bits are cut into ``M`` = 11 substrings of ``B`` = 23 bits (253
bits; the last 3 are left out of the keys, never out of the distance).  If
two hashes are within 31 bits, the differing bits fall in 11 substrings, so
at least one substring differs in at most ``31 // 11`` = 2 bits (pigeonhole;
over the 253 keyed bits the distance is at most the whole distance).  So
probing, in each of the 11 tables, the bucket of the query's substring and
every bucket 1 or 2 bits away from it (1 + 23 + 253 = 277 probes per table)
reaches every match; each candidate is then checked on all 256 bits.  With
2^23 buckets per table, 10 million hashes put about one hash in a bucket, so
a query checks a few thousand candidates instead of ten million.

Each table is stored CSR-style -- ``offsets`` (2^23 + 1) and the banked rows
sorted by key -- with a copy of the 32-byte hashes in that order, so a
probe reads consecutive memory (measured 2.4x faster than looking the hash
up by row).  The probe loop is compiled with numba; ``M``, ``B`` and the
inline copies were measured against faiss's ``IndexBinaryMultiHash`` (what
python-threatexchange's ``PDQIndex`` uses) in ``benchmarks/hash_index.py``
(BENCHMARKS.md).

Hashes added after a build go to a *delta* that is compared in full (numpy
popcount) and merged into the tables by :meth:`PdqIndex.merge` -- adds never
need a rebuild to be found.  :meth:`PdqIndex.save` writes plain ``.npy``
arrays and a JSON header; :meth:`PdqIndex.load` reads them with
``allow_pickle=False``: an index file cannot carry code.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from marsad.errors import InputError
from marsad.hashing.base import Hit, SignalIndex
from marsad.hashing.signals import MATCH_DISTANCE

__all__ = [
    "INDEX_FROM",
    "PdqIndex",
    "PdqSignalIndex",
    "brute_force",
    "cached_index",
    "codes_from_hex",
]

M = 11  # substrings (tables)
B = 23  # bits per substring
FORMAT = "marsad-pdq-index/1"
_BATCH = 500_000
# queries whose probes are sorted together: the more, the closer a table's
# reads come to one pass front to back (10M hashes, one thread: 2,544
# lookups/s at 1,024, 3,653 at 4,096, 6,027 at 16,384, 5,992 at 65,536)
_QUERY_BATCH = 16_384
#: threads a search uses (tables are probed side by side); ``MARSAD_INDEX_THREADS``
THREADS = max(1, min(M, int(os.environ.get("MARSAD_INDEX_THREADS") or (os.cpu_count() or 1))))


def codes_from_hex(values: list[str]) -> npt.NDArray[np.uint8]:
    """PDQ hashes (64 hex digits each) as an (n, 32) uint8 array."""
    if not values:
        return np.zeros((0, 32), dtype=np.uint8)
    return np.frombuffer(bytes.fromhex("".join(values)), dtype=np.uint8).reshape(-1, 32).copy()


def _words(codes: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint64]:
    """(n, 32) uint8 -> (n, 4) big-endian uint64 words (the same bits, in order)."""
    return np.ascontiguousarray(codes).view(">u8").astype(np.uint64)


def _keys(codes: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint32]:
    """The M substrings of B bits of each hash, as (n, M) uint32."""
    out = np.empty((len(codes), M), dtype=np.uint32)
    weights = (1 << np.arange(B - 1, -1, -1)).astype(np.uint32)
    for at in range(0, len(codes), _BATCH):
        bits = np.unpackbits(codes[at : at + _BATCH], axis=1)[:, : M * B]
        out[at : at + _BATCH] = (bits.reshape(-1, M, B).astype(np.uint32) * weights).sum(
            axis=2, dtype=np.uint32
        )
    return out


def brute_force(
    banked: npt.NDArray[np.uint8], queries: npt.NDArray[np.uint8], radius: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(query, row, distance) of every banked hash within *radius* of each
    query, by comparing with all of them (numpy popcount): the reference the
    index is checked against, and the search of small banks and the delta."""
    bank = _words(banked)
    out_q, out_r, out_d = [], [], []
    for qi, q in enumerate(_words(queries)):
        d = np.bitwise_count(bank ^ q).sum(axis=1, dtype=np.int64)
        hit = np.flatnonzero(d <= radius)
        out_q.append(np.full(len(hit), qi, dtype=np.int64))
        out_r.append(hit.astype(np.int64))
        out_d.append(d[hit])
    if not out_q:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    return np.concatenate(out_q), np.concatenate(out_r), np.concatenate(out_d)


_KERNEL: Any = None


def _kernel() -> Any:
    """The compiled probe loop (numba), compiled on first use: for one table,
    walk the probes of a batch of queries in key order (so that the table's
    offsets and hashes are read front to back, not at random) and check
    every candidate on all 256 bits."""
    global _KERNEL
    if _KERNEL is not None:
        return _KERNEL
    import numba

    @numba.njit(cache=False, nogil=True)
    def popcount(x: Any) -> Any:
        x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
        x = (x & np.uint64(0x3333333333333333)) + (
            (x >> np.uint64(2)) & np.uint64(0x3333333333333333)
        )
        x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
        return (x * np.uint64(0x0101010101010101)) >> np.uint64(56)

    @numba.njit(cache=False, nogil=True)
    def search(probes: Any, q64: Any, offsets: Any, rows: Any, inline: Any, radius: Any) -> Any:
        # probes: sorted (key << 32 | query) of one table
        cap = 1024
        out_q = np.empty(cap, np.int64)
        out_r = np.empty(cap, np.int64)
        n = 0
        low = np.uint64(0xFFFFFFFF)
        for probe in probes:
            key = probe >> np.uint64(32)
            qi = probe & low
            for p in range(offsets[key], offsets[key + 1]):
                d = 0
                for w in range(4):
                    d += popcount(q64[qi, w] ^ inline[p, w])
                if d <= radius:
                    if n == cap:
                        out_q = np.concatenate((out_q, np.empty(cap, np.int64)))
                        out_r = np.concatenate((out_r, np.empty(cap, np.int64)))
                        cap *= 2
                    out_q[n] = qi
                    out_r[n] = rows[p]
                    n += 1
        return out_q[:n], out_r[:n]

    _KERNEL = search
    return search


class PdqIndex:
    """Exact radius search over PDQ hashes (module docstring).

    Rows are numbered in the order hashes were given (:meth:`build` then
    every :meth:`add`); :meth:`search` returns those numbers.  The index is
    exact for radii up to ``M * 3 - 1`` = 32 (the probes cover 2-bit
    neighbourhoods); larger radii fall back to the full comparison.
    """

    def __init__(self) -> None:
        self.codes = np.zeros((0, 32), dtype=np.uint8)  # every row, in row order
        self.offsets = np.zeros((M, 1), dtype=np.int32)
        self.rows = np.zeros((M, 0), dtype=np.int32)
        self.inline = np.zeros((M, 0, 4), dtype=np.uint64)
        self.indexed = 0  # rows in the tables; rows after it are the delta
        self.source = ""  # the cached index this one grew from (cached_index)
        #: threads that probe tables side by side (the probe loop releases the GIL)
        self.threads = THREADS
        self._masks = np.array(
            [sum(1 << p for p in c) for k in range(3) for c in itertools.combinations(range(B), k)],
            dtype=np.uint32,
        )

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.codes, self.offsets, self.rows, self.inline))

    @classmethod
    def build(cls, codes: npt.NDArray[np.uint8]) -> PdqIndex:
        """An index of *codes* ((n, 32) uint8; :func:`codes_from_hex`)."""
        index = cls()
        index.codes = np.ascontiguousarray(codes, dtype=np.uint8).reshape(-1, 32)
        index.merge()
        return index

    def add(self, codes: npt.NDArray[np.uint8]) -> range:
        """Add hashes (found by the next search at once); returns their rows."""
        codes = np.ascontiguousarray(codes, dtype=np.uint8).reshape(-1, 32)
        start = len(self.codes)
        self.codes = np.concatenate((self.codes, codes)) if start else codes
        return range(start, len(self.codes))

    def merge(self) -> None:
        """Put every row into the tables (a delta of new rows is searched in
        full until then)."""
        n = len(self.codes)
        if n >= 1 << 31:
            raise ValueError("an index holds fewer than 2^31 hashes")
        keys = _keys(self.codes)
        words = _words(self.codes)
        offsets = np.empty((M, (1 << B) + 1), dtype=np.int32)
        rows = np.empty((M, n), dtype=np.int32)
        inline = np.empty((M, n, 4), dtype=np.uint64)
        for j in range(M):
            offsets[j, 0] = 0
            np.cumsum(np.bincount(keys[:, j], minlength=1 << B), out=offsets[j, 1:])
            order = np.argsort(keys[:, j], kind="stable")
            rows[j] = order
            inline[j] = words[order]
        self.offsets, self.rows, self.inline, self.indexed = offsets, rows, inline, n

    def search(
        self, queries: npt.NDArray[np.uint8], radius: int = MATCH_DISTANCE
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """(query, row, distance) of every hash within *radius* bits of each
        query ((q, 32) uint8), sorted by query then distance."""
        queries = np.ascontiguousarray(queries, dtype=np.uint8).reshape(-1, 32)
        if radius > 2 * M + M - 1 or not self.indexed:
            qi, ri, di = brute_force(self.codes, queries, radius)
        else:
            qi, ri = self._probe(queries, radius)
            # a hash close in several substrings is found in several tables
            key = np.unique(qi * len(self.codes) + ri)
            qi, ri = key // len(self.codes), key % len(self.codes)
            di = np.bitwise_count(_words(queries)[qi] ^ _words(self.codes)[ri]).sum(
                axis=1, dtype=np.int64
            )
            if self.indexed < len(self.codes):
                dq, dr, dd = brute_force(self.codes[self.indexed :], queries, radius)
                qi, ri, di = (
                    np.concatenate((qi, dq)),
                    np.concatenate((ri, dr + self.indexed)),
                    np.concatenate((di, dd)),
                )
        order = np.lexsort((ri, di, qi))
        return qi[order], ri[order], di[order]

    def _probe(
        self, queries: npt.NDArray[np.uint8], radius: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        kernel = _kernel()
        found_q, found_r = [], []
        pool = ThreadPoolExecutor(self.threads) if self.threads > 1 else None
        try:
            for at in range(0, len(queries), _QUERY_BATCH):
                batch = queries[at : at + _QUERY_BATCH]
                q64, keys = _words(batch), _keys(batch)
                serial = np.arange(len(batch), dtype=np.uint64)

                def table(j: int, q64: Any = q64, keys: Any = keys, serial: Any = serial) -> Any:
                    probes = (keys[:, j, None] ^ self._masks[None, :]).astype(np.uint64)
                    packed = np.sort(((probes << np.uint64(32)) | serial[:, None]).ravel())
                    return kernel(
                        packed, q64, self.offsets[j], self.rows[j], self.inline[j], radius
                    )

                # the kernel and the sort release the GIL: tables run side by side
                done = pool.map(table, range(M)) if pool else map(table, range(M))
                for qi, ri in done:
                    found_q.append(qi + at)
                    found_r.append(ri)
        finally:
            if pool is not None:
                pool.shutdown()
        if not found_q:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        return np.concatenate(found_q), np.concatenate(found_r)

    # -- files -------------------------------------------------------------

    def save(self, directory: Path) -> None:
        """Write the index to *directory* (``.npy`` arrays and ``index.json``)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, npt.NDArray[Any]] = {
            "codes": self.codes,
            "offsets": self.offsets,
            "rows": self.rows,
            "inline": self.inline,
        }
        for name, array in arrays.items():
            np.save(directory / f"{name}.npy", array, allow_pickle=False)
        self._write_header(directory)

    def _write_header(self, directory: Path) -> None:
        header = {
            "format": FORMAT,
            "m": M,
            "b": B,
            "rows": len(self.codes),
            "indexed": self.indexed,
            "digest": digest(self.codes),
        }
        (directory / "index.json").write_text(json.dumps(header), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> PdqIndex:
        """Read an index written by :meth:`save` (memory-mapped; no pickle)."""
        directory = Path(directory)
        try:
            header = json.loads((directory / "index.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{directory}: not a marsad PDQ index ({exc})") from exc
        if header.get("format") != FORMAT or (header.get("m"), header.get("b")) != (M, B):
            raise InputError(f"{directory}: index format {header.get('format')!r}, not {FORMAT}")
        index = cls()
        loaded = {}
        for name in ("codes", "offsets", "rows", "inline"):
            path = directory / f"{name}.npy"
            try:
                loaded[name] = np.load(path, allow_pickle=False, mmap_mode="r")
            except (OSError, ValueError) as exc:
                raise InputError(f"{path}: not an index array ({exc})") from exc
        n, indexed = int(header["rows"]), int(header["indexed"])
        shapes = {
            "codes": (n, 32),
            "offsets": (M, (1 << B) + 1) if indexed else (M, 1),
            "rows": (M, indexed),
            "inline": (M, indexed, 4),
        }
        for name, shape in shapes.items():
            if loaded[name].shape != shape:
                raise InputError(
                    f"{directory}: {name}.npy has shape {loaded[name].shape}, not {shape}"
                )
        index.codes = np.asarray(loaded["codes"])
        index.offsets, index.rows, index.inline = (
            loaded["offsets"],
            loaded["rows"],
            loaded["inline"],
        )
        index.indexed = indexed
        return index


def digest(codes: npt.NDArray[np.uint8]) -> str:
    """A short digest of hashes (their bytes, in order): names a cached index."""
    return hashlib.sha256(np.ascontiguousarray(codes).tobytes()).hexdigest()[:24]


#: a delta larger than this share of the indexed rows is merged into the tables
MERGE_SHARE = 0.25


def cached_index(codes: npt.NDArray[np.uint8], cache: Path | None) -> PdqIndex:
    """The index of *codes*, kept in the directory *cache* between runs.

    * An index built for exactly these hashes is loaded (memory-mapped).
    * An index built for the first *n* of them -- a bank that has grown since
      (new signals come last: the matcher orders them by when they were
      added) -- is loaded and the rest added as its delta, so adds never
      need a rebuild; the delta is merged into the tables once it is more
      than :data:`MERGE_SHARE` of them.  Only the hashes and the header are
      rewritten then, not the tables.
    * Otherwise (signals removed or changed) it is built again.

    Other indexes in *cache* are removed; a cache that cannot be written
    (a read-only workspace) is not used."""
    if cache is None:
        return PdqIndex.build(codes)
    name = f"pdq-{digest(codes)}"
    target = cache / name
    if (target / "index.json").exists():
        try:
            index = PdqIndex.load(target)
            if len(index) == len(codes):
                return index
        except InputError:
            pass  # a damaged cache: built again below
    grown = _grown(codes, cache)
    fresh = grown is None or grown.indexed * (1 + MERGE_SHARE) < len(codes)
    if grown is None:
        index = PdqIndex.build(codes)
    else:
        index = grown
        if fresh:
            index.merge()
    try:
        cache.mkdir(parents=True, exist_ok=True)
        partial = cache / f".{name}.part"
        shutil.rmtree(partial, ignore_errors=True)
        if fresh:
            index.save(partial)
        else:  # the old tables stay: new hashes and header only
            old = cache / f"pdq-{index.source}"
            old.rename(partial)
            np.save(partial / "codes.tmp.npy", index.codes, allow_pickle=False)
            (partial / "codes.tmp.npy").replace(partial / "codes.npy")
            index._write_header(partial)
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
        for stale in cache.glob("pdq-*"):
            if stale != target:
                shutil.rmtree(stale, ignore_errors=True)
    except OSError:
        pass  # not cached
    return index


def _grown(codes: npt.NDArray[np.uint8], cache: Path) -> PdqIndex | None:
    """A cached index of a prefix of *codes*, with the rest added as its delta."""
    for directory in sorted(cache.glob("pdq-*")):
        try:
            header = json.loads((directory / "index.json").read_text(encoding="utf-8"))
            n = int(header["rows"])
            if not 0 < n < len(codes) or header.get("digest") != digest(codes[:n]):
                continue
            index = PdqIndex.load(directory)
        except (OSError, ValueError, KeyError, InputError):
            continue
        index.codes = np.array(index.codes)  # out of the memory map: rewritten below
        index.add(codes[n:])
        index.source = directory.name.removeprefix("pdq-")
        return index
    return None


#: banks of fewer PDQ hashes are searched by a full comparison (as fast, no build)
INDEX_FROM = 200_000


class PdqSignalIndex(SignalIndex):
    """The index :class:`~marsad.hashing.signals.PdqSignal` gives: a full
    numpy comparison under :data:`INDEX_FROM` hashes, else a
    :class:`PdqIndex` kept in *cache* (:func:`cached_index`).  Both give the
    same answers (``tests/hashing/test_index.py``)."""

    def __init__(self, values: Sequence[str], cache: Path | None = None) -> None:
        self.codes = codes_from_hex(list(values))
        self.index = cached_index(self.codes, cache) if len(self.codes) >= INDEX_FROM else None

    def search(self, queries: Sequence[str], threshold: int) -> list[Hit]:
        if not len(self.codes) or not queries:
            return []
        q = codes_from_hex(list(queries))
        if self.index is not None:
            qi, ri, di = self.index.search(q, threshold)
        else:
            qi, ri, di = brute_force(self.codes, q, threshold)
        return list(zip(qi.tolist(), ri.tolist(), di.tolist(), strict=True))
