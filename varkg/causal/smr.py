"""SMR and HEIDI (Zhu et al. 2016, Nat Genet 48:481): is a trait's association mediated by expression?

**SMR** uses the top cis-eQTL of a gene (probe) as the instrument: with ``z_x``, ``z_y`` its eQTL and
GWAS z-scores, ``b_xy = b_zy / b_zx``, ``se² = (b_zy²·se_zx² + b_zx²·se_zy²)/b_zx⁴`` and
``T_SMR = z_x²·z_y²/(z_x² + z_y²) ~ χ²₁``. The top SNP must reach ``p_eQTL < 5e-8`` (SMR's
``--peqtl-smr``); variants are restricted to the cis window of ±2 Mb around the probe.

**HEIDI** tests whether ``b_xy`` is the same at the other cis variants in LD with the top one (one
causal variant, pleiotropy) or differs (linkage: distinct causal variants). With SMR's reference
defaults: candidate variants have ``p_eQTL < 1.5654e-3`` (``χ² > 10``), LD ``r² > 0.05`` with the top
variant (``--ld-lower``), are pruned so that no pair has ``r² > 0.9`` (``--ld-upper``; the more
significant eQTL is kept), and the 20 most significant remain (``--heidi-max-m``), the top one
included; at least 3 are needed (``--heidi-min-m``). For each non-top variant ``i``,
``d_i = b_xy(i) - b_xy(top)``; with ``cov(b_xy(i), b_xy(j)) = r_ij·se_zy(i)·se_zy(j)/(b_zx(i)·b_zx(j))
+ r_ij·se_zx(i)·se_zx(j)·b_zy(i)·b_zy(j)/(b_zx(i)²·b_zx(j)²)`` (independent eQTL and GWAS samples),
``T_HEIDI = Σ d_i²/var(d_i)`` is a sum of correlated χ²₁ whose null distribution is
``Σ λ_k χ²₁`` (``λ`` the eigenvalues of the correlation matrix of the ``d_i/sd(d_i)``); its p-value is
computed by a saddlepoint approximation, as in the SMR software. A small ``p_HEIDI`` (< 0.05 by
convention) rejects a single shared causal variant.

LD ``r`` is signed: it must refer to the effect alleles of the eQTL table. When it comes from a
genotype matrix whose dosages count ``coded_alleles`` (e.g. the VCF ALT), rows are flipped where the
effect allele differs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from varkg.causal.harmonise import harmonise
from varkg.causal.ld import standardise_genotypes
from varkg.errors import AnalysisError

__all__ = ["SMRResult", "METHOD_VERSION", "smr_heidi", "smr_test", "psum_chisq"]

METHOD_VERSION = "varkg-smr/1 (SMR 1.x defaults)"


@dataclass
class SMRResult:
    """SMR and HEIDI for one gene (probe) and one trait.

    Attributes:
        top_snp: the instrument (top cis-eQTL).
        b_xy, se, p_smr: the SMR effect of expression on the trait (trait units per expression
            unit), its SE and p-value.
        ci_low, ci_high: 95 % normal interval of ``b_xy``.
        b_zx, se_zx, p_eqtl, b_zy, se_zy, p_gwas: the top variant's eQTL and GWAS statistics.
        n_cis: variants in the cis window present in both studies.
        p_heidi, t_heidi, n_heidi: HEIDI p, statistic and number of variants (top included);
            NaN / 0 when fewer than ``heidi_min_m`` variants qualify.
    """

    top_snp: str
    b_xy: float
    se: float
    ci_low: float
    ci_high: float
    p_smr: float
    b_zx: float
    se_zx: float
    p_eqtl: float
    b_zy: float
    se_zy: float
    p_gwas: float
    n_cis: int
    p_heidi: float = math.nan
    t_heidi: float = math.nan
    n_heidi: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (for tables)."""
        return asdict(self)


def smr_test(b_zx: float, se_zx: float, b_zy: float, se_zy: float) -> tuple[float, float, float]:
    """The SMR estimate for one instrument: ``(b_xy, se, p)``.

    >>> b, se, p = smr_test(0.5, 0.05, 0.1, 0.02)   # z_x = 10, z_y = 5: T = 100·25/125 = 20
    >>> round(b, 3), round(float(stats.chi2.sf(20, 1)) / p, 6)
    (0.2, 1.0)
    """
    if not (se_zx > 0 and se_zy > 0):
        raise AnalysisError(f"SMR needs se > 0 (got se_zx={se_zx!r}, se_zy={se_zy!r})")
    if b_zx == 0:
        raise AnalysisError("SMR: the instrument's eQTL effect is 0")
    b = b_zy / b_zx
    se = math.sqrt((b_zy**2 * se_zx**2 + b_zx**2 * se_zy**2) / b_zx**4)
    zx2, zy2 = (b_zx / se_zx) ** 2, (b_zy / se_zy) ** 2
    t = zx2 * zy2 / (zx2 + zy2) if zx2 + zy2 > 0 else 0.0
    return b, se, float(stats.chi2.sf(t, 1))


