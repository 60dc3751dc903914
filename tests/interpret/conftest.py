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


def _tiny_mlm(vocab_size: int = 10, *, seed: int = 0):
    """A tiny varkg masked LM in eval mode (the recipe of tests/lm/conftest.py)."""
    import torch

    from varkg.lm.modeling import VarkgDnaConfig, VarkgDnaForMaskedLM

    torch.manual_seed(seed)
    cfg = VarkgDnaConfig.from_size("tiny", vocab_size=vocab_size, hidden_dropout_prob=0.0)
    return VarkgDnaForMaskedLM(cfg).eval()


@pytest.fixture(scope="session")
def tiny_mlm():
    """Factory: ``tiny_mlm(vocab_size=10, seed=0)``."""
    return _tiny_mlm
