"""``varkg enrich``: over-representation of a gene list, a variant list or the top-N of a score.

Thin over :mod:`varkg.interpret` (selection -> genes -> libraries -> table, dot plot, write-back).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from varkg.cli._common import cli_errors, cli_store, console, state
from varkg.errors import InputError

GRAPH_SETS = ("GO", "KEGG", "Reactome", "MSigDB", "phenotype", "tf")


def _read_list(path: Path) -> list[str]:
    if not path.exists():
        raise InputError(f"list file not found: {str(path)!r}")
    out = []
    for line in path.read_text().splitlines():
        s = line.split("\t")[0].split(",")[0].strip()
        if s and not s.startswith("#"):
            out.append(s)
    return out


def register(app: typer.Typer) -> None:
    """Add the ``enrich`` command to the top-level app."""

    @app.command()
    @cli_errors
    def enrich(
        genes: Annotated[Path | None, typer.Option("--genes", help="Study gene list (one id per line).")] = None,
        variants: Annotated[
            Path | None, typer.Option("--variants", help="Study Variant ids (one per line); mapped to genes in the graph.")
        ] = None,
        top: Annotated[int | None, typer.Option("--top", help="Study = the top N nodes by --score.")] = None,
        score: Annotated[
            str | None, typer.Option("--score", help="Written-back node property ranking --top (e.g. effect_score).")
        ] = None,
        label: Annotated[str, typer.Option("--label", help="Node label carrying --score (Variant or Gene).")] = "Variant",
        ascending: Annotated[bool, typer.Option("--ascending", help="With --top: lowest scores first.")] = False,
        background: Annotated[
            Path | None,
            typer.Option(
                "--background", help="Background list (same kind as the study); default: every node that could be selected."
            ),
        ] = None,
        id_kind: Annotated[
            str, typer.Option("--id-kind", help="Ids of --genes/--background: symbol, entrez or ensembl.")
        ] = "symbol",
        via: Annotated[
            list[str] | None,
            typer.Option("--via", help="Variant->gene edges: AFFECTS, REGULATES, EQTL_OF (repeatable; all by default)."),
        ] = None,
        gmt: Annotated[list[Path] | None, typer.Option("--gmt", help="GMT gene-set file (repeatable).")] = None,
        gene2go: Annotated[
            Path | None, typer.Option("--gene2go", help="Entrez gene2go table (entrez_id go_id evidence ontology).")
        ] = None,
        go_parents: Annotated[
            Path | None, typer.Option("--go-parents", help="GO child/parent TSV or OBO for propagation.")
        ] = None,
        go_terms: Annotated[Path | None, typer.Option("--go-terms", help="GO term names/namespaces TSV.")] = None,
        hpo: Annotated[Path | None, typer.Option("--hpo", help="HPO genes_to_disease.txt.")] = None,
        kegg: Annotated[Path | None, typer.Option("--kegg", help="Entrez -> KEGG table.")] = None,
        graph_sets: Annotated[
            list[str] | None,
            typer.Option("--graph-sets", help=f"Sets read from the graph: {', '.join(GRAPH_SETS)} (repeatable)."),
        ] = None,
        gene_info: Annotated[
            Path | None,
            typer.Option("--gene-info", help="Gene id map (orgHsEgDb_gene_info.tsv.gz); default: the graph's Gene nodes."),
        ] = None,
        alternative: Annotated[str, typer.Option("--alternative", help="greater (one-sided) or two-sided.")] = "greater",
        min_size: Annotated[int, typer.Option("--min-size", help="Smallest set (background genes) tested.")] = 5,
        max_size: Annotated[int, typer.Option("--max-size", help="Largest set tested.")] = 2000,
        out: Annotated[Path, typer.Option("--out", "-o", help="Result TSV.")] = Path("enrichment.tsv"),
        plot: Annotated[Path | None, typer.Option("--plot", help="Dot plot PNG.")] = None,
        write_back: Annotated[
            bool, typer.Option("--write-back", help="Write enrichment_* onto Pathway nodes with a PredictionRun.")
        ] = False,
        use_store: Annotated[
            bool,
            typer.Option(
                "--use-store/--no-store", help="Open the graph (needed for --variants, --top, --graph-sets, --write-back)."
            ),
        ] = True,
    ) -> None:
        """Over-representation (hypergeometric, BH FDR) with an explicit background.

        Examples:
          varkg enrich --genes hits.txt --background tested.txt --gmt h.all.v7.0.symbols.gmt --plot dots.png
          varkg enrich --top 200 --score effect_score --graph-sets GO --graph-sets KEGG --write-back
          varkg --store g.db enrich --variants hits.txt --via AFFECTS --via EQTL_OF --graph-sets GO
        """
        import contextlib

        from varkg.errors import AnalysisError
        from varkg.interpret import genesets as gs
        from varkg.interpret.go import read_go_parents, read_obo
        from varkg.interpret.mapping import all_node_ids, top_scored
        from varkg.interpret.study import genes_from_variants, run_enrichment

        if id_kind not in gs.ID_KINDS:
            raise InputError(f"--id-kind {id_kind!r} is not one of {list(gs.ID_KINDS)}")
        given = [x for x in (genes, variants, top) if x is not None]
        if len(given) != 1:
            raise InputError(f"give exactly one of --genes, --variants, --top (got {len(given)})")
        if top is not None and not score:
            raise InputError("--top needs --score PROPERTY")
        need_store = use_store and (variants is not None or top is not None or graph_sets or write_back or (gene_info is None))
        libs: list[gs.GeneSetLibrary] = [gs.read_gmt(p) for p in gmt or []]
        if gene2go is not None:
            dag = None
            if go_parents is not None:
                dag = read_obo(go_parents) if go_parents.suffix == ".obo" else read_go_parents(go_parents, terms=go_terms)
            libs.append(gs.read_gene2go(gene2go, dag=dag))
        if hpo is not None:
            libs.append(gs.read_hpo(hpo))
        if kegg is not None:
            libs.append(gs.read_kegg(kegg))
        ctx: Any = cli_store(read_only=not write_back) if need_store else contextlib.nullcontext()
        with ctx as store:
            for name in graph_sets or []:
                if name not in GRAPH_SETS:
                    raise InputError(f"--graph-sets {name!r} is not one of {list(GRAPH_SETS)}")
                if name == "phenotype":
                    libs.append(gs.phenotype_sets(store))
                elif name == "tf":
                    libs.append(gs.tf_sets(store))
                else:
                    libs.append(gs.pathway_sets(store, source=name))
            if not libs:
                raise InputError("no gene-set library: give --gmt, --gene2go, --hpo, --kegg or --graph-sets")
            id_map = (
                gs.GeneIdMap.from_gene_info(gene_info)
                if gene_info is not None
                else (gs.GeneIdMap.from_graph(store) if store is not None else None)
            )
            kind: gs.IdKind = id_kind  # type: ignore[assignment]
            mapping = ""
            if genes is not None:
                study = _read_list(genes)
                bg = (
                    _read_list(background)
                    if background is not None
                    else sorted(set().union(*(lib.genes() for lib in libs if lib.id_kind == kind)) | set(study))
                )
                if background is None:
                    mapping = f"{len(study)} {kind} genes; background: every gene annotated in the {kind} libraries ({len(bg)})"
            else:
                if store is None:
                    raise InputError("--variants and --top read the graph: drop --no-store")
                if variants is not None:
                    sel, sel_bg, sel_label = _read_list(variants), None, "Variant"
                else:
                    sel, sel_bg = top_scored(store, label=label, score=score or "", top=top or 0, descending=not ascending)
                    sel_label = label
                if background is not None:
                    sel_bg = _read_list(background)
                if sel_bg is None:
                    sel_bg = all_node_ids(store, sel_label)
                if sel_label == "Variant":
                    vias: Any = tuple(via or ("AFFECTS", "REGULATES", "EQTL_OF"))
                    g_st, g_bg, mapping = genes_from_variants(store, sel, sel_bg, via=vias)
                    study, bg = sorted(g_st), sorted(g_bg)
                elif sel_label == "Gene":
                    study, bg = sel, sel_bg
                    how = f"top {top} by {score}" if top else "given"
                    mapping = f"{len(sel)} Gene nodes ({how}) among {len(sel_bg)}"
                else:
                    raise AnalysisError(f"--label {sel_label!r}: enrichment needs Variant or Gene nodes")
                if top is not None and sel_label == "Variant":
                    mapping = f"top {top} Variant nodes by {score} among {len(sel_bg)} scored; " + mapping
                kind = "ensembl"
            alt: Any = alternative
            res = run_enrichment(
                study,
                bg,
                id_kind=kind,
                libraries=libs,
                id_map=id_map,
                alternative=alt,
                min_size=min_size,
                max_size=max_size,
                mapping=mapping,
            )
            with open(out, "w") as fh:
                fh.write(f"# mapping: {res.mapping}\n")
                res.result.to_csv(fh, sep="\t", index=False)
            if write_back and store is not None:
                rid = run_enrich_writeback(store, res, study=study, background=bg, libs=libs, alternative=alternative)
                console.print(f"wrote enrichment back as run [bold]{rid}[/]")
        if plot is not None:
            from varkg.interpret.plot import enrichment_dotplot

            enrichment_dotplot(res.result, plot)
        n_sig = int((res.result["fdr"] < 0.05).sum()) if len(res.result) else 0
        if not state.quiet:
            console.print(f"mapping: {res.mapping}")
        console.print(f"{len(res.result)} sets tested, {n_sig} at FDR < 0.05 -> {out}" + (f", plot {plot}" if plot else ""))


def run_enrich_writeback(store, res, *, study, background, libs, alternative) -> str:
    """Write back with the parameters that identify the run (hashes of the lists, library names)."""
    import hashlib

    from varkg.interpret.writeback import write_enrichment

    def h(xs) -> str:
        return hashlib.sha256("\n".join(sorted(xs)).encode()).hexdigest()[:16]

    params = {
        "study_sha": h(study),
        "background_sha": h(background),
        "n_study": len(study),
        "n_background": len(background),
        "libraries": [lib.name for lib in libs],
        "alternative": alternative,
        "mapping": res.mapping,
    }
    return write_enrichment(store, res.result, parameters=params)