def psum_chisq(q: float, lambdas: np.ndarray) -> float:
    """Upper tail ``P(Σ λ_k χ²₁ > q)`` for non-negative weights.

    Saddlepoint approximation (Kuonen 1999), the method SMR itself uses for HEIDI; near the
    mean, where the saddlepoint is ~0 and the formula degenerates, the Satterthwaite
    approximation (a scaled χ² with matched mean and variance) is used instead.

    >>> round(psum_chisq(3.84, np.array([1.0])), 3)
    0.05
    >>> round(psum_chisq(10.0, np.array([2.0, 1.0, 0.5])), 3)
    0.048
    """
    lam = np.asarray(lambdas, dtype=float)
    lam = lam[lam > 1e-10 * max(lam.max(initial=0.0), 1e-300)]
    if lam.size == 0 or q <= 0:
        return 1.0
    d = lam.max()
    lam, x = lam / d, q / d
    if np.allclose(lam, 1.0, rtol=1e-9):  # equal weights: exactly a scaled χ²_k
        return float(stats.chi2.sf(x, lam.size))

    def k0(zeta: float) -> float:
        return float(-0.5 * np.sum(np.log1p(-2 * zeta * lam)))

    def k1(zeta: float) -> float:
        return float(np.sum(lam / (1 - 2 * zeta * lam)))

    def k2(zeta: float) -> float:
        return float(2 * np.sum(lam**2 / (1 - 2 * zeta * lam) ** 2))

    lo = -0.01 if x > lam.sum() else -lam.size / (2 * x)
    hi = 0.5 * 0.99999  # 1/(2·max λ) with max λ = 1
    while k1(lo) - x > 0:
        lo *= 2
    zeta = optimize.brentq(lambda z: k1(z) - x, lo, hi, xtol=1e-12)
    if abs(zeta) >= 1e-4:
        w = math.copysign(math.sqrt(max(2 * (zeta * x - k0(zeta)), 0.0)), zeta)
        v = zeta * math.sqrt(k2(zeta))
        if w != 0 and v / w > 0:
            return float(stats.norm.sf(w + math.log(v / w) / w))
    mean, var = lam.sum(), 2 * np.sum(lam**2)
    scale, df = var / (2 * mean), 2 * mean**2 / var
    return float(stats.chi2.sf(x / scale, df))


def _heidi(
    sub: pd.DataFrame, R: np.ndarray, top: int, *, p_heidi: float, ld_lower: float, ld_upper: float, min_m: int, max_m: int
) -> tuple[float, float, int]:
    p = sub["p_exposure"].to_numpy(float)
    cand = np.flatnonzero((p < p_heidi) & (R[top] ** 2 > ld_lower))
    cand = cand[cand != top]
    cand = cand[np.argsort(p[cand], kind="stable")]
    chosen = [top]
    for i in cand:
        if len(chosen) >= max_m:
            break
        if np.all(R[i, chosen] ** 2 <= ld_upper):
            chosen.append(int(i))
    m = len(chosen)
    if m < min_m:
        return math.nan, math.nan, m
    idx = np.asarray(chosen)
    bzx = sub["beta_exposure"].to_numpy(float)[idx]
    szx = sub["se_exposure"].to_numpy(float)[idx]
    bzy = sub["beta_outcome"].to_numpy(float)[idx]
    szy = sub["se_outcome"].to_numpy(float)[idx]
    r = R[np.ix_(idx, idx)]
    bxy = bzy / bzx
    cov = r * np.outer(szy / bzx, szy / bzx) + r * np.outer(szx * bzy / bzx**2, szx * bzy / bzx**2)
    # deviations from the top (index 0): D = [-1 | I]
    D = np.hstack([-np.ones((m - 1, 1)), np.eye(m - 1)])
    d = D @ bxy
    vd = D @ cov @ D.T
    sd = np.sqrt(np.clip(np.diag(vd), 1e-300, None))
    t = float(np.sum((d / sd) ** 2))
    C = vd / np.outer(sd, sd)
    lam = np.clip(np.linalg.eigvalsh((C + C.T) / 2), 0.0, None)
    return psum_chisq(t, lam), t, m


