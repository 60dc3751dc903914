"""The GUE benchmark's per-run fine-tuning cap, derived from the 20-minute task budget."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_gue.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_gue", BENCH)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_cap_fills_the_budget_from_a_cached_checkpoint_and_leaves_room_for_pretraining() -> None:
    bench = _bench()
    cached = bench.finetune_budget(task_budget_s=1200.0, n_runs=4, pretrain_s=0.0)
    built = bench.finetune_budget(task_budget_s=1200.0, n_runs=4, pretrain_s=300.0)
    assert cached == pytest.approx(231.8)
    assert built == pytest.approx(163.6)
    # the worst case (every run overrunning by the allowance) still fits the budget with its margin
    for cap, pre in ((cached, 0.0), (built, 300.0)):
        assert pre + bench.KMER_RESERVE_S + 4 * cap * bench.OVERRUN <= 0.9 * 1200.0 + 1e-6


def test_no_room_left_is_an_error_that_says_what_to_pass() -> None:
    bench = _bench()
    with pytest.raises(SystemExit, match="--finetune-seconds"):
        bench.finetune_budget(task_budget_s=300.0, n_runs=4, pretrain_s=300.0)


def test_probe_time_comes_out_of_the_fine_tuning_runs_and_the_grid_parses() -> None:
    bench = _bench()
    before = bench.finetune_budget(task_budget_s=1200.0, n_runs=4, pretrain_s=0.0)
    after = bench.finetune_budget(task_budget_s=1200.0, n_runs=4, pretrain_s=0.0, spent_s=150.0)
    assert after == pytest.approx(before - 150.0 / 4 / bench.OVERRUN, abs=0.1)
    assert 150.0 + bench.KMER_RESERVE_S + 4 * after * bench.OVERRUN <= 0.9 * 1200.0 + 1e-6
    grid = bench.parse_grid("meanmax+rc,bins,probe")
    assert grid == {"meanmax+rc": ("meanmax", True), "bins": ("bins", False), "probe": ("probe", True)}
    with pytest.raises(SystemExit, match="'probe'"):
        bench.parse_grid("probe+rc")
