"""DNA facts, defined once: complements, palindromic allele pairs and base codes.

Complements follow the IUPAC nucleotide code: ``A<->T``, ``C<->G``, ``R<->Y``, ``K<->M``,
``B<->V``, ``D<->H``, while ``N``, ``S`` and ``W`` are their own complement. Case is kept
(soft-masked bases stay lower case) and any other character (``-``, ``*``, ``.``) is left as
it is. Base codes are ``A=0, C=1, G=2, T=3``, anything else ``4`` (any case).

These functions work on sequences and alleles alike and know nothing about coordinates: a
reverse complement of a 0-based half-open window ``[start, end)`` on the plus strand reads
the same bases from ``end - 1`` down to ``start`` on the minus strand.

Example:
    >>> reverse_complement("AACGTN")
    'NACGTT'
    >>> complement("acgR")
    'tgcY'
    >>> is_palindromic("A", "T"), is_palindromic("C", "T")
    (True, False)
    >>> encode("ACgtN").tolist()
    [0, 1, 2, 3, 4]
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "BASES",
    "BASE_INDEX",
    "IUPAC_COMPLEMENT",
    "complement",
    "encode",
    "is_palindromic",
    "reverse_complement",
]

BASES = "ACGT"
"""The four bases in code order (``encode`` gives ``A=0 .. T=3``)."""

BASE_INDEX: dict[str, int] = {b: i for i, b in enumerate(BASES)}
"""Upper-case base -> code (``{"A": 0, "C": 1, "G": 2, "T": 3}``)."""

IUPAC_COMPLEMENT: dict[str, str] = {
    "A": "T",
    "C": "G",
    "G": "C",
    "T": "A",
    "N": "N",
    "R": "Y",
    "Y": "R",
    "S": "S",
    "W": "W",
    "K": "M",
    "M": "K",
    "B": "V",
    "V": "B",
    "D": "H",
    "H": "D",
}
"""Upper-case IUPAC nucleotide code -> its complement (lower case maps the same way)."""

_TABLE = str.maketrans(
    "".join(IUPAC_COMPLEMENT) + "".join(IUPAC_COMPLEMENT).lower(),
    "".join(IUPAC_COMPLEMENT.values()) + "".join(IUPAC_COMPLEMENT.values()).lower(),
)
_CODE = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate(BASES):
    _CODE[ord(_b)] = _i
    _CODE[ord(_b.lower())] = _i


def complement(seq: str) -> str:
    """The base-by-base complement, not reversed (a strand flip of an allele, as TwoSampleMR
    does it).

    >>> complement("ACGTN"), complement("ag")
    ('TGCAN', 'tc')
    """
    return seq.translate(_TABLE)


def reverse_complement(seq: str) -> str:
    """The reverse complement (the other strand read 5' to 3'); case kept.

    >>> reverse_complement("AACGn"), reverse_complement("ACGR")
    ('nCGTT', 'YCGT')
    """
    return seq.translate(_TABLE)[::-1]


def is_palindromic(a1: str, a2: str) -> bool:
    """True for strand-ambiguous SNPs: two single bases that are each other's complement
    (A/T, T/A, C/G, G/C), any case.

    >>> is_palindromic("A", "T"), is_palindromic("g", "C"), is_palindromic("A", "G"), is_palindromic("AT", "TA")
    (True, True, False, False)
    """
    return len(a1) == 1 and len(a2) == 1 and complement(a1.upper()) == a2.upper()


def encode(seq: str | bytes) -> np.ndarray:
    """Sequence as ``uint8[len(seq)]`` codes ``A=0, C=1, G=2, T=3``, anything else ``4``
    (soft-masking ignored).

    >>> encode(b"TtAx").tolist()
    [3, 3, 0, 4]
    """
    raw = seq.encode("ascii", "replace") if isinstance(seq, str) else bytes(seq)
    return _CODE[np.frombuffer(raw, dtype=np.uint8)]
