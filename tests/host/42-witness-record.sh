#!/bin/sh
# 42-witness-record: the witness record's readers take fields by name
# (include/pfprof/witness_record.h, docs/witness.md "The record"): pfcompare's
# (compare/witness.c, through tests/compare/witness_test) and the Python
# one (experiments/lib/witness_record.py) read a record with fields added as
# they read the plain one, read a newer minor version, and refuse another
# major version or a record without one, saying so.  As root with BTF,
# both read what bpf/pfwitness writes, and agree with its stderr lines.
cd "$(dirname "$0")/../.." || exit 1
total=12
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi; }
echo "1..$total"
tmp=$(mktemp -d /tmp/pfw-record.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# 1-6: pfcompare's reader
if out=$(make -s -C tests compare/witness_test 2>&1); then
	tests/compare/witness_test > "$tmp/c.out" 2> "$tmp/c.err"
	rc=$?
	sed 's/^/# /' "$tmp/c.err"
	while read -r verdict what; do
		[ "$verdict" = PASS ]
		ok $? "pfcompare: $what"
	done < "$tmp/c.out"
	[ $rc = 0 ] || echo "# witness_test: exit $rc"
else
	echo "$out" | tail -5 | sed 's/^/# /'
fi
while [ $n -lt 6 ]; do ok 1 "pfcompare: tests/compare/witness_test ran"; done

# 7-10: the Python reader, on records written here
python3 - "$tmp" > "$tmp/py.out" 2>&1 <<'EOF'
import json, sys
sys.path.insert(0, "experiments/lib")
import witness_record as wr

head = ("type,seq,jiffies,mono_ns,secs,pid,comm,tp_user,tp_kernel,pe_min,pe_maj,fx_min,fx_maj,"
        "fx_gup,fx_skip,cpu_ns,sclk_ns,ru_min,ru_maj,miss_in,miss_out,cpu_rec_ns,pe_miss_min,"
        "pe_miss_maj,stolen_ns")
vals = "143,4,144,3,0,0,0,0,1862933,1904943,145,3,0,0,0,0,0,0"
csv_plain = ["# pfwitness-record 1.0", head,
             "source,,,,,,tracepoint,attached=1,method=tp_btf,reason=",
             "source,,,,,,fexit,attached=0,method=,reason=load: Operation not permitted",
             "interval,0,4299058971,16666952584781,0.2,100,t," + vals,
             "total,,,,,100,t," + vals,
             "program,,,,,,btf_switch,run_cnt=3,run_time_ns=300,avg_ns=100,recursion_misses=0",
             "lost,,,,,,map_full,0",
             "wait4,,,,,100,t,status=0,minflt=145,majflt=3,utime_us=1000,stime_us=20"]
csv_added = ["# pfwitness-record 1.4", "# a comment", head.replace(",comm,", ",comm,zz_mid,") + ",zz_end",
             "source,,,,,,tracepoint,attached=1,method=tp_btf,reason=,since=3",
             "source,,,,,,fexit,attached=0,method=,reason=load: Operation not permitted",
             "source,,,,,,kprobe,attached=1,method=kprobe,reason=",
             "interval,0,4299058971,16666952584781,0.2,100,t,7," + vals + ",8",
             "future,,,,,100,t,a=1",
             "total,,,,,100,t,7," + vals + ",8",
             "program,,,,,,btf_switch,new=1,run_cnt=3,run_time_ns=300,avg_ns=100,recursion_misses=0",
             "lost,,,,,,map_full,0",
             "wait4,,,,,100,t,status=0,core=0,minflt=145,majflt=3,utime_us=1000,stime_us=20"]

def used(r):
    """What a reader by name uses: every known field, none of the new ones."""
    drop = lambda d: {k: v for k, v in d.items() if not k.startswith(("zz_", "new", "core", "since"))}
    return (r["sources"]["tracepoint"]["attached"], r["sources"]["fexit"]["attached"],
            [drop(x) for x in r["intervals"]], [drop(x) for x in r["totals"]],
            [drop(x) for x in r["programs"]], drop(r["wait4"]), r["lost_map_full"])

def check(what, cond):
    print("PASS" if cond else "FAIL", what)

def refused(fn, arg, want):
    try:
        fn(arg)
    except wr.RecordError as e:
        print("#", e)
        return want in str(e)
    return False

a, b = wr.read_csv(csv_plain), wr.read_csv(csv_added)
check("python CSV: fields added, minor 1.4: read the same by name (totals pe_min %s, wait4 minflt %s)"
      % (b["totals"][0]["pe_min"], b["wait4"]["minflt"]),
      used(a) == used(b) and a["totals"][0]["pe_min"] == 144 and a["wait4"]["minflt"] == 145
      and "kprobe" in b["sources"])
check("python CSV: major version 2.0 and a record without a version are refused, saying so",
      refused(wr.read_csv, ["# pfwitness-record 2.0"] + csv_plain[1:], "version 2.0")
      and refused(wr.read_csv, csv_plain[1:], "no '# pfwitness-record' line"))
j = {"tool": "pfwitness", "record": "1.0", "version": 1,
     "sources": {"tracepoint_kind": "tp_btf",
                 "tracepoint": {"attached": True, "method": "tp_btf", "reason": ""},
                 "fexit": {"attached": False, "method": "", "reason": "load: Operation not permitted"}},
     "intervals": [{"seq": 0, "jiffies": 4299058971, "mono_ns": 16666952584781, "secs": 0.2,
                    "procs": [{"pid": 100, "comm": "t", "pe_min": 144}]}],
     "totals": [{"pid": 100, "comm": "t", "pe_min": 144}], "programs": [],
     "lost_map_full": 0, "wait4": {"pid": 100, "comm": "t", "minflt": 145}}
k = json.loads(json.dumps(j))
k["record"] = "1.3"
k["zz_top"] = {"x": 1}
k["sources"]["kprobe"] = {"attached": True, "method": "kprobe", "reason": "", "since": 1}
k["totals"][0]["zz_new"] = 5
k["intervals"][0]["zz_new"] = 6
k["intervals"][0]["procs"][0]["zz_new"] = 7
ra, rb = wr.read_json(json.dumps(j)), wr.read_json(json.dumps(k))
check("python JSON: fields added, minor 1.3: read the same by name",
      ra["totals"][0]["pe_min"] == rb["totals"][0]["pe_min"] == 144
      and ra["intervals"][0]["mono_ns"] == rb["intervals"][0]["mono_ns"]
      and wr.attached(ra)["fexit"] is False and rb["sources"]["kprobe"]["attached"]
      and ra["wait4"] == rb["wait4"])
j2 = dict(j, record="2.0")
j3 = {x: y for x, y in j.items() if x != "record"}
check("python JSON: major version 2.0 and a record without a version are refused, saying so",
      refused(wr.read_json, json.dumps(j2), "version 2.0")
      and refused(wr.read_json, json.dumps(j3), "no \"record\""))
EOF
grep '^#' "$tmp/py.out"
grep -q Traceback "$tmp/py.out" && sed 's/^/# /' "$tmp/py.out"
grep -E '^(PASS|FAIL) ' "$tmp/py.out" > "$tmp/py.res"
while read -r verdict what; do
	[ "$verdict" = PASS ]
	ok $? "$what"
done < "$tmp/py.res"
while [ $n -lt 10 ]; do ok 1 "python: the reader's tests ran"; done

# 11-12: what bpf/pfwitness writes (root, BTF)
live() {
	if [ "$(id -u)" != 0 ]; then echo "not root (pfwitness needs CAP_BPF and CAP_PERFMON)"
	elif [ ! -r /sys/kernel/btf/vmlinux ]; then echo "no kernel BTF"
	elif [ ! -x bpf/pfwitness ] || [ ! -x tests/bpf/pfw-touch ]; then echo "bpf/pfwitness or tests/bpf/pfw-touch not built"
	fi
}
why=$(live)
if [ -n "$why" ]; then
	ok 0 "pfcompare reads pfwitness's CSV # SKIP $why"
	ok 0 "python reads pfwitness's CSV and JSON # SKIP $why"
	exit $fail
fi
bpf/pfwitness --csv -s all -c "tests/bpf/pfw-touch anon 100" 0.2 > "$tmp/w.csv" 2> "$tmp/w.err"
bpf/pfwitness --json -s all -c "tests/bpf/pfw-touch anon 100" 0.2 > "$tmp/w.json" 2> "$tmp/wj.err"
# the stderr lines for humans: wait4's numbers, which sources attached
w4=$(sed -n 's/.*rusage minflt=\([0-9]*\) majflt=\([0-9]*\).*/\1 \2/p' "$tmp/w.err")
att() { grep -q "^pfwitness: $1: attached" "$2" && echo 1 || echo 0; }
src="tp=$(att tracepoints "$tmp/w.err") pe=$(att 'perf sw events' "$tmp/w.err")"
src="$src fx=$(att 'fexit handle_mm_fault' "$tmp/w.err") sw=$(att sched_switch "$tmp/w.err")"
src="$src ru=$(att 'thread fault counters' "$tmp/w.err")"
rec=$(tests/compare/witness_test "$tmp/w.csv")
echo "$rec" | grep -q "witness have=1 $src\$" &&
	echo "$rec" | grep -q "wit_wait_min=${w4% *} wit_wait_maj=${w4#* } "
ok $? "pfcompare reads pfwitness's CSV: sources ($src) and wait4 ($w4) as its stderr says"
python3 - "$tmp/w.csv" "$tmp/w.json" "$tmp/w.err" "$tmp/wj.err" <<'EOF'
import re, sys
sys.path.insert(0, "experiments/lib")
import witness_record as wr
good = True
for path, err in ((sys.argv[1], sys.argv[3]), (sys.argv[2], sys.argv[4])):
    r = wr.read(path)
    e = open(err).read()
    mn = int(re.search(r"rusage minflt=(\d+)", e).group(1))
    att = {"tracepoint": "tracepoints", "perf_event": "perf sw events",
           "fexit": "fexit handle_mm_fault", "sched_switch": "sched_switch",
           "thread_counters": "thread fault counters"}
    said = {k: ("pfwitness: %s: attached" % v) in e for k, v in att.items()}
    ru = sum(t["ru_min"] for t in r["totals"])
    this = (r["version"][0] == 1 and wr.attached(r) == said and r["wait4"]["minflt"] == mn
            and ru == mn and len(r["intervals"]) > 0)
    print("# %s: version %s, sources %s, wait4 minflt %d, totals ru_min %d: %s"
          % (path.rsplit(".", 1)[1], r["version"], wr.attached(r), r["wait4"]["minflt"], ru,
             "ok" if this else "WRONG"))
    good &= this
sys.exit(0 if good else 1)
EOF
ok $? "python reads pfwitness's CSV and JSON: version, sources and wait4 as its stderr says, totals' ru_min = wait4"
exit $fail
