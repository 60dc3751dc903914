from __future__ import annotations

import pytest

from varkg.errors import ModelError
from varkg.lm.tokenizer import (
    SPECIAL_TOKENS,
    is_single_nucleotide,
    load_tokenizer,
    single_nucleotide_tokenizer,
    train_bpe_tokenizer,
)


def test_single_nucleotide_ids_and_offsets():
    tok = single_nucleotide_tokenizer()
    enc = tok("acgtN", return_offsets_mapping=True)
    assert enc["input_ids"] == [2, 5, 6, 7, 8, 9, 3]
    assert enc["offset_mapping"][1:-1] == [(i, i + 1) for i in range(5)]
    assert is_single_nucleotide(tok)


def test_bpe_splits_n_runs_and_round_trips(tmp_path, dna):
    seqs = [dna(300, seed=i) for i in range(100)] + ["ACGTNNNNNNACGT" * 5]
    tok = train_bpe_tokenizer(seqs, merges=60)
    assert len(tok) <= len(SPECIAL_TOKENS) + 5 + 60
    assert [tok.get_vocab()[t] for t in SPECIAL_TOKENS] == list(range(5))
    pieces = tok.tokenize("acgtacgtNNNNacgatcga")
    assert all(set(p) <= set("ACGT") or set(p) == {"N"} for p in pieces), pieces
    assert "".join(pieces) == "ACGTACGTNNNNACGATCGA"
    assert not is_single_nucleotide(tok)
    tok.save_pretrained(str(tmp_path))
    back = load_tokenizer(str(tmp_path))
    text = dna(500, seed=7)
    assert back(text)["input_ids"] == tok(text)["input_ids"]
    assert back.mask_token_id == 4 and back.pad_token_id == 0


def test_negative_merges_and_missing_dir(tmp_path):
    with pytest.raises(ModelError, match="merges"):
        train_bpe_tokenizer(["ACGT"], merges=-1)
    with pytest.raises(ModelError, match="no tokenizer"):
        load_tokenizer(str(tmp_path))
