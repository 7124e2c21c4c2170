"""Profiles: how thorough a sweep is (sizes per kernel, repeats, which strategies).

Nothing here imports the rest of gilbench: kernels (their sizes per profile) and the plan
(a profile's repeats and worker counts) both read this one definition.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LEFT_OUT", "PROFILES", "Profile"]

#: How the reason begins for runs that a profile leaves out on purpose (not because
#: something is missing here), so that the terminal can tell the two apart.
LEFT_OUT = "left out by the "


@dataclass(frozen=True)
class Profile:
    """How thorough a sweep is: which size per kernel, how many repeats."""

    name: str
    description: str
    repeats: int
    warmup: int = 1
    #: Warm-up lasts at least this long (see harness.WARMUP_S for why).
    warmup_s: float = 0.2
    #: Worker counts beyond the usable cores, to show oversubscription.
    oversubscribe: bool = False
    #: Skip 1-worker thread/process pools (serial is their baseline) to save time.
    skip_single_worker_pools: bool = False
    #: Also run the strategies that are not ``core`` (one per component of threading,
    #: asyncio and multiprocessing), each with one representative flavour per kernel.
    components: bool = False
    #: Leave out runs of strategies that pickle the inputs with each task when the
    #: kernel's problem holds more than this many bytes (None: no limit): pickling
    #: half a GiB takes seconds a repeat and would be most of a quick sweep.
    max_shipped_bytes: int | None = None
    #: Extra repeats (while a run's interval is wide) stop once its timed repeats took
    #: this long: short runs get more repeats, long runs cannot blow the time budget.
    adaptive_budget_s: float = 2.0
    #: The OpenMP schedules flavours that parallelise themselves run with (each that
    #: the flavour supports), unless --schedule names others.
    schedules: tuple[str, ...] = ("static", "dynamic")


#: Every profile by name, in order of thoroughness; a kernel has a size for each.
PROFILES: dict[str, Profile] = {
    "quick": Profile("quick", "small sizes, 5 repeats, pools only at 2+ workers, core "
                              "strategies: the thesis in about a minute", 5, warmup_s=0.05,
                     skip_single_worker_pools=True, max_shipped_bytes=256 * 2**20,
                     adaptive_budget_s=0.5, schedules=("static",)),
    "standard": Profile("standard", "medium sizes, 5 repeats, pools at 2+ workers, every "
                                    "strategy (the components with one flavour per "
                                    "kernel)", 5, skip_single_worker_pools=True,
                        components=True, max_shipped_bytes=512 * 2**20,
                        adaptive_budget_s=1.0),
    "full": Profile("full", "large sizes, 10 repeats, 2x oversubscription point, every "
                            "strategy", 10, warmup_s=0.3, oversubscribe=True, components=True),
}
