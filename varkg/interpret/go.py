"""The Gene Ontology as a DAG, and propagation of gene annotations to ancestor terms.

A gene annotated to a term is also annotated to every ancestor reached through the kept
relations (``is_a`` and ``part_of`` by default: the true-path rule). ``regulates`` edges are
not followed unless asked for, as in goatools' ``relationships`` option.

The DAG reads from the child/parent table (``GO_term_parents_*.tsv.gz``: ``child parent
relationship_type`` with ``isa``/``part of``...), from an OBO file (``is_a:`` and
``relationship: part_of`` lines of ``[Term]`` stanzas) or from the graph's ``PATHWAY_LINK``
edges (:func:`varkg.interpret.genesets.go_dag_from_graph`).

Example:
    >>> dag = GoDag({"GO:3": {("GO:2", "is_a")}, "GO:2": {("GO:1", "part_of")}})
    >>> sorted(dag.ancestors("GO:3"))
    ['GO:1', 'GO:2']
    >>> sorted(dag.ancestors("GO:3", relations={"is_a"}))
    ['GO:2']
    >>> {g: sorted(t) for g, t in dag.propagate({"g1": {"GO:3"}}).items()}
    {'g1': ['GO:1', 'GO:2', 'GO:3']}
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from varkg.errors import InputError
from varkg.ontology import GO_NAMESPACES, GO_RELATIONS

DEFAULT_RELATIONS: frozenset[str] = frozenset({"is_a", "part_of"})
"""Relations followed when propagating annotations (the GO true-path rule)."""

_REL_NAMES = GO_RELATIONS
NAMESPACES = GO_NAMESPACES


def _open(path: Path):
    return gzip.open(path, "rt") if path.suffix == ".gz" else open(path)


def tsv_header(fh: IO[str], required: Sequence[str], *, path: Path) -> list[str]:
    """The header line of the TSV ``fh`` (read from it), split into column names.

    Raises:
        InputError: a column of ``required`` is absent (file, line 1, field).
    """
    header = fh.readline().rstrip("\n").split("\t")
    for need in required:
        if need not in header:
            raise InputError(f"column {need!r} missing; header {header}", path=path, line=1, field=need)
    return header


@dataclass
class GoDag:
    """GO terms and their parent links.

    Attributes:
        parents: term -> {(parent, relation)}; relations are ``is_a``, ``part_of``, ``regulates``...
        names: term -> name (where known).
        namespaces: term -> ``BP``/``MF``/``CC`` (where known).
    """

    parents: dict[str, set[tuple[str, str]]]
    names: dict[str, str] = field(default_factory=dict)
    namespaces: dict[str, str] = field(default_factory=dict)
    _cache: dict[tuple[str, frozenset[str]], frozenset[str]] = field(default_factory=dict, repr=False)

    def ancestors(self, term: str, *, relations: Iterable[str] = DEFAULT_RELATIONS) -> frozenset[str]:
        """All terms above ``term`` through ``relations`` (not ``term`` itself)."""
        rel = frozenset(relations)
        key = (term, rel)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        out: set[str] = set()
        stack = [term]
        while stack:
            t = stack.pop()
            for p, r in self.parents.get(t, ()):
                if r in rel and p not in out:
                    out.add(p)
                    stack.append(p)
        res = frozenset(out)
        self._cache[key] = res
        return res

    def propagate(
        self, annotations: Mapping[str, Iterable[str]], *, relations: Iterable[str] = DEFAULT_RELATIONS
    ) -> dict[str, set[str]]:
        """gene -> its terms plus all their ancestors (a new mapping; the input is not changed)."""
        rel = frozenset(relations)
        out: dict[str, set[str]] = {}
        for gene, terms in annotations.items():
            s = set(terms)
            for t in list(s):
                s |= self.ancestors(t, relations=rel)
            out[gene] = s
        return out

    def namespace_of(self, term: str) -> str | None:
        """``BP``/``MF``/``CC`` of ``term``, or None where unknown."""
        return self.namespaces.get(term)


def read_go_parents(path: str | Path, *, terms: str | Path | None = None) -> GoDag:
    """A :class:`GoDag` from a ``child parent relationship_type`` TSV (optionally gzipped), with
    names and namespaces from a ``go_id term ontology ...`` table (``GO_terms_with_definitions``).

    Raises:
        InputError: a missing column or an unknown relationship type (file, line, field).
    """
    path = Path(path)
    parents: dict[str, set[tuple[str, str]]] = {}
    with _open(path) as fh:
        header = tsv_header(fh, ("child", "parent", "relationship_type"), path=path)
        ic, ip, ir = header.index("child"), header.index("parent"), header.index("relationship_type")
        for line, raw in enumerate(fh, start=2):
            f = raw.rstrip("\n").split("\t")
            if len(f) <= max(ic, ip, ir):
                raise InputError(f"expected {len(header)} fields, got {len(f)}: {raw.strip()!r}", path=path, line=line)
            rel = _REL_NAMES.get(f[ir].strip())
            if rel is None:
                raise InputError(
                    f"unknown relationship {f[ir]!r}; expected one of {sorted(set(_REL_NAMES))}",
                    path=path,
                    line=line,
                    field="relationship_type",
                )
            parents.setdefault(f[ic], set()).add((f[ip], rel))
    dag = GoDag(parents)
    if terms is not None:
        dag.names, dag.namespaces = read_go_terms(terms)
    return dag


def read_go_terms(path: str | Path) -> tuple[dict[str, str], dict[str, str]]:
    """``(names, namespaces)`` from a ``go_id term ontology`` TSV (namespaces as BP/MF/CC)."""
    path = Path(path)
    names: dict[str, str] = {}
    spaces: dict[str, str] = {}
    with _open(path) as fh:
        header = tsv_header(fh, ("go_id", "term", "ontology"), path=path)
        ii, it, io = header.index("go_id"), header.index("term"), header.index("ontology")
        for raw in fh:
            f = raw.rstrip("\n").split("\t")
            if len(f) > max(ii, it, io):
                names[f[ii]] = f[it]
                spaces[f[ii]] = f[io]
    return names, spaces


def read_obo(path: str | Path) -> GoDag:
    """A :class:`GoDag` from an OBO 1.2 file (``[Term]`` stanzas; obsolete terms kept without parents)."""
    path = Path(path)
    inv = {v: k for k, v in NAMESPACES.items()}
    parents: dict[str, set[tuple[str, str]]] = {}
    names: dict[str, str] = {}
    spaces: dict[str, str] = {}
    cur: str | None = None
    in_term = False
    with _open(path) as fh:
        for line, raw in enumerate(fh, start=1):
            s = raw.strip()
            if s.startswith("["):
                in_term = s == "[Term]"
                cur = None
                continue
            if not in_term or ":" not in s:
                continue
            tag, _, val = s.partition(":")
            val = val.split("!")[0].strip()
            if tag == "id":
                cur = val
                parents.setdefault(cur, set())
            elif cur is None:
                raise InputError(f"tag {tag!r} before the term's id", path=path, line=line, field=tag)
            elif tag == "name":
                names[cur] = raw.strip()[len("name:") :].strip()
            elif tag == "namespace":
                spaces[cur] = inv.get(val, val)
            elif tag == "is_a":
                parents[cur].add((val.split()[0], "is_a"))
            elif tag == "relationship":
                parts = val.split()
                if len(parts) < 2:
                    raise InputError(f"relationship {val!r} has no target term", path=path, line=line, field="relationship")
                parents[cur].add((parts[1], _REL_NAMES.get(parts[0], parts[0])))
    return GoDag(parents, names, spaces)


def write_obo(dag: GoDag, path: str | Path) -> Path:
    """Write ``dag`` as a minimal OBO 1.2 file (what goatools' ``GODag`` reads, with
    ``optional_attrs={"relationship"}`` for the non-``is_a`` links)."""
    path = Path(path)
    terms = set(dag.parents) | {p for ps in dag.parents.values() for p, _ in ps} | set(dag.names)
    with open(path, "w") as fh:
        fh.write("format-version: 1.2\nontology: go\n\n")
        for t in sorted(terms):
            fh.write(f"[Term]\nid: {t}\nname: {dag.names.get(t, t)}\n")
            ns = dag.namespaces.get(t)
            if ns:
                fh.write(f"namespace: {NAMESPACES.get(ns, ns)}\n")
            for p, r in sorted(dag.parents.get(t, ())):
                if r == "is_a":
                    fh.write(f"is_a: {p}\n")
                else:
                    fh.write(f"relationship: {r} {p}\n")
            fh.write("\n")
    return path
