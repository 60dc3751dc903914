"""The CLI's shared pieces: the one error wrapper, store closing, and the fixes that came with them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from varkg.cli import _common
from varkg.cli._common import cli_errors, cli_store
from varkg.cli.main import app
from varkg.errors import InputError

runner = CliRunner()


def test_error_messages_are_printed_verbatim() -> None:
    """Behaviour fix: messages went through rich markup, so ``[chrom, pos]`` in a message vanished."""
    demo = typer.Typer()

    @demo.command()
    @cli_errors
    def boom(n: int = 1) -> None:
        raise InputError(f"table lacks [chrom, pos] (got {n})")

    r = runner.invoke(demo, ["--n", "2"])
    assert r.exit_code == 1
    assert "error: table lacks [chrom, pos] (got 2)" in r.output


def test_cli_store_closes_on_error(monkeypatch: pytest.MonkeyPatch) -> None:
    closed = []

    class Fake:
        location = "fake"

        def close(self) -> None:
            closed.append(True)

    monkeypatch.setattr(_common, "open_cli_store", lambda **kw: Fake())
    with pytest.raises(InputError), cli_store() as s:
        assert s.location == "fake"
        raise InputError("inside")
    assert closed == [True]


def _sumstats(path: Path) -> Path:
    pd.DataFrame(
        dict(
            snp=["rs1", "rs2"],
            effect_allele=["A", "C"],
            other_allele=["G", "T"],
            beta=[0.5, 0.3],
            se=[0.05, 0.05],
            gene_id=["G1", "G2"],
        )
    ).to_csv(path, sep="\t", index=False)
    return path


def test_mr_by_an_absent_column_is_a_one_line_error(tmp_path: Path) -> None:
    """Behaviour fix: ``--by`` naming no column raised a KeyError traceback (the groupby ran before the check)."""
    t = _sumstats(tmp_path / "e.tsv")
    r = runner.invoke(app, ["causal", "mr", "--exposure", str(t), "--outcome", str(t), "--by", "probe", "--quiet"])
    assert r.exit_code == 1 and "grouping column 'probe' is not a column" in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)


def test_absent_variant_ids_file_is_a_one_line_error(tmp_path: Path) -> None:
    """Behaviour fix: a missing ``--variant-ids`` file raised FileNotFoundError; now ``no such file`` with the path."""
    t = _sumstats(tmp_path / "e.tsv")
    missing = tmp_path / "ids.txt"
    r = runner.invoke(app, ["causal", "mr", "--exposure", str(t), "--outcome", str(t), "--variant-ids", str(missing), "--quiet"])
    assert r.exit_code == 1 and "no such file" in r.output and "ids.txt" in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)


def test_gnn_commands_report_varkg_errors_in_one_line(tmp_path: Path) -> None:
    """Behaviour fix: ``varkg gnn`` had no error wrapper, so a missing checkpoint was a traceback."""
    pytest.importorskip("torch")
    empty = tmp_path / "ckpt"
    empty.mkdir()
    r = runner.invoke(app, ["gnn", "predict", "--checkpoint", str(empty), "--store", str(tmp_path / "g.db")])
    assert r.exit_code == 1 and "error: checkpoint" in r.output and "does not exist" in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
