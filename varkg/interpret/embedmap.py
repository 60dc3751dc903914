"""Embedding maps: UMAP / t-SNE of sequence or node embeddings, and nearest neighbours.

* :func:`project`: ``(n, d)`` vectors -> ``(n, 2)`` with UMAP (umap-learn; cosine metric,
  ``n_neighbors``) or t-SNE (scikit-learn; ``perplexity`` clipped below ``n``), seeded.
* :func:`node_vectors`: ids, vectors and a colouring property of the graph's nodes that carry
  a vector property (``seq_embedding`` on Gene/Variant/RegulatoryElement, ``text_embedding``,
  ``name_embedding`` ...; the schema's ``vector`` kinds).
* :func:`write_map_html`: a standalone interactive HTML page (inline SVG + a few lines of JS:
  hover for the id and property, click a legend entry to hide a group; the data are embedded,
  nothing is fetched at view time).
* :func:`nearest_neighbours`: the ``k`` nodes closest to one node by cosine similarity
  ``u.v / (|u| |v|)`` (the node itself excluded).
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from varkg.errors import AnalysisError, SchemaError

if TYPE_CHECKING:
    from varkg.store.base import GraphStore

Method = Literal["umap", "tsne"]


def project(
    vectors: np.ndarray, *, method: Method = "umap", seed: int = 0, n_neighbors: int = 15, perplexity: float = 30.0
) -> np.ndarray:
    """2-D coordinates of ``vectors`` (rows are items)."""
    x = np.asarray(vectors, dtype=np.float32)
    if x.ndim != 2 or x.shape[0] < 3:
        raise AnalysisError(f"an embedding map needs an (n >= 3, d) matrix; got shape {x.shape}")
    if method == "umap":
        import umap  # type: ignore[import-untyped]

        reducer = umap.UMAP(n_components=2, n_neighbors=min(n_neighbors, x.shape[0] - 1), metric="cosine", random_state=seed)
        return np.asarray(reducer.fit_transform(x), dtype=np.float64)
    if method == "tsne":
        from sklearn.manifold import TSNE

        p = min(perplexity, (x.shape[0] - 1) / 3)
        return np.asarray(TSNE(n_components=2, perplexity=p, random_state=seed, init="pca").fit_transform(x), dtype=np.float64)
    raise AnalysisError(f"map method {method!r} is not one of 'umap', 'tsne'")


def _vector_property(store: GraphStore, label: str, prop: str) -> None:
    node = store.schema.node(label)
    p = node.properties.get(prop)
    if p is None or p.kind != "vector":
        vec = sorted(k for k, v in node.properties.items() if v.kind == "vector")
        raise SchemaError(f"{label}.{prop} is not a vector property; {label}'s vector properties are {vec}")


def node_vectors(
    store: GraphStore, *, label: str, prop: str = "seq_embedding", colour_by: str | None = None, limit: int | None = None
) -> tuple[list[str], np.ndarray, list[Any]]:
    """``(ids, vectors (n, dim), colours)`` of ``label`` nodes carrying ``prop`` (colours: the
    ``colour_by`` property, or None each)."""
    _vector_property(store, label, prop)
    props = ["id", prop] + ([colour_by] if colour_by else [])
    if colour_by and colour_by not in store.schema.node(label).properties:
        raise SchemaError(
            f"{label} has no property {colour_by!r}; its properties are {sorted(store.schema.node(label).properties)}"
        )
    t = store.export_nodes(label, properties=props).to_pandas()
    t = t[t[prop].notna()].sort_values("id")
    if limit is not None:
        t = t.head(limit)
    if t.empty:
        raise AnalysisError(f"no {label} node carries {prop!r}: write embeddings back first (varkg lm embed)")
    x = np.stack([np.asarray(v, dtype=np.float32) for v in t[prop]])
    colours = t[colour_by].tolist() if colour_by else [None] * len(t)
    return t["id"].tolist(), x, colours


def cosine_neighbours(ids: Sequence[str], vectors: np.ndarray, query: str, *, k: int = 10) -> pd.DataFrame:
    """The ``k`` ids closest to ``query`` by cosine similarity (``id``, ``score``; query excluded)."""
    ids = list(ids)
    if query not in ids:
        raise AnalysisError(f"{query!r} has no embedding here ({len(ids)} ids carry one)")
    x = np.asarray(vectors, dtype=np.float64)
    norm = np.linalg.norm(x, axis=1)
    norm[norm == 0] = 1.0
    q = x[ids.index(query)]
    sim = x @ q / (norm * (np.linalg.norm(q) or 1.0))
    df = pd.DataFrame({"id": ids, "score": sim})
    df = df[df["id"] != query].sort_values(["score", "id"], ascending=[False, True], kind="mergesort")
    return df.head(k).reset_index(drop=True)


def nearest_neighbours(store: GraphStore, node_id: str, *, label: str, prop: str = "seq_embedding", k: int = 10) -> pd.DataFrame:
    """The ``k`` ``label`` nodes nearest to ``node_id`` by ``prop`` (cosine; exact)."""
    ids, x, _ = node_vectors(store, label=label, prop=prop)
    return cosine_neighbours(ids, x, node_id, k=k)


_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def write_map_html(
    path: str | Path, xy: np.ndarray, ids: Sequence[str], colours: Sequence[Any], *, title: str, colour_by: str
) -> Path:
    """A standalone interactive scatter page (inline SVG and JS; the data embedded as JSON)."""
    xy = np.asarray(xy, dtype=float)
    lo, hi = xy.min(0), xy.max(0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    W, H, pad = 760, 560, 20
    px = pad + (xy[:, 0] - lo[0]) / span[0] * (W - 2 * pad)
    py = H - pad - (xy[:, 1] - lo[1]) / span[1] * (H - 2 * pad)
    cats = sorted({str(c) for c in colours})
    colour = {c: _PALETTE[i % len(_PALETTE)] for i, c in enumerate(cats)}
    points = [
        {"id": str(i), "c": str(c), "x": round(float(a), 1), "y": round(float(b), 1)}
        for i, c, a, b in zip(ids, colours, px, py, strict=True)
    ]
    data = json.dumps({"points": points, "colours": colour}).replace("</", "<\\/")
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font:13px sans-serif;margin:16px}} #tip{{position:absolute;background:#fff;border:1px solid #999;
padding:3px 6px;display:none}}
.leg span{{cursor:pointer;margin-right:12px}} .off{{opacity:.3}} circle{{stroke:#333;stroke-width:.3}}</style></head>
<body><h3>{html.escape(title)}</h3><div class="leg" id="leg"></div>
<svg id="map" width="{W}" height="{H}" style="border:1px solid #ddd"></svg><div id="tip"></div>
<p>{len(points)} points, coloured by {html.escape(colour_by)}. Hover a point for its id; click a legend entry to hide it.</p>
<script id="data" type="application/json">{data}</script>
<script>
const D = JSON.parse(document.getElementById('data').textContent), NS = 'http://www.w3.org/2000/svg';
const svg = document.getElementById('map'), tip = document.getElementById('tip'), leg = document.getElementById('leg');
const hidden = new Set();
for (const p of D.points) {{
  const c = document.createElementNS(NS, 'circle');
  c.setAttribute('cx', p.x); c.setAttribute('cy', p.y); c.setAttribute('r', 3.5);
  c.setAttribute('fill', D.colours[p.c]); c.dataset.c = p.c;
  c.onmousemove = e => {{ tip.style.display = 'block';
    tip.style.left = (e.pageX + 10) + 'px'; tip.style.top = (e.pageY + 10) + 'px';
    tip.textContent = p.id + ' | ' + p.c; }};
  c.onmouseout = () => {{ tip.style.display = 'none'; }};
  svg.appendChild(c);
}}
for (const [k, v] of Object.entries(D.colours)) {{
  const s = document.createElement('span'); s.innerHTML = '<b style="color:' + v + '">&#9679;</b> '; s.append(k);
  s.onclick = () => {{ hidden.has(k) ? hidden.delete(k) : hidden.add(k); s.classList.toggle('off');
    for (const c of svg.children) c.style.display = hidden.has(c.dataset.c) ? 'none' : ''; }};
  leg.appendChild(s);
}}
</script></body></html>
"""
    path = Path(path)
    path.write_text(page)
    return path
