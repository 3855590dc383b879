"""Signals of known content: PDQ for images, MD5 and SHA-256 for any file.

Part of the *match* stage (issue 5): a bank holds signals of media seen
before (shared hash lists: GIFCT, TCAP, ThreatExchange) and every image
marsad ingests is hashed the same way and compared.

PDQ is Meta's perceptual image hash (256 bits).  It is computed as
python-threatexchange's hasher computes it (``threatexchange.signal_type.pdq``:
the ``pdqhash`` bindings of the reference C++ on the image as that hasher
prepares it), never re-implemented here, so that a hash computed by marsad equals the one HMA, the threatexchange
CLI or a GIFCT member computes for the same file.  Two numbers come from
the PDQ authors and are the defaults everywhere in that ecosystem:

* :data:`QUALITY_MIN` 50 -- a hash of quality under 50 (flat, dark or tiny
  images) is "too unreliable to match on" and is not matched
  (``threatexchange/signal_type/pdq/signal.py``, ``QUALITY_THRESHOLD``;
  ``pdq/README.md``: "discard hashes <= 49");
* :data:`MATCH_DISTANCE` 31 -- two hashes within 31 bits (of 256) are the
  same picture (``threatexchange/signal_type/pdq/pdq_utils.py``,
  ``PDQ_CONFIDENT_MATCH_THRESHOLD``; ``pdq/README.md``: "<= 31").

Rotated and mirrored copies are matched through the eight *dihedral* hashes
of a picture (:func:`pdq_dihedral`; the reference library computes them in
one pass): a bank may hold all eight of a known image, so that a query
needs one hash.

MD5 and SHA-256 are the exact signals of the shared lists (threatexchange's
own MD5 type applies to videos only, so these are :mod:`hashlib`, read in
chunks: memory does not grow with the file).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from marsad.errors import UnreadableFile
from marsad.hashing.base import ExactIndex, SignalIndex, SignalType

__all__ = [
    "DIHEDRAL",
    "MATCH_DISTANCE",
    "QUALITY_MIN",
    "FileHashes",
    "Md5Signal",
    "Pdq",
    "PdqSignal",
    "Sha256Signal",
    "hamming",
    "hash_file",
    "pdq_bytes",
    "pdq_dihedral",
    "pdq_hash",
]

#: PDQ hashes of lower quality are not matched (module docstring)
QUALITY_MIN = 50
#: two PDQ hashes at most this many bits apart match (module docstring)
MATCH_DISTANCE = 31
#: the eight transforms of :func:`pdq_dihedral`, in the reference library's order
DIHEDRAL = (
    "original",
    "rotate90",
    "rotate180",
    "rotate270",
    "flipx",
    "flipy",
    "flip_plus1",
    "flip_minus1",
)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Pdq:
    """A PDQ hash (64 hex digits) and its quality (0-100)."""

    hex: str
    quality: int

    @property
    def matchable(self) -> bool:
        """Whether the hash is good enough to match on (quality >= :data:`QUALITY_MIN`)."""
        return self.quality >= QUALITY_MIN


@dataclass(frozen=True)
class FileHashes:
    """The signals of one file: MD5 and SHA-256 always, PDQ when it is a picture."""

    path: str
    size: int
    md5: str
    sha256: str
    pdq: Pdq | None = None
    media: str = "file"  # "image" when it decodes as one; "video" by its first bytes
    note: str = ""  # why there is no PDQ, when the file looked like a picture but is not

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "size": self.size,
            "md5": self.md5,
            "sha256": self.sha256,
            "pdq": self.pdq.hex if self.pdq else None,
            "pdq_quality": self.pdq.quality if self.pdq else None,
            "media": self.media,
            "note": self.note,
        }


def _image(data: bytes, where: str) -> Any:
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise UnreadableFile(f"{where}: not a picture PDQ can read ({exc})") from exc
    return image


def _array(image: Any) -> npt.NDArray[np.uint8]:
    """The image as pdqhash takes it: what threatexchange's hasher does
    (``pdq_hasher._convert_image_to_correct_array_dimension``), so that
    :func:`pdq_dihedral`'s first hash is :func:`pdq_bytes`'s."""
    if image.mode in ("LA", "I;16"):
        image = image.convert("RGB")
    array = np.asarray(image)
    if array.ndim == 2:
        array = np.concatenate([array[..., np.newaxis]] * 3, axis=2)
    return array


def pdq_bytes(data: bytes, *, where: str = "image") -> Pdq:
    """The PDQ hash of an image file's bytes: the reference library's
    (``pdqhash.compute``) on the image as python-threatexchange's hasher
    prepares it, decoded once (the tests check it against
    ``threatexchange``'s ``pdq_from_bytes`` on every reference image).

    Raises :class:`~marsad.errors.UnreadableFile` naming *where* when the
    bytes are not a picture."""
    import pdqhash

    vector, quality = pdqhash.compute(_array(_image(data, where)))
    return Pdq(_hex(vector), int(quality))


def pdq_hash(path: Path, *, unletterbox: int | None = None) -> Pdq:
    """The PDQ hash of the image at *path*; with *unletterbox* (a black
    threshold, 0-255; the threatexchange CLI's default is 15), black bars
    on its sides are cut off first, as python-threatexchange's
    ``PhotoContent.unletterbox`` does."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if unletterbox is not None:
        from threatexchange.content_type.photo import PhotoContent

        _image(data, str(path))
        data = PhotoContent.unletterbox(path, unletterbox)
    return pdq_bytes(data, where=str(path))


def _hex(bits: npt.NDArray[Any]) -> str:
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def pdq_dihedral(data: bytes, *, where: str = "image") -> tuple[list[str], int]:
    """The eight dihedral PDQ hashes of an image (in :data:`DIHEDRAL` order)
    and their quality: the hash of each rotation and mirror image, computed
    in one pass by the reference library (``pdqhash.compute_dihedral``)."""
    import pdqhash

    vectors, quality = pdqhash.compute_dihedral(_array(_image(data, where)))
    return [_hex(v) for v in vectors], int(quality)


def hamming(a: str, b: str) -> int:
    """Bits that differ between two hashes of the same length (hex)."""
    if len(a) != len(b):
        raise ValueError(f"hashes of different lengths: {len(a)} and {len(b)} hex digits")
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _looks_like_picture(head: bytes) -> bool:
    return (
        head.startswith(b"\xff\xd8\xff")  # JPEG
        or head.startswith(b"\x89PNG\r\n\x1a\n")
        or head[:6] in (b"GIF87a", b"GIF89a")
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
        or head[:2] == b"BM"
        or head[:4] in (b"II*\x00", b"MM\x00*")  # TIFF
    )


def _looks_like_video(head: bytes) -> bool:
    return (
        head[4:8] == b"ftyp"  # MP4, MOV, 3GP
        or head.startswith(b"\x1a\x45\xdf\xa3")  # Matroska, WebM
        or (head[:4] == b"RIFF" and head[8:12] == b"AVI ")
        or head.startswith(b"FLV")
    )


def hash_file(path: Path, *, pdq: bool = True) -> FileHashes:
    """MD5, SHA-256 and (for a picture, when *pdq*) the PDQ hash of the file
    at *path*, read once.  Whether it is a picture is read from its first
    bytes, not its name: a ``.jpg`` that is not one gets no PDQ and a note
    saying why; an unreadable file raises
    :class:`~marsad.errors.UnreadableFile`."""
    path = Path(path)
    md5, sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    size = 0
    head = b""
    picture = bytearray()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                if not head:
                    head = chunk[:16]
                md5.update(chunk)
                sha.update(chunk)
                size += len(chunk)
                if pdq and _looks_like_picture(head):
                    picture += chunk
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot read ({exc.strerror or exc})") from exc
    hashes = FileHashes(
        str(path),
        size,
        md5.hexdigest(),
        sha.hexdigest(),
        media="video" if _looks_like_video(head) else "file",
    )
    if not pdq:
        return hashes
    if not picture:
        suffix = path.suffix.lower()
        if suffix in (".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff"):
            return replace(hashes, note=f"named {suffix} but not a picture")
        return hashes
    try:
        signal = pdq_bytes(bytes(picture), where=str(path))
    except UnreadableFile as exc:
        return replace(hashes, note=str(exc).split(": ", 1)[-1])
    return replace(hashes, pdq=signal, media="image")


# -- signal types (the contract of :mod:`marsad.hashing.base`) -------------------


def _hex_value(kind: str, value: str, digits: int) -> str:
    value = value.strip().lower()
    if not value or any(c not in "0123456789abcdef" for c in value):
        raise ValueError(f"{kind} value is not hexadecimal: {value[:80]!r}")
    if len(value) != digits:
        raise ValueError(f"{kind} needs {digits} hex digits, got {len(value)}")
    return value


class _ExactSignal(SignalType):
    digits: ClassVar[int]

    @classmethod
    def validate(cls, value: str) -> str:
        return _hex_value(cls.name, value, cls.digits)

    @classmethod
    def compare(cls, a: str, b: str) -> int:
        return 0 if a == b else cls.digits * 4

    @classmethod
    def index(cls, values: Sequence[str], cache: Path | None = None) -> SignalIndex:
        return ExactIndex(values)


class Md5Signal(_ExactSignal):
    """MD5 of a file's bytes (exact).  threatexchange calls it ``video_md5``."""

    name = "md5"
    digits = 32
    threatexchange_names = ("md5", "video_md5")

    @classmethod
    def examples(cls) -> list[str]:
        return [hashlib.md5(b"%d" % i, usedforsecurity=False).hexdigest() for i in range(4)]


class Sha256Signal(_ExactSignal):
    """SHA-256 of a file's bytes (exact)."""

    name = "sha256"
    digits = 64
    threatexchange_names = ("sha256", "video_sha256")

    @classmethod
    def examples(cls) -> list[str]:
        return [hashlib.sha256(b"%d" % i).hexdigest() for i in range(4)]


class PdqSignal(SignalType):
    """PDQ of a picture: 256 bits, matched within :data:`MATCH_DISTANCE`."""

    name = "pdq"
    threatexchange_names = ("pdq",)
    default_threshold = MATCH_DISTANCE
    max_threshold = 256

    @classmethod
    def validate(cls, value: str) -> str:
        return _hex_value("pdq", value, 64)

    @classmethod
    def compare(cls, a: str, b: str) -> int:
        return hamming(a, b)

    @classmethod
    def index(cls, values: Sequence[str], cache: Path | None = None) -> SignalIndex:
        from marsad.hashing.index import PdqSignalIndex

        return PdqSignalIndex(values, cache)

    @classmethod
    def examples(cls) -> list[str]:
        rng = np.random.default_rng(5)
        base = rng.integers(0, 256, 32, dtype=np.uint8)
        near = base.copy()
        near[:2] ^= 0xFF  # 16 bits away
        far = rng.integers(0, 256, 32, dtype=np.uint8)
        return [bytes(v).hex() for v in (base, near, far)]
