"""GNN tests run torch single-threaded: tiny tensors, and a busy 2-core machine makes thread
hand-offs cost more than the maths."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def _torch_one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
