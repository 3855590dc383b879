"""Settings: one registry of ``(name, default, help)``, overridable by ``MARSAD_*``.

Read by the composition root (pipeline, CLI); stages receive plain values.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import click

__all__ = [
    "SETTINGS",
    "WORKSPACE",
    "Setting",
    "WorkspaceType",
    "get",
    "is_server_url",
    "workspace_path",
]


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: str
    help: str

    @property
    def env(self) -> str:
        return "MARSAD_" + self.name.upper()


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting(
            "workspace",
            "./marsad-data",
            "workspace directory holding marsad.duckdb, or a team store's postgresql:// URL",
        ),
        Setting(
            "batch_size",
            "5000",
            "raw records per ingest transaction; a killed run loses at most one batch",
        ),
        Setting("lang_min_chars", "12", "texts shorter than this (letters) get language 'und'"),
        Setting("threads", "2", "DuckDB worker threads"),
        Setting(
            "data_path",
            "",
            "where a new team store keeps its Parquet files (default ./marsad-lake/<database>)",
        ),
        Setting(
            "lock_wait",
            "30",
            "seconds a command waits for an embedded workspace another process holds "
            "(the web app between requests, another command) before it gives up",
        ),
        Setting(
            "merge_every",
            "20",
            "team store: ingest batches between two merges of the small files they leave "
            "(0: never; `marsad store compact` then does it)",
        ),
        Setting(
            "extension_dir",
            "",
            "DuckDB extension directory for the team store "
            "(default ~/.cache/marsad/duckdb-extensions)",
        ),
        Setting(
            "wal_limit",
            "256MB",
            "DuckDB write-ahead log size that triggers a checkpoint; larger is faster "
            "ingest (fewer rewrites) and more memory",
        ),
        Setting(
            "memory_limit",
            "",
            "DuckDB buffer memory limit such as 4GB (empty: DuckDB's default, 80 percent of RAM); "
            "too small a limit fails large ingests",
        ),
        Setting(
            "workers",
            str(os.cpu_count() or 1),
            "ingest worker processes for large line-oriented files (1 = no workers)",
        ),
        Setting(
            "parallel_min_bytes",
            str(64 << 20),
            "files smaller than this are ingested in one process (workers take ~1 s to start)",
        ),
    )
}


def get(name: str) -> str:
    """The value of setting *name*: ``MARSAD_<NAME>`` if set, else its default."""
    setting = SETTINGS[name]
    return os.environ.get(setting.env, setting.default)


def workspace_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The workspace directory: *explicit*, else ``MARSAD_WORKSPACE``, else ``./marsad-data``."""
    return Path(explicit if explicit is not None else get("workspace"))


#: the URL schemes taken as a team store (docs/team.md)
SERVER_SCHEMES = ("postgresql", "postgres")


def is_server_url(workspace: str | os.PathLike[str]) -> bool:
    """Whether *workspace* names a team store (a PostgreSQL URL), not a directory."""
    text = os.fspath(workspace)
    return any(text.startswith(s + "://") for s in SERVER_SCHEMES)


def shown_workspace(workspace: str | os.PathLike[str]) -> str:
    """*workspace* as it may be shown or written down: a URL without its password."""
    text = os.fspath(workspace)
    if not is_server_url(text):
        return text
    from urllib.parse import urlsplit

    parts = urlsplit(text)
    if parts.password is None:
        return text
    return parts._replace(
        netloc=parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    ).geturl()


class WorkspaceType(click.ParamType):  # type: ignore[type-arg]
    """``--workspace``: a directory (a :class:`~pathlib.Path`) or a team store's URL
    (kept as text: a path would fold its ``//``)."""

    name = "workspace"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> Path | str:
        if isinstance(value, Path):
            return value
        text = str(value)
        if is_server_url(text):
            return text
        path = Path(text)
        if path.exists() and not path.is_dir():
            self.fail(f"{text} is a file, not a workspace directory", param, ctx)
        return path


WORKSPACE = WorkspaceType()
