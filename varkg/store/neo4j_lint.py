"""Lint Cypher for Neo4j offline with Neo4j's own linter (npm ``@neo4j-cypher/language-support``).

The linter runs under Node from ``tools/cypher-lint`` (installed by ``make test``), given the
schema's labels, relationship types, property keys, endpoint patterns and the parameters a
statement expects. No server is needed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from varkg.errors import VarkgError
from varkg.schema import Schema, load_schema

ROW_MAP_KEYS = ("src", "dst")
SEVERITY = {1: "error", 2: "warning", 3: "information", 4: "hint"}


@dataclass(frozen=True)
class Diagnostic:
    query: int
    severity: str
    message: str
    offset: int


def linter_dir() -> Path:
    """Directory holding ``lint.mjs`` and its ``node_modules`` ($VARKG_CYPHER_LINT or the repo's tools/)."""
    env = os.environ.get("VARKG_CYPHER_LINT")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "tools" / "cypher-lint"


def linter_available() -> bool:
    d = linter_dir()
    return shutil.which("node") is not None and (d / "node_modules" / "@neo4j-cypher" / "language-support").is_dir()


def db_schema(schema: Schema | None = None, parameters: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The linter's ``DbSchema`` for ``schema``."""
    schema = schema or load_schema()
    return {
        "labels": sorted(schema.nodes),
        "relationshipTypes": sorted(schema.edges),
        # `src`/`dst` are the keys of the `$rows` maps that carry edge endpoints; the linter cannot
        # tell a map key from a property key, so they are declared alongside the schema's keys.
        "propertyKeys": sorted({*schema.property_keys(), *ROW_MAP_KEYS}),
        "parameters": dict(parameters or {}),
        "graphSchema": [{"from": s, "to": d, "relType": r} for s, r, d in schema.edge_triples()],
    }


def lint(
    queries: Sequence[str], *, parameters: Mapping[str, Any] | None = None, schema: Schema | None = None
) -> list[Diagnostic]:
    """Lint ``queries``; returns every diagnostic (errors and warnings)."""
    if not linter_available():
        raise VarkgError(f"the Neo4j Cypher linter is not installed in {linter_dir()}; run `make lint-tools` (npm install)")
    payload = json.dumps({"schema": db_schema(schema, parameters), "queries": list(queries)})
    proc = subprocess.run(
        ["node", str(linter_dir() / "lint.mjs")], input=payload, capture_output=True, text=True, check=False, timeout=300
    )
    if proc.returncode != 0:
        raise VarkgError(f"cypher linter failed: {proc.stderr.strip()[:500]}")
    out = []
    for item in json.loads(proc.stdout):
        for d in item["diagnostics"]:
            out.append(
                Diagnostic(item["query"], SEVERITY.get(d["severity"], str(d["severity"])), d["message"], d["offsets"]["start"])
            )
    return out
