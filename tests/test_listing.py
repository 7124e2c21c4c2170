"""``gilbench list``: the registries as plain data, as JSON and as the same data in tables."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

from rich.console import Console

from gilbench import FLAVOURS, KERNELS, PROFILES, STRATEGIES
from gilbench.axes.registry import AXES
from gilbench.listing import print_listing, registry_listing


def _text(data: dict) -> str:
    out = io.StringIO()
    print_listing(Console(file=out, width=160, color_system=None), data)
    return out.getvalue()


def test_list_json_names_everything_registered():
    out = subprocess.run([sys.executable, "-m", "gilbench", "list", "--json"],
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "COLUMNS": "200"})
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert list(data["kernels"]) == list(KERNELS)
    assert list(data["flavours"]) == list(FLAVOURS)
    assert list(data["strategies"]) == list(STRATEGIES)
    assert list(data["axes"]) == list(AXES)
    assert list(data["profiles"]) == list(PROFILES)
    for name, kernel in data["kernels"].items():
        assert list(kernel["flavours"]) == list(FLAVOURS), name
        assert kernel["implemented"] == list(KERNELS[name].implementations), name
    for name, strategy in data["strategies"].items():
        assert strategy["capabilities"] == STRATEGIES[name].capabilities(), name


def test_the_listing_is_plain_data():
    data = registry_listing()
    assert json.loads(json.dumps(data)) == data


def test_the_tables_render_the_data_alone():
    """Rendered from its JSON round trip, the text is the same: nothing but the data."""
    data = registry_listing()
    text = _text(data)
    assert _text(json.loads(json.dumps(data))) == text
    for name in [*KERNELS, *FLAVOURS, *STRATEGIES, *AXES]:
        assert name in text, name


def test_the_tables_follow_the_data():
    """A strategy the data says is unavailable is shown so, with the reason."""
    data = registry_listing()
    name = next(iter(data["strategies"]))
    data["strategies"][name]["status"] = "no such thing here (test)"
    assert "no such thing here (test)" in _text(data)
