"""From what a user selected (variants, a score) to the genes enrichment tests, with the mapping stated.

Variants map to genes through the graph, by any of (``via``):

* ``AFFECTS``: ``(v:Variant)-[:AFFECTS]->(g:Gene)`` (coding/consequence annotation);
* ``REGULATES``: ``(v:Variant)-[:IN_ELEMENT]->(:RegulatoryElement)-[:REGULATES]->(g:Gene)``;
* ``EQTL_OF``: ``(v:Variant)-[:EQTL_OF]->(g:Gene)``.

A :class:`GeneMapping` keeps every (variant, gene, via) row, so the output can say which edge
put each gene in the list. The background of a variant study is the variants that could have
been selected (by default every Variant node, or for a score the nodes that carry it), mapped
the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import pandas as pd

from varkg.errors import AnalysisError, SchemaError

if TYPE_CHECKING:
    from varkg.store.base import GraphStore

Via = Literal["AFFECTS", "REGULATES", "EQTL_OF"]
VIAS: tuple[Via, ...] = ("AFFECTS", "REGULATES", "EQTL_OF")

_VIA_CYPHER: dict[str, str] = {
    "AFFECTS": "MATCH (v:Variant)-[:AFFECTS]->(g:Gene) WHERE v.id IN $ids RETURN DISTINCT v.id AS variant, g.id AS gene",
    "REGULATES": "MATCH (v:Variant)-[:IN_ELEMENT]->(:RegulatoryElement)-[:REGULATES]->(g:Gene) WHERE v.id IN $ids "
    "RETURN DISTINCT v.id AS variant, g.id AS gene",
    "EQTL_OF": "MATCH (v:Variant)-[:EQTL_OF]->(g:Gene) WHERE v.id IN $ids RETURN DISTINCT v.id AS variant, g.id AS gene",
}


@dataclass(frozen=True)
class GeneMapping:
    """Variant -> gene rows (``variant``, ``gene``, ``via``) and the variants that mapped to none."""

    rows: pd.DataFrame
    unmapped: list[str]

    def genes(self) -> set[str]:
        return set(self.rows["gene"])

    def describe(self) -> str:
        """One line stating the mapping, e.g. ``120 variants -> 80 genes (AFFECTS 70, EQTL_OF 15); 3 unmapped``."""
        n_v = self.rows["variant"].nunique() + len(self.unmapped)
        per = self.rows.groupby("via")["gene"].nunique().to_dict() if len(self.rows) else {}
        vias = ", ".join(f"{k} {v}" for k, v in sorted(per.items()))
        return f"{n_v} variants -> {len(self.genes())} genes ({vias or 'no edges'}); {len(self.unmapped)} unmapped"


def variants_to_genes(store: GraphStore, variant_ids: Sequence[str], *, via: Iterable[Via] = VIAS) -> GeneMapping:
    """Map Variant node ids to Gene ids along the ``via`` edges (see the module docstring).

    Raises:
        AnalysisError: an unknown ``via`` (the valid ones are listed).
    """
    ids = list(dict.fromkeys(variant_ids))
    frames = []
    for v in via:
        if v not in _VIA_CYPHER:
            raise AnalysisError(f"unknown variant-to-gene mapping {v!r}; expected one of {list(VIAS)}")
        t = store.query(_VIA_CYPHER[v], {"ids": ids}).to_pandas()
        t["via"] = v
        frames.append(t)
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["variant", "gene", "via"])
    mapped = set(rows["variant"])
    return GeneMapping(rows, [i for i in ids if i not in mapped])


def all_node_ids(store: GraphStore, label: str) -> list[str]:
    """Every id of ``label`` nodes (the default background of a selection among them)."""
    _check_label(store, label)
    return store.export_nodes(label, properties=["id"]).column("id").to_pylist()


def _check_label(store: GraphStore, label: str, prop: str | None = None) -> None:
    node = store.schema.node(label)  # raises SchemaError with the valid labels
    if prop is not None and prop not in node.properties:
        raise SchemaError(f"{label} has no property {prop!r}; its properties are {sorted(node.properties)}")


def top_scored(store: GraphStore, *, label: str, score: str, top: int, descending: bool = True) -> tuple[list[str], list[str]]:
    """``(top ids, background ids)``: the ``top`` nodes of ``label`` by the written-back property
    ``score`` (highest first unless ``descending=False``) and every node carrying a value of it.

    Raises:
        SchemaError: ``label`` or ``score`` is not in the schema.
        AnalysisError: no node carries ``score``, or ``top`` < 1.
    """
    _check_label(store, label, score)
    if top < 1:
        raise AnalysisError(f"top must be >= 1 (got {top})")
    t = store.export_nodes(label, properties=["id", score]).to_pandas().dropna(subset=[score])
    if t.empty:
        raise AnalysisError(f"no {label} node carries {score!r}: write the score back first")
    t = t.sort_values([score, "id"], ascending=[not descending, True], kind="mergesort")
    return t["id"].head(top).tolist(), t["id"].tolist()
