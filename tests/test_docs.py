"""Tests of the docs: every CLI command has help with an example and is in the README."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from marsad.cli import main
from marsad.config import SETTINGS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(main.commands)


def test_readme_starts_with_the_two_commands() -> None:
    first_block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", README, re.S)
    assert first_block is not None
    assert "make demo" in first_block.group(1) and "make test" in first_block.group(1)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help_with_example(name: str) -> None:
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"`marsad {name} --help` shows no example"


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_in_readme(name: str) -> None:
    assert f"marsad {name}" in README, f"`marsad {name}` is not documented in README.md"


def test_commands_are_click_commands() -> None:
    assert all(isinstance(c, click.Command) for c in main.commands.values())


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_setting_is_in_readme(name: str) -> None:
    assert f"`{SETTINGS[name].env}`" in README, f"{SETTINGS[name].env} is not in README.md"


def test_the_section_option_lists_every_census_section() -> None:
    from marsad.census.compute import SECTIONS
    from marsad.cli.census import CENSUS_SECTIONS

    assert CENSUS_SECTIONS == SECTIONS
