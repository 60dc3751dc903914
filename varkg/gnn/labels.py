"""Labelled variants for training and evaluation (the ClinVar labelled-SNV TSV format).

The format is that of ``clinvar/clinvar_snv_sample_dev.tsv``: tab-separated, a header line, one
variant per row with ``chrom``, ``pos`` (1-based, VCF), ``ref``, ``alt`` and ``label_pathogenic``
(1 pathogenic, 0 benign), plus optional ``PhyloP``, ``review_stars`` and numeric/flag columns.
Parsing is the registered ``variant-labels`` loader's (:mod:`varkg.loaders.labels`), so the
variants a model sees here are exactly those ``varkg load variant-labels`` puts in the graph.

What this module adds: the labels are taken out of the node table (``label``,
``label_pathogenic``, ``review_stars`` are never written by these helpers and never features) and
returned as an array aligned with the keys, and :func:`load_into_store` upserts the unlabelled
variants with their AFFECTS edges (consequences from the gene annotation already in the store).
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


def load_into_store(store: GraphStore, labelled: LabelledVariants, *, dataset: str | None = None) -> dict[str, int]:
    """Upsert the variants (features only, no labels) and their AFFECTS edges into ``store``."""
    res = store.upsert_nodes("Variant", labelled.nodes, dataset=dataset)
    written = 0
    n_edges = 0
    for f in labelled.edges:
        assert f.src_type and f.dst_type
        r = store.upsert_edges(f.type, f.table, src_type=f.src_type, dst_type=f.dst_type, dataset=dataset, missing=f.missing)
        written += r.written
        n_edges += f.table.num_rows
    return {"variants": labelled.nodes.num_rows, "variants_written": res.written, "edges": n_edges, "edges_written": written}
