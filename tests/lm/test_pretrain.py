from __future__ import annotations

import json

import torch

from varkg.lm.pretrain import PretrainConfig, mask_tokens, pretrain
from varkg.lm.tokenizer import single_nucleotide_tokenizer


def _weights(path):
    from safetensors.torch import load_file

    return load_file(str(path / "model.safetensors"))


def _cfg(**kw) -> PretrainConfig:
    base = dict(size="tiny", window_bp=48, steps=6, batch_size=8, seed=3, save_every=3, warmup_steps=2)
    return PretrainConfig(**(base | kw))


def test_deterministic_and_resumable(tmp_path, fasta_file, dna):
    fa = fasta_file(tmp_path / "ref.fa", {"chr1": "N" * 200 + dna(3000, seed=1), "chr2": dna(1500, seed=2)})
    tok = single_nucleotide_tokenizer()
    a = pretrain(out=tmp_path / "a", tokenizer=tok, cfg=_cfg(), fasta_paths=[fa], sequences=[dna(60, seed=9)], quiet=True)
    pretrain(out=tmp_path / "b", tokenizer=tok, cfg=_cfg(), fasta_paths=[fa], sequences=[dna(60, seed=9)], quiet=True)
    assert a.steps == 6 and (tmp_path / "a" / "loss.png").exists() and (tmp_path / "a" / "loss.csv").exists()
    wa, wb = _weights(tmp_path / "a"), _weights(tmp_path / "b")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    args = json.loads((tmp_path / "a" / "pretrain_args.json").read_text())  # lineage of the inputs
    assert args["fasta_paths"] == [str(fa)] and args["csv_paths"] == [] and args["n_extra_sequences"] == 1
    # stop after 3 steps, then resume to 6: same weights as the uninterrupted run
    pretrain(
        out=tmp_path / "c",
        tokenizer=tok,
        cfg=_cfg(steps=6, max_seconds=0.0),
        fasta_paths=[fa],
        sequences=[dna(60, seed=9)],
        quiet=True,
    )
    c = pretrain(out=tmp_path / "c", tokenizer=tok, cfg=_cfg(), fasta_paths=[fa], sequences=[dna(60, seed=9)], quiet=True)
    assert c.steps == 6
    wc = _weights(tmp_path / "c")
    assert all(torch.equal(wa[k], wc[k]) for k in wa)
    # another seed gives other weights
    d = pretrain(out=tmp_path / "d", tokenizer=tok, cfg=_cfg(seed=4), fasta_paths=[fa], quiet=True)
    wd = _weights(d.model_dir)
    assert not all(torch.equal(wa[k], wd[k]) for k in wa)


def test_whole_token_masking_skips_specials_and_n():
    tok = single_nucleotide_tokenizer()
    enc = tok(["ACGTNNNNACGTACGT", "NNNN"], padding=True, return_tensors="pt", return_special_tokens_mask=True)
    g = torch.Generator().manual_seed(0)
    masked, labels = mask_tokens(
        enc["input_ids"],
        special_mask=enc["special_tokens_mask"],
        no_target_ids=[9],
        mask_token_id=4,
        random_token_ids=[5, 6, 7, 8],
        mask_prob=0.5,
        generator=g,
    )
    targets = labels != -100
    assert targets[0].any() and not targets[1].any()
    assert not (targets & enc["special_tokens_mask"].bool()).any()
    assert not (targets & (enc["input_ids"] == 9)).any()
    assert torch.equal(labels[targets], enc["input_ids"][targets])
    assert torch.equal(masked[~targets], enc["input_ids"][~targets])


def test_bf16_autocast_runs_in_bfloat16_keeps_float32_weights_and_may_change_on_resume(tmp_path, fasta_file, dna):
    import pytest

    from varkg.errors import ModelError

    fa = fasta_file(tmp_path / "ref.fa", {"chr1": dna(3000, seed=1)})
    tok = single_nucleotide_tokenizer()
    seen: set[torch.dtype] = set()
    handle = torch.nn.modules.module.register_module_forward_hook(
        lambda m, i, o: seen.add(o.dtype) if isinstance(m, torch.nn.Linear) and m.training else None
    )
    try:
        # 3 float32 steps, then resumed to 6 under bf16: the speed setting may change, the others may not
        pretrain(out=tmp_path / "a", tokenizer=tok, cfg=_cfg(max_seconds=0.0), fasta_paths=[fa], quiet=True)
        assert seen == {torch.float32}
        with pytest.raises(ModelError, match="different settings"):
            pretrain(out=tmp_path / "a", tokenizer=tok, cfg=_cfg(bf16=True, lr=5e-4), fasta_paths=[fa], quiet=True)
        seen.clear()
        res = pretrain(out=tmp_path / "a", tokenizer=tok, cfg=_cfg(bf16=True), fasta_paths=[fa], quiet=True)
    finally:
        handle.remove()
    assert res.steps == 6 and seen == {torch.bfloat16}
    weights = _weights(res.model_dir)
    assert {w.dtype for w in weights.values()} == {torch.float32}
    assert all(torch.isfinite(w).all() for w in weights.values())
    assert json.loads((tmp_path / "a" / "pretrain_args.json").read_text())["bf16"] is True
