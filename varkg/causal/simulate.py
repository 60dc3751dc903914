"""Simulation from real linkage disequilibrium: for tests, benchmarks and power checks.

Real haplotypes (a phased VCF, e.g. 1000 Genomes) keep the LD structure; new individuals are
drawn by pairing two random haplotypes, so every simulated genotype matrix has the reference
panel's LD. Phenotypes get planted causal variants; summary statistics are the marginal
per-variant regressions (what a GWAS or eQTL scan reports).

Coordinates: positions are 1-based (VCF). Genotype dosages count the ALT allele, so simulated
summary statistics use ``effect_allele = ALT``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from varkg.errors import AnalysisError, InputError
from varkg.typing import variant_key

__all__ = ["ReferencePanel", "load_reference_panel", "sample_genotypes", "simulate_trait", "marginal_sumstats", "pick_low_ld"]


@dataclass
class ReferencePanel:
    """Phased biallelic SNV haplotypes of a region.

    Attributes:
        haplotypes: ``(2 × samples, variants)`` int8 0/1 (ALT = 1).
        snp: variant keys ``{assembly}:{chrom}:{pos}:{ref}:{alt}``.
        chrom, pos, ref, alt: per-variant fields (``pos`` 1-based).
        maf: minor-allele frequency in the panel.
    """

    haplotypes: np.ndarray
    snp: list[str]
    chrom: list[str]
    pos: np.ndarray
    ref: list[str]
    alt: list[str]
    maf: np.ndarray

    def frame(self) -> pd.DataFrame:
        """``snp, chrom, pos, ref, alt, maf`` per variant."""
        return pd.DataFrame(dict(snp=self.snp, chrom=self.chrom, pos=self.pos, ref=self.ref, alt=self.alt, maf=self.maf))


def load_reference_panel(
    vcf: str | Path,
    *,
    region: str | None = None,
    assembly: str = "GRCh37",
    min_maf: float = 0.01,
    max_variants: int | None = None,
) -> ReferencePanel:
    """Read phased biallelic SNVs with ``maf ≥ min_maf`` from a VCF (cyvcf2; indexed for ``region``).

    Args:
        vcf: a phased VCF/BCF (bgzipped and indexed if ``region`` is given).
        region: ``"20:1000000-1500000"`` (1-based, inclusive), or None for the whole file.
        assembly: the assembly written into the variant keys.
        min_maf: drop rarer variants (and monomorphic ones).
        max_variants: stop after this many kept variants.

    Raises:
        InputError: the file is missing, unphased or has missing calls among kept variants.
    """
    from cyvcf2 import VCF

    path = Path(vcf)
    if not path.exists():
        raise InputError("no such VCF", path=path)
    reader = VCF(str(path))
    it = reader(region) if region else reader
    haps: list[np.ndarray] = []
    snp, chrom, pos, ref, alt = [], [], [], [], []
    for rec in it:
        if len(rec.ALT) != 1 or len(rec.REF) != 1 or len(rec.ALT[0]) != 1:
            continue
        gt = np.asarray(rec.genotype.array()) if hasattr(rec, "genotype") else None
        g = gt[:, :2] if gt is not None else np.array([x[:2] for x in rec.genotypes])
        if (g < 0).any():
            continue
        h = g.reshape(-1).astype(np.int8)
        f = h.mean()
        if min(f, 1 - f) < max(min_maf, 1e-12):
            continue
        haps.append(h)
        c = rec.CHROM[3:] if rec.CHROM.lower().startswith("chr") else rec.CHROM
        snp.append(variant_key(assembly, c, rec.POS, rec.REF, rec.ALT[0]))
        chrom.append(c)
        pos.append(rec.POS)
        ref.append(rec.REF)
        alt.append(rec.ALT[0])
        if max_variants is not None and len(haps) >= max_variants:
            break
    if not haps:
        raise InputError(f"no biallelic SNV with maf ≥ {min_maf} in region {region!r}", path=path)
    H = np.column_stack(haps)
    f = H.mean(axis=0)
    return ReferencePanel(H, snp, chrom, np.asarray(pos, dtype=np.int64), ref, alt, np.minimum(f, 1 - f))


def sample_genotypes(panel: ReferencePanel | np.ndarray, n: int, *, seed: int | np.random.Generator = 0) -> np.ndarray:
    """``n`` new individuals, each the sum of two random panel haplotypes: ``(n, variants)`` int8 0/1/2."""
    H = panel.haplotypes if isinstance(panel, ReferencePanel) else np.asarray(panel)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    i = rng.integers(0, H.shape[0], size=n)
    j = rng.integers(0, H.shape[0], size=n)
    return (H[i] + H[j]).astype(np.int8)


def simulate_trait(
    G: np.ndarray,
    effects: dict[int, float],
    *,
    extra: np.ndarray | None = None,
    noise_sd: float = 1.0,
    seed: int | np.random.Generator = 0,
) -> np.ndarray:
    """``y = Σ_j b_j·g_j(standardised) + extra + N(0, noise_sd²)``: effects are per SD of genotype.

    Args:
        G: genotypes ``(n, p)``.
        effects: ``{column: effect per genotype SD}``.
        extra: an additional ``(n,)`` term (e.g. ``gamma × expression`` for an outcome).
        noise_sd: residual SD.
        seed: RNG seed or generator.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n = G.shape[0]
    y: np.ndarray = np.asarray(rng.normal(0.0, noise_sd, size=n))
    for j, b in effects.items():
        g = G[:, j].astype(float)
        sd = g.std()
        if sd == 0:
            raise AnalysisError(f"causal column {j} is monomorphic in the simulated sample")
        y += b * (g - g.mean()) / sd
    if extra is not None:
        y += extra
    return y


