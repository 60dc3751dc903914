"""Fault injection for the crash tests: ``VARKG_FAULT_AT=<point>:<k>[:<ms>]`` kills this process.

At the ``k``-th time the code passes :func:`fault_point` ``point`` the process sends itself SIGKILL,
at once, or, with ``ms``, from a timer ``ms`` milliseconds later while the statement that follows
runs (to kill *during* a COPY or a COMMIT). Without the variable this is one dictionary lookup.

Points (see :mod:`varkg.crashtest`): ``frame`` (a frame was written), ``copy`` (a COPY starts; on
Neo4j, one batched ``UNWIND $rows`` write statement), ``commit`` (a COMMIT starts),
``batch_commit`` (an ``atomic="batch"`` group was committed),
``record`` (the Dataset node is about to be written), ``artifact`` (a side table was written).
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter

ENV = "VARKG_FAULT_AT"
POINTS = ("frame", "copy", "commit", "batch_commit", "record", "artifact")
_hits: Counter[str] = Counter()


def _kill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def fault_point(name: str) -> None:
    """Kill the process here if ``$VARKG_FAULT_AT`` names this point and its count is reached."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    point, _, rest = spec.partition(":")
    if point != name:
        return
    k, _, ms = rest.partition(":")
    _hits[name] += 1
    if _hits[name] != int(k or 1):
        return
    if ms:
        t = threading.Timer(int(ms) / 1000, _kill)
        t.daemon = True
        t.start()
    else:
        _kill()
