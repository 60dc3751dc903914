"""What every command group shares: the ``--store`` state, consoles, the one error wrapper and the store context.

Commands call :func:`run_cli` (or decorate with :func:`cli_errors`): a :class:`~varkg.errors.VarkgError`
becomes ``error: <message>`` on stderr and exit status 1. Stores are opened with :func:`cli_store`,
which closes them when the block ends, also on errors.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from varkg.errors import VarkgError

console = Console(emoji=False)  # variant ids like GRCh38:X:... must not become emoji
# genotype inputs, the same in every command group that reads them (popgen, breed)
Bfile = Annotated[Path | None, typer.Option("--bfile", help="PLINK 1 prefix (.bed/.bim/.fam).")]
Tsv = Annotated[Path | None, typer.Option("--tsv", help="MSUPRP-style 0/1/2 TSV (animal x markers); needs --map.")]
MapOpt = Annotated[Path | None, typer.Option("--map", help="Marker map for --tsv: snp, chr, pos (1-based).")]

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


def option_group(name: str, factory: Callable[..., Any]) -> Callable[[Callable[..., _T]], Callable[..., _T]]:
    """Decorator: the options several commands share, declared once.

    ``factory``'s keyword parameters (annotated Typer options) become options of the decorated command,
    in the place of its parameter ``name``; the command receives ``name=factory(**their values)``.
    Every parameter of the command is keyword-only afterwards (Typer passes options by name).
    """
    group = list(inspect.signature(factory, eval_str=True).parameters.values())

    def decorate(fn: Callable[..., _T]) -> Callable[..., _T]:
        own = list(inspect.signature(fn, eval_str=True).parameters.values())
        if name not in {p.name for p in own}:
            raise TypeError(f"{fn.__name__} has no parameter {name!r} for the option group")
        clash = {p.name for p in own} & {p.name for p in group}
        if clash:
            raise TypeError(f"{fn.__name__} repeats options of the group {name!r}: {sorted(clash)}")
        params: list[inspect.Parameter] = []
        for p in own:
            params.extend(group if p.name == name else [p])
        keys = [p.name for p in group]

        @functools.wraps(fn)
        def wrapper(**kwargs: Any) -> _T:
            bundle = factory(**{k: kwargs.pop(k) for k in keys})
            return fn(**kwargs, **{name: bundle})

        kw = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params]
        wrapper.__signature__ = inspect.Signature(kw, return_annotation=inspect.Signature.empty)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in kw}
        return wrapper

    return decorate
