#!/bin/bash
# The kernel matrix (docs/kernels.md): the VM tests on Debian kernels other
# than the installed one, or on all of them.
#
# USAGE: tools/kernels/matrix.sh one TARGET [PATTERN...]
#            fetch TARGET (tools/kernels/kernels.sh), build mp3.ko for it (in its
#            chroot if it needs one), check it with dkms too, boot it and
#            run the VM tests (PATTERNs, default all); exit 0 only if
#            nothing failed
#        tools/kernels/matrix.sh all
#            `one` for every target of `tools/kernels/kernels.sh targets`, then a
#            table of kernel x passed/failed/skipped and the usual last
#            line "N passed, N failed"
#        tools/kernels/matrix.sh table
#            the last results (build/matrix/*/summary) as a Markdown table
#        tools/kernels/matrix.sh payload TARGET
#            fetch TARGET, build its payload, print tools/vm/run.sh's arguments
#            for it (make vm-run KERNEL=T uses this)
# Environment: PFPROF_MATRIX_TESTS  the tests non-default kernels run when
#              no PATTERN is given (default: all; see docs/kernels.md)
#              PFPROF_MATRIX_OUT    results directory (default build/matrix)
#              MEM, SWAP            guest RAM and swap disk (MiB)
# Results go to build/matrix/<target>/ (tap.log, summary).  Needs
# `make build` first (the payload's static tools are kernel-independent).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
mem=${MEM:-2048} swap=${SWAP:-1024}

die() { echo "matrix: $*" >&2; exit 1; }

# Build mp3.ko for the kernel in the environment into build/matrix/$1/kmod
# and make that kernel's payload, build/matrix/$1/payload.
kernel_payload() {
	local out=$1 kb=$1/src
	rm -rf "$out/payload"
	"$top/tools/kernels/stage-kmod.sh" "$kb"
	local log
	if ! log=$(make -C "$kb/kmod" KDIR="$KBUILD" 2>&1); then
		echo "$log" | tail -n 20 >&2
		return 1
	fi
	if echo "$log" | grep -qE 'warning:|error:'; then
		echo "$log" | grep -E 'warning:|error:' >&2
		return 1
	fi
	local vm
	vm=$(modinfo -F vermagic "$kb/kmod/mp3.ko" | cut -d' ' -f1)
	[ "$vm" = "$KVER" ] || { echo "mp3.ko vermagic $vm, kernel $KVER" >&2; return 1; }
	cp -a "$top/build/payload" "$out/payload"
	cp "$kb/kmod/mp3.ko" "$out/payload/mp3.ko"
}

# mp3.ko built by dkms (tools/install/dkms.sh build, in the kernel's chroot if it
# needs one) into the payload as mp3-dkms.ko.
dkms_build() {
	local out=$1 ko cmd
	cmd="$top/tools/install/dkms.sh build $KVER $KBUILD $out/dkms"
	case "$KBUILD_ENV" in
	chroot:*) ko=$("$top/tools/kernels/kchroot.sh" run "${KBUILD_ENV#chroot:}" "$KCC" -- "$cmd") ;;
	*) ko=$($cmd) ;;
	esac || return 1
	ko=$(echo "$ko" | tail -n 1)
	case "$ko" in
	*.xz) xz -dc "$ko" > "$out/payload/mp3-dkms.ko" ;;
	*.zst) zstd -qdc "$ko" > "$out/payload/mp3-dkms.ko" ;;
	*) cp "$ko" "$out/payload/mp3-dkms.ko" ;;
	esac
}

# Fetch kernel $1 (tools/kernels/kernels.sh): its K* variables into the
# environment, and `out` set to (and made) its results directory.
use_kernel() {
	local env
	out=${PFPROF_MATRIX_OUT:-$top/build/matrix}/$1
	mkdir -p "$out"
	env=$("$top/tools/kernels/kernels.sh" fetch "$1") || die "cannot fetch kernel '$1'"
	eval "$env"
}

