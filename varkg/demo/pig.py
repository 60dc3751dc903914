"""The demo's causal write-back on real data: SuSiE fine-mapping of meat pH in pigs (MSUPRP).

Inputs (``pig/`` in the mirror): ``pig_MSUPRP_geno.tsv.gz`` (animals × PorcineSNP60 markers, 0/1/2
allele counts), ``pig_MSUPRP_map.tsv`` (marker, chromosome, position in bp on Sscrofa11.1) and
``pig_MSUPRP_pheno.tsv`` (``ph_24h``: pH 24 h post mortem, and others).

**Marker naming convention.** The map gives a position but no alleles (Illumina A/B calls), so a
marker becomes the Variant ``Sscrofa11.1:{chrom}:{pos}:N:N`` (``pos`` the map's bp, taken as 1-based;
``N`` = base not known) with the marker name (``ALGA0060969``, ``MARC0103234`` ...) in ``rsid``:
the marker name is the array's stable id, as the rs id is for dbSNP. The genotype coding (count of
one of the two alleles, as in the file) is kept as is; effects are per copy of that coded allele.

The chromosome is chosen from the data: the one holding the marker with the largest marginal
|correlation| with the trait (chromosome 11 for ``ph_24h``), unless given. The step writes the
chromosome's markers as Variant nodes, one Phenotype, PIP/credible-set properties (``write_finemap``)
and ``CAUSAL_FOR`` Variant→Phenotype edges for the credible-set members and any marker with
PIP ≥ 0.5 (on chromosome 11 SuSiE finds one signal, PIP 0.60 at MARC0103234, but no pure 95 % set) (``write_causal_edges``,
estimate = SuSiE's posterior mean effect, trait units per coded allele), all under one ``CausalRun``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ASSEMBLY = "Sscrofa11.1"
DATASET = "pig_msuprp_finemap"
PIP_EDGE = 0.5  # CAUSAL_FOR also for a marker with PIP >= 0.5 outside any pure 95 % set


@dataclass(frozen=True)
class PigInputs:
    """Genotypes ``X`` (animals × markers of one chromosome), phenotype ``y`` and the markers' map."""

    X: np.ndarray
    y: np.ndarray
    markers: list[str]
    chrom: str
    pos: list[int]
    trait: str


def read_pig(data: Path, *, trait: str = "ph_24h", chrom: str | None = None) -> PigInputs:
    """Read the MSUPRP genotypes, map and phenotype; keep animals with the trait and markers with a position.

    Raises:
        InputError: the trait column is missing.
    """
    import pandas as pd

    from varkg.errors import InputError

    d = data / "pig"
    geno = pd.read_csv(d / "pig_MSUPRP_geno.tsv.gz", sep="\t", index_col=0)
    pheno = pd.read_csv(d / "pig_MSUPRP_pheno.tsv", sep="\t", index_col=0)
    mp = pd.read_csv(d / "pig_MSUPRP_map.tsv", sep="\t").dropna(subset=["chr", "pos"])
    if trait not in pheno.columns:
        raise InputError(f"no trait column {trait!r}; expected one of {list(pheno.columns)}", path=d / "pig_MSUPRP_pheno.tsv")
    y = pheno[trait].dropna()
    animals = geno.index.intersection(y.index)
    markers = [m for m in mp["snp"] if m in geno.columns]
    X = geno.loc[animals, markers].to_numpy(dtype=float)
    yv = y.loc[animals].to_numpy(dtype=float)
    mp = mp.set_index("snp").loc[markers]
    if chrom is None:
        Xc = X - X.mean(0)
        yc = yv - yv.mean()
        r = (Xc * yc[:, None]).sum(0) / np.sqrt((Xc**2).sum(0) * (yc**2).sum() + 1e-300)
        chrom = str(int(mp["chr"].iloc[int(np.nanargmax(np.abs(r)))]))
    keep = (mp["chr"].astype(int).astype(str) == str(chrom)).to_numpy()
    sub = mp[keep].sort_values("pos")
    cols = [markers.index(m) for m in sub.index]
    return PigInputs(X[:, cols], yv, list(sub.index), str(chrom), [int(p) for p in sub["pos"]], trait)


