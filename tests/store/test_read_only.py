"""Read-only for real: `varkg query` without --write opens the embedded store in Ladybug's read-only
mode, and write or file-reading attempts, however spelled, are refused with the graph's fingerprint
(counts + a hash of every table) unchanged and no file content returned."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from varkg.errors import ReadOnlyError, VarkgError
from varkg.loaders.run import load
from varkg.store import open_store
from varkg.store.fingerprint import graph_fingerprint

SECRET = "varkg-secret-7f3a"


def attacks(tmp: str) -> list[str]:
    """Write and file-read attempts: mixed case, comments, unicode escapes and look-alikes,
    concatenation, several statements, procedure calls, transactions, other databases."""
    secret = f"{tmp}/secret.csv"
    return [
        "CREATE (:Gene {id: 'ENSG_EVIL', symbol: 'EVIL'})",
        "cReAtE (:Gene {id: 'ENSG_EVIL'})",
        "MATCH (g:Gene) /* harmless */ SET g.symbol = 'x'",
        "MATCH (g:Gene) // comment\n DETACH DELETE g",
        "MATCH (g:Gene)\tWITH g LIMIT 1 MERGE (:Gene {id: g.id + '_x'})",
        "MATCH (g:Gene) RETURN g.id LIMIT 1; CREATE (:Gene {id: 'ENSG_EVIL'})",
        "\\u0043REATE (:Gene {id: 'ENSG_EVIL'})",
        "\uff23\uff32\uff25\uff21\uff34\uff25 (:Gene {id: 'ENSG_EVIL'})",  # fullwidth letters
        "CRE\u200bATE (:Gene {id: 'ENSG_EVIL'})",  # zero-width space inside the keyword
        "CREATE\x00 (:Gene {id: 'ENSG_EVIL'})",
        "MATCH (g:Gene) SET g.symbol = 'CRE' + 'ATE'",
        "MATCH (g:Gene) REMOVE g.symbol",
        "MATCH (g:Gene) DELETE g",
        "DROP TABLE Gene",
        "ALTER TABLE Gene ADD evil STRING",
        "CREATE NODE TABLE Evil(id STRING, PRIMARY KEY(id))",
        "BEGIN TRANSACTION",
        "CHECKPOINT",
        "CALL create_fts_index('Gene', 'evil', ['symbol'])",
        "CALL drop_fts_index('Gene', 'evil')",
        f"LOAD FROM '{secret}' RETURN *",
        f'lOaD/**/fRoM "{secret}" RETURN *',
        f"LOAD WITH HEADERS (a STRING, b STRING) FROM '{secret}' RETURN *",
        f"MATCH (g:Gene) WITH g LIMIT 1 LOAD FROM '{secret}' RETURN *",
        f"LOAD CSV FROM 'file://{secret}' AS row RETURN row",
        f"COPY Gene FROM '{secret}'",
        f"COPY (MATCH (g:Gene) RETURN g.id) TO '{tmp}/out.csv'",
        "INSTALL httpfs",
        "LOAD EXTENSION httpfs",
        f"LOAD EXTENSION '{tmp}/evil.so'",
        f"ATTACH '{tmp}/other.db' AS other (dbtype lbug)",
        "USE other",
        f"EXPORT DATABASE '{tmp}/dump'",
        f"IMPORT DATABASE '{tmp}/dump'",
    ]


@pytest.fixture(scope="module")
def graph(shared_data, tmp_path_factory):
    d = tmp_path_factory.mktemp("ro")
    path = d / "g.db"
    store = open_store(str(path))
    store.init_schema()
    load(store, "annotation", [shared_data / "annotation/gencode_v43_sample_chr20.gtf.gz"], assembly="GRCh38", progress=False)
    fp = graph_fingerprint(store)
    store.close()
    (d / "secret.csv").write_text(f"a,b\n{SECRET},2\n")
    return path, fp


def test_store_query_refuses_every_attempt(graph):
    path, fp = graph
    store = open_store(str(path), read_only=True)
    try:
        tried = attacks(str(path.parent))
        refused = 0
        for q in tried:
            with pytest.raises(VarkgError) as err:
                store.query(q)
            assert SECRET not in str(err.value)
            refused += 1
        assert refused == len(tried) and graph_fingerprint(store) == fp
    finally:
        store.close()
    assert not (path.parent / "out.csv").exists() and not (path.parent / "dump").exists()


def test_read_only_mode_is_the_engines_not_only_the_guard(graph):
    """With the keyword guard bypassed, the read-only database itself refuses every write."""
    path, fp = graph
    store = open_store(str(path), read_only=True)
    try:
        writes = [
            "CREATE (:Gene {id: 'ENSG_EVIL'})",
            "MATCH (g:Gene) SET g.symbol = 'x'",
            "MATCH (g:Gene) DETACH DELETE g",
            "DROP TABLE Gene",
            "CREATE NODE TABLE Evil(id STRING, PRIMARY KEY(id))",
        ]
        for q in writes:
            with pytest.raises(VarkgError, match="read-only"):
                store._run(q)  # noqa: SLF001 - the engine path under the guard
        with pytest.raises(ReadOnlyError):
            store.execute("CREATE (:Gene {id: 'ENSG_EVIL'})")
        assert graph_fingerprint(store) == fp
    finally:
        store.close()


def test_varkg_query_cli_refuses_every_attempt(graph):
    from varkg.cli.main import app

    path, fp = graph
    runner = CliRunner()
    ok = runner.invoke(app, ["--store", str(path), "query", "MATCH (g:Gene) RETURN count(g) AS n", "--format", "json"])
    assert ok.exit_code == 0, ok.output
    for q in attacks(str(path.parent)):
        r = runner.invoke(app, ["--store", str(path), "query", q])
        assert r.exit_code == 1 and "error:" in r.output and SECRET not in r.output, (q, r.output)
        assert "Traceback" not in r.output
    store = open_store(str(path), read_only=True)
    try:
        assert graph_fingerprint(store) == fp
    finally:
        store.close()


def test_property_and_parameter_names_like_keywords_still_query(graph):
    path, _ = graph
    store = open_store(str(path), read_only=True)
    try:
        t = store.query(
            "MATCH (g:Gene) WHERE g.symbol <> $use AND g.id <> $load RETURN g.id AS id LIMIT 2", {"use": "x", "load": "y"}
        )
        assert t.num_rows == 2
    finally:
        store.close()
