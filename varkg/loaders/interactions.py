"""Gene-gene interactions: STRING, BioGRID TAB3, Reactome interactions, EBI Complex Portal, and
co-expression from an expression matrix.

All become ``INTERACTS`` Gene -> Gene edges, undirected and stored once with ``src < dst`` (by
gene id), keyed by ``(type, source)``:

* STRING ``protein.links[.detailed|.full]``: type ``ppi``, ``score = combined_score / 1000``,
  ``channels`` a JSON object of the channel scores (also / 1000), ``evidence`` the non-zero
  channels. STRING proteins are Ensembl protein ids (``9606.ENSP...``), so an alias table is
  needed (option ``id_map``): STRING's ``protein.aliases`` file (ENSP -> ENSG), a UniProt
  flat file (``DR Ensembl`` lines), a GENCODE GTF (``protein_id``) or a Reactome interactions
  table (ENSP and ENSG of one interactor on a line). org.Hs.eg.db's gene info carries UniProt,
  not ENSP, ids. Several proteins of one gene collapse to the highest score.
* BioGRID TAB3: type ``ppi`` (Experimental System Type physical) or ``genetic``; ``evidence``
  the experimental systems; ``score`` BioGRID's score when numeric.
* Reactome interactions (``# Interactor 1 uniprot id`` ...; a stray ``==>`` banner is skipped):
  type ``ppi``, ``evidence`` the interaction type(s).
* Complex Portal (``#Complex ac``): type ``complex``, every pair of protein members of a
  complex (UniProt ids mapped to genes), ``evidence`` the complex accessions.
* expression matrix (GCT, or TSV/CSV with a gene column then one numeric column per sample)
  with ``format=coexpression``: for each gene its ``top_k`` partners by Pearson correlation
  over samples (computed blockwise with numpy), type ``coexpression``, ``score = |r|`` and the
  signed r in ``evidence``. A row with a different number of fields (ragged) or a non-numeric
  value is an InputError with file, line and field.

Unmapped names are counted and written to a ``*.unmapped.json`` side table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa

from varkg.errors import InputError
from varkg.loaders._support.context import option
from varkg.loaders._support.frames import edge_frames, node_frames
from varkg.loaders._support.genes import GeneMapper, ensembl_gene_id, gene_policy, record_unmapped
from varkg.loaders._support.text import iter_lines, parse_float, parse_floats, parse_int
from varkg.loaders.base import Frame, LoadContext, Loader, register_loader

InteractionFormat = Literal["string", "biogrid", "reactome", "complexportal", "coexpression"]
FORMATS = ("string", "biogrid", "reactome", "complexportal", "coexpression")
STRING_CHANNELS = ("neighborhood", "fusion", "cooccurence", "coexpression", "experimental", "database", "textmining")


class _Edges:
    """Undirected edges keyed by (a, b) with a < b; keeps the highest score per pair."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], dict] = {}

    def add(
        self, a: str, b: str, *, score: float | None = None, evidence: str | None = None, channels: str | None = None
    ) -> None:
        if a == b:
            return
        key = (a, b) if a < b else (b, a)
        old = self.rows.get(key)
        if old is None:
            self.rows[key] = {"score": score, "evidence": evidence, "channels": channels}
            return
        if score is not None and (old["score"] is None or score > old["score"]):
            old["score"], old["channels"] = score, channels or old["channels"]
        if evidence:
            parts = set(filter(None, (old["evidence"] or "").split(","))) | set(evidence.split(","))
            old["evidence"] = ",".join(sorted(parts))

    def table(self, *, type_: str, source: str) -> pa.Table:
        keys = sorted(self.rows)
        return pa.table(
            {
                "src": pa.array([a for a, _ in keys], pa.string()),
                "dst": pa.array([b for _, b in keys], pa.string()),
                "type": pa.array([type_] * len(keys), pa.string()),
                "source": pa.array([source] * len(keys), pa.string()),
                "score": pa.array([self.rows[k]["score"] for k in keys], pa.float64()),
                "evidence": pa.array([self.rows[k]["evidence"] for k in keys], pa.string()),
                "channels": pa.array([self.rows[k]["channels"] for k in keys], pa.string()),
            }
        )


