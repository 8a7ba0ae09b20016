#!/bin/sh
# 20-cli: the user-space tools reject bad command lines with a usage
# message and exit status 2, and change nothing.
cd "$(dirname "$0")/../.." || exit 1
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi; }
expect2() {	# expect2 "description" cmd...
	d=$1; shift
	out=$("$@" 2>&1 >/dev/null); rc=$?
	[ $rc = 2 ] && echo "$out" | grep -qi 'usage'; ok $? "$d (exit $rc)"
}
echo "1..20"
expect2 "work with no arguments" userspace/work
expect2 "work 0 MB" userspace/work 0 R 10
expect2 "work 1025 MB" userspace/work 1025 R 10
expect2 "work non-numeric MB" userspace/work abc R 10
expect2 "work two-letter mode" userspace/work 4 RR 10
expect2 "work negative accesses" userspace/work 4 R -5
expect2 "work extra argument" userspace/work 4 R 10 x
out=$(PFPROF_WORK_ITER=0 userspace/work 1 R 1 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q PFPROF_WORK_ITER; ok $? "work rejects PFPROF_WORK_ITER=0"
out=$(PFPROF_WORK_ITER=2 PFPROF_WORK_SLEEP_MS=0 userspace/work 1 R 100 2>/dev/null); rc=$?
echo "$out" | grep -q '^work: pid=[0-9]* total minflt=[0-9]* majflt=[0-9]* '; ok $? "work runs without the module and prints its getrusage"
expect2 "monitor unknown option" userspace/monitor -q
expect2 "monitor -n without -f" userspace/monitor -n 5
expect2 "monitor -t 0" userspace/monitor -f -t 0
expect2 "monitor stray argument" userspace/monitor extra
out=$(userspace/monitor -d /nonexistent/node 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q 'cannot open /nonexistent/node'; ok $? "monitor names a missing node (exit $rc)"
# --help and -h: the help on stdout, nothing on stderr, exit 0 (was:
# work and monitor --help: "invalid option", exit 2)
help0() {	# help0 "description" cmd...
	d=$1; shift
	out=$("$@" 2>"$tmp_err"); rc=$?
	[ $rc = 0 ] && echo "$out" | grep -qi 'usage' && [ ! -s "$tmp_err" ]; ok $? "$d: help on stdout, exit $rc"
}
tmp_err=$(mktemp)
trap 'rm -f "$tmp_err"' EXIT
for opt in --help -h; do
	help0 "work $opt" userspace/work $opt
	help0 "monitor $opt" userspace/monitor $opt
done
help0 "vmmech --help" userspace/vmmech --help
if [ -x compare/bin/pfcompare ]; then
	help0 "pfcompare --help" compare/bin/pfcompare --help
else
	ok 1 "pfcompare --help: compare/bin/pfcompare is not built (make -C compare)"
fi
exit $fail