def smr_heidi(
    eqtl: Any,
    gwas: Any,
    *,
    ld: np.ndarray | pd.DataFrame | None = None,
    genotypes: np.ndarray | None = None,
    variant_ids: Sequence[str] | None = None,
    coded_alleles: Sequence[str] | None = None,
    probe_chrom: str | None = None,
    probe_pos: int | None = None,
    cis_window_bp: int = 2_000_000,
    p_smr: float = 5e-8,
    p_heidi: float = 1.5654e-3,
    ld_lower: float = 0.05,
    ld_upper: float = 0.9,
    heidi_min_m: int = 3,
    heidi_max_m: int = 20,
    heidi: bool = True,
    on_mismatch: Literal["raise", "drop"] = "raise",
) -> SMRResult:
    """SMR and HEIDI for one gene's cis-eQTLs against one GWAS trait.

    Args:
        eqtl: the gene's eQTL summary statistics (``snp, effect_allele, other_allele, beta, se``
            and ``chrom``, ``pos`` for the cis window).
        gwas: the trait's GWAS summary statistics (harmonised to the eQTL alleles here).
        ld: signed LD ``r`` as a DataFrame indexed and columned by ``snp`` (effect-allele coded),
            or ``None`` to compute it from ``genotypes``.
        genotypes, variant_ids: LD reference ``(samples, variants)`` and each column's ``snp``.
        coded_alleles: the allele each genotype column counts (default: the eQTL effect allele).
        probe_chrom, probe_pos: the gene/probe position (1-based); the cis window is
            ``probe_pos ± cis_window_bp``. Without them all given variants count as cis.
        cis_window_bp: 2 Mb (SMR default ``--cis-wind 2000``).
        p_smr: the top eQTL must have ``p < p_smr``.
        p_heidi, ld_lower, ld_upper, heidi_min_m, heidi_max_m: HEIDI variant selection.
        heidi: run HEIDI (needs LD).
        on_mismatch: see :func:`~varkg.causal.harmonise.harmonise`.

    Raises:
        AnalysisError: no cis variant, no eQTL below ``p_smr``, a variant missing from the LD
            reference, or HEIDI requested without LD.
    """
    h = harmonise(eqtl, gwas, on_mismatch=on_mismatch, palindromic="infer")
    t = h.table
    if probe_pos is not None and "pos" in t.columns:
        cis = (t["pos"].astype(np.int64) - int(probe_pos)).abs() <= cis_window_bp
        if probe_chrom is not None and "chrom" in t.columns:
            cis &= t["chrom"].astype(str) == str(probe_chrom)
        t = t[cis]
    t = t.reset_index(drop=True)
    if t.empty:
        raise AnalysisError(
            f"no variant of the eQTL table lies within ±{cis_window_bp} bp of the probe at {probe_chrom}:{probe_pos}"
        )
    zx = np.abs(t["beta_exposure"].to_numpy(float) / t["se_exposure"].to_numpy(float))
    top = int(np.argmax(zx))
    row = t.iloc[top]
    if not float(row["p_exposure"]) < p_smr:
        raise AnalysisError(
            f"the top cis-eQTL {row['snp']} has p = {float(row['p_exposure']):.3g}, not below p_smr = {p_smr:g}: no SMR "
            "instrument"
        )
    b, se, p = smr_test(
        float(row["beta_exposure"]), float(row["se_exposure"]), float(row["beta_outcome"]), float(row["se_outcome"])
    )
    z = stats.norm.ppf(0.975)
    res = SMRResult(
        str(row["snp"]),
        b,
        se,
        float(b - z * se),
        float(b + z * se),
        p,
        float(row["beta_exposure"]),
        float(row["se_exposure"]),
        float(row["p_exposure"]),
        float(row["beta_outcome"]),
        float(row["se_outcome"]),
        float(row["p_outcome"]),
        len(t),
    )
    if not heidi:
        return res
    R = _ld_for(t, ld=ld, genotypes=genotypes, variant_ids=variant_ids, coded_alleles=coded_alleles)
    res.p_heidi, res.t_heidi, res.n_heidi = _heidi(
        t, R, top, p_heidi=p_heidi, ld_lower=ld_lower, ld_upper=ld_upper, min_m=heidi_min_m, max_m=heidi_max_m
    )
    return res


def _ld_for(
    t: pd.DataFrame,
    *,
    ld: np.ndarray | pd.DataFrame | None,
    genotypes: np.ndarray | None,
    variant_ids: Sequence[str] | None,
    coded_alleles: Sequence[str] | None,
) -> np.ndarray:
    snps = t["snp"].astype(str).tolist()
    if isinstance(ld, pd.DataFrame):
        missing = [s for s in snps if s not in ld.index]
        if missing:
            raise AnalysisError(f"{len(missing)} cis variant(s) are not in the LD matrix, e.g. {missing[:5]}")
        return ld.loc[snps, snps].to_numpy(float)
    if ld is not None:
        R = np.asarray(ld, dtype=float)
        if R.shape != (len(snps), len(snps)):
            raise AnalysisError(
                f"an LD array must be {len(snps)}×{len(snps)} in the order of the cis variants (got {R.shape}); pass a "
                "DataFrame indexed by snp instead"
            )
        return R
    if genotypes is None or variant_ids is None:
        raise AnalysisError("HEIDI needs LD: pass 'ld' or 'genotypes' with 'variant_ids' (or heidi=False)")
    col = {str(v): j for j, v in enumerate(variant_ids)}
    missing = [s for s in snps if s not in col]
    if missing:
        raise AnalysisError(f"{len(missing)} cis variant(s) are not in the genotype reference, e.g. {missing[:5]}")
    idx = np.array([col[s] for s in snps])
    Z = standardise_genotypes(np.asarray(genotypes)[:, idx])
    R = Z.T @ Z / Z.shape[0]
    np.fill_diagonal(R, 1.0)
    if coded_alleles is not None:
        coded = np.asarray([str(coded_alleles[j]).upper() for j in idx])
        s = np.where(coded == t["effect_allele"].to_numpy(str), 1.0, -1.0)
        R = R * np.outer(s, s)
    return R
