"""Build gilbench's native code: one Cython extension per kernel family and a plain-C library.

Metadata lives in pyproject.toml; this file only lists the extensions and decides compiler
flags. OpenMP is probed by compiling, linking and running a tiny program with the compiler
setuptools picked, so no flag or compiler name is hard-coded.

Environment variables:
  GILBENCH_REQUIRE_OPENMP=1  fail the build when OpenMP is not usable (CI sets it).
  GILBENCH_BOUNDSCHECK=1     compile Cython with bounds/wraparound checks (debugging).
  GILBENCH_MARCH=...         target CPU for -march (default "native"; "none" to omit).
"""

import os
import shutil
import subprocess
import sys
import tempfile

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


# One .pyx per kernel family in ext/, compiled into gilbench._native.<name>.
# buildinfo reports how the extensions were built (OpenMP, flags) at run time.
CYTHON_MODULES = [
    "buildinfo",
    "nbody",
    "reduction",
    "mandelbrot",
    "montecarlo",
    "primes",
    "pyobjects",
    "isolated",
]
#: Modules that isolated subinterpreters (own GIL) may load: they keep their state per
#: module (PEP 489 multi-phase init with module state), say so in their header
#: (``subinterpreters_compatible=own_gil``) and use no typed memoryviews.
SUBINTERPRETER_MODULES = {"isolated"}

# Plain C for the c-ctypes flavour: no Python API, one shared library loaded with ctypes.
C_LIBRARY = "gilbench._native.libgilbench"
C_SOURCES = [
    "ext/csrc/nbody.c",
    "ext/csrc/reduction.c",
    "ext/csrc/mandelbrot.c",
    "ext/csrc/montecarlo.c",
    "ext/csrc/primes.c",
]

BOUNDSCHECK = _env_flag("GILBENCH_BOUNDSCHECK")
COMPILER_DIRECTIVES = {
    "language_level": 3,
    "boundscheck": BOUNDSCHECK,
    "wraparound": BOUNDSCHECK,
    "initializedcheck": BOUNDSCHECK,
    "cdivision": True,
    # Every module also says so in its header; set here too so a new module cannot forget.
    "freethreading_compatible": True,
}

# Floating-point contraction (FMA) would make compiled results differ from Python's and
# numpy's in the last bit, and every flavour must be bit-identical.
UNIX_CFLAGS = ["-O3", "-ffp-contract=off"]

OPENMP_PROBE = r"""
#include <omp.h>
#include <stdio.h>
int main(void) {
    int n = 0;
    #pragma omp parallel reduction(+:n)
    n += 1;
    printf("%d\n", n);
    return n > 0 ? 0 : 1;
}
"""


def probe_flags(compiler, flags: list[str]) -> bool:
    """True when ``compiler`` compiles and links a trivial program with ``flags``."""
    tmp = tempfile.mkdtemp(prefix="gilbench-flags-")
    try:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as fh:
            fh.write("int main(void) { return 0; }\n")
        try:
            objs = compiler.compile([src], output_dir=tmp, extra_postargs=flags)
            compiler.link_executable(objs, "probe", output_dir=tmp, extra_postargs=flags)
        except Exception:  # noqa: BLE001 - any failure means "not with these flags"
            return False
        return True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def march_flags(compiler) -> list[str]:
    """``-march=<GILBENCH_MARCH or native>`` when the compiler accepts it.

    gilbench is built on the machine it measures, and numba JIT-compiles for the host CPU;
    targeting the host here too compares like with like (FMA stays off: -ffp-contract=off).
    """
    target = os.environ.get("GILBENCH_MARCH", "native").strip()
    if compiler.compiler_type == "msvc" or target.lower() in ("", "none", "0", "off"):
        return []
    flag = [f"-march={target}"]
    if probe_flags(compiler, flag):
        return flag
    print(f"WARNING: gilbench: the compiler rejects {flag[0]}; building for the "
          "default target", file=sys.stderr)
    return []


def _openmp_candidates(compiler_type: str) -> list[tuple[list[str], list[str]]]:
    """(compile args, link args) worth trying for this compiler family, most common first."""
    if compiler_type == "msvc":
        return [(["/openmp"], [])]
    return [
        (["-fopenmp"], ["-fopenmp"]),  # gcc, clang with libomp
        (["-Xpreprocessor", "-fopenmp"], ["-lomp"]),  # Apple clang with Homebrew libomp
    ]


def probe_openmp(compiler) -> tuple[list[str], list[str]] | None:
    """Return the OpenMP flags that compile, link and run a test program, or None."""
    tmp = tempfile.mkdtemp(prefix="gilbench-omp-")
    try:
        src = os.path.join(tmp, "probe_openmp.c")
        with open(src, "w") as fh:
            fh.write(OPENMP_PROBE)
        for cflags, ldflags in _openmp_candidates(compiler.compiler_type):
            try:
                objs = compiler.compile([src], output_dir=tmp, extra_postargs=cflags)
                exe = "probe_openmp"
                compiler.link_executable(objs, exe, output_dir=tmp, extra_postargs=ldflags)
                out = subprocess.run(
                    [os.path.join(tmp, exe)], capture_output=True, text=True, timeout=60
                )
            except Exception:  # noqa: BLE001 - any failure means "not with these flags"
                continue
            if out.returncode == 0 and out.stdout.strip().isdigit():
                return cflags, ldflags
        return None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class BuildExt(build_ext):
    """build_ext that probes OpenMP once and records the flags in gilbench._native.buildinfo."""

    def build_extensions(self):
        unix = self.compiler.compiler_type != "msvc"
        base = (list(UNIX_CFLAGS) if unix else ["/O2", "/fp:precise"]) + \
            march_flags(self.compiler)
        omp = probe_openmp(self.compiler)
        if omp is None:
            msg = (
                "gilbench: OpenMP is not usable with this compiler; cython-prange will run "
                "serially and the 'openmp' strategy will be unavailable."
            )
            if _env_flag("GILBENCH_REQUIRE_OPENMP"):
                raise SystemExit(msg.replace("gilbench:", "gilbench: error:") +
                                 " (GILBENCH_REQUIRE_OPENMP is set)")
            print("WARNING: " + msg, file=sys.stderr)
            omp_c, omp_l = [], []
        else:
            omp_c, omp_l = omp
        flags_text = " ".join(base + omp_c).replace('"', "")
        for ext in self.extensions:
            ext.extra_compile_args = base + (omp_c if ext.name != C_LIBRARY else [])
            ext.extra_link_args = omp_l if ext.name != C_LIBRARY else []
            if ext.name == "gilbench._native.buildinfo":
                ext.define_macros.append(("GILBENCH_CFLAGS", f'"{flags_text}"'))
                ext.define_macros.append(("GILBENCH_BOUNDSCHECK", "1" if BOUNDSCHECK else "0"))
        super().build_extensions()

    def get_export_symbols(self, ext):
        # The ctypes library has no Python API, hence no PyInit_ symbol to export.
        if ext.name == C_LIBRARY:
            return []
        return super().get_export_symbols(ext)


extensions = [
    Extension(f"gilbench._native.{name}", [f"ext/{name}.pyx"],
              define_macros=[("CYTHON_USE_MODULE_STATE", "1")]
              if name in SUBINTERPRETER_MODULES else [])
    for name in CYTHON_MODULES
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives=COMPILER_DIRECTIVES,
        include_path=["ext"],
    )
    # libm for sqrt & co: without it the library only loads because Python already has libm.
    + [Extension(C_LIBRARY, C_SOURCES, libraries=["m"] if os.name == "posix" else [])],
    cmdclass={"build_ext": BuildExt},
)
