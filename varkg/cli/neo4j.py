"""``varkg neo4j ...``: work with a Neo4j server and its tools (constraints, bulk import, Bloom, lint)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from varkg.cli.main import console, open_cli_store, run_cli
from varkg.errors import VarkgError

app = typer.Typer(help="Neo4j: apply the schema, bulk-import CSVs, Bloom perspective, lint Cypher.", no_args_is_help=True)


@app.command("apply-schema")
def apply_schema() -> None:
    """Create constraints, range and vector indexes on the Neo4j server given by --store.

    Example: NEO4J_PASSWORD=... varkg --store bolt://localhost:7687 neo4j apply-schema
    """

    def go() -> None:
        store = open_cli_store()
        store.init_schema()
        console.print(f"[green]schema applied[/] to {store.location}")
        store.close()

    run_cli(go)


@app.command("bulk-export")
def bulk_export(
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for the neo4j-admin CSV files.")] = Path("neo4j-import"),
) -> None:
    """Write the whole graph of the --store (e.g. the embedded one) as `neo4j-admin database import` CSVs
    and print the exact import command (for first loads of large graphs).

    Example: varkg --store demo/varkg.db neo4j bulk-export --out import/
    """
    from varkg.store.neo4j import write_bulk_import

    def go() -> None:
        store = open_cli_store(read_only=True)
        tables = []
        for name in store.schema.nodes:
            t = store.export_nodes(name)
            if t.num_rows:
                tables.append((name, t, None, None))
        for e in store.schema.edges.values():
            for s, d in e.endpoints:
                t = store.export_edges(e.name, src_type=s, dst_type=d)
                if t.num_rows:
                    tables.append((e.name, t, s, d))
        cmd = write_bulk_import(store.schema, tables, out)
        console.print(f"wrote {len(tables)} table(s) to {out}")
        print(cmd)
        store.close()

    run_cli(go)


@app.command("bloom")
def bloom(out: Annotated[Path, typer.Option("--out", "-o", help="Perspective JSON file to write.")] = Path("varkg-bloom-perspective.json")) -> None:
    """Write a Neo4j Bloom perspective generated from the schema (import it in Bloom: Perspectives > Import).

    Example: varkg neo4j bloom --out varkg.json
    """

    def go() -> None:
        try:
            from varkg.bloom.perspective import perspective
        except ModuleNotFoundError as exc:
            raise VarkgError("the Bloom perspective generator is not installed") from exc
        from varkg.schema import load_schema

        out.write_text(json.dumps(perspective(load_schema()), indent=2))
        console.print(f"wrote {out}; import it in Bloom (Perspectives > Import perspective)")

    run_cli(go)


@app.command("lint")
def lint_cmd(files: Annotated[list[Path], typer.Argument(help="Cypher files (one statement each).")]) -> None:
    """Lint Cypher files with Neo4j's own linter against the varkg schema (offline).

    Example: varkg neo4j lint varkg/cypher/queries/*.cypher
    """
    from varkg.store.neo4j_lint import lint

    def go() -> None:
        texts = [f.read_text() for f in files]
        params = {}
        import re

        for t in texts:
            for p in re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", t):
                params[p] = None
        diags = lint(texts, parameters=params)
        for d in diags:
            console.print(f"{files[d.query]}: {d.severity}: {d.message}")
        if diags:
            raise typer.Exit(1)
        console.print(f"[green]{len(files)} file(s) lint clean[/]")

    run_cli(go)
