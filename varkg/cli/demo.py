"""``varkg demo`` and ``varkg fetch``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer


def _data_dir(data: Path | None) -> Path:
    from varkg.errors import VarkgError

    d = data or (Path(os.environ["VARKG_DATA"]) if os.environ.get("VARKG_DATA") else None)
    if d is None:
        raise VarkgError("give the data mirror with --data DIR or $VARKG_DATA (e.g. ../shared/data)")
    if not d.is_dir():
        raise VarkgError(
            f"data directory {str(d)!r} does not exist; expected a mirror with annotation/, variants/, regulatory/ ..."
        )
    return d


def register(app: typer.Typer) -> None:
    """Add ``demo`` and ``fetch`` to the top-level app."""

    @app.command("demo")
    def demo(
        data: Annotated[Path | None, typer.Option("--data", help="Data mirror directory (default $VARKG_DATA).")] = None,
        store: Annotated[
            str | None,
            typer.Option(
                "--store",
                help="Ladybug database path or Neo4j bolt:// URI to build into (default: global --store, else ./varkg-demo.db).",
            ),
        ] = None,
        quick: Annotated[
            bool, typer.Option("--quick", help="Fewer variants and a short GNN training (about 3 minutes).")
        ] = False,
    ) -> None:
        """Build a real knowledge graph from the data mirror and run the pipeline, then print a summary.

        Loads GENCODE, common SNPs, ENCODE cCREs, JASPAR, HPO, gene sets, the GWAS Catalog, GTEx
        eQTLs, Complex Portal/Reactome/STRING interactions, Reactome and GO, an hg19 Hi-C map (as
        its own hg19 region set) and UniProt texts; scores and embeds real chr2 SNPs with a small
        DNA LM pretrained on the chr2 reference; trains the GNN on ClinVar labels and writes
        predictions back; fine-maps pig meat pH (MSUPRP, Sscrofa11.1) with SuSiE and writes PIPs and
        CAUSAL_FOR edges; cuts a release and prints counts, metrics, top findings and next
        commands. A second run reuses everything and changes no counts.

        Example: varkg demo --data ../shared/data --store demo.db
        On Neo4j: NEO4J_PASSWORD=... varkg demo --data ../shared/data --store bolt://127.0.0.1:7687
        """
        from rich.table import Table

        from varkg.cli._common import console, run_cli, state
        from varkg.demo.pipeline import run_demo

        def go() -> None:
            d = _data_dir(data)
            path = store or state.store or "varkg-demo.db"
            log = None if state.quiet else (lambda s: console.print(s, highlight=False))
            res = run_demo(d, path, quick=quick, log=log)
            t = Table(title=f"demo graph {res.store} (release {res.release})")
            t.add_column("type")
            t.add_column("count", justify="right")
            for k, v in sorted(res.counts.items()):
                t.add_row(k, f"{v:,}")
            console.print(t)
            for k, v in res.metrics.items():
                console.print(f"[bold]{k}[/]: {v}")
            for k, rows in res.findings.items():
                if rows:
                    console.print(f"[bold]{k}[/]:")
                    for r in rows[:5]:
                        console.print("  " + ", ".join(f"{a}={b}" for a, b in r.items()), highlight=False)
            console.print(f"done in {res.seconds:.0f} s. Next:")
            from varkg.demo.pipeline import next_commands

            for c in next_commands(str(path)):
                console.print(f"  {c}", highlight=False)

        run_cli(go)

    @app.command("fetch")
    def fetch_cmd(
        source: Annotated[list[str] | None, typer.Argument(help="Source names (default: all; see --list).")] = None,
        data: Annotated[
            Path | None, typer.Option("--data", help="Local mirror used instead of downloading (default $VARKG_DATA).")
        ] = None,
        cache: Annotated[
            Path | None, typer.Option("--cache", help="Download cache (default $VARKG_CACHE or ~/.cache/varkg).")
        ] = None,
        list_: Annotated[bool, typer.Option("--list", help="List the manifest's sources.")] = False,
    ) -> None:
        """Download the demo's public sources into a cache (or find them in a local mirror).

        Example: varkg fetch --data ../shared/data
        """
        from rich.table import Table

        from varkg.cli._common import console, run_cli
        from varkg.demo.fetch import default_cache, fetch, sources

        def go() -> None:
            if list_:
                t = Table(title="demo sources")
                for c in ("name", "loader", "url"):
                    t.add_column(c)
                for s in sources():
                    t.add_row(s.name, s.loader or "", s.url)
                console.print(t)
                return
            mirror = data or (Path(os.environ["VARKG_DATA"]) if os.environ.get("VARKG_DATA") else None)
            t = Table(title="fetch")
            for c in ("source", "status", "where"):
                t.add_column(c)
            for name, status, where in fetch(cache=cache or default_cache(), mirror=mirror, names=source or None):
                t.add_row(name, status, where)
            console.print(t)

        run_cli(go)
