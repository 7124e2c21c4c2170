"""Axis registry: ``AXES`` maps a name to an :class:`Axis` (the contract is in
:mod:`gilbench.axes.base`), the built-in ones loaded from each axis package's ``plan.py``
(its ``AXIS``) in the order of :data:`gilbench.axes.BUILTIN`.

``gilbench run --axis NAME`` plans the named axes' runs through :func:`plan_axes` (called
by :func:`gilbench.plan.build_plan`); a profile's default axes (``Axis.default_in``) join a
plain ``gilbench run``. Register your own with :func:`register_axis`.
"""

from __future__ import annotations

from collections.abc import Sequence

from gilbench.axes import load, register_info, unregister_info
from gilbench.axes.base import Axis, Selection
from gilbench.kernels import Kernel
from gilbench.registry import add, lookup

__all__ = ["AXES", "Axis", "Selection", "axes_to_plan", "axis_reasons", "cost_factor",
           "get_axis", "measure_settings", "plan_axes", "register_axis", "unregister_axis"]

AXES: dict[str, Axis] = {}


def register_axis(axis: Axis, *, replace: bool = False) -> Axis:
    """Add an axis instance to the registry."""
    if not isinstance(axis, Axis):
        raise TypeError(f"register_axis expects an Axis instance. "
                        f"Got {type(axis).__name__} instead.")
    add(AXES, "axis", axis.name, axis, replace=replace)
    register_info(axis.info)  # what the readers (findings, report) know of it
    return axis


def unregister_axis(name: str) -> None:
    """Remove axis ``name`` (registered by a plugin or a test) from every registry."""
    AXES.pop(name, None)
    unregister_info(name)


def get_axis(name: str) -> Axis:
    """The registered axis ``name``; ValueError lists the valid names."""
    return lookup(AXES, "axis", name)


def axes_to_plan(names: Sequence[str] | None) -> tuple[list[Axis], bool, str | None, bool]:
    """What ``--axis names`` asks of the plain sweep: ``(axes, plan the plain sweep,
    the tag its runs carry, extend its worker counts to 2x the cores)``.

    ``None`` (no ``--axis``) is the plain sweep, untagged. Unknown names raise ValueError
    listing the valid ones.
    """
    if names is None:
        return [], True, None, False
    axes = list(dict.fromkeys(get_axis(n) for n in names))
    plain = any(a.plain_sweep for a in axes)
    tag = next((a.name for a in axes if a.plain_sweep == "tag"), None)
    return axes, plain, tag, any(a.oversubscribe for a in axes)


def plan_axes(plan, axes: Sequence[Axis] | None, kernels: Sequence[Kernel], *,
              narrowed: bool, **filters: Sequence) -> None:
    """Append the runs of ``axes`` for every kernel to ``plan`` (in place).

    ``axes`` None means the profile's default axes, which join only a sweep that no filter
    but the kernels narrowed (a narrowed run measures just what it names) and only on the
    kernels each axis names for the profile. Kernels an axis cannot map go to
    ``plan.not_applicable`` with the reason.
    """
    profile = plan.profile
    if axes is None:
        if narrowed:
            return
        work = [(a, a.default_in[profile.name]) for a in AXES.values()
                if profile.name in a.default_in and not a.plain_sweep]
        selection = Selection.of(profile.name, **filters, as_default=True)
    else:
        work = [(a, None) for a in axes if not a.plain_sweep]
        selection = Selection.of(profile.name, **filters)
    present = set(plan.specs)
    for axis, only in work:
        for kernel in kernels:
            if only is not None and kernel.name not in only:
                continue
            reason = axis.unavailable_reason(kernel)
            if reason:
                if axes is not None:
                    plan.not_applicable.append((f"{kernel.name} x axis {axis.name}", reason))
                continue
            for spec in axis.plan(kernel, selection):
                if spec not in present:
                    present.add(spec)
                    plan.specs.append(spec)


def cost_factor(spec) -> float:
    """Work of one execution at ``spec``'s axis point relative to the plain problem (the
    cost model's hook, see ``Axis.cost_factor``)."""
    axis = AXES.get(spec.axis) if spec.axis is not None else None
    if axis is None:
        return 1.0
    from gilbench.kernels import get_kernel

    return axis.cost_factor(get_kernel(spec.kernel), spec)


def measure_settings(spec, repeats: int, *, explicit: bool, probe: bool) -> tuple[int, bool]:
    """``(repeats, probe)`` for one run: an axis's runs take at most its ``max_repeats``
    (unless the repeats were ``explicit``ly asked for) and probe only if it wants to."""
    axis = AXES.get(spec.axis) if spec.axis is not None else None
    if axis is None or axis.plain_sweep:
        return repeats, probe
    if axis.max_repeats is not None and not explicit:
        repeats = min(repeats, axis.max_repeats)
    return repeats, probe and axis.probe


def _register_builtins() -> None:
    for module in load("plan"):
        register_axis(module.AXIS)



def axis_reasons(kernels: Sequence[Kernel]) -> dict[str, dict[str, str | None]]:
    """Per kernel, why each registered axis cannot map it (None: it can), as results.json's
    ``settings["axis_reasons"]`` records it: the report's "When" section tells a condition
    not measured from one that cannot be, from the file alone."""
    return {k.name: {a.name: a.unavailable_reason(k) for a in AXES.values()} for k in kernels}


_register_builtins()
