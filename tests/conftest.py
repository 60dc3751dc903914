"""Shared fixtures: real data location, temporary stores (Ladybug always, Neo4j when configured)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SHARED_DATA = Path(os.environ.get("VARKG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Do not collect the conftest files as doctest modules (``--doctest-modules`` in pyproject.toml
    is for varkg/): they hold no doctests, and importing several ``conftest.py`` from directories
    without ``__init__.py`` as modules clashes on the shared name. Loading them as conftests is
    unaffected."""
    return True if collection_path.name == "conftest.py" else None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (or ``$VARKG_SHARED_DATA``); tests that need it skip where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data directory {SHARED_DATA} is absent (set VARKG_SHARED_DATA)")
    return SHARED_DATA


def _store_params():
    params = [pytest.param("ladybug", id="ladybug")]
    params.append(pytest.param("neo4j", id="neo4j", marks=pytest.mark.neo4j))
    return params


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory):
    """A live Neo4j Community server for the whole session: ``$VARKG_NEO4J_URI`` when set (with
    ``NEO4J_PASSWORD``), else one started here from the Maven Central jars on free loopback ports
    (``tools/neo4j/lib``; ``make test`` resolves them). Yields ``(uri, server or None)``; skips only
    where Java or the jars are truly absent."""
    uri = os.environ.get("VARKG_NEO4J_URI")
    if uri:
        yield uri, None
        return
    from varkg.errors import StoreUnavailable
    from varkg.store.neo4j_server import Neo4jServer, NeoServerConfig, free_port, java_binary, lib_ready

    try:
        java_binary()
    except StoreUnavailable as exc:
        pytest.skip(str(exc))
    if not lib_ready():
        pytest.skip("the Neo4j jars are not in tools/neo4j/lib (run `make neo4j-lib`: Maven resolves them from Maven Central)")
    password = os.environ.get("NEO4J_PASSWORD") or "varkg-test-" + os.urandom(6).hex()
    cfg = NeoServerConfig(
        data=tmp_path_factory.mktemp("neo4j"),
        bolt=f"127.0.0.1:{free_port()}",
        http=f"127.0.0.1:{free_port()}",
        heap="1g",
        pagecache="256m",
    )
    server = Neo4jServer(cfg, password=password)
    old = os.environ.get("NEO4J_PASSWORD")
    os.environ["NEO4J_PASSWORD"] = password
    server.start()
    try:
        yield server.uri, server
    finally:
        server.stop()
        if old is None:
            os.environ.pop("NEO4J_PASSWORD", None)


@pytest.fixture
def neo4j_store(neo4j_server):
    """A fresh, initialised, empty Neo4j store on the session's live server."""
    from varkg.store import open_store

    store = open_store(neo4j_server[0])
    _wipe(store)
    store.init_schema()
    yield store
    store.close()


def _wipe(store) -> None:
    """Delete every node and relationship in bounded transactions (indexes and constraints stay)."""
    while store.execute("MATCH (n) WITH n LIMIT 20000 DETACH DELETE n RETURN count(*) AS n").column("n")[0].as_py():
        pass


@pytest.fixture(params=_store_params())
def any_store(request, tmp_path):
    """A fresh, initialised store of each backend (Neo4j: the session's live server)."""
    if request.param == "neo4j":
        store = request.getfixturevalue("neo4j_store")
        yield store
        return
    from varkg.store import open_store

    store = open_store(tmp_path / "graph.db")
    store.init_schema()
    yield store
    store.close()


@pytest.fixture
def ladybug_store(tmp_path):
    """A fresh, initialised embedded store."""
    from varkg.store import open_store

    store = open_store(tmp_path / "graph.db")
    store.init_schema()
    yield store
    store.close()


@pytest.fixture(scope="session")
def planted_tata():
    """Labelled sequences for classifier tests: ``make(rng, n, name)`` gives ``n`` 24-bp random A/C/G
    sequences, every second one (label 1) with TATA planted at a random offset."""
    import numpy as np

    from varkg.lm.data import LabelledSequences

    def make(rng: np.random.Generator, n: int, name: str) -> LabelledSequences:
        seqs, labels = [], []
        for i in range(n):
            s = "".join(rng.choice(list("ACG"), size=24))
            y = i % 2
            if y:
                at = int(rng.integers(0, 20))
                s = s[:at] + "TATA" + s[at + 4 :]
            seqs.append(s)
            labels.append(y)
        return LabelledSequences(seqs, np.array(labels), name)

    return make


