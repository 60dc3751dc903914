"""Genotypes on Hail: VCF or PLINK -> MatrixTable of split, normalised biallelic variants keyed
like the single-machine path, and the Variant frame, variant QC and allele frequencies from it.

Variant ids are varkg's ``{assembly}:{chrom}:{pos}:{ref}:{alt}`` (:func:`varkg.typing.variant_key`)
built as the VCF loader builds them (:mod:`varkg.loaders.vcf`) without a reference: multi-allelic
records are split (``hl.split_multi_hts``: one row per ALT, other ALTs counted as REF, as the
loader's per-allele dosages), alleles are trimmed to their minimal representation
(``hl.min_rep``, the loader's trimming), ``*`` alleles are dropped, the chromosome loses ``chr``
(``MT`` -> ``M``), and a key seen twice keeps its first row. Positions are 1-based.

Row fields added to the MatrixTable: ``vid`` (the Variant id), ``dosage`` entries (counted-allele
dosage, missing for no call). The Variant frame has the loader's columns and types: ``id``,
``assembly``, ``chrom``, ``pos``, ``ref``, ``alt``, ``rsid``, ``vtype``, ``af`` (INFO AF when the
VCF has it, else from the genotypes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from varkg.errors import InputError

__all__ = ["allele_frequencies", "import_plink", "import_vcf", "to_arrow", "variant_frame", "variant_qc"]

VARIANT_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("assembly", pa.string()),
        ("chrom", pa.string()),
        ("pos", pa.int64()),
        ("ref", pa.string()),
        ("alt", pa.string()),
        ("rsid", pa.string()),
        ("vtype", pa.string()),
        ("af", pa.float64()),
    ]
)
"""The Variant frame of :class:`varkg.loaders.vcf.VcfLoader` (without consequences)."""

_SV_MIN_LENGTH = 50  # varkg.loaders.vcf.SV_MIN_LENGTH


def _hl() -> Any:
    from varkg.spark.session import hail_context

    return hail_context()


def _norm_contig(hl: Any, contig: Any) -> Any:
    c = hl.if_else(contig.lower().startswith("chr"), contig[3:], contig)
    return hl.if_else(hl.set(["M", "MT"]).contains(c.upper()), "M", c)


def _vtype(hl: Any, ref: Any, alt: Any) -> Any:
    symbolic = alt.startswith("<") | alt.contains("[") | alt.contains("]")
    return (
        hl.case()
        .when(symbolic, "SV")
        .when(hl.len(ref) == hl.len(alt), hl.if_else(hl.len(ref) == 1, "SNV", "MNV"))
        .when(hl.abs(hl.len(ref) - hl.len(alt)) >= _SV_MIN_LENGTH, "SV")
        .default("INDEL")
    )


def _finish(hl: Any, mt: Any, *, assembly: str) -> Any:
    """Split, normalise, key and de-duplicate; add ``vid``, ``chrom``, ``pos``, ``ref``, ``alt``, ``dosage``."""
    mt = mt.filter_rows(hl.len(mt.alleles) > 1)
    if "GT" in mt.entry:
        # split_multi_hts also takes each split pair to its minimal representation (hl.min_rep)
        mt = hl.split_multi_hts(mt)
    mt = mt.annotate_rows(
        chrom=_norm_contig(hl, mt.locus.contig),
        pos=hl.int64(mt.locus.position),
        ref=mt.alleles[0].upper(),
        alt=mt.alleles[1].upper(),
    )
    mt = mt.filter_rows((mt.alt != "*") & (mt.alt != "."))
    mt = mt.annotate_rows(vid=hl.delimit([hl.str(assembly), mt.chrom, hl.str(mt.pos), mt.ref, mt.alt], ":"))
    mt = mt.annotate_entries(dosage=mt.GT.n_alt_alleles())
    # the loader keeps the first row of a repeated id
    return mt.distinct_by_row()


def import_vcf(path: str | Path, *, assembly: str, min_partitions: int | None = None) -> Any:
    """A VCF (bgzipped or plain) as a MatrixTable of split, normalised variants (module docstring).

    Args:
        path: the VCF; contigs must be those of ``assembly`` as Hail names them (``20`` for GRCh37, ``chr20`` for GRCh38).
        assembly: the assembly named in the Variant ids (``GRCh37``, ``GRCh38``, ``Sscrofa11.1``).
        min_partitions: Spark partitions to read into (None: Hail's default from the file size).

    Raises:
        InputError: the file does not exist.
    """
    hl = _hl()
    path = Path(path)
    if not path.exists():
        raise InputError("VCF does not exist", path=path)
    if assembly not in ("GRCh37", "GRCh38"):
        raise InputError(f"the Spark VCF path knows the GRCh37 and GRCh38 contigs, not {assembly!r} (use PLINK input)", path=path)
    mt = hl.import_vcf(
        str(path),
        reference_genome=assembly,
        force_bgz=path.suffix in {".gz", ".bgz"},
        min_partitions=min_partitions,
        array_elements_required=False,
    )
    mt = _finish(hl, mt, assembly=assembly)
    rsid = mt.rsid.split(";")[0]
    mt = mt.annotate_rows(rsid_out=hl.or_missing(hl.is_defined(mt.rsid) & rsid.startswith("rs"), rsid))
    if "AF" in mt.info:
        info_af = mt.info.AF[mt.a_index - 1] if "a_index" in mt.row else mt.info.AF[0]
        mt = mt.annotate_rows(info_af=hl.float64(info_af))
    else:
        mt = mt.annotate_rows(info_af=hl.missing(hl.tfloat64))
    return mt


def import_plink(prefix: str | Path, *, assembly: str | None = None, min_partitions: int | None = None) -> Any:
    """PLINK 1 ``.bed/.bim/.fam`` as a MatrixTable (A1 counted, as :func:`varkg.popgen.genotypes.read_plink`).

    ``vid`` is the ``.bim`` marker name, or with ``assembly`` the key ``{assembly}:{chrom}:{pos}:{A2}:{A1}``.
    """
    hl = _hl()
    prefix = Path(prefix)
    bed = prefix if prefix.suffix == ".bed" else prefix.with_name(prefix.name + ".bed")
    for ext in (".bed", ".bim", ".fam"):
        if not bed.with_suffix(ext).exists():
            raise InputError(f"PLINK {ext} file does not exist", path=bed.with_suffix(ext))
    mt = hl.import_plink(
        bed=str(bed),
        bim=str(bed.with_suffix(".bim")),
        fam=str(bed.with_suffix(".fam")),
        reference_genome=None,
        a2_reference=True,
        min_partitions=min_partitions,
        quant_pheno=False,
        missing="-9",
    )
    chrom = _norm_contig(hl, mt.locus.contig)
    vid = (
        mt.rsid
        if assembly is None
        else hl.delimit([assembly, chrom, hl.str(mt.locus.position), mt.alleles[0], mt.alleles[1]], ":")
    )
    mt = mt.annotate_rows(vid=vid, chrom=chrom, pos=hl.int64(mt.locus.position))
    return mt.annotate_entries(dosage=mt.GT.n_alt_alleles())


def allele_frequencies(mt: Any) -> Any:
    """Row field ``gt_af``: counted-allele frequency over called genotypes (NaN when none is called)."""
    hl = _hl()
    n = hl.agg.count_where(hl.is_defined(mt.dosage))
    s = hl.agg.sum(hl.or_else(mt.dosage, 0))
    return mt.annotate_rows(gt_af=hl.if_else(n > 0, hl.float64(s) / (2.0 * n), hl.float64("nan")))


def variant_frame(mt: Any, *, assembly: str) -> Any:
    """The Variant frame as a Hail Table (columns of :data:`VARIANT_SCHEMA`, key dropped)."""
    hl = _hl()
    mt = allele_frequencies(mt)
    ht = mt.rows()
    af = hl.or_else(ht.info_af, ht.gt_af) if "info_af" in ht.row else ht.gt_af
    rsid = ht.rsid_out if "rsid_out" in ht.row else hl.missing(hl.tstr)
    ref = ht.ref if "ref" in ht.row else ht.alleles[0]
    alt = ht.alt if "alt" in ht.row else ht.alleles[1]
    out = ht.select(
        id=ht.vid,
        assembly=hl.str(assembly),
        chrom=ht.chrom,
        pos=ht.pos,
        ref=ref,
        alt=alt,
        rsid=rsid,
        vtype=_vtype(hl, ref, alt),
        af=af,
    )
    return out.key_by().drop(*[k for k in ("locus", "alleles") if k in out.row])


def variant_qc(mt: Any) -> Any:
    """Per-variant QC as a Hail Table with :data:`varkg.popgen.qc.QC_COLUMNS` (``hl.variant_qc``)."""
    hl = _hl()
    q = hl.variant_qc(mt).rows()
    af = hl.if_else(q.variant_qc.AN > 0, q.variant_qc.AF[1], hl.float64("nan"))
    return (
        q.select(
            id=q.vid,
            n_called=q.variant_qc.n_called,
            call_rate=q.variant_qc.call_rate,
            an=hl.float64(q.variant_qc.AN),
            ac=hl.float64(q.variant_qc.AC[1]),
            af=af,
            n_het=q.variant_qc.n_het,
            n_hom_var=q.variant_qc.homozygote_count[1],
        )
        .key_by()
        .drop("locus", "alleles")
    )


def to_arrow(ht: Any, *, schema: pa.Schema | None = None) -> pa.Table:
    """A (small) Hail Table collected to the driver as an Arrow table (``schema`` casts the columns)."""
    df: pd.DataFrame = ht.to_pandas()
    t = pa.Table.from_pandas(df, preserve_index=False)
    return t.select(schema.names).cast(schema) if schema is not None else t
