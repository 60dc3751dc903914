"""Gene expression: bulk matrices (GCT, TSV/CSV genes x samples/tissues) and single-cell AnnData.

Bulk: values are log-transformed (``log2(max(x, 0) + 1)``; negative microarray values floor at 0),
probes/rows of the same gene averaged, then standardised per gene (z-scores across the columns).
Each Gene gets ``expression`` (the z-score vector, column order written to
``{stem}.expression_columns.json`` and listed in the Dataset's artifacts) and ``expression_mean``
(mean log value); EXPRESSED_IN Gene->Tissue edges (value = mean log value in that column) where
the log value is above ``threshold``. With ``classes`` (a ``.cls`` file) samples are first
averaged per class and the classes are the columns.

Single cell (``.h5ad``): the log-normalised matrix (``.raw`` when it holds it, else ``.X``;
raw counts are normalised to 10,000 per cell and ``log1p``-transformed; cells with fewer than
``min_genes`` detected genes are dropped), mean per cell type -> CellType nodes and
EXPRESSED_IN Gene->CellType edges above ``threshold``.

Rows are keyed by Ensembl ids when they are (``ENSG...``, version dropped, ``_PAR_Y`` kept); symbols
are mapped by :class:`~varkg.loaders._support.genes.GeneMapper`: the Gene symbols already in the store,
then the ``id_map`` tables (e.g. NCBI gene info).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import cast

import numpy as np
import pyarrow as pa

from varkg.errors import InputError
from varkg.loaders._support.context import option
from varkg.loaders._support.genes import GeneMapper, ensembl_gene_id
from varkg.loaders._support.text import check_gzip, iter_lines, parse_floats, split_line
from varkg.loaders.base import Frame, LoadContext, Loader, register_loader

log = logging.getLogger(__name__)
_BATCH = 20_000


def normalise_name(name: str) -> str:
    """Node id for a tissue/cell type without an ontology id: trimmed, single-spaced, lower case."""
    return re.sub(r"\s+", " ", name.strip()).lower()


def _gene_ids(names: list[str], mapper: GeneMapper) -> list[str | None]:
    return [ensembl_gene_id(n) or mapper.gene(n, kind="symbol") for n in names]


def read_gct(path: Path) -> tuple[list[str], list[str], np.ndarray]:
    """``(row names, column names, float64 [rows, cols])`` from a GCT 1.2 file or a TSV/CSV
    matrix (first column names; GCT's ``Description`` column is skipped)."""
    lines = iter_lines(path)
    header: list[str] | None = None
    names: list[str] = []
    rows: list[list[float]] = []
    gct = path.name.lower().removesuffix(".gz").endswith(".gct")
    skip_cols = 1
    delim = "\t"
    for lineno, line in lines:
        if header is None:
            if gct and (line.startswith("#1.") or (lineno == 2 and re.match(r"^\d+\s+\d+", line))):
                continue
            delim = "\t" if "\t" in line else ","
            header = split_line(line, delim)
            if len(header) > 1 and header[1].lower() == "description":
                skip_cols = 2
            continue
        if not line.strip():
            continue
        f = split_line(line, delim)
        if len(f) != len(header):
            raise InputError(f"has {len(f)} fields, expected {len(header)} as in the header", path=path, line=lineno)
        rows.append(parse_floats(f[skip_cols:], path=path, line=lineno, fields=header[skip_cols:]))
        names.append(f[0])
    if header is None:
        raise InputError("empty expression matrix", path=path)
    return names, header[skip_cols:], np.asarray(rows, dtype=np.float64).reshape(len(rows), len(header) - skip_cols)


def read_cls(path: Path, n: int) -> list[str]:
    """Class labels per sample from a GSEA ``.cls`` file (line 3; names from line 2 when numeric)."""
    lines = [ln for _, ln in iter_lines(path)]
    if len(lines) < 3:
        raise InputError("a .cls file needs 3 lines (counts, # class names, labels)", path=path)
    names = lines[1].lstrip("#").split()
    labels = lines[2].split()
    if len(labels) != n:
        raise InputError(f"has {len(labels)} labels, expected {n} (one per matrix column)", path=path, line=3)
    if all(x.isdigit() for x in labels) and names:
        labels = [names[int(x)] for x in labels]
    return labels


@register_loader("expression")
class ExpressionLoader(Loader):
    """Bulk expression matrices and single-cell AnnData -> Gene expression vectors, EXPRESSED_IN.

    Options:
        log ("auto" | "log2p1" | "none"): bulk transform; auto applies log2p1 when the maximum
            exceeds 50 (default auto).
        threshold (float): EXPRESSED_IN when the (log) value exceeds it (default 1.0 bulk,
            0.1 single cell).
        classes (path): ``.cls`` labels; samples are averaged per class first.
        column_type ("Tissue" | "CellType"): node type of bulk columns (default Tissue).
        id_map (path): id-mapping table(s) for symbol -> Ensembl, e.g. NCBI gene info (besides the store's Gene symbols).
        cell_type_column (str): h5ad ``obs`` column of cell types (default: the first of
            cell_type, celltype, bulk_labels, louvain, leiden).
        min_genes (int): h5ad QC, minimum detected genes per cell (default 0: data already filtered).
        unit (str): recorded on the edges (default ``log2(x+1)`` bulk, ``log1p(CP10k)`` single cell).

    Example:
        ``varkg load expression golub_leukemia_hgu95av2_trim.gct --option id_map=orgHsEgDb_gene_info.tsv.gz``
    """

    description = "Expression: GCT/TSV bulk matrices (per-gene z-scored vectors) and h5ad cell-type means"

    def frames(self, paths: Sequence[Path], *, context: LoadContext) -> Iterator[Frame]:
        mapper = GeneMapper.from_context(context, require=False)
        for path in paths:
            path = Path(path)
            check_gzip(path)
            if path.suffix == ".h5ad":
                yield from self._h5ad(path, context, mapper)
            else:
                yield from self._bulk(path, context, mapper)

    # ------------------------------------------------------------------ bulk
    def _bulk(self, path: Path, context: LoadContext, mapper: GeneMapper) -> Iterator[Frame]:
        names, columns, x = read_gct(path)
        mode = option(context.options, "log", "auto", choices=["auto", "log2p1", "none"])
        if mode == "log2p1" or (mode == "auto" and np.nanmax(x) > 50):
            x = np.log2(np.clip(x, 0, None) + 1.0)
            unit = "log2(x+1)"
        else:
            unit = "as given"
        unit = option(context.options, "unit", unit)
        if context.options.get("classes"):
            labels = read_cls(Path(context.options["classes"]), len(columns))
            groups = list(dict.fromkeys(labels))
            lab = np.asarray(labels)
            x = np.stack([np.nanmean(x[:, lab == g], axis=1) for g in groups], axis=1)
            columns = groups
        ids = _gene_ids(names, mapper)
        keep = [i for i, g in enumerate(ids) if g is not None]
        if not keep:
            raise InputError(
                f"no row name maps to an Ensembl gene id (first rows: {names[:5]}); give id_map=PATH or load genes first",
                path=path,
                field="NAME",
            )
        if len(keep) < len(ids):
            log.info("%s: %d of %d rows have no Ensembl id and are skipped", path, len(ids) - len(keep), len(ids))
        # average rows (probes) of the same gene
        uniq: dict[str, list[int]] = {}
        for i in keep:
            uniq.setdefault(cast(str, ids[i]), []).append(i)  # keep: rows with an id
        genes = list(uniq)
        xm = np.stack([np.nanmean(x[uniq[g]], axis=0) for g in genes])
        mean = np.nanmean(xm, axis=1)
        sd = np.nanstd(xm, axis=1)
        z = np.where(sd[:, None] > 0, (xm - mean[:, None]) / np.where(sd > 0, sd, 1.0)[:, None], 0.0)
        if context.artifacts_dir is not None:
            context.artifacts_dir.mkdir(parents=True, exist_ok=True)
            out = context.artifacts_dir / f"{path.name.split('.')[0]}.expression_columns.json"
            out.write_text(json.dumps({"columns": columns, "transform": unit, "standardised": "per gene z-score"}, indent=1))
            context.artifacts.append(str(out))
        node_type = option(context.options, "column_type", "Tissue", choices=["Tissue", "CellType"])
        yield Frame.nodes(node_type, pa.table({"id": [normalise_name(c) for c in columns], "name": columns}))
        threshold = option(context.options, "threshold", 1.0)
        source = path.name
        for b in range(0, len(genes), _BATCH):
            sl = slice(b, b + _BATCH)
            g = genes[sl]
            yield Frame.nodes(
                "Gene",
                pa.table(
                    {
                        "id": g,
                        "expression": pa.array([list(map(float, r)) for r in z[sl]], pa.list_(pa.float64())),
                        "expression_mean": pa.array(mean[sl], pa.float64()),
                    }
                ),
            )
            gi, ci = np.nonzero(np.nan_to_num(xm[sl], nan=-np.inf) > threshold)
            yield Frame.edges(
                "EXPRESSED_IN",
                pa.table(
                    {
                        "src": [g[i] for i in gi],
                        "dst": [normalise_name(columns[j]) for j in ci],
                        "source": [source] * len(gi),
                        "value": pa.array(xm[sl][gi, ci], pa.float64()),
                        "unit": [unit] * len(gi),
                    }
                ),
                src_type="Gene",
                dst_type=node_type,
                missing="skip",
            )

    # ------------------------------------------------------------------ single cell
    def _h5ad(self, path: Path, context: LoadContext, mapper: GeneMapper) -> Iterator[Frame]:
        import warnings

        import anndata

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ad = anndata.read_h5ad(path)
            except (OSError, KeyError, ValueError) as exc:
                raise InputError(f"cannot read as AnnData h5ad ({exc})", path=path) from None
        col = option(context.options, "cell_type_column", None)
        if col is None:
            col = next((c for c in ("cell_type", "celltype", "bulk_labels", "louvain", "leiden") if c in ad.obs.columns), None)
        if col is None or col not in ad.obs.columns:
            raise InputError(
                f"no cell-type column {col!r} in obs; expected one of {list(ad.obs.columns)} (option cell_type_column)",
                path=path,
                field="obs",
            )
        if ad.raw is not None:
            x, var_names = ad.raw.X, list(ad.raw.var_names)
        else:
            x, var_names = ad.X, list(ad.var_names)
        import scipy.sparse as sp

        dense_probe = x[: min(200, x.shape[0])]
        probe = dense_probe.toarray() if sp.issparse(dense_probe) else np.asarray(dense_probe)
        is_counts = bool(np.all(probe >= 0) and np.allclose(probe, np.round(probe)) and probe.max() > 20)
        min_genes = option(context.options, "min_genes", 0)
        cells = np.ones(x.shape[0], dtype=bool)
        if min_genes:
            detected = np.asarray((x > 0).sum(axis=1)).ravel()
            cells = detected >= min_genes
        if is_counts:
            tot = np.asarray(x.sum(axis=1)).ravel()
            tot[tot == 0] = 1
            x = (sp.diags(1e4 / tot) @ x) if sp.issparse(x) else x * (1e4 / tot)[:, None]
            x = x.log1p() if sp.issparse(x) else np.log1p(x)
        labels = ad.obs[col].astype(str).to_numpy()
        groups = sorted(set(labels[cells]))
        means = []
        for g in groups:
            m = cells & (labels == g)
            sub = x[m]
            means.append(np.asarray(sub.mean(axis=0)).ravel())
        xm = np.stack(means, axis=1)  # genes x cell types
        ids = _gene_ids(var_names, mapper)
        keep = [i for i, g in enumerate(ids) if g is not None]
        if not keep:
            raise InputError(
                f"no gene name maps to an Ensembl id (first: {var_names[:5]}); give id_map=PATH or load genes first", path=path
            )
        uniq: dict[str, int] = {}
        for i in keep:
            uniq.setdefault(cast(str, ids[i]), i)  # keep: rows with an id
        genes = list(uniq)
        rows = np.array([uniq[g] for g in genes])
        xm = xm[rows]
        yield Frame.nodes("CellType", pa.table({"id": [normalise_name(g) for g in groups], "name": groups}))
        threshold = option(context.options, "threshold", 0.1)
        unit = option(context.options, "unit", "log1p(CP10k)")
        gi, ci = np.nonzero(xm > threshold)
        yield Frame.edges(
            "EXPRESSED_IN",
            pa.table(
                {
                    "src": [genes[i] for i in gi],
                    "dst": [normalise_name(groups[j]) for j in ci],
                    "source": [path.name] * len(gi),
                    "value": pa.array(xm[gi, ci], pa.float64()),
                    "unit": [unit] * len(gi),
                }
            ),
            src_type="Gene",
            dst_type="CellType",
            missing="skip",
        )
        if context.artifacts_dir is not None:
            context.artifacts_dir.mkdir(parents=True, exist_ok=True)
            out = context.artifacts_dir / f"{path.name.split('.')[0]}.celltype_means.json"
            out.write_text(json.dumps({"cell_types": groups, "cells": int(cells.sum()), "column": col, "unit": unit}, indent=1))
            context.artifacts.append(str(out))
