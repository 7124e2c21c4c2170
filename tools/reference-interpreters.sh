#!/usr/bin/env bash
# Reference results for the interpreters, side by side: the quick sweep under CPython 3.11,
# 3.13 (the default build), 3.13t with PYTHON_GIL=0 and 3.13t with PYTHON_GIL=1, then
# `gilbench compare` of the four.
#
# Usage: tools/reference-interpreters.sh [--machine NAME] [--replace] [RUN OPTIONS...]
#
#   --machine NAME   the folder prefix (default: <cores>cpu-<cpu model>, e.g. 2cpu-xeon)
#   --replace        delete earlier results in the target folders first (else: refuse)
#   RUN OPTIONS      passed to every `gilbench run`, e.g. --kernel mandelbrot for a
#                    reduced sweep (the profile is quick unless --profile says otherwise)
#
# Writes docs/results/NAME-{py311,py313,py313t-gil0,py313t-gil1}/ (results.json,
# findings.json, report.md, plots) and docs/results/NAME-interpreters/ (compare.md,
# compare.html, compare-*.png, findings.json). Run it on a quiet machine: other jobs
# change the figures.
#
# Interpreters: python3.11 (or python3 when that is 3.11); the default 3.13 built from the
# same source and flags as the free-threaded one (tools/build-freethreaded-python.sh
# --with-gil, cached) or else pyenv's 3.13; and 3.13t from the same script. Each gets a
# venv in the repository (.venv-ref-*), reused; `pip install -e .` runs every time so the
# extensions match the tree.
#
# Environment: GILBENCH_CACHE (see tools/build-freethreaded-python.sh), PYTHON311, PYTHON313,
# PYTHON313T (interpreters to use instead of finding or building them).
set -euo pipefail

die() { echo "reference-interpreters: error: $*" >&2; exit 2; }
say() { echo "reference-interpreters: $*" >&2; }

cd "$(dirname "$0")/.."
machine=""
replace=0
run_args=()
while (($#)); do
    case $1 in
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 0 ;;
        --machine) (($# >= 2)) || die "--machine needs a NAME"; machine=$2; shift ;;
        --replace) replace=1 ;;
        *) run_args+=("$1") ;;
    esac
    shift
done
[[ " ${run_args[*]-} " == *" --profile "* ]] || run_args=(--profile quick "${run_args[@]}")
if [[ -z $machine ]]; then
    model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null \
            | head -n1 | tr 'A-Z' 'a-z' | tr -cs 'a-z0-9' ' ' | awk '{print $NF}')
    machine="$(nproc)cpu-${model:-cpu}"
fi
[[ $machine =~ ^[A-Za-z0-9._-]+$ ]] || die "--machine must be a plain folder name, got '$machine'"

# -- the interpreters ------------------------------------------------------------------
is_version() { "$1" -c "import sys; sys.exit(sys.version_info[:2] != $2)" 2>/dev/null; }
py311=${PYTHON311:-}
if [[ -z $py311 ]]; then
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null && is_version "$candidate" "(3, 11)"; then
            py311=$(command -v "$candidate"); break
        fi
    done
fi
[[ -n $py311 ]] || die "no Python 3.11 found (set PYTHON311)"
py313=${PYTHON313:-}
if [[ -z $py313 ]]; then
    py313=$(tools/build-freethreaded-python.sh --with-gil 3.13 2>/dev/null | tail -n 1) || py313=""
    if [[ -z $py313 ]] && command -v pyenv >/dev/null; then
        py313=$(PYENV_VERSION=$(pyenv versions --bare | grep -E '^3\.13\.[0-9]+$' | tail -n1) \
                pyenv which python 2>/dev/null) || py313=""
    fi
fi
[[ -n $py313 ]] && is_version "$py313" "(3, 13)" || die "no default Python 3.13 (set PYTHON313)"
py313t=${PYTHON313T:-$(tools/build-freethreaded-python.sh 3.13 | tail -n 1)}
"$py313t" -c "import sysconfig, sys; sys.exit(not sysconfig.get_config_var('Py_GIL_DISABLED'))" \
    || die "$py313t is not a free-threaded build (set PYTHON313T)"

# interp: name, interpreter, PYTHON_GIL ("" for unset)
interps=("py311 $py311 -" "py313 $py313 -" "py313t-gil0 $py313t 0" "py313t-gil1 $py313t 1")
targets=()
for entry in "${interps[@]}"; do
    read -r name _ _ <<<"$entry"
    targets+=("docs/results/$machine-$name")
done
targets+=("docs/results/$machine-interpreters")
for dir in "${targets[@]}"; do
    if [[ -e $dir ]]; then
        ((replace)) || die "$dir exists; pass --replace to measure again"
        rm -rf -- "$dir"
    fi
done

venv_for() {  # venv_for NAME PYTHON: a venv with gilbench installed from this tree
    local venv=.venv-ref-$1
    [[ -x $venv/bin/python ]] || "$2" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --prefer-binary -e . \
        >&2
    echo "$venv"
}

start=$SECONDS
declare -A venvs=()
for entry in "${interps[@]}"; do
    read -r name python gil <<<"$entry"
    base=${name%%-*}
    if [[ -z ${venvs[$base]:-} ]]; then
        t0=$SECONDS
        venvs[$base]=$(venv_for "$base" "$python")
        say "$base: venv ${venvs[$base]} ready in $((SECONDS - t0)) s"
    fi
    t0=$SECONDS
    env_args=(-u PYTHON_GIL)
    [[ $gil == - ]] || env_args=(PYTHON_GIL="$gil")
    say "$name: gilbench run ${run_args[*]} --out docs/results/$machine-$name"
    env "${env_args[@]}" "${venvs[$base]}/bin/gilbench" run "${run_args[@]}" --quiet \
        --out "docs/results/$machine-$name" >&2
    say "$name: done in $((SECONDS - t0)) s"
done
"${venvs[py311]}/bin/gilbench" compare \
    "docs/results/$machine-py311" "docs/results/$machine-py313" \
    "docs/results/$machine-py313t-gil0" "docs/results/$machine-py313t-gil1" \
    --out "docs/results/$machine-interpreters"
say "all done in $((SECONDS - start)) s: docs/results/$machine-interpreters/compare.md"
