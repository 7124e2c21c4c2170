#!/usr/bin/env bash
# Build a free-threaded CPython (python3.13t by default) into a cache folder, once.
#
# Usage: tools/build-freethreaded-python.sh [--with-gil] [VERSION]
#
#   VERSION      3.13 (default), 3.14, ...: the Debian source package python$VERSION.
#   --with-gil   build the default (GIL) interpreter from the same source and flags instead,
#                into python$VERSION (no "t"): the fair baseline for the free-threaded cost.
#
# The last line on stdout is the interpreter's path; everything else goes to stderr, the
# compiler's output to $PREFIX-build.log. Where the interpreter is already there and works,
# nothing is rebuilt. Make a venv with it directly (it carries its own ensurepip/pip):
#   "$(tools/build-freethreaded-python.sh | tail -n1)" -m venv .venv-ft
#
# Route: only PyPI and Debian are reachable from the machines gilbench is developed on, so
# the source comes from Debian: a deb-src entry for GILBENCH_DEBIAN_SUITE (trixie for 3.13,
# sid otherwise) in its own file, `apt-get source --download-only`, then the UPSTREAM
# tarball (*.orig.tar.xz) is built, not the Debian-patched tree (Debian's site.py patch
# makes a venv look for packages where pip does not put them).
#
# Needs root (or password-less sudo) the first time only: to add the deb-src file and to
# apt-get install missing build dependencies. Debian/Ubuntu only.
#
# Environment:
#   GILBENCH_CACHE            cache folder (default ${XDG_CACHE_HOME:-~/.cache}/gilbench)
#   GILBENCH_DEBIAN_SUITE     Debian suite to take the source from (see above)
#   GILBENCH_CONFIGURE_ARGS   extra ./configure arguments, e.g. --enable-optimizations
#                             (PGO: several times the build time)
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; }
die() { echo "build-freethreaded-python: error: $*" >&2; exit 2; }
say() { echo "build-freethreaded-python: $*" >&2; }

free_threaded=1
version=3.13
while (($#)); do
    case $1 in
        -h|--help) usage; exit 0 ;;
        --with-gil) free_threaded=0 ;;
        3.*) version=$1 ;;
        *) die "unknown argument '$1'; expected [--with-gil] [VERSION such as 3.13 or 3.14]" ;;
    esac
    shift
