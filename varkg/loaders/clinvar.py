"""The ClinVar VCF: clinical significance, review stars and conditions.

Variant nodes (1-based pos, split alleles, ``{assembly}:{chrom}:{pos}:{ref}:{alt}``) with
``clinical_significance`` normalised to pathogenic / likely_pathogenic / uncertain /
likely_benign / benign / conflicting / other and ``review_stars`` (0-4) from CLNREVSTAT; each
condition of CLNDN/CLNDISDB becomes a Phenotype (MONDO, then OMIM, then MedGen, then HPO/Orphanet
id; else the normalised name) with an ASSOCIATED_WITH edge (source ``ClinVar``, study = the
ClinVar variation id).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa

from varkg.errors import InputError
from varkg.loaders._support.context import option, require_assembly
from varkg.loaders._support.text import check_gzip
from varkg.loaders.base import Frame, LoadContext, Loader, register_loader
from varkg.typing import normalise_chrom, variant_key

_STARS = {
    "practice_guideline": 4,
    "reviewed_by_expert_panel": 3,
    "criteria_provided,_multiple_submitters,_no_conflicts": 2,
    "criteria_provided,_conflicting_interpretations": 1,
    "criteria_provided,_conflicting_classifications": 1,
    "criteria_provided,_single_submitter": 1,
}
_ID_PRIORITY = ("MONDO", "OMIM", "MedGen", "Human_Phenotype_Ontology", "HP", "Orphanet", "EFO")


def normalise_significance(clnsig: str) -> str:
    """ClinVar CLNSIG -> one of pathogenic, likely_pathogenic, uncertain, likely_benign, benign,
    conflicting, other.

    >>> normalise_significance("Pathogenic/Likely_pathogenic"), normalise_significance("Uncertain_significance")
    ('pathogenic', 'uncertain')
    """
    s = clnsig.lower().replace(" ", "_")
    if "conflicting" in s:
        return "conflicting"
    first = re.split(r"[|,;]", s)[0]
    if first.startswith("pathogenic"):
        return "pathogenic"
    if first.startswith("likely_pathogenic"):
        return "likely_pathogenic"
    if first.startswith("uncertain"):
        return "uncertain"
    if first.startswith("likely_benign"):
        return "likely_benign"
    if first.startswith("benign"):
        return "benign"
    return "other"


def review_stars(revstat: str) -> int:
    """CLNREVSTAT -> 0-4 stars."""
    return _STARS.get(revstat.strip().lower().lstrip("_"), 0)


def _phenotype_id(disdb: str, name: str) -> tuple[str, str, list[str]]:
    ids = [x for x in disdb.split(",") if x and x != "."]
    best = None
    for pref in _ID_PRIORITY:
        for x in ids:
            if x.startswith(pref + ":") or (pref == "MONDO" and x.startswith("MONDO:MONDO:")):
                best = x.replace("MONDO:MONDO:", "MONDO:").replace("Human_Phenotype_Ontology:", "")
                break
        if best:
            break
    if best is None:
        return re.sub(r"\s+", " ", name.replace("_", " ").strip().lower()), "name", ids
    return best, best.split(":")[0], ids


@register_loader("clinvar")
class ClinvarLoader(Loader):
    """ClinVar VCF -> Variant (significance, stars), Phenotype, ASSOCIATED_WITH.

    Options:
        batch_size (int): records per frame (default 50000).
        conditions (bool): create Phenotype nodes and edges (default true); ``not_provided`` /
            ``not_specified`` conditions are never linked.

    Example:
        ``varkg load clinvar clinvar.vcf.gz --assembly GRCh38``
    """

    description = "ClinVar VCF: clinical significance, review stars, conditions"

    def frames(self, paths: Sequence[Path], *, context: LoadContext) -> Iterator[Frame]:
        import cyvcf2

        assembly = require_assembly(context, "clinvar")
        batch_size = option(context.options, "batch_size", 50_000)
        with_conditions = option(context.options, "conditions", True)
        for path in paths:
            path = Path(path)
            check_gzip(path)
            try:
                vcf = cyvcf2.VCF(str(path))
            except Exception as exc:  # cyvcf2 raises bare Exception
                raise InputError(f"cannot open as VCF ({exc})", path=path) from None
            n_header = vcf.raw_header.count("\n")
            nodes: list[dict] = []
            phen: dict[str, tuple[str, str, list[str]]] = {}
            edges: dict[tuple[str, str], dict] = {}
            for i, v in enumerate(vcf):
                line = n_header + i + 1
                chrom = normalise_chrom(v.CHROM)
                if context.reference is not None and chrom not in context.reference:
                    raise InputError(f"unknown chromosome {v.CHROM!r}: not in the reference", path=path, line=line, field="CHROM")
                if not v.ALT:
                    continue
                sig_raw = v.INFO.get("CLNSIG") or ""
                sig = normalise_significance(str(sig_raw)) if sig_raw else None
                stars = review_stars(str(v.INFO.get("CLNREVSTAT") or ""))
                rs = v.INFO.get("RS")
                rsid = f"rs{str(rs).split('|')[0]}" if rs else None
                for alt in v.ALT:
                    if alt in ("*", "."):
                        continue
                    vid = variant_key(assembly, chrom, v.POS, v.REF.upper(), alt.upper())
                    nodes.append(
                        {
                            "id": vid,
                            "assembly": assembly,
                            "chrom": chrom,
                            "pos": v.POS,
                            "ref": v.REF.upper(),
                            "alt": alt.upper(),
                            "rsid": rsid,
                            "clinical_significance": sig,
                            "review_stars": stars,
                            "vtype": "SNV" if len(v.REF) == len(alt) == 1 else ("MNV" if len(v.REF) == len(alt) else "INDEL"),
                        }
                    )
                    if not with_conditions:
                        continue
                    names = str(v.INFO.get("CLNDN") or "").split("|")
                    dbs = str(v.INFO.get("CLNDISDB") or "").split("|")
                    for k, name in enumerate(names):
                        if not name or name.lower() in ("not_provided", "not_specified", "."):
                            continue
                        pid, onto, xrefs = _phenotype_id(dbs[k] if k < len(dbs) else "", name)
                        phen.setdefault(pid, (name.replace("_", " "), onto, xrefs))
                        edges.setdefault(
                            (vid, pid),
                            {
                                "src": vid,
                                "dst": pid,
                                "source": "ClinVar",
                                "study": str(v.ID or ""),
                                "clinical_significance": sig,
                                "review_stars": stars,
                            },
                        )
                if len(nodes) >= batch_size:
                    yield from _flush(nodes, phen, edges)
                    nodes, phen, edges = [], {}, {}
            yield from _flush(nodes, phen, edges)
            vcf.close()


def _flush(nodes: list[dict], phen: dict, edges: dict) -> Iterator[Frame]:
    if nodes:
        uniq = {n["id"]: n for n in nodes}
        yield Frame.nodes("Variant", pa.Table.from_pylist(list(uniq.values())))
    if phen:
        ids = list(phen)
        yield Frame.nodes(
            "Phenotype",
            pa.table(
                {
                    "id": ids,
                    "name": [phen[i][0] for i in ids],
                    "ontology": [phen[i][1] for i in ids],
                    "xrefs": pa.array([phen[i][2] for i in ids], pa.list_(pa.string())),
                }
            ),
        )
    if edges:
        yield Frame.edges("ASSOCIATED_WITH", pa.Table.from_pylist(list(edges.values())), src_type="Variant", dst_type="Phenotype")