def sniff(path: Path) -> InteractionFormat:
    name = path.name.lower()
    if name.endswith((".gct", ".gct.gz")):
        return "coexpression"
    for _, line in iter_lines(path):
        if not line.strip() or line.startswith("==>"):
            continue
        low = line.lower()
        if low.startswith("protein1 protein2") or low.startswith("protein1\tprotein2"):
            return "string"
        if low.startswith("#biogrid interaction id"):
            return "biogrid"
        if low.startswith("# interactor 1") or low.startswith("#interactor 1"):
            return "reactome"
        if low.startswith("#complex ac"):
            return "complexportal"
        break
    raise InputError(f"cannot tell the interaction format; pass --option format=one of {list(FORMATS)}", path=path, line=1)


def _read_string(path: Path, mapper: GeneMapper, min_score: int) -> _Edges:
    it = iter_lines(path)
    _, header = next(it)
    cols = header.split()
    if cols[:2] != ["protein1", "protein2"] or "combined_score" not in cols:
        raise InputError(f"STRING header {header[:80]!r}; expected 'protein1 protein2 ... combined_score'", path=path, line=1)
    ci = cols.index("combined_score")
    chans = [(c, cols.index(c)) for c in STRING_CHANNELS if c in cols]
    edges = _Edges()
    for lineno, line in it:
        f = line.split()
        if len(f) != len(cols):
            raise InputError(f"has {len(f)} fields, expected {len(cols)}", path=path, line=lineno)
        combined = parse_int(f[ci], path=path, line=lineno, field="combined_score", allow_na=False)
        if combined < min_score:
            continue
        a, b = mapper.gene(f[0], kind="any"), mapper.gene(f[1], kind="any")
        if a is None or b is None:
            continue
        ch = {}
        for c, i in chans:
            ch[c] = parse_int(f[i], path=path, line=lineno, field=c, allow_na=False) / 1000.0
        edges.add(
            a,
            b,
            score=combined / 1000.0,
            evidence=",".join(c for c, v in ch.items() if v > 0) or None,
            channels=json.dumps(ch, sort_keys=True) if ch else None,
        )
    return edges


def _read_biogrid(path: Path, mapper: GeneMapper) -> dict[str, _Edges]:
    it = iter_lines(path)
    _, header = next(it)
    cols = [c.lstrip("#").strip() for c in header.split("\t")]
    idx = {c.lower(): i for i, c in enumerate(cols)}

    def col(*names: str) -> int:
        for n in names:
            if n.lower() in idx:
                return idx[n.lower()]
        raise InputError(f"missing BioGRID column {names[0]!r}", path=path, line=1, field=names[0])

    ea, eb = col("Entrez Gene Interactor A"), col("Entrez Gene Interactor B")
    sa, sb = col("Official Symbol Interactor A"), col("Official Symbol Interactor B")
    sysi, typ = col("Experimental System"), col("Experimental System Type")
    sc = idx.get("score")
    out = {"ppi": _Edges(), "genetic": _Edges()}
    for lineno, line in it:
        f = line.split("\t")
        if len(f) != len(cols):
            raise InputError(f"has {len(f)} fields, expected {len(cols)}", path=path, line=lineno)
        a = mapper.gene(f[ea], kind="entrez") if f[ea] not in ("-", "") else mapper.gene(f[sa], kind="symbol")
        b = mapper.gene(f[eb], kind="entrez") if f[eb] not in ("-", "") else mapper.gene(f[sb], kind="symbol")
        if a is None or b is None:
            continue
        score = parse_float(f[sc], path=path, line=lineno, field="Score") if sc is not None else None
        kind = "genetic" if f[typ].strip().lower() == "genetic" else "ppi"
        out[kind].add(a, b, score=score, evidence=f[sysi])
    return out


def _reactome_gene(field_: str, mapper: GeneMapper) -> str | None:
    ids = [x.split(":", 1)[-1] for x in field_.split("|") if x and x != "-"]
    gene = mapper.pick(g for g in map(ensembl_gene_id, ids) if g)
    if gene:
        return gene
    for x in ids:
        g = mapper.gene(x, kind="any")
        if g:
            return g
    return None


