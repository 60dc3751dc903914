"""Find the gene annotation a variant loader should use for consequences.

Order: the ``annotation`` option (a GTF/GFF3, or a features Parquet written by the
``annotation``/``gene-table`` loaders); else the features Parquet files recorded as artifacts on
the Dataset nodes of the loaded ``annotation``/``gene-table`` datasets of the same assembly in
``context.store`` (read-only queries), with the store's Gene coordinates for nearest-gene calls.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from varkg.loaders.base import LoadContext
from varkg.loaders.consequence import FEATURES_SCHEMA, Annotation

_DATASETS = (
    "MATCH (d:Dataset) WHERE d.loader IN $loaders AND (d.assembly = $assembly OR d.assembly IS NULL) "
    "RETURN d.id AS id, d.artifacts AS artifacts"
)
_GENES = (
    "MATCH (g:Gene) WHERE g.assembly = $assembly OR g.assembly IS NULL "
    "RETURN g.id AS id, g.chrom AS chrom, g.start AS start, g.stop AS stop"
)


def annotation_from_context(context: LoadContext, assembly: str) -> tuple[Annotation | None, bool]:
    """``(annotation or None, genes_in_store)``: the second tells whether AFFECTS endpoints are
    known to be loaded (else edges are emitted with ``missing="skip"``)."""
    path = context.options.get("annotation")
    flank = int(context.options.get("flank", 5000))
    if path:
        path = Path(path)
        if path.suffix == ".parquet":
            features = pq.read_table(path)
            return Annotation(features, flank=flank), False
        from varkg.loaders.annotation import AnnotationLoader

        sub = LoadContext(
            assembly=assembly, reference=context.reference, artifacts_dir=Path(tempfile.mkdtemp(prefix="varkg-annot-"))
        )
        frames = list(AnnotationLoader().frames([path], context=sub))
        genes = pa.concat_tables([f.table.select(["id", "chrom", "start", "stop"]) for f in frames if f.type == "Gene"])
        features = pa.concat_tables([pq.read_table(p) for p in sub.artifacts if p.endswith(".features.parquet")])
        return Annotation(features, genes=genes, flank=flank), False
    store = context.store
    if store is None:
        return None, False
    ds = store.query(_DATASETS, {"loaders": ["annotation", "gene-table"], "assembly": assembly})
    files = [
        p
        for arts in ds.column("artifacts").to_pylist()
        if arts
        for p in arts
        if p.endswith(".features.parquet") and Path(p).exists()
    ]
    genes = store.query(_GENES, {"assembly": assembly})
    if not files and genes.num_rows == 0:
        return None, False
    features = (
        pa.concat_tables([pq.read_table(p).cast(FEATURES_SCHEMA) for p in files]) if files else FEATURES_SCHEMA.empty_table()
    )
    return Annotation(features, genes=genes, flank=flank), True
