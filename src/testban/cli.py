"""The ``testban`` command line: thin wrappers that call library functions and print.

No seismology lives here: every command parses options, calls the same functions a
notebook would, and reports with Rich.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(
    name="testban",
    help="testban — an open International Data Centre for the nuclear-test ban.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        console.print(f"testban {version('testban')}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """testban — an open International Data Centre for the nuclear-test ban."""


@app.command()
def info(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to inspect.")],
    max_problems: Annotated[int, typer.Option(help="Print at most this many problems.")] = 200,
) -> None:
    """What waveform files, archives, station files or bulletins contain, and what failed."""
    from testban.io.describe import describe, summary_lines

    n_problems = 0
    for path in paths:
        with console.status(f"reading {path} …"):
            desc = describe(path)
        console.print(f"[bold]{path}[/bold]")
        for line in summary_lines(desc):
            console.print(f"  {line}", highlight=False, soft_wrap=True)
        for i, problem in enumerate(desc.problems):
            if i == max_problems:
                console.print(f"  … and {len(desc.problems) - max_problems} more problems")
                break
            console.print(f"  problem: {problem}", highlight=False, soft_wrap=True)
        if not desc.problems:
            console.print("  no read problems")
        n_problems += len(desc.problems)
    if n_problems:
        console.print(f"{n_problems} read problems in all")


def main() -> None:  # pragma: no cover - console entry point
    """Entry point for ``python -m testban``."""
    sys.exit(app())
