"""Fixtures shared by the LM tests: tiny models, random DNA, tiny FASTA files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def random_dna(n: int, *, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    return "".join(rng.choice(list("ACGT"), size=n))


def write_fasta(path: Path, records: dict[str, str], *, width: int = 60) -> Path:
    with open(path, "w") as fh:
        for name, seq in records.items():
            fh.write(f">{name}\n")
            for i in range(0, len(seq), width):
                fh.write(seq[i : i + width] + "\n")
    return path


def tiny_mlm(vocab_size: int = 10, *, seed: int = 0, **overrides):
    import torch

    from varkg.lm.modeling import VarkgDnaConfig, VarkgDnaForMaskedLM

    torch.manual_seed(seed)
    cfg = VarkgDnaConfig.from_size("tiny", vocab_size=vocab_size, hidden_dropout_prob=0.0, **overrides)
    return VarkgDnaForMaskedLM(cfg).eval()


@pytest.fixture
def dna():
    """Factory: ``dna(n, seed=0)`` random ACGT string."""
    return random_dna


@pytest.fixture
def fasta_file():
    """Factory: ``fasta_file(path, {name: seq})`` writes a FASTA and returns its path."""
    return write_fasta


@pytest.fixture
def mlm():
    """Factory: ``mlm(vocab_size=10, seed=0, **config)`` tiny varkg masked LM in eval mode."""
    return tiny_mlm
