"""Fixtures of the act tests: the review tests' analysed simulation (made once per session)."""

from __future__ import annotations

from tests.review.conftest import analysed_template, analysed_ws  # noqa: F401 - fixtures
