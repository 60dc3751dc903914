"""`import varkg` stays cheap: no torch/transformers/stores in a fresh interpreter.

The import time itself is measured by ``benchmarks/bench_import.py`` (a wall-clock threshold
here would fail on a loaded machine)."""

import subprocess
import sys


def test_import_is_cheap():
    code = (
        "import sys; import varkg, varkg.typing, varkg.errors; "
        "print(','.join(m for m in ('torch','transformers','ladybug','neo4j','torch_geometric') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"import varkg pulled in heavy modules: {out}"
