"""A structural causal model over the knowledge graph: DAG, linear SEM, interventional queries.

**The DAG** (:func:`dag_from_graph`) is read from the graph with named Cypher queries:
Variant→Gene from ``EQTL_OF`` (optionally only ``pvalue < eqtl_p``) and ``AFFECTS``; Gene→Gene
from regulatory ``INTERACTS`` edges (``type = 'regulatory'``), from transcription factors
(``TF -ENCODED_BY-> Gene`` and ``TF -BINDS-> element -REGULATES-> target``) and from earlier
``CAUSAL_FOR`` Gene→Gene findings; Gene→Phenotype from ``ASSOCIATED_WITH`` and ``CAUSAL_FOR``;
and, when ``direct_variant_edges`` is on, Variant→Phenotype edges for variants already in the DAG
that the graph associates with the phenotype directly (the pleiotropic, not-through-expression
path). The DAG is restricted to the ancestors of the requested phenotype(s). Feedback loops among
genes make it cyclic; that raises, naming the cycle (restrict the genes, or pick one direction).

**The linear SEM** (:func:`fit_sem`) has one equation per node with parents,
``x_i = Σ_{j ∈ pa(i)} b_ij x_j + ε_i``, independent errors (a Markovian model), fitted by maximum
likelihood with **semopy** (2.3). semopy was chosen over DoWhy because the model *is* a linear SEM:
semopy fits all structural equations jointly, reports standard errors and the parameter covariance
(inverse Fisher information) needed for delta-method SEs of path products, and adds nothing heavy;
DoWhy's identification machinery is general (non-parametric) but, for linear Gaussian DAGs, its
estimates reduce to the same regressions while bringing a large dependency tree. Data are a table
with one column per DAG node (variant dosages, expression levels, phenotype values; individuals
in rows). Nodes without data are marginalised out (their parents are linked to their children;
an unobserved node with two or more observed children would leave correlated errors and raises).

**Interventional queries.** In a linear SEM the total effect matrix is ``T = (I - B)⁻¹`` (``B[i, j]``
the coefficient of ``j → i``), and ``do(X = x)`` cuts the equation of ``X`` without changing the
paths that leave it, so ``dE[Y | do(X = x)]/dx = T[Y, X]``, the sum over directed paths of the
products of coefficients. :func:`do_effect` returns it with a delta-method SE and says how it is
identified: by the back-door criterion with the parents of ``X`` as the adjustment set (valid in
the Markovian model: every back-door path enters ``X`` through a parent); and, where some parent
variants of ``X`` have no directed path to ``Y`` except through ``X``, also by those variants as
instrumental variables (Mendelian randomisation), which stays valid under unobserved ``X``–``Y``
confounding. :func:`mediation` splits a variant's total effect on ``Y`` into the indirect effect
through a gene ``G`` (``T[G, V]·T[Y, G]``: every path through ``G`` visits it once) and the direct
effect (the rest: paths avoiding ``G``). These are the natural direct/indirect effects of a linear
SEM, identified by the mediation formula because a variant is randomised at meiosis (no ``V``–``G``
or ``V``–``Y`` confounding by design) and assuming no unobserved ``G``–``Y`` confounder.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from varkg.errors import AnalysisError

__all__ = [
    "CausalDAG",
    "SEMFit",
    "DoEffect",
    "Mediation",
    "dag_from_graph",
    "fit_sem",
    "do_effect",
    "mediation",
    "METHOD_VERSION",
]

METHOD_VERSION = "varkg-sem/1 (semopy 2.3, linear Markovian SEM)"

#: Named read queries: each returns ``src``, ``dst`` (node keys) for one kind of causal arrow.
DAG_QUERIES: dict[str, tuple[str, str, str]] = {
    "eqtl": (
        "Variant",
        "Gene",
        "MATCH (v:Variant)-[e:EQTL_OF]->(g:Gene) WHERE e.pvalue IS NULL OR e.pvalue < $eqtl_p RETURN DISTINCT v.id AS src, g.id "
        "AS dst",
    ),
    "affects": ("Variant", "Gene", "MATCH (v:Variant)-[:AFFECTS]->(g:Gene) RETURN DISTINCT v.id AS src, g.id AS dst"),
    "regulatory": (
        "Gene",
        "Gene",
        "MATCH (a:Gene)-[e:INTERACTS]->(b:Gene) WHERE e.type = 'regulatory' AND a.id <> b.id RETURN DISTINCT a.id AS src, b.id "
        "AS dst",
    ),
    "tf_target": (
        "Gene",
        "Gene",
        "MATCH (a:Gene)<-[:ENCODED_BY]-(:TranscriptionFactor)-[:BINDS]->(:RegulatoryElement)-[:REGULATES]->(b:Gene) "
        "WHERE a.id <> b.id RETURN DISTINCT a.id AS src, b.id AS dst",
    ),
    "causal_gene_gene": (
        "Gene",
        "Gene",
        "MATCH (a:Gene)-[:CAUSAL_FOR]->(b:Gene) WHERE a.id <> b.id RETURN DISTINCT a.id AS src, b.id AS dst",
    ),
    "gene_phenotype": (
        "Gene",
        "Phenotype",
        "MATCH (g:Gene)-[:ASSOCIATED_WITH]->(p:Phenotype) RETURN DISTINCT g.id AS src, p.id AS dst",
    ),
    "causal_gene_phenotype": (
        "Gene",
        "Phenotype",
        "MATCH (g:Gene)-[:CAUSAL_FOR]->(p:Phenotype) RETURN DISTINCT g.id AS src, p.id AS dst",
    ),
    "variant_phenotype": (
        "Variant",
        "Phenotype",
        "MATCH (v:Variant)-[:ASSOCIATED_WITH|CAUSAL_FOR]->(p:Phenotype) RETURN DISTINCT v.id AS src, p.id AS dst",
    ),
}


@dataclass
class CausalDAG:
    """A typed causal DAG: ``nodes`` maps a node key to its type; ``edges`` are ``(src, dst)``."""

    nodes: dict[str, str] = field(default_factory=dict)
    edges: set[tuple[str, str]] = field(default_factory=set)

    def add_edge(self, src: str, dst: str, *, src_type: str, dst_type: str) -> None:
        """Add ``src → dst`` (and its endpoints)."""
        self.nodes.setdefault(src, src_type)
        self.nodes.setdefault(dst, dst_type)
        self.edges.add((src, dst))

    def parents(self, node: str) -> list[str]:
        """Sorted parents of ``node``."""
        return sorted(a for a, b in self.edges if b == node)

    def children(self, node: str) -> list[str]:
        """Sorted children of ``node``."""
        return sorted(b for a, b in self.edges if a == node)

    def ancestors(self, node: str) -> set[str]:
        """All nodes with a directed path to ``node``."""
        out: set[str] = set()
        stack = [node]
        while stack:
            for p in self.parents(stack.pop()):
                if p not in out:
                    out.add(p)
                    stack.append(p)
        return out

    def descendants(self, node: str) -> set[str]:
        """All nodes reachable from ``node``."""
        out: set[str] = set()
        stack = [node]
        while stack:
            for c in self.children(stack.pop()):
                if c not in out:
                    out.add(c)
                    stack.append(c)
        return out

    def topological_order(self) -> list[str]:
        """Nodes in an order where parents come first.

        Raises:
            AnalysisError: the graph has a cycle (it is named).
        """
        indeg = {n: 0 for n in self.nodes}
        for _, b in self.edges:
            indeg[b] += 1
        ready = sorted(n for n, d in indeg.items() if d == 0)
        order: list[str] = []
        kids = {n: self.children(n) for n in self.nodes}
        while ready:
            n = ready.pop(0)
            order.append(n)
            for c in kids[n]:
                indeg[c] -= 1
                if indeg[c] == 0:
                    ready.append(c)
        if len(order) != len(self.nodes):
            raise AnalysisError(
                f"the causal graph has a cycle: {' -> '.join(self._a_cycle(set(self.nodes) - set(order)))}; restrict the genes "
                "or drop one direction"
            )
        return order

    def _a_cycle(self, rest: set[str]) -> list[str]:
        start = min(rest)
        path, seen = [start], {start: 0}
        while True:
            nxt = next(c for c in self.children(path[-1]) if c in rest)
            if nxt in seen:
                return path[seen[nxt] :] + [nxt]
            seen[nxt] = len(path)
            path.append(nxt)

    def restrict_to_ancestors_of(self, targets: Iterable[str]) -> CausalDAG:
        """The sub-DAG of ``targets`` and their ancestors."""
        keep: set[str] = set()
        for t in targets:
            if t not in self.nodes:
                raise AnalysisError(
                    f"{t!r} is not a node of the causal graph (have {len(self.nodes)} nodes, e.g. {sorted(self.nodes)[:5]})"
                )
            keep |= {t} | self.ancestors(t)
        return CausalDAG({n: self.nodes[n] for n in keep}, {(a, b) for a, b in self.edges if a in keep and b in keep})

    def marginalise(self, observed: Iterable[str]) -> CausalDAG:
        """Drop unobserved nodes, linking their parents to their children.

        Raises:
            AnalysisError: an unobserved node has two or more children (their errors would be
                correlated, which a Markovian SEM cannot express).
        """
        obs = set(observed)
        dag = CausalDAG(dict(self.nodes), set(self.edges))
        for n in [m for m in self.topological_order() if m not in obs]:
            kids, pars = dag.children(n), dag.parents(n)
            if len(kids) >= 2:
                raise AnalysisError(
                    f"node {n!r} has no data but {len(kids)} children {kids[:4]}: provide its values or restrict the graph"
                )
            dag.edges = {(a, b) for a, b in dag.edges if n not in (a, b)} | {(p, k) for p in pars for k in kids}
            del dag.nodes[n]
        return dag


def dag_from_graph(
    store: Any,
    *,
    phenotypes: Sequence[str],
    genes: Sequence[str] | None = None,
    eqtl_p: float = 5e-8,
    direct_variant_edges: bool = True,
    queries: Sequence[str] = (
        "eqtl",
        "affects",
        "regulatory",
        "tf_target",
        "causal_gene_gene",
        "gene_phenotype",
        "causal_gene_phenotype",
    ),
) -> CausalDAG:
    """Build the causal DAG for ``phenotypes`` from the graph (see the module docstring).

    Args:
        store: an open :class:`~varkg.store.GraphStore`.
        phenotypes: Phenotype keys; the DAG keeps them and their ancestors.
        genes: if given, only these genes (and their variants) enter the DAG.
        eqtl_p: the EQTL_OF p-value threshold for a Variant→Gene arrow.
        direct_variant_edges: add Variant→Phenotype arrows for DAG variants associated with the
            phenotype directly.
        queries: which arrows to read (keys of :data:`DAG_QUERIES`).
    """
    bad = [q for q in queries if q not in DAG_QUERIES]
    if bad:
        raise AnalysisError(f"unknown DAG query {bad}; expected some of {sorted(DAG_QUERIES)}")
    dag = CausalDAG()
    keep_genes = set(genes) if genes is not None else None
    for q in queries:
        st, dt, cypher = DAG_QUERIES[q]
        t = store.query(cypher, {"eqtl_p": eqtl_p} if "$eqtl_p" in cypher else None)
        for s, d in zip(t.column("src").to_pylist(), t.column("dst").to_pylist(), strict=False):
            if keep_genes is not None and ((st == "Gene" and s not in keep_genes) or (dt == "Gene" and d not in keep_genes)):
                continue
            dag.add_edge(s, d, src_type=st, dst_type=dt)
    missing = [p for p in phenotypes if p not in dag.nodes]
    if missing:
        raise AnalysisError(
            f"phenotype(s) {missing} have no causal arrows into them in the graph (need "
            "Gene-ASSOCIATED_WITH/CAUSAL_FOR->Phenotype)"
        )
    dag = dag.restrict_to_ancestors_of(phenotypes)
    if direct_variant_edges:
        st, dt, cypher = DAG_QUERIES["variant_phenotype"]
        t = store.query(cypher)
        for s, d in zip(t.column("src").to_pylist(), t.column("dst").to_pylist(), strict=False):
            if s in dag.nodes and d in phenotypes:
                dag.add_edge(s, d, src_type=st, dst_type=dt)
    dag.topological_order()
    return dag


@dataclass
class SEMFit:
    """A fitted linear SEM.

    Attributes:
        dag: the (marginalised) DAG that was fitted.
        nodes: node keys in topological order (the index order of ``B``).
        B: ``(k, k)`` coefficients, ``B[i, j]`` the effect of ``nodes[j]`` on ``nodes[i]``.
        coef_index: ``(i, j) → parameter index`` into ``cov``.
        cov: the covariance of the free parameters (inverse Fisher information).
        estimates: semopy's parameter table (``lval, op, rval, Estimate, Std. Err, p-value``) with
            node keys in place of the internal variable names.
        n: the number of individuals.
    """

    dag: CausalDAG
    nodes: list[str]
    B: np.ndarray
    coef_index: dict[tuple[int, int], int]
    cov: np.ndarray
    estimates: pd.DataFrame
    n: int

    def total_effects(self, B: np.ndarray | None = None) -> np.ndarray:
        """``T = (I - B)⁻¹``: ``T[i, j]`` is the total effect of node ``j`` on node ``i``."""
        Bm = self.B if B is None else B
        return np.linalg.inv(np.eye(len(self.nodes)) - Bm)

    def index(self, node: str) -> int:
        """Position of ``node`` in :attr:`nodes`."""
        try:
            return self.nodes.index(node)
        except ValueError:
            raise AnalysisError(
                f"{node!r} is not in the fitted model (nodes: {self.nodes[:8]}{'...' if len(self.nodes) > 8 else ''})"
            ) from None

    def _delta(self, f: Any) -> tuple[float, float]:
        """Value and delta-method SE of ``f(B)`` (numerical gradient over the free coefficients)."""
        val = float(f(self.B))
        keys = list(self.coef_index)
        grad = np.zeros(self.cov.shape[0])
        for i, j in keys:
            h = 1e-6 * max(1.0, abs(self.B[i, j]))
            Bp = self.B.copy()
            Bp[i, j] += h
            Bm = self.B.copy()
            Bm[i, j] -= h
            grad[self.coef_index[(i, j)]] = (f(Bp) - f(Bm)) / (2 * h)
        return val, float(math.sqrt(max(grad @ self.cov @ grad, 0.0)))


def fit_sem(dag: CausalDAG, data: pd.DataFrame) -> SEMFit:
    """Fit the linear SEM of ``dag`` to ``data`` (one column per node key) with semopy.

    Nodes without a column are marginalised (see :meth:`CausalDAG.marginalise`); rows with any
    missing value in the used columns are dropped.

    Raises:
        AnalysisError: fewer than 10 complete rows, a node column that is constant, a DAG with no
            edges among observed nodes, or a fit that semopy reports as failed.
    """
    import semopy

    observed = [n for n in dag.nodes if n in data.columns]
    sub = dag.marginalise(observed)
    if not sub.edges:
        raise AnalysisError(f"no causal arrows among the nodes with data ({observed[:8]})")
    nodes = sub.topological_order()
    df = data[nodes].apply(pd.to_numeric, errors="coerce").dropna()
    if len(df) < 10:
        raise AnalysisError(f"only {len(df)} complete rows for the SEM (need ≥ 10)")
    const = [c for c in nodes if df[c].std() == 0]
    if const:
        raise AnalysisError(f"constant column(s) {const[:5]} cannot enter the SEM")
    name = {n: f"x{i}" for i, n in enumerate(nodes)}
    back = {v: k for k, v in name.items()}
    lines = [f"{name[n]} ~ {' + '.join(name[p] for p in sub.parents(n))}" for n in nodes if sub.parents(n)]
    model = semopy.Model("\n".join(lines))
    res = model.fit(df.rename(columns=name))
    if not getattr(res, "success", True):
        raise AnalysisError(f"semopy did not converge: {getattr(res, 'message', res)}")
    est = model.inspect()
    _, cov = model.calc_fim(inverse=True)
    k = len(nodes)
    B = np.zeros((k, k))
    coef_index: dict[tuple[int, int], int] = {}
    for pi, row in enumerate(est.itertuples(index=False)):
        if row.op == "~":
            i, j = nodes.index(back[row.lval]), nodes.index(back[row.rval])
            B[i, j] = float(row.Estimate)
            coef_index[(i, j)] = pi
    est = est.assign(lval=est["lval"].map(back).fillna(est["lval"]), rval=est["rval"].map(back).fillna(est["rval"]))
    return SEMFit(sub, nodes, B, coef_index, np.asarray(cov, dtype=float), est, len(df))


@dataclass
class DoEffect:
    """``dE[outcome | do(treatment = x)]/dx`` with its SE and how it is identified."""

    treatment: str
    outcome: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p: float
    identification: str
    adjustment_set: list[str]
    instruments: list[str]


def _interval(est: float, se: float) -> tuple[float, float, float]:
    z = stats.norm.ppf(0.975)
    p = float(2 * stats.norm.sf(abs(est / se))) if se > 0 else (0.0 if est != 0 else 1.0)
    return est - z * se, est + z * se, p


def do_effect(fit: SEMFit, *, treatment: str, outcome: str) -> DoEffect:
    """The effect on ``outcome`` of an intervention on ``treatment`` (e.g. do(expression of G)).

    Units: outcome units per unit of treatment (as the data columns are scaled).
    """
    ti, oi = fit.index(treatment), fit.index(outcome)
    est, se = fit._delta(lambda B: fit.total_effects(B)[oi, ti])
    lo, hi, p = _interval(est, se)
    dag = fit.dag
    pa = dag.parents(treatment)
    if outcome not in dag.descendants(treatment):
        how = f"identified trivially: no directed path from {treatment} to {outcome} in the DAG, so the effect is 0"
        ivs: list[str] = []
    else:
        # instruments: parents of X whose every directed path to Y goes through X
        ivs = []
        for z in pa:
            if dag.nodes.get(z) != "Variant":
                continue
            cut = CausalDAG(dict(dag.nodes), {(a, b) for a, b in dag.edges if a != treatment})
            if outcome not in cut.descendants(z):
                ivs.append(z)
        how = (
            f"identified by the back-door criterion: adjusting for the parents of {treatment} "
            f"({', '.join(pa) if pa else 'none'}) blocks every back-door path in the Markovian linear SEM; "
            "estimate = sum over directed paths of products of path coefficients"
        )
        if ivs:
            how += (
                f"; also identified by instrumental variables (Mendelian randomisation) {ivs}, "
                f"robust to unobserved {treatment}–{outcome} confounding"
            )
    return DoEffect(treatment, outcome, est, se, lo, hi, p, how, pa, ivs)


@dataclass
class Mediation:
    """A variant's total effect on an outcome split into the part through ``mediator`` and the rest."""

    variant: str
    mediator: str
    outcome: str
    total: float
    total_se: float
    indirect: float
    indirect_se: float
    direct: float
    direct_se: float
    proportion_mediated: float
    identification: str

    def as_frame(self) -> pd.DataFrame:
        """Tidy rows: effect, estimate, se, ci_low, ci_high, p."""
        rows = []
        for name, est, se in (
            ("total", self.total, self.total_se),
            ("indirect", self.indirect, self.indirect_se),
            ("direct", self.direct, self.direct_se),
        ):
            lo, hi, p = _interval(est, se)
            rows.append(dict(effect=name, estimate=est, se=se, ci_low=lo, ci_high=hi, p=p))
        return pd.DataFrame(rows)


