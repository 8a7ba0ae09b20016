#!/bin/bash
# pftrace-unwind.sh - what pftrace code's unwinders cost per page fault,
# against perf record's, on the same workloads, interleaved.
#
# USAGE: experiments/bench/pftrace-unwind.sh [-o CSV] [ROUNDS] [PAGES] [PASSES]   (as root)
#
# Workloads (BENCH_WORKLOADS picks; default "faultstack python3"):
#   faultstack  experiments/bench/faultstack.c: PAGES anonymous pages faulted PASSES
#               times (MADV_DONTNEED between), 16 calls deep with 1 KiB of
#               locals each (built -fno-omit-frame-pointer): every fault has
#               over 16 KiB of stack above it, so dwarf,SIZE copies all SIZE
#   python3     /usr/bin/python3 writing a byte to each page of an mmap, the
#               same PAGES x PASSES: a distro binary, no frame pointers
# Each prints its own faulting loop's wall time (CLOCK_MONOTONIC), CPU and
# faults (getrusage), so a tool's start-up and teardown are not counted.
# Configurations (BENCH_CONFIGS picks), run in turn every round, the order
# reversed every other round (A B C .. C B A A B C ..):
#   untraced        the workload alone
#   where           pftrace where -c: pftrace's fault accounting, no stacks
#   pft-fp          pftrace code --folded --call-graph fp -c
#   pft-dwarf       pftrace code --folded -c (dwarf, 8192 bytes per fault)
#   perf-fp         perf record -e page-faults -c 1 --call-graph fp
#   perf-dwarf      perf record -e page-faults -c 1 --call-graph dwarf
#                   (perf's default dwarf size is 8192 too)
#   pft-dwarf4096, pft-dwarf16384, perf-dwarf4096, perf-dwarf16384
#                   the same with dwarf,4096 and dwarf,16384 (faultstack only)
# Per configuration: the loop's wall ms (median, min-max), the added wall
# and CPU per fault against the untraced median (what the traced program
# sees), IRQ-work interrupts per fault (/proc/interrupts IWI, all CPUs),
# the tool's whole wall time (start to exit), the tool's own CPU per fault
# (its user+system, children included, less the workload's), and the
# samples lost (perf: "lost N%" of perf record; pftrace: "left out of
# code", no stack or ring buffer full, of the faults counted).
# Before each run it waits (up to 30 s) while another tracer (pftrace,
# pfwitness, perf, bpftrace) runs; runs that still had company are counted.
# Defaults: 7 rounds, 12500 pages x 4 passes (50000 faults a run).
set -u
cd "$(dirname "$0")/../.." || exit 1
csv=/tmp/pftrace-unwind.csv
while getopts o: opt; do
	case $opt in
	o) csv=$OPTARG ;;
	*) sed -n '2,/^set -u/p' "$0" | sed '$d' >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
ROUNDS=${1:-7} PAGES=${2:-12500} PASSES=${3:-4}
out=experiments/bench/.output
mkdir -p "$out"
gcc -O2 -g -fno-omit-frame-pointer -Wall -Wextra -Werror -o "$out/faultstack" experiments/bench/faultstack.c || exit 1
make -s -C bpf || exit 1
P=bpf/pftrace FS=$out/faultstack PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/pyfault.py" <<'EOF'
import mmap, resource, sys, time
pages, passes = int(sys.argv[1]), int(sys.argv[2])
m = mmap.mmap(-1, pages * 4096)
m.madvise(mmap.MADV_NOHUGEPAGE)
def cpu(r): return r.ru_utime + r.ru_stime
a = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.monotonic()
for p in range(passes):
    for i in range(0, pages * 4096, 4096):
        m[i] = 1
    m.madvise(mmap.MADV_DONTNEED)
t1 = time.monotonic()
b = resource.getrusage(resource.RUSAGE_SELF)
f = b.ru_minflt - a.ru_minflt
print("faultstack: faults=%d secs=%.6f cpu=%.6f ns_per_fault=%.1f stack=0"
      % (f, t1 - t0, cpu(b) - cpu(a), (t1 - t0) * 1e9 / max(f, 1)))
