"""Reading the :class:`~varkg.loaders.base.LoadContext`: typed options, the assembly, the
reference genome and nodes already loaded in the store (read-only).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from varkg.errors import InputError
from varkg.loaders.base import LoadContext


def option(options: Mapping[str, Any], name: str, default: Any, *, choices: Sequence[Any] | None = None) -> Any:
    """Read an option (strings from the CLI are converted to the default's type)."""
    if name not in options or options[name] is None:
        return default
    value = options[name]
    if isinstance(default, bool) and isinstance(value, str):
        low = value.strip().lower()
        if low not in {"true", "false", "1", "0", "yes", "no"}:
            raise InputError(f"option {name}={value!r}: expected true or false", field=name)
        value = low in {"true", "1", "yes"}
    elif isinstance(default, int) and not isinstance(default, bool) and isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise InputError(f"option {name}={value!r}: expected an integer", field=name) from None
    elif isinstance(default, float) and isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise InputError(f"option {name}={value!r}: expected a number", field=name) from None
    if choices is not None and value not in choices:
        raise InputError(f"option {name}={value!r}: expected one of {list(choices)}", field=name)
    return value


def require_assembly(context: Any, loader: str) -> str:
    """The assembly from the load context; a clear error when none was given."""
    asm = context.assembly or context.options.get("assembly")
    if not asm:
        raise InputError(
            f"loader {loader!r} needs an assembly (e.g. --assembly GRCh38 or --assembly Sscrofa11.1)", field="assembly"
        )
    return str(asm)


def reference_of(context: LoadContext) -> Any | None:
    """The reference genome: ``context.reference`` or option ``reference=PATH`` (FASTA)."""
    if context.reference is not None:
        return context.reference
    path = option(context.options, "reference", "")
    if not path:
        return None
    from varkg.loaders.reference import ReferenceGenome

    return ReferenceGenome(Path(path), assembly=context.assembly)


def store_nodes(context: LoadContext, node_type: str, properties: Sequence[str]) -> pa.Table | None:
    """The loaded nodes of ``node_type`` with ``properties`` (None without a store or nodes)."""
    store = context.store
    if store is None:
        return None
    t = store.export_nodes(node_type, properties=list(properties))
    return t if t.num_rows else None


def assembly_nodes(context: LoadContext, node_type: str, properties: Sequence[str], *, assembly: str) -> pa.Table | None:
    """:func:`store_nodes` of ``assembly`` only (``assembly`` is added to ``properties``); None when there are none."""
    t = store_nodes(context, node_type, ["assembly", *properties])
    if t is None:
        return None
    import pyarrow.compute as pc

    t = t.filter(pc.equal(t.column("assembly"), assembly))
    return t if t.num_rows else None
