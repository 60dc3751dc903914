"""`import varkg` stays cheap: no torch/transformers, under 0.3 s in a fresh interpreter."""

import subprocess
import sys


def test_import_is_cheap():
    code = (
        "import time, sys; t=time.perf_counter(); import varkg, varkg.typing, varkg.errors; "
        "dt=time.perf_counter()-t; heavy=[m for m in ('torch','transformers','ladybug','neo4j','torch_geometric') "
        "if m in sys.modules]; "
        "print(dt, ','.join(heavy))"
    )
    runs = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
        runs.append(float(out[0]))
        assert len(out) == 1, f"import varkg pulled in heavy modules: {out[1]}"
    assert sorted(runs)[1] < 0.3, f"median import time {sorted(runs)[1]:.3f}s >= 0.3 s"
