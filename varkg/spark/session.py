"""One Hail/Spark context per process: master, cores, JVM and the Neo4j connector jars.

Hail runs on a JVM it starts through py4j (Hail 0.2.139 on Spark 3.5, Scala 2.12); it supports
Java 8, 11 and 17. :func:`java_home` picks a JDK 17/11 under ``/usr/lib/jvm`` when ``JAVA_HOME``
is unset or points at another major version. The connector jars come from
``tools/spark/lib`` (``make spark-lib`` resolves them from Maven Central) or ``$VARKG_SPARK_JARS``
(a folder or comma-separated jar paths) and are put on the driver and executor class paths.

On a cluster pass the master (``yarn``, ``k8s://...``, ``spark://...``) or leave it to
``spark-submit`` (``master=None``): the same functions run unchanged.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from varkg.errors import AnalysisError

__all__ = ["SparkConfig", "connector_jars", "hail_context", "java_home", "spark_session", "stop"]

ROOT = Path(__file__).resolve().parents[2]
JARS_DIR = ROOT / "tools" / "spark" / "lib"
SUPPORTED_JAVA = (17, 11, 8)


@dataclass(frozen=True)
class SparkConfig:
    """How to start the context.

    Attributes:
        master: Spark master URL (``local[2]``; None: whatever ``spark-submit`` set).
        driver_memory: JVM heap of the driver (``local`` mode: the only JVM).
        tmp_dir: Hail's temporary folder (also Spark's local dir); default ``$TMPDIR/varkg-hail``.
        log: Hail's log file.
        shuffle_partitions: ``spark.sql.shuffle.partitions`` (small data: few partitions).
        python: the Python the Spark workers run pandas UDFs in (``PYSPARK_PYTHON``; None:
            ``$PYSPARK_PYTHON`` if set, else this interpreter, which has numpy/pandas/pyarrow and
            varkg). On a cluster, a Python with varkg installed on every node.
    """

    master: str | None = "local[2]"
    driver_memory: str = "3g"
    tmp_dir: str = field(default_factory=lambda: os.path.join(tempfile.gettempdir(), "varkg-hail"))
    log: str = field(default_factory=lambda: os.path.join(tempfile.gettempdir(), "varkg-hail", "hail.log"))
    shuffle_partitions: int = 8
    python: str | None = None


def _java_major(home: Path) -> int | None:
    exe = home / "bin" / "java"
    if not exe.exists():
        return None
    r = subprocess.run([str(exe), "-version"], capture_output=True, text=True)
    m = re.search(r'version "(\d+)(?:\.(\d+))?', r.stderr)
    if not m:
        return None
    major = int(m.group(1))
    return int(m.group(2)) if major == 1 and m.group(2) else major


def java_home() -> Path:
    """A JDK Hail supports: ``$JAVA_HOME`` when it is 8/11/17, else the first such under ``/usr/lib/jvm``.

    Raises:
        AnalysisError: no supported JDK is installed (the error lists what was found).
    """
    seen: list[str] = []
    env = os.environ.get("JAVA_HOME")
    candidates = [Path(env)] if env else []
    jvm = Path("/usr/lib/jvm")
    if jvm.is_dir():
        candidates += sorted(p for p in jvm.iterdir() if p.is_dir())
    for want in SUPPORTED_JAVA:
        for home in candidates:
            major = _java_major(home)
            seen.append(f"{home} ({major})")
            if major == want:
                return home
    raise AnalysisError(
        f"Hail needs Java 8, 11 or 17; found {sorted(set(seen)) or 'no JDK'} (apt-get install openjdk-17-jdk-headless)"
    )


def connector_jars() -> list[Path]:
    """The Neo4j connector jars: ``$VARKG_SPARK_JARS`` (folder or comma list) or ``tools/spark/lib``."""
    env = os.environ.get("VARKG_SPARK_JARS")
    if env:
        parts = [Path(p) for p in env.split(",") if p]
        if len(parts) == 1 and parts[0].is_dir():
            return sorted(parts[0].glob("*.jar"))
        return parts
    return sorted(JARS_DIR.glob("*.jar")) if JARS_DIR.is_dir() else []


_STARTED: dict[str, Any] = {}


def hail_context(config: SparkConfig | None = None) -> Any:
    """Initialise Hail once (later calls return the same module; a different explicit master raises).

    ``config=None`` after start returns the running context, whatever its master (the library's
    steps call it so, and must not fight a ``local[1]`` the caller chose).

    Returns the ``hail`` module, ready to use.
    """
    if config is None and "config" in _STARTED:
        return _STARTED["hail"]
    cfg = config or SparkConfig()
    if "config" in _STARTED:
        if _STARTED["config"].master != cfg.master:
            raise AnalysisError(
                f"Hail already runs on {_STARTED['config'].master!r}; cannot switch to {cfg.master!r} in one process"
            )
        return _STARTED["hail"]
    os.environ["JAVA_HOME"] = str(java_home())
    os.environ["PATH"] = f"{os.environ['JAVA_HOME']}/bin:{os.environ.get('PATH', '')}"
    try:
        import hail as hl
    except ImportError as exc:
        raise AnalysisError(f"the Spark path needs hail (make spark-env installs it into .venv-spark): {exc}") from None
    Path(cfg.tmp_dir).mkdir(parents=True, exist_ok=True)
    # pyspark reads PYSPARK_PYTHON when the context starts: the UDF workers' interpreter
    os.environ["PYSPARK_PYTHON"] = cfg.python or os.environ.get("PYSPARK_PYTHON") or sys.executable
    jars = ",".join(str(p) for p in connector_jars())
    conf = {
        "spark.driver.memory": cfg.driver_memory,
        "spark.sql.shuffle.partitions": str(cfg.shuffle_partitions),
        "spark.ui.enabled": "false",
        "spark.local.dir": cfg.tmp_dir,
        "spark.sql.execution.arrow.pyspark.enabled": "true",
    }
    if jars:
        conf["spark.jars"] = jars
        conf["spark.driver.extraClassPath"] = jars.replace(",", ":")
        conf["spark.executor.extraClassPath"] = jars.replace(",", ":")
    hl.init(
        master=cfg.master,
        tmp_dir=cfg.tmp_dir,
        local_tmpdir=cfg.tmp_dir,
        log=cfg.log,
        quiet=True,
        spark_conf=conf,
        idempotent=True,
    )
    _STARTED.update(config=cfg, hail=hl)
    return hl


def spark_session(config: SparkConfig | None = None) -> Any:
    """The ``pyspark.sql.SparkSession`` Hail runs on (starting Hail when needed)."""
    hail_context(config)
    from pyspark.sql import SparkSession

    return SparkSession.builder.getOrCreate()


def stop() -> None:
    """Stop Hail and its JVM (tests and benchmarks call it at the end)."""
    hl = _STARTED.pop("hail", None)
    _STARTED.pop("config", None)
    if hl is not None:
        hl.stop()
