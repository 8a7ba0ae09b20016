#!/bin/bash
# transport.sh - mmap against read(): what it costs a reader to take
# mp3.ko's samples out of /dev/mp3 through the shared mapping or through
# read(), measured in the VM (QEMU TCG; the host kernel cannot load
# modules, so nothing here runs natively).  docs/transport.md.
#
# USAGE: experiments/bench/transport.sh [--reps 3] [--secs 60] [--stress-secs 20]
#            [--poll-ms 10] [--drain-reps 21] [--mem 2048] [--out DIR]
#            [--plot FILE] [--no-plot] [--quick] [--report-only]
#
# Builds mp3.ko from this tree (in DIR, not in kmod/) and experiments/bench/transport.c
# (static), boots one VM and, with experiments/bench/transport.c (see its header):
#   1. stress: mp3.ko loaded with period_ms=1, as fast as the design
#      samples (its delayed work is queued in ticks and the timer wheel
#      fires it a tick after the one asked for, so at HZ=250 that is 125
#      samples/s, the other deadlines counted missed), one sleeping
#      process registered; REPS rounds of following for STRESS-SECS each
#      way, the order rotating per round: mmap-10ms (the mmap follower
#      polling every 10 ms, as monitor -f does), mmap and read-poll
#      (polling every POLL-MS), read-block (a blocking read());
#   2. drain: once more than 12000 samples are written, the sampler
#      stopped, DRAIN-REPS rounds of emptying the full ring every way
#      (mmap-follow, mmap-minus1, memcpy, read-1, read-128, read-12000);
#   3. 20 Hz: mp3.ko reloaded with the default period (50 ms), REPS rounds
#      of following for SECS each way, rotating.
# POLL-MS is 50 by default, the default period: at 20 Hz the polling
# followers then wake once per sample, as the blocking read() does.
#
# Prints the table (medians, [min-max] over the runs), the mmap/read
# ratios and the CSV, and writes to DIR (default experiments/bench/.output/transport):
# transport.csv (every run), transport.md (table, command, commit, host
# load), guest.txt (what the guest printed); the plot goes to FILE
# (default docs/img/transport.png).  With the defaults the run takes about
# 16 minutes, with --reps 5 (docs/transport.md) 27; --quick (1 round, 10 s
# runs, 5 drain rounds) about 3.
# --report-only makes the table, CSV and plot again from DIR's last run.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
# The command as typed, for the report (a display string, never run).
cmdline=experiments/bench/transport.sh
# shellcheck disable=SC2089
for a in "$@"; do
	case "$a" in *[!A-Za-z0-9_./=-]*) cmdline="$cmdline \"$a\"" ;; *) cmdline="$cmdline $a" ;; esac
done
reps=3 secs=60 ssecs=20 poll=50 dreps=21 mem=2048 report_only=0
out=$top/experiments/bench/.output/transport plot=$top/docs/img/transport.png
while [ $# -gt 0 ]; do
	case "$1" in
	--reps) reps=$2; shift 2 ;;
	--secs) secs=$2; shift 2 ;;
	--stress-secs) ssecs=$2; shift 2 ;;
	--poll-ms) poll=$2; shift 2 ;;
	--drain-reps) dreps=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--plot) plot=$2; shift 2 ;;
	--no-plot) plot=""; shift ;;
	--quick) reps=1 secs=10 ssecs=10 dreps=5; shift ;;
	--report-only) report_only=1; shift ;;
	*) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
start=$(date +%s)
say() { echo "transport: $* ($(($(date +%s) - start)) s)" >&2; }

. "$top/experiments/bench/guest-lib.sh"
if [ $report_only = 0 ]; then
# The commit measured, and kmod/mp3.c's blob (it names the module's source
# even before a change to it is committed).
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- kmod/mp3.c 2>/dev/null || commit="$commit+mp3.c"
blob=$(git hash-object kmod/mp3.c | cut -c1-12)

host_before=$(host_state)

say "building mp3.ko (in $out/src) and transport"
rm -rf "$out/payload" && mkdir -p "$out/payload/bin"
tools/kernels/stage-kmod.sh "$out/src"
make -s -C "$out/src/kmod" >/dev/null
pay=$out/payload
cp "$out/src/kmod/mp3.ko" "$pay/"
gcc -static -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -I lib -I include \
	-o "$pay/bin/transport" experiments/bench/transport.c lib/mp3buf.c

