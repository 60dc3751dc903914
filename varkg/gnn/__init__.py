"""Graph learning: export to PyG, neighbourhood sampling, the external-attention heterogeneous
graph transformer (EAHGT), training, evaluation and prediction write-back.

Submodules import torch; import them where used (``from varkg.gnn.train import ...``), so that
``import varkg`` and ``import varkg.gnn`` stay cheap.
"""
