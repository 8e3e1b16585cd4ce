"""One place that turns leadgate errors into messages and exit codes for the command line."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from leadgate.errors import LeadgateError

P = ParamSpec("P")
R = TypeVar("R")

err = Console(stderr=True, highlight=False, soft_wrap=True)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Print a LeadgateError's problems to stderr and exit with its code (no traceback)."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except LeadgateError as exc:
            noun = "problem" if len(exc.problems) == 1 else "problems"
            err.print(f"[bold red]error[/]: {len(exc.problems)} {noun}", markup=True)
            for problem in exc.problems:
                err.print(f"  {problem}", markup=False)
            raise typer.Exit(exc.exit_code) from None

    return run
