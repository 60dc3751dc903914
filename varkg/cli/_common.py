"""What every command group shares: the ``--store`` state, consoles, the one error wrapper and the store context.

Commands call :func:`run_cli` (or decorate with :func:`cli_errors`): a :class:`~varkg.errors.VarkgError`
becomes ``error: <message>`` on stderr and exit status 1. Stores are opened with :func:`cli_store`,
which closes them when the block ends, also on errors.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from varkg.errors import VarkgError

console = Console(emoji=False)  # variant ids like GRCh38:X:... must not become emoji
err_console = Console(stderr=True, soft_wrap=True, highlight=False, emoji=False)


class _State:
    """Global options of ``varkg`` (set by its callback)."""

    store: str | None = None
    quiet: bool = False


state = _State()


def open_cli_store(*, read_only: bool = False, location: str | None = None):
    """Open the store chosen by ``--store`` (or ``location``); callers close it (see :func:`cli_store`)."""
    from varkg.store import open_store

    return open_store(location if location is not None else state.store, read_only=read_only)


@contextlib.contextmanager
def cli_store(*, read_only: bool = False, init: bool = False, location: str | None = None) -> Iterator[Any]:
    """The store chosen by ``--store`` (or ``location``), closed when the block ends, also on errors.
    ``init``: create or migrate the schema first."""
    store = open_cli_store(read_only=read_only, location=location)
    try:
        if init:
            store.init_schema()
        yield store
    finally:
        store.close()


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` on stderr (the message verbatim: brackets are not markup) and
    return the ``typer.Exit`` to raise."""
    err_console.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


_T = TypeVar("_T")


def run_cli(fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
    """Run ``fn(*args, **kwargs)``, turning varkg errors into a one-line message and exit status 1.

    The one error wrapper of the CLI: commands call it, or use :func:`cli_errors` as a decorator."""
    try:
        return fn(*args, **kwargs)
    except VarkgError as exc:
        raise fail(str(exc)) from None


def cli_errors(fn: Callable[..., _T]) -> Callable[..., _T]:
    """Decorator form of :func:`run_cli` for a command function (keeps its signature for Typer)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> _T:
        return run_cli(fn, *args, **kwargs)

    return wrapper
