"""DuckDB extensions the team store needs, loaded from their PyPI packages.

Part of the store stage.  DuckDB downloads an extension the first time it is
used; marsad never lets it (``autoinstall_known_extensions`` off): the team
store's ``postgres`` and ``ducklake`` extensions come from the PyPI packages
``duckdb-extension-postgres`` and ``duckdb-extension-ducklake`` (the
``team`` extra), each built for exactly one DuckDB version.  DuckDB looks for
an extension as ``<extension_directory>/v<duckdb version>/<platform>/<name>
.duckdb_extension``; :func:`extension_directory` copies the packaged files
there once (atomically, so concurrent processes never see half a file) and
returns the directory to pass to :func:`duckdb.connect`.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

import duckdb

from marsad import config
from marsad.errors import ConfigError

__all__ = ["TEAM_EXTENSIONS", "extension_directory"]

#: DuckDB's name of each extension -> the PyPI package that ships it
TEAM_EXTENSIONS = {
    "postgres_scanner": "duckdb_extension_postgres",
    "ducklake": "duckdb_extension_ducklake",
}
#: the file name inside the package, where it differs from DuckDB's name
_PACKAGED_NAME = {"postgres_scanner": "postgres"}


def _platform() -> str:
    row = duckdb.execute("PRAGMA platform").fetchone()
    return str(row[0]) if row else "linux_amd64"


def _packaged_file(name: str, version: str) -> Path:
    package = TEAM_EXTENSIONS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            f"the team store needs the {package.replace('_', '-')} package "
            f"(pip install 'marsad[team]')"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    path = root / "extensions" / version / f"{_PACKAGED_NAME.get(name, name)}.duckdb_extension"
    if not path.is_file():
        built = sorted(p.name for p in (root / "extensions").glob("v*"))
        raise ConfigError(
            f"{package.replace('_', '-')} is built for DuckDB {', '.join(built) or '?'}, "
            f"this DuckDB is {version}: install the versions pyproject.toml pins"
        )
    return path


def extension_directory(base: Path | None = None) -> Path:
    """The extension directory holding the team store's extensions for this
    DuckDB (``MARSAD_EXTENSION_DIR``, else ``~/.cache/marsad/duckdb-extensions``)."""
    if base is None:
        env = config.get("extension_dir")
        base = Path(env) if env else Path.home() / ".cache" / "marsad" / "duckdb-extensions"
    version = "v" + duckdb.__version__
    target = base / version / _platform()
    for name in TEAM_EXTENSIONS:
        dest = target / f"{name}.duckdb_extension"
        src = _packaged_file(name, version)
        if dest.is_file() and dest.stat().st_size == src.stat().st_size:
            continue
        target.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target, prefix=f".{name}.")
        os.close(fd)
        try:
            shutil.copyfile(src, tmp)
            os.replace(tmp, dest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return base
