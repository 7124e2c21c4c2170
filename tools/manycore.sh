#!/usr/bin/env bash
# Scaling beyond 2 cores, measured: on a machine with N >= 8 usable cores, the workers axis
# at 1, 2, 4, ... N workers, the granularity axis and the gil-fraction axis, in one sweep
# of about 8 minutes, written to docs/results/<N>cpu-<host>/ (results.json, findings.json,
# report.md, plots). Commit that folder: it is what the README's "more cores" answer rests
# on instead of a model.
#
# Usage: tools/manycore.sh [--dry-run] [--force] [--out DIR] [RUN OPTIONS...]
#
#   --dry-run   print the planned runs and their estimated time; run nothing (any machine)
#   --force     run on fewer than 8 cores too (the figures then say little about scaling)
#   --out DIR   write there instead of docs/results/<N>cpu-<host>/
#   RUN OPTIONS passed to `gilbench run` (e.g. --kernel mandelbrot for a shorter sweep)
#
# Needs gilbench installed (pip install -e .) in the Python on PATH (python3, or $PYTHON).
# Run it on a quiet machine: other jobs change the figures.
set -euo pipefail

die() { echo "manycore: error: $*" >&2; exit 2; }
say() { echo "manycore: $*" >&2; }

cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
dry=0
force=0
out=""
run_args=()
while (($#)); do
    case $1 in
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 0 ;;
        --dry-run) dry=1 ;;
        --force) force=1 ;;
        --out) (($# >= 2)) || die "--out needs a DIR"; out=$2; shift ;;
        *) run_args+=("$1") ;;
    esac
    shift
done

cores=$("$python" -c 'from gilbench.limits import usable_cores; print(usable_cores())') \
    || die "gilbench is not importable by $python (pip install -e . first)"
if ((cores < 8 && !dry && !force)); then
    die "this machine has $cores usable cores; the sweep says something about scaling from 8 (--force runs it anyway, --dry-run shows the plan)"
fi
host=$(hostname -s 2>/dev/null || echo host)
out=${out:-docs/results/${cores}cpu-${host}}
# 1, 2, 4, ... up to the cores, and the cores themselves: the scaling curve's points.
workers=$("$python" -c "
n = $cores
points, w = [], 1
while w < n:
    points.append(w)
    w *= 2
print(','.join(map(str, points + [n])))")
# Compute-bound kernels whose GIL-free flavours scale with cores, the memory-bound one
# (where more cores stop helping) and stdlib hashing (a partial GIL release).
kernels=mandelbrot,nbody,reduction,hashing
args=(run --profile quick --kernel "$kernels" --workers "$workers"
      --axis workers --axis granularity --axis gil-fraction --out "$out" "${run_args[@]}")
if ((dry)); then
    say "$cores usable cores: workers $workers; would write $out/"
    exec "$python" -m gilbench "${args[@]}" --dry-run
fi
[ ! -e "$out/results.json" ] || die "$out/results.json exists: move it away or pass --out"
say "$cores usable cores: workers $workers; writing $out/"
"$python" -m gilbench "${args[@]}"
say "done: commit $out/"
