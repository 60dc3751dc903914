"""Neo4j 5 backend through the official ``neo4j`` driver.

* credentials from ``NEO4J_USER`` / ``NEO4J_PASSWORD`` (never in code), database from ``NEO4J_DATABASE``;
* writes: batched ``UNWIND $rows AS row MERGE ... SET ...`` inside one managed write transaction per
  upsert call (``session.execute_write`` retries transient failures), so a failed call leaves the
  graph unchanged;
* reads: routed as READ (``execute_query(..., routing_=READ)``);
* constraints, range and vector indexes from the schema (:func:`varkg.schema.ddl.neo4j_ddl`);
* first loads of large graphs: :meth:`Neo4jStore.write_bulk_import` writes ``neo4j-admin database
  import`` CSVs plus the exact command.

All statement texts come from :mod:`varkg.store.neo4j_cypher` and are linted in the test suite.
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varkg.errors import StoreError, StoreUnavailable
from varkg.faults import fault_point
from varkg.schema import Schema, load_schema
from varkg.schema.ddl import neo4j_ddl
from varkg.schema.model import PROVENANCE_PROPERTY
from varkg.schema.types import arrow_type
from varkg.schema.validate import check_new_nodes_complete, validate_edges, validate_nodes
from varkg.store import neo4j_cypher as cy
from varkg.store._diff import changed_rows, match_existing, repeat_list
from varkg.store.base import EdgeBatch, GraphStore, UpsertResult, check_vector, dangling_edge_error, edge_index
from varkg.store.cypher_guard import assert_read_only

BATCH = 10_000


def _one_line(exc: BaseException) -> str:
    """The driver's message on one line (its connection errors span several)."""
    return " ".join(str(exc).split())


