"""Labelled variant sets from a table (chrom, pos, ref, alt, label, numeric annotations).

For sets such as ``clinvar_snv_sample_dev.tsv``: each row becomes a Variant node (pos 1-based,
id ``{assembly}:{chrom}:{pos}:{ref}:{alt}``) carrying its label (``label``, and
``label_pathogenic`` 1/0 when given), ``review_stars``, ``phylop`` and every other numeric (or
True/False) column as ``annotation_names``/``annotation_values`` (NA -> NaN). With a gene
annotation (option ``annotation`` or the genes loaded in the store, e.g. by the ``gene-table``
loader) each variant is placed on genes by AFFECTS edges with consequences.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from varkg.errors import InputError
from varkg.loaders._support.context import option, require_assembly
from varkg.loaders._support.text import Table, check_gzip, is_missing, parse_float
from varkg.loaders.base import Frame, LoadContext, Loader, register_loader
from varkg.typing import normalise_chrom, variant_key

LABEL_COLUMNS: frozenset[str] = frozenset({"label", "label_pathogenic", "review_stars"})
"""The label properties this loader writes (option ``labels=omit`` leaves them out)."""

_BOOL = {"true": 1.0, "false": 0.0, "True": 1.0, "False": 0.0, "TRUE": 1.0, "FALSE": 0.0}
_SNIFF_ROWS = 1000


def _num(v: str, path: Path | None, line: int | None, field: str) -> float | None:
    """A number by the one parser (:func:`~varkg.loaders._support.text.parse_float`, ``None`` when
    missing); label tables also carry flag columns, so ``true``/``false`` read as 1/0."""
    flag = _BOOL.get(v.strip())
    return flag if flag is not None else parse_float(v, path=path, line=line, field=field)


def _is_number(v: str) -> bool:
    try:
        _num(v, None, None, "")
    except InputError:
        return False
    return True


@register_loader("variant-labels")
class VariantLabelsLoader(Loader):
    """A variant table with labels and numeric scores -> Variant nodes (+ AFFECTS).

    Required columns (case-insensitive): ``chrom`` (or ``chr``/``#chrom``), ``pos`` (1-based;
    or ``position``), ``ref``, ``alt``.

    Options:
        label_column (str): the label column (default ``label``, else ``label_pathogenic``,
            whose 1/0 become ``pathogenic``/``benign``).
        batch_size (int): rows per frame (default 50000).
        consequences ("auto" | "none"): AFFECTS edges from the loaded annotation (default auto).
        annotation (path): GTF/GFF3 or features Parquet instead of the store's annotation.
        ref_mismatch ("error" | "skip"): when a reference is given, REF is checked (default error).
        labels ("keep" | "omit"): write the label properties (:data:`LABEL_COLUMNS`, default keep),
            or only the variants' features, as a model's training graph must hold them.

    Example:
        ``varkg load variant-labels clinvar_snv_sample_dev.tsv --assembly GRCh38``
    """

    description = "Labelled variant table (chrom,pos,ref,alt,label + numeric columns)"

    def frames(self, paths: Sequence[Path], *, context: LoadContext) -> Iterator[Frame]:
        assembly = require_assembly(context, "variant-labels")
        batch_size = option(context.options, "batch_size", 50_000)
        mode = option(context.options, "consequences", "auto", choices=["auto", "none"])
        mismatch = option(context.options, "ref_mismatch", "error", choices=["error", "skip"])
        self._omit = option(context.options, "labels", "keep", choices=["keep", "omit"]) == "omit"
        for p in paths:
            check_gzip(Path(p))
        annot, genes_loaded = (None, False)
        if mode == "auto":
            from varkg.loaders._support.annotation_lookup import annotation_from_context

            annot, genes_loaded = annotation_from_context(context, assembly)
        ref = context.reference
        for path in paths:
            yield from self._one(
                Path(path),
                assembly=assembly,
                batch_size=batch_size,
                annot=annot,
                genes_loaded=genes_loaded,
                reference=ref,
                mismatch=mismatch,
                context=context,
            )

    def _one(
        self,
        path: Path,
        *,
        assembly: str,
        batch_size: int,
        annot: Any,
        genes_loaded: bool,
        reference: Any,
        mismatch: str,
        context: LoadContext,
    ) -> Iterator[Frame]:
        t = Table(path)
        c_chrom = t.find("chrom", "#chrom", "chr", "chromosome", required=True, what="chromosome")
        c_pos = t.find("pos", "position", "bp", required=True, what="1-based position")
        c_ref = t.find("ref", "reference_allele", required=True, what="reference allele")
        c_alt = t.find("alt", "alternate_allele", required=True, what="alternate allele")
        label_col = option(context.options, "label_column", None) or t.find("label") or t.find("label_pathogenic")
        if label_col is not None and label_col not in t.index:
            raise InputError(
                f"label column {label_col!r} is not in the header {t.columns}", path=path, line=t.header_line, field=label_col
            )
        c_lp = t.find("label_pathogenic")
        c_stars = t.find("review_stars", "stars")
        c_phylop = t.find("phylop", "PhyloP", "phyloP100way", "phylop100way_vertebrate")
        special = {c for c in (c_chrom, c_pos, c_ref, c_alt, label_col, c_lp, c_stars, c_phylop) if c}
        rows = list(t.rows())  # labelled sets are small; sniff numeric columns over the first rows
        numeric = []
        for c in t.columns:
            if c in special or c.lower().endswith(("_id", "_ids")) or c.lower() == "id":
                continue  # identifiers are not annotations
            i = t.index[c]
            vals = [r[i] for _, r in rows[:_SNIFF_ROWS]]
            if vals and all(_is_number(v) for v in vals) and not all(is_missing(v) for v in vals):
                numeric.append(c)
        from varkg.loaders.consequence import SEVERITY  # noqa: F401  (annotation import is lazy)

        seen: set[str] = set()
        for b in range(0, len(rows), batch_size):
            batch = rows[b : b + batch_size]
            cols: dict[str, list] = {
                k: []
                for k in (
                    "id",
                    "chrom",
                    "pos",
                    "ref",
                    "alt",
                    "label",
                    "label_pathogenic",
                    "review_stars",
                    "phylop",
                    "annotation_values",
                )
            }
            for lineno, f in batch:
                raw_chrom = f[t.index[c_chrom]]
                chrom = normalise_chrom(raw_chrom.strip())
                try:
                    pos = int(f[t.index[c_pos]])
                except ValueError:
                    raise InputError(
                        f"position {f[t.index[c_pos]]!r} is not an integer", path=path, line=lineno, field=c_pos
                    ) from None
                r, a = f[t.index[c_ref]].strip().upper(), f[t.index[c_alt]].strip().upper()
                if not r or not a or any(ch not in "ACGTN" for ch in r + a):
                    raise InputError(f"alleles {r!r}>{a!r}; expected A/C/G/T/N sequences", path=path, line=lineno, field=c_ref)
                if reference is not None:
                    if chrom not in reference:
                        raise InputError(
                            f"unknown chromosome {raw_chrom!r}: not in the reference (expected one of {reference.chroms[:25]})",
                            path=path,
                            line=lineno,
                            field=c_chrom,
                        )
                    if reference.covers(chrom, pos - 1, pos - 1 + len(r)):
                        got = reference.fetch(chrom, pos - 1, pos - 1 + len(r))
                        if got != r:
                            if mismatch == "skip":
                                continue
                            raise InputError(
                                f"REF {r!r} at {raw_chrom}:{pos} but the reference has {got!r}",
                                path=path,
                                line=lineno,
                                field=c_ref,
                            )
                key = variant_key(assembly, chrom, pos, r, a)
                if key in seen:
                    continue
                seen.add(key)
                cols["id"].append(key)
                cols["chrom"].append(chrom)
                cols["pos"].append(pos)
                cols["ref"].append(r)
                cols["alt"].append(a)
                lp = None
                if c_lp:
                    v = _num(f[t.index[c_lp]], path, lineno, c_lp)
                    lp = None if v is None else int(v)
                label = f[t.index[label_col]].strip() if label_col else None
                if label_col == c_lp and lp is not None:
                    label = "pathogenic" if lp == 1 else "benign"
                cols["label"].append(label or None)
                cols["label_pathogenic"].append(lp)
                st = _num(f[t.index[c_stars]], path, lineno, c_stars) if c_stars else None
                cols["review_stars"].append(None if st is None else int(st))
                cols["phylop"].append(_num(f[t.index[c_phylop]], path, lineno, c_phylop) if c_phylop else None)
                numbers: list[float] = []
                for c in numeric:
                    v = _num(f[t.index[c]], path, lineno, c)
                    numbers.append(math.nan if v is None else v)
                cols["annotation_values"].append(numbers)
            n = len(cols["id"])
            table = pa.table(
                {
                    "id": pa.array(cols["id"], pa.string()),
                    "assembly": pa.array([assembly] * n, pa.string()),
                    "chrom": pa.array(cols["chrom"], pa.string()),
                    "pos": pa.array(cols["pos"], pa.int64()),
                    "ref": pa.array(cols["ref"], pa.string()),
                    "alt": pa.array(cols["alt"], pa.string()),
                    "vtype": pa.array(
                        [
                            "SNV" if len(r) == len(a) == 1 else ("MNV" if len(r) == len(a) else "INDEL")
                            for r, a in zip(cols["ref"], cols["alt"], strict=False)
                        ],
                        pa.string(),
                    ),
                    "label": pa.array(cols["label"], pa.string()),
                    "label_pathogenic": pa.array(cols["label_pathogenic"], pa.int64()),
                    "review_stars": pa.array(cols["review_stars"], pa.int64()),
                    "phylop": pa.array(cols["phylop"], pa.float64()),
                    "annotation_names": pa.array([numeric] * n, pa.list_(pa.string())),
                    "annotation_values": pa.array(cols["annotation_values"], pa.list_(pa.float64())),
                }
            )
            edges = None
            if annot is not None:
                from varkg.loaders.vcf import _annotated_edges, _worst_per_variant

                edges = _annotated_edges(annot, cols, reference, genes_loaded)
                worst = _worst_per_variant(edges.table)
                table = table.append_column(
                    "consequence", pa.array([worst.get(v, (None, None))[0] for v in cols["id"]], pa.string())
                )
                table = table.append_column("impact", pa.array([worst.get(v, (None, None))[1] for v in cols["id"]], pa.string()))
            if self._omit:
                table = table.drop_columns([c for c in table.column_names if c in LABEL_COLUMNS])
            yield Frame.nodes("Variant", table)
            if edges is not None and edges.table.num_rows:
                yield edges
