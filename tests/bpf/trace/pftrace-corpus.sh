#!/bin/bash
# pftrace on real programs this project did not write (docs/pftrace.md,
# "Every fault accounted for"): each program runs RUNS times under
# pftrace -c, the views in turn (code --folded with DWARF unwinding, code
# with frame pointers, where, lat, code's table, heat, serve's JSON).  Every
# run must hold:
#   the view's total + what it says it left out == the faults it counted;
#   counted + not seen == wait4's minflt + majflt for the command, where
#   "not seen" (faults without a #PF: get_user_pages, exec's argument
#   copy) is 0..GUP per process;
#   and with DWARF unwinding, over 90% of xz's faults have a complete
#   stack (one that reaches _start, main or a thread's clone).
# The share of complete stacks is printed for every program and method.
#
# USAGE: pftrace-corpus.sh PFTRACE [RUNS]     (needs root; bash, python3)
P=$1 RUNS=${2:-10}
GUP=8
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the corpus: inputs in $tmp, and progs=(name|command ...)
# corpus-progs.sh: one folder up on the host, beside this script in the guest
progs=$(dirname "$0")/../corpus-progs.sh
[ -f "$progs" ] || progs=$(dirname "$0")/corpus-progs.sh
. "$progs"
progs=("xz-T2|xz -T2 -6 -c $tmp/text" "${progs[@]}")
views=("code --folded" "code --call-graph fp --folded" "where --csv -n 100000"
       "lat --csv" "code" "heat -o $tmp/heat.png" "serve --listen 127.0.0.1:0 --json")

# judge VIEW OUT ERR: "OK ..." or "BAD ...", the numbers either way
judge() {
	python3 - "$1" "$2" "$3" "$GUP" <<'EOF'
import re, sys
view, out, err, gup = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
o = open(out, "rb").read().decode(errors="replace").splitlines()
e = open(err, "rb").read().decode(errors="replace")
def num(pat, default=None):
    m = re.search(pat, e)
    return int(m.group(1)) if m else default
counted = num(r"pftrace: faults counted: (\d+)")
m = re.search(r"the command's faults \(wait4\): (\d+) \(minflt (\d+), majflt (\d+)\); not seen: (-?\d+)", e)
if counted is None or not m:
    print("BAD no accounting from pftrace"); sys.exit()
ru, unseen = int(m.group(1)), int(m.group(4))
execs = num(r"pftrace: faults counted: \d+ .*in (\d+) process", 1)
misses = num(r"pftrace: (\d+) program runs? skipped", 0)
if view.startswith("code --folded") or view.startswith("code --call"):
    total = sum(int(l.rsplit(" ", 1)[1]) for l in o if " " in l)
    left = num(r"(\d+) without a user stack") + num(r"(\d+) with the ring buffer full")
elif view.startswith("code"):
    mm = re.search(r"(\d+) faults? with a user stack", "\n".join(o))
    total = int(mm.group(1)) if mm else -1
    left = num(r"(\d+) without a user stack") + num(r"(\d+) with the ring buffer full")
elif view.startswith("heat"):
    total = num(r"(\d+) received", -1)
    left = num(r"(\d+) lost")
elif view.startswith("serve"):
    import json
    s = json.loads("\n".join(o))["intervals"][-1]
    cls = ("minor-anon", "minor-file", "major-file", "major-swap", "cow")
    total = sum(x[c] for x in s["series"] for c in cls)
    left = 0
elif view.startswith("where"):
    rows = [l.split(",") for l in o[1:] if l.count(",") >= 10]
    total = sum(int(r[7]) + int(r[8]) for r in rows)
    left = num(r"(\d+) with the mappings' map full")
else:
    rows = [l.split(",") for l in o[1:] if l.count(",") >= 9]
    total = sum(int(r[5]) for r in rows if r[2] == "0")
    left = num(r"(\d+) not timed") + num(r"(\d+) with the histograms' map full")
st = re.search(r"stacks \((\w+)\): (\d+) of (\d+) complete", e)
share = 100.0 * int(st.group(2)) / int(st.group(3)) if st and int(st.group(3)) else None
bad = []
if total + left != counted:
    bad.append("view total %d + left out %d != counted %d" % (total, left, counted))
if counted + unseen != ru or not 0 <= unseen <= gup * execs + misses:
    bad.append("counted %d, not seen %d, wait4 %d (0..%d not seen allowed)" %
               (counted, unseen, ru, gup * execs + misses))
print("%s %s: total %d + left out %d = counted %d; wait4 %d, not seen %d%s%s" % (
    "BAD" if bad else "OK", view, total, left, counted, ru, unseen,
    "; complete stacks %.1f%% (%s)" % (share, st.group(1)) if share is not None else "",
    ": " + "; ".join(bad) if bad else ""))
EOF
}

echo "1..$(( ${#progs[@]} + 1 ))"
for p in "${progs[@]}"; do
	name=${p%%|*} cmd=${p#*|}
	bad=0 shares=""
	for i in $(seq 1 "$RUNS"); do
		view=${views[$(( (i - 1) % ${#views[@]} ))]}
		# shellcheck disable=SC2086
		"$P" $view -c "$cmd" > "$tmp/out" 2> "$tmp/err"
		r=$(judge "$view" "$tmp/out" "$tmp/err")
		case "$r" in
		OK*) ;;
		*) bad=$((bad + 1)); echo "# $name run $i: $r" ;;
		esac
		[ "$i" -le ${#views[@]} ] && echo "# $name run $i: $r"
		s=$(printf '%s\n' "$r" | sed -n 's/.*complete stacks \([0-9.]*\)% (dwarf).*/\1/p')
		[ -n "$s" ] && [ "$view" = "code --folded" ] && shares="$shares $s"
	done
	ok $bad "$name: $RUNS runs, every view's total + left out = counted, + not seen = wait4 ($((RUNS - bad)) of $RUNS; complete DWARF stacks:$shares %)"
done

# The done criterion: xz -T2 with code --folded, 20 runs of 20 exact, and
# over 90% of its faults with a complete stack, every run.
cmd="xz -T2 -6 -c $tmp/text" bad=0 low=0 worst=100
for i in $(seq 1 20); do
	"$P" code --folded -c "$cmd" > "$tmp/out" 2> "$tmp/err"
	r=$(judge "code --folded" "$tmp/out" "$tmp/err")
	case "$r" in OK*) ;; *) bad=$((bad + 1)); echo "# xz run $i: $r" ;; esac
	s=$(printf '%s\n' "$r" | sed -n 's/.*complete stacks \([0-9.]*\)%.*/\1/p')
	worst=$(python3 -c "print(min($worst, ${s:-0}))")
	python3 -c "import sys; sys.exit(0 if ${s:-0} > 90 else 1)" || low=$((low + 1))
done
[ $bad = 0 ] && [ $low = 0 ]
ok $? "xz -T2 code --folded: 20 runs, $((20 - bad)) exact, $((20 - low)) with over 90% complete stacks (worst $worst%)"
exit $fail