modes="mmap-10ms mmap read-poll read-block"
nfollow=$((2 * reps * 4))
cat > "$pay/transport-guest.sh" <<EOF
echo "guest: kernel \$(uname -r), \$(nproc) CPUs, \$(sed -n 's/^MemTotal: *//p' /proc/meminfo) RAM"
T=/pfprof/bin/transport
t0=\$(date +%s) k=0 rc=0
written() { sed -n 's/^samples_written //p' /proc/mp3/stats; }
stats() { sed "s/^/STATS,\$1,/; s/ /,/" /proc/mp3/stats; }
# One follow run, with a progress line every 10 s from a separate process
# (the reader's own CPU time is what is measured).
follow() {
	k=\$((k + 1))
	echo "transport: [\$k/$nfollow] follow \$1 \$2 for \$3 s (\$((\$(date +%s) - t0)) s into the run)"
	( i=0; while sleep 10; do i=\$((i + 10)); echo "transport:    ... \$i s"; done ) &
	tk=\$!
	case \$2 in
	mmap-10ms) set -- "\$1" mmap "\$3" 10 mmap-10ms ;;
	*) set -- "\$1" "\$2" "\$3" $poll "\$2" ;;
	esac
	\$T follow -l "\$1" -m "\$2" -t "\$3" -p "\$4" -n "\$5" || rc=1
	kill \$tk 2>/dev/null; wait \$tk 2>/dev/null
}
# The modes, rotated by \$1 places.
rotate() {
	set -- \$1 $modes
	n=\$1; shift
	i=0
	while [ \$i -lt \$n ]; do a=\$1; shift; set -- "\$@" "\$a"; i=\$((i + 1)); done
	echo "\$@"
}

echo "transport: stress: period_ms=1"
insmod /pfprof/mp3.ko period_ms=1 || exit 2
sleep 1000000 & S=\$!
echo "R \$S" > /proc/mp3/status || exit 2
r=0
while [ \$r -lt $reps ]; do
	for m in \$(rotate \$((r % 4))); do follow stress \$m $ssecs; done
	r=\$((r + 1))
done
while [ "\$(written)" -le 12000 ]; do
	echo "transport: filling the ring: \$(written) of 12001 samples"; sleep 5
done
echo "U \$S" > /proc/mp3/status
kill \$S
stats stress
echo "transport: drain: $dreps rounds on the full ring"
\$T drain -r $dreps || rc=1
rmmod mp3

echo "transport: 20 Hz: period_ms=50"
insmod /pfprof/mp3.ko || exit 2
sleep 1000000 & S=\$!
echo "R \$S" > /proc/mp3/status || exit 2
r=0
while [ \$r -lt $reps ]; do
	for m in \$(rotate \$((r % 4))); do follow 20Hz \$m $secs; done
	r=\$((r + 1))
done
echo "U \$S" > /proc/mp3/status
kill \$S
stats 20Hz
rmmod mp3
echo "transport: guest done after \$((\$(date +%s) - t0)) s"
exit \$rc
EOF

est=$((reps * 4 * (ssecs + secs) + 60 + 120))
say "booting the VM (TCG, ${mem} MiB): $nfollow follow runs ($reps rounds x 4 ways x ${ssecs} s at period_ms=1 and x ${secs} s at 20 Hz) and $dreps drain rounds, about $est s; guest progress follows"
guest_run "$out" '^CSV,\|^STATS,' --payload "$pay" --mem "$mem" --timeout $((est * 2 + 300)) \
	-- 'sh /pfprof/transport-guest.sh'
say "VM exited with status $vrc"
kernel=$(sed -n 's/^guest: kernel \([^ ,]*\).*/\1/p' "$out/guest.txt" | head -n 1)
# What the report needs besides the guest's output (--report-only reads it).
date=$(date -u +%Y-%m-%d)
# shellcheck disable=SC2090
declare -p commit blob host_before host_after kernel mem poll cmdline vrc date > "$out/meta.env"
else
	# The run's own command, commit and host notes.
	[ -f "$out/meta.env" ] || { echo "transport: no $out/meta.env: nothing to report" >&2; exit 1; }
	# shellcheck disable=SC1091
	. "$out/meta.env"
	say "report of the run in $out (command: $cmdline)"
fi

{
	echo "phase,mode,rep,seconds,samples,lost,syscalls,wall_ns,cpu_ns,ns_per_sample,syscalls_per_sample,cpu_pct,checksum"
	sed -n 's/^CSV,//p' "$out/guest.txt"
} > "$out/transport.csv"
grep '^STATS,' "$out/guest.txt" > "$out/stats.txt" || true
[ "$(wc -l < "$out/transport.csv")" -gt 1 ] || { echo "transport: no results (see $out/guest.txt)" >&2; exit 1; }