EOF
workloads=${BENCH_WORKLOADS:-"faultstack python3"}
base_configs="untraced where pft-fp pft-dwarf perf-fp perf-dwarf"
size_configs="pft-dwarf4096 pft-dwarf16384 perf-dwarf4096 perf-dwarf16384"

configs_of() {
	if [ -n "${BENCH_CONFIGS:-}" ]; then
		echo "$BENCH_CONFIGS"
	elif [ "$1" = faultstack ]; then
		echo "$base_configs $size_configs"
	else
		echo "$base_configs"
	fi
}

workload_cmd() {
	case $1 in
	faultstack) echo "$FS $PAGES $PASSES" ;;
	idle) echo "$FS 1 1" ;;
	python3) echo "$PY $tmp/pyfault.py $PAGES $PASSES" ;;
	esac
}

# IRQ-work interrupts so far, all CPUs
iwi() {
	awk '$1 == "IWI:" {s = 0; for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i; print s}' /proc/interrupts
}

tracers() {
	local t
	for t in pftrace pfwitness perf bpftrace; do pgrep -l -x "$t"; done
}

# quiet: wait while another tracer runs (30 s at most); 1 if one still does
quiet() {
	local i
	for i in $(seq 60); do
		[ -z "$(tracers)" ] && return 0
		[ "$i" = 1 ] && echo "# waiting: another tracer runs ($(tracers | tr '\n' ' '))" >&2
		sleep 0.5
	done
	return 1
}

# one WORKLOAD CONFIG ROUND: run once, append a line to $tmp/raw
one() {
	local wl=$1 cfg=$2 cmd size i0 i1 busy=0 lost=0 complete="" line
	cmd=$(workload_cmd "$wl")
	quiet || busy=1
	rm -f "$tmp/perf.data" "$tmp/o" "$tmp/e" "$tmp/t"
	size=${cfg##*dwarf}
	[ -n "$size" ] && [ "$size" != "$cfg" ] && size=",$size" || size=""
	i0=$(iwi)
	TIMEFORMAT='%3R %3U %3S'
	# shellcheck disable=SC2086  # $cmd is split on purpose
	case $cfg in
	untraced) { time $cmd > "$tmp/o" 2> "$tmp/e"; } 2> "$tmp/t" ;;
	where) { time $P where -c "$cmd" > "$tmp/o" 2> "$tmp/e"; } 2> "$tmp/t" ;;
	pft-fp) { time $P code --folded --call-graph fp -c "$cmd" > "$tmp/o" 2> "$tmp/e"; } 2> "$tmp/t" ;;
	pft-dwarf*) { time $P code --folded --call-graph "dwarf$size" -c "$cmd" > "$tmp/o" 2> "$tmp/e"; } 2> "$tmp/t" ;;
	perf-fp) { time perf record -e page-faults -c 1 --call-graph fp -o "$tmp/perf.data" -- $cmd > "$tmp/o" 2> "$tmp/e"; } 2> "$tmp/t" ;;
	perf-dwarf*) { time perf record -e page-faults -c 1 --call-graph "dwarf$size" -o "$tmp/perf.data" -- $cmd > "$tmp/o" 2> "$tmp/e"; } 2> "$tmp/t" ;;
	esac
	i1=$(iwi)
	line=$(cat "$tmp/o" "$tmp/e" | grep -m1 '^faultstack: faults=')
	[ -n "$line" ] || { echo "# $wl $cfg round $3: no figure; stderr:" >&2; tail -n 5 "$tmp/e" >&2; return 1; }
	case $cfg in
	pft-*|where)
		# lost: left out of code (no stack + ring full) over faults counted
		lost=$(awk '/^pftrace: faults counted:/ {n = $4}
			/^pftrace: left out of code:/ {l = $6 + $11}
			END {printf "%.2f", n ? 100 * l / n : 0}' "$tmp/e")
		complete=$(awk '/^pftrace: stacks/ {printf "%.2f", $6 ? 100 * $4 / $6 : 0}' "$tmp/e") ;;
	perf-*)
		lost=$(sed -n 's/.*samples and lost \([0-9.]*\)%.*/\1/p' "$tmp/e" | head -n 1)
		lost=${lost:-0} ;;
	esac
	# wl,cfg,round,faults,secs,cpu,tool_wall,tool_cpu,iwi,lost_pct,complete_pct,busy
	echo "$line" | sed 's/[a-z_]*=//g' | awk -v wl="$wl" -v cfg="$cfg" -v r="$3" \
		-v t="$(cat "$tmp/t")" -v iw=$((i1 - i0)) -v lost="$lost" -v c="$complete" -v b="$busy" \
		'{split(t, T, " "); printf "%s,%s,%d,%d,%.6f,%.6f,%.3f,%.3f,%d,%s,%s,%d\n",
		  wl, cfg, r, $2, $3, $4, T[1], T[2] + T[3], iw, lost, c, b}' >> "$tmp/raw"
}

