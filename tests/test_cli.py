"""The command line as a whole: every command has help and is documented."""

from __future__ import annotations

import click

from borderwatch.cli import main
from tests.support.config import REPO


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        found.append((full, command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, f"{full} "))
    return found


def test_every_command_has_help_text(runner) -> None:
    for name, command in _commands(main):
        assert command.help, f"{name} has no help text"
        result = runner.invoke(main, [*name.split(), "--help"])
        assert result.exit_code == 0, name
        assert command.help.split("\n")[0].strip() in " ".join(result.output.split())


def test_every_command_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8") + (
        "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "docs").glob("*.md"))
    )
    missing = [name for name, _ in _commands(main) if f"borderwatch {name}" not in readme]
    assert not missing, f"not documented: {missing}"


def test_foundation_commands_exist() -> None:
    assert {"collect", "ingest", "run", "demo"} <= set(main.commands)
