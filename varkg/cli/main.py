"""The ``varkg`` command line: thin commands over the library.

Global option ``--store PATH_OR_URI`` (env ``VARKG_STORE``, default ``./varkg.db``) selects the
graph: a Ladybug database file, or a ``bolt://``/``neo4j://`` URI (credentials from
``NEO4J_USER``/``NEO4J_PASSWORD``).
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from varkg.cli._common import cli_errors, cli_store, console, err_console, fail, open_cli_store, run_cli, state
from varkg.errors import VarkgError

__all__ = ["app", "cli_errors", "cli_store", "console", "err_console", "fail", "main", "open_cli_store", "run_cli", "state"]


app = typer.Typer(
    name="varkg",
    help="varkg: a knowledge graph for genomic variant effects (Ladybug embedded or Neo4j).\n\n"
    "Start with `varkg init`, load data with `varkg load NAME FILES...`, query with `varkg query`.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
schema_app = typer.Typer(help="Inspect the graph schema and generate DDL/docs from it.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")


@app.callback()
def _main(
    store: Annotated[
        str | None,
        typer.Option(
            "--store", "-s", envvar="VARKG_STORE", help="Ladybug database file or bolt:// / neo4j:// URI (default ./varkg.db)."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    state.store = store
    state.quiet = quiet


# ---------------------------------------------------------------------------- init / stats
@app.command()
def init() -> None:
    """Create the schema in the store (idempotent; adds columns a newer schema introduced).

    Example: varkg --store my.db init
    """

    def go() -> None:
        with cli_store(init=True) as store:
            info = store.schema_info()
            console.print(f"[green]initialised[/] {store.location} with schema {store.schema.version} ({store.schema.hash[:12]})")
        if info:
            console.print(f"recorded schema hash {info['hash'][:12]}")
        console.print("next: [bold]varkg load --list[/] to see loaders, then [bold]varkg load NAME FILES...[/]")

    run_cli(go)


@app.command()
def stats(
    all_types: Annotated[bool, typer.Option("--all", help="Also list types with zero rows.")] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json")] = "table",
) -> None:
    """Counts per node and edge type, loaded datasets and the latest release.

    Example: varkg stats --format json
    """

    def go() -> None:
        with cli_store(read_only=True) as store:
            location = store.location
            counts = store.counts()
            ds = store.query(
                "MATCH (d:Dataset) RETURN d.id AS id, d.loader AS loader, d.loaded_at AS loaded_at, d.row_counts AS rows ORDER "
                "BY id"
            )
            rel = store.query("MATCH (r:Release) RETURN r.id AS id, r.created_at AS created_at ORDER BY created_at DESC LIMIT 1")
        if fmt == "json":
            print(json.dumps({"counts": counts, "datasets": ds.to_pylist(), "release": rel.to_pylist()}, default=str))
            return
        t = Table(title=f"graph {location}")
        t.add_column("type")
        t.add_column("count", justify="right")
        for k, v in counts.items():
            if v or all_types:
                t.add_row(k, f"{v:,}")
        console.print(t)
        if ds.num_rows:
            d = Table(title="datasets")
            for c in ("id", "loader", "loaded_at"):
                d.add_column(c)
            for r in ds.to_pylist():
                d.add_row(str(r["id"]), str(r["loader"]), str(r["loaded_at"]))
            console.print(d)
        if rel.num_rows:
            console.print(f"release: {rel.column('id')[0].as_py()}")

    run_cli(go)


# ---------------------------------------------------------------------------- schema
@schema_app.command("show")
def schema_show(
    type_name: Annotated[str | None, typer.Argument(help="A node or edge type; all types when omitted.")] = None,
) -> None:
    """Print node/edge types and their properties.

    Example: varkg schema show Variant
    """
    from varkg.schema import load_schema
    from varkg.schema.types import ladybug_type

    def go() -> None:
        s = load_schema()
        if type_name is None:
            t = Table(title=f"varkg schema {s.version} ({s.hash[:12]})")
            t.add_column("type")
            t.add_column("kind")
            t.add_column("key / endpoints")
            t.add_column("properties", justify="right")
            for n in s.nodes.values():
                t.add_row(n.name, "node", n.key, str(len(n.properties)))
            for e in s.edges.values():
                t.add_row(e.name, "edge", ", ".join(f"{a}->{b}" for a, b in e.endpoints), str(len(e.properties)))
            console.print(t)
            return
        spec = s.nodes.get(type_name) or s.edges.get(type_name)
        if spec is None:
            spec = s.node(type_name)  # raises with the valid choices
        t = Table(title=f"{type_name}: {spec.description}")
        for c in ("property", "type", "unit", "description"):
            t.add_column(c)
        for p in spec.properties.values():
            t.add_row(p.name, ladybug_type(p) + (" *" if p.required else ""), p.unit or "", p.description)
        console.print(t)

    run_cli(go)


@schema_app.command("ddl")
def schema_ddl(
    dialect: Annotated[str, typer.Option("--dialect", "-d", help="neo4j, ladybug or docs (Markdown reference)")] = "neo4j",
) -> None:
    """Print DDL generated from the schema (or the Markdown reference with --dialect docs).

    Example: varkg schema ddl --dialect neo4j > constraints.cypher
    """
    from varkg.schema.ddl import ddl
    from varkg.schema.docs import schema_markdown

    if dialect == "docs":
        print(schema_markdown())
        return
    if dialect not in ("neo4j", "ladybug"):
        raise fail(f"unknown dialect {dialect!r}; expected neo4j, ladybug or docs", 2)
    for stmt in ddl(dialect):  # type: ignore[arg-type]
        print(stmt + ";")


# ---------------------------------------------------------------------------- query
def parse_params(pairs: list[str] | None) -> dict[str, Any]:
    """``k=v`` pairs to a parameter dict; values parse as JSON when they can (numbers, lists)."""
    out: dict[str, Any] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise VarkgError(f"parameter {pair!r} is not KEY=VALUE")
        k, v = pair.split("=", 1)
        try:
            out[k] = json.loads(v)
        except json.JSONDecodeError:
            out[k] = v
    return out


def print_table(table, fmt: str) -> None:
    """Print an Arrow table as a rich table, CSV or JSON lines."""
    import pyarrow.csv as pacsv

    if fmt == "json":
        for row in table.to_pylist():
            print(json.dumps(row, default=str))
        return
    if fmt == "csv":
        safe = table
        try:
            pacsv.write_csv(safe, sys.stdout.buffer)
        except Exception:  # list columns: fall back to JSON cells
            import csv

            w = csv.writer(sys.stdout)
            w.writerow(table.column_names)
            for row in table.to_pylist():
                w.writerow([json.dumps(v) if isinstance(v, (list, dict)) else v for v in row.values()])
        return
    t = Table(show_lines=False)
    for c in table.column_names:
        t.add_column(c, overflow="fold")
    for row in table.to_pylist():
        cells = []
        for v in row.values():
            if isinstance(v, list) and len(v) > 8:
                v = f"[{len(v)} values]"
            cells.append("" if v is None else str(v))
        t.add_row(*cells)
    console.print(t)
    console.print(f"[dim]{table.num_rows} row(s)[/]")


@app.command()
def query(
    cypher: Annotated[str | None, typer.Argument(help="Cypher text, or the name of a library query (see --list).")] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="Query parameter KEY=VALUE (JSON values allowed); repeatable.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv or json")] = "table",
    write: Annotated[bool, typer.Option("--write", help="Allow write clauses (CREATE, MERGE, SET, DELETE...).")] = False,
    list_: Annotated[bool, typer.Option("--list", help="List the named queries of the Cypher library.")] = False,
) -> None:
    """Run Cypher (read-only unless --write) or a named library query.

    Examples:
      varkg query "MATCH (g:Gene) RETURN g.symbol LIMIT 5"
      varkg query "MATCH (g:Gene {symbol: $s}) RETURN g.id" --param s=TP53 --format json
    """
    if fmt not in ("table", "csv", "json"):
        raise fail(f"unknown format {fmt!r}; expected table, csv or json", 2)

    def go() -> None:
        library = _query_library()
        if list_:
            if library is None:
                console.print("no query library installed")
                return
            t = Table(title="Cypher library")
            t.add_column("name")
            t.add_column("parameters")
            t.add_column("description")
            for q in library.all_queries():
                t.add_row(q.name, ", ".join(f"{p.name}: {p.type}" for p in q.parameters), q.description)
            console.print(t)
            return
        if not cypher:
            raise VarkgError("give a Cypher query or a library query name (see `varkg query --list`)")
        params = parse_params(param)
        with cli_store(read_only=not write) as store:
            if library is not None and library.has(cypher):
                table = library.run(store, cypher, params)  # the text for this store's dialect
            else:
                table = store.execute(cypher, params) if write else store.query(cypher, params)
        print_table(table, fmt)

    run_cli(go)


def _query_library():
    try:
        return importlib.import_module("varkg.cypher.library")
    except ModuleNotFoundError:
        return None


# ---------------------------------------------------------------------------- load
@app.command()
def load(
    name: Annotated[str | None, typer.Argument(help="Registered loader name (see --list).")] = None,
    paths: Annotated[list[Path] | None, typer.Argument(help="Input files.")] = None,
    assembly: Annotated[
        str | None, typer.Option("--assembly", "-a", help="Assembly of the coordinates (GRCh38, GRCh37, Sscrofa11.1...).")
    ] = None,
    option: Annotated[
        list[str] | None, typer.Option("--option", "-o", help="Loader option KEY=VALUE; repeatable (see the loader's help).")
    ] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", help="Dataset name (default: first file name).")] = None,
    reference: Annotated[
        Path | None, typer.Option("--reference", "-r", help="Reference FASTA for allele checks and sequence.")
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List registered loaders.")] = False,
    describe: Annotated[
        bool, typer.Option("--describe", help="Show loader NAME's options (KEY, type, meaning) and an example.")
    ] = False,
    atomic: Annotated[
        str,
        typer.Option(
            "--atomic",
            help="load: one transaction for the whole load (default; memory grows ~0.5 KiB per row); "
            "batch: check the whole input first (spooled to disk), then commit in groups of --commit-rows "
            "(bounded memory for huge files).",
        ),
    ] = "load",
    commit_rows: Annotated[
        int,
        typer.Option(
            "--commit-rows", min=1, help="With --atomic batch: rows per transaction (smaller = less memory, slower commits)."
        ),
    ] = 100_000,
) -> None:
    """Load files with a registered loader, with progress and a Dataset provenance record.

    Loading the same files again changes nothing.

    Examples:
      varkg load --list
      varkg load --describe hic                 # the options of one loader
      varkg load annotation gencode.gtf.gz --assembly GRCh38
      varkg load vcf calls.vcf.gz --assembly GRCh38 --reference hg38.fa.gz
      varkg load vcf big.vcf.gz --assembly GRCh38 --atomic batch   # bounded memory
    """
    from varkg.loaders.base import get_loader, loader_names

    def go() -> None:
        if list_ or not name:
            t = Table(title="loaders")
            t.add_column("name")
            t.add_column("description")
            for n in loader_names():
                cls = type(get_loader(n))
                doc = cls.description or (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else cls.description
                t.add_row(n, doc or "")
            console.print(t)
            if not list_:
                console.print("usage: varkg load NAME FILES... [--assembly A] [--option k=v]")
            return
        if describe:
            from varkg.loaders.options import loader_example, loader_options

            cls = type(get_loader(name))
            console.print(f"[bold]{name}[/]: {cls.description or (cls.__doc__ or '').strip().splitlines()[0]}")
            t = Table(title=f"options of {name} (--option KEY=VALUE)")
            for c in ("option", "type", "meaning"):
                t.add_column(c)
            for o in loader_options(cls):
                t.add_row(o.name, o.kind, o.help.replace("``", ""))
            console.print(t)
            ex = loader_example(cls)
            if ex:
                console.print(f"example: {ex}")
            return
        if not paths and not getattr(get_loader(name), "accepts_no_paths", False):
            raise VarkgError(f"give the input files for loader {name!r}")
        from varkg.loaders.run import load as run_load

        ref = None
        if reference is not None:
            mod = importlib.import_module("varkg.loaders.reference")
            ref = mod.open_reference(reference, assembly=assembly)
        with cli_store(init=True) as store:
            rep = run_load(
                store,
                name,
                paths or [],
                assembly=assembly,
                options=parse_params(option),
                dataset_name=dataset,
                reference=ref,
                progress=not state.quiet,
                atomic=atomic,  # type: ignore[arg-type]
                commit_rows=commit_rows,
            )
        t = Table(title=f"loaded {rep.dataset_id} in {rep.seconds:.1f} s")
        for c in ("type", "inserted", "updated", "unchanged", "skipped"):
            t.add_column(c, justify="right" if c != "type" else "left")
        for k, v in rep.results.items():
            t.add_row(k, *(f"{v[c]:,}" for c in ("inserted", "updated", "unchanged", "skipped")))
        console.print(t)
        if any(v["skipped"] for v in rep.results.values()):
            console.print("[yellow]some edges were skipped because their endpoints are not in the graph[/]")
        console.print("next: [bold]varkg stats[/] or [bold]varkg query --list[/]")

    run_cli(go)


@app.command()
def release() -> None:
    """Record a Release node summarising the graph (schema hash, datasets, counts).

    Example: varkg release
    """
    from varkg.provenance import cut_release

    def go() -> None:
        with cli_store() as store:
            r = cut_release(store)
        console.print(f"release [bold]{r['id']}[/] with {len(r['datasets'])} dataset(s)")

    run_cli(go)


# ---------------------------------------------------------------------------- groups
_GROUPS = {
    "lm": "DNA language model: vocabulary, pretraining, embeddings, variant scores, fine-tuning.",
    "gnn": "Graph learning: export, sampling, training, prediction write-back.",
    "causal": "Causal inference: MR, SMR/HEIDI, coloc, fine-mapping, do-queries.",
    "neo4j": "Neo4j: apply constraints, bulk-import CSVs.",
    "popgen": "Population genetics: LD (r², D′ and its interval), LD blocks, Fst, selection scans (iHS, nSL, XP-EHH).",
    "breed": "Breeding: mixed-model GWAS, genomic selection (GBLUP, BayesCπ), breeding-chip design.",
    "enrich": "",
    "interpret": "Interpretation: in-silico mutagenesis, attributions, eQTL support, embedding maps.",
    "spark": "The genotype pipeline on Spark (Hail) and Neo4j loading through the Spark connector.",
    "demo": "",
    "explore": "",
    "fetch": "",
}


def _register_groups() -> None:
    for group in _GROUPS:
        modname = f"varkg.cli.{group}"
        try:
            mod = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            if exc.name == modname:
                continue
            raise
        if hasattr(mod, "app"):
            app.add_typer(mod.app, name=group, help=_GROUPS[group] or None)
        elif hasattr(mod, "register"):
            mod.register(app)


_register_groups()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
