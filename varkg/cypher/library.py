"""The biologists' Cypher library: named, parameterised queries stored as ``queries/*.cypher``.

Each file starts with a header of ``//`` comment lines::

    // name: gene_summary
    // description: One gene by symbol ...
    // param: gene string -- gene symbol or Ensembl id
    // param: limit int = 50 -- rows returned
    // example: varkg query gene_summary --param gene=PAK5

Parameter types: ``string``, ``int``, ``float``, ``bool``, ``string_list``. A parameter with
``= default`` is optional. Queries are written in the Cypher both Ladybug and Neo4j accept; where
the dialects differ a query has ``NAME.ladybug.cypher`` and ``NAME.neo4j.cypher`` instead of
``NAME.cypher``. All are read-only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from varkg.errors import VarkgError

QUERY_DIR = Path(__file__).resolve().parent / "queries"
ParamType = Literal["string", "int", "float", "bool", "string_list"]
Dialect = Literal["ladybug", "neo4j"]
_TYPES = ("string", "int", "float", "bool", "string_list")
_PARAM = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s+(?P<type>\w+)(?:\s*=\s*(?P<default>.*?))?\s*(?:--\s*(?P<help>.*))?$")


@dataclass(frozen=True)
class Parameter:
    """One query parameter: ``name``, ``type``, ``default`` (None when required) and ``help``."""

    name: str
    type: ParamType
    required: bool
    default: Any = None
    help: str = ""

    def convert(self, value: Any, *, query: str) -> Any:
        """``value`` converted to this parameter's type; strings are parsed (CLI ``--param k=v``)."""
        try:
            if self.type == "string":
                return value if isinstance(value, str) else str(value)
            if self.type == "int":
                if isinstance(value, bool):
                    raise ValueError
                if isinstance(value, float) and not value.is_integer():
                    raise ValueError
                return int(value) if not isinstance(value, str) else int(value.strip())
            if self.type == "float":
                if isinstance(value, bool):
                    raise ValueError
                return float(value)
            if self.type == "bool":
                if isinstance(value, bool):
                    return value
                s = str(value).strip().lower()
                if s in ("true", "1", "yes"):
                    return True
                if s in ("false", "0", "no"):
                    return False
                raise ValueError
            if isinstance(value, str):
                s = value.strip()
                return [str(x) for x in json.loads(s)] if s.startswith("[") else [x.strip() for x in s.split(",") if x.strip()]
            return [str(x) for x in value]
        except (TypeError, ValueError, json.JSONDecodeError):
            raise VarkgError(f"query {query!r}: parameter {self.name!r} got {value!r}; expected {self.type}") from None


@dataclass(frozen=True)
class Query:
    """A named library query; ``cypher`` is the Ladybug text, ``cypher_for`` picks a dialect."""

    name: str
    description: str
    parameters: tuple[Parameter, ...]
    example: str
    texts: dict[str, str] = field(repr=False, hash=False, compare=False)
    path: Path | None = None

    @property
    def cypher(self) -> str:
        return self.cypher_for("ladybug")

    def cypher_for(self, dialect: Dialect) -> str:
        """The query text for ``dialect`` (the shared text when the dialects agree)."""
        return self.texts.get(dialect) or self.texts["both"]

    def bind(self, params: dict[str, Any] | None) -> dict[str, Any]:
        """Check and convert ``params`` and fill defaults.

        Raises:
            VarkgError: an unknown or missing parameter, or a value of the wrong type (named).
        """
        params = dict(params or {})
        known = {p.name: p for p in self.parameters}
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise VarkgError(
                f"query {self.name!r} has no parameter {unknown[0]!r}; expected one of: {', '.join(known) or '(none)'}"
            )
        out: dict[str, Any] = {}
        for p in self.parameters:
            if p.name in params and params[p.name] is not None:
                out[p.name] = p.convert(params[p.name], query=self.name)
            elif p.required:
                raise VarkgError(f"query {self.name!r} needs parameter {p.name!r} ({p.type}): {p.help}; e.g. {self.example}")
            else:
                out[p.name] = p.default
        return out

    def neo4j_param_types(self) -> dict[str, Any]:
        """Example values of the parameters, for the Neo4j linter and ``:param`` lines."""
        sample = {"string": "", "int": 0, "float": 0.0, "bool": False, "string_list": []}
        return {p.name: p.default if p.default is not None else sample[p.type] for p in self.parameters}


