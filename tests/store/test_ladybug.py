"""Ladybug-specific behaviour: paths, transactions across upserts, schema migration."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from varkg.errors import ReadOnlyError, StoreUnavailable
from varkg.store import open_store
from varkg.store.ladybug import LadybugStore


def test_store_path_that_is_a_directory(tmp_path):
    with pytest.raises(StoreUnavailable, match="is a directory"):
        open_store(tmp_path)


def test_store_path_that_is_not_a_database(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("hello")
    with pytest.raises(StoreUnavailable, match="cannot open Ladybug store"):
        open_store(f)


def test_read_only_store_refuses_writes(tmp_path):
    s = open_store(tmp_path / "g.db")
    s.init_schema()
    s.close()
    ro = open_store(tmp_path / "g.db", read_only=True)
    with pytest.raises(ReadOnlyError):
        ro.upsert_nodes("Gene", pa.table({"id": ["x"]}))
    ro.close()


def test_transaction_rolls_back_several_upserts(ladybug_store):
    with pytest.raises(RuntimeError):
        with ladybug_store.transaction():
            ladybug_store.upsert_nodes("Gene", pa.table({"id": ["a", "b"]}))
            ladybug_store.upsert_nodes("Phenotype", pa.table({"id": ["p"]}))
            raise RuntimeError("loader failed half-way")
    c = ladybug_store.counts()
    assert c["Gene"] == 0 and c["Phenotype"] == 0


def test_migration_adds_new_columns(tmp_path):
    import yaml

    from varkg.schema.model import SCHEMA_PATH, parse_schema

    s = open_store(tmp_path / "g.db")
    s.init_schema()
    s.upsert_nodes("Gene", pa.table({"id": ["a"], "symbol": ["A"]}))
    s.close()
    raw = yaml.safe_load(SCHEMA_PATH.read_text())
    raw["nodes"]["Gene"]["properties"]["new_score"] = {"kind": "float", "description": "added later"}
    newer = parse_schema(raw)
    s2 = open_store(tmp_path / "g.db", schema=newer)
    s2.init_schema()
    s2.upsert_nodes("Gene", pa.table({"id": ["a"], "new_score": [0.5]}))
    assert s2.export_nodes("Gene", properties=["symbol", "new_score"]).to_pylist() == [
        {"id": "a", "symbol": "A", "new_score": 0.5}
    ]
    assert s2.schema_info()["hash"] == newer.hash
    s2.close()


def test_large_upsert_roundtrip(ladybug_store):
    n = 20_000
    t = pa.table(
        {
            "id": [f"v{i}" for i in range(n)],
            "assembly": ["GRCh38"] * n,
            "chrom": ["1"] * n,
            "pos": list(range(n)),
            "ref": ["A"] * n,
            "alt": ["G"] * n,
        }
    )
    assert ladybug_store.upsert_nodes("Variant", t, dataset="d").inserted == n
    r = ladybug_store.upsert_nodes("Variant", t, dataset="d")
    assert (r.inserted, r.updated, r.unchanged) == (0, 0, n)
    t2 = t.set_column(3, "pos", pa.array([i + (i % 2) for i in range(n)]))
    r = ladybug_store.upsert_nodes("Variant", t2, dataset="d")
    assert (r.inserted, r.updated, r.unchanged) == (0, n // 2, n // 2)


_rows = st.lists(
    st.tuples(
        st.text(alphabet="ACGT", min_size=1, max_size=6),
        st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=False)),
        st.one_of(st.none(), st.lists(st.text(max_size=3), max_size=3)),
    ),
    max_size=30,
    unique_by=lambda r: r[0],
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=_rows)
def test_upsert_twice_changes_nothing(ladybug_store, rows):
    """Invariant: for any table, a second upsert of the same rows inserts and updates nothing."""
    t = pa.table(
        {
            "id": [f"P:{r[0]}" for r in rows],
            "name": [r[0] for r in rows],
            "xrefs": pa.array([r[2] for r in rows], pa.list_(pa.string())),
        }
    )
    first = ladybug_store.upsert_nodes("Phenotype", t, dataset="h")
    second = ladybug_store.upsert_nodes("Phenotype", t, dataset="h")
    assert second.inserted == 0 and second.updated == 0
    assert second.unchanged == len(rows)
    assert first.inserted + first.updated + first.unchanged == len(rows)


def test_small_batches_into_a_large_table_use_key_lookups(ladybug_store):
    """Both lookup strategies (columnar scan for bulk batches, key lookups for small ones) agree."""
    n = 200
    genes = pa.table({"id": [f"G{i:04d}" for i in range(n)], "symbol": [f"S{i}" for i in range(n)]})
    ladybug_store.upsert_nodes("Gene", genes, dataset="d1")
    edges = pa.table(
        {
            "src": genes.column("id").slice(0, n - 1),
            "dst": genes.column("id").slice(1, n - 1),
            "type": ["ppi"] * (n - 1),
            "source": ["S"] * (n - 1),
            "score": [0.5] * (n - 1),
        }
    )
    ladybug_store.upsert_edges("INTERACTS", edges, src_type="Gene", dst_type="Gene", dataset="d1")
    small = pa.table({"id": ["G0001", "G0002", "G9999"], "symbol": ["S1", "changed", "new"]})
    r = ladybug_store.upsert_nodes("Gene", small, dataset="d1")
    assert (r.inserted, r.updated, r.unchanged) == (1, 1, 1)
    e_small = edges.slice(0, 3).set_column(4, "score", pa.array([0.5, 0.9, 0.5]))
    r = ladybug_store.upsert_edges("INTERACTS", e_small, src_type="Gene", dst_type="Gene", dataset="d2")
    assert (r.inserted, r.updated, r.unchanged) == (0, 3, 0)  # all three gain dataset d2
    r = ladybug_store.upsert_edges("INTERACTS", e_small, src_type="Gene", dst_type="Gene", dataset="d2")
    assert (r.inserted, r.updated, r.unchanged) == (0, 0, 3)
    assert ladybug_store.counts()["Gene-INTERACTS->Gene"] == n - 1


def test_repeated_upserts_fit_a_small_buffer_pool(tmp_path):
    """Regression: Ladybug kept every Arrow table scanned through a cached prepared statement, pinned
    in its buffer pool; with a 96 MiB pool the second 20,000-row upsert failed ("buffer pool is full")."""
    s = LadybugStore(tmp_path / "g.db", buffer_pool_mb=96)
    s.init_schema()
    n = 20_000
    for b in range(8):
        pos = list(range(b * n + 1, (b + 1) * n + 1))
        t = pa.table(
            {
                "id": [f"GRCh38:1:{p}:A:G" for p in pos],
                "assembly": ["GRCh38"] * n,
                "chrom": ["1"] * n,
                "pos": pos,
                "ref": ["A"] * n,
                "alt": ["G"] * n,
            }
        )
        assert s.upsert_nodes("Variant", t, dataset="d").inserted == n
    assert s.counts()["Variant"] == 8 * n
    s.close()


def test_release_memory_reopens_outside_transactions_only(ladybug_store):
    ladybug_store.upsert_nodes("Gene", pa.table({"id": ["G1"], "symbol": ["A"]}))
    with ladybug_store.transaction():
        ladybug_store.upsert_nodes("Gene", pa.table({"id": ["G2"], "symbol": ["B"]}))
        assert ladybug_store.release_memory() is False  # uncommitted rows live in memory: keep them
    assert ladybug_store.release_memory() is True
    assert ladybug_store.export_nodes("Gene", properties=["symbol"]).to_pylist() == [
        {"id": "G1", "symbol": "A"},
        {"id": "G2", "symbol": "B"},
    ]
    assert ladybug_store.upsert_nodes("Gene", pa.table({"id": ["G3"]})).inserted == 1
