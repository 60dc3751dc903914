"""Molecular QTLs (GTEx-style eQTL/sQTL/caQTL pairs) -> EQTL_OF Variant->Gene + Parquet.

Inputs: GTEx ``signif_variant_gene_pairs``/``sqtl_signifpairs`` (``variant_id`` as
``chr1_942934_G_C_b38``, ``gene_id`` or ``phenotype_id`` -- for sQTLs the intron cluster
``chr1:946545:948131:clu_30221:ENSG00000188976.10`` -- ``tss_distance``, ``maf``, ``pval_nominal``,
``slope``, ``slope_se``), and tables with explicit columns (``chromosome``, ``position``,
``reference_allele``, ``alternate_allele``, ``ensembl_gene_id``, ``pvalue_nominal``, ``biosample``,
as the forgedb GTEx export). Positions are 1-based; slopes are effects of the alt allele (GTEx).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from varkg.errors import InputError
from varkg.loaders._support.context import option, require_assembly
from varkg.loaders._support.text import Table, check_gzip, parse_float, parse_int
from varkg.loaders.base import Frame, LoadContext, Loader, register_loader
from varkg.typing import normalise_chrom, variant_key

_BATCH = 50_000
_GTEX_VID = re.compile(r"^(?:chr)?([^_]+)_(\d+)_([ACGTN]+)_([ACGTN]+)(?:_(b3[78]))?$", re.IGNORECASE)
_BUILD = {"b37": ("GRCh37", "hg19"), "b38": ("GRCh38", "hg38")}
_ENSG = re.compile(r"(ENS[A-Z]*G\d+)(?:\.\d+)?")

ROW_SCHEMA = pa.schema(
    [
        ("variant_id", pa.string()),
        ("gene_id", pa.string()),
        ("phenotype_id", pa.string()),
        ("tissue", pa.string()),
        ("qtl_kind", pa.string()),
        ("slope", pa.float64()),
        ("se", pa.float64()),
        ("pvalue", pa.float64()),
        ("tss_distance", pa.int64()),
        ("maf", pa.float64()),
        ("rsid", pa.string()),
    ]
)


def parse_gtex_variant(vid: str, *, assembly: str, path: Path, line: int) -> tuple[str, int, str, str]:
    """``chr1_942934_G_C_b38`` -> ``("1", 942934, "G", "C")``; a build suffix that contradicts
    ``assembly`` is an InputError."""
    m = _GTEX_VID.match(vid.strip())
    if not m:
        raise InputError(f"variant_id {vid!r}; expected chr_pos_ref_alt[_b38]", path=path, line=line, field="variant_id")
    build = (m.group(5) or "").lower()
    if build and assembly not in _BUILD[build]:
        raise InputError(
            f"variant_id {vid!r} is on {build} but the load's assembly is {assembly!r}", path=path, line=line, field="variant_id"
        )
    return normalise_chrom(m.group(1)), int(m.group(2)), m.group(3).upper(), m.group(4).upper()


@register_loader("eqtl")
class EqtlLoader(Loader):
    """GTEx-style QTL pairs -> Variant nodes, EQTL_OF edges; every row to ``{stem}.qtl.parquet``.

    Options:
        tissue (str): tissue for all rows (default: a ``biosample``/``tissue`` column, else the
            file name without ``GTEx_v8_`` prefix and ``.v8...``/``_sqtl...`` suffixes).
        qtl_kind ("eQTL" | "sQTL" | "caQTL"): default sQTL when the phenotype is an intron
            cluster (``:clu_``), else eQTL.
        missing_genes ("skip" | "create"): edges to genes not in the graph are skipped (default)
            or id-only Gene nodes are created for them.
        p_threshold (float): only rows with p below it go to the graph (default 1: all).

    Example:
        ``varkg load eqtl GTEx_v8_Kidney_Cortex_sqtl_signifpairs.txt.gz --assembly GRCh38 --option missing_genes=create``
    """

    description = "GTEx-style eQTL/sQTL/caQTL pairs -> EQTL_OF Variant->Gene + Parquet"

    def frames(self, paths: Sequence[Path], *, context: LoadContext) -> Iterator[Frame]:
        assembly = require_assembly(context, "eqtl")
        missing = option(context.options, "missing_genes", "skip", choices=["skip", "create"])
        kind_opt = option(context.options, "qtl_kind", None, choices=[None, "eQTL", "sQTL", "caQTL"])
        threshold = option(context.options, "p_threshold", 1.0)
        for p in paths:
            check_gzip(Path(p))
        for path in paths:
            path = Path(path)
            t = Table(path)
            c_vid = t.find("variant_id", "variant_id_b38", "variant_id_b37")
            c_chr, c_pos = t.find("chromosome", "chrom", "chr"), t.find("position", "pos", "variant_pos")
            c_ref, c_alt = t.find("reference_allele", "ref"), t.find("alternate_allele", "alt")
            if c_vid is None and not all((c_chr, c_pos, c_ref, c_alt)):
                t.find("variant_id", required=True, what="variant (variant_id or chromosome/position/ref/alt)")
            if c_vid is not None and assembly == "GRCh38" and t.find("variant_id_b38"):
                c_vid = t.find("variant_id_b38")
            c_gene = t.find("gene_id", "ensembl_gene_id", "phenotype_id", "gene", required=True, what="gene or phenotype id")
            c_pheno = t.find("phenotype_id")
            c_p = t.find("pval_nominal", "pvalue_nominal", "pvalue", "p_value", "pval", required=True, what="nominal p-value")
            c_slope, c_se = t.find("slope", "beta"), t.find("slope_se", "se")
            c_tss, c_maf, c_tissue, c_rs = (
                t.find("tss_distance"),
                t.find("maf"),
                t.find("biosample", "tissue"),
                t.find("rsid", "rs_id_dbsnp151_GRCh38p7"),
            )
            tissue_default = option(context.options, "tissue", None) or _tissue_from_name(path.name)
            stem = path.name.split(".")[0]
            writer = None
            if context.artifacts_dir is not None:
                context.artifacts_dir.mkdir(parents=True, exist_ok=True)
                out = context.artifacts_dir / f"{stem}.qtl.parquet"
                writer = pq.ParquetWriter(out, ROW_SCHEMA)
            rows: list[dict[str, Any]] = []
            try:
                for line, f in t.rows():
                    if c_vid is not None:
                        chrom, pos, ref, alt = parse_gtex_variant(f[t.index[c_vid]], assembly=assembly, path=path, line=line)
                    else:
                        assert c_chr and c_pos and c_ref and c_alt  # all present: checked after the header
                        chrom = normalise_chrom(f[t.index[c_chr]])
                        pos = parse_int(f[t.index[c_pos]], path=path, line=line, field=c_pos, allow_na=False)
                        ref, alt = f[t.index[c_ref]].upper(), f[t.index[c_alt]].upper()
                    if context.reference is not None and chrom not in context.reference:
                        raise InputError(
                            f"unknown chromosome {chrom!r}: not in the reference", path=path, line=line, field=c_vid or c_chr
                        )
                    gfield = f[t.index[c_gene]]
                    m = _ENSG.search(gfield)
                    if not m:
                        raise InputError(
                            f"gene/phenotype id {gfield!r} names no Ensembl gene (ENSG...)", path=path, line=line, field=c_gene
                        )
                    pheno = f[t.index[c_pheno]] if c_pheno else ""
                    kind = kind_opt or ("sQTL" if ":clu_" in pheno else "eQTL")
                    tissue = (_tissue_from_name(f[t.index[c_tissue]]) if c_tissue else None) or tissue_default
                    rows.append(
                        {
                            "variant_id": variant_key(assembly, chrom, pos, ref, alt),
                            "gene_id": m.group(1),
                            "phenotype_id": pheno if kind != "eQTL" else "",
                            "tissue": tissue,
                            "qtl_kind": kind,
                            "slope": parse_float(f[t.index[c_slope]], path=path, line=line, field=c_slope) if c_slope else None,
                            "se": parse_float(f[t.index[c_se]], path=path, line=line, field=c_se) if c_se else None,
                            "pvalue": parse_float(f[t.index[c_p]], path=path, line=line, field=c_p, allow_na=False),
                            "tss_distance": parse_int(f[t.index[c_tss]], path=path, line=line, field=c_tss) if c_tss else None,
                            "maf": parse_float(f[t.index[c_maf]], path=path, line=line, field=c_maf) if c_maf else None,
                            "rsid": f[t.index[c_rs]] if c_rs and f[t.index[c_rs]].startswith("rs") else None,
                            "_v": (chrom, pos, ref, alt),
                        }
                    )
                    if len(rows) >= _BATCH:
                        yield from self._flush(rows, writer, assembly=assembly, missing=missing, threshold=threshold)
                        rows = []
                yield from self._flush(rows, writer, assembly=assembly, missing=missing, threshold=threshold)
            finally:
                if writer is not None:
                    writer.close()
            if writer is not None:
                context.artifacts.append(str(out))

    @staticmethod
    def _flush(rows: list[dict], writer: Any, *, assembly: str, missing: str, threshold: float) -> Iterator[Frame]:
        if not rows:
            return
        if writer is not None:
            writer.write_table(pa.Table.from_pylist([{k: v for k, v in r.items() if k != "_v"} for r in rows], schema=ROW_SCHEMA))
        rows = [r for r in rows if r["pvalue"] < threshold]
        variants: dict[str, tuple] = {}
        for r in rows:
            variants.setdefault(r["variant_id"], (*r["_v"], r["rsid"]))
        vids = list(variants)
        yield Frame.nodes(
            "Variant",
            pa.table(
                {
                    "id": vids,
                    "assembly": [assembly] * len(vids),
                    "chrom": [variants[v][0] for v in vids],
                    "pos": pa.array([variants[v][1] for v in vids], pa.int64()),
                    "ref": [variants[v][2] for v in vids],
                    "alt": [variants[v][3] for v in vids],
                    "rsid": pa.array([variants[v][4] for v in vids], pa.string()),
                    "vtype": ["SNV" if len(variants[v][2]) == len(variants[v][3]) == 1 else "INDEL" for v in vids],
                }
            ),
        )
        if missing == "create":
            genes = sorted({r["gene_id"] for r in rows})
            yield Frame.nodes("Gene", pa.table({"id": genes}))
        edges: dict[tuple, dict] = {}
        for r in rows:
            edges.setdefault((r["variant_id"], r["gene_id"], r["tissue"], r["qtl_kind"], r["phenotype_id"]), r)
        es = list(edges.values())
        yield Frame.edges(
            "EQTL_OF",
            pa.table(
                {
                    "src": [r["variant_id"] for r in es],
                    "dst": [r["gene_id"] for r in es],
                    "tissue": [r["tissue"] for r in es],
                    "qtl_kind": [r["qtl_kind"] for r in es],
                    "phenotype_id": [r["phenotype_id"] for r in es],
                    "slope": pa.array([r["slope"] for r in es], pa.float64()),
                    "se": pa.array([r["se"] for r in es], pa.float64()),
                    "pvalue": pa.array([r["pvalue"] for r in es], pa.float64()),
                    "tss_distance": pa.array([r["tss_distance"] for r in es], pa.int64()),
                    "maf": pa.array([r["maf"] for r in es], pa.float64()),
                }
            ),
            src_type="Variant",
            dst_type="Gene",
            missing="skip" if missing == "skip" else "error",
        )


def _tissue_from_name(name: str) -> str:
    """``GTEx_v8_Kidney_Cortex_sqtl_signifpairs.txt.gz`` -> ``Kidney_Cortex``;
    ``Pancreas.v8.signif_variant_gene_pairs.txt`` -> ``Pancreas``."""
    n = name.split(".")[0]
    n = re.sub(r"^GTEx_v\d+_", "", n)
    n = re.sub(r"_(sqtl|eqtl|caqtl)_.*$", "", n, flags=re.IGNORECASE)
    return n
