"""``varkg neo4j ...``: work with a Neo4j server and its tools (constraints, bulk import, Bloom, lint)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from varkg.cli._common import cli_store, console, run_cli
from varkg.errors import VarkgError

app = typer.Typer(
    help="Neo4j: run a local server (no Docker), apply the schema, bulk-import CSVs, Bloom perspective, lint Cypher.",
    no_args_is_help=True,
)


def _password() -> str:
    import os

    pw = os.environ.get("NEO4J_PASSWORD")
    if not pw:
        raise VarkgError(
            "NEO4J_PASSWORD is not set; export NEO4J_PASSWORD=... (8+ characters) first; it is never stored in code or config"
        )
    return pw


@app.command("serve")
def serve(
    data: Annotated[Path, typer.Option("--data", help="Server home: conf/, data/, logs/, plugins/ (created).")] = Path(
        "neo4j-data"
    ),
    bolt: Annotated[str, typer.Option("--bolt", help="Bolt listen address HOST:PORT.")] = "127.0.0.1:7687",
    http: Annotated[str, typer.Option("--http", help="HTTP address for Neo4j Browser; 'off' disables HTTP.")] = "127.0.0.1:7474",
    heap: Annotated[str, typer.Option("--heap", help="JVM heap (Neo4j size syntax).")] = "2g",
    pagecache: Annotated[str, typer.Option("--pagecache", help="Page cache size.")] = "2g",
    allow_remote: Annotated[bool, typer.Option("--allow-remote", help="Permit non-loopback listen addresses.")] = False,
) -> None:
    """Run a real Neo4j Community server (jars from Maven Central, no Docker) until Ctrl-C.

    The password of user neo4j comes from NEO4J_PASSWORD (set on the first start of a --data folder).
    The first run resolves ~130 MiB of jars with Maven into tools/neo4j/lib/.

    Example: NEO4J_PASSWORD=... varkg neo4j serve --data neo4j-data --bolt 127.0.0.1:7687
    """
    import signal
    import time

    from varkg.store.neo4j_server import NEO4J_VERSION, Neo4jServer, NeoServerConfig

    def go() -> None:
        cfg = NeoServerConfig(
            data=data, bolt=bolt, http=None if http == "off" else http, heap=heap, pagecache=pagecache, allow_remote=allow_remote
        )
        srv = Neo4jServer(cfg, password=_password())
        console.print(f"starting Neo4j Community {NEO4J_VERSION} in {srv.home} ...")
        srv.start()
        console.print(
            f"[green]Neo4j is up[/] in {srv.started_in:.1f} s: {srv.uri}"
            + (f", Browser {srv.browser_url}" if srv.browser_url else "")
        )
        console.print(f"next: export VARKG_STORE={srv.uri} NEO4J_USER=neo4j NEO4J_PASSWORD=...; varkg init; varkg load ...")
        console.print("Ctrl-C stops the server cleanly")
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        try:
            while srv.running():
                time.sleep(1)
            console.print(f"[red]Neo4j exited[/]; {srv.log_tail()}")
            raise typer.Exit(1)
        except KeyboardInterrupt:
            console.print("stopping Neo4j ...")
        finally:
            srv.stop()

    run_cli(go)


@app.command("import")
def admin_import(
    csv_dir: Annotated[Path, typer.Argument(help="Folder written by `varkg neo4j bulk-export` (holds import.args).")],
    data: Annotated[Path, typer.Option("--data", help="Server home of `varkg neo4j serve` (server stopped).")] = Path(
        "neo4j-data"
    ),
    database: Annotated[str, typer.Option("--database", help="Database to replace.")] = "neo4j",
) -> None:
    """Import bulk-export CSVs with the real `neo4j-admin database import full` (replaces DATABASE).

    Then start the server with `varkg neo4j serve --data DIR` and run `varkg init` for the indexes.

    Example: varkg neo4j import import/ --data neo4j-data
    """
    from varkg.store.neo4j_server import Neo4jServer, NeoServerConfig

    def go() -> None:
        srv = Neo4jServer(NeoServerConfig(data=data), password=_password())
        out = srv.admin_import(csv_dir, database=database)
        console.print(out.strip().splitlines()[-1] if out.strip() else "imported")
        console.print(f"next: varkg neo4j serve --data {data}; then VARKG_STORE=bolt://127.0.0.1:7687 varkg init")

    run_cli(go)


@app.command("apply-schema")
def apply_schema() -> None:
    """Create constraints, range and vector indexes on the Neo4j server given by --store.

    Example: NEO4J_PASSWORD=... varkg --store bolt://localhost:7687 neo4j apply-schema
    """

    def go() -> None:
        with cli_store(init=True) as store:
            console.print(f"[green]schema applied[/] to {store.location}")

    run_cli(go)


@app.command("bulk-export")
def bulk_export(
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for the neo4j-admin CSV files.")] = Path("neo4j-import"),
) -> None:
    """Write the whole graph of the --store (e.g. the embedded one) as `neo4j-admin database import` CSVs
    and print the exact import command (for first loads of large graphs).

    Example: varkg --store demo/varkg.db neo4j bulk-export --out import/
    """
    from varkg.store.neo4j import bulk_export as export

    def go() -> None:
        with cli_store(read_only=True) as store:
            cmd, n = export(store, out)
        console.print(f"wrote {n} table(s) to {out}; import them with: varkg neo4j import {out} --data DIR (server stopped)")
        print(cmd)

    run_cli(go)


@app.command("bloom")
def bloom(
    out: Annotated[Path, typer.Option("--out", "-o", help="Perspective JSON file to write.")] = Path(
        "varkg-bloom-perspective.json"
    ),
) -> None:
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
        params: dict[str, Any] = {}
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
