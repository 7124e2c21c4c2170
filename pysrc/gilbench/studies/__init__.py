"""Studies: the tutorial's claims about threads, processes and the GIL, each measured.

``STUDIES`` maps a name to a :class:`Study`; ``gilbench study NAME`` runs one (see
:func:`run_studies`), and :func:`render_studies` re-renders the report of a folder.
"""

from gilbench.studies.base import (
    PRESETS,
    STUDIES,
    Progress,
    Study,
    StudyError,
    StudyResult,
    Table,
    get_study,
    register_study,
)
from gilbench.studies.report import load_folder, load_result, render_studies, write_result
from gilbench.studies.runner import ALL, StudiesOutcome, run_studies

__all__ = [
    "ALL", "PRESETS", "STUDIES", "Progress", "StudiesOutcome", "Study", "StudyError",
    "StudyResult", "Table", "get_study", "load_folder", "load_result",
    "register_study", "render_studies", "run_studies", "write_result",
]


def _register_builtin() -> None:
    from gilbench.studies import contention, costs, gil_census, switch_interval, sync

    for module in (costs, switch_interval, contention, gil_census, sync):
        register_study(module.STUDY)


_register_builtin()
