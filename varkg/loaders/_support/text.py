"""Reading text inputs: opening (b)gzipped files, integrity checks, lines and delimited tables
with 1-based line numbers, and the one parser for numeric fields.

Missing values: every loader treats the strings in :data:`MISSING_VALUES` (``""``, ``NA``,
``na``, ``NaN``, ``nan``, ``.``, ``NULL``, ``null``, ``None``, ``-``; surrounding blanks ignored)
as "no value" and nothing else. :func:`parse_float` and :func:`parse_int` return ``None`` for
them (or raise with ``allow_na=False``) and raise :class:`~varkg.errors.InputError` naming file,
line and field for anything that is not a number.

Nothing here touches a database.
"""

from __future__ import annotations

import gzip
import io
import math
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal, TextIO, overload

from varkg.errors import InputError

_GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(path: Path) -> bool:
    """True when ``path`` starts with the gzip magic bytes (plain gzip or BGZF)."""
    with open(path, "rb") as fh:
        return fh.read(2) == _GZIP_MAGIC


def check_gzip(path: Path) -> None:
    """Decompress ``path`` fully (without keeping it) and raise :class:`InputError` when it is
    truncated or corrupt. Cheap (zlib speed, constant memory); run before the first frame so a
    broken file fails before anything is yielded."""
    if not is_gzip(path):
        return
    try:
        with gzip.open(path, "rb") as fh:
            while fh.read(1 << 22):
                pass
    except (EOFError, OSError, zlib.error) as exc:
        raise InputError(f"corrupt or truncated gzip data ({exc}); expected a complete gzip/BGZF file", path=path) from None


def open_text(path: Path) -> TextIO:
    """Open a plain or (b)gzipped text file for reading (UTF-8, BOM stripped)."""
    if not Path(path).exists():
        raise InputError("file does not exist", path=path)
    if is_gzip(path):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def iter_lines(path: Path) -> Iterator[tuple[int, str]]:
    """``(1-based line number, line without newline)``; truncated gzip raises InputError at the line."""
    lineno = 0
    with open_text(path) as fh:
        try:
            for lineno, line in enumerate(fh, start=1):
                yield lineno, line.rstrip("\r\n")
        except (EOFError, OSError, zlib.error) as exc:
            raise InputError(f"corrupt or truncated gzip data after this line ({exc})", path=path, line=lineno) from None


def sniff_delimiter(header: str) -> str:
    """Tab when the header has tabs, else comma when it has commas, else any whitespace (``None``)."""
    if "\t" in header:
        return "\t"
    if "," in header:
        return ","
    return " "


def split_line(line: str, delim: str) -> list[str]:
    if delim == " ":
        return line.split()
    if delim == ",":
        import csv

        return next(csv.reader([line]))
    return line.split(delim)


class Table:
    """A delimited text table read row by row with its 1-based file line numbers.

    Args:
        path: the file (plain or gzipped).
        comment: lines starting with this prefix before the header are skipped.
        delimiter: ``None`` to sniff from the header line.
    """

    def __init__(self, path: Path, *, comment: str | None = "#", delimiter: str | None = None) -> None:
        self.path = Path(path)
        self._lines = iter_lines(self.path)
        self.header_line = 0
        header = None
        for lineno, line in self._lines:
            if not line.strip() or (comment and line.startswith(comment)):
                continue
            header, self.header_line = line, lineno
            break
        if header is None:
            raise InputError("no header line found; expected a delimited table with a header", path=self.path)
        self.delimiter = delimiter or sniff_delimiter(header)
        self.columns = [c.strip().strip('"') for c in split_line(header, self.delimiter)]
        self.index = {c: i for i, c in enumerate(self.columns)}

    @overload
    def find(self, *candidates: str, required: Literal[True], what: str = "") -> str: ...

    @overload
    def find(self, *candidates: str, required: bool = False, what: str = "") -> str | None: ...

    def find(self, *candidates: str, required: bool = False, what: str = "") -> str | None:
        """The first column present among ``candidates`` (case-insensitive); ``required=True``
        raises :class:`~varkg.errors.InputError` instead of returning None."""
        lower = {c.lower(): c for c in self.columns}
        for cand in candidates:
            if cand.lower() in lower:
                return lower[cand.lower()]
        if required:
            raise InputError(
                f"missing required column for {what or candidates[0]}: expected one of {list(candidates)}; "
                f"the header has {self.columns[:30]}",
                path=self.path,
                line=self.header_line,
                field=candidates[0],
            )
        return None

    def rows(self, *, bad_rows: str = "error") -> Iterator[tuple[int, list[str]]]:
        """``(line number, fields)``; a row with a different field count raises InputError
        (``bad_rows="skip"``: it is skipped and counted in ``self.skipped``)."""
        n = len(self.columns)
        self.skipped: list[int] = []
        for lineno, line in self._lines:
            if not line.strip():
                continue
            fields = split_line(line, self.delimiter)
            if len(fields) != n:
                if bad_rows == "skip":
                    self.skipped.append(lineno)
                    continue
                raise InputError(
                    f"has {len(fields)} fields, expected {n} as in the header ({line[:80]!r})", path=self.path, line=lineno
                )
            yield lineno, fields


