"""Every command has help text ending with an example, and the README names every command."""

from pathlib import Path

import click
import pytest

from migrate.cli import main

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def commands(group=main, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from commands(cmd, prefix + (name,))


ALL = list(commands())


def test_all_commands_are_registered():
    names = {" ".join(path) for path, _ in ALL}
    assert {"actions run", "classic run", "translate", "compare", "segment pull", "segment plan", "segment apply"} <= names


@pytest.mark.parametrize("path, cmd", ALL, ids=[" ".join(p) for p, _ in ALL])
def test_help_has_an_example_and_readme_mentions_it(path, cmd):
    assert cmd.help and "Example" in cmd.help, f"{' '.join(path)} has no Example in its help"
    assert f"amplitude-migrate {' '.join(path)}" in README


def test_readme_starts_with_the_two_commands():
    blocks = README.split("```")
    assert "amplitude-migrate compare" in blocks[1] and "pip install" in blocks[1]
    assert "pytest" in blocks[3]


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text(encoding="utf-8")
    test_command = README.split("```")[3].strip().removeprefix("sh").strip()
    assert test_command in ci
