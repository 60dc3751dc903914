"""Labelled variants for training and evaluation (the ClinVar labelled-SNV TSV format).

The format is that of ``clinvar/clinvar_snv_sample_dev.tsv``: tab-separated, a header line, one
variant per row with ``chrom``, ``pos`` (1-based, VCF), ``ref``, ``alt`` and ``label_pathogenic``
(1 pathogenic, 0 benign), plus optional ``PhyloP``, ``review_stars`` and numeric/flag columns.
Parsing is the registered ``variant-labels`` loader's (:mod:`varkg.loaders.labels`), so the
variants a model sees here are exactly those ``varkg load variant-labels`` puts in the graph.

What this module adds: the labels are taken out of the node table (``label``,
``label_pathogenic``, ``review_stars`` are never written by these helpers and never features) and
returned as an array aligned with the keys, and :func:`load_into_store` loads the unlabelled
variants with their AFFECTS edges (consequences from the gene annotation already in the store)
through the loader runner (option ``labels=omit``), so the load is atomic and recorded as a Dataset.

:func:`labelled_graph` is the one way from a labels file and a store to a graph to train or
evaluate on (read, load, export, index): ``varkg gnn train``, ``varkg gnn evaluate``, the demo and
``benchmarks/bench_gnn.py`` all go through it and then :func:`varkg.gnn.train.train_variant_effect`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from varkg.errors import InputError
from varkg.gnn.features import LABEL_PROPERTIES
from varkg.typing import Assembly

if TYPE_CHECKING:
    from varkg.gnn.export import GraphExport
    from varkg.gnn.features import FeatureEncoder
    from varkg.loaders.base import Frame
    from varkg.store.base import GraphStore


@dataclass
class LabelledVariants:
    """Variant node rows (features only), their labels, and the loader's edge frames.

    Attributes:
        nodes: Variant node table (schema property names, no label properties).
        y: ``int64`` labels (1 pathogenic, 0 benign), aligned with ``nodes``.
        path: the file they came from.
        edges: AFFECTS edge frames the loader produced (empty without a gene annotation).
    """

    nodes: pa.Table
    y: np.ndarray
    path: str
    edges: list[Frame]

    @property
    def keys(self) -> list[str]:
        return self.nodes.column("id").to_pylist()


def read_labels(path: str | Path, *, assembly: Assembly = "GRCh38", store: GraphStore | None = None) -> LabelledVariants:
    """Parse a labelled-variant TSV with the ``variant-labels`` loader and split off the labels.

    Args:
        path: the TSV file.
        assembly: assembly of the positions (ClinVar GRCh38 files: ``"GRCh38"``).
        store: when given, its gene annotation places the variants on genes (AFFECTS frames).

    Raises:
        InputError: a malformed row (file, line, field), or a variant without a 0/1 label.
    """
    from varkg.loaders.base import LoadContext, get_loader

    path = Path(path)
    ctx = LoadContext(assembly=assembly, store=store, options={"consequences": "auto" if store is not None else "none"})
    frames = list(get_loader("variant-labels").frames([path], context=ctx))
    node_frames = [f for f in frames if f.kind == "node" and f.type == "Variant"]
    if not node_frames:
        raise InputError("no variants in the file", path=path)
    nodes = pa.concat_tables([f.table for f in node_frames], promote_options="permissive")
    if "label_pathogenic" not in nodes.column_names:
        raise InputError("no 'label_pathogenic' column (1 pathogenic, 0 benign)", path=path, line=1, field="label_pathogenic")
    lab = nodes.column("label_pathogenic").to_pylist()
    bad = [i for i, v in enumerate(lab) if v not in (0, 1)]
    if bad:
        raise InputError(
            f"{len(bad)} variant(s) without a 0/1 label, first {nodes.column('id')[bad[0]].as_py()} (got {lab[bad[0]]!r})",
            path=path,
            field="label_pathogenic",
        )
    keep = [c for c in nodes.column_names if c not in LABEL_PROPERTIES]
    edges = [f for f in frames if f.kind == "edge"]
    return LabelledVariants(nodes=nodes.select(keep), y=np.asarray(lab, dtype=np.int64), path=str(path), edges=edges)


def load_into_store(
    store: GraphStore, labels: str | Path, *, assembly: Assembly = "GRCh38", dataset_name: str | None = None
) -> dict[str, int]:
    """Load the variants of ``labels`` (features only: ``labels=omit``) and their AFFECTS edges
    through the ``variant-labels`` loader (one transaction, recorded as a Dataset)."""
    from varkg.loaders.run import load

    path = Path(labels)
    rep = load(
        store,
        "variant-labels",
        [path],
        assembly=assembly,
        options={"labels": "omit"},
        dataset_name=dataset_name or f"{path.name} (features, labels omitted)",
        progress=False,
    )
    counts = rep.row_counts()
    affects = {k: v for k, v in rep.results.items() if k.startswith("Variant-AFFECTS->")}
    return {
        "variants": counts.get("Variant", 0),
        "variants_written": sum(rep.results.get("Variant", {}).get(k, 0) for k in ("inserted", "updated")),
        "edges": sum(v["inserted"] + v["updated"] + v["unchanged"] + v["skipped"] for v in affects.values()),
        "edges_written": sum(v["inserted"] + v["updated"] for v in affects.values()),
    }


@dataclass
class LabelledGraph:
    """The exported graph with the labelled variants in it.

    Attributes:
        export: the graph (every non-empty node and edge type of the store).
        index: global ``Variant`` indices of the labelled variants, in file order.
        y: their labels (1 pathogenic, 0 benign), aligned with ``index``.
        labelled: what was read from the file.
        loaded: what :func:`load_into_store` wrote (``variants``, ``edges``, ...).
    """

    export: GraphExport
    index: np.ndarray
    y: np.ndarray
    labelled: LabelledVariants
    loaded: dict[str, int]

    def describe(self) -> dict[str, object]:
        """Node and edge counts of the graph, and how many labelled variants have no edge."""
        d = self.export.data
        deg = np.zeros(int(d["Variant"].num_nodes), dtype=np.int64)
        for et in d.edge_types:
            for side, t in ((0, et[0]), (1, et[2])):
                if t == "Variant":
                    deg += np.bincount(d[et].edge_index[side].numpy(), minlength=deg.size)
        return {
            "nodes": {t: int(d[t].num_nodes) for t in d.node_types},
            "edges": int(sum(d[et].edge_index.shape[1] for et in d.edge_types)),
            "labelled": int(self.index.size),
            "labelled_without_edges": int((deg[self.index] == 0).sum()),
        }


def labelled_graph(
    store: GraphStore,
    labels: str | Path,
    *,
    assembly: Assembly = "GRCh38",
    encoder: FeatureEncoder | None = None,
    out_dir: str | Path | None = None,
) -> LabelledGraph:
    """Load the labelled variants of ``labels`` into ``store`` (features and AFFECTS edges, never
    the labels), export the graph and index the labelled variants in it.

    Args:
        store: the graph; its genes place the variants (none loaded: variants without edges).
        labels: labelled-variant TSV (:func:`read_labels`).
        assembly: assembly of the label positions.
        encoder: feature encoding to reuse (a checkpoint's); fitted on the graph when ``None``.
        out_dir: where the export manifest and id maps go (nothing written when ``None``).
    """
    from varkg.gnn.export import export_graph
    from varkg.gnn.train import label_index

    lv = read_labels(labels, assembly=assembly, store=store)
    loaded = load_into_store(store, labels, assembly=assembly)
    ex = export_graph(store, encoder=encoder, out_dir=out_dir)
    idx, y = label_index(ex, lv.keys, lv.y)
    return LabelledGraph(export=ex, index=idx, y=y, labelled=lv, loaded=loaded)