MISSING_VALUES = frozenset({"", "NA", "na", "NaN", "nan", ".", "NULL", "null", "None", "-"})
"""Field values that mean "no value" in every text input (compared after stripping blanks)."""


def is_missing(value: str) -> bool:
    """True when ``value`` is one of :data:`MISSING_VALUES`.

    >>> is_missing(" NA "), is_missing("-"), is_missing("0")
    (True, True, False)
    """
    return value.strip() in MISSING_VALUES


def _present(value: str, expected: str, *, path: Path | None, line: int | None, field: str, allow_na: bool) -> str | None:
    """``value`` stripped, ``None`` for a missing value when ``allow_na``; else InputError quoting it."""
    v = value.strip()
    if v not in MISSING_VALUES:
        return v
    if allow_na:
        return None
    raise InputError(f"missing value {value!r}; expected {expected}", path=path, line=line, field=field)


@overload
def parse_float(value: str, *, path: Path | None, line: int | None, field: str, allow_na: Literal[False]) -> float: ...


@overload
def parse_float(value: str, *, path: Path | None, line: int | None, field: str, allow_na: bool = True) -> float | None: ...


def parse_float(value: str, *, path: Path | None, line: int | None, field: str, allow_na: bool = True) -> float | None:
    """A float, ``None`` for :data:`MISSING_VALUES`; anything else raises InputError quoting the value.

    >>> parse_float(" 1e-8", path=None, line=None, field="p"), parse_float(".", path=None, line=None, field="p")
    (1e-08, None)
    """
    v = _present(value, "a number", path=path, line=line, field=field, allow_na=allow_na)
    if v is None:
        return None
    try:
        return float(v)
    except ValueError:
        raise InputError(f"non-numeric value {value!r}; expected a number", path=path, line=line, field=field) from None


def parse_floats(
    values: Sequence[str], *, path: Path | None, line: int | None, fields: Sequence[str], allow_na: bool = True
) -> list[float]:
    """A row of numbers (a matrix line): missing values become ``nan``; errors name the field.

    Same markers and errors as :func:`parse_float`, with a fast path for rows without them.
    """
    try:
        return [float(v) for v in values]
    except ValueError:
        pass
    out = []
    for v, f in zip(values, fields, strict=False):
        x = parse_float(v, path=path, line=line, field=f, allow_na=allow_na)
        out.append(math.nan if x is None else x)
    return out


@overload
def parse_int(value: str, *, path: Path | None, line: int | None, field: str, allow_na: Literal[False]) -> int: ...


@overload
def parse_int(value: str, *, path: Path | None, line: int | None, field: str, allow_na: bool = True) -> int | None: ...


def parse_int(value: str, *, path: Path | None, line: int | None, field: str, allow_na: bool = True) -> int | None:
    """An integer (``"12"`` or an integral float such as ``"12.0"``), ``None`` for :data:`MISSING_VALUES`.

    >>> parse_int("12.0", path=None, line=None, field="pos"), parse_int("NA", path=None, line=None, field="pos")
    (12, None)
    """
    v = _present(value, "an integer", path=path, line=line, field=field, allow_na=allow_na)
    if v is None:
        return None
    try:
        return int(v)
    except ValueError:
        try:
            f = float(v)
        except ValueError:
            raise InputError(f"non-integer value {value!r}; expected an integer", path=path, line=line, field=field) from None
        if not f.is_integer():
            raise InputError(f"non-integer value {value!r}; expected an integer", path=path, line=line, field=field) from None
        return int(f)
