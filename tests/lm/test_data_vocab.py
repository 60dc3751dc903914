from __future__ import annotations

import numpy as np
import pytest

from varkg.errors import InputError
from varkg.lm.data import FastaReader, check_dna, random_windows, read_sequence_csv
from varkg.lm.vocab import VocabSweepConfig, kmer_class, select_vocab


def test_check_dna_and_csv_errors(tmp_path):
    assert check_dna("acgtn") == "ACGTN"
    with pytest.raises(InputError, match=r"non-ACGTN character 'R' at offset 2"):
        check_dna("ACRT", source="x")
    p = tmp_path / "s.csv"
    p.write_text("sequence,label\nACGT,1\nACXT,0\n")
    with pytest.raises(InputError, match=r"s.csv:3, field 'sequence': non-ACGTN character 'X'"):
        read_sequence_csv(p)
    p.write_text("sequence,label\nACGT,yes\n")
    with pytest.raises(InputError, match=r"s.csv:2, field 'label': label 'yes' is not an integer"):
        read_sequence_csv(p)
    p.write_text("seq,label\nACGT,1\n")
    with pytest.raises(InputError, match="column 'sequence' missing"):
        read_sequence_csv(p)


def test_fasta_reader_windows_skip_n(tmp_path, fasta_file, dna):
    fa = FastaReader(fasta_file(tmp_path / "r.fa", {"chrX": "N" * 500 + dna(500).lower()}))
    assert fa.fetch("X", 500, 505) == fa.fetch("chrX", 500, 505).upper()
    wins = random_windows(fa, length=50, n=20, rng=np.random.default_rng(0))
    assert all(len(w) == 50 and w.count("N") <= 5 for w in wins)
    with pytest.raises(InputError, match=r"outside the record chrX of length 1000 bp"):
        fa.fetch("X", 990, 1010)


def test_kmer_class():
    assert [kmer_class(k) for k in ("AA", "AC", "CA", "TT")] == [0, 1, 4, 15]
    assert kmer_class("TTTTTT") == 4**6 - 1


def test_select_vocab_writes_table_plot_and_tokenizer(tmp_path, fasta_file, dna):
    fa = fasta_file(tmp_path / "r.fa", {"chr1": dna(20000, seed=3), "chr2": dna(8000, seed=4)})
    cfg = VocabSweepConfig(
        merges=[10, 40],
        kmers=[2, 3],
        context_bp=32,
        tokenizer_windows=50,
        tokenizer_window_bp=200,
        size="tiny",
        pretrain_steps=3,
        pretrain_batch=8,
        probe_steps=3,
        probe_batch=16,
        probe_train=64,
        probe_test=64,
    )
    res = select_vocab(fasta_paths=[fa], out=tmp_path / "sweep", cfg=cfg, quiet=True)
    assert [r["merges"] for r in res.rows] == [10, 40]
    assert res.chosen_merges in (10, 40)
    assert (tmp_path / "sweep" / "sweep.csv").read_text().startswith("merges,vocab_size,bp_per_token,acc_k2,acc_k3")
    assert (tmp_path / "sweep" / "sweep.png").stat().st_size > 1000
    assert (res.tokenizer_dir / "tokenizer.json").exists()
    assert all(0 <= r["acc_k2"] <= 1 for r in res.rows)
