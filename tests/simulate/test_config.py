"""SimConfig: profiles, overrides, validation and its JSON form."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

import pytest

from marsad.errors import ConfigError
from marsad.simulate import PROFILES, SimConfig


def test_profiles() -> None:
    assert {"census-2014", "small"} <= set(PROFILES)
    assert SimConfig() == PROFILES["census-2014"]
    for name, config in PROFILES.items():
        assert config.profile == name


def test_census_defaults_are_the_census_figures() -> None:
    c = SimConfig()
    assert dict(c.covert_languages) == {"ar": 0.73, "en": 0.18, "fr": 0.06, "other": 0.03}
    assert dict(c.covert_clients) == {
        "Twitter for Android": 0.69,
        "Twitter for iPhone": 0.30,
        "Twitter for BlackBerry®": 0.01,
    }
    assert c.covert_followers_mean == 1000
    assert (c.seed, c.accounts, c.posts, c.days) == (7, 5000, 50000, 180)
    assert c.start.isoformat() == "2015-01-01T00:00:00+00:00"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"seed": 3}, {"seed": 3}),  # a plain override
        (
            {"accounts": 10, "posts": None},
            {"accounts": 10, "posts": 6000},
        ),  # None keeps the profile's
        ({}, {"accounts": 600}),  # no override: the profile itself
    ],
)
def test_from_profile(overrides: dict[str, object], expected: dict[str, object]) -> None:
    config = SimConfig.from_profile("small", **overrides)
    for key, value in expected.items():
        assert getattr(config, key) == value


@pytest.mark.parametrize(
    ("profile", "overrides", "message"),
    [
        ("census-2099", {}, "unknown simulation profile"),  # no such profile
        ("small", {"followers": 3}, "unknown simulation setting"),  # no such field
    ],
)
def test_bad_profile_calls_are_refused(
    profile: str, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        SimConfig.from_profile(profile, **overrides)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"accounts": 0}, "accounts must be at least 1"),  # an empty platform
        ({"posts": -1}, "posts must not be negative"),  # a negative size
        ({"covert_share": 1.5}, r"covert_share must be in \[0, 1\]"),  # not a share
        ({"covert_share": 0.6, "news_share": 0.5}, "must not exceed 1"),  # shares over 1
        ({"covert_languages": (("ar", 0.5),)}, "must add up to 1"),  # half the shares missing
        ({"covert_languages": (("xx", 1.0),)}, "no templates"),  # a language it cannot write
        ({"other_languages": ("zz",)}, "no templates"),  # ditto behind "other"
        ({"covert_roles": (("boss", 1.0),)}, "unknown role"),  # no such role
        ({"start": datetime(2015, 1, 1)}, "timezone-aware"),  # a naive time
        ({"suspension_shape": 0.0}, "suspension_shape must be positive"),  # no Weibull
        ({"outlets": ()}, "at least one outlet"),  # a covert network with no brand
        ({"lookup_every_days": -7}, "lookup_every_days must not be negative"),  # 0 is the least
        ({"avatar_reuse_rate": 1.5}, r"avatar_reuse_rate must be in \[0, 1\]"),  # not a chance
        ({"lookalike_name_share": -0.1}, r"lookalike_name_share must be in"),  # not a share
        ({"rename_rate": 2.0}, r"rename_rate must be in \[0, 1\]"),  # not a share
        ({"newcomer_rate": -1.0}, "newcomer_rate must be a non-negative"),  # accounts leave
        ({"newcomer_rate": float("nan")}, "newcomer_rate must be a non-negative"),  # no number
        ({"suspension_times_known": "yes"}, "must be true or false"),  # a string, not a flag
    ],
)
def test_bad_configs_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SimConfig(**fields)  # type: ignore[arg-type]


def test_lookup_every_0_days_is_allowed() -> None:
    assert SimConfig(lookup_every_days=0).lookup_every_days == 0


def test_to_dict_is_json_and_complete() -> None:
    config = SimConfig.from_profile("small", seed=11)
    doc = json.loads(json.dumps(config.to_dict()))
    assert set(doc) == {f.name for f in dataclasses.fields(SimConfig)}
    assert doc["seed"] == 11 and doc["start"] == "2015-01-01T00:00:00Z"
    assert doc["covert_languages"][0] == ["ar", 0.73]
