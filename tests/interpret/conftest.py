"""Fixtures of the interpretation tests: the real GO, gene-set and gene-info files."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def go_files(shared_data):
    """``(parents, terms, gene2go)`` paths of the real GO hierarchy and Entrez annotations."""
    paths = (
        shared_data / "networks" / "GO_term_parents_2022-07-01.tsv.gz",
        shared_data / "text" / "GO_terms_with_definitions_2022-07-01.tsv.gz",
        shared_data / "networks" / "orgHsEgDb_gene2go.tsv.gz",
    )
    for p in paths:
        if not p.exists():
            pytest.skip(f"{p} is absent")
    return paths


@pytest.fixture(scope="session")
def go_dag(go_files):
    from varkg.interpret.go import read_go_parents

    return read_go_parents(go_files[0], terms=go_files[1])
