"""A small planted-signal graph in a real store (shared by the gnn tests)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def planted_store(
    store, *, n_genes: int = 40, n_variants: int = 300, seed: int = 0, clinvar_edges: bool = False
) -> tuple[list[str], np.ndarray]:
    """Genes G000.. on chromosomes 1-5; even genes are disease genes (ASSOCIATED_WITH P0).
    Variants are pathogenic when their gene is a disease gene (10 % label noise), so the label is
    visible only through the graph; their own features (phylop) are noise.
    With ``clinvar_edges`` every pathogenic variant also gets a ClinVar ASSOCIATED_WITH edge to
    P1 (the label restated as an edge)."""
    rng = np.random.default_rng(seed)
    g = [f"ENSG{i:011d}" for i in range(n_genes)]
    store.upsert_nodes(
        "Gene", pa.table({"id": g, "biotype": ["protein_coding"] * n_genes, "chrom": [str(i % 5 + 1) for i in range(n_genes)]})
    )
    store.upsert_nodes("Phenotype", pa.table({"id": ["OMIM:1", "ClinVar:pathogenic"]}))
    dis = g[0::2]
    store.upsert_edges(
        "ASSOCIATED_WITH",
        pa.table({"src": dis, "dst": ["OMIM:1"] * len(dis), "source": ["HPO"] * len(dis), "study": [""] * len(dis)}),
        src_type="Gene",
        dst_type="Phenotype",
    )
    gi = rng.integers(0, n_genes, n_variants)
    y = ((gi % 2 == 0) ^ (rng.random(n_variants) < 0.1)).astype(np.int64)
    keys = [f"GRCh38:{gi[i] % 5 + 1}:{1000 + i}:A:G" for i in range(n_variants)]
    store.upsert_nodes(
        "Variant",
        pa.table(
            {
                "id": keys,
                "assembly": ["GRCh38"] * n_variants,
                "chrom": [str(x % 5 + 1) for x in gi],
                "pos": list(range(1000, 1000 + n_variants)),
                "ref": ["A"] * n_variants,
                "alt": ["G"] * n_variants,
                "phylop": rng.normal(size=n_variants),
                "label_pathogenic": y,
                "clinical_significance": np.where(y == 1, "pathogenic", "benign"),
            }
        ),
    )
    store.upsert_edges(
        "AFFECTS",
        pa.table({"src": keys, "dst": [g[x] for x in gi], "consequence": ["missense_variant"] * n_variants}),
        src_type="Variant",
        dst_type="Gene",
    )
    if clinvar_edges:
        pk = [k for k, lab in zip(keys, y, strict=False) if lab == 1]
        store.upsert_edges(
            "ASSOCIATED_WITH",
            pa.table(
                {"src": pk, "dst": ["ClinVar:pathogenic"] * len(pk), "source": ["ClinVar"] * len(pk), "study": [""] * len(pk)}
            ),
            src_type="Variant",
            dst_type="Phenotype",
        )
    return keys, y
