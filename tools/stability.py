"""Do the verdicts hold from run to run? Compare the findings of several sweeps of the same
profile on the same machine, and print one Markdown table per question.

Usage: python tools/stability.py DIR [DIR ...]   (each a gilbench output folder)

Prints, per kernel: the headline verdict of each sweep; the fitted granularity crossovers
with their spread across sweeps (largest over smallest: the target is under 1.5x); the
GIL-fraction threshold (the target is within +-0.05); the break-even calls (do their
intervals overlap?); and each sweep's wall time.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def load(folder: Path) -> tuple[list[dict], dict]:
    findings = json.loads((folder / "findings.json").read_text())["findings"]
    results = json.loads((folder / "results.json").read_text())
    return findings, results


def _fig(f: dict, name: str):
    return f["figures"].get(name, {}).get("value")


def _us(seconds) -> str:
    return "-" if seconds is None else f"{seconds * 1e6:.0f} µs"


def main(folders: list[Path]) -> int:
    runs = [load(f) for f in folders]
    names = [f.name for f in folders]
    kernels = list(dict.fromkeys(f["kernel"] for findings, _ in runs for f in findings))
    print("## Headline verdict (threads against processes, workers = usable cores)\n")
    print("| kernel | " + " | ".join(names) + " | holds |")
    print("|---|" + "---|" * len(names) + "---|")
    for k in kernels:
        verdicts = [next((f["verdict"] for f in findings if f["kernel"] == k
                          and f["kind"] == "threads-vs-processes" and f["headline"]), "-")
                    for findings, _ in runs]
        holds = "yes" if len(set(verdicts)) == 1 else "NO"
        print(f"| {k} | " + " | ".join(verdicts) + f" | {holds} |")
    print("\n## Fitted granularity crossovers (largest / smallest across sweeps)\n")
    print("| kernel, flavour | figure | " + " | ".join(names) + " | spread |")
    print("|---|---|" + "---|" * len(names) + "---|")
    for k in kernels:
        for name in ("threads_beat_serial_from", "processes_beat_serial_from",
                     "processes_match_threads_above"):
            found = [[f for f in findings if f["kernel"] == k
                      and f["kind"] == "granularity-crossover"] for findings, _ in runs]
            for i, f0 in enumerate(found[0]):
                values = [_fig(fs[i], name) if i < len(fs) else None for fs in found]
                known = [v for v in values if v]
                spread = f"{max(known) / min(known):.2f}x" if len(known) == len(values) else "-"
                print(f"| {k}, {_fig(f0, 'flavour')} | {name} | "
                      + " | ".join(_us(v) for v in values) + f" | {spread} |")
    print("\n## GIL-fraction threshold f\n")
    print("| kernel | " + " | ".join(names) + " | range |")
    print("|---|" + "---|" * len(names) + "---|")
    for k in kernels:
        values = [next((_fig(f, "interpolated_f") for f in findings if f["kernel"] == k
                        and f["kind"] == "gil-fraction-threshold"), None)
                  for findings, _ in runs]
        if any(v is not None for v in values):
            known = [v for v in values if v is not None]
            print(f"| {k} | " + " | ".join("-" if v is None else f"{v:.2f}" for v in values)
                  + f" | ±{(max(known) - min(known)) / 2:.2f} |")
    print("\n## Break-even calls against serial (value [interval])\n")
    print("| kernel | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for k in kernels:
        cells = []
        for findings, _ in runs:
            f = next((f for f in findings if f["kernel"] == k and f["kind"] == "breakeven-calls"
                      and not dict(f["context"]).get("axis")), None)
            if f is None:
                cells.append("-")
                continue
            status = _fig(f, "calls_to_beat_serial_status")
            cells.append(status if status != "at" else
                         f"{_fig(f, 'calls_to_beat_serial')} [{_fig(f, 'calls_to_beat_serial_low')}"
                         f"-{_fig(f, 'calls_to_beat_serial_high')}]")
        print(f"| {k} | " + " | ".join(cells) + " |")
    print("\n## Sweep wall time\n")
    for name, (_, results) in zip(names, runs, strict=True):
        total = sum(r.get("elapsed_s") or 0 for r in results["runs"])
        print(f"- {name}: {len(results['runs'])} runs, {total:.1f} s in runs")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main([Path(a) for a in sys.argv[1:]]))