def run_pig_step(store: Any, data: Path, *, result: Any, trait: str = "ph_24h") -> tuple[str, str]:
    """Load one chromosome's markers, fine-map ``trait`` with SuSiE and write PIPs and CAUSAL_FOR edges."""
    import pyarrow as pa

    from varkg.causal.susie import METHOD_VERSION, susie
    from varkg.causal.writeback import new_run, write_causal_edges, write_finemap
    from varkg.loaders.base import file_checksum
    from varkg.loaders.markers import marker_variant_id
    from varkg.loaders.run import load
    from varkg.provenance import latest_release

    d = data / "pig"
    files = [d / "pig_MSUPRP_geno.tsv.gz", d / "pig_MSUPRP_map.tsv", d / "pig_MSUPRP_pheno.tsv"]
    if not all(p.exists() for p in files):
        return "skipped", f"missing pig inputs in {d}"
    checksum = file_checksum(files)[:12]
    ds = f"demo-pig:{DATASET}:{checksum}"
    done = store.query("MATCH (r:CausalRun) WHERE r.method = 'susie' AND r.parameters CONTAINS $ds RETURN r.id AS id", {"ds": ds})
    if done.num_rows:
        _summarise(store, result, done["id"][0].as_py())
        return "reused", f"fine-mapping run {done['id'][0].as_py()} already written"
    inp = read_pig(data, trait=trait)
    # the chromosome's markers as Variants (with allele frequencies), through the markers loader
    markers = load(
        store,
        "markers",
        [d / "pig_MSUPRP_map.tsv", d / "pig_MSUPRP_geno.tsv.gz"],
        assembly=ASSEMBLY,
        options={"chrom": inp.chrom},
        dataset_name=f"pig_msuprp_markers_chr{inp.chrom}",
        progress=False,
    )
    ids = [marker_variant_id(ASSEMBLY, inp.chrom, p) for p in inp.pos]
    n = len(ids)
    phen = f"pig meat pH 24 h post mortem ({trait})"
    store.upsert_nodes("Phenotype", pa.table({"id": [phen], "name": [phen]}), dataset=ds)
    store.upsert_nodes(
        "Dataset",
        pa.table(
            {"id": [ds], "name": [DATASET], "loader": ["demo.pig"], "paths": [[str(p) for p in files]], "checksum": [checksum]}
        ),
    )
    params = {
        "L": 10,
        "coverage": 0.95,
        "min_abs_corr": 0.5,
        "trait": trait,
        "chrom": inp.chrom,
        "n_animals": int(inp.X.shape[0]),
        "n_markers": n,
        "dataset": ds,
        "markers_dataset": markers.dataset_id,
    }
    fit = susie(inp.X, inp.y, L=10)
    run = new_run(
        "susie",
        method_version=METHOD_VERSION,
        parameters=params,
        scope=f"{ds};{trait};chr{inp.chrom}",
        release_id=latest_release(store),
    )
    cs = fit.cs_membership()
    write_finemap(store, run, variant_ids=ids, pip=fit.pip, credible_set=cs, trait=phen)
    members = [i for i, c in enumerate(cs) if c is not None or fit.pip[i] >= PIP_EDGE]
    import pandas as pd

    edges = pd.DataFrame(
        {"src": [ids[i] for i in members], "dst": [phen] * len(members), "estimate": [float(fit.coef[i]) for i in members]}
    )
    written = write_causal_edges(store, run, edges, src_type="Variant", dst_type="Phenotype") if members else 0
    _summarise(store, result, run.id)
    return "done", (
        f"SuSiE on MSUPRP chromosome {inp.chrom} ({inp.X.shape[0]} animals x {n} markers, {trait}): "
        f"{len(fit.credible_sets)} credible set(s); wrote {n} PIPs and {written} CAUSAL_FOR edges (run {run.id})"
    )


def _summarise(store: Any, result: Any, run_id: str) -> None:
    t = store.query(
        "MATCH (v:Variant) WHERE v.finemap_run_id = $r RETURN v.rsid AS marker, v.chrom AS chrom, v.pos AS pos, "
        "v.pip AS pip, v.credible_set AS cs ORDER BY pip DESC LIMIT 5",
        {"r": run_id},
    )
    rows = t.to_pylist()
    for r in rows:
        r["pip"] = round(float(r["pip"]), 4)
    e = store.query("MATCH (:Variant)-[c:CAUSAL_FOR]->(:Phenotype) WHERE c.run_id = $r RETURN count(c) AS n", {"r": run_id})
    result.findings["pig_finemap"] = rows
    result.metrics["pig_finemap"] = {
        "run": run_id,
        "top_pip": rows[0]["pip"] if rows else None,
        "causal_for_edges": int(e["n"][0].as_py()),
    }
