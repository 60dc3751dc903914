"""The loader contract and registry.

A loader turns source files into a stream of typed :class:`Frame` batches (Arrow tables
validated against the schema). It never touches a database: :func:`varkg.loaders.run.load`
writes the frames through a :class:`~varkg.store.GraphStore` with provenance.

Register a loader once, under one canonical name (anndata's IO registry)::

    @register_loader("vcf")
    class VcfLoader(Loader):
        '''Variants from VCF/BCF (positions 1-based, as in the file).'''
        def frames(self, paths, *, options) -> Iterator[Frame]: ...

Frames must be ordered so that every edge's endpoints have been emitted (or are already in
the graph) before the edge: nodes first, then edges, batch by batch.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import pyarrow as pa

from varkg.errors import SchemaError
from varkg.schema import Schema, load_schema
from varkg.schema.validate import validate_edges, validate_nodes
from varkg.typing import Assembly, NodeType, RelType

if TYPE_CHECKING:  # annotations only: loaders.reference imports this module
    from varkg.loaders.reference import ReferenceGenome
    from varkg.store.base import GraphStore


@dataclass(frozen=True)
class Frame:
    """One batch of nodes or edges of a single type.

    Node frames: ``table`` has the key column (``id``) plus any subset of the type's properties.
    Edge frames: ``table`` has ``src`` and ``dst`` (endpoint keys) plus properties, and
    ``src_type``/``dst_type`` name the endpoint node types.

    ``missing="skip"`` on an edge frame drops edges whose endpoints are not in the graph
    (counted and reported) instead of failing; use it only where partial overlap is expected
    (e.g. STRING proteins for genes that were not loaded).
    """

    kind: Literal["node", "edge"]
    type: NodeType | RelType
    table: pa.Table
    src_type: NodeType | None = None
    dst_type: NodeType | None = None
    missing: Literal["error", "skip"] = "error"

    @staticmethod
    def nodes(node_type: NodeType, table: pa.Table) -> Frame:
        return Frame(kind="node", type=node_type, table=table)

    @staticmethod
    def edges(
        rel: RelType,
        table: pa.Table,
        *,
        src_type: NodeType,
        dst_type: NodeType,
        missing: Literal["error", "skip"] = "error",
    ) -> Frame:
        return Frame(kind="edge", type=rel, table=table, src_type=src_type, dst_type=dst_type, missing=missing)

    def validated(self, schema: Schema | None = None) -> Frame:
        """This frame with its table checked and cast to the schema's types (raises ValidationError)."""
        if self.kind == "node":
            table, _ = validate_nodes(self.table, self.type, schema=schema)
        else:
            assert self.src_type and self.dst_type
            table, _ = validate_edges(self.table, self.type, src_type=self.src_type, dst_type=self.dst_type, schema=schema)
        return Frame(self.kind, self.type, table, self.src_type, self.dst_type, self.missing)


@dataclass
class LoadContext:
    """What a loader may use besides its files: the assembly, a store to read from (e.g. the
    loaded gene annotation, for consequences), a reference genome, an output directory for
    side tables (genotype matrices, Parquet), and free options."""

    assembly: Assembly | None = None
    store: GraphStore | None = None
    """The graph being loaded into, for reads only (e.g. the loaded genes)."""
    reference: ReferenceGenome | None = None
    artifacts_dir: Path | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    artifacts: list[str] = field(default_factory=list)
    """Paths of side tables the loader wrote; recorded on the Dataset node."""
    version: str | None = None
    """Source release/version the loader detected (recorded on the Dataset)."""
    dataset_id: str | None = None
    """The Dataset this load writes. Rows whose only provenance is this id were left by an earlier,
    killed run of the same load (``atomic="batch"``); loaders that read the store ignore them so a
    repeated load records what a clean one would."""


class Loader(ABC):
    """Base class: subclasses set ``name`` (by registering) and implement :meth:`frames`."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""

    @abstractmethod
    def frames(self, paths: Sequence[Path], *, context: LoadContext) -> Iterator[Frame]:
        """Yield validated-able frames, nodes before the edges that need them."""


_REGISTRY: dict[str, type[Loader]] = {}


def register_loader(name: str):
    """Class decorator registering a loader under one canonical ``name``."""

    def deco(cls: type[Loader]) -> type[Loader]:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise SchemaError(f"loader {name!r} is already registered by {_REGISTRY[name].__qualname__}")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return deco


def get_loader(name: str) -> Loader:
    """An instance of the loader registered as ``name``; unknown names list the valid ones."""
    _import_builtin_loaders()
    try:
        return _REGISTRY[name]()
    except KeyError:
        raise SchemaError(f"unknown loader {name!r}; expected one of: {', '.join(sorted(_REGISTRY))}") from None


def loader_names() -> list[str]:
    _import_builtin_loaders()
    return sorted(_REGISTRY)


def _import_builtin_loaders() -> None:
    import importlib
    import pkgutil

    import varkg.loaders as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name not in {"base", "run", "options"} and not mod.name.startswith("_"):
            importlib.import_module(f"varkg.loaders.{mod.name}")


def file_checksum(paths: Sequence[Path]) -> str:
    """SHA-256 over the bytes of ``paths`` (in order), for Dataset provenance."""
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def check_schema_types(frame: Frame, schema: Schema | None = None) -> None:
    schema = schema or load_schema()
    if frame.kind == "node":
        schema.node(frame.type)
    else:
        schema.check_endpoints(frame.type, frame.src_type or "", frame.dst_type or "")
