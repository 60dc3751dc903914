"""hic loader: TAD boundaries equal insulation minima computed independently; bad resolution."""

from __future__ import annotations

import numpy as np
import pytest

from varkg.errors import InputError
from varkg.loaders.run import load

YEAST = "hic/yeast_10kb.cool"
W = 5  # bins (window=50000 at 10 kb)
STRENGTH = 0.1


def _independent_boundaries(path) -> set[tuple[str, int]]:
    """Insulation by explicit loops over the dense balanced matrix of each chromosome."""
    import cooler

    c = cooler.Cooler(str(path))
    out = set()
    for chrom in c.chromnames:
        m = c.matrix(balance=True).fetch(chrom)
        n = len(m)
        valid = np.isfinite(np.diag(m)) | np.isfinite(m).any(axis=0)
        weights = c.bins().fetch(chrom)["weight"].to_numpy()
        valid = np.isfinite(weights)
        ins = np.full(n, np.nan)
        for i in range(n):
            if not valid[i]:
                continue
            vals = [
                m[j, k] if np.isfinite(m[j, k]) else 0.0
                for j in range(max(0, i - W), i)
                for k in range(i + 1, min(n, i + W + 1))
                if valid[j] and valid[k]
            ]
            if vals:
                ins[i] = np.mean(vals)
        pos = ins[np.isfinite(ins) & (ins > 0)]
        if not pos.size:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            li = np.where(ins > 0, np.log2(ins / np.median(pos)), np.nan)
        starts = c.bins().fetch(chrom)["start"].to_numpy()
        for i in range(1, n - 1):
            x, a, b = li[i], li[i - 1], li[i + 1]
            if not (np.isfinite(x) and np.isfinite(a) and np.isfinite(b) and x < a and x <= b):
                continue
            left = [v for v in li[max(0, i - W) : i] if np.isfinite(v)]
            right = [v for v in li[i + 1 : i + W + 1] if np.isfinite(v)]
            if left and right and min(max(left), max(right)) - x >= STRENGTH:
                out.add((chrom.removeprefix("chr"), int(starts[i])))
    return out


def test_tad_boundaries_match_independent_insulation_minima(shared_data, ladybug_store):
    path = shared_data / YEAST
    load(
        ladybug_store,
        "hic",
        [path],
        assembly="sacCer3",
        progress=False,
        options={"window": W * 10_000, "boundary_strength": STRENGTH},
    )
    t = ladybug_store.query("MATCH (r:ChromatinRegion {kind: 'TAD'}) RETURN r.chrom AS c, r.start AS s").to_pylist()
    got = {(r["c"], r["s"]) for r in t if r["s"] != 0}
    want = _independent_boundaries(path)
    assert len(want) > 50 and got == want
    nb = ladybug_store.query("MATCH (r:ChromatinRegion {kind: 'bin'}) RETURN count(r) AS n").column("n")[0].as_py()
    assert nb == 1226


def test_contacts_obs_exp(shared_data, ladybug_store):
    import cooler

    path = shared_data / YEAST
    load(ladybug_store, "hic", [path], assembly="sacCer3", progress=False, options={"min_obs_exp": 3.0, "links": False})
    t = ladybug_store.query(
        "MATCH (a:ChromatinRegion)-[c:CONTACTS]->(b:ChromatinRegion) "
        "RETURN a.chrom AS ch, a.start AS s1, b.start AS s2, c.balanced AS bal, c.obs_exp AS oe, c.distance AS d LIMIT 3"
    ).to_pylist()
    assert t
    c = cooler.Cooler(str(path))
    for r in t:
        m = c.matrix(balance=True).fetch(f"chr{r['ch']}")
        i, j = r["s1"] // 10_000, r["s2"] // 10_000
        d = j - i
        diag = np.diagonal(m, d)
        exp = np.nansum(diag) / np.isfinite(diag).sum()
        assert (
            r["bal"] == pytest.approx(m[i, j])
            and r["oe"] == pytest.approx(m[i, j] / exp)
            and r["d"] == d * 10_000
            and r["oe"] >= 3
        )


def test_wrong_resolution_is_an_error(shared_data, ladybug_store):
    with pytest.raises(InputError, match="resolution is 10000 bp, expected 5000") as exc:
        load(ladybug_store, "hic", [shared_data / YEAST], assembly="sacCer3", progress=False, options={"resolution": 5000})
    assert exc.value.field == "resolution"
    assert ladybug_store.query("MATCH (r:ChromatinRegion) RETURN count(r) AS n").column("n")[0].as_py() == 0


@pytest.mark.parametrize(
    ("offset", "value", "field"),
    [
        (8976, 57, "bins"),  # h5py RuntimeError "Link iteration failed (bad local heap signature)"
        (17331, 247, "pixels"),  # h5py KeyError "unable to offset into local heap data block"
        (115221, 0, None),  # h5py RuntimeError "Unable to synchronously check link existence" on open
    ],
)
def test_damaged_cool_is_an_input_error(shared_data, ladybug_store, tmp_path, offset, value, field):
    """Regression (benchmarks/fuzz_parsers.py, atheris): one byte changed in the real mm9 .cool made
    h5py raise RuntimeError / KeyError out of the loader instead of an InputError naming the file."""
    data = bytearray((shared_data / "hic/mm9_CN_10000kb.cool").read_bytes())
    data[offset] = value
    path = tmp_path / "damaged.cool"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="the file is damaged|cannot open as HDF5") as exc:
        load(ladybug_store, "hic", [path], assembly="mm9", progress=False, options={"links": False})
    assert exc.value.field == field and exc.value.path == str(path)
    assert ladybug_store.query("MATCH (r:ChromatinRegion) RETURN count(r) AS n").column("n")[0].as_py() == 0
