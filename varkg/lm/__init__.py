"""The varkg DNA language model (importing this package is cheap: no torch here).

Modules, one concept each:

- :mod:`varkg.lm.data`: FASTA windows, labelled sequence CSVs, base checks (reverse complements: :mod:`varkg.dna`).
- :mod:`varkg.lm.tokenizer`: BPE and single-nucleotide tokenizers.
- :mod:`varkg.lm.modeling`: ``VarkgDnaConfig`` and the ALiBi encoder models (registered with Auto classes).
- :mod:`varkg.lm.pretrain`: masked-LM pretraining.
- :mod:`varkg.lm.vocab`: GROVER-style vocabulary selection by next-k-mer prediction.
- :mod:`varkg.lm.embed`: sequence, gene, element and variant embeddings; write-back.
- :mod:`varkg.lm.score`: GPN-style variant log-likelihood ratios; write-back.
- :mod:`varkg.lm.finetune`: sequence classification (full, LoRA, prefix, prompt tuning).
- :mod:`varkg.lm.probe`: sequence classification on the frozen encoder (every layer pooled, MLP head).
- :mod:`varkg.lm.runtime`: device, seeds, threads, model ids, checkpoint loading.
"""

from __future__ import annotations
