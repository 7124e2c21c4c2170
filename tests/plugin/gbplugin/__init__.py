"""A user's own gilbench plugin, written only against gilbench's public API, as a
separate package would be. The tests install it by putting this folder and a dist-info
(with its ``gilbench.kernels`` entry point) on the path of a fresh interpreter."""
