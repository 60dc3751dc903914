"""Gene-set libraries for enrichment, read from files or from the graph.

A :class:`GeneSetLibrary` maps a set id (``GO:0006281``, ``hsa03010``, ``HALLMARK_HYPOXIA``,
``OMIM:212050``, a TF id) to its member genes, all in one identifier kind (``symbol``,
``entrez`` or ``ensembl``): the kind the files use. :class:`GeneIdMap` translates a gene list
between kinds (from ``orgHsEgDb_gene_info.tsv.gz`` or from the graph's Gene nodes).

Files: GMT (:func:`read_gmt`; set ids as the pathways loader gives them, so file and graph agree),
Entrez gene2go and GAF (:func:`read_gene2go`, :func:`read_gaf`; propagated up the GO DAG),
HPO ``genes_to_disease`` (:func:`read_hpo`), Entrez -> KEGG (:func:`read_kegg`), Reactome
``Ensembl2Reactome`` (:func:`read_reactome`).

Graph (Cypher with ``$parameters``; Gene ids are Ensembl): :func:`pathway_sets`
(``IN_PATHWAY``, GO propagated along ``PATHWAY_LINK`` is_a/part_of), :func:`phenotype_sets`
(``ASSOCIATED_WITH`` Gene -> Phenotype: HPO, OMIM, ClinVar, GWAS), :func:`tf_sets` (genes
regulated by elements a TF binds: ``BINDS`` -> ``REGULATES``).
"""

from __future__ import annotations

import gzip
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from varkg.errors import InputError
from varkg.interpret.go import DEFAULT_RELATIONS, GoDag, tsv_header

if TYPE_CHECKING:
    from varkg.store.base import GraphStore

IdKind = Literal["symbol", "entrez", "ensembl"]
ID_KINDS: tuple[str, ...] = ("symbol", "entrez", "ensembl")


@dataclass
class GeneSetLibrary:
    """Gene sets of one source, in one gene identifier kind.

    Attributes:
        name: the library (``GO``, ``KEGG_2016``, ``HPO`` ...).
        sets: set id -> member genes.
        id_kind: identifier kind of the members.
        names: set id -> readable name.
        namespaces: set id -> sub-collection (GO ``BP``/``MF``/``CC``); BH FDR is per namespace.
    """

    name: str
    sets: dict[str, frozenset[str]]
    id_kind: IdKind
    names: dict[str, str] = field(default_factory=dict)
    namespaces: dict[str, str] = field(default_factory=dict)

    def genes(self) -> set[str]:
        """Every gene annotated to at least one set."""
        out: set[str] = set()
        for s in self.sets.values():
            out |= s
        return out

    def __len__(self) -> int:
        return len(self.sets)


def _open(path: Path):
    if not path.exists():
        raise InputError(f"gene-set file not found: {str(path)!r}")
    return gzip.open(path, "rt") if path.suffix == ".gz" else open(path)


def _invert(gene2sets: Mapping[str, Iterable[str]]) -> dict[str, frozenset[str]]:
    acc: dict[str, set[str]] = defaultdict(set)
    for g, ts in gene2sets.items():
        for t in ts:
            acc[t].add(g)
    return {t: frozenset(gs) for t, gs in acc.items()}


def read_gmt(path: str | Path, *, name: str | None = None) -> GeneSetLibrary:
    """A GMT file (``name<TAB>description<TAB>gene...``), members as symbols.

    Set ids follow :func:`varkg.loaders.pathways.gmt_id` (``... (GO:0006281)`` -> ``GO:0006281``,
    ``... hsa03010`` -> ``hsa03010``, else the name), the ids the pathways loader writes.

    Raises:
        InputError: a line with no genes, or a set id given twice (file and line named).
    """
    from varkg.loaders.pathways import gmt_id

    path = Path(path)
    sets: dict[str, frozenset[str]] = {}
    names: dict[str, str] = {}
    with _open(path) as fh:
        for line, raw in enumerate(fh, start=1):
            f = [x.strip() for x in raw.rstrip("\n").split("\t")]
            if not f or not f[0]:
                continue
            genes = frozenset(g.split(",")[0] for g in f[2:] if g)
            if not genes:
                raise InputError(f"gene set {f[0]!r} lists no genes", path=path, line=line, field="genes")
            sid = gmt_id(f[0])
            if sid in sets:
                raise InputError(f"gene set id {sid!r} (from {f[0]!r}) appears twice", path=path, line=line, field="name")
            sets[sid] = genes
            names[sid] = f[0]
    return GeneSetLibrary(name or path.name.split(".gmt")[0], sets, "symbol", names)


