"""The embedded default store: a Ladybug database file (the maintained fork of Kùzu).

Writes go through two fast paths: ``COPY`` of an Arrow table for new rows, and
``LOAD FROM <arrow table> MATCH ... SET ...`` for existing rows whose values changed.
Existing rows are found with ``LOAD FROM <keys> MATCH`` (a primary-key hash lookup; large
``IN $list`` predicates are quadratic in Ladybug and never used). Each upsert runs in one
transaction: a failure rolls it back and the graph is unchanged. ``transaction()`` groups
several upserts (a whole load) into one; :meth:`LadybugStore.release_memory` reopens the
database between transactions of a large load (see docs/loaders.md, "Memory").

Example:
    >>> import tempfile, pyarrow as pa
    >>> from varkg.store import open_store
    >>> store = open_store(tempfile.mkdtemp() + "/g.db")
    >>> store.init_schema()
    >>> store.upsert_nodes("Gene", pa.table({"id": ["ENSG00000141510"], "symbol": ["TP53"]})).inserted
    1
    >>> store.query("MATCH (g:Gene) RETURN g.symbol AS symbol").column("symbol").to_pylist()
    ['TP53']
    >>> store.close()
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varkg.errors import SchemaError, StoreError, StoreUnavailable, VarkgError
from varkg.faults import fault_point
from varkg.schema import Schema, load_schema
from varkg.schema.ddl import ladybug_ddl
from varkg.schema.model import PROVENANCE_PROPERTY
from varkg.schema.types import arrow_type, ladybug_type
from varkg.schema.validate import check_new_nodes_complete, validate_nodes
from varkg.store._diff import changed_rows as _changed_rows
from varkg.store._diff import match_existing, repeat_list
from varkg.store.base import EdgeBatch, GraphStore, UpsertResult, check_vector, dangling_edge_error, edge_index
from varkg.store.cypher_guard import assert_read_only


class LadybugStore(GraphStore):
    """A :class:`~varkg.store.base.GraphStore` on an embedded Ladybug database file.

    Args:
        path: database file (created if absent). A directory or a non-database file is refused.
        read_only: open without write access (queries only).
        schema: the schema to use (default: the packaged one).
        buffer_pool_mb: Ladybug's buffer pool in MiB (default ``$VARKG_LADYBUG_BUFFER_POOL_MB`` or
            Ladybug's own default, about 80 % of RAM, only touched as needed). It caches pages but
            also holds a transaction's uncommitted rows, which cannot be evicted: a cap below what one
            transaction writes fails it ("buffer pool is full"), so cap it only for
            ``atomic="batch"`` loads or small transactions. :meth:`release_memory` empties it.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        read_only: bool = False,
        schema: Schema | None = None,
        buffer_pool_mb: int | None = None,
    ) -> None:
        self.schema = schema or load_schema()
        self.path = Path(path)
        self.location = str(self.path)
        self.read_only = read_only
        if self.path.is_dir():
            raise StoreUnavailable(
                f"store path {str(self.path)!r} is a directory; expected a Ladybug database file (e.g. "
                f"{str(self.path / 'varkg.db')!r})"
            )
        if read_only and not self.path.exists():
            raise StoreUnavailable(f"store {str(self.path)!r} does not exist; create it with `varkg init --store {self.path}`")
        if not self.path.parent.exists():
            raise StoreUnavailable(f"cannot create store {str(self.path)!r}: directory {str(self.path.parent)!r} does not exist")
        try:
            if buffer_pool_mb is None and os.environ.get("VARKG_LADYBUG_BUFFER_POOL_MB"):
                buffer_pool_mb = int(os.environ["VARKG_LADYBUG_BUFFER_POOL_MB"])
            self._pool_bytes = int(buffer_pool_mb) * 1024 * 1024 if buffer_pool_mb else 0
            self._open()
        except RuntimeError as exc:
            raise open_error(self.path, exc) from None
        self._tx_depth = 0

    def _open(self) -> None:
        import ladybug

        self._db = ladybug.Database(str(self.path), read_only=self.read_only, buffer_pool_size=self._pool_bytes)
        self._conn = ladybug.Connection(self._db)

    def release_memory(self) -> bool:
        """Close and reopen the database so Ladybug frees what it keeps for an open database
        (cached pages and primary-key index pages of everything written so far).

        Committed data is unaffected (closing checkpoints it). Inside a transaction this does
        nothing, since uncommitted writes live only in memory. The loader runner calls it between
        the commits of an ``atomic="batch"`` load, which is what keeps that mode's peak memory flat
        in the size of the input.

        Returns:
            True if the database was reopened, False inside a transaction.
        """
        if self._tx_depth:
            return False
        self.close()
        _trim_heap()
        try:
            self._open()
        except RuntimeError as exc:
            raise open_error(self.path, exc) from None
        return True

    def set_query_timeout(self, seconds: float) -> None:
        """Interrupt any later statement on this store that runs longer than ``seconds`` (0: no limit);
        an interrupted query raises :class:`~varkg.errors.StoreError`."""
        self._conn.set_query_timeout(int(seconds * 1000))

    # ------------------------------------------------------------------ basics
    def _run(self, cypher: str, params: Mapping[str, Any] | None = None) -> Any:
        try:
            return self._conn.execute(cypher, dict(params or {}))
        except RuntimeError as exc:
            raise StoreError(f"Ladybug rejected the statement: {exc}") from None

    def _scan(self, cypher: str, vk_scan: pa.Table) -> Any:
        """Run ``cypher`` whose ``LOAD FROM vk_scan`` / ``COPY ... FROM vk_scan`` reads the Arrow table.

        Ladybug resolves a scanned Python object by name in the caller's frame, so the table is
        bound to the local ``vk_scan`` here.
        """
        assert "vk_scan" in cypher
        if cypher.startswith("COPY"):
            fault_point("copy")
        try:
            return self._conn.execute(cypher)
        except RuntimeError as exc:
            raise StoreError(f"Ladybug rejected the statement: {exc}") from None
        finally:
            self._forget_scan_statements()

    def _forget_scan_statements(self) -> None:
        """Drop the connection's cached prepared statements that scanned a Python table.

        Ladybug (0.22) rewrites ``FROM vk_scan`` into a ``$vk_scan`` parameter and caches the
        prepared statement per query text; re-executing a cached statement with a new Arrow table
        keeps memory from every earlier execution (about 25 MiB per 50,000-row COPY, pinned in the
        buffer pool, so a capped pool fails with "buffer pool is full"). Preparing afresh per
        batch costs one planning step (no measurable change in bench_loaders' rates)."""
        cache = getattr(self._conn, "_pybind_implicit_prepared_cache", None)
        lock = getattr(self._conn, "_prepared_cache_lock", None)
        if not isinstance(cache, dict) or lock is None:
            return
        with lock:
            for k in [k for k in cache if isinstance(k, tuple) and k and "$vk_scan" in str(k[0])]:
                prepared = cache.pop(k)
                close = getattr(prepared, "close", None)
                if callable(close):
                    with contextlib.suppress(Exception):
                        close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one transaction; on an exception everything inside is rolled back."""
        if self._tx_depth:
            self._tx_depth += 1
            try:
                yield
            finally:
                self._tx_depth -= 1
            return
        self._conn.execute("BEGIN TRANSACTION")
        self._tx_depth = 1
        try:
            yield
        except BaseException:
            self._tx_depth = 0
            with contextlib.suppress(RuntimeError):
                self._conn.execute("ROLLBACK")
            raise
        self._tx_depth = 0
        fault_point("commit")
        self._conn.execute("COMMIT")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._conn.close()
        with contextlib.suppress(Exception):
            self._db.close()

    # ------------------------------------------------------------------ schema
    def _call(self, cypher: str) -> pa.Table:
        res = self._conn.execute(cypher)
        assert not isinstance(res, list)  # one statement, one result
        return res.get_as_arrow()

    def _columns(self, table: str) -> list[str]:
        res = self._call(f"CALL table_info('{table}') RETURN *")
        return [str(x) for x in res.column("name").to_pylist()]

    def _tables(self) -> set[str]:
        res = self._call("CALL show_tables() RETURN *")
        return {str(x) for x in res.column("name").to_pylist()}

    def init_schema(self) -> None:
        """Create every table of the schema, add columns the schema gained since the graph was
        created (``ALTER TABLE ... ADD``), and record the schema version and hash."""
        self._require_writable()
        existing = self._tables()
        for stmt in ladybug_ddl(self.schema):
            self._run(stmt)
        for name in existing:
            spec = self.schema.nodes.get(name) or self.schema.edges.get(name)
            if spec is None:
                continue
            have = set(self._columns(name))
            for prop in spec.properties.values():
                if prop.name not in have:
                    self._run(f"ALTER TABLE {name} ADD {prop.name} {ladybug_type(prop)}")
        info = pa.table(
            {
                "id": ["schema"],
                "version": [self.schema.version],
                "hash": [self.schema.hash],
                "created_at": pa.array([datetime.now(UTC).replace(tzinfo=None)], pa.timestamp("us")),
            }
        )
        current = self.query("MATCH (s:SchemaInfo) RETURN s.hash AS hash")
        if current.num_rows == 0 or current.column("hash")[0].as_py() != self.schema.hash:
            self.upsert_nodes("SchemaInfo", info)

    def schema_info(self) -> dict[str, Any] | None:
        """The recorded schema version and hash, or None for an uninitialised store."""
        if "SchemaInfo" not in self._tables():
            return None
        t = self.query("MATCH (s:SchemaInfo) RETURN s.version AS version, s.hash AS hash, s.created_at AS created_at")
        return t.to_pylist()[0] if t.num_rows else None

    def _require_table(self, name: str) -> None:
        if name not in self._tables():
            raise StoreError(f"store {self.location!r} has no table {name!r}; run `varkg init --store {self.location}` first")

    # ------------------------------------------------------------------ queries
    def query(self, cypher: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """Run a read-only Cypher query and return an Arrow table."""
        assert_read_only(cypher)
        return self._arrow(self._run(cypher, params))

    def execute(self, cypher: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """Run a Cypher statement that may write (wrapped in the open transaction, if any)."""
        self._require_writable()
        return self._arrow(self._run(cypher, params))

    @staticmethod
    def _arrow(res: Any) -> pa.Table:
        if isinstance(res, list):
            res = res[-1]
        try:
            return res.get_as_arrow()
        except (RuntimeError, AttributeError):
            return pa.table({})

    # ------------------------------------------------------------------ upserts
    def upsert_nodes(self, node_type: str, table: pa.Table, *, dataset: str | None = None) -> UpsertResult:
        """Insert new nodes and update changed ones; see :mod:`varkg.store.base` for semantics."""
        self._require_writable()
        spec = self.schema.node(node_type)
        t, _ = validate_nodes(table, node_type, schema=self.schema)
        if t.num_rows == 0:
            return UpsertResult(node_type)
        self._require_table(node_type)
        key = spec.key
        cols = [c for c in t.column_names if c != key and c != PROVENANCE_PROPERTY]
        fetch = [*cols, PROVENANCE_PROPERTY]
        keys = pa.table({"c0": t.column(key)})
        ret = ", ".join([f"n.{key} AS k"] + [f"n.{c} AS {c}" for c in fetch])
        total = self._count(f"MATCH (n:{node_type}) RETURN count(n)")
        if total == 0:
            existing = pa.table({})
        elif t.num_rows * 4 > total:
            # bulk batch: one columnar scan of the table beats a key lookup per row
            existing = self._arrow(self._run(f"MATCH (n:{node_type}) RETURN {ret}"))
            existing = existing.filter(pc.is_in(existing.column("k"), value_set=t.column(key)))
        else:
            existing = self._arrow(self._scan(f"LOAD FROM vk_scan MATCH (n:{node_type} {{{key}: c0}}) RETURN {ret}", keys))
        is_new = (
            ~np.asarray(pc.is_in(t.column(key), value_set=existing.column("k")).to_numpy(zero_copy_only=False), dtype=bool)
            if existing.num_rows
            else np.ones(t.num_rows, dtype=bool)
        )
        new = t.filter(pa.array(is_new))
        check_new_nodes_complete(new, node_type, schema=self.schema)
        if dataset is not None:
            prov = repeat_list(dataset, new.num_rows)
            new = new.drop_columns([c for c in new.column_names if c == PROVENANCE_PROPERTY]).append_column(
                PROVENANCE_PROPERTY, prov
            )
        old = t.filter(pa.array(~is_new))
        changed_tbl = None
        unchanged = 0
        if old.num_rows:
            # align existing rows to incoming order
            pos = pc.index_in(old.column(key), value_set=existing.column("k"))
            ex = existing.take(pos)
            changed_tbl, unchanged = _changed_rows(old, ex, cols, dataset)
        n_stmts = int(new.num_rows > 0) + int(changed_tbl is not None and changed_tbl.num_rows > 0)
        with self._write_tx(node_type, statements=n_stmts):
            if new.num_rows:
                self._copy_nodes(node_type, new)
            if changed_tbl is not None and changed_tbl.num_rows:
                self._update_nodes(node_type, key, changed_tbl)
        return UpsertResult(
            node_type,
            inserted=new.num_rows,
            updated=0 if changed_tbl is None else changed_tbl.num_rows,
            unchanged=unchanged,
        )

    def _copy_nodes(self, node_type: str, new: pa.Table) -> None:
        col_list = ", ".join(new.column_names)
        self._scan(f"COPY {node_type}({col_list}) FROM vk_scan", new)

    def _update_nodes(self, node_type: str, key: str, changed: pa.Table) -> None:
        names = [key] + [c for c in changed.column_names if c != key]
        upd = pa.table({f"c{i}": changed.column(c) for i, c in enumerate(names)})
        sets = ", ".join(f"n.{c} = c{i}" for i, c in enumerate(names) if i > 0)
        self._scan(f"LOAD FROM vk_scan MATCH (n:{node_type} {{{key}: c0}}) SET {sets}", upd)

    @contextlib.contextmanager
    def _write_tx(self, what: str, *, statements: int = 2) -> Iterator[None]:
        """One transaction around a write. A single statement is atomic on its own (auto-commit),
        and Ladybug's COPY is markedly slower inside a manual transaction, so one statement outside
        an enclosing transaction runs without one."""
        ctx = self.transaction() if statements > 1 or self._tx_depth else contextlib.nullcontext()
        try:
            with ctx:
                yield
        except VarkgError as exc:
            raise StoreError(f"writing {what} failed and was rolled back: {exc}") from None

    def _count(self, cypher: str) -> int:
        return int(self._arrow(self._run(cypher)).column(0)[0].as_py())

    def _existing_keys(self, node_type: str, keys: pa.Array) -> pa.Array:
        """The subset of ``keys`` that are nodes of ``node_type``. A primary-key lookup per key
        (``LOAD FROM ... MATCH``) when the batch is small relative to the table, otherwise one
        columnar scan of all keys (cheaper for bulk loads)."""
        key = self.schema.node(node_type).key
        uniq = pc.unique(keys)
        total = self._count(f"MATCH (n:{node_type}) RETURN count(n)")
        if total == 0:
            return pa.array([], pa.string())
        if len(uniq) * 4 > total:
            allk = self._arrow(self._run(f"MATCH (n:{node_type}) RETURN n.{key} AS k")).column("k")
            return uniq.filter(pc.is_in(uniq, value_set=allk))
        k = pa.table({"c0": uniq})
        res = self._arrow(self._scan(f"LOAD FROM vk_scan MATCH (n:{node_type} {{{key}: c0}}) RETURN c0 AS k", k))
        return res.column("k").combine_chunks() if res.num_rows else pa.array([], pa.string())

    def _write_edges(self, batch: EdgeBatch) -> UpsertResult:
        """:meth:`GraphStore.upsert_edges` after validation: endpoint lookups, then one transaction."""
        t, spec, edge_type = batch.table, batch.spec, batch.spec.name
        src_type, dst_type, dataset, missing = batch.src_type, batch.dst_type, batch.dataset, batch.missing
        self._require_table(edge_type)
        skipped = 0
        ok = np.ones(t.num_rows, dtype=bool)
        same_type = src_type == dst_type
        found_both = (
            self._existing_keys(src_type, pa.chunked_array(t.column("src").chunks + t.column("dst").chunks))
            if same_type
            else None
        )
        for col, ntype in (("src", src_type), ("dst", dst_type)):
            found = found_both if found_both is not None else self._existing_keys(ntype, t.column(col))
            present = np.asarray(pc.is_in(t.column(col), value_set=found).to_numpy(zero_copy_only=False), dtype=bool)
            if not present.all():
                bad = t.column(col).filter(pa.array(~present)).unique().to_pylist()
                if missing == "error":
                    raise dangling_edge_error(edge_type, src_type, dst_type, column=col, node_type=ntype, missing_keys=bad)
            ok &= present
        if not ok.all():
            skipped = int((~ok).sum())
            t = t.filter(pa.array(ok))
            if t.num_rows == 0:
                return UpsertResult(edge_type, skipped=skipped)
        src_key = self.schema.node(src_type).key
        dst_key = self.schema.node(dst_type).key
        ident = ["src", "dst", *spec.key]
        props = [c for c in t.column_names if c not in ident and c != PROVENANCE_PROPERTY]
        rprops = [f"r.{k} AS {k}" for k in spec.key] + [f"r.{c} AS {c}" for c in [*props, PROVENANCE_PROPERTY]]
        total = self._count(f"MATCH (:{src_type})-[r:{edge_type}]->(:{dst_type}) RETURN count(r)")
        if total == 0:
            existing = pa.table({})
        elif t.num_rows * 4 > total:
            ret = ", ".join([f"a.{src_key} AS src", f"b.{dst_key} AS dst", *rprops])
            existing = self._arrow(self._run(f"MATCH (a:{src_type})-[r:{edge_type}]->(b:{dst_type}) RETURN {ret}"))
        else:
            pairs = pa.table({"c0": t.column("src"), "c1": t.column("dst")}).group_by(["c0", "c1"]).aggregate([])
            ret = ", ".join(["c0 AS src", "c1 AS dst", *rprops])
            existing = self._arrow(
                self._scan(
                    f"LOAD FROM vk_scan MATCH (a:{src_type} {{{src_key}: c0}})-[r:{edge_type}]->(b:{dst_type} "
                    f"{{{dst_key}: c1}}) RETURN {ret}",
                    pairs,
                )
            )
        is_new, ex_idx = match_existing(t, existing, ident)
        new = t.filter(pa.array(is_new))
        if dataset is not None:
            prov = repeat_list(dataset, new.num_rows)
            new = new.drop_columns([c for c in new.column_names if c == PROVENANCE_PROPERTY]).append_column(
                PROVENANCE_PROPERTY, prov
            )
        changed_tbl = None
        unchanged = 0
        if (~is_new).any():
            old = t.filter(pa.array(~is_new))
            assert ex_idx is not None  # some rows matched stored ones, so something is stored
            exi = pc.drop_null(ex_idx.filter(pa.array(~is_new)))
            exo = existing.take(exi)
            changed_tbl, unchanged = _changed_rows(old, exo, props, dataset)
        n_stmts = int(new.num_rows > 0) + int(changed_tbl is not None and changed_tbl.num_rows > 0)
        with self._write_tx(edge_type, statements=n_stmts):
            if new.num_rows:
                if new.num_columns == 2:  # COPY needs a column list; give it the provenance column
                    new = new.append_column(PROVENANCE_PROPERTY, pa.nulls(new.num_rows, pa.list_(pa.string())))
                cols = [c for c in new.column_names if c not in ("src", "dst")]
                ordered = new.select(["src", "dst", *cols])
                opts = f" (from='{src_type}', to='{dst_type}')" if len(spec.endpoints) > 1 else ""
                col_list = f"({', '.join(cols)})" if cols else ""
                self._scan(f"COPY {edge_type}{col_list} FROM vk_scan{opts}", ordered)
            if changed_tbl is not None and changed_tbl.num_rows:
                names = ["src", "dst", *spec.key] + [c for c in changed_tbl.column_names if c not in ident]
                upd = pa.table({f"c{i}": changed_tbl.column(c) for i, c in enumerate(names)})
                where = " AND ".join(f"r.{k} = c{2 + i}" for i, k in enumerate(spec.key)) or "true"
                sets = ", ".join(f"r.{c} = c{i}" for i, c in enumerate(names) if i >= 2 + len(spec.key))
                self._scan(
                    f"LOAD FROM vk_scan MATCH (a:{src_type} {{{src_key}: c0}})-[r:{edge_type}]->(b:{dst_type} {{{dst_key}: c1}}) "
                    f"WHERE {where} SET {sets}",
                    upd,
                )
        return UpsertResult(
            edge_type,
            inserted=new.num_rows,
            updated=0 if changed_tbl is None else changed_tbl.num_rows,
            unchanged=unchanged,
            skipped=skipped,
        )

    # ------------------------------------------------------------------ deletes
    def delete_edges(self, edge_type: str, *, src_type: str, dst_type: str, where: Mapping[str, Any]) -> int:
        """Delete the edges whose properties equal ``where``; returns how many were deleted."""
        self._require_writable()
        spec = self.schema.check_endpoints(edge_type, src_type, dst_type)
        conds = self._where(spec.properties, where, "r")
        n = self._arrow(
            self._run(f"MATCH (:{src_type})-[r:{edge_type}]->(:{dst_type}) WHERE {conds} RETURN count(r) AS n", dict(where))
        )
        with self._write_tx(edge_type):
            self._run(f"MATCH (:{src_type})-[r:{edge_type}]->(:{dst_type}) WHERE {conds} DELETE r", dict(where))
        return int(n.column("n")[0].as_py())

    def unset_node_properties(self, node_type: str, *, properties: Sequence[str], where: Mapping[str, Any]) -> int:
        """Set ``properties`` to null on the nodes whose properties equal ``where``."""
        self._require_writable()
        spec = self.schema.node(node_type)
        for p in properties:
            if p not in spec.properties or p == spec.key:
                raise SchemaError(f"{node_type} has no settable property {p!r}")
        conds = self._where(spec.properties, where, "n")
        sets = ", ".join(f"n.{p} = NULL" for p in properties)
        n = self._arrow(self._run(f"MATCH (n:{node_type}) WHERE {conds} RETURN count(n) AS n", dict(where)))
        with self._write_tx(node_type):
            self._run(f"MATCH (n:{node_type}) WHERE {conds} SET {sets}", dict(where))
        return int(n.column("n")[0].as_py())

    @staticmethod
    def _where(props: Mapping[str, Any], where: Mapping[str, Any], var: str) -> str:
        if not where:
            raise StoreError("refusing an unconditional delete/unset: give at least one property in 'where'")
        for k in where:
            if k not in props:
                raise SchemaError(f"unknown property {k!r}; expected one of {sorted(props)}")
        return " AND ".join(f"{var}.{k} = ${k}" for k in where)

    # ------------------------------------------------------------------ export
    def export_nodes(self, node_type: str, *, properties: Sequence[str] | None = None) -> pa.Table:
        """All nodes of ``node_type`` sorted by key, with ``properties`` (default: all)."""
        spec = self.schema.node(node_type)
        props = list(properties) if properties is not None else [p for p in spec.properties if p != spec.key]
        for p in props:
            if p not in spec.properties:
                raise SchemaError(f"{node_type} has no property {p!r}; expected one of {sorted(spec.properties)}")
        ret = ", ".join([f"n.{spec.key} AS {spec.key}"] + [f"n.{p} AS {p}" for p in props if p != spec.key])
        t = self._arrow(self._run(f"MATCH (n:{node_type}) RETURN {ret}"))
        if t.num_rows == 0:
            return pa.table(
                {c: pa.array([], arrow_type(spec.properties[c])) for c in [spec.key, *[p for p in props if p != spec.key]]}
            )
        return t.sort_by(spec.key)

    def export_edges(self, edge_type: str, *, src_type: str, dst_type: str, properties: Sequence[str] | None = None) -> pa.Table:
        """Edges of one endpoint pair: ``src``, ``dst`` keys plus ``properties`` (default all)."""
        spec = self.schema.check_endpoints(edge_type, src_type, dst_type)
        props = list(properties) if properties is not None else list(spec.properties)
        for p in props:
            if p not in spec.properties:
                raise SchemaError(f"{edge_type} has no property {p!r}; expected one of {sorted(spec.properties)}")
        sk, dk = self.schema.node(src_type).key, self.schema.node(dst_type).key
        ret = ", ".join([f"a.{sk} AS src", f"b.{dk} AS dst"] + [f"r.{p} AS {p}" for p in props])
        t = self._arrow(self._run(f"MATCH (a:{src_type})-[r:{edge_type}]->(b:{dst_type}) RETURN {ret}"))
        if t.num_rows == 0:
            return pa.table(
                {"src": pa.array([], pa.string()), "dst": pa.array([], pa.string())}
                | {p: pa.array([], arrow_type(spec.properties[p])) for p in props}
            )
        return t

    def export_edge_index(self, edge_type: str, *, src_type: str, dst_type: str) -> np.ndarray:
        """``int64[2, E]``: positions of the endpoints in :meth:`export_nodes` order."""
        return edge_index(self, edge_type, src_type=src_type, dst_type=dst_type)

    def nearest(self, node_type: str, *, property: str, vector: Sequence[float], k: int = 10) -> pa.Table:
        """Exact cosine search with Ladybug's built-in ``array_cosine_similarity`` (no vector extension)."""
        dim = check_vector(self.schema, node_type, property, vector, k)
        key = self.schema.node(node_type).key
        q = (
            f"MATCH (n:{node_type}) WHERE n.{property} IS NOT NULL "
            f"RETURN n.{key} AS {key}, array_cosine_similarity(n.{property}, CAST($v AS FLOAT[{dim}])) AS score "
            f"ORDER BY score DESC, {key} LIMIT $k"
        )
        t = self._arrow(self._run(q, {"v": [float(x) for x in vector], "k": int(k)}))
        return pa.table(
            {
                key: t.column(key) if t.num_rows else pa.array([], pa.string()),
                "score": t.column("score").cast(pa.float64()) if t.num_rows else pa.array([], pa.float64()),
            }
        )

    def counts(self) -> dict[str, int]:
        """Node counts per label and edge counts per ``Src-REL->Dst`` (zero counts included)."""
        out: dict[str, int] = {}
        tables = self._tables()
        for name in self.schema.nodes:
            if name in tables:
                out[name] = int(self._arrow(self._run(f"MATCH (n:{name}) RETURN count(n) AS n")).column("n")[0].as_py())
        for e in self.schema.edges.values():
            if e.name not in tables:
                continue
            for s, d in e.endpoints:
                q = f"MATCH (:{s})-[r:{e.name}]->(:{d}) RETURN count(r) AS n"
                out[f"{s}-{e.name}->{d}"] = int(self._arrow(self._run(q)).column("n")[0].as_py())
        return out


