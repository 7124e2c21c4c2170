"""Code that runs inside isolated subinterpreters, each with its own GIL.

numpy cannot load there (numpy issue 24755), so nothing in this package imports numpy or
any module that does: the ``subinterpreters`` strategy imports these modules in each
subinterpreter without running gilbench's package ``__init__`` (which loads the
registries, and numpy with them). Workspace arrays arrive as memoryviews. Kernels point
their flavours here through ``Implementation.isolated``; where the main interpreter can
run the same Python code, the kernel module imports it from here, so it exists once.
"""
