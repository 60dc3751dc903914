import numpy as np
import pytest

from varkg.breeding.tagging import ld_coverage, select_tags
from varkg.errors import AnalysisError


def _data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    base = rng.integers(0, 3, size=(200, 20)).astype(float)
    X = np.repeat(base, 3, axis=1)
    X[rng.random(X.shape) < 0.05] = 1.0
    return X, np.array(["1"] * 60), np.arange(60) * 1000


def test_select_tags_covers_more_than_even() -> None:
    X, chrom, pos = _data()
    tags = select_tags(X, chrom=chrom, pos=pos, budget=20, r2=0.5, window_bp=5000)
    cov, mean_r2, _ = ld_coverage(X, chrom=chrom, pos=pos, panel=tags, r2=0.5, window_bp=5000)
    even, _, _ = ld_coverage(X, chrom=chrom, pos=pos, panel=np.arange(0, 60, 6), r2=0.5, window_bp=5000)
    assert cov > even
    assert 0 < mean_r2 <= 1


@pytest.mark.parametrize("r2", [0.0, 1.5, -0.1])
def test_bad_threshold(r2: float) -> None:
    X, chrom, pos = _data()
    with pytest.raises(AnalysisError, match="threshold"):
        ld_coverage(X, chrom=chrom, pos=pos, panel=np.array([0]), r2=r2)


def test_empty_panel() -> None:
    X, chrom, pos = _data()
    with pytest.raises(AnalysisError, match="non-empty"):
        ld_coverage(X, chrom=chrom, pos=pos, panel=np.array([], np.int64))
