"""Motif matrices for the motifs/elements loaders: JASPAR through pyjaspar's offline SQLite
databases, JASPAR/MEME/TRANSFAC matrix files, Motif nodes already in the store, and the
ref-vs-alt motif disruption score of variants.

Matrix files (rows A, C, G, T; errors name file, line and field):

* JASPAR: ``>MA0139.2 CTCF`` then four rows ``A [ 281 56 ... ]`` (brackets optional);
* MEME: ``MOTIF id name`` then ``letter-probability matrix: ... w= L nsites= N`` and L rows of
  4 probabilities (scaled by ``nsites``, default 100);
* TRANSFAC: ``AC``/``ID`` lines, ``P0 A C G T`` header, numbered rows, ``//`` terminator.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from varkg.errors import InputError
from varkg.loaders._support.text import iter_lines, parse_float
from varkg.motifscan import Motif, MotifScanner, encode

MatrixFormat = Literal["jaspar", "meme", "transfac"]
_NUM = re.compile(r"[-+0-9.eE]+")


def jaspar_motifs(
    *,
    release: str = "JASPAR2024",
    collection: str = "CORE",
    tax_group: str | None = "vertebrates",
    species: str | None = None,
    ids: Sequence[str] | None = None,
    all_versions: bool = False,
) -> list[Motif]:
    """Matrices from pyjaspar's offline database.

    Args:
        release: a JASPAR release known to pyjaspar (``JASPAR2024``...).
        collection: ``CORE``, ``UNVALIDATED``, ...
        tax_group: ``vertebrates``, ``plants``, ``insects``...; None for all.
        species: NCBI taxon id (``9606``, ``9823`` for pig); None for all.
        ids: explicit matrix ids (``MA0139.2``; a base id ``MA0139`` gives the latest version).
        all_versions: keep every version of each matrix, not only the latest.
    """
    from pyjaspar import jaspardb

    try:
        db = jaspardb(release=release)
    except Exception as exc:  # pyjaspar raises bare exceptions for unknown releases
        raise InputError(f"unknown JASPAR release {release!r} ({exc})", field="release") from None
    if ids:
        raw = []
        for mid in ids:
            m = db.fetch_motif_by_id(mid)
            if m is None:
                raise InputError(f"JASPAR {release} has no matrix {mid!r}", field="ids")
            raw.append(m)
    else:
        kw: dict[str, Any] = {"collection": collection, "all_versions": all_versions}
        if tax_group:
            kw["tax_group"] = [tax_group]
        if species:
            kw["species"] = [str(species)]
        raw = db.fetch_motifs(**kw)
        if not raw:
            raise InputError(
                f"JASPAR {release} has no matrices for collection={collection!r}, tax_group={tax_group!r}, species={species!r}",
                field="collection",
            )
    out = []
    for m in raw:
        counts = np.array([list(m.counts[b]) for b in "ACGT"], dtype=np.float64)
        meta = {
            "collection": m.collection,
            "release": release,
            "tax_group": m.tax_group,
            "tf_class": "; ".join(m.tf_class or []) if isinstance(m.tf_class, list) else m.tf_class,
            "tf_family": "; ".join(m.tf_family or []) if isinstance(m.tf_family, list) else m.tf_family,
            "species": list(m.species or []),
            "uniprot": list(m.acc or []),
        }
        out.append(Motif(m.matrix_id, m.name, counts, meta))
    return out


def read_matrices(path: Path, *, fmt: MatrixFormat | None = None) -> list[Motif]:
    """Matrices from a JASPAR, MEME or TRANSFAC file (format sniffed when ``fmt`` is None)."""
    lines = list(iter_lines(path))
    if fmt is None:
        text = "\n".join(line for _, line in lines[:200])
        if "letter-probability matrix" in text or text.startswith("MEME version"):
            fmt = "meme"
        elif re.search(r"^(P0|PO)\s", text, re.M) or re.search(r"^(AC|ID)\s", text, re.M):
            fmt = "transfac"
        elif text.lstrip().startswith(">"):
            fmt = "jaspar"
        else:
            raise InputError("cannot tell the matrix format; expected JASPAR (>id name), MEME or TRANSFAC", path=path, line=1)
    parse = {"jaspar": _read_jaspar, "meme": _read_meme, "transfac": _read_transfac}[fmt]
    motifs = parse(path, lines)
    if not motifs:
        raise InputError(f"no matrices found in the {fmt} file", path=path)
    ids = [m.id for m in motifs]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise InputError(f"duplicated matrix ids {dup[:5]}; expected unique ids", path=path, field="id")
    return motifs


def _nums(tokens: Sequence[str], *, path: Path, line: int, field: str) -> list[float]:
    # a matrix has no missing cells: NA markers are errors too
    return [parse_float(t, path=path, line=line, field=field, allow_na=False) for t in tokens]


def _finish(
    mid: str, name: str, rows: list[list[float]], *, path: Path, line: int, by: Literal["row", "col"], meta: dict
) -> Motif:
    if not rows:
        raise InputError(f"matrix {mid!r} has no rows", path=path, line=line)
    lengths = {len(r) for r in rows}
    if len(lengths) != 1:
        raise InputError(
            f"matrix {mid!r} has ragged rows (lengths {sorted(lengths)}); expected rows of equal length",
            path=path,
            line=line,
            field="matrix",
        )
    arr = np.array(rows, dtype=np.float64)
    if by == "col":
        arr = arr.T
    if arr.shape[0] != 4:
        raise InputError(
            f"matrix {mid!r} has {arr.shape[0]} base rows, expected 4 (A, C, G, T)", path=path, line=line, field="matrix"
        )
    try:
        return Motif(mid, name, arr, meta)
    except InputError as exc:
        raise InputError(str(exc), path=path, line=line, field="matrix") from None


def _read_jaspar(path: Path, lines: list[tuple[int, str]]) -> list[Motif]:
    out: list[Motif] = []
    mid = name = ""
    rows: list[list[float]] = []
    start = 0
    order: list[str] = []
    for lineno, line in lines + [(len(lines) + 1, ">")]:
        s = line.strip()
        if not s:
            continue
        if s.startswith(">"):
            if mid:
                if order and order != list("ACGT"):
                    rows = [rows[order.index(b)] for b in "ACGT"]
                out.append(_finish(mid, name, rows, path=path, line=start, by="row", meta={"collection": "JASPAR file"}))
            parts = s[1:].split(None, 1)
            mid = parts[0] if parts else ""
            name = parts[1].strip() if len(parts) > 1 else mid
            rows, order, start = [], [], lineno
            continue
        if not mid:
            raise InputError(f"matrix row before any '>id' header: {s[:40]!r}", path=path, line=lineno)
        m = re.match(r"^([ACGTacgt])\s*\[?(.*?)\]?\s*$", s)
        if m:
            order.append(m.group(1).upper())
            body = m.group(2)
        else:
            body = s.strip("[]")
        rows.append(_nums(body.replace("[", " ").replace("]", " ").split(), path=path, line=lineno, field="matrix"))
    return out


def _read_meme(path: Path, lines: list[tuple[int, str]]) -> list[Motif]:
    out: list[Motif] = []
    i = 0
    n = len(lines)
    while i < n:
        lineno, line = lines[i]
        if line.startswith("MOTIF"):
            parts = line.split()
            if len(parts) < 2:
                raise InputError("MOTIF line without an id", path=path, line=lineno, field="id")
            mid, name = parts[1], parts[2] if len(parts) > 2 else parts[1]
            j = i + 1
            while j < n and "letter-probability matrix" not in lines[j][1]:
                if lines[j][1].startswith("MOTIF"):
                    raise InputError(f"motif {mid!r} has no letter-probability matrix", path=path, line=lines[j][0])
                j += 1
            if j >= n:
                raise InputError(f"motif {mid!r} has no letter-probability matrix", path=path, line=lineno)
            hdr = lines[j][1]
            w = re.search(r"w=\s*(\d+)", hdr)
            ns = re.search(r"nsites=\s*([0-9.eE+]+)", hdr)
            nsites = float(ns.group(1)) if ns else 100.0
            rows: list[list[float]] = []
            k = j + 1
            while k < n and lines[k][1].strip() and (w is None or len(rows) < int(w.group(1))):
                s = lines[k][1].strip()
                if s.startswith(("URL", "MOTIF")):
                    break
                rows.append(_nums(s.split(), path=path, line=lines[k][0], field="matrix"))
                k += 1
            if w is not None and len(rows) != int(w.group(1)):
                raise InputError(
                    f"motif {mid!r} has {len(rows)} rows, expected w={w.group(1)}", path=path, line=lines[j][0], field="w"
                )
            mot = _finish(mid, name, rows, path=path, line=lines[j][0], by="col", meta={"collection": "MEME file"})
            out.append(Motif(mot.id, mot.name, mot.counts * nsites / mot.counts.sum(axis=0, keepdims=True), mot.meta))
            i = k
        else:
            i += 1
    return out


def _read_transfac(path: Path, lines: list[tuple[int, str]]) -> list[Motif]:
    out: list[Motif] = []
    mid = name = ""
    rows: list[list[float]] = []
    in_matrix = False
    start = 0
    for lineno, line in lines + [(len(lines) + 1, "//")]:
        s = line.strip()
        tag = s[:2]
        if s.startswith("//"):
            if rows:
                out.append(
                    _finish(
                        mid or f"motif{len(out) + 1}",
                        name or mid,
                        rows,
                        path=path,
                        line=start,
                        by="col",
                        meta={"collection": "TRANSFAC file"},
                    )
                )
            mid = name = ""
            rows, in_matrix = [], False
            continue
        if tag == "AC":
            mid = s[2:].strip()
        elif tag == "ID":
            name = s[2:].strip()
            mid = mid or name
        elif tag in ("P0", "PO"):
            cols = s.split()[1:5]
            if [c.upper() for c in cols] != list("ACGT"):
                raise InputError(f"matrix header {s!r}; expected 'P0 A C G T'", path=path, line=lineno, field="P0")
            in_matrix, start = True, lineno
        elif in_matrix and re.match(r"^\d+", s):
            parts = s.split()
            vals = [p for p in parts[1:] if _NUM.fullmatch(p)]
            rows.append(_nums(vals[:4] if len(vals) >= 4 else parts[1:], path=path, line=lineno, field="matrix"))
        elif in_matrix and tag in ("XX", "BA", "CC"):
            in_matrix = False
    return out


def store_motifs(store: Any) -> list[Motif]:
    """Motif nodes of the store with their PFM (4 x length, row-major A, C, G, T)."""
    t = store.export_nodes("Motif", properties=["name", "pfm", "length"])
    out = []
    for mid, name, pfm, length in zip(*(t.column(c).to_pylist() for c in ("id", "name", "pfm", "length")), strict=False):
        if not pfm or not length:
            continue
        out.append(Motif(mid, name or mid, np.array(pfm, np.float64).reshape(4, int(length))))
    return out


def motif_deltas(
    reference: Any,
    variants: dict[str, np.ndarray],
    motifs: Sequence[Motif],
    *,
    pvalue: float = 1e-4,
) -> tuple[dict[str, np.ndarray], int]:
    """Change of the best motif score between the ref and alt allele of each variant.

    Each allele is placed between the reference flanks (``lmax - 1`` bases either side); only
    placements that overlap the allele's bases count, on both strands. The background is the
    base composition of all ref windows (the same for ref and alt). Of the motifs whose best
    score reaches its p-value threshold in ref or alt, the one with the largest ``|alt - ref|``
    is reported (ties: first in ``motifs``); variants with none get nulls.

    Args:
        reference: a ``ReferenceGenome`` (``fetch(chrom, start, end)``, 0-based half-open).
        variants: arrays ``chrom``, ``pos`` (1-based), ``ref``, ``alt``.
        motifs: matrices.

    Returns:
        ``({"motif_id", "motif_delta", "ref_score", "alt_score"}, n_ref_mismatch)``; arrays
        aligned with the input (object/float with NaN for no motif). Variants whose REF does not
        match the reference, or that fall outside it, get nulls and are counted.
    """
    scanner = MotifScanner(motifs, pvalue=pvalue)
    flank = scanner.lmax - 1
    n = len(variants["pos"])
    ref_w: list[np.ndarray] = []
    alt_w: list[np.ndarray] = []
    ok = np.zeros(n, bool)
    ref_len = np.zeros(n, np.int64)
    alt_len = np.zeros(n, np.int64)
    mismatched = 0
    for i, (c, p, r, a) in enumerate(zip(variants["chrom"], variants["pos"], variants["ref"], variants["alt"], strict=False)):
        s0 = int(p) - 1
        lo, hi = s0 - flank, s0 + len(r) + flank
        if not reference.covers(c, max(lo, 0), hi) or lo < 0:
            mismatched += 1
            ref_w.append(np.zeros(0, np.uint8))
            alt_w.append(np.zeros(0, np.uint8))
            continue
        seq = reference.fetch(c, lo, hi)
        if seq[flank : flank + len(r)].upper() != r.upper():
            mismatched += 1
            ref_w.append(np.zeros(0, np.uint8))
            alt_w.append(np.zeros(0, np.uint8))
            continue
        ok[i] = True
        ref_w.append(encode(seq))
        alt_w.append(encode(seq[:flank] + a + seq[flank + len(r) :]))
        ref_len[i], alt_len[i] = len(r), len(a)
    out = {
        "motif_id": np.full(n, None, dtype=object),
        "motif_delta": np.full(n, np.nan),
        "ref_score": np.full(n, np.nan),
        "alt_score": np.full(n, np.nan),
    }
    if not ok.any():
        return out, mismatched
    from varkg.motifscan import background_of

    idx = np.flatnonzero(ok)
    bg = background_of(np.concatenate([ref_w[i] for i in idx]))
    left = np.full(len(idx), flank)
    rs, _, _ = scanner.best([ref_w[i] for i in idx], overlap=(left, left + np.maximum(ref_len[idx], 1)), background=bg)
    as_, _, _ = scanner.best([alt_w[i] for i in idx], overlap=(left, left + np.maximum(alt_len[idx], 1)), background=bg)
    thr = scanner.thresholds(bg)
    rs0, as0 = np.nan_to_num(rs, nan=-np.inf), np.nan_to_num(as_, nan=-np.inf)
    site = (rs0 >= thr[None, :]) | (as0 >= thr[None, :])
    delta = np.where(site, as_ - rs, np.nan)
    absd = np.where(np.isnan(delta), -1.0, np.abs(delta))
    k = absd.argmax(axis=1)
    has = absd[np.arange(len(idx)), k] >= 0
    rows = np.arange(len(idx))
    ids = np.array([m.id for m in motifs], dtype=object)
    out["motif_id"][idx[has]] = ids[k[has]]
    out["motif_delta"][idx[has]] = delta[rows, k][has]
    out["ref_score"][idx[has]] = rs[rows, k][has]
    out["alt_score"][idx[has]] = as_[rows, k][has]
    return out, mismatched