# Medians and spreads, the ratios, the plot's data.
python3 - "$out" "$poll" > "$out/table.md" <<'PY'
import csv, statistics, sys
out, poll = sys.argv[1], int(sys.argv[2])
rows = list(csv.DictReader(open(f"{out}/transport.csv")))
stats = {}
for line in open(f"{out}/stats.txt"):
    _, phase, key, val = line.strip().split(",")
    stats[(phase, key)] = int(val)

def group(phase, mode):
    return [r for r in rows if r["phase"] == phase and r["mode"] == mode]

def med(rs, key):
    v = [float(r[key]) for r in rs]
    return statistics.median(v), min(v), max(v)

def fmt(t, nd):
    m, lo, hi = t
    f = f"{{:.{nd}f}}"
    return f"{f.format(m)} [{f.format(lo)}–{f.format(hi)}]"

def rate(phase):
    p = stats.get((phase, "period_mean_ns"))
    return 1e9 / p if p else float("nan")

drain_modes = ["mmap-follow", "mmap-minus1", "memcpy", "read-1", "read-128", "read-12000"]
desc = {
    "mmap-follow": "mmap, header follower (`monitor -f`)",
    "mmap-minus1": "mmap, -1 protocol (`monitor`)",
    "memcpy": "mmap, one `memcpy()` of the ring (floor)",
    "read-1": "`read()`, 1 record per call",
    "read-128": "`read()`, 128 records (4 KiB) per call",
    "read-12000": "`read()`, the whole ring in one call",
}
d = {m: med(group("drain", m), "ns_per_sample") for m in drain_modes if group("drain", m)}
n_drain = len(group("drain", "read-1"))
print(f"**Drain**: empty a full ring (12000 samples; the follower takes the 11999 it may), {n_drain} rounds, wall time")
print()
print("| way | samples | ns per sample | syscalls per sample | vs mmap follower |")
print("|---|---:|---:|---:|---:|")
for m in drain_modes:
    g = group("drain", m)
    if not g:
        continue
    n = int(statistics.median(float(r["samples"]) for r in g))
    sc = statistics.median(float(r["syscalls_per_sample"]) for r in g)
    ratio = d[m][0] / d["mmap-follow"][0]
    print(f"| {desc[m]} | {n} | {fmt(d[m], 1)} | {sc:.4f} | {ratio:.2f}× |")
print()

