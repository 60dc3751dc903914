"""The varkg exception tree (one root, a few branches; as the neo4j driver draws its own).

::

    VarkgError
     +-- SchemaError            the schema file or a use of it is invalid (unknown type, bad property)
     +-- ValidationError        a table does not match its schema type (every failure listed)
     +-- InputError             an input file is malformed (carries file, line and field)
     +-- StoreError             a graph store failed or refused an operation
     |    +-- StoreUnavailable  the store cannot be opened or reached (bad path, unreachable server)
     |    +-- DanglingEdgeError an edge names an endpoint node that is not in the graph
     |    +-- ReadOnlyError     a write was attempted through a read-only query
     +-- ModelError             a model, checkpoint or tokenizer is missing or inconsistent
     +-- AnalysisError          a statistical analysis cannot run on the given data

Every message quotes the bad value and what was expected.
"""

from __future__ import annotations

from pathlib import Path


class VarkgError(Exception):
    """Root of all varkg errors."""


class SchemaError(VarkgError):
    """The schema, or a reference to a type or property in it, is invalid."""


class ValidationError(VarkgError):
    """A table failed validation; ``failures`` lists every named check that failed."""

    def __init__(self, type_name: str, failures: list[str]) -> None:
        self.type_name = type_name
        self.failures = list(failures)
        shown = "; ".join(self.failures[:10])
        more = f" (+{len(self.failures) - 10} more)" if len(self.failures) > 10 else ""
        super().__init__(f"{type_name}: {len(self.failures)} validation failure(s): {shown}{more}")


class InputError(VarkgError):
    """A malformed input file. The message names the file, the line (1-based) and the field."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        where = []
        if self.path is not None:
            where.append(self.path if line is None else f"{self.path}:{line}")
        if field is not None:
            where.append(f"field {field!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class StoreError(VarkgError):
    """A graph store failed or refused an operation; the graph is unchanged."""


class StoreUnavailable(StoreError):
    """The store cannot be opened or reached."""


class DanglingEdgeError(StoreError):
    """An edge references an endpoint that is not a node in the graph."""


class ReadOnlyError(StoreError):
    """A write clause was sent through a read-only query."""


class ModelError(VarkgError):
    """A model, checkpoint or tokenizer is missing or inconsistent."""


class AnalysisError(VarkgError):
    """An analysis cannot run on the given data (e.g. a singular LD matrix)."""
