"""What options each loader takes: one declaration per loader, its docstring's ``Options:`` section.

Every loader documents its options once, in Google style, in its class (or module) docstring::

    Options:
        min_score (int): STRING combined_score cut-off, 0-1000 (default 0).
        id_map: id-mapping table(s), comma-separated.

and an ``Example:`` line. :func:`loader_options` parses that section into :class:`OptionSpec`
rows, ``varkg load --describe NAME`` prints them, and :func:`check_options` rejects a key the
loader does not declare (listing the valid ones) before anything is read. The suite checks the
declaration against the code: every option name a loader module reads must be declared
(``tests/loaders/test_options.py``), so the docstring cannot drift from what the loader does.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from varkg.errors import InputError
from varkg.loaders.base import Loader

UNIVERSAL_OPTIONS = frozenset({"assembly"})
"""Accepted by every loader (``--option assembly=...`` is the same as ``--assembly``)."""

RENAMED = {"gene_info": "id_map"}
"""Old option names and their new ones (refused with the new name)."""

_HEAD = re.compile(r"^(\s*)Options:\s*$")
_ITEM = re.compile(r"^(\s+)([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)(?:\s*\(([^)]*)\))?\s*:\s*(.*)$")
_SECTION = re.compile(r"^\s*[A-Z][A-Za-z ]+:\s*$")


@dataclass(frozen=True)
class OptionSpec:
    """One declared loader option: its name, the type/choices written in parentheses, its help."""

    name: str
    kind: str
    help: str


def _docs(cls: type[Loader]) -> list[str]:
    mod = sys.modules.get(cls.__module__)
    return [d for d in (inspect.getdoc(cls), inspect.getdoc(mod) if mod else None) if d]


def _parse(doc: str) -> tuple[list[OptionSpec], str | None]:
    lines = doc.splitlines()
    specs: list[OptionSpec] = []
    example = None
    for i, line in enumerate(lines):
        if line.strip() == "Example:" and i + 1 < len(lines):
            example = lines[i + 1].strip().strip("`")
        m = _HEAD.match(line)
        if not m:
            continue
        base = len(m.group(1))
        item_indent: int | None = None
        for nxt in lines[i + 1 :]:
            if not nxt.strip():
                continue
            indent = len(nxt) - len(nxt.lstrip())
            if indent <= base or _SECTION.match(nxt) and indent <= base:
                break
            it = _ITEM.match(nxt)
            if it and (item_indent is None or len(it.group(1)) == item_indent):
                item_indent = len(it.group(1))
                for name in it.group(2).split(","):  # "assay, biosample: ..." declares both
                    specs.append(OptionSpec(name.strip(), (it.group(3) or "").strip(), it.group(4).strip()))
            elif specs:
                last = specs[-1]
                specs[-1] = OptionSpec(last.name, last.kind, f"{last.help} {nxt.strip()}".strip())
    return specs, example


def loader_options(cls: type[Loader]) -> list[OptionSpec]:
    """The options ``cls`` declares (class docstring first, then its module's), in order."""
    seen: dict[str, OptionSpec] = {}
    for doc in _docs(cls):
        for s in _parse(doc)[0]:
            seen.setdefault(s.name, s)
    return list(seen.values())


def loader_example(cls: type[Loader]) -> str | None:
    """The ``Example:`` command of the loader's docstring, when it has one."""
    for doc in _docs(cls):
        ex = _parse(doc)[1]
        if ex:
            return ex
    return None


def check_options(cls: type[Loader], options: Mapping[str, object]) -> None:
    """Raise :class:`~varkg.errors.InputError` for an option key ``cls`` does not declare.

    >>> from varkg.loaders.base import get_loader
    >>> check_options(type(get_loader("markers")), {"chrom": "11"})
    >>> check_options(type(get_loader("markers")), {"chromosome": "11"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    varkg.errors.InputError: field 'chromosome': loader 'markers' has no option 'chromosome'; valid options: chrom ...
    """
    valid = {s.name for s in loader_options(cls)} | UNIVERSAL_OPTIONS
    for key in options:
        if key in RENAMED and RENAMED[key] in valid:
            raise InputError(f"option {key}= is now called {RENAMED[key]}: pass --option {RENAMED[key]}=...", field=key)
        if key not in valid:
            shown = sorted(valid - UNIVERSAL_OPTIONS) or ["none"]
            raise InputError(
                f"loader {cls.name!r} has no option {key!r}; valid options: {', '.join(shown)} "
                f"(see `varkg load --describe {cls.name}`)",
                field=key,
            )
