"""Population-genetics results into the graph, with lineage: ``LD_WITH`` edges, ``LDBlock`` nodes
with their ``IN_BLOCK`` members, and ``SELECTION_SIGNAL`` edges (Fst, iHS, nSL, XP-EHH of a Variant
in a ``Population``).

One computation is one ``Dataset`` node (:func:`varkg.provenance.record_dataset`, loader
``popgen.ld``, ``popgen.blocks``, ``popgen.fst`` or ``popgen.scan``) whose id is a content hash of the input, the samples, the
population and the parameters (:func:`varkg.provenance.run_id`): every node and edge written
carries that id in ``datasets`` (and edges in ``run_id``), and running the same thing again first
deletes that run's edges, so values are replaced, never piled up. All of it happens in one
``store.transaction()``: a failure leaves the graph as it was.

Variants are matched to the graph's Variant keys by :func:`graph_variant_keys`: a matrix id that
is already a key (VCF artifacts) stays; an array marker without alleles (MSUPRP, a .bim without
alleles) becomes ``{assembly}:{chrom}:{pos}:N:N``, the key the ``markers`` loader gives it. Edges to
variants that are not Variant nodes of the graph are skipped and counted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from varkg.errors import AnalysisError
from varkg.popgen.blocks import BlockParams, LdBlockResult
from varkg.popgen.genotypes import GenotypeMatrix
from varkg.provenance import EdgeWrite, record_dataset, replace_computation_edges, run_id, varkg_version
from varkg.typing import interval_key

if TYPE_CHECKING:
    from varkg.popgen.fst import FstResult
    from varkg.popgen.selection import ScanResult

__all__ = [
    "WriteReport",
    "block_id",
    "computation_id",
    "graph_variant_keys",
    "variant_keys",
    "write_blocks",
    "write_fst",
    "write_ld_edges",
    "write_scan",
]


@dataclass(frozen=True)
class WriteReport:
    """What a write did: the Dataset id, nodes and edges written, edges skipped (absent variants)."""

    dataset_id: str
    nodes: int = 0
    edges: int = 0
    skipped_edges: int = 0


def block_id(assembly: str, chrom: str, start: int, stop: int, population: str) -> str:
    """``{assembly}:{chrom}:{start}-{stop}@{population}`` (0-based half-open).

    >>> block_id("GRCh37", "20", 1002041, 1007601, "EUR")
    'GRCh37:20:1002041-1007601@EUR'
    """
    return f"{interval_key(assembly, chrom, start, stop)}@{population}"


def computation_id(prefix: str, geno: GenotypeMatrix, *, population: str, parameters: dict[str, Any]) -> str:
    """Content id of one computation: source, variant ids, samples, population and parameters."""
    h = hashlib.sha256()
    for part in (geno.variants["id"].astype(str), geno.samples["sample"].astype(str)):
        h.update("\n".join(part).encode())
        h.update(b"\0")
    return run_id(prefix, source=geno.source, content=h.hexdigest(), population=population, parameters=parameters)


def graph_variant_keys(geno: GenotypeMatrix, assembly: str) -> dict[str, str]:
    """Matrix variant id -> graph Variant key (:func:`variant_keys` of its variants table)."""
    return variant_keys(geno.variants, assembly)


def variant_keys(variants: pd.DataFrame, assembly: str) -> dict[str, str]:
    """Variant id -> graph Variant key for a variants table (``id chrom pos [ref alt]``): ids that are
    keys already map to themselves; allele-less array markers get
    :func:`varkg.loaders.markers.marker_variant_id`, the key the ``markers`` loader writes."""
    from varkg.loaders.markers import marker_variant_id

    v = variants
    none = pd.Series([None] * len(v), index=v.index)
    ref = v["ref"] if "ref" in v else none
    alt = v["alt"] if "alt" in v else none
    out: dict[str, str] = {}
    for vid, chrom, pos, r, a in zip(v["id"].astype(str), v["chrom"], v["pos"], ref, alt, strict=True):
        if vid.count(":") == 4:
            out[vid] = vid
        else:
            out[vid] = marker_variant_id(assembly, str(chrom), int(pos), r or None, a or None)
    return out


def _population(geno: GenotypeMatrix, population: str | None) -> str:
    if population:
        return population
    pops = sorted({str(p) for p in geno.samples["population"].dropna()})
    if len(pops) == 1:
        return pops[0]
    raise AnalysisError(f"name the population of these samples (they carry {pops or 'none'})")


def _assembly(geno: GenotypeMatrix, assembly: str | None) -> str:
    a = assembly or geno.assembly
    if not a:
        raise AnalysisError("the genotype matrix has no assembly: pass assembly= (e.g. GRCh37, Sscrofa11.1)")
    return a


def _record_computation(
    store: Any,
    geno: GenotypeMatrix,
    *,
    did: str,
    name: str,
    loader: str,
    assembly: str | None,
    row_counts: dict[str, int],
    parameters: dict[str, Any],
) -> None:
    """The Dataset node of computation ``did`` on ``geno`` (its source file, unless in memory; the
    checksum is the id's hash part)."""
    record_dataset(
        store,
        dataset_id=did,
        name=name,
        loader=loader,
        version=varkg_version(),
        paths=[geno.source] if geno.source and not geno.source.startswith("<") else [],
        checksum=did.rsplit("-", 1)[-1],
        assembly=assembly,
        row_counts=row_counts,
        parameters=parameters,
    )


def write_blocks(
    store: Any,
    geno: GenotypeMatrix,
    blocks: list[LdBlockResult],
    *,
    params: BlockParams = BlockParams(),  # noqa: B008  (a frozen dataclass: one immutable default)
    population: str | None = None,
    assembly: str | None = None,
    name: str | None = None,
) -> WriteReport:
    """Upsert ``blocks`` as LDBlock nodes, IN_BLOCK edges from their member Variants, and the
    Dataset node of the computation, in one transaction (a re-run replaces its IN_BLOCK edges)."""
    pop = _population(geno, population)
    asm = _assembly(geno, assembly)
    parameters = {"method": "gabriel", **params.as_dict()}
    did = computation_id("popgen-blocks", geno, population=pop, parameters=parameters)
    key = graph_variant_keys(geno, asm)
    nodes = pa.table(
        {
            "id": [block_id(asm, b.chrom, b.start, b.stop, pop) for b in blocks],
            "assembly": [asm] * len(blocks),
            "chrom": [b.chrom for b in blocks],
            "start": pa.array([b.start for b in blocks], pa.int64()),
            "stop": pa.array([b.stop for b in blocks], pa.int64()),
            "n_variants": pa.array([b.n_variants for b in blocks], pa.int64()),
            "population": [pop] * len(blocks),
            "method": ["gabriel"] * len(blocks),
            "variant_ids": pa.array([[key[i] for i in b.ids] for b in blocks], pa.list_(pa.string())),
            "run_id": [did] * len(blocks),
        }
    )
    src, dst, rank = [], [], []
    for b, bid in zip(blocks, nodes.column("id").to_pylist(), strict=True):
        src += [key[i] for i in b.ids]
        dst += [bid] * b.n_variants
        rank += list(range(1, b.n_variants + 1))
    edges = pa.table({"src": src, "dst": dst, "rank": pa.array(rank, pa.int64()), "run_id": [did] * len(src)})
    with store.transaction():
        store.delete_edges("IN_BLOCK", src_type="Variant", dst_type="LDBlock", where={"run_id": did})
        n = store.upsert_nodes("LDBlock", nodes, dataset=did) if len(blocks) else None
        written_nodes = (n.inserted + n.updated + n.unchanged) if n else 0
        written_edges, skipped = replace_computation_edges(store, EdgeWrite("IN_BLOCK", "Variant", "LDBlock", edges), dataset=did)
        _record_computation(
            store,
            geno,
            did=did,
            name=name or f"LD blocks {pop}",
            loader="popgen.blocks",
            assembly=asm,
            row_counts={"LDBlock": written_nodes, "Variant-IN_BLOCK->LDBlock": written_edges},
            parameters={**parameters, "population": pop, "n_samples": geno.n_samples},
        )
    return WriteReport(did, written_nodes, written_edges, skipped)


def write_ld_edges(
    store: Any,
    geno: GenotypeMatrix,
    pairs: pd.DataFrame,
    *,
    r2_min: float,
    window_kb: float,
    population: str | None = None,
    name: str | None = None,
) -> WriteReport:
    """Upsert LD_WITH edges (``id_a -> id_b``) for the ``pairs`` of :func:`varkg.popgen.ld.ld_pairs`
    with r² >= ``r2_min``, and the Dataset node of the computation, in one transaction."""
    pop = _population(geno, population)
    parameters = {"r2_min": r2_min, "window_kb": window_kb}
    did = computation_id("popgen-ld", geno, population=pop, parameters=parameters)
    p = pairs[pairs["r2"] >= r2_min]
    key = graph_variant_keys(geno, _assembly(geno, None)) if geno.assembly else {}
    cols: dict[str, Any] = {
        "src": [key.get(i, i) for i in p["id_a"].astype(str)],
        "dst": [key.get(i, i) for i in p["id_b"].astype(str)],
        "population": [pop] * len(p),
        "r2": p["r2"].astype(float).tolist(),
        "distance": pa.array((p["pos_b"] - p["pos_a"]).astype(np.int64).tolist(), pa.int64()),
        "run_id": [did] * len(p),
    }
    for c in ("dprime", "dprime_low", "dprime_high"):
        if c in p:
            cols[c] = pa.array([None if not np.isfinite(x) else float(x) for x in p[c]], pa.float64())
    table = pa.table(cols)
    with store.transaction():
        written, skipped = replace_computation_edges(store, EdgeWrite("LD_WITH", "Variant", "Variant", table), dataset=did)
        _record_computation(
            store,
            geno,
            did=did,
            name=name or f"LD {pop}",
            loader="popgen.ld",
            assembly=geno.assembly,
            row_counts={"Variant-LD_WITH->Variant": written},
            parameters={**parameters, "population": pop, "n_samples": geno.n_samples},
        )
    return WriteReport(did, 0, written, skipped)


def _floats(values: Any) -> pa.Array:
    """float64 Arrow array with NaN/inf as null."""
    x = np.asarray(values, dtype=float)
    return pa.array(x, pa.float64(), mask=~np.isfinite(x))


def _write_signals(
    store: Any,
    geno: GenotypeMatrix,
    table: pd.DataFrame,
    *,
    statistic: str,
    population: str,
    versus: str,
    did: str,
    loader: str,
    parameters: dict[str, Any],
    assembly: str | None,
    name: str,
) -> WriteReport:
    """SELECTION_SIGNAL edges for the rows of ``table`` (``id value std_value frequency
    frequency_versus``; rows with a non-finite ``value`` are not written), the Population nodes and
    the Dataset node, in one transaction; the computation's earlier edges are replaced."""
    asm = _assembly(geno, assembly)
    key = graph_variant_keys(geno, asm)
    t = table[np.isfinite(table["value"].to_numpy(dtype=float))]
    edges = pa.table(
        {
            "src": [key.get(i, i) for i in t["id"].astype(str)],
            "dst": [population] * len(t),
            "statistic": [statistic] * len(t),
            "versus": [versus] * len(t),
            "value": _floats(t["value"]),
            "std_value": _floats(t["std_value"]),
            "frequency": _floats(t["frequency"]),
            "frequency_versus": _floats(t["frequency_versus"]),
            "run_id": [did] * len(t),
        }
    )
    pops = [population] + ([versus] if versus else [])
    counts = geno.samples["population"].astype(str).value_counts()
    nodes = pa.table({"id": pops, "n_samples": pa.array([int(counts.get(p, 0)) for p in pops], pa.int64())})
    with store.transaction():
        store.upsert_nodes("Population", nodes, dataset=did)
        written, skipped = replace_computation_edges(
            store, EdgeWrite("SELECTION_SIGNAL", "Variant", "Population", edges), dataset=did
        )
        _record_computation(
            store,
            geno,
            did=did,
            name=name,
            loader=loader,
            assembly=asm,
            row_counts={"Population": len(pops), "Variant-SELECTION_SIGNAL->Population": written},
            parameters={**parameters, "statistic": statistic, "population": population, "versus": versus},
        )
    return WriteReport(did, len(pops), written, skipped)


def write_fst(store: Any, geno: GenotypeMatrix, result: FstResult, *, assembly: str | None = None) -> WriteReport:
    """Per-variant Fst of ``result`` (``pop1`` vs ``pop2``) as SELECTION_SIGNAL edges
    ``Variant -> Population {id: pop1}`` with ``statistic = fst_{method}``, ``versus = pop2`` and both
    allele frequencies; variants with an undefined Fst (monomorphic, too few calls) are not written.
    The genome-wide value, its jackknife SE and the blocks go into the Dataset's parameters."""
    r = result
    parameters = {"method": r.method, **r.params, "genome_wide": r.value, "jackknife_se": r.se, "blocks": r.blocks}
    ident = {"method": r.method, **r.params}
    did = computation_id("popgen-fst", geno, population=f"{r.pop1}/{r.pop2}", parameters=ident)
    pv = r.per_variant
    table = pd.DataFrame(
        {
            "id": pv["id"],
            "value": pv["fst"],
            "std_value": np.nan,
            "frequency": pv[f"freq_{r.pop1}"],
            "frequency_versus": pv[f"freq_{r.pop2}"],
        }
    )
    return _write_signals(
        store,
        geno,
        table,
        statistic=f"fst_{r.method}",
        population=r.pop1,
        versus=r.pop2,
        did=did,
        loader="popgen.fst",
        parameters=parameters,
        assembly=assembly,
        name=f"{r.method} Fst {r.pop1} vs {r.pop2}",
    )


def write_scan(
    store: Any, geno: GenotypeMatrix, result: ScanResult, *, population: str | None = None, assembly: str | None = None
) -> WriteReport:
    """Per-variant iHS / nSL (of ``population``) or XP-EHH (``pop1`` vs ``pop2``) of ``result`` as
    SELECTION_SIGNAL edges with the raw score in ``value`` and the standardised one in
    ``std_value``; variants without a score are not written."""
    r = result
    t = r.table
    if r.stat == "xpehh":
        pop, versus = str(r.params["pop1"]), str(r.params["pop2"])
        freq, freq_vs = t[f"freq_{pop}"], t[f"freq_{versus}"]
    else:
        pop, versus = _population(geno, population or r.params.get("population")), ""
        freq, freq_vs = t["alt_count"] / t["n_haplotypes"], np.nan
    did = computation_id("popgen-scan", geno, population=f"{pop}/{versus}", parameters={"stat": r.stat, **r.params})
    table = pd.DataFrame(
        {"id": t["id"], "value": t["score"], "std_value": t["std_score"], "frequency": freq, "frequency_versus": freq_vs}
    )
    return _write_signals(
        store,
        geno,
        table,
        statistic=r.stat,
        population=pop,
        versus=versus,
        did=did,
        loader="popgen.scan",
        parameters={"stat": r.stat, **r.params, "n_missing": r.n_missing, "n_monomorphic": r.n_monomorphic},
        assembly=assembly,
        name=f"{r.stat} {pop}" + (f" vs {versus}" if versus else ""),
    )
