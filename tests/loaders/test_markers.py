"""markers loader: the MSUPRP PorcineSNP60 map and genotypes as Variant nodes (ids, allele frequencies, errors)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from varkg.errors import InputError
from varkg.loaders.markers import marker_variant_id
from varkg.loaders.run import load

MAP = "pig/pig_MSUPRP_map.tsv"
GENO = "pig/pig_MSUPRP_geno.tsv.gz"
ASM = "Sscrofa11.1"


def test_chromosome_markers_with_frequencies(shared_data, ladybug_store):
    rep = load(
        ladybug_store,
        "markers",
        [shared_data / MAP, shared_data / GENO],
        assembly=ASM,
        options={"chrom": "11"},
        progress=False,
    )
    mp = pd.read_csv(shared_data / MAP, sep="\t")
    mp = mp[mp["chr"].astype(str) == "11"]
    geno = pd.read_csv(shared_data / GENO, sep="\t", index_col=0, usecols=["animal", *mp["snp"].head(50)])
    got = ladybug_store.query(
        "MATCH (v:Variant) RETURN v.id AS id, v.rsid AS m, v.pos AS pos, v.af AS af, v.ref AS ref ORDER BY id"
    ).to_pandas()
    assert len(got) == len(mp) == 936 and rep.written == 936
    want_ids = {marker_variant_id(ASM, "11", p) for p in mp["pos"]}
    assert set(got["id"]) == want_ids and set(got["ref"]) == {"N"}
    by_marker = got.set_index("m")
    for m in geno.columns:  # coded-allele frequency over called animals, computed independently
        np.testing.assert_allclose(by_marker.loc[m, "af"], geno[m].mean() / 2.0, rtol=0, atol=1e-12)
    again = load(
        ladybug_store, "markers", [shared_data / MAP, shared_data / GENO], assembly=ASM, options={"chrom": "11"}, progress=False
    )
    assert again.written == 0 and ladybug_store.query("MATCH (v:Variant) RETURN count(v) AS n")["n"][0].as_py() == 936


def test_bim_alleles_and_unplaced(shared_data, ladybug_store, tmp_path):
    mp = pd.read_csv(shared_data / MAP, sep="\t").head(5).astype({"pos": int})
    bim = tmp_path / "chip.bim"
    lines = [f"{c}\t{m}\t0\t{p}\tA\tG" for m, c, p in mp.itertuples(index=False)]
    lines.append("0\tUNPLACED1\t0\t0\tC\tT")
    bim.write_text("\n".join(lines) + "\n")
    load(ladybug_store, "markers", [bim], assembly=ASM, progress=False)
    ids = ladybug_store.query("MATCH (v:Variant) RETURN v.id AS id ORDER BY id")["id"].to_pylist()
    assert ids == sorted(f"{ASM}:{c}:{p}:G:A" for _, c, p in mp.itertuples(index=False))


def test_bad_position_and_shared_position(shared_data, ladybug_store, tmp_path):
    rows = (shared_data / MAP).read_text().splitlines()[:4]
    bad = tmp_path / "map.tsv"
    bad.write_text("\n".join([*rows[:3], rows[3].rsplit("\t", 1)[0] + "\t12x4"]) + "\n")
    with pytest.raises(InputError) as e:
        load(ladybug_store, "markers", [bad], assembly=ASM, progress=False)
    assert f"{bad}:4" in str(e.value) and "'12x4'" in str(e.value) and "not a number" in str(e.value)
    twin = tmp_path / "twin.tsv"
    name, chrom, pos = rows[1].split("\t")
    twin.write_text("\n".join([rows[0], rows[1], f"TWIN\t{chrom}\t{pos}"]) + "\n")
    with pytest.raises(InputError, match=f"'{name}' \\(line 2\\) and 'TWIN'"):
        load(ladybug_store, "markers", [twin], assembly=ASM, progress=False)
    assert ladybug_store.query("MATCH (v:Variant) RETURN count(v) AS n")["n"][0].as_py() == 0
