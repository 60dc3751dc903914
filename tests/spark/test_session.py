"""hail_context without a config returns the running context whatever its master (the library's
steps call it so); an explicit different master is refused. No JVM: the started state is faked."""

from __future__ import annotations

import pytest


def test_no_config_returns_the_running_context_and_other_master_is_refused(monkeypatch):
    from varkg.errors import AnalysisError
    from varkg.spark import session

    running = object()
    monkeypatch.setattr(session, "_STARTED", {"config": session.SparkConfig(master="local[1]"), "hail": running})
    assert session.hail_context() is running
    assert session.hail_context(session.SparkConfig(master="local[1]")) is running
    with pytest.raises(AnalysisError, match=r"local\[1\].*local\[2\]"):
        session.hail_context(session.SparkConfig(master="local[2]"))
