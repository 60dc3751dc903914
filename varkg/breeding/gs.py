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
  ``sigma2_e``, ``sigma2_g`` and π (:func:`bayes_convergence`: 2 chains on all animals). The
  sweep is compiled with numba (O(n) residual update per marker), so CV runs it on every marker.
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
from numba import njit

from varkg.breeding.data import TraitData
from varkg.breeding.lmm import RemlFit, eigen, grm, reml
from varkg.errors import AnalysisError

__all__ = [
    "BayesResult",
    "MODELS",
    "bayes_convergence",
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


TRACE_COLUMNS = ("sigma2_e", "sigma2_a", "sigma2_g", "pi", "n_in")


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _dot_row(Zt: np.ndarray, j: int, e: np.ndarray) -> float:
    """``Zt[j] @ e`` with a reassociated (vectorised) sum."""
    s = 0.0
    for i in range(e.shape[0]):
        s += Zt[j, i] * e[i]
    return s


@njit(cache=True, nogil=True)
def _gibbs(
    Zt: np.ndarray,
    y: np.ndarray,
    W: np.ndarray,
    WtWinv: np.ndarray,
    Lw: np.ndarray,
    iterations: int,
    burn_in: int,
    thin: int,
    seed: int,
    pi0: float,
    nu: float,
    S2a: float,
    S2e: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The BayesCπ chain: ``Zt`` is the centred marker matrix transposed (``[p, n]``, C order, so a
    marker is one contiguous row). Returns summed effects, summed fixed effects (over kept samples)
    and the kept trace ``[kept, 5]`` (columns as :data:`TRACE_COLUMNS`)."""
    np.random.seed(seed)
    p, n = Zt.shape
    c = W.shape[1]
    xx = np.empty(p)
    for j in range(p):
        s = 0.0
        for i in range(n):
            s += Zt[j, i] * Zt[j, i]
        xx[j] = s
    b = WtWinv @ (W.T @ y)
    e = y - W @ b
    alpha = np.zeros(p)
    acc = np.zeros(p)
    acc_b = np.zeros(c)
    kept_n = (iterations - burn_in + thin - 1) // thin
    trace = np.empty((kept_n, 5))
    s2a = S2a * nu / (nu - 2.0)
    s2e = S2e * nu / (nu - 2.0)
    pi = pi0
    z = np.empty(c)
    kept = 0
    for it in range(iterations):
        # fixed effects | rest: N(WtWinv W'(e + W b), s2e WtWinv)
        for k in range(c):
            z[k] = np.random.standard_normal()
        bn = WtWinv @ (W.T @ (e + W @ b)) + np.sqrt(s2e) * (Lw @ z)
        e += W @ (b - bn)
        b = bn
        logodds_prior = np.log(pi) - np.log1p(-pi)
        k_in = 0
        ss_a = 0.0
        for j in range(p):
            aj = alpha[j]
            r = _dot_row(Zt, j, e) + xx[j] * aj
            v0 = xx[j] * s2e
            v1 = xx[j] * xx[j] * s2a + v0
            d = 0.5 * (np.log(v1 / v0) + r * r / v1 - r * r / v0)  # log L0 - log L1
            p1 = 1.0 / (1.0 + np.exp(min(d + logodds_prior, 700.0)))
            u = np.random.random()
            zs = np.random.standard_normal()
            if u < p1:
                C = xx[j] + s2e / s2a
                an = r / C + np.sqrt(s2e / C) * zs
                k_in += 1
                ss_a += an * an
            else:
                an = 0.0
            if an != aj:
                dlt = aj - an
                for i in range(n):
                    e[i] += Zt[j, i] * dlt
                alpha[j] = an
        ee = 0.0
        for i in range(n):
            ee += e[i] * e[i]
        s2a = (ss_a + nu * S2a) / np.random.chisquare(nu + k_in)
        s2e = (ee + nu * S2e) / np.random.chisquare(nu + n)
        pi = np.random.beta(p - k_in + 1.0, k_in + 1.0)
        if it >= burn_in and (it - burn_in) % thin == 0:
            acc += alpha
            acc_b += b
            g = y - W @ b - e  # = Z alpha, kept in O(n) by the residual bookkeeping
            trace[kept, 0] = s2e
            trace[kept, 1] = s2a
            trace[kept, 2] = np.var(g)
            trace[kept, 3] = pi
            trace[kept, 4] = k_in
            kept += 1
    return acc, acc_b, trace


def bayes_cpi(
    Z: np.ndarray,
    y: np.ndarray,
    W: np.ndarray,
    *,
    iterations: int = 12000,
    burn_in: int = 2000,
    thin: int = 10,
    seed: int = 0,
    pi0: float = 0.9,
    nu: float = 4.0,
) -> BayesResult:
    """BayesCπ Gibbs sampler on centred markers ``Z`` (``[n, p]``), fixed effects ``W`` (``[n, c]``).

    Single-site sweep compiled with numba; after each marker the residual is updated in O(n) (the
    right-hand side ``x_j' e + x_j' x_j a_j`` needs no O(n p) product). The same ``seed`` gives the
    same chain (numba's own Mersenne Twister, seeded inside the compiled function)."""
    if burn_in >= iterations or burn_in < 0:
        raise AnalysisError(f"burn_in ({burn_in}) must be in [0, iterations ({iterations}))")
    if thin < 1:
        raise AnalysisError(f"thin must be >= 1 (got {thin})")
    n, p = Z.shape
    if y.shape != (n,) or W.shape[0] != n:
        raise AnalysisError(f"Z has {n} rows, y {y.shape}, W {W.shape}: they must agree")
    Wf = np.ascontiguousarray(W, dtype=np.float64)
    WtWinv = np.linalg.inv(Wf.T @ Wf)
    Lw = np.linalg.cholesky(WtWinv)
    e0 = y - Wf @ (WtWinv @ (Wf.T @ y))
    vy = float(np.var(e0))
    s2p = float(np.sum(np.var(Z, axis=0)))  # = 2 sum pq for 0/1/2 dosages in HWE
    S2a = 0.5 * vy * (nu - 2) / nu / ((1 - pi0) * s2p)
    S2e = 0.5 * vy * (nu - 2) / nu
    acc, acc_b, trace = _gibbs(
        np.ascontiguousarray(Z.T, dtype=np.float64),
        np.ascontiguousarray(y, dtype=np.float64),
        Wf,
        np.ascontiguousarray(WtWinv),
        np.ascontiguousarray(Lw),
        int(iterations),
        int(burn_in),
        int(thin),
        int(seed),
        float(pi0),
        float(nu),
        S2a,
        S2e,
    )
    kept = trace.shape[0]
    t = pd.DataFrame(trace, columns=list(TRACE_COLUMNS))
    t["n_in"] = t["n_in"].astype(np.int64)
    return BayesResult(acc / kept, acc_b / kept, t)


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


def bayes_convergence(
    data: TraitData,
    *,
    chains: int = 2,
    iterations: int = 12000,
    burn_in: int = 2000,
    thin: int = 10,
    seed: int = 0,
) -> tuple[pd.DataFrame, list[BayesResult]]:
    """BayesCπ on all animals and markers of ``data``, ``chains`` chains (seeds ``seed``,
    ``seed + 1``, ...): per parameter (sigma2_e, sigma2_g, pi) the posterior mean, Geweke z of every
    chain and R-hat over the chains; and the chains."""
    if chains < 2:
        raise AnalysisError(f"R-hat needs at least 2 chains (got {chains})")
    Z = data.X - 2 * data.freq
    W = data.W[:, _fixed_cols(data.W)]
    res = [bayes_cpi(Z, data.y, W, iterations=iterations, burn_in=burn_in, thin=thin, seed=seed + c) for c in range(chains)]
    rows = []
    for par in ("sigma2_e", "sigma2_g", "pi"):
        tr = [r.trace[par].to_numpy() for r in res]
        row: dict[str, object] = {"trait": data.trait, "parameter": par, "mean": float(np.mean(np.concatenate(tr)))}
        for c, t in enumerate(tr):
            row[f"geweke_z{c + 1}"] = geweke_z(t)
        row["rhat"] = gelman_rubin(tr)
        row["kept_per_chain"] = len(tr[0])
        rows.append(row)
    return pd.DataFrame(rows), res


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
    bayes_markers: int | None = None,
    bayes_iterations: int = 12000,
    bayes_burn_in: int = 2000,
    markers: np.ndarray | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Accuracy per (model, repeat, fold) and pooled per repeat (``fold = -1``: the correlation over
    all test animals of the repeat). ``markers`` restricts every model to those marker columns;
    ``bayes_markers`` (default: all) runs BayesCπ on that many evenly spaced ones."""
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
                sub = evenly_spaced(X.shape[1], bayes_markers or X.shape[1])
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