def _parse_default(raw: str, ptype: str, *, where: str) -> Any:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        raw = raw[1:-1]
    p = Parameter(name="default", type=ptype, required=False)  # type: ignore[arg-type]
    return p.convert(raw, query=where)


def parse(text: str, *, path: Path | None = None) -> tuple[dict[str, Any], str]:
    """Split a ``.cypher`` file into its header fields and the Cypher body."""
    head: dict[str, Any] = {"params": []}
    body: list[str] = []
    in_header = True
    for lineno, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if in_header and s.startswith("//"):
            m = re.match(r"//\s*(\w+):\s*(.*)$", s)
            if not m:
                continue
            key, val = m.group(1), m.group(2).strip()
            if key == "param":
                pm = _PARAM.match(val)
                if not pm or pm.group("type") not in _TYPES:
                    raise VarkgError(
                        f"{path}:{lineno}: bad parameter line {val!r}; expected 'NAME TYPE [= DEFAULT] -- help' with TYPE in "
                        f"{_TYPES}"
                    )
                head["params"].append((pm.group("name"), pm.group("type"), pm.group("default"), pm.group("help") or ""))
            else:
                head[key] = val
            continue
        in_header = False
        body.append(line)
    return head, "\n".join(body).strip()


@cache
def _load() -> dict[str, Query]:
    files: dict[str, dict[str, Path]] = {}
    for p in sorted(QUERY_DIR.glob("*.cypher")):
        parts = p.name[: -len(".cypher")].split(".")
        name, dialect = (parts[0], parts[1]) if len(parts) == 2 else (parts[0], "both")
        if dialect not in ("both", "ladybug", "neo4j"):
            raise VarkgError(f"{p}: unknown dialect {dialect!r}; expected NAME.cypher, NAME.ladybug.cypher or NAME.neo4j.cypher")
        files.setdefault(name, {})[dialect] = p
    out: dict[str, Query] = {}
    for name, variants in files.items():
        if "both" not in variants and not {"ladybug", "neo4j"} <= set(variants):
            raise VarkgError(f"query {name!r} needs {name}.cypher or both {name}.ladybug.cypher and {name}.neo4j.cypher")
        texts: dict[str, str] = {}
        head: dict[str, Any] = {}
        for dialect, path in variants.items():
            h, body = parse(path.read_text(), path=path)
            head = head or h
            texts[dialect] = body
        if head.get("name") != name:
            raise VarkgError(
                f"{next(iter(variants.values()))}: header name {head.get('name')!r} differs from the file name {name!r}"
            )
        params = tuple(
            Parameter(name=n, type=t, required=d is None, default=None if d is None else _parse_default(d, t, where=name), help=h)
            for n, t, d, h in head["params"]
        )
        out[name] = Query(
            name=name,
            description=head.get("description", ""),
            parameters=params,
            example=head.get("example", ""),
            texts=texts,
            path=variants.get("both"),
        )
    return out


def all_queries() -> list[Query]:
    """Every library query, sorted by name."""
    return [q for _, q in sorted(_load().items())]


def has(name: str) -> bool:
    return name in _load()


def get(name: str) -> Query:
    """The query called ``name``; unknown names list the valid ones."""
    try:
        return _load()[name]
    except KeyError:
        raise VarkgError(f"unknown library query {name!r}; expected one of: {', '.join(sorted(_load()))}") from None


def run(store: Any, name: str, params: dict[str, Any] | None = None) -> Any:
    """Bind ``params`` and run query ``name`` read-only on ``store``; returns a pyarrow Table."""
    q = get(name)
    dialect: Literal["ladybug", "neo4j"] = "neo4j" if type(store).__name__.lower().startswith("neo4j") else "ladybug"
    return store.query(q.cypher_for(dialect), q.bind(params))
