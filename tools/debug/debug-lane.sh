#!/bin/bash
# The debug-kernel lane (`make test-debug`; docs/debug-lane.md): boot the
# KASAN/UBSAN/lockdep/kmemleak kernel with mp3.ko built against it, run the
# VM tests, unload the module, have kmemleak scan, and fail on any leak or
# any kernel splat in the console log or dmesg (tools/vm/run.sh: exit 125).
#
# USAGE: debug-lane.sh [--with-module NAME]... [--log FILE] [PATTERN...]
#   PATTERN         VM tests to run (default: $PFPROF_DEBUG_TESTS, or every
#                   test in the payload except those in $PFPROF_DEBUG_SKIP)
#   --with-module   also insmod /pfprof/broken/NAME.ko before the tests
#                   (the self-test's deliberately broken modules)
#   --log FILE      keep the guest's console log there
#                   (default build/debug-lane/console.log)
# Environment:
#   PFPROF_DEBUG_SKIP     test names left out when no PATTERN is given
#   PFPROF_DEBUG_ENV      VAR=VALUE words exported in the guest before the
#                         tests (scale knobs; mk/debug.mk sets the defaults)
#   PFPROF_DEBUG_TIMEOUT  VM timeout in seconds (default 3000)
#   PFPROF_DEBUG_MEM, PFPROF_DEBUG_SWAP  guest RAM and swap disk in MiB
#                         (default 2048 and 1024)
# Exit status 0 only if every test passed, kmemleak found nothing and the
# kernel log is clean.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
mods=() log=$top/build/debug-lane/console.log
while [ $# -gt 0 ]; do
	case "$1" in
	--with-module) mods+=("$2"); shift 2 ;;
	--log) log=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "debug-lane.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
# shellcheck disable=SC2086
[ $# -gt 0 ] || set -- ${PFPROF_DEBUG_TESTS:-}
timeout_s=${PFPROF_DEBUG_TIMEOUT:-3000}
mem=${PFPROF_DEBUG_MEM:-2048} swap=${PFPROF_DEBUG_SWAP:-1024}

if ! found=$("$top/tools/debug/debug-kernel-find.sh"); then
	echo "debug-lane: cannot run: no debug kernel (see above)" >&2
	exit 1
fi
eval "$found"
payload_args=()
[ ${#mods[@]} -eq 0 ] || payload_args=(--broken)
"$top/tools/debug/debug-payload.sh" "${payload_args[@]}" || exit 1

if [ $# -eq 0 ]; then	# every test but the skipped ones
	for t in "$top"/build/payload-debug/tests/*; do
		if [ ! -f "$t" ] || [ ! -x "$t" ]; then continue; fi
		n=${t##*/}
		[ "$n" = vm-runner.sh ] && continue
		case " ${PFPROF_DEBUG_SKIP:-} " in *" $n "*) continue ;; esac
		set -- "$@" "$n"
	done
	echo "# debug lane: left out: ${PFPROF_DEBUG_SKIP:-nothing} (docs/debug-lane.md says why)"
fi

pre="echo '# debug lane: kernel' \$(uname -r), \$(grep -c processor /proc/cpuinfo) CPUs"
for kv in ${PFPROF_DEBUG_ENV:-}; do
	pre="$pre; export $kv"
done
for m in "${mods[@]}"; do
	pre="$pre; echo '# debug lane: loading the deliberately broken module $m'; insmod /pfprof/broken/$m.ko"
done
post="sh /pfprof/tests/debug/kmemleak-check.sh mp3 ${mods[*]}"

mkdir -p "$(dirname "$log")"
# The console shows warnings and worse (loglevel=5; tools/vm/run.sh's default is
# quiet loglevel=3): lockdep, WARN and RCU-stall reports then reach the log
# even when the guest hangs before init prints its dmesg.
echo "# debug lane: kernel $DEBUG_KERNEL_RELEASE from $DEBUG_KERNEL_DIR ($DEBUG_KERNEL_ORIGIN)"
echo "# debug lane: tests: ${*:-all}; guest env: ${PFPROF_DEBUG_ENV:-none}; timeout ${timeout_s}s"
echo "# debug lane: console log: $log"
start=$(date +%s)
"$top/tests/run.sh" --vm-only \
	--vm-args "--payload $top/build/payload-debug --kernel $DEBUG_BZIMAGE --kmoddir none --cpu max,la57=off --timeout $timeout_s --mem $mem --swap $swap --log $log --append loglevel=5" \
	--guest-pre "$pre" --guest-post "$post" "$@"
rc=$?
el=$(( $(date +%s) - start ))
if [ $rc = 0 ]; then
	echo "# debug lane: PASSED in $((el / 60))m$((el % 60))s (kernel $DEBUG_KERNEL_RELEASE from $DEBUG_KERNEL_DIR)"
else
	echo "# debug lane: FAILED in $((el / 60))m$((el % 60))s (kernel $DEBUG_KERNEL_RELEASE from $DEBUG_KERNEL_DIR); console log: $log"
fi
exit $rc
