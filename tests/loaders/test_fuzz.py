"""Fuzzed parsers: mutations of real file heads (VCF, GTF, BED, narrowPeak, GMT, GWAS table, GWAS
Catalog TSV) and truncated / byte-flipped real .cool files, drawn by hypothesis.
Every input either loads or raises a VarkgError naming the file, and a failed load leaves the
graph unchanged (counts and fingerprint). ``VARKG_FUZZ_EXAMPLES`` sets inputs per parser
(default 8; the figures in docs/reliability.md used more)."""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from varkg.errors import VarkgError
from varkg.fuzzing import TARGETS, TEXT_TARGETS
from varkg.loaders.run import load
from varkg.store import open_store
from varkg.store.fingerprint import graph_fingerprint

EXAMPLES = int(os.environ.get("VARKG_FUZZ_EXAMPLES", "8"))
STATS: Counter[str] = Counter()

COOL = TARGETS["cool"]
COOL_EXAMPLES = max(2, EXAMPLES // 2)


_junk = st.one_of(
    st.binary(max_size=12),
    st.text(max_size=12).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.sampled_from(
        [
            b"",
            b".",
            b"-1",
            b"NaN",
            b"inf",
            b"1e999",
            b"\t",
            b"\n",
            b"\r\n",
            b"\x00",
            b"\xff\xfe",
            b"chrZZ",
            b"99999999999999999999",
            b"A" * 300,
            b";",
            b"=",
            b",",
            b"<DEL>",
            b"*",
            b"\xc3\x28",
        ]
    ),
)
_op = st.tuples(
    st.sampled_from(
        ["del_line", "dup_line", "set_field", "del_field", "add_field", "truncate", "insert", "swap_lines", "spaces"]
    ),
    st.integers(0, 10_000),
    st.integers(0, 50),
    _junk,
)


def mutate(lines: list[bytes], ops: list[tuple[str, int, int, bytes]]) -> bytes:
    lines = list(lines)
    for op, i, j, junk in ops:
        if not lines:
            break
        i %= len(lines)
        fields = lines[i].rstrip(b"\n").split(b"\t")
        j %= len(fields)
        if op == "del_line":
            del lines[i]
        elif op == "dup_line":
            lines.insert(i, lines[i])
        elif op == "swap_lines":
            lines[i], lines[-1] = lines[-1], lines[i]
        elif op == "truncate":
            lines[i] = lines[i][: j % (len(lines[i]) + 1)]
            lines = lines[: i + 1]
        elif op == "insert":
            lines.insert(i, junk + b"\n")
        elif op == "spaces":
            lines[i] = lines[i].replace(b"\t", b" ")
        else:
            if op == "set_field":
                fields[j] = junk
            elif op == "del_field":
                del fields[j]
            else:
                fields.insert(j, junk)
            lines[i] = b"\t".join(fields) + b"\n"
    return b"".join(lines)


@pytest.fixture(scope="module")
def fuzz_store(shared_data, tmp_path_factory):
    """A store with the GENCODE chr20 sample loaded (genes for the GMT symbols to map to)."""
    path = tmp_path_factory.mktemp("fuzz") / "g.db"
    store = open_store(str(path))
    store.init_schema()
    load(store, "annotation", [shared_data / "annotation/gencode_v43_sample_chr20.gtf.gz"], assembly="GRCh38", progress=False)
    yield store
    store.close()
    print(json.dumps({"fuzz": dict(sorted(STATS.items()))}))


@pytest.mark.parametrize("parser", sorted(TEXT_TARGETS))
def test_mutated_inputs_load_or_fail_cleanly(parser, shared_data, fuzz_store, tmp_path_factory):
    target = TARGETS[parser]
    lines = target.seed_lines(shared_data)
    work = tmp_path_factory.mktemp(f"fuzz-{parser}")
    state = {"fp": graph_fingerprint(fuzz_store), "i": 0}

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(ops=st.lists(_op, min_size=1, max_size=6))
    def check(ops):
        state["i"] += 1
        f = work / f"in{state['i']}{target.suffix}"
        f.write_bytes(mutate(lines, ops))
        _load_or_fail_cleanly(fuzz_store, parser, target, f, state)

    check()


def _load_or_fail_cleanly(store, parser, target, f, state) -> None:
    """The invariant: ``f`` loads, or a VarkgError names it and the graph is unchanged."""
    STATS[f"{parser}_tried"] += 1
    try:
        load(store, target.loader, [f], assembly=target.assembly, options=dict(target.options), progress=False)
    except VarkgError as exc:
        STATS[f"{parser}_rejected"] += 1
        assert str(f) in str(exc) or f.name in str(exc), f"error does not name the file: {exc}"
        if f"{f}:" in str(exc):  # file:line
            STATS[f"{parser}_rejected_with_line"] += 1
        assert graph_fingerprint(store) == state["fp"], "a failed load changed the graph"
    else:
        STATS[f"{parser}_loaded"] += 1
        state["fp"] = graph_fingerprint(store)


def corrupt(data: bytes, cut: int | None, flips: list[tuple[int, int]]) -> bytes:
    """``data`` truncated to ``cut`` bytes (None: whole) with byte ``i`` XORed by ``x`` per flip."""
    out = bytearray(data if cut is None else data[: cut % (len(data) + 1)])
    for i, x in flips:
        if out:
            out[i % len(out)] ^= x
    return bytes(out)


def test_corrupted_cool_loads_or_fails_cleanly(shared_data, fuzz_store, tmp_path_factory):
    """A real .cool (HDF5) truncated anywhere and/or with bytes flipped anywhere."""
    data = COOL.seed_bytes(shared_data)
    work = tmp_path_factory.mktemp("fuzz-cool")
    state = {"fp": graph_fingerprint(fuzz_store), "i": 0}

    @settings(max_examples=COOL_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(
        cut=st.one_of(st.none(), st.integers(0, len(data))),
        flips=st.lists(st.tuples(st.integers(0, len(data)), st.integers(1, 255)), max_size=8),
    )
    def check(cut, flips):
        state["i"] += 1
        f = work / f"in{state['i']}.cool"
        f.write_bytes(corrupt(data, cut, flips))
        _load_or_fail_cleanly(fuzz_store, "cool", COOL, f, state)

    check()
