"""Stores: the embedded DuckDB workspace (default) behind the :class:`Store` interface."""

from marsad.store.base import Store

__all__ = ["Store"]