@pytest.fixture(scope="session")
def variant_nodes():
    """``make(ids, **extra)``: a Variant node table for ``assembly:chrom:pos:ref:alt`` ids (fields
    split from the id), plus any extra columns (e.g. ``rsid=[...]``)."""
    import pyarrow as pa

    def make(ids: list[str], **extra: list) -> pa.Table:
        parts = [i.split(":") for i in ids]
        cols = {
            "id": ids,
            "assembly": [p[0] for p in parts],
            "chrom": [p[1] for p in parts],
            "pos": [int(p[2]) for p in parts],
            "ref": [p[3] for p in parts],
            "alt": [p[4] for p in parts],
        }
        return pa.table({**cols, **extra})

    return make


@pytest.fixture(scope="session")
def tiny_lm():
    """``train(out, *, window_bp, steps, warmup_steps, sequences=(), fasta_paths=())``: pretrain a tiny
    single-nucleotide masked LM (hidden 64, intermediate 128; batch 64, lr 3e-3, seed 0, rc 0.5) into
    ``out`` on CPU and return ``(model, tokenizer)`` loaded back from the checkpoint."""
    from collections.abc import Sequence
    from typing import Any

    from varkg.lm.pretrain import PretrainConfig, pretrain
    from varkg.lm.runtime import load_masked_lm
    from varkg.lm.tokenizer import single_nucleotide_tokenizer

    def train(
        out: Path,
        *,
        window_bp: int,
        steps: int,
        warmup_steps: int,
        sequences: Sequence[str] = (),
        fasta_paths: Sequence[Path] = (),
    ) -> tuple[Any, Any]:
        cfg = PretrainConfig(
            size="tiny",
            window_bp=window_bp,
            steps=steps,
            batch_size=64,
            lr=3e-3,
            seed=0,
            save_every=10**6,
            warmup_steps=warmup_steps,
            rc_prob=0.5,
            model_overrides={"hidden_size": 64, "intermediate_size": 128},
        )
        tok = single_nucleotide_tokenizer()
        pretrain(out=out, tokenizer=tok, cfg=cfg, sequences=sequences, fasta_paths=fasta_paths, quiet=True)
        model, tok, _ = load_masked_lm(out, device="cpu")
        return model, tok

    return train


# ---------------------------------------------------------------- chr20 1000 Genomes and plink1.9

KGP = "variants/kgp_chr20_1-4Mb_reference.vcf.gz"


@pytest.fixture(scope="session")
def kgp_vcf(shared_data) -> Path:
    """The real 1000 Genomes chr20 VCF the popgen tests read."""
    return shared_data / KGP


PANEL = "variants/1000G_phase3_integrated_call_samples.panel"


def plink_binary() -> str | None:
    return shutil.which("plink1.9") or shutil.which("plink")


@pytest.fixture(scope="session")
def plink() -> str:
    exe = plink_binary()
    if exe is None:
        pytest.skip("plink1.9 is not installed (apt-get install -y plink1.9; `make system-tools` does it)")
    return exe


@pytest.fixture(scope="session")
def run_plink(plink):
    """``run_plink(*args)``: plink1.9 on one thread; raises with its log on failure."""

    def run(*args: str) -> None:
        r = subprocess.run([plink, "--threads", "1", "--allow-no-sex", *args], capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError(f"plink1.9 {' '.join(args)} failed:\n{r.stdout[-2000:]}")

    return run


@pytest.fixture(scope="session")
def kgp_artifacts(shared_data, tmp_path_factory) -> Path:
    """The chr20 VCF loaded by the real VCF loader with genotypes on: its ``.genotypes.npy``."""
    from varkg.loaders.base import LoadContext, get_loader

    out = tmp_path_factory.mktemp("kgp_artifacts")
    ctx = LoadContext(assembly="GRCh37", artifacts_dir=out, options={"consequences": "none"})
    for _ in get_loader("vcf").frames([shared_data / KGP], context=ctx):
        pass
    return Path(ctx.artifacts[0])


@pytest.fixture(scope="session")
def kgp(kgp_artifacts, shared_data):
    """The chr20 genotypes (300 Europeans x 24,990 variants) with the 1000 Genomes panel."""
    from varkg.popgen.genotypes import read_vcf_artifacts

    return read_vcf_artifacts(kgp_artifacts, panel=shared_data / PANEL, vcf=shared_data / KGP)
