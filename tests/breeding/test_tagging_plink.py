"""Tag SNPs and LD coverage against Debian's ``plink1.9 --show-tags`` on the real chr20 1000 Genomes
data (300 Europeans), complete and with 3% of calls knocked out; the chip's tag layer on pig markers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bed_reader import open_bed, to_bed

from varkg.breeding.chip import design_panel, panel_curve
from varkg.breeding.tagging import ld_coverage, select_tags, tag_neighbours
from varkg.errors import AnalysisError


@pytest.fixture(scope="module")
def kgp_bed(kgp, tmp_path_factory):
    """The first 6,000 chr20 variants as PLINK files plus their int8 dosages and coordinates."""
    g = kgp.slice_variants(0, 6000)
    prefix = tmp_path_factory.mktemp("tags") / "kgp"
    g.to_plink(prefix)
    v = g.variants
    return prefix, g.dosages(), v["chrom"].astype(str).to_numpy(), v["pos"].to_numpy(), v["name"].astype(str).to_numpy()


def _plink_tags(run_plink, prefix, names, tags, out):
    (out.parent / "targets.txt").write_text("\n".join(names[tags]) + "\n")
    run_plink("--bfile", str(prefix), "--show-tags", str(out.parent / "targets.txt"), "--list-all", "--out", str(out))
    tagged = set(out.with_suffix(".tags").read_text().split())
    lst = pd.read_csv(out.with_suffix(".tags.list"), sep=r"\s+")
    return tagged, lst


def _check_against_plink(X, chrom, pos, names, tags, tagged, lst):
    nb = tag_neighbours(X, chrom=chrom, pos=pos)
    cov = ld_coverage(X, chrom=chrom, pos=pos, panel=tags)
    assert set(names[cov.tagged]) == tagged
    ix = {n: i for i, n in enumerate(names)}
    targets = lst[lst["SNP"].isin(set(names[tags]))]
    assert len(targets) == len(tags)
    for row in targets.itertuples():
        theirs = set() if row.TAGS == "NONE" else set(row.TAGS.split("|"))
        assert set(names[nb[ix[row.SNP]]]) - {row.SNP} == theirs, row.SNP
    return cov


def test_tags_match_plink_show_tags_on_chr20(kgp_bed, run_plink, tmp_path):
    prefix, X, chrom, pos, names = kgp_bed
    tags = select_tags(X, chrom=chrom, pos=pos, budget=300, min_gain=2)
    assert len(tags) == 300
    tagged, lst = _plink_tags(run_plink, prefix, names, tags, tmp_path / "t")
    cov = _check_against_plink(X, chrom, pos, names, tags, tagged, lst)
    assert 2000 < len(tagged) < 6000  # chr20 in Europeans: 300 tags cover thousands of variants
    # greedy: the first tag tags the most markers of any; gains never increase
    nb = tag_neighbours(X, chrom=chrom, pos=pos)
    assert len(nb[tags[0]]) == max(len(x) for x in nb)
    even = ld_coverage(X, chrom=chrom, pos=pos, panel=np.linspace(0, len(names) - 1, 300).round().astype(int))
    assert cov.fraction > 1.5 * even.fraction


def test_pairwise_complete_r2_with_missing_calls_matches_plink(kgp_bed, run_plink, tmp_path):
    prefix, _, _, _, _ = kgp_bed
    with open_bed(prefix.with_suffix(".bed")) as b:
        X = b.read(dtype="int8")
        keys = ("fid", "iid", "father", "mother", "sex", "chromosome", "sid", "bp_position", "allele_1", "allele_2")
        props = {k: getattr(b, k) for k in keys}
    X = X.copy()
    X[np.random.default_rng(7).random(X.shape) < 0.03] = -127
    to_bed(tmp_path / "m.bed", X, properties=props)
    Xm = np.where(X < 0, -1, X).astype(np.int8)
    chrom, pos, names = props["chromosome"].astype(str), props["bp_position"], props["sid"]
    tags = select_tags(Xm, chrom=chrom, pos=pos, budget=200, min_gain=2)
    tagged, lst = _plink_tags(run_plink, tmp_path / "m", names, tags, tmp_path / "mo")
    _check_against_plink(Xm, chrom, pos, names, tags, tagged, lst)


def test_spacing_forced_and_budget(kgp_bed):
    _, X, chrom, pos, _ = kgp_bed
    nb = tag_neighbours(X, chrom=chrom, pos=pos)
    forced = np.array([10, 2000])
    tags = select_tags(chrom=chrom, pos=pos, budget=40, forced=forced, min_spacing_bp=5_000, neighbours=nb)
    assert len(tags) == 40 and not set(tags) & set(forced)
    p = np.sort(pos[np.concatenate([tags, forced])])
    assert np.diff(p).min() >= 5_000
    assert len(select_tags(chrom=chrom, pos=pos, budget=0, neighbours=nb)) == 0
    # min_gain 1 runs until every eligible (polymorphic) marker is tagged
    f = X.mean(axis=0) / 2
    elig = (np.minimum(f, 1 - f) >= 0.05) & (np.arange(len(pos)) < 1000)
    all_ = select_tags(chrom=chrom, pos=pos, budget=10**6, eligible=elig, neighbours=nb)
    assert ld_coverage(X, chrom=chrom, pos=pos, panel=all_, eligible=elig).fraction == 1.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"budget": -1}, "budget"), ({"budget": 5, "min_gain": 0}, "min_gain"), ({"budget": 5, "window_bp": -5}, "window")],
)
def test_select_tags_bad_arguments(kgp_bed, kwargs, match):
    _, X, chrom, pos, _ = kgp_bed
    with pytest.raises(AnalysisError, match=match):
        select_tags(X[:, :50], chrom=chrom[:50], pos=pos[:50], **kwargs)


def test_coverage_rejects_out_of_range_panel(kgp_bed):
    _, X, chrom, pos, _ = kgp_bed
    with pytest.raises(AnalysisError, match="out of range"):
        ld_coverage(X, chrom=chrom, pos=pos, panel=np.array([len(pos)]))
    with pytest.raises(AnalysisError, match="positions"):
        tag_neighbours(X, chrom=chrom[:-1], pos=pos)


def test_chip_tag_layer_on_pig_markers(ph24):
    s = -np.log10(np.random.default_rng(3).uniform(size=ph24.X.shape[1]))
    chrom, pos = ph24.variants["chrom"].astype(str).to_numpy(), ph24.variants["pos"].to_numpy()
    man = design_panel(ph24.variants, ph24.X, n=400, scores=s, candidate_share=0.2, tag_share=0.3)
    reasons = man["reason"].value_counts().to_dict()
    assert len(man) == 400 and reasons["candidate"] == 80 and 0 < reasons["tag"] <= 120
    nb = tag_neighbours(ph24.X, chrom=chrom, pos=pos)
    idx = man["index"].to_numpy()
    cand = idx[man["reason"] == "candidate"]
    for j in idx[man["reason"] == "tag"]:
        assert len(nb[j]) >= 2  # a tag covers some marker besides itself
    assert not any(set(nb[a]) & {b} for a in cand for b in cand if a != b)  # candidates are distinct signals
    no_tags = design_panel(ph24.variants, ph24.X, n=400, scores=s, tag_share=0.0)
    with_cov = ld_coverage(ph24.X, chrom=chrom, pos=pos, panel=idx).mean_r2
    assert with_cov >= ld_coverage(ph24.X, chrom=chrom, pos=pos, panel=no_tags["index"].to_numpy()).mean_r2
    with pytest.raises(AnalysisError, match="candidate_share \\+ tag_share"):
        design_panel(ph24.variants, ph24.X, n=400, scores=s, candidate_share=0.7, tag_share=0.5)


def test_panel_curve_reports_coverage(ph24):
    curve = panel_curve(ph24, sizes=(300,), folds=3, repeats=1)
    assert {"coverage", "mean_r2", "accuracy", "se"} <= set(curve.columns)
    by = curve.set_index("panel")
    assert by.loc["all", "coverage"] == 1.0
    assert (curve["coverage"].between(0, 1)).all()
    assert by.loc["designed", "mean_r2"] > by.loc["random", "mean_r2"] - 0.02
