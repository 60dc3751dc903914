"""Read-only guard for Cypher text: finds write and file-reading clauses outside strings and comments.

The guard is the first of two locks on read-only paths: ``varkg query`` without ``--write`` and the
explorer also open the embedded database in Ladybug's read-only mode (and Neo4j sessions in READ
access mode), so a write the guard cannot see is refused by the engine. The guard is what stops
clauses the engine allows in read-only mode but that reach outside the graph: ``LOAD FROM`` (reads
any CSV/Parquet/JSON file the process can read), ``LOAD CSV`` (Neo4j), ``COPY``, ``INSTALL`` /
``LOAD EXTENSION`` (downloads or loads native code), ``ATTACH`` / ``USE`` (other database files),
``IMPORT`` / ``EXPORT DATABASE`` and ``CHECKPOINT``.
"""

from __future__ import annotations

import re

from varkg.errors import ReadOnlyError

_WRITE = re.compile(
    r"(?<![.$\w])(CREATE|MERGE|SET|DELETE|DETACH|REMOVE|DROP|ALTER|COPY|INSTALL|LOAD|ATTACH|USE|IMPORT|EXPORT|"
    r"CHECKPOINT|BEGIN|COMMIT|ROLLBACK|FOREACH)\b",
    re.IGNORECASE,
)
_STRIP = re.compile(r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.DOTALL)
_FILE_READ = {"LOAD", "COPY", "INSTALL", "ATTACH", "USE", "IMPORT", "EXPORT"}


def write_clauses(cypher: str) -> list[str]:
    """Write or file-reading keywords found in ``cypher`` (string literals, quoted names and
    comments ignored; ``n.load`` and ``$set`` are property and parameter names, not clauses).

    >>> write_clauses("MATCH (n) WHERE n.name = 'CREATE' RETURN n")
    []
    >>> write_clauses("MATCH (n) SET n.x = 1")
    ['SET']
    >>> write_clauses("lOaD/**/FROM '/etc/passwd' (header=false) RETURN *")
    ['LOAD']
    >>> write_clauses("MATCH (n) RETURN n.load, $use")
    []
    """
    if "\x00" in cypher:
        return ["NUL"]
    return [m.group(1).upper() for m in _WRITE.finditer(_STRIP.sub(" ", cypher))]


def assert_read_only(cypher: str) -> None:
    """Raise :class:`ReadOnlyError` if ``cypher`` contains a write or file-reading clause."""
    found = sorted(set(write_clauses(cypher)))
    if found:
        files = [f for f in found if f in _FILE_READ]
        what = "file-reading or write clause(s)" if files else "write clause(s)"
        raise ReadOnlyError(
            f"query contains {what} {found}; read-only queries may not write or read files (use --write / store.execute)"
        )