# stats: "median min max" of one number per line on stdin
stats() {
	sort -g | awk '{v[NR] = $1} END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.9g %.9g %.9g\n", m, v[1], v[NR]}'
}
col() { awk -F, -v w="$1" -v c="$2" -v k="$3" '$1 == w && $2 == c {print $k}' "$tmp/raw"; }

total=0
for wl in $workloads; do
	total=$((total + $(configs_of "$wl" | wc -w) * ROUNDS))
done
n=0 start=$(date +%s)
for r in $(seq "$ROUNDS"); do
	for wl in $workloads; do
		cfgs=$(configs_of "$wl")
		[ $((r % 2)) = 0 ] && cfgs=$(echo "$cfgs" | tr ' ' '\n' | tac | tr '\n' ' ')
		for c in $cfgs; do
			one "$wl" "$c" "$r"
			n=$((n + 1))
			printf '# round %d/%d: %s %s done (%d/%d runs, %d s)\n' "$r" "$ROUNDS" "$wl" "$c" \
				"$n" "$total" $(( $(date +%s) - start )) >&2
		done
	done
done

# each tool's fixed start-up and teardown CPU: 3 runs on a 1-fault workload
for r in 1 2 3; do
	for c in $(configs_of faultstack); do
		one idle "$c" "$r"
	done
	echo "# start-up cost: round $r/3 done" >&2
done
fixed() {	# fixed CPU of config $1 less the untraced workload's, seconds
	local a b
	read -r a _ <<< "$(awk -F, -v c="$1" '$1 == "idle" && $2 == c {print $8 - $6}' "$tmp/raw" | stats)"
	read -r b _ <<< "$(awk -F, '$1 == "idle" && $2 == "untraced" {print $8 - $6}' "$tmp/raw" | stats)"
	echo "$a $b" | awk '{print $1 - $2}'
}

