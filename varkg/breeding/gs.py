"""Genomic selection: GBLUP / rrBLUP by REML, BayesCπ by Gibbs sampling, repeated k-fold CV.

* **GBLUP**: ``y = W b + u + e``, ``u ~ N(0, vg K)`` (VanRaden K of all animals), variance
  components by REML on the training animals (:func:`varkg.breeding.lmm.reml`); the GEBV of a test
  animal is ``vg K[te, tr] V^-1 (y_tr - W_tr b)``, ``V = vg K_tr + ve I``.
* **rrBLUP**: marker effects ``a = Z_tr' V^-1 (y_tr - W_tr b) vg / (2 sum p q)``; ``Z_te a`` equals the
  GBLUP GEBV (the two models are the same; :func:`rrblup_effects` gives the marker view).
* **BayesCπ** (Habier et al. 2011): each marker effect is 0 with probability π, else
  ``N(0, sigma2_a)``; π ~ Beta(1, 1), ``sigma2_a`` and ``sigma2_e`` scaled inverse chi-square
  (ν = 4; ``S2_a`` from half the phenotypic variance / ((1 - π0) 2 sum p q)). Single-site Gibbs
  with burn-in and thinning; :func:`geweke_z` and :func:`gelman_rubin` give convergence of
  ``sigma2_e``, ``sigma2_g`` and π. The sampler is a Python loop over markers, so CV runs it on an
  evenly spaced subset of markers (``bayes_markers``, default 1,000).
* **Accuracy**: in each fold the test animals' adjusted phenotype ``y_te - W_te b`` (b from the
  training fit) is correlated with their GEBV; folds are repeated over seeds and the SE is the
  standard deviation over repeats / sqrt(repeats).
* **Top-variant GRMs** (``gblup_top``, ``gblup_mix``): within each training fold the markers are
  ranked by their marginal association with the covariate-adjusted training phenotype; the top
  ``top_k`` form a second GRM used alone or averaged with the all-marker GRM (no test animal
  informs the choice).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from varkg.breeding.data import TraitData
from varkg.breeding.lmm import RemlFit, eigen, grm, reml
from varkg.errors import AnalysisError

__all__ = [
    "BayesResult",
    "MODELS",
    "bayes_cpi",
    "cross_validate",
    "gblup",
    "gelman_rubin",
    "geweke_z",
    "rrblup_effects",
    "summarise",
]

MODELS = ("gblup", "bayescpi", "gblup_top", "gblup_mix")


def _fixed_cols(W: np.ndarray) -> np.ndarray:
    return np.array([0] + [j for j in range(1, W.shape[1]) if np.ptp(W[:, j]) > 0])


def gblup(
    K: np.ndarray, y: np.ndarray, W: np.ndarray, train: np.ndarray, test: np.ndarray
) -> tuple[np.ndarray, np.ndarray, RemlFit]:
    """GEBV of ``test`` animals and their adjusted phenotype ``y - W b``, REML on ``train``."""
    cols = _fixed_cols(W[train])
    Wt = W[np.ix_(train, cols)]
    eig = eigen(K[np.ix_(train, train)])
    fit = reml(y[train], Wt, eig)
    r = y[train] - Wt @ fit.beta
    Hinv_r = eig.U @ ((eig.U.T @ r) / (fit.lam * eig.d + 1.0))
    gebv = fit.lam * K[np.ix_(test, train)] @ Hinv_r
    adj = y[test] - W[np.ix_(test, cols)] @ fit.beta
    return gebv, adj, fit


def rrblup_effects(data: TraitData, train: np.ndarray) -> tuple[np.ndarray, RemlFit]:
    """Marker effects (per copy of the counted allele) of rrBLUP fitted on ``train`` by REML."""
    Z = data.X - 2 * data.freq
    K = grm(data.X, data.freq)
    cols = _fixed_cols(data.W[train])
    Wt = data.W[np.ix_(train, cols)]
    eig = eigen(K[np.ix_(train, train)])
    fit = reml(data.y[train], Wt, eig)
    r = data.y[train] - Wt @ fit.beta
    Hinv_r = eig.U @ ((eig.U.T @ r) / (fit.lam * eig.d + 1.0))
    a = fit.lam * Z[train].T @ Hinv_r / (2 * float(np.sum(data.freq * (1 - data.freq))))
    return a, fit


@dataclass
class BayesResult:
    """Posterior means (``effects`` [p], ``b`` fixed effects) and thinned traces (``trace``: columns
    sigma2_e, sigma2_a, sigma2_g, pi, n_in)."""

    effects: np.ndarray
    b: np.ndarray
    trace: pd.DataFrame


def _scaled_inv_chi2(rng: np.random.Generator, df: float, scale: float) -> float:
    return df * scale / rng.chisquare(df)


def bayes_cpi(
    Z: np.ndarray,
    y: np.ndarray,
    W: np.ndarray,
    *,
    iterations: int = 2000,
    burn_in: int = 500,
    thin: int = 5,
    seed: int = 0,
    pi0: float = 0.9,
    nu: float = 4.0,
) -> BayesResult:
    """BayesCπ Gibbs sampler on centred markers ``Z`` (``[n, p]``), fixed effects ``W``."""
    if burn_in >= iterations:
        raise AnalysisError(f"burn_in ({burn_in}) must be below iterations ({iterations})")
    rng = np.random.default_rng(seed)
    n, p = Z.shape
    Zf = np.asfortranarray(Z)
    cols = [Zf[:, j] for j in range(p)]
    xx = np.einsum("ij,ij->j", Z, Z)
    WtWinv = np.linalg.inv(W.T @ W)
    Lw = np.linalg.cholesky(WtWinv)
    b = WtWinv @ W.T @ y
    e = y - W @ b
    vy = float(np.var(e))
    s2p = float(np.sum(np.var(Z, axis=0)))  # = 2 sum pq for 0/1/2 dosages in HWE
    S2a = 0.5 * vy * (nu - 2) / nu / ((1 - pi0) * s2p)
    S2e = 0.5 * vy * (nu - 2) / nu
    s2a, s2e, pi = S2a * nu / (nu - 2), S2e * nu / (nu - 2), pi0
    alpha = np.zeros(p)
    acc = np.zeros(p)
    acc_b = np.zeros(W.shape[1])
    rows = []
    kept = 0
    for it in range(iterations):
        bn = WtWinv @ (W.T @ (e + W @ b)) + np.sqrt(s2e) * (Lw @ rng.standard_normal(W.shape[1]))
        e += W @ (b - bn)
        b = bn
        u = np.asarray(rng.random(p))
        zs = np.asarray(rng.standard_normal(p))
        logodds_prior = np.log(pi) - np.log1p(-pi)
        for j in range(p):
            x = cols[j]
            aj = alpha[j]
            r = float(x @ e) + xx[j] * aj
            v0 = xx[j] * s2e
            v1 = xx[j] * xx[j] * s2a + v0
            d = 0.5 * (np.log(v1 / v0) + r * r / v1 - r * r / v0)  # log L0 - log L1
            p1 = 1.0 / (1.0 + np.exp(min(d + logodds_prior, 700.0)))
            if u[j] < p1:
                C = xx[j] + s2e / s2a
                an = r / C + np.sqrt(s2e / C) * zs[j]
            else:
                an = 0.0
            if an != aj:
                e += x * (aj - an)
                alpha[j] = an
        k = int(np.count_nonzero(alpha))
        s2a = _scaled_inv_chi2(rng, nu + k, (float(alpha @ alpha) + nu * S2a) / (nu + k))
        s2e = _scaled_inv_chi2(rng, nu + n, (float(e @ e) + nu * S2e) / (nu + n))
        pi = float(rng.beta(p - k + 1, k + 1))
        if it >= burn_in and (it - burn_in) % thin == 0:
            acc += alpha
            acc_b += b
            kept += 1
            rows.append((s2e, s2a, float(np.var(Z @ alpha)), pi, k))
    trace = pd.DataFrame(rows, columns=["sigma2_e", "sigma2_a", "sigma2_g", "pi", "n_in"])
    return BayesResult(acc / kept, acc_b / kept, trace)


def geweke_z(x: np.ndarray, *, first: float = 0.1, last: float = 0.5) -> float:
    """Geweke's z: difference of the means of the first 10% and last 50% of a chain over the
    root of their variances (batch means with 20 batches)."""
    x = np.asarray(x, float)
    a, b = x[: max(2, int(first * len(x)))], x[-max(2, int(last * len(x))) :]

    def var_mean(s: np.ndarray) -> float:
        nb = min(20, len(s) // 2)
        if nb < 2:
            return float(np.var(s) / len(s))
        m = np.array([c.mean() for c in np.array_split(s, nb)])
        return float(np.var(m, ddof=1) / nb)

    den = np.sqrt(var_mean(a) + var_mean(b))
    return float((a.mean() - b.mean()) / den) if den > 0 else 0.0


def gelman_rubin(chains: Sequence[np.ndarray]) -> float:
    """Potential scale reduction factor R-hat of equal-length chains."""
    c = np.stack([np.asarray(x, float) for x in chains])
    m, n = c.shape
    B = n * c.mean(axis=1).var(ddof=1)
    Wv = c.var(axis=1, ddof=1).mean()
    return float(np.sqrt(((n - 1) / n * Wv + B / n) / Wv)) if Wv > 0 else float("nan")


def _adjust(y: np.ndarray, W: np.ndarray) -> np.ndarray:
    beta, *_ = np.linalg.lstsq(W, y, rcond=None)
    return y - W @ beta


def marginal_scores(X: np.ndarray, y: np.ndarray, W: np.ndarray) -> np.ndarray:
    """|correlation| of each marker with ``y`` after projecting ``W`` out of both (a fast ranking)."""
    ya = _adjust(y, W)
    Q, _ = np.linalg.qr(W)
    Xa = X - Q @ (Q.T @ X)
    num = Xa.T @ ya
    den = np.sqrt((Xa * Xa).sum(axis=0) * float(ya @ ya))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(np.abs(num / den))


def evenly_spaced(n_total: int, k: int) -> np.ndarray:
    return np.unique(np.linspace(0, n_total - 1, min(k, n_total)).round().astype(int))


def cv_folds(
    n: int, *, folds: int, repeats: int, seed: int, progress: bool = False, desc: str = "CV"
) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
    """Repeated k-fold splits of ``n`` animals: ``(repeat, fold, train rows, test rows)``; repeat ``r``
    shuffles with seed ``seed + r`` (the same folds for every model and panel of a run)."""
    jobs = [(r, f) for r in range(repeats) for f in range(folds)]
    it: Iterable[tuple[int, int]] = jobs
    if progress:
        from tqdm import tqdm

        it = tqdm(jobs, desc=desc, unit="fold")
    assign = {r: np.random.default_rng(seed + r).permutation(n) % folds for r in range(repeats)}
    for r, f in it:
        yield r, f, np.flatnonzero(assign[r] != f), np.flatnonzero(assign[r] == f)


def cross_validate(
    data: TraitData,
    *,
    models: Sequence[str] = ("gblup", "bayescpi"),
    folds: int = 5,
    repeats: int = 3,
    seed: int = 0,
    top_k: int = 200,
    bayes_markers: int = 1000,
    bayes_iterations: int = 1000,
    bayes_burn_in: int = 300,
    markers: np.ndarray | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Accuracy per (model, repeat, fold) and pooled per repeat (``fold = -1``: the correlation over
    all test animals of the repeat). ``markers`` restricts every model to those marker columns."""
    bad = [m for m in models if m not in MODELS]
    if bad:
        raise AnalysisError(f"unknown GS model(s) {bad}; expected some of {list(MODELS)}")
    if folds < 2 or folds > data.n:
        raise AnalysisError(f"folds must be in [2, {data.n}] (got {folds})")
    X = data.X if markers is None else data.X[:, markers]
    freq = data.freq if markers is None else data.freq[markers]
    K = grm(X, freq)
    Z = X - 2 * freq
    rows = []
    pooled: dict[tuple[str, int], list[tuple[np.ndarray, np.ndarray]]] = {}
    splits = cv_folds(data.n, folds=folds, repeats=repeats, seed=seed, progress=progress, desc=f"CV {data.trait}")
    for r, f, train, test in splits:
        for m in models:
            if m == "gblup":
                gebv, adj, _ = gblup(K, data.y, data.W, train, test)
            elif m in ("gblup_top", "gblup_mix"):
                cols = _fixed_cols(data.W[train])
                s = marginal_scores(X[train], data.y[train], data.W[np.ix_(train, cols)])
                top = np.argsort(-s)[:top_k]
                Kt = grm(X[:, top], freq[top])
                Kt = Kt / (np.trace(Kt) / data.n) * (np.trace(K) / data.n)
                gebv, adj, _ = gblup(Kt if m == "gblup_top" else 0.5 * (K + Kt), data.y, data.W, train, test)
            else:
                sub = evenly_spaced(X.shape[1], bayes_markers)
                cols = _fixed_cols(data.W[train])
                res = bayes_cpi(
                    Z[np.ix_(train, sub)],
                    data.y[train],
                    data.W[np.ix_(train, cols)],
                    iterations=bayes_iterations,
                    burn_in=bayes_burn_in,
                    seed=seed + 1000 * r + f,
                )
                gebv = Z[np.ix_(test, sub)] @ res.effects
                adj = data.y[test] - data.W[np.ix_(test, cols)] @ res.b
            acc = float(np.corrcoef(gebv, adj)[0, 1]) if len(test) > 2 else float("nan")
            rows.append({"trait": data.trait, "model": m, "repeat": r, "fold": f, "n_test": len(test), "accuracy": acc})
            pooled.setdefault((m, r), []).append((gebv, adj))
    for (m, r), parts in pooled.items():
        g = np.concatenate([a for a, _ in parts])
        a = np.concatenate([b for _, b in parts])
        rows.append(
            {
                "trait": data.trait,
                "model": m,
                "repeat": r,
                "fold": -1,
                "n_test": len(g),
                "accuracy": float(np.corrcoef(g, a)[0, 1]),
            }
        )
    return pd.DataFrame(rows)


def summarise(cv: pd.DataFrame) -> pd.DataFrame:
    """Per trait and model: mean accuracy over repeats (mean of fold accuracies per repeat) and its
    SE over repeats (sd / sqrt(repeats))."""
    per = cv[cv["fold"] >= 0].groupby(["trait", "model", "repeat"])["accuracy"].mean().reset_index()
    g = per.groupby(["trait", "model"])["accuracy"]
    out = g.agg(["mean", "std", "count"]).reset_index()
    out["se"] = out["std"] / np.sqrt(out["count"])
    return out.rename(columns={"mean": "accuracy", "count": "repeats"}).drop(columns="std")


def gebv_table(data: TraitData) -> pd.DataFrame:
    """GEBVs of every analysed animal from GBLUP fitted on all of them (CSV export)."""
    idx = np.arange(data.n)
    K = grm(data.X, data.freq)
    gebv, adj, fit = gblup(K, data.y, data.W, idx, idx)
    return pd.DataFrame(
        {"animal": data.samples, "trait": data.trait, "gebv": gebv, "adjusted_phenotype": adj, "vg": fit.vg, "ve": fit.ve}
    )
