"""Fixtures of the network tests: one simulated workspace per session (read only)."""

from __future__ import annotations

import pytest

from tests.network.helpers import SimWorkspace, build_sim_workspace


@pytest.fixture(scope="session")
def sim(tmp_path_factory: pytest.TempPathFactory) -> SimWorkspace:
    return build_sim_workspace(tmp_path_factory.mktemp("network-sim"))