def _read_reactome(path: Path, mapper: GeneMapper) -> _Edges:
    edges = _Edges()
    for lineno, line in iter_lines(path):
        if not line.strip() or line.startswith(("#", "==>")):
            continue
        f = line.split("\t")
        if len(f) < 7:
            raise InputError(f"has {len(f)} fields, expected 9 (Reactome interactions)", path=path, line=lineno)
        a = _reactome_gene(f[1], mapper) or mapper.gene(f[0].split(":", 1)[-1], kind="any")
        b = _reactome_gene(f[4], mapper) or mapper.gene(f[3].split(":", 1)[-1], kind="any")
        if a is None or b is None:
            continue
        edges.add(a, b, evidence=f[6].strip() or None)
    return edges


def _read_complexportal(path: Path, mapper: GeneMapper) -> _Edges:
    edges = _Edges()
    it = iter_lines(path)
    _, header = next(it)
    cols = header.lstrip("#").split("\t")
    for lineno, line in it:
        if not line.strip():
            continue
        f = line.split("\t")
        if len(f) < 5:
            raise InputError(f"has {len(f)} fields, expected {len(cols)}", path=path, line=lineno)
        ac = f[0].strip()
        members = []
        for m in f[4].split("|"):
            pid = re.sub(r"\(\d+\)$", "", m.strip()).split("-PRO_")[0]
            if not pid or pid.startswith(("CPX-", "CHEBI:", "URS")):
                continue
            g = mapper.gene(pid.split("-")[0], kind="any")
            if g:
                members.append(g)
        members = sorted(set(members))
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                edges.add(members[i], members[j], evidence=ac)
    return edges


def read_matrix(path: Path, *, gene_column: str | None = None) -> tuple[list[str], np.ndarray, list[int]]:
    """Genes and a ``float64[genes, samples]`` matrix from GCT or a delimited table.

    Raises:
        InputError: ragged rows, non-numeric values (file, 1-based line, sample column).
    """
    lines = iter_lines(path)
    first = next(lines, None)
    if first is None:
        raise InputError("empty matrix file", path=path)
    lineno, header = first
    skip = 0
    if header.startswith("#1.2"):
        next(lines)  # dimensions line
        lineno, header = next(lines)
        skip = 2  # Name, Description
    delim = "\t" if "\t" in header else ","
    cols = header.split(delim)
    gi = 0
    if gene_column:
        if gene_column not in cols:
            raise InputError(f"gene column {gene_column!r} not in header {cols[:10]}", path=path, line=lineno, field=gene_column)
        gi = cols.index(gene_column)
    first_sample = max(skip, gi + 1) if not skip else 2
    samples = cols[first_sample:]
    genes: list[str] = []
    rows: list[list[float]] = []
    line_of: list[int] = []
    for lineno, line in lines:
        if not line.strip():
            continue
        f = line.split(delim)
        if len(f) != len(cols):
            raise InputError(f"ragged row: {len(f)} fields, expected {len(cols)} as in the header", path=path, line=lineno)
        rows.append(parse_floats(f[first_sample:], path=path, line=lineno, fields=samples))
        genes.append(f[gi].strip())
        line_of.append(lineno)
    if len(samples) < 3:
        raise InputError(f"{len(samples)} sample columns; expected at least 3 for correlations", path=path)
    return genes, np.array(rows, dtype=np.float64), line_of


