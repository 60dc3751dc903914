"""``varkg demo``: build the graph, run the model and causal steps that exist, cut a release, summarise.

Each step is independent: a step whose inputs or modules are missing, or that fails, is reported
and skipped, and the demo goes on. A second run reuses everything (datasets already loaded,
prediction and causal runs already written) and leaves every count unchanged.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from varkg.demo.build import BuildReport, StepResult, build_graph

Log = Callable[[str], None]


@dataclass
class DemoResult:
    store: str
    build: BuildReport
    steps: list[StepResult] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    findings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    release: str = ""
    seconds: float = 0.0


def _step(result: DemoResult, log: Log | None, name: str, fn: Callable[[], tuple[str, str]]) -> None:
    t0 = time.perf_counter()
    try:
        status, msg = fn()
    except Exception as exc:  # a failing optional step must not stop the demo
        status, msg = "failed", f"{type(exc).__name__}: {str(exc)[:300]}"
    r = StepResult(name, status, msg, time.perf_counter() - t0)
    result.steps.append(r)
    if log:
        log(f"{r.name:<12} {r.status:<8} {r.seconds:6.1f} s  {r.message}")


def _lm_step(store: Any, data: Path, work: Path, *, quick: bool, result: DemoResult) -> tuple[str, str]:
    """Real chr2 SNPs scored and embedded by a small DNA LM pretrained on the chr2 reference excerpt."""
    from varkg.demo.lm_step import LmSettings, run_lm_step

    settings = LmSettings(n_variants=60, steps=20) if quick else LmSettings()
    return run_lm_step(store, data, work=work, settings=settings, result_metrics=result.metrics)


def _pig_step(store: Any, data: Path, *, result: DemoResult) -> tuple[str, str]:
    """SuSiE fine-mapping of pig meat pH (MSUPRP) with PIPs and CAUSAL_FOR written back."""
    from varkg.demo.pig import run_pig_step

    return run_pig_step(store, data, result=result)


def _gnn_step(store: Any, data: Path, work: Path, *, quick: bool, result: DemoResult) -> tuple[str, str]:
    try:
        from varkg.gnn.evaluate import predict_and_write
        from varkg.gnn.labels import labelled_graph
        from varkg.gnn.model import ModelConfig
        from varkg.gnn.train import TrainConfig, train_variant_effect
    except ImportError as exc:
        return "skipped", f"gnn modules not available ({exc})"
    runs = store.query("MATCH (r:PredictionRun) WHERE r.task = 'variant-effect' RETURN r.id AS id, r.metrics AS m")
    if runs.num_rows:
        result.metrics["gnn"] = json.loads(runs["m"][0].as_py() or "{}")
        return "reused", f"prediction run {runs['id'][0].as_py()} already written"
    labels = data / "clinvar" / "clinvar_snv_sample_dev.tsv"
    if not labels.exists():
        return "skipped", f"missing {labels}"
    out = work / "gnn"
    lg = labelled_graph(store, labels, assembly="GRCh38", out_dir=out / "export")
    y = lg.y
    cfg = TrainConfig(
        model=ModelConfig(hidden=32 if quick else 64, layers=2),
        epochs=8 if quick else 40,
        patience=5 if quick else 10,
        seed=0,
        device="cpu",
        split="chromosome",
    )
    res = train_variant_effect(lg.export, lg.index, lg.y, config=cfg, out_dir=out, quiet=True)
    assert res.checkpoint is not None  # out_dir was given, so training saved its best checkpoint
    pw = predict_and_write(store, checkpoint=res.checkpoint)
    m = {
        k: {"auroc": v.get("auroc"), "auprc": v.get("auprc")}
        for k, v in res.metrics.items()
        if isinstance(v, dict) and "auroc" in v
    }
    result.metrics["gnn"] = m
    return (
        "done",
        f"trained on {len(y)} ClinVar SNVs; wrote {pw.get('written', pw.get('predicted'))} predictions (run {pw['run_id']})",
    )


def _causal_step(data: Path, result: DemoResult) -> tuple[str, str]:
    import numpy as np

    try:
        from varkg.causal.susie import susie
    except ImportError as exc:
        return "skipped", f"causal modules not available ({exc})"
    d = data / "finemapping"
    xs, ys, ref = d / "N3_X.tsv.gz", d / "N3_Y.tsv.gz", d / "N3_y1_susieR_pip.tsv"
    if not (xs.exists() and ys.exists()):
        return "skipped", f"missing {xs} / {ys}"
    X = np.loadtxt(xs)
    y = np.loadtxt(ys)[:, 0]
    fit = susie(X, y, L=10)
    pip = np.asarray(fit.pip)
    msg = (
        f"SuSiE on susieR's N3finemapping genotypes ({X.shape[0]} samples x {X.shape[1]} variants): "
        f"{len(fit.credible_sets)} credible set(s)"
    )
    m: dict[str, Any] = {"n_sets": len(fit.credible_sets), "top_pip": float(pip.max())}
    if ref.exists():
        r = np.loadtxt(ref, skiprows=1)
        m["max_abs_diff_vs_susieR"] = float(np.abs(r - pip).max())
    result.metrics["finemap"] = m
    result.findings["finemap"] = [{"variant_index": int(i) + 1, "pip": round(float(pip[i]), 4)} for i in np.argsort(-pip)[:5]]
    return "done", msg + " (not written back: these variants are not in the graph)"


def _findings(store: Any, result: DemoResult) -> None:
    from varkg.cypher import library

    def top(name: str, cypher: str, params: dict[str, Any] | None = None) -> None:
        try:
            result.findings[name] = store.query(cypher, params or {}).to_pylist()
        except Exception as exc:  # summary only
            result.findings[name] = [{"error": str(exc)[:200]}]

    top(
        "top_predicted_variants",
        "MATCH (v:Variant) WHERE v.effect_probability IS NOT NULL RETURN v.id AS variant, v.effect_probability AS p "
        "ORDER BY p DESC LIMIT 5",
    )
    top(
        "motif_disrupting_variants",
        "MATCH (v:Variant)-[e:IN_ELEMENT]->(r:RegulatoryElement) WHERE e.motif_delta IS NOT NULL "
        "RETURN v.id AS variant, r.id AS element, e.motif_id AS motif, e.motif_delta AS delta ORDER BY abs(delta) DESC LIMIT 5",
    )
    top(
        "genes_with_most_regulatory_variants",
        "MATCH (v:Variant)-[:IN_ELEMENT]->(:RegulatoryElement)-[:REGULATES]->(g:Gene) "
        "RETURN g.symbol AS gene, count(DISTINCT v) AS variants ORDER BY variants DESC, gene LIMIT 5",
    )
    result.metrics["library_queries"] = len(library.all_queries())


def next_commands(store: str) -> list[str]:
    """Commands to try on the demo graph (library query names from ``varkg query --list``)."""
    return [
        f"varkg --store {store} query --list",
        f"varkg --store {store} query gene_summary --param gene=PAK5",
        f"varkg --store {store} query variants_in_gene_regulatory_elements --param gene=SLX4IP",
        f"varkg --store {store} query credible_set_variants --param 'trait=pig meat pH 24 h post mortem (ph_24h)'",
        f"varkg --store {store} query model_runs",
        f"varkg --store {store} query interaction_partners --param gene=SMAD3 --param min_score=0",
        f"varkg --store {store} explore",
    ]


def default_work_dir(store: str | Path) -> Path:
    """``<store>.work`` beside an embedded database; for a server URI, ``varkg-demo-<host>-<port>.work``."""
    s = str(store)
    if "://" in s:
        return Path("varkg-demo-" + "".join(ch if ch.isalnum() else "-" for ch in s.split("://", 1)[1]).strip("-") + ".work")
    return Path(f"{s}.work")


def run_demo(
    data: Path,
    store_path: str | Path,
    *,
    quick: bool = False,
    log: Log | None = print,
    work_dir: Path | None = None,
) -> DemoResult:
    """Build the demo graph at ``store_path`` from the mirror ``data`` and run the pipeline.

    Args:
        data: data mirror directory (``../shared/data`` layout).
        store_path: Ladybug database path (created when absent; reused when present) or a Neo4j
            ``bolt://``/``neo4j://`` URI (credentials from ``NEO4J_USER``/``NEO4J_PASSWORD``).
        quick: smaller inputs and a shorter GNN training (about a minute).
        log: receives one line per step; None for silence.
        work_dir: derived inputs and model outputs (default :func:`default_work_dir`).
    """
    from varkg.provenance import cut_release
    from varkg.store import open_store

    t0 = time.perf_counter()
    work = work_dir or default_work_dir(store_path)
    work.mkdir(parents=True, exist_ok=True)
    store = open_store(str(store_path))
    try:
        build = build_graph(store, data, quick=quick, work_dir=work, log=log)
        result = DemoResult(store=str(store_path), build=build)
        _step(result, log, "lm", lambda: _lm_step(store, data, work, quick=quick, result=result))
        _step(result, log, "gnn", lambda: _gnn_step(store, data, work, quick=quick, result=result))
        _step(result, log, "causal", lambda: _causal_step(data, result))
        _step(result, log, "pig-finemap", lambda: _pig_step(store, data, result=result))
        if any(st.name == "hic" and st.status in ("loaded", "reused") for st in build.steps):
            result.metrics["hic"] = (
                "GM12878 Hi-C is hg19 and the mirror has no GRCh38 map: loaded under assembly hg19 "
                "as its own region set, not joined to the GRCh38 genes, elements or variants"
            )
        rel = cut_release(store)
        result.release = rel["id"]
        result.counts = {k: v for k, v in rel["counts"].items() if v}
        _findings(store, result)
    finally:
        store.close()
    result.seconds = time.perf_counter() - t0
    return result
