"""Known-content matching: hash signals of media (PDQ, MD5, SHA-256)."""

from marsad.hashing.signals import (
    MATCH_DISTANCE,
    QUALITY_MIN,
    FileHashes,
    Pdq,
    hamming,
    hash_file,
    pdq_bytes,
    pdq_dihedral,
    pdq_hash,
)

__all__ = [
    "MATCH_DISTANCE",
    "QUALITY_MIN",
    "FileHashes",
    "Pdq",
    "hamming",
    "hash_file",
    "pdq_bytes",
    "pdq_dihedral",
    "pdq_hash",
]
