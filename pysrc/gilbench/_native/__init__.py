"""Compiled extensions (built by setup.py from ext/) and the ctypes C library."""
