"""Gene Ontology vocabulary shared by the GO loaders and the enrichment code: relation names as the
GO files spell them, mapped to one spelling, and the namespaces with their abbreviations."""

from __future__ import annotations

GO_RELATIONS: dict[str, str] = {
    "isa": "is_a",
    "is_a": "is_a",
    "part of": "part_of",
    "part_of": "part_of",
    "regulates": "regulates",
    "positively regulates": "positively_regulates",
    "positively_regulates": "positively_regulates",
    "negatively regulates": "negatively_regulates",
    "negatively_regulates": "negatively_regulates",
}
"""Relation as written in GO parents tables and OBO files -> its one spelling."""

GO_NAMESPACES: dict[str, str] = {"BP": "biological_process", "MF": "molecular_function", "CC": "cellular_component"}
"""GO namespace abbreviation -> name."""

GAF_ASPECTS: dict[str, str] = {"P": "biological_process", "F": "molecular_function", "C": "cellular_component"}
"""GAF column 9 aspect letter -> namespace name."""
