#!/bin/bash
# The host side of `make test`: run the host tests, boot the VM for the VM
# tests (or run them natively with --native), count every TAP result line,
# and finish with "N passed, N failed".  Exit status 0 only if nothing
# failed and the VM came back clean (no timeout, no kernel splat).
#
# USAGE: tests/run.sh [--native] [--host-only|--vm-only] [--vm-args 'ARGS']
#                     [--guest-pre 'CMD'] [--guest-post 'CMD'] [PATTERN...]
#   --guest-pre/--guest-post: shell commands run in the guest before/after
#   the VM tests, in the same shell (so `export VAR=...` in --guest-pre
#   reaches the tests); TAP lines they print are counted.  VM mode only.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
native=0 host=1 vmt=1 vm_args="" guest_pre="" guest_post=""
while [ $# -gt 0 ]; do
	case "$1" in
	--native) native=1; shift ;;
	--host-only) vmt=0; shift ;;
	--vm-only) host=0; shift ;;
	--vm-args) vm_args=$2; shift 2 ;;
	--guest-pre) guest_pre=$2; shift 2 ;;
	--guest-post) guest_post=$2; shift 2 ;;
	*) break ;;
	esac
done
patterns=("$@")
log=$(mktemp /tmp/pfprof-test.XXXXXX)
trap 'rm -f "$log"' EXIT
extra_fail=0

if [ $host = 1 ]; then
	for t in "$top"/tests/host/*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		echo "# ===== host: ${t##*/}"
		out=$(mktemp)
		(cd "$top" && timeout 1200 "$t" 2>&1; echo "rc=$?" > "$out.rc") | tee "$out"
		rc=$(sed -n 's/^rc=//p' "$out.rc")
		cat "$out" >> "$log"
		if [ "$rc" != 0 ] && ! grep -qE '^not ok [0-9]+' "$out"; then
			echo "not ok - host ${t##*/}: exit status $rc without a failing test" | tee -a "$log"
		fi
		rm -f "$out" "$out.rc"
	done
fi

if [ $vmt = 1 ]; then
	if [ $native = 1 ]; then
		echo "# ===== native VM tests (PFPROF_ROOT=$top/build/payload)"
		PFPROF_ROOT=$top/build/payload sh "$top/tests/vm-runner.sh" "${patterns[@]}" 2>&1 | tee -a "$log"
	else
		echo "# ===== VM tests (booting the VM under TCG)"
		gcmd="sh /pfprof/tests/vm-runner.sh ${patterns[*]}"
		[ -z "$guest_pre" ] || gcmd="$guest_pre; $gcmd"
		[ -z "$guest_post" ] || gcmd="$gcmd; $guest_post"
		# shellcheck disable=SC2086
		"$top/tools/vm/run.sh" $vm_args -- "$gcmd" 2>&1 | tee -a "$log"
		vrc=${PIPESTATUS[0]}
		case "$vrc" in
		0) ;;
		124) echo "not ok - VM timed out" | tee -a "$log"; extra_fail=1 ;;
		125) echo "not ok - kernel splat in the guest's dmesg" | tee -a "$log"; extra_fail=1 ;;
		126) echo "not ok - the guest died before the tests finished" | tee -a "$log"; extra_fail=1 ;;
		*) echo "not ok - VM run failed with status $vrc" | tee -a "$log"; extra_fail=1 ;;
		esac
	fi
fi

passed=$(grep -cE '^ok [0-9]+' "$log")
failed=$(grep -cE '^not ok( |$)' "$log")
skipped=$(grep -cE '^ok [0-9]+ .*# SKIP' "$log")
echo "# $skipped of the passed tests were skipped (reason printed with each)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ $extra_fail -eq 0 ]
