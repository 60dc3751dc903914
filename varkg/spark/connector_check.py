"""Whether the Neo4j Spark connector is on the class path (tests and the CLI say why it is not)."""

from __future__ import annotations

from varkg.errors import AnalysisError
from varkg.spark.session import JARS_DIR, connector_jars

__all__ = ["require_connector"]


def require_connector() -> None:
    """Raise (or, under pytest, skip) when no connector jar is found in ``tools/spark/lib``."""
    if not any("neo4j-connector-apache-spark" in p.name for p in connector_jars()):
        msg = f"the Neo4j Spark connector jar is not in {JARS_DIR} (run `make spark-lib`)"
        try:
            import pytest

            pytest.skip(msg)
        except ImportError:
            raise AnalysisError(msg) from None