class Neo4jStore(GraphStore):
    """A :class:`~varkg.store.base.GraphStore` on a Neo4j 5 server.

    Args:
        uri: ``bolt://host:7687`` or ``neo4j://host:7687`` (``+s``/``+ssc`` for TLS).
        read_only: refuse writes.
        schema: the schema (default: packaged).
    """

    def __init__(self, uri: str, *, read_only: bool = False, schema: Schema | None = None) -> None:
        import neo4j

        self.schema = schema or load_schema()
        self.location = uri
        self.read_only = read_only
        self.database = os.environ.get("NEO4J_DATABASE", "neo4j")
        user = os.environ.get("NEO4J_USER", "neo4j")
        password = os.environ.get("NEO4J_PASSWORD")
        if password is None:
            raise StoreUnavailable(f"NEO4J_PASSWORD is not set; export NEO4J_USER and NEO4J_PASSWORD to connect to {uri}")
        try:
            # server notifications (e.g. "label does not exist yet" on an empty graph) are not errors
            self._driver = neo4j.GraphDatabase.driver(uri, auth=(user, password), notifications_min_severity="OFF")
            self._driver.verify_connectivity()
        except neo4j.exceptions.AuthError:
            raise StoreUnavailable(
                f"Neo4j at {uri} refused the credentials of user {user!r}; check NEO4J_USER and NEO4J_PASSWORD"
            ) from None
        except Exception as exc:  # the driver raises several unrelated types here
            raise StoreUnavailable(f"cannot reach Neo4j at {uri}: {_one_line(exc)}") from None
        self._neo4j = neo4j
        self._tx: Any = None

    # ------------------------------------------------------------------ basics
    def close(self) -> None:
        self._driver.close()

    def _read(self, text: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        with self._driver_errors("Neo4j rejected the query"):
            if self._tx is not None:  # inside transaction(): reads must see its uncommitted writes
                res = self._tx.run(text, dict(params or {}))
                keys = res.keys()
                return _to_arrow(keys, [r.values() for r in res])
            records, _, keys = self._driver.execute_query(
                text, dict(params or {}), database_=self.database, routing_=self._neo4j.RoutingControl.READ
            )
        return _to_arrow(keys, [r.values() for r in records])

    @contextlib.contextmanager
    def _driver_errors(self, failed: str, lost: str = "") -> Iterator[None]:
        """Driver exceptions of the block as varkg errors: a server error as StoreError (``failed``:
        its message), a lost connection as StoreUnavailable (``lost`` says what became of the work)."""
        try:
            yield
        except self._neo4j.exceptions.Neo4jError as exc:
            raise StoreError(f"{failed}: {exc.message}") from None
        except self._neo4j.exceptions.DriverError as exc:
            raise StoreUnavailable(f"lost the connection to Neo4j at {self.location}{lost}: {_one_line(exc)}") from None

    def _write(self, work) -> Any:
        self._require_writable()
        if self._tx is not None:
            return work(self._tx)  # errors surface at the commit of transaction()
        with (
            self._driver_errors("Neo4j write failed and was rolled back", " (the write was not committed)"),
            self._driver.session(database=self.database) as s,
        ):
            return s.execute_write(work)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One explicit Neo4j transaction around several upserts (a whole load with
        ``atomic="load"``): committed at the end, rolled back on any error. Nested calls join it."""
        if self._tx is not None:
            yield
            return
        self._require_writable()
        session = self._driver.session(database=self.database)
        try:
            with self._driver_errors("Neo4j transaction failed and was rolled back", " (nothing was committed)"):
                self._tx = session.begin_transaction()
                try:
                    yield
                    fault_point("commit")  # crash tests: a SIGKILL here (or, with a delay, during the COMMIT)
                    self._tx.commit()
                except BaseException:
                    with contextlib.suppress(Exception):
                        self._tx.rollback()
                    raise
        finally:
            self._tx = None
            session.close()

    # ------------------------------------------------------------------ schema
    def init_schema(self) -> None:
        """Apply constraints and indexes and record the schema version and hash."""
        for stmt in neo4j_ddl(self.schema):
            self._write(lambda tx, s=stmt: tx.run(s).consume())
        self.upsert_nodes(
            "SchemaInfo",
            pa.table(
                {
                    "id": ["schema"],
                    "version": [self.schema.version],
                    "hash": [self.schema.hash],
                    "created_at": pa.array([datetime.now(UTC).replace(tzinfo=None)], pa.timestamp("us")),
                }
            ),
        )

    def schema_info(self) -> dict[str, Any] | None:
        t = self._read(cy.all_statements(self.schema)[-1].text)
        return t.to_pylist()[0] if t.num_rows else None

    # ------------------------------------------------------------------ queries
    def query(self, cypher: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        assert_read_only(cypher)
        return self._read(cypher, params)

    def execute(self, cypher: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        def work(tx):
            res = tx.run(cypher, dict(params or {}))
            keys = res.keys()
            return keys, [r.values() for r in res]

        keys, rows = self._write(work)
        return _to_arrow(keys, rows)

    # ------------------------------------------------------------------ upserts
    # Each upsert is one write transaction that first reads what is stored (for the accounting and to
    # send only new/changed rows) and then writes, so the read and the write see the same graph.
    def _fetch(self, tx, st: cy.Statement, param: str, values: list[Any]) -> pa.Table:
        parts = []
        for i in range(0, len(values), BATCH):
            rows = tx.run(st.text, {param: values[i : i + BATCH]}).single(strict=True)["rows"]
            parts.append(_to_arrow(st.columns, rows))
        parts = [p for p in parts if p.num_rows]
        return pa.concat_tables(parts, promote_options="permissive") if parts else pa.table({})

    @staticmethod
    def _send(tx, parts: list[tuple[cy.Statement, pa.Table]], dataset: str | None) -> list[int]:
        """Run each statement over its rows in batches; the number of rows each one wrote."""
        written = []
        for st, t in parts:
            rows, n = t.to_pylist(), 0  # Arrow timestamps arrive as datetime: the driver sends them as is
            for i in range(0, len(rows), BATCH):
                fault_point("copy")  # crash tests: the batched write statement (Neo4j's COPY) starts
                n += tx.run(st.text, {"rows": rows[i : i + BATCH], "dataset": dataset}).single(strict=True)["n"]
            written.append(n)
        return written

    def upsert_nodes(self, node_type: str, table: pa.Table, *, dataset: str | None = None) -> UpsertResult:
        """Insert new nodes and update changed ones (unchanged rows are not sent); one transaction."""
        spec = self.schema.node(node_type)
        t, _ = validate_nodes(table, node_type, schema=self.schema)
        if t.num_rows == 0:
            return UpsertResult(node_type)
        self._require_writable()
        key = spec.key
        cols = [c for c in t.column_names if c not in (key, PROVENANCE_PROPERTY)]
        st = cy.existing_nodes(self.schema, node_type, [key, *cols, PROVENANCE_PROPERTY])
        types = {"k": pa.string()} | {c: arrow_type(spec.properties[c]) for c in [*cols, PROVENANCE_PROPERTY]}

        def work(tx) -> UpsertResult:
            existing = _conform(self._fetch(tx, st, "keys", t.column(key).to_pylist()), types)
            is_new = ~np.asarray(
                pc.is_in(t.column(key), value_set=existing.column("k")).to_numpy(zero_copy_only=False), dtype=bool
            )
            new = t.filter(pa.array(is_new))
            check_new_nodes_complete(new, node_type, schema=self.schema)
            if dataset is not None:
                new = new.drop_columns([c for c in new.column_names if c == PROVENANCE_PROPERTY]).append_column(
                    PROVENANCE_PROPERTY, repeat_list(dataset, new.num_rows)
                )
            old = t.filter(pa.array(~is_new))
            changed, unchanged = (old, 0)
            if old.num_rows:
                ex = existing.take(pc.index_in(old.column(key), value_set=existing.column("k")))
                changed, unchanged = changed_rows(old, ex, cols, dataset)
            self._send(
                tx, [(cy.upsert_nodes(self.schema, node_type, p.column_names), p) for p in (new, changed) if p.num_rows], dataset
            )
            return UpsertResult(node_type, inserted=new.num_rows, updated=changed.num_rows, unchanged=unchanged)

        return self._write(work)

    def _absent(self, keys: list[Any], node_type: str) -> list[Any]:
        st = cy.missing_nodes(self.schema, node_type)
        out: list[Any] = []
        for i in range(0, len(keys), BATCH):
            out += [r[0] for r in self._read(st.text, {"keys": keys[i : i + BATCH]}).column("rows")[0].as_py()]
        return out

    def _write_edges(self, batch: EdgeBatch) -> UpsertResult:
        """:meth:`GraphStore.upsert_edges` after validation, in one transaction.

        New edges are ``CREATE``d and changed ones updated by element id, both after reading the stored
        edges between the same endpoint pairs inside the same transaction (see
        :func:`~varkg.store.neo4j_cypher.create_edges` for why not ``MERGE``). Like the embedded store,
        one writer at a time per edge type: Community Neo4j has no relationship key constraint to stop
        two concurrent writers from both creating the same edge."""
        t, spec, edge_type = batch.table, batch.spec, batch.spec.name
        src_type, dst_type, dataset, missing = batch.src_type, batch.dst_type, batch.dataset, batch.missing
        ok = np.ones(t.num_rows, dtype=bool)
        # missing="error": endpoints are checked after the CREATE (it writes fewer rows than it was sent
        # when one is absent), which saves two lookups per call on the common path.
        for col, ntype in (("src", src_type), ("dst", dst_type)) if missing == "skip" else ():
            absent = self._absent(pc.unique(t.column(col)).to_pylist(), ntype)
            if absent:
                ok &= ~np.asarray(
                    pc.is_in(t.column(col), value_set=pa.array(absent, t.column(col).type)).to_numpy(zero_copy_only=False),
                    dtype=bool,
                )
        skipped = int((~ok).sum())
        t = t.filter(pa.array(ok))
        if t.num_rows == 0:
            return UpsertResult(edge_type, skipped=skipped)
        ident = ["src", "dst", *spec.key]
        props = [c for c in t.column_names if c not in ident and c != PROVENANCE_PROPERTY]
        # one lookup row per source node with its distinct destinations
        by_src = pa.table({"s": t.column("src"), "d": t.column("dst")}).group_by("s").aggregate([("d", "distinct")])
        srcs, dsts = by_src.column("s").to_pylist(), by_src.column("d_distinct").to_pylist()
        groups = [{"src": s, "dst": d} for s, d in zip(srcs, dsts, strict=True)]
        st = cy.existing_edges(self.schema, edge_type, src_type, dst_type, [*spec.key, *props, PROVENANCE_PROPERTY])
        types = {"src": pa.string(), "dst": pa.string(), "eid": pa.string()} | {
            c: arrow_type(spec.properties[c]) for c in [*spec.key, *props, PROVENANCE_PROPERTY]
        }

        def work(tx) -> UpsertResult:
            existing = _conform(self._fetch(tx, st, "groups", groups), types)
            is_new, ex_idx = match_existing(t, existing, ident)
            new = t.filter(pa.array(is_new))
            if dataset is not None:
                new = new.drop_columns([c for c in new.column_names if c == PROVENANCE_PROPERTY]).append_column(
                    PROVENANCE_PROPERTY, repeat_list(dataset, new.num_rows)
                )
            changed, unchanged = (t.filter(pa.array(~is_new)), 0)
            if ex_idx is not None and (~is_new).any():
                exo = existing.take(pc.drop_null(ex_idx.filter(pa.array(~is_new))))
                changed, unchanged = changed_rows(changed.append_column("eid", exo.column("eid")), exo, props, dataset)
            parts = []
            if new.num_rows:
                parts.append((cy.create_edges(self.schema, edge_type, src_type, dst_type, new.column_names), new))
            if changed.num_rows:
                parts.append((cy.update_edges(self.schema, edge_type, changed.column_names), changed))
            written = self._send(tx, parts, dataset)
            if new.num_rows and written[0] < new.num_rows:  # an endpoint is absent: fail, rolling back
                for col, ntype in (("src", src_type), ("dst", dst_type)):
                    keys = pc.unique(new.column(col)).to_pylist()
                    absent = self._fetch(tx, cy.missing_nodes(self.schema, ntype), "keys", keys)
                    if absent.num_rows:
                        raise dangling_edge_error(
                            edge_type,
                            src_type,
                            dst_type,
                            column=col,
                            node_type=ntype,
                            missing_keys=absent.column("k").to_pylist(),
                        )
                raise StoreError(f"{edge_type}: wrote {written[0]} of {new.num_rows} new edges; nothing was committed")
            return UpsertResult(edge_type, inserted=new.num_rows, updated=changed.num_rows, unchanged=unchanged, skipped=skipped)

        return self._write(work)

    # ------------------------------------------------------------------ deletes
    def delete_edges(self, edge_type: str, *, src_type: str, dst_type: str, where: Mapping[str, Any]) -> int:
        st = cy.delete_edges(self.schema, edge_type, src_type, dst_type, list(where))
        return int(self.execute(st.text, dict(where)).column("n")[0].as_py())

    def unset_node_properties(self, node_type: str, *, properties: Sequence[str], where: Mapping[str, Any]) -> int:
        st = cy.unset_node_properties(self.schema, node_type, list(properties), list(where))
        return int(self.execute(st.text, dict(where)).column("n")[0].as_py())

    # ------------------------------------------------------------------ export
    def export_nodes(self, node_type: str, *, properties: Sequence[str] | None = None) -> pa.Table:
        spec = self.schema.node(node_type)
        props = list(properties) if properties is not None else [p for p in spec.properties if p != spec.key]
        t = self._read(cy.export_nodes(self.schema, node_type, props).text)
        types = {c: arrow_type(spec.properties[c]) for c in [spec.key, *props]}
        return _conform(t, types)

    def export_edges(self, edge_type: str, *, src_type: str, dst_type: str, properties: Sequence[str] | None = None) -> pa.Table:
        spec = self.schema.check_endpoints(edge_type, src_type, dst_type)
        props = list(properties) if properties is not None else list(spec.properties)
        t = self._read(cy.export_edges(self.schema, edge_type, src_type, dst_type, props).text)
        types = {"src": pa.string(), "dst": pa.string()} | {p: arrow_type(spec.properties[p]) for p in props}
        return _conform(t, types)

    def export_edge_index(self, edge_type: str, *, src_type: str, dst_type: str) -> np.ndarray:
        return edge_index(self, edge_type, src_type=src_type, dst_type=dst_type)

    def nearest(self, node_type: str, *, property: str, vector: Sequence[float], k: int = 10) -> pa.Table:
        """``db.index.vector.queryNodes`` on the schema's vector index for ``node_type.property``."""
        check_vector(self.schema, node_type, property, vector, k)
        key = self.schema.node(node_type).key
        st = cy.vector_nearest(self.schema, node_type, property)
        t = self._read(st.text, {"v": [float(x) for x in vector], "k": int(k)})
        return pa.table(
            {
                key: t.column("k") if t.num_rows else pa.array([], pa.string()),
                "score": t.column("score").cast(pa.float64()) if t.num_rows else pa.array([], pa.float64()),
            }
        )

    def counts(self) -> dict[str, int]:
        out = {n: int(self._read(cy.count_nodes(n).text).column("n")[0].as_py()) for n in self.schema.nodes}
        for e in self.schema.edges.values():
            for s, d in e.endpoints:
                out[f"{s}-{e.name}->{d}"] = int(self._read(cy.count_edges(e.name, s, d).text).column("n")[0].as_py())
        return out

    # ------------------------------------------------------------------ bulk import
    def write_bulk_import(self, tables: Sequence[tuple[str, pa.Table, str | None, str | None]], out_dir: str | Path) -> str:
        """See :func:`write_bulk_import`."""
        return write_bulk_import(self.schema, tables, out_dir)


def _to_arrow(keys: Sequence[str], rows: Sequence[Sequence[Any]]) -> pa.Table:
    cols = {k: [r[i] for r in rows] for i, k in enumerate(keys)}
    out = {}
    for k, v in cols.items():
        v = [x.to_native() if hasattr(x, "to_native") else x for x in v]
        try:
            out[k] = pa.array(v)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            out[k] = pa.array([json.dumps(x, default=str) for x in v])
    return pa.table(out) if out else pa.table({})


def _conform(t: pa.Table, types: Mapping[str, pa.DataType]) -> pa.Table:
    cols = {}
    for c, typ in types.items():
        if c in t.column_names:
            col = t.column(c)
            cols[c] = col.cast(typ) if not pa.types.is_null(col.type) else pa.nulls(len(col), typ)
        else:
            cols[c] = pa.nulls(t.num_rows, typ)
    return pa.table(cols)


_CSV_TYPES = {
    "string": "string",
    "int": "long",
    "float": "double",
    "bool": "boolean",
    "timestamp": "localdatetime",
    "string_list": "string[]",
    "float_list": "double[]",
    "int_list": "long[]",
    "vector": "float[]",
}


def _csv_column(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """One column as ``neo4j-admin import`` reads it: arrays joined by ``;``, timestamps ISO 8601."""
    typ = col.type
    if pa.types.is_list(typ) or pa.types.is_large_list(typ) or pa.types.is_fixed_size_list(typ):
        return pc.binary_join(pc.cast(col, pa.list_(pa.string())), ";")
    if pa.types.is_timestamp(typ):
        return pc.strftime(col, format="%Y-%m-%dT%H:%M:%S")
    return col


def _write_csv(t: pa.Table, path: Path) -> None:
    """Data rows (no header) with Arrow's CSV writer: nulls as empty unquoted fields (no property),
    empty strings as ``""``, quotes doubled."""
    import pyarrow.csv as pcsv

    for c in t.column_names:
        col = t.column(c)
        if pa.types.is_list(col.type) or pa.types.is_large_list(col.type):
            n_empty = int(pc.sum(pc.equal(pc.list_value_length(col), 0)).as_py() or 0)
            if n_empty:
                logging.getLogger(__name__).warning(
                    "%s: %d empty list(s) in column %r will be absent after neo4j-admin import (its CSV has no empty array)",
                    path.name,
                    n_empty,
                    c,
                )
    body = pa.table({c: _csv_column(t.column(c)) for c in t.column_names})
    pcsv.write_csv(body, path, pcsv.WriteOptions(include_header=False, quoting_style="needed"))


def bulk_export(store: GraphStore, out_dir: str | Path) -> tuple[str, int]:
    """Every non-empty node and edge table of ``store`` (any backend) as ``neo4j-admin`` CSVs in
    ``out_dir``; returns the import command and the number of tables written."""
    tables: list[tuple[str, pa.Table, str | None, str | None]] = []
    for name in store.schema.nodes:
        t = store.export_nodes(name)
        if t.num_rows:
            tables.append((name, t, None, None))
    for e in store.schema.edges.values():
        for s, d in e.endpoints:
            t = store.export_edges(e.name, src_type=s, dst_type=d)
            if t.num_rows:
                tables.append((e.name, t, s, d))
    return write_bulk_import(store.schema, tables, out_dir), len(tables)


def write_bulk_import(schema: Schema, tables: Sequence[tuple[str, pa.Table, str | None, str | None]], out_dir: str | Path) -> str:
    """Write ``neo4j-admin database import`` CSVs (header file + data file per table) and return the command.

    Args:
        tables: ``(type, table, src_type, dst_type)``; ``src_type``/``dst_type`` None for nodes.
        out_dir: directory for the CSV files (created).

    Returns:
        The exact ``neo4j-admin database import full`` command line (arrays use ``;``). The same
        options are written one per line to ``out_dir/import.args`` for
        ``neo4j-admin database import full neo4j @import.args`` (and :meth:`Neo4jServer.admin_import`).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    args: list[str] = []
    for i, (name, table, src, dst) in enumerate(tables):
        if src is None:
            spec = schema.node(name)
            t, _ = validate_nodes(table, name, schema=schema)
            header = [
                f"{c}:ID({name})" if c == spec.key else f"{c}:{_CSV_TYPES[spec.properties[c].kind]}" for c in t.column_names
            ]
            stem = f"nodes_{i:03d}_{name}"
            flag = f"--nodes={name}={out / (stem + '_header.csv')},{out / (stem + '.csv')}"
        else:
            espec = schema.check_endpoints(name, src, dst or "")
            t, _ = validate_edges(table, name, src_type=src, dst_type=dst or "", schema=schema)
            header = []
            for c in t.column_names:
                if c == "src":
                    header.append(f":START_ID({src})")
                elif c == "dst":
                    header.append(f":END_ID({dst})")
                else:
                    header.append(f"{c}:{_CSV_TYPES[espec.properties[c].kind]}")
            stem = f"rels_{i:03d}_{name}_{src}_{dst}"
            flag = f"--relationships={name}={out / (stem + '_header.csv')},{out / (stem + '.csv')}"
        with open(out / f"{stem}_header.csv", "w", newline="") as fh:
            csv.writer(fh).writerow(header)
        _write_csv(t, out / f"{stem}.csv")
        args.append(flag)
    opts = [
        "--array-delimiter=;",
        "--multiline-fields=true",
        "--overwrite-destination=true",
        f"--report-file={out.resolve() / 'import.report'}",
        *args,
    ]
    # one argument per line: `neo4j-admin database import full neo4j @import.args` (picocli argument file)
    (out / "import.args").write_text("\n".join(opts) + "\n")
    # the database name goes first: after the last --relationships=... picocli would read it as one more file
    return (
        "neo4j-admin database import full neo4j --array-delimiter=';' --multiline-fields=true --overwrite-destination "
        + " ".join(args)
    )
