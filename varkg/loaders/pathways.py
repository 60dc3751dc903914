"""Pathways and gene sets: GMT libraries, GO (gene2go tables, GAF, the ontology graph as OBO or a
child/parent table, term names), Reactome (pathways, hierarchy, Ensembl gene lists) and KEGG
gene-pathway lists.

Nodes: ``Pathway`` keyed by the source id (``GO:0006281``, ``R-HSA-73894``, ``hsa03440``; a GMT
set name like ``HALLMARK_HYPOXIA`` when the name carries no id; Enrichr names ending in
``(GO:...)`` or ``hsa00000`` give that id). Edges: ``IN_PATHWAY`` Gene -> Pathway (GO evidence
code and qualifier where given); ``PATHWAY_LINK`` child -> parent with ``kind`` ``is_a``,
``part_of``, ``regulates``, ``positively_regulates``, ``negatively_regulates`` (GO) or
``parent`` (Reactome: the edge points from a pathway to the pathway containing it); and
``PATHWAY_LINK`` kind ``shared_genes`` between pathways of the load whose member genes have a
Jaccard index ``>= jaccard`` (with the ``shared`` count; src < dst by id).

Gene names map to Ensembl gene ids through the loaded genes or ``id_map`` tables
(:class:`~varkg.loaders._support.genes.GeneMapper`). Unmapped names are counted, written to a
``*.unmapped.json`` side table on the Dataset, and never silently dropped: a gene set none of
whose genes maps is an :class:`~varkg.errors.InputError` (file, line, set name) unless
``empty_sets=skip``. Every file is parsed before the first frame, so errors load nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa

from varkg.errors import InputError
from varkg.loaders._support.context import option
from varkg.loaders._support.frames import edge_frames, node_frames
from varkg.loaders._support.genes import GeneMapper, gene_policy, record_unmapped
from varkg.loaders._support.text import iter_lines
from varkg.loaders.base import Frame, LoadContext, Loader, register_loader
from varkg.ontology import GAF_ASPECTS, GO_NAMESPACES, GO_RELATIONS

PathwayFormat = Literal[
    "gmt", "gene2go", "gaf", "go_parents", "obo", "go_terms", "reactome_pathways", "reactome_relation", "reactome_genes", "kegg"
]
FORMATS: tuple[str, ...] = PathwayFormat.__args__  # type: ignore[attr-defined]
_GO_ID = re.compile(r"\((GO:\d{7})\)\s*$")
_KEGG_ID = re.compile(r"[ _]([a-z]{3,4}\d{5})\s*$")
_REACTOME = re.compile(r"^R-[A-Z]{3,4}-\d+$")
_REL = GO_RELATIONS
_GO_NS = {**GO_NAMESPACES, **GAF_ASPECTS}


@dataclass
class _Acc:
    """Everything parsed from the inputs, before any frame is yielded."""

    pathways: dict[str, dict] = field(default_factory=dict)
    members: dict[tuple[str, str], dict] = field(default_factory=dict)  # (gene, pathway) -> props
    links: dict[tuple[str, str, str], None] = field(default_factory=dict)  # (child, parent, kind)

    def pathway(self, pid: str, **props: object) -> None:
        row = self.pathways.setdefault(pid, {"id": pid})
        for k, v in props.items():
            if v not in (None, "") and row.get(k) in (None, ""):
                row[k] = v

    def member(self, gene: str, pid: str, evidence: str | None = None, qualifier: str | None = None) -> None:
        row = self.members.setdefault((gene, pid), {"evidence": evidence, "qualifier": qualifier})
        if evidence and row["evidence"] and evidence not in row["evidence"].split(","):
            row["evidence"] = ",".join(sorted({*row["evidence"].split(","), evidence}))


def sniff(path: Path) -> PathwayFormat:
    """The format of a pathway file, from its name and first lines."""
    name = path.name.lower()
    if name.endswith((".gmt", ".gmt.gz")):
        return "gmt"
    if name.endswith((".obo", ".obo.gz")):
        return "obo"
    first = ""
    for _, line in iter_lines(path):
        if line.strip():
            first = line
            break
    low = first.lower()
    cols = [c.strip().lower() for c in first.split("\t")]
    if low.startswith("!gaf-version"):
        return "gaf"
    if low.startswith("format-version") or low.startswith("[term]"):
        return "obo"
    if cols[:2] == ["entrez_id", "go_id"]:
        return "gene2go"
    if cols[:2] == ["child", "parent"]:
        return "go_parents"
    if cols[:2] == ["go_id", "term"]:
        return "go_terms"
    if cols[:2] == ["entrez_id", "kegg_path_id"]:
        return "kegg"
    if len(cols) >= 2 and _REACTOME.match(first.split("\t")[1].strip()) and len(cols) >= 6:
        return "reactome_genes"
    if len(cols) == 2 and _REACTOME.match(first.split("\t")[0]) and _REACTOME.match(first.split("\t")[1].strip()):
        return "reactome_relation"
    if len(cols) == 3 and _REACTOME.match(first.split("\t")[0]):
        return "reactome_pathways"
    raise InputError(
        f"cannot tell the pathway file format from {first[:80]!r}; pass --option format=one of {list(FORMATS)}", path=path, line=1
    )


def gmt_id(name: str) -> str:
    """The source id in a gene-set name, else the name itself.

    >>> gmt_id("DNA repair (GO:0006281)"), gmt_id("Ribosome Homo sapiens hsa03010"), gmt_id("HALLMARK_HYPOXIA")
    ('GO:0006281', 'hsa03010', 'HALLMARK_HYPOXIA')
    """
    m = _GO_ID.search(name) or _KEGG_ID.search(name)
    return m.group(1) if m else name


def _source_of(pid: str, default: str) -> str:
    if pid.startswith("GO:"):
        return "GO"
    if _REACTOME.match(pid):
        return "Reactome"
    if re.fullmatch(r"[a-z]{3,4}\d{5}", pid):
        return "KEGG"
    return default


class _Parser:
    def __init__(self, context: LoadContext, acc: _Acc, mapper: GeneMapper) -> None:
        self.ctx = context
        self.acc = acc
        self.mapper = mapper
        self.empty = option(context.options, "empty_sets", "error", choices=("error", "skip"))
        self.species = option(context.options, "species", "Homo sapiens")
        self.source = option(context.options, "source", None)
        self.existing = gene_policy(context) == "existing"

    def _map(self, name: str, kind: Literal["symbol", "entrez", "any"]) -> str | None:
        gid = self.mapper.gene(name, kind=kind)
        if gid is not None and self.existing and gid not in self.mapper.loaded:
            self.mapper.unmapped[name] += 1
            return None
        return gid

    def gmt(self, path: Path) -> None:
        default_source = self.source or (
            "MSigDB" if path.name.startswith(("h.all", "c1.", "c2.", "c3.", "c5.", "c6.", "c7.")) else "GMT"
        )
        for lineno, line in iter_lines(path):
            if not line.strip() or line.startswith("#"):
                continue
            f = line.split("\t")
            if len(f) < 3:
                raise InputError(f"has {len(f)} fields, expected name, description and genes", path=path, line=lineno)
            name = f[0].strip()
            if not name:
                raise InputError("empty gene-set name", path=path, line=lineno, field="name")
            pid = gmt_id(name)
            genes = [g.strip() for g in f[2:] if g.strip()]
            mapped = [g for g in (self._map(s.split(",")[0], "symbol") for s in genes) if g]
            if not mapped:
                if self.empty == "skip":
                    continue
                raise InputError(
                    f"none of the {len(genes)} genes of set {name!r} maps to a gene id (first: {genes[:5]}); "
                    "expected known symbols (check the species / id_map, or --option empty_sets=skip)",
                    path=path,
                    line=lineno,
                    field=name,
                )
            pretty = _GO_ID.sub("", name).strip() if pid != name else name
            self.acc.pathway(pid, name=pretty, source=_source_of(pid, default_source), namespace=path.name)
            for g in mapped:
                self.acc.member(g, pid, evidence=default_source)

    def gene2go(self, path: Path) -> None:
        it = iter_lines(path)
        header = next(it)[1].split("\t")
        col = {c: i for i, c in enumerate(header)}
        for lineno, line in it:
            f = line.split("\t")
            if len(f) != len(header):
                raise InputError(f"has {len(f)} fields, expected {len(header)}", path=path, line=lineno)
            go = f[col["go_id"]]
            if not go.startswith("GO:"):
                raise InputError(f"GO id {go!r}; expected GO:nnnnnnn", path=path, line=lineno, field="go_id")
            gid = self._map(f[col["entrez_id"]], "entrez")
            ns = _GO_NS.get(f[col["ontology"]], f[col["ontology"]]) if "ontology" in col else None
            self.acc.pathway(go, source="GO", namespace=ns)
            if gid:
                self.acc.member(gid, go, evidence=f[col["evidence"]] if "evidence" in col else None)

    def gaf(self, path: Path) -> None:
        for lineno, line in iter_lines(path):
            if not line.strip() or line.startswith("!"):
                continue
            f = line.split("\t")
            if len(f) < 15:
                raise InputError(f"has {len(f)} fields, expected 15+ (GAF 2.x)", path=path, line=lineno)
            go = f[4]
            if not go.startswith("GO:"):
                raise InputError(f"GO id {go!r}; expected GO:nnnnnnn", path=path, line=lineno, field="GO ID")
            # UniProt accession (column 2) first, then the symbol (column 3)
            gid = self.mapper.by_alias.get(f[1])
            if gid is not None and self.existing and gid not in self.mapper.loaded:
                gid = None
            gid = gid or self._map(f[2], "symbol")
            self.acc.pathway(go, source="GO", namespace=_GO_NS.get(f[8], f[8]))
            if gid:
                self.acc.member(gid, go, evidence=f[6], qualifier=f[3] or None)

    def go_parents(self, path: Path) -> None:
        it = iter_lines(path)
        next(it)
        for lineno, line in it:
            f = line.split("\t")
            if len(f) < 3:
                raise InputError(f"has {len(f)} fields, expected child, parent, relationship_type", path=path, line=lineno)
            kind = _REL.get(f[2].strip())
            if kind is None:
                raise InputError(
                    f"relationship {f[2]!r}; expected one of {sorted(set(_REL))}",
                    path=path,
                    line=lineno,
                    field="relationship_type",
                )
            if f[1] == "all":  # GO.db's pseudo-root above the three namespaces
                continue
            for t in (f[0], f[1]):
                if not t.startswith("GO:"):
                    raise InputError(f"GO id {t!r}; expected GO:nnnnnnn", path=path, line=lineno, field="child")
                self.acc.pathway(t, source="GO")
            self.acc.links[(f[0], f[1], kind)] = None

    def go_terms(self, path: Path) -> None:
        it = iter_lines(path)
        header = next(it)[1].split("\t")
        for lineno, line in it:
            f = line.split("\t")
            if len(f) < 2:
                raise InputError(f"has {len(f)} fields, expected go_id, term", path=path, line=lineno)
            ns = _GO_NS.get(f[2], f[2]) if len(f) > 2 and len(header) > 2 else None
            self.acc.pathway(f[0], name=f[1], source="GO", namespace=ns)

    def obo(self, path: Path) -> None:
        cur: dict | None = None

        def flush() -> None:
            if cur and cur.get("id", "").startswith("GO:") and not cur.get("obsolete"):
                self.acc.pathway(cur["id"], name=cur.get("name"), source="GO", namespace=cur.get("namespace"))
                for parent, kind in cur.get("links", []):
                    self.acc.links[(cur["id"], parent, kind)] = None

        for lineno, line in iter_lines(path):
            s = line.strip()
            if s.startswith("["):
                flush()
                cur = {"links": []} if s == "[Term]" else None
                continue
            if cur is None or ":" not in s:
                continue
            tag, val = s.split(":", 1)
            val = val.split("!")[0].strip()
            if tag in ("id", "name", "namespace"):
                cur[tag] = val
            elif tag == "is_obsolete" and val == "true":
                cur["obsolete"] = True
            elif tag == "is_a":
                cur["links"].append((val.split()[0], "is_a"))
            elif tag == "relationship":
                parts = val.split()
                if len(parts) < 2:
                    raise InputError(f"relationship {val!r}; expected 'type GO:id'", path=path, line=lineno, field="relationship")
                kind = _REL.get(parts[0])
                if kind:
                    cur["links"].append((parts[1], kind))
        flush()

    def reactome_pathways(self, path: Path) -> None:
        for lineno, line in iter_lines(path):
            f = line.split("\t")
            if len(f) != 3:
                raise InputError(f"has {len(f)} fields, expected id, name, species", path=path, line=lineno)
            if self.species != "all" and f[2].strip() != self.species:
                continue
            self.acc.pathway(f[0], name=f[1], source="Reactome", species=f[2].strip())

    def reactome_relation(self, path: Path) -> None:
        known = self.acc.pathways
        for lineno, line in iter_lines(path):
            f = line.split("\t")
            if len(f) != 2:
                raise InputError(f"has {len(f)} fields, expected parent, child", path=path, line=lineno)
            parent, child = f[0].strip(), f[1].strip()
            if self.species != "all" and known and (parent not in known or child not in known):
                continue
            self.acc.links[(child, parent, "parent")] = None

    def reactome_genes(self, path: Path) -> None:
        for lineno, line in iter_lines(path):
            f = line.split("\t")
            if len(f) < 6:
                raise InputError(
                    f"has {len(f)} fields, expected 6 (gene, pathway, url, name, evidence, species)", path=path, line=lineno
                )
            if self.species != "all" and f[5].strip() != self.species:
                continue
            gid = f[0].split(".")[0] if f[0].startswith("ENS") and "G" in f[0][:6] else self._map(f[0], "any")
            self.acc.pathway(f[1], name=f[3], source="Reactome", species=f[5].strip())
            if gid:
                self.acc.member(gid, f[1], evidence=f[4])

    def kegg(self, path: Path) -> None:
        prefix = option(self.ctx.options, "kegg_prefix", "hsa")
        it = iter_lines(path)
        next(it)
        for lineno, line in it:
            f = line.split("\t")
            if len(f) != 2 or not f[1].strip().isdigit():
                raise InputError(
                    f"expected entrez_id<TAB>5-digit KEGG pathway number, got {line[:60]!r}",
                    path=path,
                    line=lineno,
                    field="kegg_path_id",
                )
            pid = f"{prefix}{f[1].strip()}"
            self.acc.pathway(pid, source="KEGG")
            gid = self._map(f[0], "entrez")
            if gid:
                self.acc.member(gid, pid, evidence="KEGG")


_NEEDS_GENES = {"gmt", "gene2go", "gaf", "kegg"}


def shared_gene_links(members: Sequence[tuple[str, str]], *, min_jaccard: float, min_shared: int) -> pa.Table:
    """PATHWAY_LINK ``shared_genes`` rows from (gene, pathway) pairs: sparse ``M @ M.T``."""
    import scipy.sparse as sp

    if not members:
        return pa.table({"src": pa.array([], pa.string()), "dst": pa.array([], pa.string())})
    genes, gi = np.unique(np.array([g for g, _ in members], object).astype(str), return_inverse=True)
    paths, pi = np.unique(np.array([p for _, p in members], object).astype(str), return_inverse=True)
    m = sp.csr_matrix((np.ones(len(members), np.float32), (pi, gi)), shape=(len(paths), len(genes)))
    m.data[:] = 1.0
    size = np.asarray(m.sum(axis=1)).ravel()
    inter = sp.triu(m @ m.T, k=1).tocoo()
    shared = inter.data
    jac = shared / (size[inter.row] + size[inter.col] - shared)
    keep = (jac >= min_jaccard) & (shared >= min_shared)
    r, c = inter.row[keep], inter.col[keep]
    return pa.table(
        {
            "src": pa.array(paths[r].tolist(), pa.string()),
            "dst": pa.array(paths[c].tolist(), pa.string()),
            "kind": pa.array(["shared_genes"] * len(r), pa.string()),
            "jaccard": pa.array(jac[keep].astype(np.float64), pa.float64()),
            "shared": pa.array(shared[keep].astype(np.int64), pa.int64()),
        }
    )


@register_loader("pathways")
class PathwaysLoader(Loader):
    """Pathways and gene sets (GMT, GO gene2go/GAF/OBO/parents/terms, Reactome, KEGG).

    Options:
        format: force one format for all paths (default: sniffed per file), one of
            ``gmt, gene2go, gaf, go_parents, obo, go_terms, reactome_pathways,
            reactome_relation, reactome_genes, kegg``.
        id_map: gene id-mapping table(s), comma-separated (see :mod:`varkg.loaders._support.genes`).
        genes: ``create`` (default: Gene nodes for mapped genes not loaded) or ``existing``.
        species: Reactome species to keep (default ``Homo sapiens``; ``all`` keeps every one).
        kegg_prefix: organism prefix of KEGG pathway numbers (default ``hsa``; ``ssc`` for pig).
        source: source label for GMT sets (default ``MSigDB`` for MSigDB files, else ``GMT``).
        empty_sets: ``error`` (default) or ``skip`` for gene sets with no mapped gene.
        jaccard (float): shared-gene link threshold (default 0.5; 0 disables).
        min_shared (int): minimum shared genes for a link (default 3).

    Example:
        ``varkg load pathways h.all.v7.0.symbols.gmt --option id_map=orgHsEgDb_gene_info.tsv.gz``
    """

    description = "Pathways and gene sets: GMT, GO, Reactome, KEGG (+ hierarchy and shared-gene links)"

    def frames(self, paths: Sequence[Path], *, context: LoadContext) -> Iterator[Frame]:
        forced = option(context.options, "format", None, choices=(None, *FORMATS))
        formats = [(Path(p), forced or sniff(Path(p))) for p in paths]
        # pathway definitions before relations that filter on them
        order = {"reactome_pathways": 0, "go_terms": 0, "obo": 0}
        formats.sort(key=lambda x: order.get(x[1], 1))
        need_genes = any(f in _NEEDS_GENES for _, f in formats)
        mapper = GeneMapper.from_context(context, require=False)
        acc = _Acc()
        if need_genes and not (mapper.by_symbol or mapper.by_entrez or mapper.by_alias):
            raise InputError("gene names need a mapping: load genes first or pass --option id_map=PATH", field="id_map")
        parser = _Parser(context, acc, mapper)
        for path, fmt in formats:
            getattr(parser, fmt)(path)
        record_unmapped(context, mapper, "pathways_genes")
        # frames
        n_genes: dict[str, int] = defaultdict(int)
        for _, pid in acc.members:
            n_genes[pid] += 1
        rows = []
        for pid, row in sorted(acc.pathways.items()):
            r = dict(row)
            if pid in n_genes:
                r["n_genes"] = n_genes[pid]
            rows.append(r)
        schema = pa.schema(
            [
                ("id", pa.string()),
                ("name", pa.string()),
                ("source", pa.string()),
                ("namespace", pa.string()),
                ("species", pa.string()),
                ("n_genes", pa.int64()),
            ]
        )
        yield from node_frames("Pathway", pa.Table.from_pylist(rows, schema=schema))
        if acc.members:
            if gene_policy(context) == "create":
                yield from node_frames("Gene", mapper.gene_nodes({g for g, _ in acc.members}))
            keys = sorted(acc.members)
            yield from edge_frames(
                "IN_PATHWAY",
                pa.table(
                    {
                        "src": pa.array([g for g, _ in keys], pa.string()),
                        "dst": pa.array([p for _, p in keys], pa.string()),
                        "evidence": pa.array([acc.members[k]["evidence"] for k in keys], pa.string()),
                        "qualifier": pa.array([acc.members[k]["qualifier"] for k in keys], pa.string()),
                    }
                ),
                src_type="Gene",
                dst_type="Pathway",
            )
        if acc.links:
            lk = sorted(acc.links)
            t = pa.table({"src": [a for a, _, _ in lk], "dst": [b for _, b, _ in lk], "kind": [k for _, _, k in lk]})
            yield from edge_frames("PATHWAY_LINK", t, src_type="Pathway", dst_type="Pathway", missing="skip")
        jac = option(context.options, "jaccard", 0.5)
        if jac > 0 and acc.members:
            t = shared_gene_links(list(acc.members), min_jaccard=jac, min_shared=option(context.options, "min_shared", 3))
            yield from edge_frames("PATHWAY_LINK", t, src_type="Pathway", dst_type="Pathway")
