"""Loaders: one module per source format, each registered under one name (see :mod:`varkg.loaders.base`)."""

from varkg.loaders.base import Frame, LoadContext, Loader, get_loader, loader_names, register_loader

__all__ = ["Frame", "LoadContext", "Loader", "get_loader", "loader_names", "register_loader"]
