"""varkg.dna: complements, palindromic SNPs and base codes, checked against the tables they replace."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from varkg.dna import BASE_INDEX, BASES, complement, encode, is_palindromic, reverse_complement

# The five tables varkg had before varkg.dna (lm/data, motifscan, consequence; gwas; harmonise).
_OLD_LM = str.maketrans("ACGTNacgtn", "TGCANtgcan")  # lm/data.py, motifscan.py, loaders/consequence.py
_OLD_GWAS = str.maketrans("ACGT", "TGCA")  # loaders/gwas.py (alleles upper-cased first)
_OLD_HARMONISE = str.maketrans("ACGTacgt", "TGCAtgca")  # causal/harmonise.py

_ACGTN = st.text(alphabet="ACGTNacgtn", max_size=60)


@given(_ACGTN)
def test_reverse_complement_matches_the_old_tables_on_acgtn_in_any_case(seq: str) -> None:
    assert reverse_complement(seq) == seq.translate(_OLD_LM)[::-1]
    assert complement(seq) == seq.translate(_OLD_HARMONISE)
    assert complement(seq.upper()) == seq.upper().translate(_OLD_GWAS)


@given(st.text(alphabet="ACGTNRYSWKMBDHVacgtnryswkmbdhv-*.", max_size=60))
def test_reverse_complement_is_an_involution(seq: str) -> None:
    assert reverse_complement(reverse_complement(seq)) == seq
    assert complement(complement(seq)) == seq
    assert len(reverse_complement(seq)) == len(seq)


def test_case_and_n_are_kept() -> None:
    assert reverse_complement("AACGTN") == "NACGTT"
    assert reverse_complement("acgtn") == "nacgt"
    assert reverse_complement("ACgt") == "acGT"  # soft-masked bases stay lower case
    assert complement("NNN") == "NNN"


def test_iupac_ambiguity_codes_are_complemented() -> None:
    """Behaviour fix: the old tables left R, Y, K, M, B, V, D, H unchanged, so the reverse
    complement of ``AR`` (A then A/G) came out ``RT``; the other strand reads ``YT`` (C/T then T)."""
    assert reverse_complement("AR") == "YT"
    assert complement("RYKMBVDHSWN") == "YRMKVBHDSWN"
    assert complement("rykmbvdhswn") == "yrmkvbhdswn"


def test_other_characters_are_left_alone() -> None:
    assert reverse_complement("A-*.") == ".*-T"


@pytest.mark.parametrize(("a1", "a2"), [("A", "T"), ("T", "A"), ("C", "G"), ("G", "C"), ("a", "T"), ("g", "c")])
def test_palindromic_pairs(a1: str, a2: str) -> None:
    assert is_palindromic(a1, a2) is True


@pytest.mark.parametrize(("a1", "a2"), [("A", "G"), ("A", "A"), ("C", "T"), ("AT", "TA"), ("A", "TA"), ("", "")])
def test_not_palindromic(a1: str, a2: str) -> None:
    assert is_palindromic(a1, a2) is False


def test_palindromic_agrees_with_the_old_gwas_and_harmonise_checks() -> None:
    for a in "ACGTN":
        for b in "ACGTN":
            old_gwas = len(a) == 1 and len(b) == 1 and a.translate(_OLD_GWAS) == b
            old_harm = a.translate(_OLD_HARMONISE) == b
            assert is_palindromic(a, b) == old_gwas == old_harm


def test_encode_codes_and_base_index() -> None:
    assert encode("ACGTacgtNRx-").tolist() == [0, 1, 2, 3, 0, 1, 2, 3, 4, 4, 4, 4]
    assert encode(b"GATTACA").tolist() == [BASE_INDEX[b] for b in "GATTACA"]
    assert encode("").dtype == np.uint8 and encode("").shape == (0,)
    assert "".join(BASES[c] for c in encode("TTGCA")) == "TTGCA"


def test_encode_of_reverse_complement_mirrors_codes() -> None:
    """On ACGT, complementing a code is ``3 - code`` (A<->T, C<->G), which motifscan relies on."""
    seq = "ACGGTTAC"
    assert (encode(reverse_complement(seq)) == (3 - encode(seq))[::-1]).all()