one() {
	local t=$1 out rc start
	shift
	[ -f "$top/build/payload/mp3.ko" ] || die "no build/payload (run make build)"
	use_kernel "$t"
	echo "# ===== matrix: $t = Linux $KVER ($KPKGVER from $KSUITE), built with $KCC (${KBUILD_ENV})"
	start=$(date +%s)
	{
		echo "kernel=$KVER"
		echo "target=$t"
		echo "package='$KPKGVER'"
		echo "suite=$KSUITE"
		echo "build='$KBUILD_ENV $KCC'"
	} > "$out/summary"
	: > "$out/tap.log"
	local n=0
	if kernel_payload "$out" 2> "$out/build.log"; then
		n=$((n + 1)); echo "ok $n matrix $t: mp3.ko builds for $KVER with $KCC, no warnings" | tee -a "$out/tap.log"
	else
		n=$((n + 1)); echo "not ok $n matrix $t: mp3.ko does not build for $KVER" | tee -a "$out/tap.log"
		sed 's/^/# /' "$out/build.log"
	fi
	# The real-program corpus (77-, 78-) runs each program once per matrix
	# kernel (make test runs it 3 times on the default one): CI's budget.
	local pre="echo '# matrix: guest kernel' \$(uname -r); export PFPROF_CORPUS_RUNS=${PFPROF_MATRIX_CORPUS_RUNS:-1}"
	if [ -d "$out/payload" ]; then
		n=$((n + 1))
		if dkms_build "$out" > "$out/dkms.log" 2>&1; then
			echo "ok $n matrix $t: dkms build makes mp3.ko for $KVER" | tee -a "$out/tap.log"
			# In the guest, before the tests: the dkms-built module loads
			# and creates its interfaces.
			pre="$pre; if insmod /pfprof/mp3-dkms.ko && [ -e /proc/mp3/status ] && [ -c /dev/mp3 ] && rmmod mp3;"
			pre="$pre then echo 'ok 1 dkms: the dkms-built mp3.ko loads, creates /proc/mp3 and /dev/mp3, unloads';"
			pre="$pre else echo 'not ok 1 dkms: the dkms-built mp3.ko does not load cleanly'; fi"
		else
			echo "not ok $n matrix $t: dkms build fails for $KVER" | tee -a "$out/tap.log"
			tail -n 20 "$out/dkms.log" | sed 's/^/# /'
		fi
		[ $# -gt 0 ] || set -- ${PFPROF_MATRIX_TESTS:-}
		"$top/tests/run.sh" --vm-only \
			--vm-args "--payload $out/payload --kernel $KIMAGE --kmoddir $KMODDIR --mem $mem --swap $swap --log $out/console.log" \
			--guest-pre "$pre" "$@" 2>&1 | tee -a "$out/tap.log"
	fi
	# What docs/kernels.md reports per kernel, from the tests' own lines.
	local log=$out/tap.log
	{
		echo "rate=$(sed -n 's/^ok [0-9]* 20 samples\/s within 1% (\([0-9.]*\)).*/\1/p' "$log" | head -n 1)"
		echo "exact_ok=$(grep -cE '^ok [0-9]+ .*module (minor|major) faults == getrusage' "$log")"
		echo "exact_bad=$(grep -cE '^not ok [0-9]+ .*module (minor|major) faults == getrusage' "$log")"
		echo "witness='$(grep -m1 -E '^ok [0-9]+ (tracepoints and perf events attached|.*sources attached)' "$log" |
			sed 's/^ok [0-9]* //; s/'"'"'//g')'"
		echo "fallbacks='$(sed -n "s/^ok [0-9]* fallbacks announced for [^:]*: '\([^']*\)'.*/\1/p" "$log" | head -n 1)'"
		echo "skips='$(sed -n 's/^ok [0-9]* .*# SKIP \(.*\)/\1/p' "$log" | sort | uniq -c | sed 's/^ *//' |
			tr '\n' ';' | sed "s/'//g")'"
		echo "passed=$(grep -cE '^ok [0-9]+' "$out/tap.log")"
		echo "failed=$(grep -cE '^not ok( |$)' "$out/tap.log")"
		echo "skipped=$(grep -cE '^ok [0-9]+ .*# SKIP' "$out/tap.log")"
		echo "seconds=$(($(date +%s) - start))"
	} >> "$out/summary"
	rc=$(sed -n 's/^failed=//p' "$out/summary")
	[ "$rc" = 0 ]
}

all() {
	local t p=0 f=0 s
	local targets
	targets=$("$top/tools/kernels/kernels.sh" targets)
	for t in $targets; do
		(one "$t")	# a subshell: each kernel's variables stay its own
	done
	echo "# ===== kernel matrix"
	printf '# %-8s %-24s %-20s %6s %6s %7s %6s %8s %s\n' target kernel suite passed failed skipped time samples/s "exact counts"
	for t in $targets; do
		s=$top/build/matrix/$t/summary
		if [ ! -f "$s" ]; then
			printf '# %-8s (no result)\n' "$t"; f=$((f + 1)); continue
		fi
		# shellcheck disable=SC1090
		(. "$s"; printf '# %-8s %-24s %-20s %6s %6s %7s %5ss %8s %s\n' "$t" "$kernel" "$suite" \
			"$passed" "$failed" "$skipped" "$seconds" "${rate:-?}" "$exact_ok of $((exact_ok + exact_bad))")
		p=$((p + $(sed -n 's/^passed=//p' "$s")))
		f=$((f + $(sed -n 's/^failed=//p' "$s")))
	done
	echo "$p passed, $f failed"
	[ $f = 0 ]
}

# `payload TARGET`: fetch, build and print the VM arguments for it.
payload() {
	local out
	use_kernel "$1"
	kernel_payload "$out" >&2 || die "mp3.ko does not build for $KVER"
	echo "--payload $out/payload --kernel $KIMAGE --kmoddir $KMODDIR"
}

# `table`: the last results as a Markdown table (docs/kernels.md).
table() {
	local t s out=${PFPROF_MATRIX_OUT:-$top/build/matrix}
	echo "| target | kernel | Debian package (suite) | module built with | passed | failed | skipped | samples/s | module counts == getrusage | witness fallbacks | time |"
	echo "|---|---|---|---|---:|---:|---:|---:|---|---|---:|"
	for t in $("$top/tools/kernels/kernels.sh" targets); do
		s=$out/$t/summary
		[ -f "$s" ] || continue
		# shellcheck disable=SC1090
		(. "$s"; echo "| $t | $kernel | $package ($suite) | $build | $passed | $failed | $skipped${skips:+ ($skips)} | ${rate:-?} | $exact_ok of $((exact_ok + exact_bad)) exact | ${fallbacks:-none} | ${seconds} s |")
	done
}

case "${1:-}" in
table) table ;;
payload) [ $# = 2 ] || die "usage: matrix.sh payload TARGET"; payload "$2" ;;
one) [ $# -ge 2 ] || die "usage: matrix.sh one TARGET [PATTERN...]"; shift; one "$@" ;;
all) all ;;
*) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
esac
