"""BED-like interval files (BED3+, narrowPeak, broadPeak) with line-level errors.

Coordinates are 0-based half-open as in the file; chromosome names are normalised
(:func:`varkg.typing.normalise_chrom`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from varkg.errors import InputError
from varkg.loaders._support.text import iter_lines
from varkg.typing import normalise_chrom


@dataclass
class BedRecords:
    """Parsed BED-like records (0-based half-open), one array per column plus file line numbers."""

    chrom: np.ndarray
    start: np.ndarray
    end: np.ndarray
    line: np.ndarray
    extra: list[list[str]]

    def __len__(self) -> int:
        return len(self.start)


def read_bed(path: Path, *, min_fields: int = 3) -> BedRecords:
    """Read BED (BED3+, narrowPeak, broadPeak): ``track``/``browser``/``#`` lines are skipped.

    Raises:
        InputError: fewer than ``min_fields`` fields, non-integer start/end, negative start or
            ``end < start`` (with path, line and field).
    """
    chroms: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    lines: list[int] = []
    extra: list[list[str]] = []
    for lineno, line in iter_lines(path):
        if not line.strip() or line.startswith(("#", "track", "browser")):
            continue
        f = line.split("\t")
        if len(f) < min_fields:
            f = line.split()
        if len(f) < min_fields:
            raise InputError(f"has {len(f)} fields, expected at least {min_fields} (chrom, start, end)", path=path, line=lineno)
        try:
            s = int(f[1])
        except ValueError:
            raise InputError(
                f"non-integer start {f[1]!r}; expected a 0-based integer", path=path, line=lineno, field="start"
            ) from None
        try:
            e = int(f[2])
        except ValueError:
            raise InputError(f"non-integer end {f[2]!r}; expected an integer", path=path, line=lineno, field="end") from None
        if s < 0:
            raise InputError(f"negative start {s}; expected >= 0", path=path, line=lineno, field="start")
        if e < s:
            raise InputError(
                f"end {e} < start {s}; expected end >= start (0-based half-open)", path=path, line=lineno, field="end"
            )
        chroms.append(normalise_chrom(f[0]))
        starts.append(s)
        ends.append(e)
        lines.append(lineno)
        extra.append(f[3:])
    return BedRecords(
        np.array(chroms, dtype=object), np.array(starts, np.int64), np.array(ends, np.int64), np.array(lines, np.int64), extra
    )