_LOCKED = re.compile(r"Lock is held by PID (\d+)")


def open_error(path: Path, exc: BaseException) -> StoreUnavailable:
    """The error for a failed open: another process holding the store's lock is named with its PID.

    Ladybug allows one read-write process or any number of read-only ones on a database file; a
    read-only open also waits out nothing, so a checkpoint in progress elsewhere is reported the same way.
    """
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    m = _LOCKED.search(msg)
    if m:
        return StoreUnavailable(
            f"store {str(path)!r} is locked by PID {m.group(1)} (a load or another writer); try again when it has finished "
            "(read-only commands such as `varkg query` and `varkg explore` can run meanwhile)"
        )
    if "recovery is pending" in msg:
        return StoreUnavailable(
            f"store {str(path)!r} is being checkpointed by a writer, or a killed writer left a log to replay; try again "
            "in a moment, or open it once read-write (e.g. `varkg init`) to replay the log"
        )
    return StoreUnavailable(f"cannot open Ladybug store {str(path)!r}: {msg}")


def _trim_heap() -> None:
    """Return freed C heap to the operating system (glibc ``malloc_trim``; a no-op elsewhere).
    Without it, what Ladybug freed on close stays in the process's resident set."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(None).malloc_trim(0)  # the process's own symbols include the C library's
