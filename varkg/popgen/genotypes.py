"""One genotype abstraction for population genetics: :class:`GenotypeMatrix`.

A genotype matrix is *samples x variants* of alt-allele dosages (``int8``: 0, 1, 2; ``-1``
missing), with a variants table, a samples table (population, sex, pedigree) and, where the
source has them, phased haplotypes. It never holds more than the block asked for: dosages are
read per variant range (:meth:`GenotypeMatrix.dosages`, :meth:`GenotypeMatrix.blocks`) from a
memory map (VCF loader artifacts), from the PLINK ``.bed`` through ``bed-reader``, or from the
in-memory table of a small TSV.

Sources (one reader each):

* :func:`read_vcf_artifacts`: the ``{stem}.genotypes.npy`` matrix and its ``.variants.txt`` /
  ``.samples.txt`` sidecars the VCF loader writes (``varkg load vcf`` with genotypes on); phased
  haplotypes are read from the VCF itself, per block, when ``vcf=`` is given.
* :func:`read_plink`: PLINK 1 ``.bed/.bim/.fam`` (``bed-reader``); the counted allele is A1.
* :func:`read_msuprp`: an MSUPRP-style TSV (``animal`` then one 0/1/2 column per marker) with a
  map (``snp chr pos``), optionally a pedigree (``ID Par1 Par2 gener sex``) and covariates.

Coordinates: ``variants.pos`` is 1-based (VCF, ``.bim`` and map files are 1-based).

Tables:
    ``variants``: ``id`` (the graph Variant key ``{assembly}:{chrom}:{pos}:{ref}:{alt}`` where the
    alleles are known, else the marker name), ``name`` (marker / rs id), ``chrom``, ``pos``,
    ``ref``, ``alt`` (the counted allele), sorted by chromosome then position.
    ``samples``: ``sample``, ``population``, ``sex`` (``male``/``female``/None), ``father``,
    ``mother`` (None for founders), and whatever else the source gives (``generation``...).

Example:
    >>> import numpy as np
    >>> g = GenotypeMatrix.from_arrays(np.array([[0, 1], [2, -1]], dtype=np.int8),
    ...     chrom=["1", "1"], pos=[100, 200], samples=["a", "b"], population="P")
    >>> g.shape, g.dosages().tolist(), [b.start for b in g.blocks(size=1)]
    ((2, 2), [[0, 1], [2, -1]], [0, 1])
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from varkg.errors import AnalysisError, InputError
from varkg.typing import Assembly, normalise_chrom, variant_key

__all__ = [
    "GenotypeBlock",
    "GenotypeMatrix",
    "read_msuprp",
    "read_plink",
    "read_vcf_artifacts",
]

MISSING = -1
"""The missing-dosage code."""

DEFAULT_BLOCK = 8192
"""Variants per block when iterating (x samples bytes of memory per block)."""

SAMPLE_COLUMNS = ["sample", "population", "sex", "father", "mother"]
VARIANT_COLUMNS = ["id", "name", "chrom", "pos", "ref", "alt"]

Reader = Callable[[int, int], np.ndarray]
"""``(start, stop) -> int8 [all samples, stop - start]`` dosages of a variant range."""


@dataclass(frozen=True)
class GenotypeBlock:
    """Variants ``[start, stop)`` of a matrix: their rows of ``variants`` and their dosages
    (``int8 [samples, stop - start]``)."""

    start: int
    stop: int
    variants: pd.DataFrame
    dosages: np.ndarray


def _chrom_order(chrom: str) -> tuple[int, str]:
    return (int(chrom), "") if chrom.isdigit() else (10_000, chrom)


@dataclass
class GenotypeMatrix:
    """Samples x variants dosages with their metadata, read lazily per variant range.

    Attributes:
        variants: one row per variant (see the module docstring), sorted by chrom, pos.
        samples: one row per sample of the matrix (after any selection).
        source: where the dosages come from (a path), for lineage.
        assembly: the assembly of ``variants.pos`` when known.
    """

    variants: pd.DataFrame
    samples: pd.DataFrame
    reader: Reader
    source: str = ""
    assembly: Assembly | None = None
    haplotype_reader: Callable[[int, int], np.ndarray] | None = None
    sample_index: np.ndarray | None = None
    variant_offset: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(
        cls,
        dosages: np.ndarray,
        *,
        chrom: Sequence[str],
        pos: Sequence[int],
        samples: Sequence[str],
        ids: Sequence[str] | None = None,
        population: str | None = None,
        assembly: Assembly | None = None,
        haplotypes: np.ndarray | None = None,
    ) -> GenotypeMatrix:
        """An in-memory matrix (``int8 [samples, variants]``, ``-1`` missing); ``haplotypes``
        optional ``int8 [samples, variants, 2]`` (0/1 alt allele, ``-1`` missing)."""
        d = np.asarray(dosages, dtype=np.int8)
        n = d.shape[1]
        names = list(ids) if ids is not None else [f"v{i}" for i in range(n)]
        variants = pd.DataFrame(
            {
                "id": names,
                "name": names,
                "chrom": [str(c) for c in chrom],
                "pos": np.asarray(pos, dtype=np.int64),
                "ref": None,
                "alt": None,
            }
        )
        smp = pd.DataFrame({"sample": list(samples), "population": population, "sex": None, "father": None, "mother": None})
        hap = None
        if haplotypes is not None:
            h = np.asarray(haplotypes, dtype=np.int8)
            hap = lambda a, b: h[:, a:b]  # noqa: E731
        return cls(variants, smp, lambda a, b: d[:, a:b], source="<array>", assembly=assembly, haplotype_reader=hap)

    # ------------------------------------------------------------------ shape and access
    @property
    def n_samples(self) -> int:
        return len(self.samples)

    @property
    def n_variants(self) -> int:
        return len(self.variants)

    @property
    def shape(self) -> tuple[int, int]:
        """``(samples, variants)``."""
        return self.n_samples, self.n_variants

    @property
    def phased(self) -> bool:
        """True when phased haplotypes can be read (:meth:`haplotypes`)."""
        return self.haplotype_reader is not None

    def _check_range(self, start: int, stop: int | None) -> tuple[int, int]:
        stop = self.n_variants if stop is None else stop
        if not 0 <= start <= stop <= self.n_variants:
            raise AnalysisError(f"variant range [{start}, {stop}) is outside [0, {self.n_variants})")
        return start, stop

    def dosages(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """``int8 [samples, stop - start]`` dosages of variants ``[start, stop)`` (``-1`` missing)."""
        start, stop = self._check_range(start, stop)
        d = self.reader(self.variant_offset + start, self.variant_offset + stop)
        if self.sample_index is not None:
            d = d[self.sample_index]
        return np.asarray(d, dtype=np.int8)

    def haplotypes(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """``int8 [samples, stop - start, 2]`` phased alleles (1 = the counted allele, ``-1``
        missing or unphased). Raises AnalysisError when the source has no phase."""
        if self.haplotype_reader is None:
            raise AnalysisError(
                f"{self.source or 'this genotype matrix'} has no phased haplotypes "
                "(read the VCF artifacts with vcf=PATH to a phased VCF)"
            )
        start, stop = self._check_range(start, stop)
        h = self.haplotype_reader(self.variant_offset + start, self.variant_offset + stop)
        if self.sample_index is not None:
            h = h[self.sample_index]
        return np.asarray(h, dtype=np.int8)

    def blocks(self, *, size: int = DEFAULT_BLOCK) -> Iterator[GenotypeBlock]:
        """Consecutive blocks of at most ``size`` variants: memory stays at ``size x samples`` bytes."""
        if size < 1:
            raise AnalysisError(f"block size must be >= 1 (got {size})")
        for a in range(0, self.n_variants, size):
            b = min(self.n_variants, a + size)
            yield GenotypeBlock(a, b, self.variants.iloc[a:b], self.dosages(a, b))

    def chromosomes(self) -> list[tuple[str, int, int]]:
        """``(chrom, start, stop)`` variant-index ranges per chromosome, in order."""
        c = self.variants["chrom"].to_numpy()
        if len(c) == 0:
            return []
        cut = np.flatnonzero(c[1:] != c[:-1]) + 1
        edges = [0, *cut.tolist(), len(c)]
        return [(str(c[a]), a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]

    # ------------------------------------------------------------------ selection
    def select_samples(
        self, *, population: str | Sequence[str] | None = None, samples: Sequence[str] | None = None
    ) -> GenotypeMatrix:
        """The same variants for a subset of samples: by ``population`` (one or several) or by
        sample name. Unknown populations or samples raise AnalysisError listing the valid ones."""
        keep = np.ones(self.n_samples, dtype=bool)
        if population is not None:
            wanted = [population] if isinstance(population, str) else list(population)
            have = sorted({str(p) for p in self.samples["population"].dropna()})
            bad = [p for p in wanted if p not in have]
            if bad:
                raise AnalysisError(f"unknown population(s) {bad}; expected one of {have}")
            keep &= self.samples["population"].isin(wanted).to_numpy()
        if samples is not None:
            names = self.samples["sample"].astype(str)
            missing = sorted(set(map(str, samples)) - set(names))
            if missing:
                raise AnalysisError(f"{len(missing)} sample(s) not in the genotypes, e.g. {missing[:5]}")
            keep &= names.isin(set(map(str, samples))).to_numpy()
        idx = np.flatnonzero(keep)
        base = self.sample_index if self.sample_index is not None else np.arange(self.n_samples)
        return GenotypeMatrix(
            self.variants,
            self.samples.iloc[idx].reset_index(drop=True),
            self.reader,
            self.source,
            self.assembly,
            self.haplotype_reader,
            base[idx],
            self.variant_offset,
            dict(self.meta),
        )

    def slice_variants(self, start: int, stop: int) -> GenotypeMatrix:
        """Variants ``[start, stop)`` only (no data is read)."""
        start, stop = self._check_range(start, stop)
        return GenotypeMatrix(
            self.variants.iloc[start:stop].reset_index(drop=True),
            self.samples,
            self.reader,
            self.source,
            self.assembly,
            self.haplotype_reader,
            self.sample_index,
            self.variant_offset + start,
            dict(self.meta),
        )

    def attach_samples(self, table: pd.DataFrame, *, on: str = "sample") -> GenotypeMatrix:
        """Sample metadata joined by sample name: columns of ``table`` replace those of the same
        name (``population``, ``sex``...) for the samples it lists."""
        if on not in table.columns:
            raise InputError(f"sample table has no {on!r} column (columns: {list(table.columns)})")
        t = table.drop_duplicates(on).set_index(on)
        smp = self.samples.copy()
        key = smp["sample"].astype(str)
        t.index = t.index.astype(str)
        for col in t.columns:
            vals = key.map(t[col])
            smp[col] = vals.where(key.isin(t.index), smp[col] if col in smp else None)
        return GenotypeMatrix(
            self.variants,
            smp,
            self.reader,
            self.source,
            self.assembly,
            self.haplotype_reader,
            self.sample_index,
            self.variant_offset,
            dict(self.meta),
        )

    # ------------------------------------------------------------------ summaries and export
    def allele_frequency(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Counted-allele frequency per variant over non-missing calls (NaN when all are missing)."""
        d = self.dosages(start, stop)
        ok = d >= 0
        n = ok.sum(axis=0)
        s = np.where(ok, d, 0).sum(axis=0, dtype=np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            return s / (2.0 * n)

    def to_plink(self, prefix: str | Path, *, block: int = DEFAULT_BLOCK) -> Path:
        """Write PLINK 1 ``.bed/.bim/.fam`` (``bed-reader``); A1 = the counted allele. Returns the
        ``.bed`` path. Samples become founders (``0 0`` parents) when the pedigree is absent."""
        from bed_reader import to_bed

        prefix = Path(prefix)
        val = np.empty(self.shape, dtype=np.int8)
        for b in self.blocks(size=block):
            val[:, b.start : b.stop] = b.dosages
        val = np.where(val < 0, -127, val).astype(np.int8)
        v = self.variants
        a1 = [a if isinstance(a, str) and a else "B" for a in v["alt"]]
        a2 = [a if isinstance(a, str) and a else "A" for a in v["ref"]]
        sex_code = {"male": 1, "female": 2}
        s = self.samples
        props = {
            "fid": s["sample"].astype(str).tolist(),
            "iid": s["sample"].astype(str).tolist(),
            "father": [str(x) if isinstance(x, str) and x else "0" for x in s["father"]],
            "mother": [str(x) if isinstance(x, str) and x else "0" for x in s["mother"]],
            "sex": [sex_code.get(x, 0) for x in s["sex"]],
            "sid": v["name"].astype(str).tolist(),
            "chromosome": v["chrom"].astype(str).tolist(),
            "bp_position": v["pos"].astype(np.int32).tolist(),
            "cm_position": [0.0] * len(v),
            "allele_1": a1,
            "allele_2": a2,
        }
        bed = prefix.with_suffix(".bed")
        to_bed(bed, val, properties=props, count_A1=True)
        return bed


# ---------------------------------------------------------------------------- helpers
def _sort_variants(variants: pd.DataFrame) -> np.ndarray:
    """Column order that sorts variants by chromosome (numeric first) then position."""
    key = [(_chrom_order(c), p, i) for i, (c, p) in enumerate(zip(variants["chrom"], variants["pos"], strict=True))]
    return np.array([k[2] for k in sorted(key)], dtype=np.int64)


def _check_sorted(variants: pd.DataFrame, path: Path) -> None:
    for chrom, grp in variants.groupby("chrom", sort=False):
        p = grp["pos"].to_numpy()
        if np.any(np.diff(p) < 0):
            i = int(np.flatnonzero(np.diff(p) < 0)[0])
            raise InputError(f"variants of chromosome {chrom} are not sorted by position ({p[i]} before {p[i + 1]})", path=path)
    seen = variants["chrom"].to_numpy()
    runs = [seen[0]] + [b for a, b in zip(seen[:-1], seen[1:], strict=True) if a != b] if len(seen) else []
    if len(runs) != len(set(runs)):
        raise InputError("variants of one chromosome are not contiguous", path=path)


_ID_RE = re.compile(r"^(?P<asm>[^:]+):(?P<chrom>[^:]+):(?P<pos>\d+):(?P<ref>[^:]+):(?P<alt>[^:]+)$")


def _sex(x: Any) -> str | None:
    s = str(x).strip().lower()
    return {"1": "male", "m": "male", "male": "male", "2": "female", "f": "female", "female": "female"}.get(s)


# ---------------------------------------------------------------------------- VCF artifacts
def read_vcf_artifacts(
    npy: str | Path,
    *,
    panel: str | Path | None = None,
    vcf: str | Path | None = None,
) -> GenotypeMatrix:
    """The genotype matrix the VCF loader wrote (``{stem}.genotypes.npy``, memory-mapped).

    Args:
        npy: the ``.genotypes.npy`` file (its ``.variants.txt`` and ``.samples.txt`` sidecars
            sit next to it).
        panel: a 1000 Genomes style panel (``sample pop super_pop gender``, tab-separated) for
            population and sex.
        vcf: the (phased, indexed) VCF the matrix came from: :meth:`GenotypeMatrix.haplotypes`
            then reads the phased alleles of a block through a region query. Variants are
            matched by id; split or normalised records that do not match come back as ``-1``.

    Raises:
        InputError: a sidecar is missing or does not match the matrix shape.
    """
    npy = Path(npy)
    stem = npy.name[: -len(".genotypes.npy")] if npy.name.endswith(".genotypes.npy") else npy.stem
    ids_path = npy.with_name(f"{stem}.genotypes.variants.txt")
    samples_path = npy.with_name(f"{stem}.genotypes.samples.txt")
    for p in (npy, ids_path, samples_path):
        if not p.exists():
            raise InputError("genotype artifact does not exist (load the VCF with genotypes on)", path=p)
    mat = np.load(npy, mmap_mode="r")
    ids = ids_path.read_text().split()
    samples = samples_path.read_text().split()
    if mat.ndim != 2 or mat.shape != (len(samples), len(ids)):
        raise InputError(
            f"matrix shape {mat.shape} does not match {len(samples)} samples x {len(ids)} variants of its sidecars", path=npy
        )
    rows = []
    for i, vid in enumerate(ids):
        m = _ID_RE.match(vid)
        if not m:
            raise InputError(
                f"variant id {vid!r} is not {{assembly}}:{{chrom}}:{{pos}}:{{ref}}:{{alt}}", path=ids_path, line=i + 1
            )
        rows.append((vid, m["chrom"], int(m["pos"]), m["ref"], m["alt"], m["asm"]))
    variants = pd.DataFrame(rows, columns=["id", "chrom", "pos", "ref", "alt", "assembly"])
    variants.insert(1, "name", variants["id"])
    assembly = variants["assembly"].iloc[0] if len(variants) else None
    variants = variants.drop(columns="assembly")
    _check_sorted(variants, ids_path)
    smp = pd.DataFrame({"sample": samples, "population": None, "sex": None, "father": None, "mother": None})
    g = GenotypeMatrix(variants, smp, lambda a, b: mat[:, a:b], source=str(npy), assembly=assembly)
    if panel is not None:
        g = g.attach_samples(read_panel(panel))
    if vcf is not None:
        g.haplotype_reader = _VcfHaplotypes(Path(vcf), variants, samples)
    return g


def read_panel(path: str | Path) -> pd.DataFrame:
    """A 1000 Genomes sample panel (``sample pop super_pop gender``) as a samples table."""
    path = Path(path)
    if not path.exists():
        raise InputError("sample panel does not exist", path=path)
    t = pd.read_csv(path, sep="\t", dtype=str)
    t.columns = [c.strip() for c in t.columns]
    need = {"sample", "pop"}
    if not need <= set(t.columns):
        raise InputError(f"panel needs columns {sorted(need)} (got {list(t.columns)})", path=path, line=1)
    out = pd.DataFrame({"sample": t["sample"], "population": t["pop"]})
    if "super_pop" in t:
        out["super_population"] = t["super_pop"]
    if "gender" in t:
        out["sex"] = t["gender"].map(_sex)
    return out


class _VcfHaplotypes:
    """Phased alleles of a variant range, read from the indexed VCF by region (bounded memory)."""

    def __init__(self, vcf: Path, variants: pd.DataFrame, samples: list[str]) -> None:
        import cyvcf2

        if not vcf.exists():
            raise InputError("VCF does not exist", path=vcf)
        self.path = vcf
        self.variants = variants
        v = cyvcf2.VCF(str(vcf), lazy=True)
        self.contig = {normalise_chrom(c): c for c in v.seqnames}
        order = {s: i for i, s in enumerate(v.samples)}
        if set(samples) - set(order):
            raise InputError("the VCF's samples differ from the genotype matrix's", path=vcf)
        self.cols = np.array([order[s] for s in samples])

    def __call__(self, start: int, stop: int) -> np.ndarray:
        import cyvcf2

        v = self.variants.iloc[start:stop]
        out = np.full((len(self.cols), len(v), 2), -1, dtype=np.int8)
        if not len(v):
            return out
        where = {(int(p), r, a): j for j, (p, r, a) in enumerate(zip(v["pos"], v["ref"], v["alt"], strict=True))}
        vcf = cyvcf2.VCF(str(self.path), lazy=True)
        for chrom in v["chrom"].unique():
            sub = v[v["chrom"] == chrom]
            region = f"{self.contig.get(chrom, chrom)}:{int(sub['pos'].min())}-{int(sub['pos'].max())}"
            for rec in vcf(region):
                gt = rec.genotype.array() if rec.genotype is not None else None
                if gt is None or gt.shape[1] < 3:
                    continue
                for ai, alt in enumerate(rec.ALT, start=1):
                    j = where.get((rec.POS, rec.REF.upper(), alt.upper()))
                    if j is None:
                        continue
                    g = gt[self.cols]
                    phased = g[:, -1] == 1
                    for h in (0, 1):
                        a = g[:, h]
                        out[:, j, h] = np.where((a < 0) | ~phased, -1, (a == ai).astype(np.int8))
        return out


# ---------------------------------------------------------------------------- PLINK 1
def read_plink(prefix: str | Path, *, assembly: Assembly | None = None, population: str | None = None) -> GenotypeMatrix:
    """PLINK 1 ``.bed/.bim/.fam`` through ``bed-reader`` (read per variant range).

    Args:
        prefix: the path without extension (or the ``.bed`` path).
        assembly: when given, ``variants.id`` is the graph key ``{assembly}:{chrom}:{pos}:{A2}:{A1}``
            (A1 the counted allele); else the ``.bim`` marker name.
        population: a population label for every sample (the ``.fam`` has none).

    Sex comes from the ``.fam`` (1 male, 2 female), father/mother from its parent columns.
    """
    from bed_reader import open_bed

    prefix = Path(prefix)
    bed = prefix if prefix.suffix == ".bed" else prefix.with_name(prefix.name + ".bed")
    for ext in (".bed", ".bim", ".fam"):
        p = bed.with_suffix(ext)
        if not p.exists():
            raise InputError(f"PLINK {ext} file does not exist", path=p)
    try:
        ob = open_bed(bed, count_A1=True)
        chrom = [normalise_chrom(str(c)) for c in ob.chromosome]
        names = [str(s) for s in ob.sid]
        pos = np.asarray(ob.bp_position, dtype=np.int64)
        a1, a2 = [str(a) for a in ob.allele_1], [str(a) for a in ob.allele_2]
        iid, father, mother, sex = ob.iid, ob.father, ob.mother, ob.sex
    except (ValueError, OSError) as exc:
        raise InputError(f"cannot read as PLINK 1 binary ({exc})", path=bed) from None
    ids = [variant_key(assembly, c, int(p), r, a) for c, p, r, a in zip(chrom, pos, a2, a1, strict=True)] if assembly else names
    variants = pd.DataFrame({"id": ids, "name": names, "chrom": chrom, "pos": pos, "ref": a2, "alt": a1})
    _check_sorted(variants, bed.with_suffix(".bim"))
    smp = pd.DataFrame(
        {
            "sample": [str(x) for x in iid],
            "population": population,
            "sex": [{1: "male", 2: "female"}.get(int(s)) for s in sex],
            "father": [None if str(f) == "0" else str(f) for f in father],
            "mother": [None if str(m) == "0" else str(m) for m in mother],
        }
    )

    def reader(a: int, b: int) -> np.ndarray:
        d = ob.read(index=np.s_[:, a:b], dtype="int8", order="C")
        d[d < 0] = MISSING
        return d

    return GenotypeMatrix(variants, smp, reader, source=str(bed), assembly=assembly)


# ---------------------------------------------------------------------------- MSUPRP TSV
_MISSING_TOKENS = {"NA", "na", "NaN", "nan", ".", "", "-1", "-9"}


def read_msuprp(
    geno: str | Path,
    map_file: str | Path,
    *,
    pedigree: str | Path | None = None,
    covariates: str | Path | None = None,
    population: str | None = "MSUPRP",
    assembly: Assembly | None = None,
) -> GenotypeMatrix:
    """An MSUPRP-style 0/1/2 table: one row per animal (first column its id), one column per marker.

    Args:
        geno: TSV (optionally gzipped); missing calls are ``NA``, ``.``, empty, ``-1`` or ``-9``.
        map_file: ``snp chr pos`` (1-based bp); every marker of ``geno`` must be in it.
        pedigree: ``ID Par1 Par2 gener sex`` (parents ``0`` for founders; sex 0 female, 1 male).
        covariates: a table with ``id`` and ``sex`` (``M``/``F``), which overrides pedigree sex.
        population: the population label of every animal.
        assembly: recorded on the matrix (markers have no alleles, so ids stay marker names).

    The table is small (tens of MB as int8) and is held in memory; variants are sorted by
    chromosome and position.

    Raises:
        InputError: a value other than 0/1/2/missing (with line and marker), a marker absent
            from the map, duplicate animals or markers.
    """
    geno, map_file = Path(geno), Path(map_file)
    for p in (geno, map_file):
        if not p.exists():
            raise InputError("file does not exist", path=p)
    opener = gzip.open if geno.suffix == ".gz" else open
    with opener(geno, "rt") as fh:
        header = fh.readline().rstrip("\n").split("\t")
        markers = header[1:]
        if len(set(markers)) != len(markers):
            dup = pd.Series(markers)[pd.Series(markers).duplicated()].iloc[0]
            raise InputError(f"marker {dup!r} appears twice in the header", path=geno, line=1)
        animals: list[str] = []
        rows: list[np.ndarray] = []
        for lineno, line in enumerate(fh, start=2):
            f = line.rstrip("\n").split("\t")
            if len(f) != len(header):
                raise InputError(f"{len(f)} fields, expected {len(header)}", path=geno, line=lineno)
            vals = np.array(f[1:], dtype=object)
            out = np.full(len(markers), MISSING, dtype=np.int8)
            for code in ("0", "1", "2"):
                out[vals == code] = int(code)
            bad = ~np.isin(vals, ["0", "1", "2", *_MISSING_TOKENS])
            if bad.any():
                j = int(np.flatnonzero(bad)[0])
                raise InputError(f"genotype {vals[j]!r} is not 0, 1, 2 or missing (NA)", path=geno, line=lineno, field=markers[j])
            animals.append(f[0])
            rows.append(out)
    if len(set(animals)) != len(animals):
        dup = pd.Series(animals)[pd.Series(animals).duplicated()].iloc[0]
        raise InputError(f"animal {dup!r} appears twice", path=geno)
    mp = pd.read_csv(map_file, sep="\t", dtype={"snp": str, "chr": str})
    if not {"snp", "chr", "pos"} <= set(mp.columns):
        raise InputError(f"map needs columns snp, chr, pos (got {list(mp.columns)})", path=map_file, line=1)
    mp = mp.drop_duplicates("snp").set_index("snp")
    absent = [m for m in markers if m not in mp.index]
    if absent:
        raise InputError(f"{len(absent)} marker(s) of the genotypes are not in the map, e.g. {absent[:3]}", path=map_file)
    variants = pd.DataFrame(
        {
            "id": markers,
            "name": markers,
            "chrom": [normalise_chrom(str(c)) for c in mp.loc[markers, "chr"]],
            "pos": mp.loc[markers, "pos"].to_numpy(np.int64),
            "ref": None,
            "alt": None,
        }
    )
    order = _sort_variants(variants)
    variants = variants.iloc[order].reset_index(drop=True)
    mat = np.stack(rows)[:, order] if rows else np.zeros((0, len(markers)), dtype=np.int8)
    smp = pd.DataFrame({"sample": animals, "population": population, "sex": None, "father": None, "mother": None})
    g = GenotypeMatrix(variants, smp, lambda a, b: mat[:, a:b], source=str(geno), assembly=assembly)
    if pedigree is not None:
        ped = pd.read_csv(pedigree, sep="\t", dtype=str)
        need = {"ID", "Par1", "Par2"}
        if not need <= set(ped.columns):
            raise InputError(f"pedigree needs columns {sorted(need)} (got {list(ped.columns)})", path=pedigree, line=1)
        t = pd.DataFrame(
            {
                "sample": ped["ID"],
                "father": ped["Par1"].where(ped["Par1"] != "0"),
                "mother": ped["Par2"].where(ped["Par2"] != "0"),
            }
        )
        if "gener" in ped:
            t["generation"] = pd.to_numeric(ped["gener"], errors="coerce")
        if "sex" in ped:
            t["sex"] = ped["sex"].map({"0": "female", "1": "male"})
        t = t.astype(object).where(t.notna(), None)
        g = g.attach_samples(t)
    if covariates is not None:
        cov = pd.read_csv(covariates, sep="\t", dtype=str)
        if "id" not in cov.columns:
            raise InputError(f"covariates need an 'id' column (got {list(cov.columns)})", path=covariates, line=1)
        if "sex" in cov:
            t = pd.DataFrame({"sample": cov["id"], "sex": cov["sex"].map(_sex)}).dropna()
            g = g.attach_samples(t)
    return g
