"""The randomised grid: settings drawn per seed, three disjoint seed sets, the CLI."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from marsad.cli import main
from marsad.errors import ConfigError
from marsad.simulate import PROFILES, SimConfig
from marsad.simulate.grid import (
    FIT_SEEDS,
    HOLDOUT_SEEDS,
    REPORT_SEEDS,
    grid_setting,
    randomised_config,
)
from tests.simulate.helpers import run_sim

ALL_SEEDS = FIT_SEEDS + REPORT_SEEDS + HOLDOUT_SEEDS
#: the knobs randomised_config draws
KNOBS = (
    "lookup_every_days",
    "suspension_times_known",
    "avatar_reuse_rate",
    "avatar_media_kept",
    "lookalike_name_share",
    "rename_rate",
    "newcomer_rate",
    "newcomer_covert_share",
    "recreate_prob",
    "recreate_delay_days",
    "follower_return_rate",
    "shoutout_prob",
    "covert_languages",
)


def _knobs(c: SimConfig) -> dict[str, object]:
    return {k: getattr(c, k) for k in KNOBS}


def test_seed_sets_are_disjoint_and_new() -> None:
    sets = [set(FIT_SEEDS), set(REPORT_SEEDS), set(HOLDOUT_SEEDS)]
    assert sum(map(len, sets)) == len(set().union(*sets)) == len(ALL_SEEDS)
    assert len(FIT_SEEDS) >= 8 and len(REPORT_SEEDS) >= 6 and len(HOLDOUT_SEEDS) >= 4
    # not the simulator's default seed, nor the packaged lineage model's training seeds
    assert not set(ALL_SEEDS) & {7, 101, 102, 103, 201, 202}


def test_randomised_config_is_deterministic_per_seed() -> None:
    for seed in ALL_SEEDS:
        assert randomised_config(seed) == randomised_config(seed)
    drawn = {json.dumps(_knobs(randomised_config(s)), sort_keys=True) for s in ALL_SEEDS}
    assert len(drawn) == len(ALL_SEEDS)  # every seed its own setting


def test_drawn_knobs_stay_in_their_documented_ranges() -> None:
    configs = [randomised_config(s) for s in ALL_SEEDS]
    for c in configs:
        assert c.profile == "grid" and c.seed in ALL_SEEDS
        assert c.lookup_every_days in {0, 1, 7, 30}
        assert 0 <= c.avatar_reuse_rate <= 1
        assert 0 <= c.lookalike_name_share <= 0.3
        assert 0 <= c.rename_rate <= 0.5
        per_period = c.newcomer_rate * c.days / c.accounts
        assert 0.05 - 1e-3 <= per_period <= 0.4 + 1e-3
        assert 0.05 <= c.newcomer_covert_share <= 0.3
        assert 0.4 <= c.recreate_prob <= 0.9
        assert 0.1 - 1e-4 <= c.recreate_delay_days <= 14 + 1e-4
        assert 0.1 <= c.follower_return_rate <= 0.8
        assert c.shoutout_prob == 0 or 0.2 <= c.shoutout_prob <= 0.9
        assert math.isclose(sum(s for _, s in c.covert_languages), 1.0, abs_tol=1e-6)
    # over 20 settings, the discrete knobs take more than one value
    for knob in ("lookup_every_days", "suspension_times_known", "avatar_media_kept"):
        assert len({getattr(c, knob) for c in configs}) > 1, knob
    assert any(c.shoutout_prob == 0 for c in configs)
    assert any(dict(c.covert_languages) == {"ar": 1.0} for c in configs)


def test_fixing_a_knob_leaves_the_others_drawn() -> None:
    drawn = randomised_config(2001)
    fixed = randomised_config(2001, rename_rate=0.0, accounts=None)
    assert fixed.rename_rate == 0.0
    assert _knobs(fixed) == {**_knobs(drawn), "rename_rate": 0.0}


@pytest.mark.parametrize(
    ("suspension", "expected"),
    [
        ("exact", {"suspension_times_known": True}),  # a status CSV of exact times
        ("weekly", {"suspension_times_known": False, "lookup_every_days": 7}),  # lookups only
    ],
)
def test_grid_settings_of_the_report(suspension: str, expected: dict[str, object]) -> None:
    for seed in REPORT_SEEDS:
        c = grid_setting(seed, suspension)
        assert {k: getattr(c, k) for k in expected} == expected
        others = {k: v for k, v in _knobs(c).items() if k not in expected}
        assert others == {k: v for k, v in _knobs(randomised_config(seed)).items() if k in others}
    assert grid_setting(2001) == grid_setting(2001, "sampled") == randomised_config(2001)


def test_unknown_suspension_mode_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown suspension mode"):
        grid_setting(2001, "monthly")


def test_grid_profile_is_mid_size() -> None:
    g = PROFILES["grid"]
    assert 2000 <= g.accounts <= 3000 and g.posts == 20000 and g.days == 120
    # its realism knobs are those of the defaults: the grid draws them
    assert (g.lookalike_name_share, g.rename_rate, g.newcomer_rate) == (0.0, 0.0, 0.0)


def test_default_profiles_keep_the_knobs_off() -> None:
    for name in ("census-2014", "small"):
        c = PROFILES[name]
        assert (c.lookalike_name_share, c.rename_rate, c.newcomer_rate) == (0.0, 0.0, 0.0)
        assert c.suspension_times_known is False and c.avatar_media_kept is True
        assert c.avatar_reuse_rate == 0.6 and c.lookup_every_days == 7


def test_a_randomised_config_gives_identical_bytes(tmp_path: Path) -> None:
    config = grid_setting(
        2002, "exact", base_profile="small", accounts=250, posts=1500, telegram_posts=100, days=60
    )
    assert config.newcomer_rate > 0 and config.suspension_times_known
    first, again = (run_sim(config, tmp_path / name, jobs=1).out for name in ("a", "b"))
    files = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file())
    assert "status/suspensions.csv" in files
    assert files == sorted(p.relative_to(again).as_posix() for p in again.rglob("*") if p.is_file())
    for name in files:
        assert (first / name).read_bytes() == (again / name).read_bytes(), name
    other = run_sim(dataclasses.replace(config, seed=2003), tmp_path / "c", jobs=1)
    assert (other.out / "marsad.jsonl").read_bytes() != (first / "marsad.jsonl").read_bytes()


# -- the CLI ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--suspension", "exact"], {"profile": "grid", "suspension_times_known": True}),
        (["--suspension", "weekly"], {"profile": "grid", "lookup_every_days": 7}),
        (["--profile", "small"], {"profile": "small"}),  # another base platform
    ],
)
def test_cli_randomise(tmp_path: Path, args: list[str], expected: dict[str, object]) -> None:
    out = tmp_path / "sim"
    result = CliRunner().invoke(
        main,
        ["simulate", str(out), "--randomise", "2004", "--accounts", "150", "--posts", "300"]
        + ["--formats", "marsad-jsonl", "--json", *args],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "ground_truth" / "config.json").read_text(encoding="utf-8"))
    config = doc["config"]
    assert config["seed"] == 2004 and config["accounts"] == 150
    for key, value in expected.items():
        assert config[key] == value, key
    base = expected["profile"]
    drawn = randomised_config(2004, str(base), accounts=150)
    assert config["rename_rate"] == drawn.rename_rate


def test_cli_refuses_a_seed_with_randomise(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["simulate", str(tmp_path), "--randomise", "2001", "--seed", "3"]
    )
    assert result.exit_code == 2
    assert "both set the seed" in result.output
