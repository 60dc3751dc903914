"""Loader options: one declaration per loader (its docstring) that the code cannot drift from."""

from __future__ import annotations

import inspect
import re
import sys

import pytest

from varkg.errors import InputError
from varkg.loaders.base import get_loader, loader_names
from varkg.loaders.options import RENAMED, UNIVERSAL_OPTIONS, check_options, loader_options
from varkg.loaders.run import load

_READ = re.compile(r"""(?:option\(\s*[\w.]+,\s*|options\.get\(\s*|opts\.get\(\s*|options\[\s*)["']([a-z_]+)["']""")
# options read by shared helpers, by the helper a loader module calls
_HELPERS = {
    "GeneMapper.from_context": {"id_map"},
    "gene_policy(": {"genes"},
    "annotation_from_context(": {"annotation"},
    "reference_of(": {"reference"},
}


def _read_by_module(module) -> set[str]:
    src = inspect.getsource(module)
    names = set(_READ.findall(src))
    for call, opts in _HELPERS.items():
        if call in src:
            names |= opts
    return names - UNIVERSAL_OPTIONS - set(RENAMED)


@pytest.mark.parametrize(
    "module", sorted(m for m in {type(get_loader(n)).__module__ for n in loader_names()} if m.startswith("varkg.loaders."))
)
def test_every_option_a_loader_reads_is_declared(module: str) -> None:
    classes = [type(get_loader(n)) for n in loader_names() if type(get_loader(n)).__module__ == module]
    declared = set().union(*({s.name for s in loader_options(c)} for c in classes))
    missing = _read_by_module(sys.modules[module]) - declared
    assert not missing, f"{module} reads options {sorted(missing)} that no loader docstring declares under Options:"


def test_every_loader_declares_an_example() -> None:
    from varkg.loaders.options import loader_example

    builtin = [n for n in loader_names() if type(get_loader(n)).__module__.startswith("varkg.loaders.")]  # not test loaders
    assert builtin and [n for n in builtin if not loader_example(type(get_loader(n)))] == []


def test_unknown_option_is_refused_before_reading(shared_data, ladybug_store) -> None:
    with pytest.raises(InputError, match=r"no option 'min_scor'; valid options: .*min_score"):
        load(ladybug_store, "interactions", [shared_data / "networks/ebi_complex_portal_sample.tsv"], options={"min_scor": 1})
    with pytest.raises(InputError, match="now called id_map"):
        check_options(type(get_loader("pathways")), {"gene_info": "x"})
    assert ladybug_store.counts().get("Dataset", 0) == 0


def test_describe_cli_lists_options_and_example() -> None:
    from typer.testing import CliRunner

    from varkg.cli.main import app

    r = CliRunner().invoke(app, ["load", "--describe", "hic"])
    assert r.exit_code == 0, r.output
    assert "min_obs_exp" in r.output and "resolution" in r.output and "varkg load hic" in r.output
