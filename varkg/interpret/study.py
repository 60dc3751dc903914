"""An enrichment study end to end: the selection, its background, the libraries, one table.

:func:`run_enrichment` takes the selection as a gene list, a variant list (mapped to genes in
the graph, :mod:`varkg.interpret.mapping`) or the top-N of a written-back score, translates
study and background into each library's identifier kind (:class:`GeneIdMap`) and runs
:func:`~varkg.interpret.enrichment.enrich_libraries`. The returned :class:`EnrichmentStudy`
says how the selection became genes (``mapping``), so the output can state it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from varkg.errors import AnalysisError
from varkg.interpret.enrichment import Alternative, enrich_libraries
from varkg.interpret.genesets import GeneIdMap, GeneSetLibrary, IdKind
from varkg.interpret.mapping import VIAS, Via, variants_to_genes

if TYPE_CHECKING:
    from varkg.store.base import GraphStore


@dataclass
class EnrichmentStudy:
    """The result table and how it was reached."""

    result: pd.DataFrame
    mapping: str
    study_size: dict[str, int] = field(default_factory=dict)
    background_size: dict[str, int] = field(default_factory=dict)
    unmapped: dict[str, int] = field(default_factory=dict)


def genes_from_variants(
    store: GraphStore, study: Sequence[str], background: Sequence[str], *, via: Sequence[Via] = VIAS
) -> tuple[set[str], set[str], str]:
    """``(study genes, background genes, mapping statement)`` for Variant ids (genes as Ensembl ids)."""
    ms = variants_to_genes(store, study, via=via)
    mb = variants_to_genes(store, background, via=via)
    if not ms.genes():
        raise AnalysisError(f"none of the {len(study)} study variants maps to a gene via {list(via)}")
    statement = f"study: {ms.describe()}; background: {mb.describe()}; via {'/'.join(via)}"
    return ms.genes(), mb.genes() | ms.genes(), statement


def run_enrichment(
    study: Sequence[str],
    background: Sequence[str],
    *,
    id_kind: IdKind,
    libraries: Sequence[GeneSetLibrary],
    id_map: GeneIdMap | None = None,
    alternative: Alternative = "greater",
    min_size: int = 5,
    max_size: int = 2000,
    mapping: str = "",
) -> EnrichmentStudy:
    """Enrichment of ``study`` genes (``id_kind`` identifiers) within ``background`` in each library.

    Each library is tested in its own identifier kind: study and background are translated with
    ``id_map`` (needed when kinds differ); genes without a translation leave both, and the counts
    are reported in ``unmapped``.
    """
    parts = []
    out = EnrichmentStudy(pd.DataFrame(), mapping or f"{len(study)} {id_kind} genes given")
    for lib in libraries:
        if lib.id_kind != id_kind:
            if id_map is None:
                raise AnalysisError(
                    f"library {lib.name!r} uses {lib.id_kind} ids and the study {id_kind} ids: give a gene-id map "
                    "(--gene-info orgHsEgDb_gene_info.tsv.gz, or the graph's Gene nodes)"
                )
            s_map, s_un = id_map.translate(study, source=id_kind, target=lib.id_kind)
            b_map, _ = id_map.translate(background, source=id_kind, target=lib.id_kind)
            st = {x for v in s_map.values() for x in v}
            bg = {x for v in b_map.values() for x in v} | st
            out.unmapped[lib.name] = len(s_un)
        else:
            st, bg = set(study), set(background) | set(study)
        out.study_size[lib.name], out.background_size[lib.name] = len(st), len(bg)
        if not st:
            continue
        parts.append(
            enrich_libraries(st, background=bg, libraries=[lib], alternative=alternative, min_size=min_size, max_size=max_size)
        )
    if out.unmapped:
        out.mapping += "; translated to each library's ids, study genes without a translation: " + ", ".join(
            f"{k} {v}" for k, v in out.unmapped.items()
        )
    parts = [p for p in parts if len(p)]
    out.result = (
        pd.concat(parts, ignore_index=True).sort_values(["pvalue", "library", "set_id"], kind="mergesort").reset_index(drop=True)
        if parts
        else pd.DataFrame()
    )
    return out