follow_modes = ["mmap-10ms", "mmap", "read-poll", "read-block"]
fdesc = {
    "mmap-10ms": "mmap, poll every 10 ms (`monitor -f`)",
    "mmap": f"mmap, poll every {poll} ms",
    "read-poll": f"`read()` O_NONBLOCK, poll every {poll} ms",
    "read-block": "`read()` blocking",
}
f = {}
for phase, name in (("20Hz", "20 Hz (period_ms=50)"), ("stress", "stress (period_ms=1)")):
    if not group(phase, "mmap"):
        continue
    n_runs = len(group(phase, "mmap"))
    secs = statistics.median(float(r["seconds"]) for r in group(phase, "mmap"))
    print(f"**Following, {name}**: {rate(phase):.1f} samples/s measured, "
          f"{stats.get((phase, 'deadlines_missed'), 0)} deadlines missed; {n_runs} runs of {secs:.0f} s per way")
    print()
    print("| way | samples/s | lost | CPU, % of one CPU | CPU ns per sample | syscalls per sample | CPU vs mmap |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for m in follow_modes:
        if group(phase, m):
            f[(phase, m)] = med(group(phase, m), "cpu_pct")
    for m in follow_modes:
        g = group(phase, m)
        if not g:
            continue
        sps = statistics.median(float(r["samples"]) / float(r["seconds"]) for r in g)
        lost = sum(int(r["lost"]) for r in g)
        ns = med(g, "ns_per_sample")
        sc = statistics.median(float(r["syscalls_per_sample"]) for r in g)
        ratio = f[(phase, m)][0] / f[(phase, "mmap")][0]
        print(f"| {fdesc[m]} | {sps:.1f} | {lost} | {fmt(f[(phase, m)], 4)} | {fmt(ns, 0)} | {sc:.2f} | {ratio:.2f}× |")
    print()

# The ratios and what they mean.
print("**mmap/read ratios** (medians; > 1: mmap costs more)")
print()
for m in ("read-1", "read-128", "read-12000"):
    if m in d:
        print(f"* drain, ns per sample: mmap follower / {m} = {d['mmap-follow'][0] / d[m][0]:.2f}")
for phase in ("20Hz", "stress"):
    for a, b in (("mmap", "read-poll"), ("mmap", "read-block"), ("mmap-10ms", "read-block")):
        if (phase, a) in f and (phase, b) in f:
            print(f"* following at {phase}, CPU: {a} / {b} = {f[(phase, a)][0] / f[(phase, b)][0]:.2f}")
print()
if {"read-1", "read-12000", "mmap-follow"} <= d.keys():
    call = d["read-1"][0] - d["read-12000"][0]
    per = d["read-12000"][0] - d["mmap-follow"][0]
    worst = d["read-1"][0] - d["mmap-follow"][0]
    print(f"Derived (TCG ns): one `read()` call costs about {call:.0f} ns beyond its records; "
          f"a record through `read()` costs {per:+.1f} ns against the mmap follower when batched. "
          f"A reader making one `read()` per sample spends {worst:.0f} ns more per sample than the "
          f"mmap follower, i.e. 1 % of one CPU at {1e7 / worst:,.0f} samples/s "
          f"(at 20 Hz: {20 * worst / 1e7:.5f} % of one CPU).")
with open(f"{out}/plot.env", "w") as fh:
    fh.write(f"rate_20hz={rate('20Hz'):.1f}\nrate_stress={rate('stress'):.1f}\n")
with open(f"{out}/plot-drain.dat", "w") as fh:
    for i, m in enumerate(drain_modes):
        if m in d:
            fh.write(f'{i} {d[m][0]} {d[m][1]} {d[m][2]} "{m}"\n')
with open(f"{out}/plot-follow.dat", "w") as fh:
    for i, m in enumerate(follow_modes):
        vals = []
        for phase in ("20Hz", "stress"):
            vals += list(f.get((phase, m), (float("nan"),) * 3))
        fh.write(f'{i} ' + " ".join(f"{v}" for v in vals) + f' "{m}"\n')
PY

{
	echo "Transport benchmark: QEMU TCG (about 8x slower than native), 2 vCPUs, ${mem} MiB,"
	echo "guest kernel $kernel, commit $commit (kmod/mp3.c blob $blob), $date"
	echo "host: $(nproc) cores; before the run $host_before; after it $host_after"
	echo
	cat "$out/table.md"
	echo
	echo "command: $cmdline"
} > "$out/transport.md"

if [ -n "$plot" ]; then
	mkdir -p "$(dirname "$plot")"
	rate_20hz=$(sed -n 's/^rate_20hz=//p' "$out/plot.env")
	rate_stress=$(sed -n 's/^rate_stress=//p' "$out/plot.env")
	gnuplot <<EOF
set terminal pngcairo size 1000,450 font ",10" noenhanced
set output "$plot"
set multiplot layout 1,2 title "mp3.ko transport: mmap against read() (QEMU TCG, about 8x slower than native; guest $kernel; commit $commit)" font ",10"
set style fill solid 0.6 border -1
set boxwidth 0.6
set grid ytics
set xtics rotate by -30 nomirror
set title "draining a full ring (12000 samples)"
set ylabel "ns per sample (wall, median; bars min-max)"
set logscale y
set yrange [10:3000]
set xrange [-0.6:5.6]
plot "$out/plot-drain.dat" using 1:2:xtic(5) with boxes lc rgb "#4477aa" notitle, \
	"" using 1:2:3:4 with yerrorbars lc rgb "black" pt 0 notitle, \
	"" using 1:2:(sprintf("%.0f", \$2)) with labels offset 0,0.8 notitle
unset logscale y
set title "following: reader CPU (getrusage)\nmmap, read-poll poll every ${poll} ms; mmap-10ms every 10 ms"
set ylabel "% of one CPU (median; bars min-max)"
set xrange [-0.6:3.6]
set yrange [0:*]
set boxwidth 0.35
set offsets 0, 0, graph 0.2, 0
set key top center horizontal
plot "$out/plot-follow.dat" using (\$1-0.18):2:xtic(8) with boxes lc rgb "#66aa55" title "period_ms=50: $rate_20hz samples/s", \
	"" using (\$1-0.18):2:3:4 with yerrorbars lc rgb "black" pt 0 notitle, \
	"" using (\$1+0.18):5 with boxes lc rgb "#cc6677" title "period_ms=1: $rate_stress samples/s", \
	"" using (\$1+0.18):5:6:7 with yerrorbars lc rgb "black" pt 0 notitle
unset multiplot
EOF
	say "plot: $plot"
fi

echo
cat "$out/transport.md"
echo
echo "CSV ($out/transport.csv):"
cat "$out/transport.csv"
echo
echo "guest log: $out/guest.txt"
say "done"
[ "$vrc" = 0 ]
