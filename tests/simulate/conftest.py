"""Shared simulations for the simulator's tests: built once per session, kept small."""

from __future__ import annotations

import pytest

from tests.simulate.helpers import TINY, Sim, run_sim


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Sim:
    return run_sim(TINY, tmp_path_factory.mktemp("tiny"), jobs=1)
