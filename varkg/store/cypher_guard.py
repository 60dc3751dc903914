"""Read-only guard for Cypher text: finds write clauses outside strings and comments."""

from __future__ import annotations

import re

from varkg.errors import ReadOnlyError

_WRITE = re.compile(
    r"\b(CREATE|MERGE|SET|DELETE|DETACH|REMOVE|DROP|ALTER|COPY|INSTALL|LOAD\s+EXTENSION|IMPORT|EXPORT|CHECKPOINT|BEGIN|COMMIT|ROLLBACK)\b",
    re.IGNORECASE,
)
_STRIP = re.compile(r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.DOTALL)


def write_clauses(cypher: str) -> list[str]:
    """Write keywords found in ``cypher`` (string literals, quoted names and comments ignored).

    >>> write_clauses("MATCH (n) WHERE n.name = 'CREATE' RETURN n")
    []
    >>> write_clauses("MATCH (n) SET n.x = 1")
    ['SET']
    """
    return [m.group(1).upper() for m in _WRITE.finditer(_STRIP.sub(" ", cypher))]


def assert_read_only(cypher: str) -> None:
    """Raise :class:`ReadOnlyError` if ``cypher`` contains a write clause."""
    found = write_clauses(cypher)
    if found:
        raise ReadOnlyError(
            f"query contains write clause(s) {sorted(set(found))}; read-only queries may not write (use --write / store.execute)"
        )