def _go_library(
    direct: Mapping[str, set[str]], dag: GoDag | None, *, name: str, id_kind: IdKind, spaces: Mapping[str, str], relations
) -> GeneSetLibrary:
    gene2go = dag.propagate(direct, relations=relations) if dag is not None else {g: set(t) for g, t in direct.items()}
    sets = _invert(gene2go)
    ns = dict(spaces)
    if dag is not None:
        for t in sets:
            if t not in ns and t in dag.namespaces:
                ns[t] = dag.namespaces[t]
        # an ancestor reached from a BP term is BP
        for terms in direct.values():
            for t in terms:
                if t in ns:
                    for a in dag.ancestors(t, relations=relations):
                        ns.setdefault(a, ns[t])
    names = dict(dag.names) if dag is not None else {}
    return GeneSetLibrary(name, sets, id_kind, {t: names.get(t, t) for t in sets}, {t: ns[t] for t in sets if t in ns})


def read_gene2go(
    path: str | Path,
    *,
    dag: GoDag | None,
    exclude_evidence: Iterable[str] = (),
    namespaces: Iterable[str] | None = None,
    relations: Iterable[str] = DEFAULT_RELATIONS,
) -> GeneSetLibrary:
    """GO sets from an ``entrez_id go_id evidence ontology`` table, propagated up ``dag``
    (``dag=None``: direct annotations only). Members are Entrez ids.

    Args:
        exclude_evidence: evidence codes to drop (``IEA``, ``ND`` ...).
        namespaces: keep only these of ``BP``, ``MF``, ``CC`` (all by default).
        relations: DAG relations followed when propagating.
    """
    path = Path(path)
    drop = set(exclude_evidence)
    keep = set(namespaces) if namespaces is not None else None
    direct: dict[str, set[str]] = defaultdict(set)
    spaces: dict[str, str] = {}
    with _open(path) as fh:
        header = tsv_header(fh, ("entrez_id", "go_id"), path=path)
        ig, it = header.index("entrez_id"), header.index("go_id")
        ie = header.index("evidence") if "evidence" in header else None
        io = header.index("ontology") if "ontology" in header else None
        for line, raw in enumerate(fh, start=2):
            f = raw.rstrip("\n").split("\t")
            if len(f) < len(header):
                raise InputError(f"expected {len(header)} fields, got {len(f)}: {raw.strip()!r}", path=path, line=line)
            if not f[it].startswith("GO:"):
                raise InputError(f"GO id {f[it]!r} does not start with 'GO:'", path=path, line=line, field="go_id")
            if ie is not None and f[ie] in drop:
                continue
            ns = f[io] if io is not None else None
            if keep is not None and ns not in keep:
                continue
            direct[f[ig]].add(f[it])
            if ns:
                spaces[f[it]] = ns
    return _go_library(direct, dag, name="GO", id_kind="entrez", spaces=spaces, relations=frozenset(relations))


def read_gaf(
    path: str | Path, *, dag: GoDag | None, exclude_evidence: Iterable[str] = (), relations: Iterable[str] = DEFAULT_RELATIONS
) -> GeneSetLibrary:
    """GO sets from a GAF 2.x file (symbol in column 3; ``NOT`` qualifiers skipped), propagated up ``dag``."""
    path = Path(path)
    drop = set(exclude_evidence)
    aspect = {"P": "BP", "F": "MF", "C": "CC"}
    direct: dict[str, set[str]] = defaultdict(set)
    spaces: dict[str, str] = {}
    with _open(path) as fh:
        for line, raw in enumerate(fh, start=1):
            if raw.startswith("!") or not raw.strip():
                continue
            f = raw.rstrip("\n").split("\t")
            if len(f) < 15:
                raise InputError(f"GAF lines have at least 15 fields, got {len(f)}", path=path, line=line)
            if "NOT" in f[3].split("|") or f[6] in drop:
                continue
            direct[f[2]].add(f[4])
            if f[8] in aspect:
                spaces[f[4]] = aspect[f[8]]
    return _go_library(direct, dag, name="GO", id_kind="symbol", spaces=spaces, relations=frozenset(relations))


def read_hpo(path: str | Path, *, id_kind: Literal["symbol", "entrez"] = "symbol") -> GeneSetLibrary:
    """Disease gene sets from HPO ``genes_to_disease.txt`` (``ncbi_gene_id gene_symbol
    association_type disease_id source``): one set per OMIM/ORPHA disease id."""
    path = Path(path)
    acc: dict[str, set[str]] = defaultdict(set)
    with _open(path) as fh:
        header = tsv_header(fh, ("ncbi_gene_id", "gene_symbol", "disease_id"), path=path)
        ig = header.index("gene_symbol" if id_kind == "symbol" else "ncbi_gene_id")
        idis = header.index("disease_id")
        for line, raw in enumerate(fh, start=2):
            f = raw.rstrip("\n").split("\t")
            if len(f) < len(header):
                raise InputError(f"expected {len(header)} fields, got {len(f)}", path=path, line=line)
            gene = f[ig].removeprefix("NCBIGene:")
            acc[f[idis]].add(gene)
    return GeneSetLibrary("HPO", {k: frozenset(v) for k, v in acc.items()}, id_kind)


