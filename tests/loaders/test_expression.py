"""Expression loader: golub GCT (bulk) and pbmc68k h5ad (cell types)."""

from __future__ import annotations

import numpy as np
import pytest

from varkg.loaders.base import LoadContext, get_loader


def _frames(path, tmp_path, **opts):
    ctx = LoadContext(artifacts_dir=tmp_path, options=opts)
    return [f.validated() for f in get_loader("expression").frames([path], context=ctx)], ctx


def test_golub_gct(shared_data, tmp_path):
    e = shared_data / "expression"
    gi = str(shared_data / "annotation" / "orgHsEgDb_gene_info.tsv.gz")
    frames, ctx = _frames(e / "golub_leukemia_hgu95av2_trim.gct", tmp_path, id_map=gi, threshold=8.0)
    genes = {r["id"]: r for f in frames if f.type == "Gene" for r in f.table.to_pylist()}
    assert len(genes) > 8000
    v = np.array(genes["ENSG00000177455"]["expression"])  # CD19 (a B-cell gene: ALL)
    assert v.shape == (48,) and abs(v.mean()) < 1e-9 and v.std() == pytest.approx(1.0)
    tissues = next(f.table for f in frames if f.type == "Tissue")
    assert tissues.num_rows == 48
    edges = [f.table for f in frames if f.type == "EXPRESSED_IN"]
    assert all(min(t.column("value").to_pylist(), default=9) > 8.0 for t in edges)
    # per class (ALL/AML) with the .cls file
    frames, _ = _frames(e / "golub_leukemia_hgu95av2_trim.gct", tmp_path, id_map=gi, classes=str(e / "golub_leukemia.cls"))
    assert next(f.table for f in frames if f.type == "Tissue").column("id").to_pylist() == ["all", "aml"]


def test_pbmc_h5ad_cell_types(shared_data, tmp_path):
    gi = str(shared_data / "annotation" / "orgHsEgDb_gene_info.tsv.gz")
    frames, _ = _frames(shared_data / "expression" / "pbmc68k_reduced.h5ad", tmp_path, id_map=gi)
    ct = next(f.table for f in frames if f.type == "CellType").to_pylist()
    assert len(ct) == 10 and {"id": "cd14+ monocyte", "name": "CD14+ Monocyte"} in ct
    edges = next(f.table for f in frames if f.type == "EXPRESSED_IN").to_pylist()
    lyz = {e["dst"]: e["value"] for e in edges if e["src"] == "ENSG00000090382"}  # LYZ: a monocyte marker
    assert max(lyz, key=lyz.get) in {"cd14+ monocyte", "dendritic"}
