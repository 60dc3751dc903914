from __future__ import annotations

import pytest
import torch

from varkg.errors import ModelError
from varkg.lm.modeling import MODEL_TYPE, VarkgDnaConfig, VarkgDnaForMaskedLM, alibi_slopes


def test_save_load_round_trip_via_auto_classes(tmp_path, mlm):
    from transformers import AutoConfig, AutoModelForMaskedLM, AutoModelForSequenceClassification

    from varkg.lm.tokenizer import single_nucleotide_tokenizer

    model = mlm()
    tok = single_nucleotide_tokenizer()
    model.save_pretrained(str(tmp_path))
    tok.save_pretrained(str(tmp_path))
    assert AutoConfig.from_pretrained(str(tmp_path)).model_type == MODEL_TYPE
    back = AutoModelForMaskedLM.from_pretrained(str(tmp_path)).eval()
    assert isinstance(back, VarkgDnaForMaskedLM)
    ids = tok(["ACGTTGCA", "GGN"], padding=True, return_tensors="pt")
    a = model(**{k: ids[k] for k in ("input_ids", "attention_mask")}).logits
    b = back(**{k: ids[k] for k in ("input_ids", "attention_mask")}).logits
    torch.testing.assert_close(a, b)
    # the decoder stays tied to the input embedding after loading
    assert back.lm_head.decoder.weight.data_ptr() == back.model.embeddings.word_embeddings.weight.data_ptr()
    clf = AutoModelForSequenceClassification.from_pretrained(str(tmp_path), num_labels=3)
    assert clf(input_ids=ids["input_ids"], attention_mask=ids["attention_mask"]).logits.shape == (2, 3)


def test_alibi_runs_past_training_length_and_padding_is_ignored(mlm):
    model = mlm(max_position_embeddings=16)
    long = torch.randint(5, 9, (1, 200))
    assert model(input_ids=long).logits.shape == (1, 200, 10)
    short = torch.randint(5, 9, (1, 7))
    padded = torch.cat([short, torch.zeros(1, 5, dtype=torch.long)], dim=1)
    mask = torch.tensor([[1] * 7 + [0] * 5])
    torch.testing.assert_close(model(input_ids=short).logits, model(input_ids=padded, attention_mask=mask).logits[:, :7])


def test_alibi_slopes_and_config_errors():
    s = alibi_slopes(8)
    assert s.shape == (8,) and s[0] == pytest.approx(0.5) and s[-1] == pytest.approx(2**-8)
    assert alibi_slopes(6).shape == (6,)
    with pytest.raises(ModelError, match="divisible"):
        VarkgDnaConfig(hidden_size=30, num_attention_heads=4)
    with pytest.raises(ModelError, match="one of"):
        VarkgDnaConfig.from_size("huge", vocab_size=10)  # type: ignore[arg-type]


def test_foreign_bert_checkpoint_loads_and_scores(tmp_path):
    """A local Hugging Face BERT masked-LM directory works through the same loader and scorer."""
    from transformers import BertConfig, BertForMaskedLM

    from varkg.lm.runtime import load_masked_lm
    from varkg.lm.score import score_windows
    from varkg.lm.tokenizer import single_nucleotide_tokenizer

    torch.manual_seed(0)
    bert = BertForMaskedLM(
        BertConfig(
            vocab_size=10,
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32,
            max_position_embeddings=64,
            pad_token_id=0,
        )
    )
    bert.save_pretrained(str(tmp_path))
    single_nucleotide_tokenizer().save_pretrained(str(tmp_path))
    model, tok, mid = load_masked_lm(tmp_path, device="cpu")
    assert type(model).__name__ == "BertForMaskedLM" and mid.endswith(tuple("0123456789abcdef"))
    (s,) = score_windows(model, tok, ["ACGTACGTA"], [4], ["A"], ["G"])
    assert s.method == "exact-snv" and abs(s.llr) < 50


def test_pooling_ignores_padding():
    import torch

    from varkg.lm.modeling import pool

    h = torch.tensor([[[1.0, -5.0], [3.0, -1.0], [100.0, 100.0]]])  # third token is padding
    mask = torch.tensor([[1, 1, 0]])
    assert pool(h, mask, "cls").tolist() == [[1.0, -5.0]]
    assert pool(h, mask, "mean").tolist() == [[2.0, -3.0]]
    assert pool(h, mask, "max").tolist() == [[3.0, -1.0]]
    assert pool(h, mask, "meanmax").tolist() == [[2.0, -3.0, 3.0, -1.0]]
    assert pool(h, mask, "bins", bins=1).tolist() == pool(h, mask, "meanmax").tolist()


def test_bins_pooling_keeps_the_order_of_stretches():
    import torch

    from varkg.lm.modeling import pool, pooled_width

    h = torch.tensor([[[1.0], [2.0], [3.0], [4.0], [100.0]], [[4.0], [3.0], [2.0], [1.0], [0.0]]])
    mask = torch.tensor([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]])
    out = pool(h, mask, "bins", bins=2)
    assert out.shape == (2, pooled_width("bins", 1, 2))
    assert out[0].tolist() == [1.5, 2.0, 3.5, 4.0]  # (mean, max) of tokens 1-2, then of 3-4; padding ignored
    assert out[1].tolist() == [3.0, 4.0, 0.5, 1.0]  # 5 tokens: 3 in the first stretch, 2 in the second
    # a sequence shorter than the number of stretches leaves empty stretches at zero, not -inf
    short = pool(h[:1, :1], mask[:1, :1], "bins", bins=3)
    assert short.tolist() == [[1.0, 1.0, 0.0, 0.0, 0.0, 0.0]]


def test_bins_below_one_is_refused():
    from varkg.errors import ModelError
    from varkg.lm.modeling import VarkgDnaConfig

    with pytest.raises(ModelError, match=r"'classifier_bins' \(got 0\) must be at least 1"):
        VarkgDnaConfig(classifier_pooling="bins", classifier_bins=0)
