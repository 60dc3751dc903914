from __future__ import annotations

import pytest
import torch

from varkg.dna import reverse_complement
from varkg.errors import InputError
from varkg.lm.data import FastaReader
from varkg.lm.score import Variant, build_jobs, score_variants, score_windows, variant_window
from varkg.lm.tokenizer import single_nucleotide_tokenizer, train_bpe_tokenizer


def _logsoftmax_at(model, ids: list[int], pos: int) -> torch.Tensor:
    with torch.no_grad():
        return torch.log_softmax(model(input_ids=torch.tensor([ids])).logits[0, pos], -1)


def test_llr_equals_hand_computed_log_softmax_difference(mlm):
    model, tok = mlm(seed=3), single_nucleotide_tokenizer()
    window, off, ref, alt = "ACGTTGCAGGCTA", 5, "G", "T"
    assert window[off] == ref
    (s,) = score_windows(model, tok, [window], [off], [ref], [alt])
    v = tok.get_vocab()
    fwd_ids = tok(window)["input_ids"]
    fwd_ids[1 + off] = tok.mask_token_id
    lp = _logsoftmax_at(model, fwd_ids, 1 + off)
    rc = reverse_complement(window)
    rc_ids = tok(rc)["input_ids"]
    rpos = 1 + len(window) - 1 - off
    assert rc[rpos - 1] == "C"  # complement of the G ref, at the mirrored index
    rc_ids[rpos] = tok.mask_token_id
    lpr = _logsoftmax_at(model, rc_ids, rpos)
    hand_f = float(lp[v[alt]] - lp[v[ref]])
    hand_r = float(lpr[v["A"]] - lpr[v["C"]])  # alt T -> A, ref G -> C on the reverse strand
    assert s.method == "exact-snv"
    assert s.llr_forward == pytest.approx(hand_f, abs=1e-5)
    assert s.llr_reverse == pytest.approx(hand_r, abs=1e-5)
    assert s.llr == pytest.approx((hand_f + hand_r) / 2, abs=1e-5)
    assert abs(hand_f - hand_r) > 1e-4  # the strands really differ for this random model


def test_reverse_complement_index_palindromic_context(mlm, dna):
    """Flanks that are reverse complements of each other give identical masked inputs on both
    strands, so the reverse-strand score is the complemented-allele score of the same distribution;
    and a variant scored on the reverse-complemented window swaps its strand scores."""
    model, tok = mlm(seed=5), single_nucleotide_tokenizer()
    left = dna(20, seed=11)
    window = left + "A" + reverse_complement(left)
    (s,) = score_windows(model, tok, [window], [20], ["A"], ["T"])
    ids = tok(window)["input_ids"]
    ids[21] = tok.mask_token_id
    lp = _logsoftmax_at(model, ids, 21)
    v = tok.get_vocab()
    assert s.llr_forward == pytest.approx(float(lp[v["T"]] - lp[v["A"]]), abs=1e-5)
    assert s.llr_reverse == pytest.approx(float(lp[v["A"]] - lp[v["T"]]), abs=1e-5)
    # ref A -> alt C (complement G on the reverse strand), same masked input on both strands
    (c,) = score_windows(model, tok, [window], [20], ["A"], ["C"])
    assert c.llr_reverse == pytest.approx(float(lp[v["G"]] - lp[v["T"]]), abs=1e-5)
    # an off-centre variant and its mirror on the reverse-complemented window
    w = dna(31, seed=12)
    off = 7
    alt = "A" if w[off] != "A" else "C"
    (a,) = score_windows(model, tok, [w], [off], [w[off]], [alt])
    (b,) = score_windows(
        model, tok, [reverse_complement(w)], [len(w) - 1 - off], [reverse_complement(w[off])], [reverse_complement(alt)]
    )
    assert a.llr_forward == pytest.approx(b.llr_reverse, abs=1e-5)
    assert a.llr_reverse == pytest.approx(b.llr_forward, abs=1e-5)
    assert a.llr == pytest.approx(b.llr, abs=1e-5)


def test_bpe_span_and_indel_methods(mlm, dna):
    seqs = [dna(400, seed=i) for i in range(50)]
    tok = train_bpe_tokenizer(seqs, merges=40)
    model = mlm(vocab_size=len(tok), seed=1)
    w = dna(60, seed=99)
    alt = "A" if w[30] != "A" else "C"
    snv, ins, dele = score_windows(model, tok, [w, w, w], [30, 30, 30], [w[30], w[30], w[30:33]], [alt, w[30] + "GG", w[30]])
    assert snv.method == "token-span" and ins.method == "pll" and dele.method == "pll"
    for s in (snv, ins, dele):
        assert s.llr == pytest.approx((s.llr_forward + s.llr_reverse) / 2)
    # same alleles -> the masked-span score is exactly zero
    jobs, _ = build_jobs(tok, [w], [30], [w[30]], [w[30]])
    (same,) = score_windows(model, tok, [w], [30], [w[30]], [w[30]])
    assert same.llr == pytest.approx(0.0, abs=1e-6) and jobs


def test_bad_input_errors(tmp_path, fasta_file, dna, mlm):
    seq = dna(300, seed=2)
    fa = FastaReader(fasta_file(tmp_path / "ref.fa", {"chr7": seq}))
    ok = Variant("7", 150, seq[149], "A" if seq[149] != "A" else "C")
    w, o = variant_window(fa, ok, flank=20)
    assert o == 20 and w == seq[129:170]
    with pytest.raises(InputError, match=r"non-ACGTN character 'X'"):
        variant_window(fa, Variant("7", 150, seq[149], "X"), flank=20)
    with pytest.raises(InputError, match=r"runs off the chromosome \(length 300 bp\)"):
        variant_window(fa, Variant("chr7", 295, seq[294], "A" if seq[294] != "A" else "C"), flank=20)
    with pytest.raises(InputError, match=r"runs off the chromosome"):
        variant_window(fa, Variant("7", 3, seq[2], "A" if seq[2] != "A" else "C"), flank=20)
    wrong = "A" if seq[149] != "A" else "C"
    with pytest.raises(InputError, match=rf"REF '{wrong}' at 7:150 \(1-based\) does not match the reference '{seq[149]}'"):
        variant_window(fa, Variant("7", 150, wrong, "G"), flank=20)
    with pytest.raises(InputError, match="chromosome '9' is not in"):
        variant_window(fa, Variant("9", 150, "A", "C"), flank=20)
    (s,) = score_variants(mlm(), single_nucleotide_tokenizer(), fa, [ok], flank=20)
    assert s.method == "exact-snv"


def test_reads_shared_bgzipped_reference(shared_data):
    fa = FastaReader(shared_data / "reference" / "hg38_chr2_1-2333275.fa.gz")
    assert fa.lengths == {"chr2": 2333275}
    assert fa.fetch("2", 0, 10) == "N" * 10
    s = fa.fetch("chr2", 100_000, 100_050)
    assert len(s) == 50 and set(s) <= set("ACGTN") and s == s.upper()
    plain = FastaReader(shared_data / "reference" / "hg38_chr22_32000000_32300000.fa")
    assert plain.lengths == {"chr22": 300_000}