def mediation(fit: SEMFit, *, variant: str, mediator: str, outcome: str) -> Mediation:
    """Direct vs indirect (through ``mediator``) effect of ``variant`` on ``outcome`` (per allele)."""
    vi, mi, oi = fit.index(variant), fit.index(mediator), fit.index(outcome)
    tot, tot_se = fit._delta(lambda B: fit.total_effects(B)[oi, vi])

    def ind_f(B: np.ndarray) -> float:
        T = fit.total_effects(B)
        return float(T[mi, vi] * T[oi, mi])

    ind, ind_se = fit._delta(ind_f)
    dire, dire_se = fit._delta(lambda B: fit.total_effects(B)[oi, vi] - ind_f(B))
    how = (
        "natural direct and indirect effects of the linear SEM (path products), identified by the mediation formula: "
        f"{variant} is randomised at meiosis (no confounding of {variant}–{mediator} or {variant}–{outcome}); "
        f"assumes no unobserved {mediator}–{outcome} confounder"
    )
    return Mediation(
        variant, mediator, outcome, tot, tot_se, ind, ind_se, dire, dire_se, ind / tot if tot != 0 else math.nan, how
    )


def dag_from_edges(edges: Iterable[tuple[str, str]], types: Mapping[str, str]) -> CausalDAG:
    """A DAG from ``(src, dst)`` pairs and a node→type map (for data that is not in a store)."""
    dag = CausalDAG()
    for s, d in edges:
        for n in (s, d):
            if n not in types:
                raise AnalysisError(f"node {n!r} has no type; expected one of Variant, Gene, Phenotype")
        dag.add_edge(s, d, src_type=types[s], dst_type=types[d])
    dag.topological_order()
    return dag


__all__ += ["dag_from_edges", "DAG_QUERIES"]
