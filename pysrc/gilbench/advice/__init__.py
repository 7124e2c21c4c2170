"""``gilbench advise``: place the user's own function on the map, recommend how to run it
in parallel on this machine, and prove the recommendation by running it.

One concern per module: :mod:`.target` (load and check the function and items),
:mod:`.profile` (task time, GIL-held share, pickled bytes), :mod:`.costs` (the machine's
per-task costs), :mod:`.model` (predicted speedups), :mod:`.pools` (the executors),
:mod:`.verify` (the candidates run for real), :mod:`.recommend` (the choice, the why
and the code to paste), :mod:`.document` (the :class:`Advice` value: terminal, JSON,
Markdown, HTML), :mod:`.plot`, :mod:`.command` (the CLI layer) and :mod:`.api`
(:func:`advise`, exported as ``gilbench.advise``).
"""
