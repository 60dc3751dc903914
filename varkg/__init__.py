"""varkg: a graph-database-centric knowledge platform for genomic variant effect analysis.

Importing :mod:`varkg` is cheap: it never imports torch, transformers or a database
driver. Heavy subpackages (:mod:`varkg.lm`, :mod:`varkg.gnn`) are imported where used.

Example:
    >>> import varkg
    >>> varkg.__version__
    '0.1.0'
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
