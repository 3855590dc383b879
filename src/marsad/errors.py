"""The whole exception tree of marsad.

Library code raises these (chained with ``from``) and never prints or exits;
only the edges translate them -- the CLI into a message and an exit code::

    MarsadError                      exit 1 unless a subclass says otherwise
    ├── ConfigError                  bad setting or option value        (exit 2)
    ├── InputError                   the user's input cannot be used    (exit 2)
    │   ├── UnreadableFile           missing, unreadable, not the format
    │   ├── UnknownFormat            no adapter recognises the file
    │   ├── BadModel                 a model file is not a valid marsad model
    │   └── MalformedRecord          one record is bad (quarantined, not raised
    │                                 out of an ingest run)
    ├── StoreError                   the workspace store failed         (exit 1)
    │   ├── WorkspaceError           no workspace / wrong version
    │   └── MigrationError           the schema cannot be migrated
    └── DependencyError              an optional part is not installed  (exit 3)
"""

from __future__ import annotations

__all__ = [
    "BadModel",
    "ConfigError",
    "Conflict",
    "DependencyError",
    "Forbidden",
    "InputError",
    "MalformedRecord",
    "MarsadError",
    "MigrationError",
    "NotFound",
    "ReviewError",
    "StoreError",
    "TooManyAttempts",
    "Unauthorized",
    "UnknownFormat",
    "UnreadableFile",
    "WorkspaceError",
]


class MarsadError(Exception):
    """Root of every error marsad raises on purpose."""

    exit_code = 1


class ConfigError(MarsadError):
    exit_code = 2


class InputError(MarsadError):
    exit_code = 2


class UnreadableFile(InputError):
    """A file cannot be opened or decoded at all."""


class UnknownFormat(InputError):
    """No ingest adapter recognises a file; ``--format`` names one."""


class BadModel(InputError):
    """A model file cannot be loaded: not a marsad model (a pickle, say, which
    is never loaded), truncated, or of another format version."""


class MalformedRecord(InputError):
    """One record of a file is bad; carries where and why.

    Adapters raise it for a single record; the ingest run catches it, puts the
    raw bytes in quarantine with the reason and goes on.
    """

    def __init__(self, reason: str, *, line_no: int = 0, record_no: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line_no = line_no
        self.record_no = record_no


class StoreError(MarsadError):
    exit_code = 1


class WorkspaceError(StoreError):
    exit_code = 2


class MigrationError(StoreError):
    pass


class ReviewError(MarsadError):
    """A review action that cannot be done as asked; ``status`` is its HTTP status."""

    exit_code = 2
    status = 400


class NotFound(ReviewError):
    status = 404


class Conflict(ReviewError):
    """The item changed under the caller: claimed by another, already decided."""

    status = 409


class Forbidden(ReviewError):
    """The caller's role does not allow the action."""

    exit_code = 3
    status = 403


class Unauthorized(ReviewError):
    exit_code = 3
    status = 401


class TooManyAttempts(ReviewError):
    status = 429


class DependencyError(MarsadError):
    exit_code = 3
