"""The ``payload`` axis: bytes shipped per task against the compute they feed.

A process pool that copies each task's inputs to its worker (a strategy that
``ships_inputs``, such as ``processes-pickle``) pays for every byte; one over shared
memory and a thread pool read them in place. What decides whether the copying erases the
processes' gain is the ratio of bytes shipped to the compute they feed. The axis needs a
kernel whose compute per byte is tunable: one that ships per-chunk inputs
(``Kernel.payload``) and maps ``"payload"`` in ``Kernel.axis_params`` to a parameter
counting passes over each chunk (``reduction``: ``passes``, see
:class:`gilbench.kernels.RepeatedChunk`). Each point is a pass count; its problem size
keeps one serial execution near a fixed time, so the slice per task shrinks as the passes
grow, and the ratio spans from one streaming pass (gigabytes per second of compute) to
thousands of passes over a cached slice. The ``copy-crossover`` finding reads the runs.
"""

from gilbench.axes import AxisInfo

NAME = "payload"
CROSSOVER = "copy-crossover"

INFO = AxisInfo(
    name=NAME,
    description=("bytes shipped per task per second of compute, from one pass over each "
                 "input to 1024: pickled inputs against shared memory against threads"),
    condition="bytes per task",
    finders=(CROSSOVER,),
)
