"""SuSiE against susieR on the N3 fine-mapping example, SuSiE-RSS, and bad input."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from varkg.causal.susie import susie, susie_rss
from varkg.errors import AnalysisError

TRUE_Y1 = {403, 653, 773}  # 1-based columns with non-zero effects for phenotype 1


@pytest.fixture(scope="module")
def n3(shared_data: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = shared_data / "finemapping"
    if not (d / "N3_X.tsv.gz").exists():
        pytest.skip("finemapping/N3_X.tsv.gz is absent")
    X = pd.read_csv(d / "N3_X.tsv.gz", sep="\t", header=None).to_numpy(float)
    Y = pd.read_csv(d / "N3_Y.tsv.gz", sep="\t", header=None).to_numpy(float)
    ref = pd.read_csv(d / "N3_y1_susieR_pip.tsv", sep="\t")["pip"].to_numpy(float)
    return X, Y, ref


def test_n3_pips_match_susier(n3: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    X, Y, ref = n3
    fit = susie(X, Y[:, 0], L=10)
    assert fit.pip.shape == (1001,)
    assert np.max(np.abs(fit.pip - ref)) < 0.01
    assert fit.converged


def test_n3_credible_sets_hold_true_effects(n3: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    X, Y, _ = n3
    fit = susie(X, Y[:, 0])
    assert len(fit.credible_sets) == 3
    found = set()
    for cs in fit.credible_sets:
        assert cs.coverage >= 0.95
        assert cs.min_abs_corr >= 0.5
        found |= {j + 1 for j in cs.variants} & TRUE_Y1
    assert found == TRUE_Y1
    member = fit.cs_membership()
    assert all(member[j - 1] is not None for j in TRUE_Y1)
    assert sum(m is not None for m in member) == sum(len(cs.variants) for cs in fit.credible_sets)


def test_rss_from_summary_stats_finds_the_same_signals(n3: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    X, Y, _ = n3
    y = Y[:, 0]
    n = X.shape[0]
    Xc = X - X.mean(0)
    yc = y - y.mean()
    sxx = (Xc**2).sum(0)
    keep = sxx > 0
    Xc, sxx = Xc[:, keep], sxx[keep]
    b = Xc.T @ yc / sxx
    se = np.sqrt(((yc @ yc) - b**2 * sxx) / (n - 2) / sxx)
    R = np.corrcoef(Xc, rowvar=False)
    fit = susie_rss(bhat=b, shat=se, R=R, n=n)
    cols = np.flatnonzero(keep) + 1
    found = {int(cols[j]) for cs in fit.credible_sets for j in cs.variants} & TRUE_Y1
    assert found == TRUE_Y1
    # the same z and R with the individual-level fit's residual-variance estimate give similar PIPs
    ind = susie(X[:, keep], y)
    assert np.max(np.abs(fit.pip - ind.pip)) < 0.2


def test_rss_singular_ld_is_fine_and_indefinite_ld_is_handled() -> None:
    rng = np.random.default_rng(3)
    G = rng.binomial(2, 0.3, size=(400, 30)).astype(float)
    G[:, 10] = G[:, 9]  # a duplicated column: R is singular (rank-deficient) but PSD
    y = 0.5 * G[:, 3] + rng.normal(size=400)
    R = np.corrcoef(G, rowvar=False)
    Gc, yc = G - G.mean(0), y - y.mean()
    z = (Gc.T @ yc) / np.sqrt((Gc**2).sum(0) * yc.var() * 400) * np.sqrt(400)
    fit = susie_rss(z=z, R=R, n=400)
    assert int(np.argmax(fit.pip)) == 3
    bad = R.copy()
    bad[0, 1] = bad[1, 0] = -0.99
    bad[0, 2] = bad[2, 0] = 0.99
    bad[1, 2] = bad[2, 1] = 0.99
    with pytest.raises(AnalysisError, match="positive semi-definite"):
        susie_rss(z=z, R=bad, n=400, on_singular="raise")
    fit2 = susie_rss(z=z, R=bad, n=400)
    assert fit2.params["lambda"] > 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(z=np.ones(3), R=np.eye(4), n=100), "must be 3×3"),
        (dict(bhat=np.ones(3), shat=np.array([0.1, 0.0, 0.1]), R=np.eye(3), n=100), "'shat' must be > 0"),
        (dict(bhat=np.ones(3), shat=np.array([0.1, -1, 0.1]), R=np.eye(3), n=100), "-1"),
        (dict(z=np.ones(3), R=2 * np.eye(3), n=100), "unit diagonal"),
        (dict(z=np.array([1.0, np.nan, 2.0]), R=np.eye(3), n=100), "finite"),
    ],
)
def test_rss_bad_input(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(AnalysisError, match=match):
        susie_rss(**kwargs)  # type: ignore[arg-type]


def test_individual_bad_input() -> None:
    with pytest.raises(AnalysisError, match="3 values but 'X' has 4 rows"):
        susie(np.ones((4, 2)), np.ones(3))
    with pytest.raises(AnalysisError, match="constant"):
        susie(np.random.default_rng(0).normal(size=(5, 2)), np.ones(5))
    with pytest.raises(AnalysisError, match="non-finite"):
        susie(np.array([[1.0, np.nan], [0.0, 1.0], [1.0, 1.0]]), np.array([1.0, 2.0, 3.0]))


def test_constant_column_gets_no_pip() -> None:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 6))
    X[:, 2] = 1.0
    y = X[:, 4] + rng.normal(size=200)
    fit = susie(X, y)
    assert fit.pip[2] < 0.01 and fit.pip[4] > 0.99


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed")
def test_live_susier_on_simulated_real_ld(
    tmp_path: Path,
    panel,
) -> None:  # type: ignore[no-untyped-def]
    """Run R's susieR itself on genotypes simulated from real LD and compare PIPs."""
    ok = subprocess.run(["Rscript", "-e", "library(susieR)"], capture_output=True)
    if ok.returncode != 0:
        pytest.skip("susieR is not installed in R")
    from varkg.causal.simulate import sample_genotypes, simulate_trait

    G = sample_genotypes(panel, 800, seed=11)[:, :300]
    keep = G.std(0) > 0
    G = G[:, keep]
    y = simulate_trait(G, {40: 0.3, 200: 0.25}, seed=12)
    np.savetxt(tmp_path / "X.tsv", G, fmt="%d", delimiter="\t")
    np.savetxt(tmp_path / "y.tsv", y, delimiter="\t")
    script = (
        "library(susieR); X <- as.matrix(read.table('X.tsv')); storage.mode(X) <- 'double'; y <- scan('y.tsv', quiet=TRUE);"
        "f <- susie(X, y, L=10); write.table(f$pip, 'pip.tsv', row.names=FALSE, col.names=FALSE)"
    )
    subprocess.run(["Rscript", "-e", script], cwd=tmp_path, check=True, capture_output=True)
    r_pip = np.loadtxt(tmp_path / "pip.tsv")
    assert np.max(np.abs(susie(G, y).pip - r_pip)) < 0.01
