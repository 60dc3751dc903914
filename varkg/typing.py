"""The domain's names, defined once (as PyG's ``typing.py`` and cooler's ``_typing.py``).

Coordinates: a :class:`GenomicRange` is 0-based half-open (BED convention);
VCF/GWAS positions (``Pos1``) are 1-based.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple, TypeAlias, cast

NodeType: TypeAlias = str
"""A node label from the schema, e.g. ``"Gene"``."""

RelType: TypeAlias = str
"""A relationship type from the schema, e.g. ``"AFFECTS"``."""

EdgeType: TypeAlias = tuple[NodeType, RelType, NodeType]
"""A typed edge ``(src, rel, dst)`` as PyG uses it, e.g. ``("Variant", "AFFECTS", "Gene")``."""


def as_edge_type(et: Sequence[str]) -> EdgeType:
    """An edge type as the tuple PyG indexes by (from a list, e.g. read back from JSON).

    >>> as_edge_type(["Variant", "AFFECTS", "Gene"])
    ('Variant', 'AFFECTS', 'Gene')
    """
    return cast(EdgeType, tuple(et))


NodeKey: TypeAlias = str
"""The canonical key of a node, e.g. ``"GRCh38:17:7675088:C:T"`` or ``"ENSG00000141510"``."""

Assembly: TypeAlias = str
"""An assembly name as data, never a constant: ``"GRCh38"``, ``"GRCh37"``, ``"Sscrofa11.1"``."""

Chrom: TypeAlias = str
"""A chromosome name without ``chr``; ``"M"`` for mitochondria."""

Pos1: TypeAlias = int
"""A 1-based position (VCF, GWAS)."""

Strand: TypeAlias = Literal["+", "-", "."]

PropertyKind: TypeAlias = Literal[
    "string", "int", "float", "bool", "string_list", "float_list", "int_list", "timestamp", "vector"
]


class GenomicRange(NamedTuple):
    """A 0-based half-open interval ``[start, end)`` on ``chrom`` of ``assembly``."""

    assembly: Assembly
    chrom: Chrom
    start: int
    end: int

    def key(self) -> NodeKey:
        """The interval key used by RegulatoryElement and ChromatinRegion nodes.

        >>> GenomicRange("GRCh38", "20", 100, 250).key()
        'GRCh38:20:100-250'
        """
        return interval_key(self.assembly, self.chrom, self.start, self.end)


def interval_key(assembly: Assembly, chrom: Chrom, start: int, end: int) -> NodeKey:
    """The interval key ``{assembly}:{chrom}:{start}-{end}`` of RegulatoryElement (without a cCRE
    accession) and ChromatinRegion nodes; ``start``/``end`` 0-based half-open.

    >>> interval_key("GRCh38", "20", 100, 250)
    'GRCh38:20:100-250'
    """
    return f"{assembly}:{chrom}:{start}-{end}"


def variant_key(assembly: Assembly, chrom: Chrom, pos: Pos1, ref: str, alt: str) -> NodeKey:
    """The canonical Variant key ``{assembly}:{chrom}:{pos}:{ref}:{alt}`` (pos 1-based).

    >>> variant_key("GRCh38", "17", 7675088, "C", "T")
    'GRCh38:17:7675088:C:T'
    """
    return f"{assembly}:{chrom}:{pos}:{ref}:{alt}"


def normalise_chrom(name: str) -> Chrom:
    """Chromosome name without ``chr``; ``MT``/``chrM`` become ``M``.

    >>> normalise_chrom("chr20"), normalise_chrom("MT"), normalise_chrom("chrM"), normalise_chrom("X")
    ('20', 'M', 'M', 'X')
    """
    n = name[3:] if name.lower().startswith("chr") else name
    return "M" if n.upper() in {"M", "MT"} else n
