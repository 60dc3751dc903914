"""elements loader: cCRE BED, IN_ELEMENT with motif disruption, REGULATES, malformed BED."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pytest

from varkg.errors import InputError
from varkg.loaders.run import load

DATA = Path(__file__).resolve().parents[1] / "data" / "loaders2"
CCRE = "regulatory/encode_ccre_v4_chr20_sample.bed.gz"
CHR2 = "reference/hg38_chr2_1-2333275.fa.gz"


def test_ccre_accessions_classes_and_counts(shared_data, ladybug_store):
    rows = [line.rstrip("\n").split("\t") for line in gzip.open(shared_data / CCRE, "rt")]
    load(ladybug_store, "elements", [shared_data / CCRE], assembly="GRCh38", progress=False)
    t = ladybug_store.query(
        "MATCH (e:RegulatoryElement) RETURN e.id AS id, e.ccre_class AS c, e.start AS s, e.stop AS e, e.kind AS k"
    )
    got = {r["id"]: r for r in t.to_pylist()}
    assert len(got) == len(rows) == 2755
    first = rows[0]
    assert got[first[3]]["s"] == int(first[1]) and got[first[3]]["e"] == int(first[2]) and got[first[3]]["c"] == first[9]
    pls = [r for r in rows if r[9] == "PLS"]
    assert all(got[r[3]]["k"] == "promoter" for r in pls)
    # reload is idempotent
    rep = load(ladybug_store, "elements", [shared_data / CCRE], assembly="GRCh38", progress=False)
    assert rep.results["RegulatoryElement"]["inserted"] == 0


def test_regulates_nearest_tss_within_window(shared_data, ladybug_store):
    genes = pa.table(
        {
            "id": ["G_PLUS", "G_MINUS", "G_FAR"],
            "assembly": ["GRCh38"] * 3,
            "chrom": ["20"] * 3,
            "start": [9_560_000, 9_540_000, 1_000],
            "stop": [9_570_000, 9_550_100, 2_000],
            "strand": ["+", "-", "+"],
            "tss": [9_560_000, 9_550_099, 1_000],
        }
    )
    ladybug_store.upsert_nodes("Gene", genes)
    load(ladybug_store, "elements", [shared_data / CCRE], assembly="GRCh38", progress=False, options={"window": 20_000})
    t = ladybug_store.query(
        "MATCH (e:RegulatoryElement)-[r:REGULATES]->(g:Gene) RETURN e.start AS s, e.stop AS e, g.id AS g, r.distance AS d, "
        "r.evidence AS ev"
    ).to_pylist()
    assert t and {r["g"] for r in t} <= {"G_PLUS", "G_MINUS"}
    for r in t:
        tss = 9_560_000 if r["g"] == "G_PLUS" else 9_550_099
        other = 9_550_099 if r["g"] == "G_PLUS" else 9_560_000
        gap = lambda x, r=r: 0 if r["s"] <= x < r["e"] else min(abs(r["s"] - x), abs(x - r["e"] + 1))  # noqa: E731
        assert gap(tss) <= gap(other) and abs(r["d"]) == gap(tss) <= 20_000
        assert r["ev"] == "nearest_tss"


def test_in_element_with_motif_disruption(shared_data, ladybug_store, tmp_path):
    """A SNV that breaks the best CTCF position of a known chr2 site lowers the MA0139.2 score."""
    import pyfaidx

    bed = tmp_path / "ctcf_chr2.bed"
    bed.write_text("chr2\t18831\t18849\tCTCF_known1\t.\t+\n")
    fa = pyfaidx.Fasta(str(shared_data / CHR2))
    # MA0139.2 hits chr2:18832 (+), 15 bp; its most informative column is 7 (G, 903 of 909)
    pos0 = 18_832 + 7
    ref = fa["chr2"][pos0 : pos0 + 1].seq.upper()
    assert ref == "G"
    variants = pa.table(
        {
            "id": [f"GRCh38:2:{pos0 + 1}:G:T", "GRCh38:2:5000:A:C"],
            "assembly": ["GRCh38"] * 2,
            "chrom": ["2", "2"],
            "pos": [pos0 + 1, 5000],
            "ref": ["G", "A"],
            "alt": ["T", "C"],
        }
    )
    ladybug_store.upsert_nodes("Variant", variants)
    load(
        ladybug_store,
        "elements",
        [bed],
        assembly="GRCh38",
        progress=False,
        options={"kind": "CTCF", "motifs": "MA0139.2", "reference": str(shared_data / CHR2)},
    )
    t = ladybug_store.query(
        "MATCH (v:Variant)-[r:IN_ELEMENT]->(e:RegulatoryElement) RETURN v.id AS v, e.id AS e, r.motif_id AS m, "
        "r.motif_delta AS d, r.ref_score AS rs, r.alt_score AS a"
    ).to_pylist()
    assert len(t) == 1 and t[0]["v"] == f"GRCh38:2:{pos0 + 1}:G:T" and t[0]["e"] == "GRCh38:2:18831-18849"
    assert t[0]["m"] == "MA0139.2" and t[0]["d"] < -5 and t[0]["d"] == pytest.approx(t[0]["a"] - t[0]["rs"])


@pytest.mark.parametrize(
    ("name", "line", "field", "match"),
    [
        ("bad_end_before_start.bed", 2, "end", "end 250 < start 300"),
        ("bad_nonnumeric.bed", 2, "start", "non-integer start 'abc'"),
    ],
)
def test_malformed_bed_loads_nothing(ladybug_store, name, line, field, match):
    with pytest.raises(InputError, match=match) as exc:
        load(ladybug_store, "elements", [DATA / name], assembly="GRCh38", progress=False)
    assert exc.value.line == line and exc.value.field == field and exc.value.path.endswith(name)
    assert ladybug_store.query("MATCH (e:RegulatoryElement) RETURN count(e) AS n").column("n")[0].as_py() == 0
