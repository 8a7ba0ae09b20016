#!/bin/bash
# Locate the debug kernel (KASAN, lockdep, kmemleak, UBSAN) for the debug
# lane, check it, and unpack its module build tree.  See docs/debug-lane.md.
#
# Looks, in this order, in:
#   $PFPROF_DEBUG_KERNEL               (if set: only there)
#   <project root>/../shared/debug-kernel   (prebuilt; developer machines, CI)
#   $PFPROF_DEBUG_CACHE, default ${XDG_CACHE_HOME:-$HOME/.cache}/pfprof/debug-kernel
#                                      (what `make debug-kernel` builds)
# A candidate needs bzImage and kbuild.tar.xz; if it has SHA256SUMS, every
# file listed there must match (a mismatch skips the candidate, loudly).
#
# USAGE: debug-kernel-find.sh [--check] [--quiet]
#   default   print shell assignments (eval them):
#               DEBUG_KERNEL_DIR     the directory used
#               DEBUG_KERNEL_ORIGIN  shared | cache | env
#               DEBUG_BZIMAGE        the kernel image
#               DEBUG_KBUILD         the unpacked build tree (build/debug-kbuild/kbuild),
#                                    unpacked once per kbuild.tar.xz checksum
#               DEBUG_KERNEL_RELEASE e.g. 6.1.192
#   --check   only say (on stderr) what would be used; exit 0 if usable
#   --quiet   no messages on stderr except errors
# Exit status 1, with the reasons on stderr, when no usable kernel exists.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
check=0 quiet=0
for a in "$@"; do
	case "$a" in
	--check) check=1 ;;
	--quiet) quiet=1 ;;
	*) echo "debug-kernel-find.sh: unknown argument $a" >&2; exit 2 ;;
	esac
done
say() { [ $quiet = 1 ] || echo "debug-kernel: $*" >&2; }

cache=${PFPROF_DEBUG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pfprof/debug-kernel}
if [ -n "${PFPROF_DEBUG_KERNEL:-}" ]; then
	candidates=("env:$PFPROF_DEBUG_KERNEL")
else
	candidates=("shared:$top/../shared/debug-kernel" "cache:$cache")
fi

reasons=""
found="" origin=""
for c in "${candidates[@]}"; do
	kind=${c%%:*} dir=${c#*:}
	if [ ! -d "$dir" ]; then
		reasons="$reasons\n  $dir ($kind): does not exist"
		continue
	fi
	dir=$(cd "$dir" && pwd)
	missing=""
	for f in bzImage kbuild.tar.xz; do
		[ -r "$dir/$f" ] || missing="$missing $f"
	done
	if [ -n "$missing" ]; then
		reasons="$reasons\n  $dir ($kind): missing$missing"
		continue
	fi
	if [ -f "$dir/SHA256SUMS" ]; then
		if ! bad=$(cd "$dir" && sha256sum --quiet -c SHA256SUMS 2>&1); then
			echo "debug-kernel: $dir: SHA256SUMS mismatch, not using it:" >&2
			printf '%s\n' "$bad" | sed 's/^/  /' >&2
			reasons="$reasons\n  $dir ($kind): SHA256SUMS mismatch"
			continue
		fi
	else
		say "$dir has no SHA256SUMS; using it unverified"
	fi
	found=$dir origin=$kind
	break
done

if [ -z "$found" ]; then
	printf 'debug-kernel: no usable debug kernel found; looked in:%b\n' "$reasons" >&2
	echo "debug-kernel: get one with \`make debug-kernel\` (builds Debian's linux-source-6.1" \
		"into $cache, ~22 min on 2 cores) or provide ../shared/debug-kernel" >&2
	exit 1
fi

if [ $check = 1 ]; then
	say "using $found ($origin)"
	exit 0
fi

# Unpack the build tree once per kbuild.tar.xz (keyed by its checksum).
out=$top/build/debug-kbuild
sum=$(sha256sum "$found/kbuild.tar.xz" | cut -d' ' -f1)
if [ "$(cat "$out/.stamp" 2>/dev/null)" != "$sum" ] || [ ! -f "$out/kbuild/Makefile" ]; then
	say "unpacking $found/kbuild.tar.xz into $out"
	rm -rf "$out" && mkdir -p "$out"
	tar -xJf "$found/kbuild.tar.xz" -C "$out" || { echo "debug-kernel: cannot unpack $found/kbuild.tar.xz" >&2; exit 1; }
	[ -f "$out/kbuild/Makefile" ] || { echo "debug-kernel: $found/kbuild.tar.xz has no kbuild/Makefile" >&2; exit 1; }
	echo "$sum" > "$out/.stamp"
fi
release=$(cat "$out/kbuild/include/config/kernel.release" 2>/dev/null || echo unknown)
say "using $found ($origin), kernel $release"

printf 'DEBUG_KERNEL_DIR=%q\nDEBUG_KERNEL_ORIGIN=%q\nDEBUG_BZIMAGE=%q\nDEBUG_KBUILD=%q\nDEBUG_KERNEL_RELEASE=%q\n' \
	"$found" "$origin" "$found/bzImage" "$out/kbuild" "$release"