def top_k_pearson(x: np.ndarray, *, k: int, block: int = 2048) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each row of ``x`` (genes x samples) its ``k`` most correlated other rows (Pearson r).

    Rows with zero variance get no partners. Computed blockwise: memory ``O(block * genes)``.
    Returns ``(row, partner, r)`` arrays.
    """
    z = x - x.mean(axis=1, keepdims=True)
    sd = np.sqrt((z * z).sum(axis=1))
    ok = sd > 0
    z[ok] /= sd[ok, None]
    z[~ok] = 0.0
    n = len(z)
    k = min(k, n - 1)
    rows, parts, rs = [], [], []
    for b0 in range(0, n, block):
        b1 = min(n, b0 + block)
        c = z[b0:b1] @ z.T  # (b, n)
        c[np.arange(b1 - b0), np.arange(b0, b1)] = -np.inf
        c[:, ~ok] = -np.inf
        top = np.argpartition(-c, k - 1, axis=1)[:, :k] if k > 0 else np.zeros((b1 - b0, 0), int)
        val = np.take_along_axis(c, top, axis=1)
        r = np.repeat(np.arange(b0, b1), k)
        keep = np.isfinite(val.ravel()) & np.repeat(ok[b0:b1], k)
        rows.append(r[keep])
        parts.append(top.ravel()[keep])
        rs.append(val.ravel()[keep])
    return np.concatenate(rows), np.concatenate(parts), np.concatenate(rs)


@register_loader("interactions")
class InteractionsLoader(Loader):
    """Gene-gene interactions (STRING, BioGRID TAB3, Reactome, Complex Portal, co-expression).

    Options:
        format: force the format (default sniffed): ``string``, ``biogrid``, ``reactome``,
            ``complexportal`` or ``coexpression``.
        id_map: id-mapping table(s), comma-separated (STRING aliases, UniProt .dat, GTF,
            Reactome interactions, org.Hs.eg.db gene info, alias<TAB>gene_id).
        genes: ``create`` (default) or ``existing`` (only genes already loaded; others skipped).
        min_score (int): STRING combined_score cut-off, 0-1000 (default 0).
        top_k (int): co-expression partners per gene (default 10).
        gene_column: gene column of a TSV/CSV matrix (default the first column; GCT: Name).
        source: source label for co-expression (default the file name).

    Example:
        ``varkg load interactions string_links.txt.gz --option id_map=9606.protein.aliases.v12.0.txt.gz``
    """

    description = "Gene-gene interactions: STRING, BioGRID, Reactome, Complex Portal, co-expression"

    def frames(self, paths: Sequence[Path], *, context: LoadContext) -> Iterator[Frame]:
        opts = context.options
        forced = option(opts, "format", None, choices=(None, *FORMATS))
        mapper = GeneMapper.from_context(context, require=True)
        policy = gene_policy(context)
        tables: list[pa.Table] = []
        for p in paths:
            path = Path(p)
            fmt = forced or sniff(path)
            if fmt == "string":
                tables.append(_read_string(path, mapper, option(opts, "min_score", 0)).table(type_="ppi", source="STRING"))
            elif fmt == "biogrid":
                for kind, e in _read_biogrid(path, mapper).items():
                    tables.append(e.table(type_=kind, source="BioGRID"))
            elif fmt == "reactome":
                tables.append(_read_reactome(path, mapper).table(type_="ppi", source="Reactome"))
            elif fmt == "complexportal":
                tables.append(_read_complexportal(path, mapper).table(type_="complex", source="ComplexPortal"))
            else:
                genes, x, _ = read_matrix(path, gene_column=option(opts, "gene_column", None))
                ids = mapper.genes(genes, kind="any")
                keep = np.array([g is not None for g in ids], bool)
                gid = np.array([g or "" for g in ids], object)[keep]
                # several rows (probes) of one gene: keep the first
                _, first = np.unique(gid.astype(str), return_index=True)
                first = np.sort(first)
                gid, xm = gid[first], x[keep][first]
                r, c, v = top_k_pearson(xm, k=option(opts, "top_k", 10))
                e = _Edges()
                for a, b, val in zip(gid[r].tolist(), gid[c].tolist(), v.tolist(), strict=False):
                    e.add(a, b, score=abs(val), evidence=f"r={val:.4f}")
                tables.append(e.table(type_="coexpression", source=option(opts, "source", path.name)))
        record_unmapped(context, mapper, "interactions_genes")
        tables = [t for t in tables if t.num_rows]
        if not tables:
            return
        edges = pa.concat_tables(tables)
        if policy == "create":
            endpoints = set(edges.column("src").to_pylist()) | set(edges.column("dst").to_pylist())
            yield from node_frames("Gene", mapper.gene_nodes(endpoints))
        yield from edge_frames(
            "INTERACTS", edges, src_type="Gene", dst_type="Gene", missing="skip" if policy == "existing" else "error"
        )
