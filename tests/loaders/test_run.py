"""The loader runner: provenance, idempotent reloads, all-or-nothing on failure."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pyarrow as pa
import pytest

from varkg.errors import InputError, VarkgError
from varkg.loaders.base import Frame, LoadContext, Loader, register_loader
from varkg.loaders.run import load
from varkg.provenance import cut_release


@register_loader("test-genes-tsv")
class _GenesTsv(Loader):
    """Test loader: 'id<TAB>symbol<TAB>partner' lines; a line 'FAIL' raises half-way."""

    def frames(self, paths, *, context: LoadContext) -> Iterator[Frame]:
        for path in paths:
            rows = [line.rstrip("\n").split("\t") for line in open(path)]
            good = []
            for i, r in enumerate(rows, start=1):
                if r == ["FAIL"]:
                    yield Frame.nodes("Gene", pa.table({"id": [g[0] for g in good], "symbol": [g[1] for g in good]}))
                    raise InputError("bad record", path=path, line=i, field="id")
                good.append(r)
            yield Frame.nodes("Gene", pa.table({"id": [g[0] for g in good], "symbol": [g[1] for g in good]}))
            yield Frame.edges(
                "INTERACTS",
                pa.table(
                    {
                        "src": [g[0] for g in good],
                        "dst": [g[2] for g in good],
                        "type": ["ppi"] * len(good),
                        "source": ["test"] * len(good),
                    }
                ),
                src_type="Gene",
                dst_type="Gene",
            )


def write(tmp_path, name, lines):
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def test_load_records_dataset_and_is_idempotent(ladybug_store, tmp_path):
    f = write(tmp_path, "genes.tsv", ["G1\tA\tG2", "G2\tB\tG1"])
    rep = load(ladybug_store, "test-genes-tsv", [f], assembly="GRCh38", progress=False)
    assert rep.results["Gene"]["inserted"] == 2 and rep.results["Gene-INTERACTS->Gene"]["inserted"] == 2
    ds = ladybug_store.query(
        "MATCH (d:Dataset) RETURN d.id AS id, d.row_counts AS rc, d.checksum AS c, d.assembly AS a"
    ).to_pylist()
    assert len(ds) == 1 and ds[0]["id"] == rep.dataset_id and ds[0]["a"] == "GRCh38"
    assert json.loads(ds[0]["rc"]) == {"Gene": 2, "Gene-INTERACTS->Gene": 2}
    prov = ladybug_store.export_nodes("Gene", properties=["datasets"]).column("datasets").to_pylist()
    assert prov == [[rep.dataset_id]] * 2
    before = ladybug_store.counts()
    snapshot = ladybug_store.export_nodes("Dataset").to_pylist()
    rep2 = load(ladybug_store, "test-genes-tsv", [f], assembly="GRCh38", progress=False)
    assert rep2.written == 0
    assert ladybug_store.counts() == before
    assert ladybug_store.export_nodes("Dataset").to_pylist() == snapshot
    r1 = cut_release(ladybug_store)
    r2 = cut_release(ladybug_store)
    assert r1["id"] == r2["id"] and ladybug_store.counts()["Release"] == 1


def test_failed_load_leaves_nothing(ladybug_store, tmp_path):
    f = write(tmp_path, "bad.tsv", ["G1\tA\tG2", "G2\tB\tG1", "FAIL"])
    with pytest.raises(InputError, match=r"bad.tsv:3, field 'id': bad record"):
        load(ladybug_store, "test-genes-tsv", [f], progress=False)
    c = ladybug_store.counts()
    assert c["Gene"] == 0 and c["Dataset"] == 0


def test_missing_file(ladybug_store, tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load(ladybug_store, "test-genes-tsv", [tmp_path / "nope.tsv"], progress=False)


def test_batch_mode_spools_so_input_errors_leave_nothing(ladybug_store, tmp_path):
    f = write(tmp_path, "bad.tsv", ["G1\tA\tG2", "G2\tB\tG1", "FAIL"])
    with pytest.raises(InputError, match="bad record"):
        load(ladybug_store, "test-genes-tsv", [f], progress=False, atomic="batch")
    assert ladybug_store.counts()["Gene"] == 0
    ok = write(tmp_path, "ok.tsv", ["G1\tA\tG2", "G2\tB\tG1"])
    rep = load(ladybug_store, "test-genes-tsv", [ok], progress=False, atomic="batch")
    assert rep.results["Gene"]["inserted"] == 2 and ladybug_store.counts()["Gene-INTERACTS->Gene"] == 2


def test_batch_mode_commits_groups_and_a_write_error_keeps_earlier_groups(ladybug_store, tmp_path):
    # G3's partner GX is no Gene: the INTERACTS frame fails in the write phase, after the Gene frame
    f = write(tmp_path, "dangling.tsv", ["G1\tA\tG2", "G2\tB\tG1", "G3\tC\tGX"])
    with pytest.raises(VarkgError, match="GX"):
        load(ladybug_store, "test-genes-tsv", [f], progress=False, atomic="load")
    assert ladybug_store.counts()["Gene"] == 0  # one transaction: nothing
    with pytest.raises(VarkgError, match="GX"):
        load(ladybug_store, "test-genes-tsv", [f], progress=False, atomic="batch", commit_rows=1)
    c = ladybug_store.counts()
    assert (c["Gene"], c["Gene-INTERACTS->Gene"], c["Dataset"]) == (3, 0, 0)  # the Gene group was committed
    ok = write(tmp_path, "ok.tsv", ["G1\tA\tG2", "G2\tB\tG1", "G3\tC\tG1"])
    rep = load(ladybug_store, "test-genes-tsv", [ok], progress=False, atomic="batch", commit_rows=2)
    assert rep.results["Gene"]["unchanged"] == 0 and rep.results["Gene"]["updated"] == 3  # gains the new dataset
    c = ladybug_store.counts()
    assert (c["Gene"], c["Gene-INTERACTS->Gene"], c["Dataset"]) == (3, 3, 1)
    with pytest.raises(ValueError, match="commit_rows"):
        load(ladybug_store, "test-genes-tsv", [ok], progress=False, atomic="batch", commit_rows=0)


def test_one_transaction_past_the_row_limit_warns_once(ladybug_store, tmp_path, monkeypatch, caplog):
    import varkg.loaders.run as run

    monkeypatch.setattr(run, "_LARGE_TRANSACTION_ROWS", 3)  # the loader writes 4 rows: 2 genes, then 2 edges
    f = write(tmp_path, "genes.tsv", ["G1\tA\tG2", "G2\tB\tG1"])
    with caplog.at_level("WARNING", logger="varkg.loaders.run"):
        load(ladybug_store, "test-genes-tsv", [f], progress=False, atomic="load")
        assert [r.message.count("--atomic batch") for r in caplog.records] == [1]
        caplog.clear()
        load(ladybug_store, "test-genes-tsv", [f], progress=False, atomic="batch")
    assert caplog.records == []
