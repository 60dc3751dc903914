"""Run a registered loader into a store, with progress and provenance.

One call is one Dataset: every node and edge the loader yields is validated against the
schema and upserted with the Dataset's id appended to its ``datasets`` list, and a
``Dataset`` node records the files, their checksum, the options, row counts and side tables.

All-or-nothing: on the embedded store the whole load runs in one transaction; on stores
without one (Neo4j) the frames are first spooled to temporary Arrow IPC files and written
only after the loader finished without error. A loader error therefore leaves the graph as
it was, and side tables the loader wrote are removed.

Memory: one transaction keeps all its rows in Ladybug's memory until the commit, so
``atomic="load"`` peaks grow with the load; ``atomic="batch"`` (spool, then commit every
``commit_rows`` rows and let the store free its caches) stays flat. Figures: docs/loaders.md.

The Dataset node is written by :func:`varkg.provenance.record_dataset`; Release nodes are cut by
:func:`varkg.provenance.cut_release`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa
import pyarrow.ipc as ipc

from varkg.errors import InputError, VarkgError
from varkg.faults import fault_point
from varkg.loaders.base import Frame, LoadContext, file_checksum, get_loader
from varkg.loaders.options import check_options
from varkg.provenance import record_dataset
from varkg.store.base import GraphStore, UpsertResult

if TYPE_CHECKING:
    from varkg.loaders.reference import ReferenceGenome

log = logging.getLogger(__name__)


@dataclass
class LoadReport:
    """What a load wrote: rows per type (``inserted``/``updated``/``unchanged``/``skipped``)."""

    dataset_id: str
    loader: str
    paths: list[str]
    results: dict[str, dict[str, int]] = field(default_factory=dict)
    artifacts: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, label: str, r: UpsertResult) -> None:
        d = self.results.setdefault(label, {"inserted": 0, "updated": 0, "unchanged": 0, "skipped": 0})
        d["inserted"] += r.inserted
        d["updated"] += r.updated
        d["unchanged"] += r.unchanged
        d["skipped"] += r.skipped

    @property
    def written(self) -> int:
        return sum(d["inserted"] + d["updated"] for d in self.results.values())

    def row_counts(self) -> dict[str, int]:
        return {k: v["inserted"] + v["updated"] + v["unchanged"] for k, v in self.results.items()}


def frame_label(frame: Frame) -> str:
    return frame.type if frame.kind == "node" else f"{frame.src_type}-{frame.type}->{frame.dst_type}"


def _progress(enabled: bool, description: str):
    if not enabled:
        return contextlib.nullcontext(None)
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        transient=False,
    )


BATCH_COMMIT_ROWS = 100_000
"""Default rows per transaction for ``atomic="batch"`` loads."""
_LARGE_TRANSACTION_ROWS = 2_000_000
"""Rows in one ``atomic="load"`` transaction from which the runner warns about memory."""


class _Spool:
    """Frames written to Arrow IPC files in a temporary directory, replayed after the loader succeeds."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="varkg-spool-"))
        self.items: list[tuple[Frame, Path]] = []

    def add(self, frame: Frame) -> None:
        path = self.dir / f"{len(self.items):06d}.arrow"
        with ipc.new_file(path, frame.table.schema) as w:
            w.write_table(frame.table)
        self.items.append((Frame(frame.kind, frame.type, pa.table({}), frame.src_type, frame.dst_type, frame.missing), path))

    def __iter__(self) -> Iterator[Frame]:
        for f, path in self.items:
            with ipc.open_file(path) as r:
                table = r.read_all()
            yield Frame(f.kind, f.type, table, f.src_type, f.dst_type, f.missing)

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def load(
    store: GraphStore,
    loader_name: str,
    paths: Sequence[str | os.PathLike[str]],
    *,
    assembly: str | None = None,
    options: Mapping[str, Any] | None = None,
    dataset_name: str | None = None,
    reference: ReferenceGenome | None = None,
    artifacts_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    atomic: Literal["load", "batch"] = "load",
    commit_rows: int = BATCH_COMMIT_ROWS,
) -> LoadReport:
    """Load ``paths`` with the loader registered as ``loader_name`` into ``store``.

    Args:
        store: an initialised graph store.
        loader_name: a registered loader (``varkg load --list`` shows them).
        paths: input files.
        assembly: assembly of the coordinates (``GRCh38``, ``Sscrofa11.1``...), passed to the loader.
        options: loader options (see each loader's docstring).
        dataset_name: name of the Dataset (default: the first file's name).
        reference: a reference genome object for loaders that check alleles or read sequence.
        artifacts_dir: where loaders write side tables (default: ``<store>.artifacts/``).
        progress: show a progress bar.
        atomic: ``"load"`` (default) writes the whole load in one transaction on stores that have
            them; ``"batch"`` spools the loader's frames to disk first (so an input error still
            leaves nothing behind) and then commits frame by frame, which bounds memory on very large
            loads (a whole-genome VCF). A store failure during the write phase may then leave the
            earlier frames; re-running the same load completes it (upserts are idempotent).
            Memory: Ladybug holds a transaction's uncommitted rows in memory it cannot evict, so
            ``"load"`` peaks grow with the rows written (about 0.5 KiB per Variant); ``"batch"``
            stays flat (see docs/loaders.md, "Memory").
        commit_rows: with ``atomic="batch"``, rows written per transaction (whole frames are
            grouped until they reach it). After each commit the store may free its caches
            (``release_memory()``, the embedded store reopens its database). Larger groups mean
            fewer commits (Ladybug's commit cost grows with the table) but more memory per group.

    Returns:
        A :class:`LoadReport`.
    """
    import time

    t0 = time.perf_counter()
    loader = get_loader(loader_name)
    check_options(type(loader), options or {})
    files = [Path(p) for p in paths]
    for p in files:
        if not p.exists():
            raise InputError("file does not exist", path=p)
        if p.is_dir() and not getattr(loader, "accepts_directories", False):
            raise InputError("is a directory; expected a file", path=p)
    checksum = file_checksum([p for p in files if p.is_file()]) if files else "none"
    name = dataset_name or (files[0].name if files else loader_name)
    dataset_id = f"{loader_name}:{name}:{checksum[:12]}"
    if artifacts_dir is None:
        artifacts_dir = Path(f"{store.location}.artifacts") if "://" not in store.location else Path("varkg-artifacts")
    art_dir = Path(artifacts_dir) / dataset_id.replace(":", "_")
    art_dir.mkdir(parents=True, exist_ok=True)
    ctx = LoadContext(
        assembly=assembly,
        store=store,
        reference=reference,
        artifacts_dir=art_dir,
        options=dict(options or {}),
        dataset_id=dataset_id,
    )
    report = LoadReport(dataset_id=dataset_id, loader=loader_name, paths=[str(p) for p in files])
    if atomic not in ("load", "batch"):
        raise ValueError(f"atomic must be 'load' or 'batch', got {atomic!r}")
    if commit_rows < 1:
        raise ValueError(f"commit_rows must be a positive number of rows, got {commit_rows!r}")
    transactional = atomic == "load"
    spool = None if transactional else _Spool()
    counts: Counter[str] = Counter()
    try:
        with _progress(progress, loader_name) as bar:
            task = bar.add_task(f"{loader_name}: reading", total=None) if bar is not None else None

            def write(frame: Frame) -> None:
                label = frame_label(frame)
                if frame.kind == "node":
                    r = store.upsert_nodes(frame.type, frame.table, dataset=dataset_id)
                else:
                    r = store.upsert_edges(
                        frame.type,
                        frame.table,
                        src_type=frame.src_type or "",
                        dst_type=frame.dst_type or "",
                        dataset=dataset_id,
                        missing=frame.missing,
                    )
                report.add(label, r)
                fault_point("frame")
                counts[label] += frame.table.num_rows
                total = sum(counts.values())
                if transactional and total - frame.table.num_rows <= _LARGE_TRANSACTION_ROWS < total:  # once, on crossing
                    log.warning(
                        "%s: more than %d rows in one transaction (atomic='load'); Ladybug keeps them all in memory "
                        "until the commit (about 0.5 KiB each): use atomic='batch' (--atomic batch) for flat memory",
                        loader_name,
                        _LARGE_TRANSACTION_ROWS,
                    )
                if bar is not None:
                    bar.update(task, advance=frame.table.num_rows, description=f"{loader_name}: {label}")

            tx = store.transaction() if transactional else contextlib.nullcontext()
            with tx:
                for frame in loader.frames(files, context=ctx):
                    frame = frame.validated(store.schema)
                    if spool is not None:
                        spool.add(frame)
                    else:
                        write(frame)
                if spool is not None:
                    _write_spooled(store, spool, write, commit_rows=commit_rows)
                report.artifacts = list(ctx.artifacts)
                if ctx.artifacts:
                    fault_point("artifact")
                fault_point("record")
                record_dataset(
                    store,
                    dataset_id=dataset_id,
                    name=name,
                    loader=loader_name,
                    version=ctx.version,
                    paths=files,
                    checksum=checksum,
                    assembly=ctx.assembly,
                    row_counts=report.row_counts(),
                    parameters=ctx.options,
                    artifacts=ctx.artifacts,
                )
    except (VarkgError, OSError, ValueError) as exc:
        for a in ctx.artifacts:
            with contextlib.suppress(OSError):
                Path(a).unlink()
        with contextlib.suppress(OSError):
            art_dir.rmdir()
        if isinstance(exc, VarkgError):
            raise
        raise InputError(f"{type(exc).__name__}: {exc}", path=files[0] if files else None) from exc
    finally:
        if spool is not None:
            spool.close()
    with contextlib.suppress(OSError):
        art_dir.rmdir()  # only removes it when empty
    report.seconds = time.perf_counter() - t0
    return report


def _write_spooled(store: GraphStore, spool: _Spool, write: Any, *, commit_rows: int) -> None:
    """Write spooled frames in transactions of about ``commit_rows`` rows (whole frames), freeing
    the store's caches after each commit, so memory does not grow with the size of the load."""
    rows = 0
    with contextlib.ExitStack() as group:  # an error rolls back the open group only
        for frame in spool:
            if rows == 0:
                group.enter_context(store.transaction())
            write(frame)
            rows += frame.table.num_rows
            if rows >= commit_rows:
                group.close()  # commits this group
                fault_point("batch_commit")
                rows = 0
                store.release_memory()
