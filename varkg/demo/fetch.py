"""The demo's source manifest and ``varkg fetch``: download public sources into a cache, or use a mirror."""

from __future__ import annotations

import os
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

from varkg.errors import VarkgError

MANIFEST = Path(__file__).resolve().parent / "manifest.yaml"


@dataclass(frozen=True)
class Source:
    name: str
    description: str
    url: str
    mirror: str | None
    loader: str | None
    package: str | None = None


def sources() -> list[Source]:
    """The sources listed in ``manifest.yaml``."""
    doc = yaml.safe_load(MANIFEST.read_text())
    return [
        Source(s["name"], s.get("description", ""), s["url"], s.get("mirror"), s.get("loader"), s.get("package"))
        for s in doc["sources"]
    ]


def default_cache() -> Path:
    return Path(os.environ.get("VARKG_CACHE", Path.home() / ".cache" / "varkg"))


def fetch(
    *,
    cache: Path,
    mirror: Path | None = None,
    names: list[str] | None = None,
    timeout: float = 20.0,
) -> list[tuple[str, str, str]]:
    """Make each source available: found in ``mirror``, already in ``cache``, or downloaded into it.

    Returns ``(name, status, where)`` per source; status is ``mirror``, ``cached``,
    ``downloaded`` or ``unavailable`` (with the reason in ``where``).
    """
    todo = sources()
    if names:
        unknown = sorted(set(names) - {s.name for s in todo})
        if unknown:
            raise VarkgError(f"unknown source {unknown[0]!r}; expected one of: {', '.join(s.name for s in todo)}")
        todo = [s for s in todo if s.name in names]
    out = []
    for s in todo:
        if s.package:
            import importlib.util

            if importlib.util.find_spec(s.package) is not None:
                out.append((s.name, "package", f"installed Python package {s.package}"))
                continue
        if mirror is not None and s.mirror and (mirror / s.mirror).exists():
            out.append((s.name, "mirror", str(mirror / s.mirror)))
            continue
        target = cache / s.name / (s.url.rstrip("/").rsplit("/", 1)[-1].split("?")[0] or s.name)
        if target.exists():
            out.append((s.name, "cached", str(target)))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".part")
        try:
            with urllib.request.urlopen(s.url, timeout=timeout) as r, open(tmp, "wb") as fh:
                shutil.copyfileobj(r, fh)
            tmp.replace(target)
            out.append((s.name, "downloaded", str(target)))
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            tmp.unlink(missing_ok=True)
            out.append((s.name, "unavailable", f"{type(exc).__name__}: {str(exc)[:120]}"))
    return out