commit=$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- bpf bench 2>/dev/null || echo "+changes")
busy=$(awk -F, '$1 != "idle" {b += $12} END {print b + 0}' "$tmp/raw")
echo
echo "pftrace-unwind: $ROUNDS interleaved rounds; $PAGES pages x $PASSES passes per run; $(date -u '+%Y-%m-%d %H:%M UTC'); $(uname -r), $(nproc) CPUs; $(perf --version); commit $commit"
echo "runs with another tracer running: $busy of $(grep -vc '^idle,' "$tmp/raw")"
{
echo "workload,config,runs,faults,loop_ms_median,loop_ms_min,loop_ms_max,added_us_per_fault_wall,added_us_per_fault_cpu,iwi_per_fault,tool_wall_s_median,tool_wall_s_min,tool_wall_s_max,tool_cpu_us_per_fault,lost_pct_median,lost_pct_max,complete_pct_median"
for wl in $workloads; do
	read -r u_secs _ <<< "$(col "$wl" untraced 5 | stats)"
	read -r u_cpu _ <<< "$(col "$wl" untraced 6 | stats)"
	# the workload's own CPU outside its loop (start, exit), untraced
	read -r u_rest _ <<< "$(awk -F, -v w="$wl" '$1 == w && $2 == "untraced" {print $8 - $6}' "$tmp/raw" | stats)"
	for c in $(configs_of "$wl"); do
		[ -n "$(col "$wl" "$c" 1)" ] || continue
		runs=$(col "$wl" "$c" 1 | wc -l)
		read -r f _ <<< "$(col "$wl" "$c" 4 | stats)"
		read -r s smin smax _ <<< "$(col "$wl" "$c" 5 | stats)"
		read -r cp _ <<< "$(col "$wl" "$c" 6 | stats)"
		read -r iw _ <<< "$(col "$wl" "$c" 9 | stats)"
		read -r tw twmin twmax _ <<< "$(col "$wl" "$c" 7 | stats)"
		fx=0
		[ "$c" != untraced ] && fx=$(fixed "$c")
		read -r tc _ <<< "$(awk -F, -v w="$wl" -v c="$c" -v b="$u_rest" -v fx="$fx" '$1 == w && $2 == c {print ($8 - $6 - b - fx) / $4}' "$tmp/raw" | stats)"
		read -r lo _ lomax _ <<< "$(col "$wl" "$c" 10 | stats)"
		cm=""
		case $c in pft-*) read -r cm _ <<< "$(col "$wl" "$c" 11 | stats)" ;; esac
		awk -v wl="$wl" -v c="$c" -v n="$runs" -v f="$f" -v s="$s" -v smin="$smin" -v smax="$smax" \
			-v us="$u_secs" -v cp="$cp" -v uc="$u_cpu" -v iw="$iw" -v tw="$tw" -v twmin="$twmin" \
			-v twmax="$twmax" -v tc="$tc" -v lo="$lo" -v lomax="$lomax" -v cm="$cm" 'BEGIN {
			tool = c == "untraced"
			printf "%s,%s,%d,%d,%.1f,%.1f,%.1f,%.2f,%.2f,%.2f,%.3f,%.3f,%.3f,%s,%s,%s,%s\n",
			  wl, c, n, f, 1e3 * s, 1e3 * smin, 1e3 * smax, 1e6 * (s - us) / f, 1e6 * (cp - uc) / f,
			  iw / f, tw, twmin, twmax, tool ? "" : sprintf("%.2f", 1e6 * tc), tool ? "" : sprintf("%.2f", lo),
			  tool ? "" : sprintf("%.2f", lomax), cm == "" ? "" : sprintf("%.2f", cm)}'
	done
done
} > "$csv"
printf '%-10s %-15s %7s %22s %9s %9s %6s %22s %9s %13s %6s\n' WORKLOAD CONFIG FAULTS \
	"LOOP-MS med (min-max)" "+US/F" "+CPU-US/F" "IWI/F" "TOOL-WALL-S med (min-max)" \
	"TOOL-US/F" "LOST% med/max" "FULL%"
tail -n +2 "$csv" | awk -F, '{
	printf "%-10s %-15s %7d %8.1f (%5.1f-%6.1f) %9.2f %9.2f %6.2f %8.3f (%5.3f-%6.3f) %9s %6s/%-6s %6s\n",
	  $1, $2, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 == "" ? "-" : $14,
	  $15 == "" ? "-" : $15, $16 == "" ? "-" : $16, $17 == "" ? "-" : $17}'
echo
echo "+US/F: (loop wall - untraced median) / faults, what the traced program sees per fault;"
echo "+CPU-US/F: the same in the program's CPU time; IWI/F: IRQ-work interrupts per fault;"
echo "TOOL-US/F: the tool's own CPU per fault, its start-up and exit (on a 1-fault run) taken"
echo "off (perf record only writes perf.data: it unwinds later, in perf report; pftrace unwinds"
echo "and symbolizes while the program runs); LOST%: perf record's lost samples, pftrace's"
echo "faults left out of code; FULL%: pftrace's stacks complete (to _start, main or clone)."
echo
echo "CSV: $csv"
echo "reproduce: sudo experiments/bench/pftrace-unwind.sh -o $csv $ROUNDS $PAGES $PASSES"
