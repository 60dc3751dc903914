"""MCMC convergence diagnostics of Vehtari et al. (2021): rank-normalised split R-hat and bulk ESS.

Vehtari, Gelman, Simpson, Carpenter and Bürkner (2021), "Rank-normalization, folding, and
localization: an improved R-hat for assessing convergence of MCMC", Bayesian Analysis 16(2).

* **Split chains**: every chain of ``n`` draws is cut into its first and second half (the middle
  draw of an odd chain is dropped), so ``m`` chains become ``2m``; a drift within a chain then shows
  up as a difference between its halves.
* **Rank normalisation**: all ``S`` draws are pooled, ranked (ties get their average rank ``r``)
  and mapped to ``z = Φ⁻¹((r - 3/8) / (S + 1/4))`` (Blom's offset), which makes R-hat and ESS
  well defined for heavy tails and invariant to monotone transforms (σ² vs log σ²).
* **Split R-hat** (:func:`split_rhat`): the larger of the bulk R-hat (of the rank-normalised split
  chains) and the tail R-hat (of the rank-normalised ``|x - median|``, "folded"), each
  ``sqrt(var⁺ / W)``, ``var⁺ = (n-1)/n W + B/n``.
* **Bulk ESS** (:func:`ess_bulk`): ``m n / τ`` of the rank-normalised split chains, with
  ``τ = -1 + 2 Σ ρ̂_t`` summed by Geyer's initial monotone positive sequence (Stan's variant) over the combined
  autocorrelation ``ρ̂_t = 1 - (W - mean_chains(acov_t)) / var⁺`` (autocovariances by FFT).

Draws are ``[chains, draws]`` arrays (a list of equal-length 1-d chains also works).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import ndtri
from scipy.stats import rankdata

from varkg.errors import AnalysisError

__all__ = ["autocorrelation", "ess_bulk", "rank_normalise", "split_chains", "split_rhat"]


def _as_chains(draws: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
    x = np.asarray(draws, dtype=np.float64)
    if x.ndim != 2:
        raise AnalysisError(f"draws must be [chains, draws] (got shape {x.shape})")
    if x.shape[1] < 4:
        raise AnalysisError(f"each chain needs at least 4 draws (got {x.shape[1]})")
    if not np.all(np.isfinite(x)):
        raise AnalysisError(f"draws contain {int(np.sum(~np.isfinite(x)))} non-finite value(s)")
    return x


def split_chains(draws: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
    """``[m, n]`` chains as ``[2m, n // 2]`` halves (first halves, then second halves)."""
    x = _as_chains(draws)
    h = x.shape[1] // 2
    return np.concatenate([x[:, :h], x[:, x.shape[1] - h :]], axis=0)


def rank_normalise(draws: np.ndarray) -> np.ndarray:
    """Normal scores of the pooled ranks: ``Φ⁻¹((r - 3/8) / (S + 1/4))``, same shape as ``draws``."""
    x = np.asarray(draws, dtype=np.float64)
    r = rankdata(x, method="average").reshape(x.shape)
    return np.asarray(ndtri((r - 0.375) / (x.size + 0.25)))


def _rhat(x: np.ndarray) -> float:
    m, n = x.shape
    w = float(np.mean(np.var(x, axis=1, ddof=1)))
    b = n * float(np.var(np.mean(x, axis=1), ddof=1))
    if w <= 0:
        return float("nan")
    return float(np.sqrt(((n - 1) / n * w + b / n) / w))


def split_rhat(draws: np.ndarray | Sequence[np.ndarray]) -> float:
    """Rank-normalised split R-hat: ``max(bulk, folded)`` (Vehtari et al. 2021, eq. 4-5).

    Args:
        draws: ``[chains, draws]``, at least 4 draws a chain (1 chain works: its halves are compared).

    Returns:
        R-hat (1 at convergence; Vehtari et al. recommend < 1.01). NaN when every draw is equal.
    """
    s = split_chains(draws)
    if np.ptp(s) == 0:
        return float("nan")
    bulk = _rhat(rank_normalise(s))
    folded = _rhat(rank_normalise(np.abs(s - np.median(s))))
    return float(np.nanmax([bulk, folded]))


def autocorrelation(x: np.ndarray) -> np.ndarray:
    """Biased autocovariance of every row of ``x`` (``[m, n]``, divided by ``n``), by FFT: ``[m, n]``."""
    n = x.shape[1]
    c = x - x.mean(axis=1, keepdims=True)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    f = np.fft.rfft(c, n=size, axis=1)
    return np.fft.irfft(f * np.conj(f), n=size, axis=1)[:, :n] / n


def _ess(x: np.ndarray) -> float:
    m, n = x.shape
    acov = autocorrelation(x)
    w = float(np.mean(acov[:, 0])) * n / (n - 1)  # mean within-chain variance (ddof=1)
    var_plus = w * (n - 1) / n + (float(np.var(np.mean(x, axis=1), ddof=1)) if m > 1 else 0.0)
    if var_plus <= 0:
        return float("nan")
    rho = 1.0 - (w - np.mean(acov, axis=0)) / var_plus
    rho[0] = 1.0
    # Geyer's initial positive sequence: sum pairs P_k = rho_2k + rho_2k+1 while positive,
    # then make the pair sums monotone non-increasing (initial monotone sequence). As in Stan,
    # the lags stop at n - 3 and the even term of the last pair looked at (the first non-positive
    # one, or the one at the lag limit) is added once when it is positive.
    t_last = 1 if n - 3 <= 1 else (n - 3 if (n - 3) % 2 else n - 2)
    pairs = []
    tail = 0.0
    for k in range((t_last - 1) // 2 + 1):
        pk = rho[2 * k] + rho[2 * k + 1]
        if pk <= 0 or 2 * k + 1 == t_last:
            tail = max(float(rho[2 * k]), 0.0)
            break
        pairs.append(pk)
    mono = np.minimum.accumulate(np.array(pairs)) if pairs else np.zeros(0)
    tau = -1.0 + 2.0 * float(np.sum(mono)) + tail
    tau = max(tau, 1.0 / np.log10(m * n))  # the cap Stan uses for antithetic chains
    return float(m * n / tau)


def ess_bulk(draws: np.ndarray | Sequence[np.ndarray]) -> float:
    """Bulk effective sample size of the rank-normalised split chains (Vehtari et al. 2021, sec. 3.2).

    Args:
        draws: ``[chains, draws]``, at least 4 draws a chain.

    Returns:
        ESS over all chains together (draws, not per chain); NaN when every draw is equal.
    """
    s = split_chains(draws)
    if np.ptp(s) == 0:
        return float("nan")
    return _ess(rank_normalise(s))