def read_kegg(path: str | Path, *, organism: str = "hsa") -> GeneSetLibrary:
    """KEGG sets from an ``entrez_id kegg_path_id`` table (path numbers get the ``organism`` prefix)."""
    path = Path(path)
    acc: dict[str, set[str]] = defaultdict(set)
    with _open(path) as fh:
        header = fh.readline().rstrip("\n").split("\t")
        if header[:2] != ["entrez_id", "kegg_path_id"]:
            raise InputError(f"expected header 'entrez_id kegg_path_id', got {header}", path=path, line=1)
        for line, raw in enumerate(fh, start=2):
            f = raw.rstrip("\n").split("\t")
            if len(f) < 2 or not f[1].strip().isdigit():
                raise InputError(f"KEGG path id {f[1:2]!r} is not a number", path=path, line=line, field="kegg_path_id")
            acc[organism + f[1].strip()].add(f[0])
    return GeneSetLibrary("KEGG", {k: frozenset(v) for k, v in acc.items()}, "entrez")


def read_reactome(path: str | Path, *, species: str = "Homo sapiens") -> GeneSetLibrary:
    """Reactome sets from ``Ensembl2Reactome*.txt`` (gene, pathway, url, name, evidence, species)."""
    path = Path(path)
    acc: dict[str, set[str]] = defaultdict(set)
    names: dict[str, str] = {}
    with _open(path) as fh:
        for line, raw in enumerate(fh, start=1):
            f = raw.rstrip("\n").split("\t")
            if len(f) < 6:
                raise InputError(f"expected 6 fields, got {len(f)}", path=path, line=line)
            if f[5] != species:
                continue
            acc[f[1]].add(f[0].split(".")[0])
            names[f[1]] = f[3]
    return GeneSetLibrary("Reactome", {k: frozenset(v) for k, v in acc.items()}, "ensembl", names)


# ------------------------------------------------------------------------------ graph


def go_dag_from_graph(store: GraphStore, *, relations: Iterable[str] = DEFAULT_RELATIONS) -> GoDag:
    """The GO DAG as the graph holds it (``PATHWAY_LINK`` child -> parent with ``kind`` in ``relations``)."""
    t = store.query(
        "MATCH (c:Pathway)-[l:PATHWAY_LINK]->(p:Pathway) WHERE l.kind IN $kinds RETURN c.id AS c, p.id AS p, l.kind AS k",
        {"kinds": sorted(relations)},
    )
    parents: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for c, p, k in zip(t.column("c").to_pylist(), t.column("p").to_pylist(), t.column("k").to_pylist(), strict=True):
        parents[c].add((p, k))
    return GoDag(dict(parents))


def pathway_sets(store: GraphStore, *, source: str, propagate: bool = True) -> GeneSetLibrary:
    """Sets of ``Gene -[IN_PATHWAY]-> Pathway`` with ``Pathway.source = source`` (GO, KEGG,
    Reactome, MSigDB ...), members as Ensembl ids. GO annotations are propagated to ancestors
    along the graph's ``PATHWAY_LINK`` is_a / part_of edges unless ``propagate=False``."""
    t = store.query(
        "MATCH (g:Gene)-[:IN_PATHWAY]->(p:Pathway) WHERE p.source = $source "
        "RETURN p.id AS set_id, p.name AS name, p.namespace AS ns, g.id AS gene",
        {"source": source},
    )
    rows = t.to_pydict()
    direct: dict[str, set[str]] = defaultdict(set)
    names: dict[str, str] = {}
    spaces: dict[str, str] = {}
    for sid, nm, ns, g in zip(rows["set_id"], rows["name"], rows["ns"], rows["gene"], strict=True):
        direct[g].add(sid)
        names[sid] = nm or sid
        if ns:
            spaces[sid] = ns
    if source == "GO" and propagate:
        dag = go_dag_from_graph(store)
        allp = store.query(
            "MATCH (p:Pathway) WHERE p.source = $source RETURN p.id AS id, p.name AS name, p.namespace AS ns", {"source": source}
        )
        for sid, nm, ns in zip(
            allp.column("id").to_pylist(), allp.column("name").to_pylist(), allp.column("ns").to_pylist(), strict=True
        ):
            names.setdefault(sid, nm or sid)
            if ns:
                spaces.setdefault(sid, ns)
        dag.names = names
        dag.namespaces = {k: _short_ns(v) for k, v in spaces.items()}
        lib = _go_library(direct, dag, name="GO", id_kind="ensembl", spaces={}, relations=DEFAULT_RELATIONS)
        return lib
    sets = _invert(direct)
    return GeneSetLibrary(
        source, sets, "ensembl", {k: names[k] for k in sets}, {k: _short_ns(spaces[k]) for k in sets if k in spaces}
    )


