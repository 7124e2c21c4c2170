"""The ``workers`` axis: the plain sweep itself, 1 worker up to 2x the usable cores.

``plan.py`` tags the plain sweep's runs; ``findings.py`` fits Amdahl's law and the
Universal Scalability Law to each speedup curve (``scaling-fit``); ``plot.py`` renders
those fits as a report section.
"""

from gilbench.axes import AxisInfo

NAME = "workers"
#: The workers axis's kinds: the headline threads-vs-processes verdict states its
#: condition (a core verdict, :mod:`gilbench.analysis.verdicts`), the scaling fits are here.
THREADS_VS_PROCESSES = "threads-vs-processes"
SCALING_FIT = "scaling-fit"
#: What more workers than usable cores did (these runs feed no headline).
OVERSUBSCRIPTION = "oversubscription"

INFO = AxisInfo(
    name=NAME,
    description=("the plain sweep over worker counts, 1 up to 2x the usable cores "
                 "(runs tagged axis=workers)"),
    condition="workers",
    finders=(THREADS_VS_PROCESSES,),
    plain_sweep="tag",
)
