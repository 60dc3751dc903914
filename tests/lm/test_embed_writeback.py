from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from varkg.dna import reverse_complement
from varkg.errors import ModelError
from varkg.lm.data import FastaReader
from varkg.lm.embed import embed_sequences, embed_variants, embeddings_table, promoter_window
from varkg.lm.score import Variant, score_variants
from varkg.lm.tokenizer import single_nucleotide_tokenizer
from varkg.lm.writeback import write_embeddings, write_variant_scores


def test_embeddings_keep_order_and_ignore_padding(mlm, dna):
    model, tok = mlm(seed=2), single_nucleotide_tokenizer()
    seqs = [dna(30, seed=1), dna(12, seed=2), dna(50, seed=3)]
    both = embed_sequences(model, tok, seqs, batch_size=2)
    alone = [embed_sequences(model, tok, [s]) for s in seqs]
    for i in range(3):
        np.testing.assert_allclose(both.mean[i], alone[i].mean[0], atol=1e-5)
        np.testing.assert_allclose(both.cls[i], alone[i].cls[0], atol=1e-5)
    assert both.mean.shape == (3, model.config.hidden_size)


def test_promoter_window_strands(tmp_path, fasta_file, dna):
    seq = dna(3000, seed=5)
    fa = FastaReader(fasta_file(tmp_path / "r.fa", {"chr1": seq}))
    assert promoter_window(fa, chrom="1", tss=1500, strand="+", upstream=100, downstream=20) == seq[1400:1520]
    minus = promoter_window(fa, chrom="1", tss=1500, strand="-", upstream=100, downstream=20)
    assert minus == reverse_complement(seq[1481:1601]) and minus[100] == reverse_complement(seq[1500])


def test_write_back_scores_and_embeddings(tmp_path, fasta_file, dna, mlm, ladybug_store, variant_nodes):
    seq = dna(2000, seed=8)
    fa = FastaReader(fasta_file(tmp_path / "r.fa", {"chr20": seq}))
    variants = [Variant("20", p, seq[p - 1], "A" if seq[p - 1] != "A" else "G") for p in (500, 900, 1300)]
    ids = [v.key("GRCh38") for v in variants]
    ladybug_store.upsert_nodes("Variant", variant_nodes(ids, rsid=["rs1", "rs2", "rs3"]), dataset="test-vcf")
    tok = single_nucleotide_tokenizer()
    model = mlm(seed=0, hidden_size=256, intermediate_size=64, num_hidden_layers=1, num_attention_heads=4)
    scores = score_variants(model, tok, fa, variants, flank=32)
    run = write_variant_scores(ladybug_store, variants, scores, assembly="GRCh38", model_id="m@abc", dataset="lm-test")
    emb = embed_variants(model, tok, fa, variants, flank=32)
    write_embeddings(ladybug_store, "Variant", ids, emb.diff("mean"), model_id="m@abc", dataset="lm-test")
    got = ladybug_store.export_nodes("Variant").to_pylist()
    by_id = {r["id"]: r for r in got}
    for v, s in zip(variants, scores, strict=True):
        r = by_id[v.key("GRCh38")]
        assert r["lm_llr"] == pytest.approx(s.llr) and r["lm_model_id"] == "m@abc"
        assert r["rsid"] is not None  # untouched properties stay
        assert len(r["seq_embedding"]) == 256
    runs = ladybug_store.export_nodes("PredictionRun").to_pylist()
    assert run in {r["id"] for r in runs}
    # re-running replaces the same run's values instead of adding a new run
    write_variant_scores(ladybug_store, variants, scores, assembly="GRCh38", model_id="m@abc", dataset="lm-test")
    assert len(ladybug_store.export_nodes("PredictionRun")) == len(runs)


def test_embedding_width_must_match_schema():
    with pytest.raises(ModelError, match=r"needs vectors of width 256 \(schema\), got shape \(2, 32\)"):
        embeddings_table("Gene", ["a", "b"], np.zeros((2, 32)), model_id="m")


def test_embed_nodes_uses_each_types_window(tmp_path, fasta_file, dna, mlm):
    from varkg.errors import InputError
    from varkg.lm.embed import element_window, embed_nodes, node_rows

    seq = dna(3000, seed=6)
    fa = FastaReader(fasta_file(tmp_path / "r.fa", {"chr1": seq}))
    model, tok = mlm(seed=1), single_nucleotide_tokenizer()
    genes = node_rows(
        "Gene",
        pa.table({"id": ["g1", "g2", "g3"], "chrom": ["1", "1", "1"], "tss": [1500, 1200, None], "strand": ["+", "-", "+"]}),
    )
    assert [r["id"] for r in genes] == ["g1", "g2"]  # rows with a null in a needed column are left out
    ids, vec = embed_nodes(model, tok, fa, "Gene", genes, assembly="GRCh38", upstream=100, downstream=20)
    want = embed_sequences(
        model,
        tok,
        [
            promoter_window(fa, chrom="1", tss=1500, strand="+", upstream=100, downstream=20),
            promoter_window(fa, chrom="1", tss=1200, strand="-", upstream=100, downstream=20),
        ],
    )
    assert ids == ["g1", "g2"]
    np.testing.assert_allclose(vec, want.mean, atol=1e-5)
    els = [{"id": "e1", "chrom": "1", "start": 100, "stop": 180}]
    ids, vec = embed_nodes(model, tok, fa, "RegulatoryElement", els, assembly="GRCh38", pooling="cls")
    np.testing.assert_allclose(
        vec, embed_sequences(model, tok, [element_window(fa, chrom="1", start=100, stop=180)]).cls, atol=1e-5
    )
    v = [{"chrom": "1", "pos": 1000, "ref": seq[999], "alt": "A" if seq[999] != "A" else "C", "id": None}]
    ids, vec = embed_nodes(model, tok, fa, "Variant", v, assembly="GRCh38", flank=16)
    assert ids == [f"GRCh38:1:1000:{v[0]['ref']}:{v[0]['alt']}"] and vec.shape == (1, model.config.hidden_size)
    with pytest.raises(InputError, match=r"Gene nodes lack \['tss', 'strand'\]"):
        node_rows("Gene", pa.table({"id": ["g"], "chrom": ["1"]}))