def _short_ns(ns: str) -> str:
    from varkg.interpret.go import NAMESPACES

    inv = {v: k for k, v in NAMESPACES.items()}
    return inv.get(ns, ns)


def phenotype_sets(store: GraphStore, *, sources: Iterable[str] | None = None) -> GeneSetLibrary:
    """Phenotype/disease gene sets from ``Gene -[ASSOCIATED_WITH]-> Phenotype`` (optionally only
    edges whose ``source`` is in ``sources``: HPO, OMIM, ClinVar, GWAS ...)."""
    if sources is None:
        t = store.query("MATCH (g:Gene)-[:ASSOCIATED_WITH]->(p:Phenotype) RETURN p.id AS set_id, p.name AS name, g.id AS gene")
    else:
        t = store.query(
            "MATCH (g:Gene)-[a:ASSOCIATED_WITH]->(p:Phenotype) WHERE a.source IN $sources "
            "RETURN p.id AS set_id, p.name AS name, g.id AS gene",
            {"sources": sorted(sources)},
        )
    return _from_rows(t.to_pydict(), "Phenotype")


def tf_sets(store: GraphStore) -> GeneSetLibrary:
    """TF target sets: genes regulated (``REGULATES``) by an element the TF binds (``BINDS``)."""
    t = store.query(
        "MATCH (t:TranscriptionFactor)-[:BINDS]->(:RegulatoryElement)-[:REGULATES]->(g:Gene) "
        "RETURN DISTINCT t.id AS set_id, t.symbol AS name, g.id AS gene"
    )
    return _from_rows(t.to_pydict(), "TF-binding")


def _from_rows(rows: Mapping[str, list], name: str) -> GeneSetLibrary:
    acc: dict[str, set[str]] = defaultdict(set)
    names: dict[str, str] = {}
    for sid, nm, g in zip(rows["set_id"], rows["name"], rows["gene"], strict=True):
        acc[sid].add(g)
        names[sid] = nm or sid
    return GeneSetLibrary(name, {k: frozenset(v) for k, v in acc.items()}, "ensembl", names)


# ------------------------------------------------------------------------------ id mapping


@dataclass
class GeneIdMap:
    """Gene identifier translation (symbol / entrez / ensembl), one row per known gene.

    Example:
        >>> m = GeneIdMap([("TP53", "7157", "ENSG00000141510")])
        >>> m.translate(["TP53", "NOPE"], source="symbol", target="ensembl")
        ({'TP53': {'ENSG00000141510'}}, ['NOPE'])
    """

    rows: list[tuple[str, str, str]]  # (symbol, entrez, ensembl)

    def translate(self, genes: Iterable[str], *, source: IdKind, target: IdKind) -> tuple[dict[str, set[str]], list[str]]:
        """``({gene: {translated ids}}, [unmapped genes])``; identity when ``source == target``."""
        genes = list(dict.fromkeys(genes))
        if source == target:
            return {g: {g} for g in genes}, []
        i, j = ID_KINDS.index(source), ID_KINDS.index(target)
        table: dict[str, set[str]] = defaultdict(set)
        for r in self.rows:
            if r[i] and r[j]:
                table[r[i]].add(r[j])
        found = {g: table[g] for g in genes if g in table}
        return found, [g for g in genes if g not in table]

    @classmethod
    def from_gene_info(cls, path: str | Path) -> GeneIdMap:
        """From ``orgHsEgDb_gene_info.tsv.gz`` (``entrez_id symbol ... ensembl_gene``; ``|``-joined multi-values)."""
        path = Path(path)
        rows: list[tuple[str, str, str]] = []
        with _open(path) as fh:
            header = tsv_header(fh, ("entrez_id", "symbol", "ensembl_gene"), path=path)
            ie, isy, ien = header.index("entrez_id"), header.index("symbol"), header.index("ensembl_gene")
            for raw in fh:
                f = raw.rstrip("\n").split("\t")
                if len(f) <= max(ie, isy, ien):
                    continue
                for ens in f[ien].split("|") if f[ien] else [""]:
                    rows.append((f[isy], f[ie], ens))
        return cls(rows)

    @classmethod
    def from_graph(cls, store: GraphStore) -> GeneIdMap:
        """From the graph's Gene nodes (``symbol``, ``entrez_id``, ``id``)."""
        t = store.query("MATCH (g:Gene) RETURN g.symbol AS s, g.entrez_id AS e, g.id AS id")
        return cls([(s or "", e or "", i) for s, e, i in zip(*(t.column(c).to_pylist() for c in ("s", "e", "id")), strict=True)])
