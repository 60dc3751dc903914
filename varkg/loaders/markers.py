"""Genotyping-array markers (SNP chips such as PorcineSNP60) as Variant nodes.

Inputs, in this order:

1. the marker map: a table with a header naming the marker, chromosome and position columns
   (``snp``/``marker``/``name``/``id``, ``chr``/``chrom``/``chromosome``, ``pos``/``bp``/``position``;
   optional allele columns ``ref``/``alt`` or ``a1``/``a2``), or a PLINK ``.bim`` (no header:
   chrom, marker, cM, bp, A1, A2; ``0`` alleles mean unknown);
2. optionally, the animals' genotypes as an MSUPRP-style 0/1/2 table (first column the animal,
   one column per marker): each marker then gets ``af``, the frequency of the coded allele over
   called animals.

**Identity.** A chip map gives positions without alleles (Illumina A/B calls), so a marker
without known alleles is the Variant ``{assembly}:{chrom}:{pos}:N:N`` (:func:`marker_variant_id`;
``pos`` the map's bp, taken as 1-based; ``N`` a base not known); with alleles it is the usual
``{assembly}:{chrom}:{pos}:{ref}:{alt}``. The marker name is kept in ``rsid``: it is the array's
stable id, as the rs id is dbSNP's. A fractional bp (the MSUPRP map has 7, e.g.
``ASGA0017723 4 6730952.5``) is floored. Markers without a chromosome or position (unplaced) are skipped
and counted; two markers at one position with unknown alleles would share an id, so the second is
reported as an error naming both.

Options:
    chrom: keep only these chromosomes (comma-separated, e.g. ``11`` or ``1,2,X``).

Example:
    ``varkg load markers pig_MSUPRP_map.tsv pig_MSUPRP_geno.tsv.gz --assembly Sscrofa11.1``
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from varkg.errors import InputError
from varkg.loaders._support.context import option, require_assembly
from varkg.loaders._support.frames import node_frames
from varkg.loaders._support.text import Table, is_missing, iter_lines
from varkg.loaders.base import Frame, LoadContext, Loader, register_loader
from varkg.typing import normalise_chrom

log = logging.getLogger(__name__)

UNKNOWN_BASE = "N"


def marker_variant_id(assembly: str, chrom: str, pos: int, ref: str | None = None, alt: str | None = None) -> str:
    """The Variant id of an array marker (``N`` for an allele the map does not give).

    >>> marker_variant_id("Sscrofa11.1", "chr11", 5_000_123)
    'Sscrofa11.1:11:5000123:N:N'
    """
    return f"{assembly}:{normalise_chrom(chrom)}:{int(pos)}:{ref or UNKNOWN_BASE}:{alt or UNKNOWN_BASE}"


def _allele(value: str) -> str | None:
    v = value.strip().upper()
    return None if is_missing(v) or v == "0" else v


def _read_map(path: Path) -> tuple[list[str], list[str], list[int | None], list[str | None], list[str | None], list[int]]:
    names: list[str] = []
    chroms: list[str] = []
    pos: list[int | None] = []
    ref: list[str | None] = []
    alt: list[str | None] = []
    lines: list[int] = []
    if path.name.lower().endswith((".bim", ".bim.gz")):
        for lineno, line in iter_lines(path):
            f = line.split()
            if not f:
                continue
            if len(f) != 6:
                raise InputError(
                    f"a .bim line has 6 fields (chrom, marker, cM, bp, A1, A2), got {len(f)}", path=path, line=lineno
                )
            bp = _position(f[3], path=path, line=lineno)
            names.append(f[1])
            chroms.append(f[0])
            pos.append(bp if bp else None)  # bp 0: unplaced
            alt.append(_allele(f[4]))  # PLINK A1 is the counted (usually minor) allele
            ref.append(_allele(f[5]))
            lines.append(lineno)
        return names, chroms, pos, ref, alt, lines
    t = Table(path)
    c_name = t.index[t.find("snp", "marker", "name", "id", "snp_id", required=True, what="marker name")]
    c_chr = t.index[t.find("chr", "chrom", "chromosome", required=True, what="chromosome")]
    c_pos = t.index[t.find("pos", "bp", "position", required=True, what="position")]
    ra = t.find("ref", "a2"), t.find("alt", "a1")
    c_ref, c_alt = (t.index[ra[0]], t.index[ra[1]]) if ra[0] and ra[1] else (None, None)
    for lineno, f in t.rows():
        names.append(f[c_name].strip())
        chroms.append(f[c_chr].strip())
        pos.append(None if is_missing(f[c_pos].strip()) else _position(f[c_pos], path=path, line=lineno))
        ref.append(_allele(f[c_ref]) if c_ref is not None else None)
        alt.append(_allele(f[c_alt]) if c_alt is not None else None)
        lines.append(lineno)
    return names, chroms, pos, ref, alt, lines


def _position(value: str, *, path: Path, line: int) -> int:
    """A bp position; a fractional one (``6730952.5``: some chip maps average two probe
    positions) is floored, as integer conversion of the map elsewhere does."""
    v = value.strip()
    try:
        p = float(v)
    except ValueError:
        raise InputError(f"position {v!r} is not a number", path=path, line=line, field="pos") from None
    if not np.isfinite(p) or p < 0:
        raise InputError(f"position {v!r} is not a non-negative number", path=path, line=line, field="pos")
    return int(p)


def _allele_frequencies(path: Path, markers: set[str]) -> dict[str, float]:
    """Coded-allele frequency per marker of ``markers`` over called animals (0/1/2; NA, -9, . missing)."""
    from varkg.loaders._support.text import open_text

    with open_text(path) as fh:
        header = fh.readline().rstrip("\n").split("\t")
        cols = [i for i, m in enumerate(header[1:], start=1) if m in markers]
        total = np.zeros(len(cols))
        called = np.zeros(len(cols))
        for lineno, line in enumerate(fh, start=2):
            f = line.rstrip("\n").split("\t")
            if len(f) != len(header):
                raise InputError(f"has {len(f)} fields, expected {len(header)} as in the header", path=path, line=lineno)
            vals = np.array([f[i] for i in cols], dtype=object)
            ok = np.isin(vals, ["0", "1", "2"])
            bad = ~ok & ~np.isin(vals, ["NA", "na", "NaN", ".", "", "-1", "-9"])
            if bad.any():
                j = int(np.flatnonzero(bad)[0])
                raise InputError(
                    f"genotype {vals[j]!r} is not 0, 1, 2 or missing (NA)", path=path, line=lineno, field=header[cols[j]]
                )
            total[ok] += vals[ok].astype(np.int8)
            called += ok
    with np.errstate(invalid="ignore", divide="ignore"):
        af = total / (2.0 * called)
    return {header[c]: float(af[j]) for j, c in enumerate(cols) if called[j] > 0}


@register_loader("markers")
class MarkersLoader(Loader):
    """Array markers (chip map or PLINK .bim, optional 0/1/2 genotypes for ``af``) as Variant nodes."""

    description = "Genotyping-array markers: chip map / PLINK .bim (+ 0/1/2 genotypes for allele frequencies)"

    def frames(self, paths: Sequence[Path], *, context: LoadContext) -> Iterator[Frame]:
        assembly = require_assembly(context, "markers")
        if not paths or len(paths) > 2:
            raise InputError(f"expected the marker map and optionally a genotype table, got {len(paths)} file(s)")
        keep_spec = option(context.options, "chrom", "")
        keep = {normalise_chrom(c.strip()) for c in str(keep_spec).split(",") if c.strip()}
        path = Path(paths[0])
        names, chroms, pos, ref, alt, lines = _read_map(path)
        rows: dict[str, tuple[str, str, int, str | None, str | None]] = {}
        first_at: dict[str, tuple[str, int]] = {}
        unplaced = 0
        for name, c, p, r, a, lineno in zip(names, chroms, pos, ref, alt, lines, strict=True):
            if is_missing(c) or c == "0" or p is None:
                unplaced += 1
                continue
            chrom = normalise_chrom(c)
            if keep and chrom not in keep:
                continue
            vid = marker_variant_id(assembly, chrom, p, r, a)
            if vid in first_at and first_at[vid][0] != name:
                other, other_line = first_at[vid]
                raise InputError(
                    f"markers {other!r} (line {other_line}) and {name!r} are both {vid}: give their alleles to tell them apart",
                    path=path,
                    line=lineno,
                    field="pos",
                )
            first_at.setdefault(vid, (name, lineno))
            rows[vid] = (name, chrom, p, r, a)
        if unplaced:
            log.info("%s: %d marker(s) without chromosome/position skipped", path, unplaced)
        if not rows:
            return
        af: dict[str, float] = _allele_frequencies(Path(paths[1]), {r[0] for r in rows.values()}) if len(paths) == 2 else {}
        ids = list(rows)
        vals = list(rows.values())
        table = pa.table(
            {
                "id": ids,
                "assembly": [assembly] * len(ids),
                "chrom": [v[1] for v in vals],
                "pos": pa.array([v[2] for v in vals], pa.int64()),
                "ref": [v[3] or UNKNOWN_BASE for v in vals],
                "alt": [v[4] or UNKNOWN_BASE for v in vals],
                "rsid": [v[0] for v in vals],
                "vtype": ["SNV"] * len(ids),
                "af": pa.array([af.get(v[0]) for v in vals], pa.float64()),
            }
        )
        yield from node_frames("Variant", table)
