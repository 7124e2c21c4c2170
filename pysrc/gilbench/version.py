"""gilbench's version, in a module of its own: results record it, and the modules that
do must not import the package root (which re-exports the whole public API)."""

__version__ = "0.1.0"
