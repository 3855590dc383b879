"""Same seed and config, same bytes; another seed, other data; formats never change data."""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
from pathlib import Path

import pytest

from marsad.simulate import SimConfig, simulate
from tests.simulate.helpers import TINY, Sim, run_sim


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_identical_bytes(tiny: Sim, tmp_path: Path) -> None:
    again = _files(run_sim(TINY, tmp_path / "again", jobs=1).out)
    first = _files(tiny.out)
    assert sorted(first) == sorted(again)
    for name, content in first.items():
        assert content == again[name], f"{name} differs between two runs with the same seed"


@pytest.mark.parametrize(
    "change",
    [
        {"seed": TINY.seed + 1},  # another seed
        {"covert_share": 0.3},  # another population
        {"suspension_scale_days": 10.0},  # another suspension model
    ],
)
def test_other_config_gives_other_data(
    tiny: Sim, tmp_path: Path, change: dict[str, object]
) -> None:
    other = run_sim(dataclasses.replace(TINY, **change), tmp_path / "other", jobs=1)
    for name in ("x_v2_tweets.jsonl", "marsad.jsonl", "ground_truth/accounts.csv"):
        assert (other.out / name).read_bytes() != (tiny.out / name).read_bytes(), name


def test_subset_of_formats_writes_the_same_files(tiny: Sim, tmp_path: Path) -> None:
    # what is generated never depends on what is written
    only = tmp_path / "only"
    summary = simulate(TINY, only, formats=["x-v2"], jobs=1)
    assert {f for _, f in summary.inputs} == {"x-v2"}
    assert not (only / "marsad.jsonl").exists() and not (only / "telegram").exists()
    for name in ("x_v2_tweets.jsonl", "x_v2_users.jsonl", "x_v2_followers.jsonl"):
        assert (only / name).read_bytes() == (tiny.out / name).read_bytes(), name
    assert (only / "ground_truth/accounts.csv").read_bytes() == (
        tiny.out / "ground_truth/accounts.csv"
    ).read_bytes()


@pytest.mark.skipif("fork" not in mp.get_all_start_methods(), reason="needs fork")
def test_second_process_writes_the_same_files(tiny: Sim, tmp_path: Path) -> None:
    split = run_sim(TINY, tmp_path / "split", jobs=2)
    assert _files(split.out) == _files(tiny.out)


def test_summary_matches_files(tiny: Sim) -> None:
    s = tiny.summary
    assert [(p.name, f) for p, f in s.inputs] == [
        ("x_v2_tweets.jsonl", "x-v2"),
        ("x_v2_users.jsonl", "x-v2"),
        ("x_v2_followers.jsonl", "x-v2"),
        ("result.json", "telegram"),
        ("marsad.jsonl", "marsad-jsonl"),
    ]
    x_rows = [r for r in tiny.accounts if r["platform"] == "x"]
    assert s.accounts == len(x_rows)
    assert s.successors == len(tiny.lineage) == sum(1 for r in x_rows if r["predecessor_id"])
    assert s.suspended == sum(1 for r in x_rows if r["suspended_at"])
    assert s.posts == TINY.posts == sum(int(r["posts"]) for r in x_rows)
    assert s.telegram_posts == TINY.telegram_posts
    tweets = sum(len(page.get("data", [])) for page in tiny.lines("x_v2_tweets.jsonl"))
    assert tweets == s.posts
    assert s.as_dict()["inputs"][0]["format"] == "x-v2"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"formats": ["x-v3"]}, "unknown simulation format"),  # a format nobody reads
    ],
)
def test_bad_call_is_refused(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    from marsad.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        simulate(SimConfig.from_profile("small"), tmp_path, **kwargs)  # type: ignore[arg-type]


@pytest.mark.skipif("fork" not in mp.get_all_start_methods(), reason="needs fork")
def test_a_failing_writer_process_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from marsad.errors import MarsadError
    from marsad.simulate import marsad_jsonl

    def broken(self: object, rows: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(
        marsad_jsonl.MarsadJsonlWriter, "write_slice", broken
    )  # the child inherits it
    with pytest.raises(
        MarsadError, match=r"second writer process .* failed .*RuntimeError: disk full"
    ):
        simulate(TINY, tmp_path, jobs=2)
