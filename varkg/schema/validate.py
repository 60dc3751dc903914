"""Validate an Arrow table against a node or edge type, reporting every failure by name.

Check names follow ``{Type}.{column}.{check}`` (bioframe's named validators), e.g.
``Variant.pos.type`` or ``Gene.id.not_null``; row numbers are 0-based within the table.
``conform_*`` returns a table cast to the canonical column types, ready for a store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from varkg.errors import SchemaError, ValidationError
from varkg.schema.model import EdgeSpec, NodeSpec, Property, Schema, load_schema
from varkg.schema.types import arrow_type

ENDPOINT_COLUMNS = ("src", "dst")
_MAX_ROWS_SHOWN = 5


@dataclass(frozen=True)
class Failure:
    """One failed named check."""

    check: str
    message: str
    rows: tuple[int, ...] = ()

    def __str__(self) -> str:
        rows = ""
        if self.rows:
            shown = ", ".join(map(str, self.rows[:_MAX_ROWS_SHOWN]))
            more = f" (+{len(self.rows) - _MAX_ROWS_SHOWN} more)" if len(self.rows) > _MAX_ROWS_SHOWN else ""
            rows = f" at rows {shown}{more}"
        return f"{self.check}: {self.message}{rows}"


def _castable(src: pa.DataType, dst: pa.DataType) -> bool:
    if src.equals(dst) or pa.types.is_null(src):
        return True
    if pa.types.is_integer(dst):
        return pa.types.is_integer(src)
    if pa.types.is_floating(dst):
        return pa.types.is_integer(src) or pa.types.is_floating(src)
    if pa.types.is_string(dst):
        return (
            pa.types.is_string(src)
            or pa.types.is_large_string(src)
            or pa.types.is_dictionary(src)
            and pa.types.is_string(src.value_type)
        )
    if pa.types.is_timestamp(dst):
        return pa.types.is_timestamp(src) or pa.types.is_date(src)
    if pa.types.is_boolean(dst):
        return pa.types.is_boolean(src)
    if pa.types.is_fixed_size_list(dst):
        return (
            pa.types.is_fixed_size_list(src)
            and src.list_size == dst.list_size
            or pa.types.is_list(src)
            or pa.types.is_large_list(src)
        ) and (pa.types.is_floating(src.value_type) or pa.types.is_integer(src.value_type))
    if pa.types.is_list(dst):
        return (pa.types.is_list(src) or pa.types.is_large_list(src) or pa.types.is_fixed_size_list(src)) and _castable(
            src.value_type, dst.value_type
        )
    return False


def _null_rows(col: pa.ChunkedArray) -> tuple[int, ...]:
    if col.null_count == 0:
        return ()
    mask = pc.is_null(col)
    return tuple(int(i) for i in pc.indices_nonzero(mask).to_pylist())


def _check_columns(
    type_name: str,
    table: pa.Table,
    props: dict[str, Property],
    required: set[str],
    failures: list[Failure],
) -> dict[str, pa.DataType]:
    targets: dict[str, pa.DataType] = {}
    for name in table.column_names:
        if name in ENDPOINT_COLUMNS and name not in props:
            continue
        prop = props.get(name)
        if prop is None:
            failures.append(
                Failure(
                    f"{type_name}.{name}.known",
                    f"column {name!r} is not a property of {type_name}; expected some of {sorted(props)}",
                )
            )
            continue
        want = arrow_type(prop)
        got = table.schema.field(name).type
        if not _castable(got, want):
            failures.append(Failure(f"{type_name}.{name}.type", f"has type {got}, expected {want} ({prop.kind})"))
            continue
        targets[name] = want
    for name in sorted(required):
        if name not in table.column_names:
            failures.append(Failure(f"{type_name}.{name}.present", f"required column {name!r} is missing"))
        else:
            rows = _null_rows(table.column(name))
            if rows:
                failures.append(Failure(f"{type_name}.{name}.not_null", f"{len(rows)} null value(s)", rows))
    return targets


def _cast(type_name: str, table: pa.Table, targets: dict[str, pa.DataType], failures: list[Failure]) -> pa.Table:
    cols = {}
    for name in table.column_names:
        col = table.column(name)
        want = targets.get(name)
        if want is not None and not col.type.equals(want):
            try:
                if pa.types.is_fixed_size_list(want) and not pa.types.is_fixed_size_list(col.type):
                    lengths = pc.list_value_length(col)
                    bad = pc.indices_nonzero(pc.fill_null(pc.not_equal(lengths, want.list_size), False)).to_pylist()
                    if bad:
                        failures.append(
                            Failure(f"{type_name}.{name}.dim", f"vectors must have {want.list_size} values", tuple(bad))
                        )
                        continue
                    col = col.cast(pa.list_(pa.float32())).cast(want)
                else:
                    col = col.cast(want)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                failures.append(Failure(f"{type_name}.{name}.type", f"cannot cast to {want}: {exc}"))
                continue
        cols[name] = col
    return pa.table(cols) if cols else table


def _duplicate_rows(table: pa.Table, columns: list[str]) -> tuple[int, ...]:
    if table.num_rows == 0:
        return ()
    if len(columns) == 1:
        if len(pc.unique(table.column(columns[0]))) == table.num_rows:
            return ()
    elif table.select(columns).group_by(columns, use_threads=False).aggregate([]).num_rows == table.num_rows:
        return ()  # fast path: no duplicates, no per-row bookkeeping
    idx = pa.array(range(table.num_rows), pa.int64())
    t = table.select(columns).append_column("__row", idx)
    g = t.group_by(columns, use_threads=False).aggregate([("__row", "count"), ("__row", "min")])
    dup = g.filter(pc.greater(g.column("__row_count"), 1))
    return tuple(sorted(dup.column("__row_min").to_pylist()))


def validate_nodes(
    table: pa.Table, node_type: str, *, schema: Schema | None = None, mode: Literal["strict", "report"] = "strict"
) -> tuple[pa.Table, list[Failure]]:
    """Check ``table`` against node type ``node_type`` and cast it to canonical types.

    Args:
        table: one row per node; must contain the key column, may contain any subset of properties.
        node_type: a node label of the schema.
        mode: ``"strict"`` raises :class:`ValidationError` listing every failure;
            ``"report"`` returns them.

    Returns:
        ``(conformed_table, failures)``.
    """
    schema = schema or load_schema()
    spec: NodeSpec = schema.node(node_type)
    failures: list[Failure] = []
    present_required = {
        p.name for p in spec.properties.values() if p.required and (p.name == spec.key or p.name in table.column_names)
    }
    present_required.add(spec.key)
    targets = _check_columns(node_type, table, spec.properties, present_required, failures)
    out = _cast(node_type, table, targets, failures)
    if spec.key in table.column_names and not failures:
        dups = _duplicate_rows(out, [spec.key])
        if dups:
            failures.append(Failure(f"{node_type}.{spec.key}.unique", f"{len(dups)} duplicated key(s)", dups))
    if failures and mode == "strict":
        raise ValidationError(node_type, [str(f) for f in failures])
    return out, failures


def validate_edges(
    table: pa.Table,
    edge_type: str,
    *,
    src_type: str,
    dst_type: str,
    schema: Schema | None = None,
    mode: Literal["strict", "report"] = "strict",
) -> tuple[pa.Table, list[Failure]]:
    """Check an edge table (columns ``src``, ``dst`` = endpoint keys, plus properties).

    The endpoint pair must be allowed by the schema; ``src``, ``dst`` and the edge's key
    properties must be non-null, and the identity ``(src, dst, *key)`` unique in the table.
    """
    schema = schema or load_schema()
    try:
        spec: EdgeSpec = schema.check_endpoints(edge_type, src_type, dst_type)
    except SchemaError:
        if mode == "strict":
            raise
        return table, [Failure(f"{edge_type}.endpoints", f"{src_type}->{dst_type} not allowed")]
    failures: list[Failure] = []
    props = dict(spec.properties)
    required = {"src", "dst", *spec.key}
    for col in ENDPOINT_COLUMNS:
        props_col = Property(name=col, kind="string", required=True)
        props[col] = props_col
    targets = _check_columns(edge_type, table, props, required, failures)
    out = _cast(edge_type, table, targets, failures)
    if not failures:
        dups = _duplicate_rows(out, ["src", "dst", *spec.key])
        if dups:
            failures.append(
                Failure(
                    f"{edge_type}.identity.unique",
                    f"{len(dups)} duplicated (src, dst{''.join(', ' + k for k in spec.key)})",
                    dups,
                )
            )
    if failures and mode == "strict":
        raise ValidationError(edge_type, [str(f) for f in failures])
    return out, failures


def check_new_nodes_complete(new: pa.Table, node_type: str, *, schema: Schema | None = None) -> None:
    """Raise if rows that would create nodes lack a required property.

    A partial table may update existing nodes (only its columns are set), but a new node needs
    every required property (e.g. a Variant's assembly, chrom, pos, ref and alt).
    """
    if new.num_rows == 0:
        return
    schema = schema or load_schema()
    spec = schema.node(node_type)
    absent = [p.name for p in spec.properties.values() if p.required and p.name not in new.column_names]
    if absent:
        keys = new.column(spec.key).to_pylist()[:_MAX_ROWS_SHOWN]
        raise ValidationError(
            node_type,
            [
                f"{node_type}.{name}.present: required to create new nodes; {new.num_rows} row(s) are not in the graph yet, "
                f"e.g. {keys}"
                for name in absent
            ],
        )