def marginal_sumstats(G: np.ndarray, y: np.ndarray, panel: ReferencePanel, *, columns: np.ndarray | None = None) -> pd.DataFrame:
    """Per-variant simple linear regression of ``y`` on ALT dosage (with intercept).

    Returns:
        ``snp, chrom, pos, effect_allele (ALT), other_allele (REF), beta, se, p, eaf, n``.
    """
    from scipy import stats

    cols = np.arange(G.shape[1]) if columns is None else np.asarray(columns)
    X = G[:, cols].astype(float)
    n = X.shape[0]
    Xc = X - X.mean(axis=0)
    yc = y - y.mean()
    sxx = np.einsum("ij,ij->j", Xc, Xc)
    ok = sxx > 0
    sxx[~ok] = np.nan
    beta = Xc.T @ yc / sxx
    rss = yc @ yc - beta**2 * sxx
    se = np.sqrt(rss / (n - 2) / sxx)
    p = 2 * stats.t.sf(np.abs(beta / se), n - 2)
    return (
        pd.DataFrame(
            dict(
                snp=[panel.snp[j] for j in cols],
                chrom=[panel.chrom[j] for j in cols],
                pos=panel.pos[cols],
                effect_allele=[panel.alt[j] for j in cols],
                other_allele=[panel.ref[j] for j in cols],
                beta=beta,
                se=se,
                p=p,
                eaf=X.mean(axis=0) / 2,
                n=n,
            )
        )
        .loc[ok]
        .reset_index(drop=True)
    )


def pick_low_ld(R: np.ndarray, k: int, *, max_r2: float = 0.01, candidates: np.ndarray | None = None, seed: int = 0) -> list[int]:
    """``k`` columns with pairwise ``r² < max_r2`` (greedy over a random order of ``candidates``)."""
    rng = np.random.default_rng(seed)
    cand = np.arange(R.shape[0]) if candidates is None else np.asarray(candidates)
    chosen: list[int] = []
    for j in rng.permutation(cand):
        if all(R[j, c] ** 2 < max_r2 for c in chosen):
            chosen.append(int(j))
            if len(chosen) == k:
                return chosen
    raise AnalysisError(f"could not find {k} variants with pairwise r² < {max_r2} (found {len(chosen)})")
