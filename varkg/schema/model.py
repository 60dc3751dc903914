"""Typed schema objects, read and validated from ``graph.yaml``.

The YAML file is data; this module turns it into frozen dataclasses and refuses anything
it does not understand (unknown keys, unknown kinds, missing dimensions, edges whose
endpoints are not node types), reporting every problem at once.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, get_args

import yaml

from varkg.errors import SchemaError
from varkg.typing import EdgeType, NodeType, PropertyKind, RelType

SCHEMA_PATH = Path(__file__).with_name("graph.yaml")

PROPERTY_KINDS: frozenset[str] = frozenset(get_args(PropertyKind))
PROVENANCE_PROPERTY = "datasets"
_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Words that cannot be bare property names in one of the dialects (Ladybug's parser rejects `n.end`).
RESERVED_PROPERTY_NAMES = frozenset({"end", "src", "dst"})
_PROP_KEYS = {"kind", "required", "description", "unit", "index", "dim"}
_NODE_KEYS = {"description", "key", "caption", "color", "properties", "provenance"}
_EDGE_KEYS = {"description", "endpoints", "key", "properties"}


@dataclass(frozen=True)
class Property:
    """One typed property of a node or edge type."""

    name: str
    kind: PropertyKind
    required: bool = False
    description: str = ""
    unit: str | None = None
    index: bool = False
    dim: int | None = None


@dataclass(frozen=True)
class NodeSpec:
    """A node type: label, key property and typed properties (``datasets`` included)."""

    name: NodeType
    key: str
    properties: dict[str, Property]
    description: str = ""
    caption: str = "id"
    color: str = "#A5ABB6"
    provenance: bool = False

    @property
    def vectors(self) -> list[Property]:
        return [p for p in self.properties.values() if p.kind == "vector"]


@dataclass(frozen=True)
class EdgeSpec:
    """A relationship type with its allowed ``(src, dst)`` endpoint pairs and identity key."""

    name: RelType
    endpoints: tuple[tuple[NodeType, NodeType], ...]
    key: tuple[str, ...]
    properties: dict[str, Property]
    description: str = ""

    def triples(self) -> list[EdgeType]:
        return [(s, self.name, d) for s, d in self.endpoints]


@dataclass(frozen=True)
class Schema:
    """The whole graph model. Use :func:`load_schema` to get the packaged one."""

    version: str
    nodes: dict[NodeType, NodeSpec]
    edges: dict[RelType, EdgeSpec]
    hash: str = field(default="")

    def node(self, name: str) -> NodeSpec:
        """The node type ``name``; unknown names fail with the list of valid ones."""
        try:
            return self.nodes[name]
        except KeyError:
            raise SchemaError(f"unknown node type {name!r}; expected one of: {', '.join(sorted(self.nodes))}") from None

    def edge(self, name: str) -> EdgeSpec:
        """The edge type ``name``; unknown names fail with the list of valid ones."""
        try:
            return self.edges[name]
        except KeyError:
            raise SchemaError(f"unknown edge type {name!r}; expected one of: {', '.join(sorted(self.edges))}") from None

    def check_endpoints(self, edge: str, src: str, dst: str) -> EdgeSpec:
        spec = self.edge(edge)
        if (src, dst) not in spec.endpoints:
            pairs = ", ".join(f"{s}->{d}" for s, d in spec.endpoints)
            raise SchemaError(f"edge type {edge!r} does not connect {src}->{dst}; allowed: {pairs}")
        return spec

    def edge_triples(self) -> list[EdgeType]:
        return [t for e in self.edges.values() for t in e.triples()]

    def property_keys(self) -> list[str]:
        keys = {p for n in self.nodes.values() for p in n.properties}
        keys |= {p for e in self.edges.values() for p in e.properties}
        return sorted(keys)


def _parse_property(owner: str, name: str, raw: Any, errors: list[str]) -> Property | None:
    if not _IDENT.match(name):
        errors.append(f"{owner}.{name}: property name must match {_IDENT.pattern}")
        return None
    if name.lower() in RESERVED_PROPERTY_NAMES:
        errors.append(
            f"{owner}.{name}: {name!r} is reserved (Cypher keyword in Ladybug or an edge endpoint column); choose another name"
        )
        return None
    if not isinstance(raw, dict):
        errors.append(f"{owner}.{name}: expected a mapping, got {raw!r}")
        return None
    unknown = set(raw) - _PROP_KEYS
    if unknown:
        errors.append(f"{owner}.{name}: unknown keys {sorted(unknown)}; allowed {sorted(_PROP_KEYS)}")
    kind = raw.get("kind")
    if kind not in PROPERTY_KINDS:
        errors.append(f"{owner}.{name}: kind {kind!r} is not one of {sorted(PROPERTY_KINDS)}")
        return None
    dim = raw.get("dim")
    if kind == "vector" and (not isinstance(dim, int) or dim <= 0):
        errors.append(f"{owner}.{name}: vector needs a positive integer 'dim' (got {dim!r})")
        return None
    if kind != "vector" and dim is not None:
        errors.append(f"{owner}.{name}: 'dim' is only valid for vectors (kind {kind!r})")
    return Property(
        name=name,
        kind=kind,
        required=bool(raw.get("required", False)),
        description=str(raw.get("description", "")),
        unit=raw.get("unit"),
        index=bool(raw.get("index", False)),
        dim=dim,
    )


def _datasets_property() -> Property:
    return Property(
        name=PROVENANCE_PROPERTY,
        kind="string_list",
        description="Dataset ids that asserted this record",
    )


def parse_schema(raw: dict[str, Any]) -> Schema:
    """Validate a raw schema mapping into a :class:`Schema`, listing every problem at once."""
    errors: list[str] = []
    if not isinstance(raw, dict):
        raise SchemaError(f"schema must be a mapping, got {type(raw).__name__}")
    unknown_top = set(raw) - {"version", "nodes", "edges"}
    if unknown_top:
        errors.append(f"unknown top-level keys {sorted(unknown_top)}")
    version = str(raw.get("version", ""))
    if not re.match(r"^\d+\.\d+\.\d+$", version):
        errors.append(f"version {version!r} is not MAJOR.MINOR.PATCH")
    nodes: dict[str, NodeSpec] = {}
    for name, spec in (raw.get("nodes") or {}).items():
        if not _IDENT.match(name) or not isinstance(spec, dict):
            errors.append(f"node {name!r}: bad name or not a mapping")
            continue
        unknown = set(spec) - _NODE_KEYS
        if unknown:
            errors.append(f"node {name}: unknown keys {sorted(unknown)}")
        props: dict[str, Property] = {}
        for pname, praw in (spec.get("properties") or {}).items():
            p = _parse_property(name, pname, praw, errors)
            if p is not None:
                props[pname] = p
        if PROVENANCE_PROPERTY in props:
            errors.append(f"node {name}: '{PROVENANCE_PROPERTY}' is reserved (added automatically)")
        props[PROVENANCE_PROPERTY] = _datasets_property()
        key = spec.get("key")
        if key not in props:
            errors.append(f"node {name}: key {key!r} is not one of its properties")
        elif props[key].kind != "string" or not props[key].required:
            errors.append(f"node {name}: key {key!r} must be a required string")
        caption = spec.get("caption", key)
        if caption not in props:
            errors.append(f"node {name}: caption {caption!r} is not one of its properties")
        nodes[name] = NodeSpec(
            name=name,
            key=str(key),
            properties=props,
            description=str(spec.get("description", "")),
            caption=str(caption),
            color=str(spec.get("color", "#A5ABB6")),
            provenance=bool(spec.get("provenance", False)),
        )
    edges: dict[str, EdgeSpec] = {}
    for name, spec in (raw.get("edges") or {}).items():
        if not re.match(r"^[A-Z][A-Z0-9_]*$", name) or not isinstance(spec, dict):
            errors.append(f"edge {name!r}: name must be UPPER_SNAKE_CASE and spec a mapping")
            continue
        unknown = set(spec) - _EDGE_KEYS
        if unknown:
            errors.append(f"edge {name}: unknown keys {sorted(unknown)}")
        props = {}
        for pname, praw in (spec.get("properties") or {}).items():
            p = _parse_property(name, pname, praw, errors)
            if p is not None:
                props[pname] = p
        if PROVENANCE_PROPERTY in props or "src" in props or "dst" in props:
            errors.append(f"edge {name}: 'src', 'dst' and '{PROVENANCE_PROPERTY}' are reserved")
        props[PROVENANCE_PROPERTY] = _datasets_property()
        endpoints = []
        for pair in spec.get("endpoints") or []:
            if not (isinstance(pair, list) and len(pair) == 2):
                errors.append(f"edge {name}: endpoint {pair!r} must be [Src, Dst]")
                continue
            for end in pair:
                if end not in (raw.get("nodes") or {}):
                    errors.append(f"edge {name}: endpoint {end!r} is not a node type")
            endpoints.append((pair[0], pair[1]))
        if not endpoints:
            errors.append(f"edge {name}: needs at least one endpoint pair")
        key = tuple(spec.get("key") or ())
        for k in key:
            if k not in props:
                errors.append(f"edge {name}: key property {k!r} is not defined")
            elif not props[k].required or props[k].kind != "string":
                errors.append(f"edge {name}: key property {k!r} must be a required string")
        edges[name] = EdgeSpec(
            name=name,
            endpoints=tuple(endpoints),
            key=key,
            properties=props,
            description=str(spec.get("description", "")),
        )
    clash = set(nodes) & set(edges)
    if clash:
        errors.append(f"names used for both nodes and edges: {sorted(clash)}")
    if errors:
        raise SchemaError("invalid schema: " + "; ".join(errors))
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return Schema(version=version, nodes=nodes, edges=edges, hash=digest)


def load_schema_file(path: str | Path) -> Schema:
    """Read and validate a schema YAML file."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise SchemaError(f"cannot read schema {path}: {exc}") from exc
    return parse_schema(raw)


@lru_cache(maxsize=1)
def load_schema() -> Schema:
    """The packaged schema (cached).

    >>> s = load_schema()
    >>> s.node("Variant").key
    'id'
    >>> ("Variant", "AFFECTS", "Gene") in s.edge_triples()
    True
    """
    return load_schema_file(SCHEMA_PATH)