done
[[ $version =~ ^3\.[0-9]+$ ]] || die "VERSION must look like 3.13, got '$version'"
minor=${version#3.}
((minor >= 13)) || die "free-threaded CPython starts at 3.13, got '$version'"

suffix=$([[ $free_threaded == 1 ]] && echo t || echo "")
name=python$version$suffix
cache=${GILBENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gilbench}
prefix=$cache/$name
python=$prefix/bin/$name
log=$prefix-build.log
suite=${GILBENCH_DEBIAN_SUITE:-$([[ $version == 3.13 ]] && echo trixie || echo sid)}

# The modules gilbench, pip and the test suite need: ssl (pip), zlib/bz2/lzma (studies,
# wheels), ctypes (c-ctypes flavour, via libffi), multiprocessing with POSIX shared memory,
# hashlib, and ensurepip so that `-m venv` gives the venv a pip.
needed_modules="ssl zlib bz2 lzma ctypes hashlib _multiprocessing _posixshmem ensurepip sqlite3"

works() {
    # -I and no PYTHON_GIL: judge the build, not this shell's environment.
    [[ -x $python ]] && env -u PYTHON_GIL "$python" -I -c "
import sys, sysconfig
ft = bool(sysconfig.get_config_var('Py_GIL_DISABLED'))
assert ft == bool($free_threaded), 'Py_GIL_DISABLED is %s' % ft
assert not ft or not sys._is_gil_enabled(), 'the GIL is enabled'
for m in '$needed_modules'.split():
    __import__(m)
" 2>/dev/null
}

if works; then
    say "already built: $python"
    echo "$python"
    exit 0
fi

as_root() {
    if ((EUID == 0)); then "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"
    else die "needs root for: $*"
    fi
}

mkdir -p "$cache"
# One build at a time per interpreter; a second caller waits, then finds it built.
exec 9>"$cache/.$name.lock"
flock -w 3600 9 || die "another build of $name held $cache/.$name.lock for an hour"
if works; then
    say "built meanwhile: $python"
    echo "$python"
    exit 0
fi

command -v apt-get >/dev/null || die "apt-get not found: this script builds from Debian's source packages"

# --- build dependencies --------------------------------------------------------------------
# Bookworm has no libmpdec-dev: CPython then uses its bundled copy for _decimal (a warning).
debs=(gcc make pkg-config xz-utils libssl-dev zlib1g-dev libffi-dev libbz2-dev liblzma-dev
      libsqlite3-dev libreadline-dev libncurses-dev uuid-dev)
missing=()
for deb in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "ok installed" || missing+=("$deb")
done
if ((${#missing[@]})); then
    say "installing build dependencies: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}" >&2
fi

# --- source ---------------------------------------------------------------------------------
src_list=/etc/apt/sources.list.d/gilbench-deb-src-$suite.sources
want="Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
added_src=0
if [[ ! -f $src_list ]] || [[ $(cat "$src_list") != "$want" ]]; then
    say "adding $src_list (deb-src only; binary sources are left alone)"
    printf '%s\n' "$want" | as_root tee "$src_list" >/dev/null
    added_src=1
fi

work=$(mktemp -d "$cache/.build-$name.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT  # exit through the EXIT trap, so no half-built tree stays behind
trap 'exit 143' TERM
cd "$work"
start=$SECONDS

fetch() {
    # Root downloads need no _apt sandbox user to write into our private folder.
    apt-get source --download-only -q -o APT::Sandbox::User=root "python$version/$suite" >&2
}
if ! fetch 2>/dev/null; then
    say "updating the package lists for deb-src $suite"
    as_root apt-get update -q >&2 || die "apt-get update failed"
    if ! fetch; then
        # Leave apt as we found it: a suite that cannot serve the source is of no use.
        if ((added_src)); then
            as_root rm -f "$src_list"
            as_root apt-get update -q >/dev/null 2>&1 || true
        fi
        die "apt-get source python$version/$suite failed (another suite? GILBENCH_DEBIAN_SUITE=...)"
    fi
fi
shopt -s nullglob
tarballs=(python"$version"_*.orig.tar.{xz,gz,bz2})  # not its .asc signature
((${#tarballs[@]} == 1)) || die "expected one upstream tarball python${version}_*.orig.tar.*, found: ${tarballs[*]:-none}"
say "building ${tarballs[0]} (upstream source) -> $prefix; log: $log"
tar -xf "${tarballs[0]}"
srcdirs=(Python-*/)
((${#srcdirs[@]} == 1)) || die "unexpected layout of ${tarballs[0]}"
cd "${srcdirs[0]}"

# --- build ------------------------------------------------------------------------------------
# --without-ensurepip: no pip is installed into the interpreter itself, yet Lib/ensurepip
# and its bundled wheel are installed, so `python -m venv` still gives each venv a pip.
# --disable-test-modules: CPython's own test suite is not needed and halves the install.
configure_args=(--prefix="$prefix" --without-ensurepip --disable-test-modules)
[[ $free_threaded == 1 ]] && configure_args+=(--disable-gil)
# shellcheck disable=SC2206 # word splitting of the user's extra arguments is intended
configure_args+=(${GILBENCH_CONFIGURE_ARGS:-})
stage=$work/stage
build_steps() {
    echo "== ./configure ${configure_args[*]}" &&
    ./configure "${configure_args[@]}" &&
    echo "== make -j$(nproc)" &&
    make -j"$(nproc)" &&
    echo "== make install DESTDIR=$stage" &&
    make install DESTDIR="$stage"
}
# In the background, in a process group of its own (set -m), so that Ctrl-C or SIGTERM
# stops the compilers at once: bash would otherwise run the trap only after make ended.
set -m
build_steps >"$work/build.log" 2>&1 &
build=$!
set +m
trap 'kill -INT -- -$build 2>/dev/null; wait $build; exit 130' INT
trap 'kill -TERM -- -$build 2>/dev/null; wait $build; exit 143' TERM
wait $build || {
    cp "$work/build.log" "$log" 2>/dev/null || true
    tail -n 40 "$work/build.log" >&2
    die "build failed; full log: $log"
}
cp "$work/build.log" "$log"

# Staged under DESTDIR, then moved into place in one rename: an interrupted build never
# leaves a half-installed interpreter where works() would look.
rm -rf "$prefix"
mv "$stage$prefix" "$prefix"
works || die "$python was built but fails its check (missing modules? see $log): $(
    env -u PYTHON_GIL "$python" -I -c "
for m in '$needed_modules'.split():
    try: __import__(m)
    except ImportError as e: print(m, e)" 2>&1 | tr '\n' ';')"
say "built $($python -VV | head -n1) in $((SECONDS - start)) s"
echo "$python"
