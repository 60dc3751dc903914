"""GenotypeMatrix readers: VCF loader artifacts (+ phase from the VCF), PLINK .bed round trip, MSUPRP TSV, errors."""

from __future__ import annotations

import cyvcf2
import numpy as np
import pytest

from varkg.errors import AnalysisError, InputError
from varkg.popgen.genotypes import GenotypeMatrix, read_msuprp, read_plink


def test_vcf_artifacts_match_cyvcf2_and_panel(kgp, kgp_vcf):
    assert kgp.shape == (300, 24990) and kgp.assembly == "GRCh37"
    assert kgp.variants["id"].iloc[0] == "GRCh37:20:1000226:A:T"
    assert kgp.samples["population"].value_counts().to_dict() == {"IBS": 107, "FIN": 99, "GBR": 91, "CEU": 3}
    rec = next(iter(cyvcf2.VCF(str(kgp_vcf), gts012=True)))
    assert np.array_equal(kgp.dosages(0, 1)[:, 0], rec.gt_types)
    blocks = list(kgp.blocks(size=10_000))
    assert [b.stop - b.start for b in blocks] == [10_000, 10_000, 4_990]
    assert blocks[1].dosages.shape == (300, 10_000)


def test_phased_haplotypes_sum_to_dosage(kgp):
    h = kgp.haplotypes(100, 400)
    d = kgp.dosages(100, 400)
    ok = (h >= 0).all(axis=2)
    assert ok.mean() > 0.99  # the reference VCF is phased
    assert np.array_equal(h.sum(axis=2)[ok], d[ok])


def test_population_selection_and_unknown_population(kgp):
    fin = kgp.select_samples(population="FIN")
    assert fin.n_samples == 99 and set(fin.samples["population"]) == {"FIN"}
    assert fin.dosages(0, 5).shape == (99, 5)
    with pytest.raises(AnalysisError, match="unknown population.*'XXX'.*FIN"):
        kgp.select_samples(population="XXX")


def test_msuprp_reader_attaches_pedigree_and_sex(pig):
    assert pig.shape == (251, 20597)
    s = pig.samples.set_index("sample")
    assert s.loc["1034", "father"] == "326" and s.loc["1034", "generation"] == 2
    assert set(pig.samples["sex"]) <= {"male", "female", None}
    chroms = [c for c, _, _ in pig.chromosomes()]
    assert chroms == [str(i) for i in range(1, 19)]
    p = pig.variants["pos"].to_numpy()
    for _, a, b in pig.chromosomes():
        assert np.all(np.diff(p[a:b]) >= 0)
    assert set(np.unique(pig.dosages(0, 2000))) <= {0, 1, 2}


def test_plink_round_trip_keeps_dosages_and_missing(pig, tmp_path):
    sub = pig.slice_variants(0, 300)
    d = sub.dosages().copy()
    d[0, :5] = -1  # missing calls survive the .bed
    g = GenotypeMatrix.from_arrays(
        d, chrom=sub.variants["chrom"], pos=sub.variants["pos"], ids=sub.variants["id"], samples=sub.samples["sample"]
    )
    g.to_plink(tmp_path / "x")
    back = read_plink(tmp_path / "x", population="MSUPRP")
    assert back.shape == g.shape
    assert np.array_equal(back.dosages(), d)
    assert list(back.variants["name"]) == list(sub.variants["id"])


def test_msuprp_bad_value_names_line_and_marker(tmp_path):
    geno = tmp_path / "g.tsv"
    geno.write_text("animal\tm1\tm2\n1\t0\t2\n2\t3\tNA\n")
    mp = tmp_path / "map.tsv"
    mp.write_text("snp\tchr\tpos\nm1\t1\t100\nm2\t1\t200\n")
    with pytest.raises(InputError, match=r"g\.tsv:3.*'m1'.*'3' is not 0, 1, 2"):
        read_msuprp(geno, mp)
    geno.write_text("animal\tm1\tm9\n1\t0\t2\n")
    with pytest.raises(InputError, match="not in the map.*m9"):
        read_msuprp(geno, mp)
    geno.write_text("animal\tm1\tm2\n1\t0\tNA\n2\t1\t2\n")
    g = read_msuprp(geno, mp)
    assert g.dosages().tolist() == [[0, -1], [1, 2]]


def test_missing_artifact_is_an_input_error(tmp_path):
    from varkg.popgen.genotypes import read_vcf_artifacts

    with pytest.raises(InputError, match="does not exist"):
        read_vcf_artifacts(tmp_path / "none.genotypes.npy")
