"""A small read-only HTTP server over a graph store: search, node properties, neighbourhoods.

Every query is a fixed Cypher text with ``$parameters``; labels come only from the schema (a
label in a request that is not a schema node type is rejected). The page and its script are
package data under ``varkg/explore/static/``.

Hardening: the server binds the loopback interface unless ``allow_remote=True`` (``varkg explore
--host 0.0.0.0 --allow-remote``); every query is capped at ``max_rows`` rows and ``timeout_s``
seconds (the store interrupts it); errors are JSON ``{"error": ...}`` (400 for a bad request, 500
with no stack trace or internal detail for anything else). The CLI opens the store read-only.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from varkg.errors import VarkgError

log = logging.getLogger(__name__)
MAX_ROWS = 1000
"""Rows one explorer query may return (larger results are cut)."""
QUERY_TIMEOUT_S = 10.0
"""Seconds one explorer query may run before the store interrupts it."""
STATIC = Path(__file__).resolve().parent / "static"
SEARCH_LABELS = ("Gene", "Variant", "Phenotype", "TranscriptionFactor", "Pathway", "RegulatoryElement")
_SEARCH_FIELDS = {
    "Gene": ("id", "symbol"),
    "Variant": ("id", "rsid"),
    "Phenotype": ("id", "name"),
    "TranscriptionFactor": ("id", "symbol"),
    "Pathway": ("id", "name"),
    "RegulatoryElement": ("id",),
}
_MIME = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def _clean(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, list):
        return [_clean(x) for x in v]
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


class Explorer:
    """The queries behind the page, on an open store (serialised by a lock)."""

    def __init__(self, store: Any, *, max_rows: int = MAX_ROWS, timeout_s: float = QUERY_TIMEOUT_S) -> None:
        self.store = store
        self.schema = store.schema
        self.max_rows = max_rows
        self._lock = threading.Lock()
        set_timeout = getattr(store, "set_query_timeout", None)
        if callable(set_timeout) and timeout_s:
            set_timeout(timeout_s)

    def _q(self, cypher: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self._lock:
            return self.store.query(cypher, params).slice(0, self.max_rows).to_pylist()

    def _label(self, label: str) -> str:
        if label not in self.schema.nodes:
            raise VarkgError(f"unknown node type {label!r}; expected one of: {', '.join(sorted(self.schema.nodes))}")
        return label

    def caption(self, label: str) -> str:
        return self.schema.nodes[label].caption or "id"

    def search(self, text: str, *, limit: int = 20) -> list[dict[str, Any]]:
        """Nodes whose id or caption equals ``text`` (case-insensitive) or starts with it."""
        text = text.strip()
        if not text:
            return []
        out: list[dict[str, Any]] = []
        for label in SEARCH_LABELS:
            fields = _SEARCH_FIELDS[label]
            cap = self.caption(label)
            where = " OR ".join(f"lower(n.{f}) = lower($t) OR lower(n.{f}) STARTS WITH lower($t)" for f in fields)
            is_exact = " OR ".join(f"coalesce(lower(n.{f}) = lower($t), false)" for f in fields)
            rows = self._q(
                f"MATCH (n:{label}) WHERE {where} RETURN n.id AS id, n.{cap} AS caption, {is_exact} AS exact LIMIT $limit",
                {"t": text, "limit": limit},
            )
            out += [{"type": label, "id": r["id"], "caption": r["caption"] or r["id"], "exact": bool(r["exact"])} for r in rows]
        out.sort(key=lambda r: (not r["exact"], SEARCH_LABELS.index(r["type"])))
        return out[:limit]

    def node(self, label: str, node_id: str) -> dict[str, Any]:
        """All non-vector properties of one node, plus the prediction runs and causal edges touching it."""
        label = self._label(label)
        spec = self.schema.nodes[label]
        props = [p for p, s in spec.properties.items() if s.kind != "vector"]
        cols = ", ".join(f"n.{p} AS {p}" for p in props)
        rows = self._q(f"MATCH (n:{label}) WHERE n.id = $id RETURN {cols}", {"id": node_id})
        if not rows:
            raise VarkgError(f"no {label} with id {node_id!r}")
        causal: list[dict[str, Any]] = []
        if label in ("Variant", "Gene", "Phenotype"):
            for a, b in (("n", "m"), ("m", "n")):
                causal += self._q(
                    f"MATCH ({a})-[c:CAUSAL_FOR]->({b}) WHERE n.id = $id AND label(n) = $label "
                    "RETURN label(m) AS other_type, m.id AS other, c.method AS method, c.estimate AS estimate, "
                    "c.pvalue AS pvalue, c.pp_h4 AS pp_h4, c.run_id AS run_id",
                    {"id": node_id, "label": label},
                )
        return {
            "type": label,
            "id": node_id,
            "caption": rows[0].get(self.caption(label)) or node_id,
            "properties": {k: _clean(v) for k, v in rows[0].items() if v is not None},
            "causal": [{k: _clean(v) for k, v in r.items()} for r in causal],
        }

    def neighbours(self, label: str, node_id: str, *, limit: int = 60) -> dict[str, Any]:
        """The node and up to ``limit`` neighbours with the connecting edges (both directions)."""
        label = self._label(label)
        edges: list[dict[str, Any]] = []
        for direction in ("out", "in"):
            pat = "(n)-[r]->(m)" if direction == "out" else "(n)<-[r]-(m)"
            rows = self._q(
                f"MATCH {pat} WHERE n.id = $id AND label(n) = $label "
                "RETURN label(r) AS rel, label(m) AS type, m.id AS id LIMIT $limit",
                {"id": node_id, "label": label, "limit": limit},
            )
            for r in rows:
                src, dst = (
                    ((label, node_id), (r["type"], r["id"])) if direction == "out" else ((r["type"], r["id"]), (label, node_id))
                )
                edges.append({"type": r["rel"], "source": f"{src[0]}:{src[1]}", "target": f"{dst[0]}:{dst[1]}"})
        edges = edges[:limit]
        keys = {(label, node_id)}
        for e in edges:
            for k in (e["source"], e["target"]):
                t, _, i = k.partition(":")
                keys.add((t, i))
        by_type: dict[str, list[str]] = {}
        for t, i in keys:
            by_type.setdefault(t, []).append(i)
        nodes = []
        for t, ids in by_type.items():
            if t not in self.schema.nodes:
                continue
            cap = self.caption(t)
            for r in self._q(f"MATCH (m:{t}) WHERE m.id IN $ids RETURN m.id AS id, m.{cap} AS caption", {"ids": ids}):
                nodes.append(
                    {
                        "key": f"{t}:{r['id']}",
                        "type": t,
                        "id": r["id"],
                        "caption": r["caption"] or r["id"],
                        "color": self.schema.nodes[t].color,
                    }
                )
        return {"center": f"{label}:{node_id}", "nodes": nodes, "edges": edges}


def make_handler(explorer: Explorer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "varkg-explore"

        def log_message(self, fmt: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, code: int, body: bytes, ctype: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, code: int, obj: Any) -> None:
            self._send(code, json.dumps(obj, default=str).encode(), "application/json")

        def do_GET(self) -> None:  # noqa: N802
            u = urlparse(self.path)
            q = {k: v[0] for k, v in parse_qs(u.query).items()}
            try:
                if u.path in ("/", "/index.html"):
                    return self._send(200, (STATIC / "index.html").read_bytes(), _MIME[".html"])
                if u.path.startswith("/static/"):
                    f = (STATIC / u.path[len("/static/") :]).resolve()
                    if STATIC not in f.parents or not f.is_file():
                        return self._json(404, {"error": "not found"})
                    return self._send(200, f.read_bytes(), _MIME.get(f.suffix, "application/octet-stream"))
                if u.path == "/api/search":
                    return self._json(200, explorer.search(q.get("q", ""), limit=min(int(q.get("limit", 20)), 100)))
                if u.path == "/api/node":
                    return self._json(200, explorer.node(q.get("type", ""), q.get("id", "")))
                if u.path == "/api/neighbours":
                    return self._json(
                        200, explorer.neighbours(q.get("type", ""), q.get("id", ""), limit=min(int(q.get("limit", 60)), 300))
                    )
                return self._json(404, {"error": f"no such path {u.path}"})
            except (VarkgError, ValueError) as exc:
                return self._json(400, {"error": str(exc).splitlines()[0] if str(exc) else type(exc).__name__})
            except Exception:  # noqa: BLE001 - the client gets no internals, the log gets the traceback
                log.exception("explorer request %s failed", u.path)
                return self._json(500, {"error": "internal error; see the server's log"})

    return Handler


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (``127.0.0.0/8``, ``::1``).

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0"), is_loopback("10.1.2.3")
    (True, True, False, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    store: Any,
    *,
    port: int = 8765,
    host: str = "127.0.0.1",
    allow_remote: bool = False,
    max_rows: int = MAX_ROWS,
    timeout_s: float = QUERY_TIMEOUT_S,
) -> ThreadingHTTPServer:
    """A server bound to ``host:port`` (port 0 picks a free one); call ``serve_forever()`` on it.

    A non-loopback ``host`` is refused unless ``allow_remote`` (the explorer has no authentication)."""
    if not is_loopback(host) and not allow_remote:
        raise VarkgError(
            f"explore binds to the loopback interface only; got host {host!r} (pass --allow-remote to serve it on "
            "other interfaces: the explorer has no authentication)"
        )
    return ThreadingHTTPServer((host, port), make_handler(Explorer(store, max_rows=max_rows, timeout_s=timeout_s)))
