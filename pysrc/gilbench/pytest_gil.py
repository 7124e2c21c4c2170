"""pytest plugin (entry point ``pytest11``): the ``gil`` fixture, GIL assertions for a test.

``def test_my_kernel_releases_the_gil(gil): gil.assert_releases(my_kernel, data)``; see
:class:`gilbench.testing.GilAssertions`. Loading the plugin imports nothing but this
module: the measuring code loads when a test first asks for the fixture.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from gilbench.testing import GilAssertions


@pytest.fixture
def gil() -> GilAssertions:
    """GIL assertions: ``gil.assert_releases(fn, *args, max_held=0.1)``,
    ``gil.assert_holds(fn, *args, min_held=0.5)`` and ``gil.held_share(fn, *args)``; each
    skips the test where the interpreter runs without a GIL (gilbench.testing)."""
    from gilbench.testing import GilAssertions

    return GilAssertions()
