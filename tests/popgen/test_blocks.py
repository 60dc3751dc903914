"""LD blocks against Debian's plink1.9 --blocks (defaults) on the real chr20 VCF and the pig markers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from varkg.errors import AnalysisError
from varkg.popgen.blocks import BlockParams, blocks_table, classify_pairs, gabriel_blocks
from varkg.popgen.ld import genotype_counts


def _plink_blocks(run_plink, prefix) -> pd.DataFrame:
    run_plink("--bfile", str(prefix), "--blocks", "no-pheno-req", "--out", str(prefix))
    return pd.read_csv(f"{prefix}.blocks.det", sep=r"\s+", dtype={"CHR": str})


def _same(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    assert len(ours) == len(theirs)
    for col in ("CHR", "BP1", "BP2", "NSNPS", "SNPS"):
        assert ours[col].tolist() == theirs[col].tolist(), col
    assert (ours["KB"] - theirs["KB"]).abs().max() < 1e-3


def test_blocks_match_plink_on_chr20(kgp, run_plink, tmp_path):
    g = kgp.slice_variants(0, 2500)
    g.to_plink(tmp_path / "kgp")
    ours = blocks_table(gabriel_blocks(g))
    ours["SNPS"] = ["|".join(g.variants.set_index("id").loc[s.split("|"), "name"]) for s in ours["SNPS"]]
    theirs = _plink_blocks(run_plink, tmp_path / "kgp")
    assert len(theirs) > 30
    _same(ours, theirs)


def test_blocks_match_plink_on_pig_markers(pig_founders, run_plink, tmp_path):
    g = pig_founders.slice_variants(0, 4648)  # chromosomes 1-3
    g.to_plink(tmp_path / "pig")
    ours = blocks_table(gabriel_blocks(g))
    theirs = _plink_blocks(run_plink, tmp_path / "pig")
    assert len(theirs) > 100
    _same(ours, theirs)


def test_block_members_and_coordinates(pig):
    blocks = gabriel_blocks(pig.slice_variants(0, 600))
    assert blocks
    pos = pig.variants["pos"].to_numpy()
    for b in blocks:
        assert b.start == pos[b.members[0]] - 1 and b.stop == pos[b.members[-1]]
        assert b.pos_last - b.pos_first <= 200_000 and b.n_variants >= 2
    spans = sorted((b.members[0], b.members[-1]) for b in blocks)
    assert all(a[1] < b[0] for a, b in zip(spans[:-1], spans[1:], strict=True))  # disjoint


def _window_tables(g, kb: float = 200.0) -> np.ndarray:
    """Genotype tables of every pair of MAF >= 0.05 variants at most ``kb`` apart."""
    d = g.dosages(0, g.n_variants)
    f = d.sum(axis=0) / (2.0 * d.shape[0])
    keep = (f >= 0.05) & (f <= 0.95)
    d, pos = d[:, keep], g.variants["pos"].to_numpy()[keep]
    c = genotype_counts(d, d)
    i, j = np.nonzero(np.triu(np.abs(pos[:, None] - pos[None, :]) <= kb * 1000, k=1))
    return c[j, i]


@pytest.mark.parametrize(
    "params",
    [BlockParams(), pytest.param(BlockParams(strong_lowci=0.6, strong_highci=0.95, recomb_highci=0.85), marks=pytest.mark.slow)],
)
def test_compiled_classes_equal_the_full_grid(kgp, pig_founders, params):
    """The early-exit classifier gives every real pair the class of the summed 101-point grid."""
    tables = np.concatenate([_window_tables(kgp.slice_variants(0, 2500)), _window_tables(pig_founders.slice_variants(0, 1000))])
    assert len(tables) > 50_000
    ours, grid = classify_pairs(tables, params), classify_pairs(tables, params, full_grid=True)
    assert np.bincount(grid, minlength=7).min() > 0  # every class occurs
    assert (ours == grid).all(), np.flatnonzero(ours != grid)[:10]


def test_bad_parameters_are_named():
    with pytest.raises(AnalysisError, match=r"inform_frac must be in \(0, 1\] \(got 1.5\)"):
        BlockParams(inform_frac=1.5)


def test_blocks_match_plink_where_a_lower_bound_is_050(kgp, run_plink, tmp_path):
    """chr20:2.70-2.80 Mb holds a pair with lower D′ bound 0.50 that decides a 2- vs 4-variant block."""
    pos = kgp.variants["pos"].to_numpy()
    g = kgp.slice_variants(int(pos.searchsorted(2_700_000)), int(pos.searchsorted(2_800_000)))
    g.to_plink(tmp_path / "kgp")
    ours = blocks_table(gabriel_blocks(g))
    theirs = _plink_blocks(run_plink, tmp_path / "kgp")
    assert [2751831, 2751854] in theirs[["BP1", "BP2"]].values.tolist()
    _same(ours, theirs)


@pytest.mark.slow
@pytest.mark.parametrize("which", ["kgp", "pig_founders"])
def test_blocks_match_plink_on_whole_files(which, request, run_plink, tmp_path):
    """The whole chr20 file (24,990 variants; ~40 s) and all 18 pig chromosomes."""
    g = request.getfixturevalue(which)
    g.to_plink(tmp_path / "x")
    _same(blocks_table(gabriel_blocks(g)), _plink_blocks(run_plink, tmp_path / "x"))
