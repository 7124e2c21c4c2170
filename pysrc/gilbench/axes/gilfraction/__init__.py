"""The ``gil-fraction`` axis: the share f of each chunk's work that holds the GIL.

Flavours that declare a tunable GIL share (``Flavour.tunable_gil_share``: ``cython-mixed``
on mandelbrot) hold the GIL for a share f of every chunk's work, interleaved with
released stretches; the kernel maps the axis to the problem parameter their chunks read
(``Kernel.axis_params["gil-fraction"]``). Each point runs serially (the baseline), on the
thread pools and on the process pools (by trait), with the same size and chunks, at the
usable cores (or the largest named worker count). The ``gil-fraction-threshold`` finding
reads the runs; the chunks' own timings (in each run's ``extra``) explain the curve.
"""

from gilbench.axes import AxisInfo

NAME = "gil-fraction"
THRESHOLD = "gil-fraction-threshold"

INFO = AxisInfo(
    name=NAME,
    description=("share f of each chunk's work that holds the GIL, 0 to 1 (interleaved "
                 "with released stretches): up to which f threads rival processes"),
    condition="GIL-held fraction",
    finders=(THRESHOLD,),
)
