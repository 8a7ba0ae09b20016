#!/bin/bash
# check-docs: run the command lines that README.md and docs/*.md show, so
# that an example which no longer works is found before a reader finds it.
#
# Every line of a fenced sh/shell/bash/console block is a command (console:
# only the lines after "$ "); in a fenced block with no language, a line
# is a command if it starts with one of ours (make, sudo, bpftool, a tool
# name, or a path under bpf/, compare/, userspace/, experiments/, tools/,
# tests/, kmod/), so that the example output beside them is left alone.
# Trailing "# ..." comments are dropped.
#
# Each command gets the first rule below that matches it: run it, or skip
# it with the reason (it boots the VM, needs mp3.ko, changes this host,
# runs for minutes, or holds a placeholder); a skipped command that names
# a program of the tree by its path still needs that file.  A command no
# rule matches fails, so that a new example is looked at once.  A command
# passes if it exits with the status the docs give it (0 unless the rule
# says).  Then a
# few commands the docs name outside their blocks: each tool's --help
# (docs: "the help, on stdout, exit 0"), `pfcompare check` on a test
# recording, `make help`; and each "USAGE:" block must be in what the
# tool's --help prints.
#
# The commands run as root if we are (a "sudo" in them is then dropped;
# not root: they are skipped), in a scratch directory that links to every
# top-level entry of the tree, so that the files they write (heat.png,
# faults.csv, docs/img/...) land there and not in the tree; bpf/,
# compare/bin and userspace/ are on PATH, as `make install` would put them.
#
# USAGE: tools/check-docs.sh [-v] [-n] [PATTERN]
#   -v       print each command's output, not only a failure's last lines
#   -n       run nothing: say what each command would get
#   PATTERN  run only the commands that contain it (the rest: SKIP)
# TAP; the last line is "N passed, N failed"; exit 1 if anything failed.
# Not part of `make test`: `make check-docs` runs it.
set -u
top=$(cd "$(dirname "$0")/.." && pwd) || exit 1
cd "$top" || exit 1
verbose=0 dry=0
while [ $# -gt 0 ]; do
	case $1 in
	-v) verbose=1; shift ;;
	-n) dry=1; shift ;;
	*) break ;;
	esac
done
only=${1:-}
TIMEOUT=${CHECK_DOCS_TIMEOUT:-180}

# Rules: ACTION|WHY|ERE, the ERE on the command (its comment and any
# "sudo" dropped; the ERE last, as it may hold "|").  ACTION:
#   run          run it; it must exit 0
#   status:L     run it; its exit status must be one of the list L (1,2)
#   int:S        a tool that runs until it is stopped: SIGINT after S
#                seconds, and it must then exit 0
#   needs:FILE   run it if FILE exists (a run's data), else SKIP
#   skip         not run, for the reason given
# First match wins.
RULES='
skip|boots the VM and runs every workload (many minutes)|^make (demo|test)$
skip|boots the VM on four kernels|^make test-matrix
skip|boots the VM on another kernel|^make test KERNEL=
skip|boots the arm64 VM under TCG|^make test-arm64
skip|downloads the arm64 kernel and cross-builds everything (minutes)|^make build-arm64
skip|loads mp3.ko on this host and runs the VM tests on it|^make NATIVE=1 test
skip|boots the VM|^make vm-run
skip|changes this host (DKMS, /usr/local/bin)|^make (install|uninstall)
skip|changes this host (installs or removes the packages)|^apt (install|purge) 
skip|downloads four Debian kernels|^make kernels
skip|boots the debug kernel under TCG (an hour)|^make test-debug
skip|builds a kernel (~22 min)|^make debug-kernel$
status:0,2|exit 0 if a debug kernel is there; else make says its recipe failed (2)|^make debug-kernel-available
skip|boots the VM (the full case study 3)|^make casestudy3
run||^make -C bpf$
skip|builds the Debian packages (tests/host/60-deb.sh runs it and checks them)|^make deb(-lint)?$
run||^make man$
run||^make help$
skip|loads or unloads mp3.ko on this host|^(modprobe|insmod|rmmod) 
skip|in the VM, beside mp3.ko|^mknod 
skip|in the VM, with mp3.ko loaded (registers itself)|^\./work 
skip|needs mp3.ko loaded (registers itself) and the tools installed|^work 
skip|in the VM, with mp3.ko loaded|^wait; \./monitor
skip|in the VM, with mp3.ko loaded|^\./monitor 
skip|needs mp3.ko loaded (/dev/mp3)|^monitor 
skip|needs mp3.ko loaded|^cat /proc/mp3/
skip|needs mp3.ko loaded|^echo "U 
skip|1234 is a placeholder PID, and it runs until stopped|^\./bpf/pfwitness -p 1234 
run||^(\./)?bpf/pfwitness 1 10$
run||^(\./)?bpf/pfwitness (-s all )?-c '\''\./userspace/work [0-9]+ [RL] [0-9]+'\''$
run||^(\./)?bpf/pftrace (where|lat --json|heat --log -o [^ ]+) -c '\''\./userspace/work [0-9]+ [RL] [0-9]+'\''( 0\.5)?( > [a-z.]+)?$
int:3||^(\./)?bpf/pftrace lat -P 5 1$
int:3||^(\./)?bpf/pftrace serve --listen 127\.0\.0\.1:9477$
run||^promtool (check rules|test rules|check config) tools/prometheus/[a-z_]+\.yml$
skip|needs the reader'\''s big.txt, and xz -6 on it runs long|^(\./)?bpf/pftrace code --folded -c '\''xz 
skip|a live screen for a terminal (q quits)|^(\./)?bpf/pftrace top
run||^(\./)?bpf/pftrace heat -o all\.png 1 10$
skip|./myscript.sh and CMD ARGS are placeholders|^(compare/bin/)?pfcompare (run|bench) .*-- (\./myscript\.sh|CMD ARGS)$
skip|builds the whole tree under the witness (minutes)|^(compare/bin/)?pfcompare run --json -- make -j2
skip|needs the reader'\''s big.txt; a benchmark (minutes)|^(compare/bin/)?pfcompare bench -- xz 
skip|the body of an example script, on its data|^xz -T2 -6 -c /tmp/pfc/data\.b64
skip|boots the VM (minutes)|^experiments/casestudy/casestudy3?\.sh 
needs:build/case-studies/guest.txt||^experiments/casestudy/casestudy\.py build/case-studies/guest\.txt 
needs:build/case-study3/guest.txt||^experiments/casestudy/casestudy3\.py build/case-study3/guest\.txt [^ ]+ --check --wrong$
needs:build/case-study3/guest.txt||^experiments/casestudy/casestudy3\.py build/case-study3/guest\.txt 
skip|boots the VM; a benchmark (minutes)|^experiments/bench/transport\.sh
skip|a benchmark (minutes)|^(BENCH_MODES=[^ ]+ )?experiments/bench/witness-bench\.sh
run||^bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux\.h$
'
# (casestudy3.py --wrong: the docs say it fails, the data against wrong
# predictions; it must exit non-zero.)

# file:line<TAB>command, for every command line of the docs
extract() {
	awk '
	FNR == 1 { inb = 0 }
	/^```/ {
		if (inb) { inb = 0 } else { inb = 1; lang = substr($0, 4) }
		next
	}
	!inb { next }
	{
		line = $0
		if (lang == "console") {
			if (line !~ /^\$ /) next
			sub(/^\$ /, "", line)
		} else if (lang != "sh" && lang != "shell" && lang != "bash") {
			if (lang != "") next
			w = line
			sub(/^([A-Z_]+=[^ ]* )+/, "", w)
			if (w !~ /^(make|sudo|bpftool|pfcompare|pfwitness|pftrace|work|monitor|insmod|modprobe|mknod)( |$)/ &&
			    w !~ /^(\.\/)?(bpf|compare|userspace|experiments|tools|tests|kmod)\//)
				next
		}
		sub(/[ \t]+#( .*)?$/, "", line)	# a trailing comment
		sub(/^[ \t]+/, "", line)
		if (line == "" || line ~ /^#/) next
		if (cont != "") { line = cont " " line; cont = "" }
		if (line ~ /\\$/) { cont = line; sub(/[ \t]*\\$/, "", cont); next }
		printf "%s:%d\t%s\n", FILENAME, FNR, line
	}' README.md docs/*.md
}

# The rule for $1: "action<TAB>why"
rule_for() {
	local c=$1 re act why
	c=$(printf '%s' "$c" | sed -E 's/(^|[;&|] *)sudo /\1/g')
	while IFS='|' read -r act why re; do
		[ -n "$re" ] || continue
		if printf '%s\n' "$c" | grep -qE -- "$re"; then
			printf '%s\t%s\n' "$act" "$why"
			return
		fi
	done <<< "$RULES"
	printf 'none\t\n'
}

scratch=$(mktemp -d /tmp/pfprof-check-docs.XXXXXX) || exit 1
trap 'rm -rf "$scratch"' EXIT
for e in "$top"/* "$top"/.git; do
	[ -e "$e" ] || continue
	case ${e##*/} in docs) continue ;; esac
	ln -s "$e" "$scratch/${e##*/}"
done
mkdir -p "$scratch/docs/img"
export PATH="$scratch/bpf:$scratch/compare/bin:$scratch/userspace:$PATH"
root=0
[ "$(id -u)" = 0 ] && root=1

n=0 passed=0 failed=0 skipped=0
out=$scratch/.out
say_ok() { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n $1"; }
say_skip() { n=$((n + 1)); passed=$((passed + 1)); skipped=$((skipped + 1)); echo "ok $n $1 # SKIP $2"; }
say_fail() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"
	[ -n "${2:-}" ] && echo "# $2"
	[ -s "$out" ] && tail -n 5 "$out" | sed 's/^/#   /'
	return 0
}
show() { [ $verbose = 1 ] && [ -s "$out" ] && sed 's/^/#   /' "$out"; return 0; }

# run_cmd CMD [SIG SECS]: run CMD in the scratch directory; its status
run_cmd() {
	local c=$1 pre=""
	[ $root = 1 ] && pre='sudo() { "$@"; }; '
	if [ $# -gt 1 ]; then
		(cd "$scratch" && timeout --preserve-status -s "$2" "$3" \
			bash -c "$pre$c" < /dev/null > "$out" 2>&1)
	else
		(cd "$scratch" && timeout "$TIMEOUT" bash -c "$pre$c" < /dev/null > "$out" 2>&1)
	fi
}

# check WHERE CMD ACTION WHY: one test
check() {
	local where=$1 c=$2 act=$3 why=$4 name rc want prog
	name="$where: $c"
	: > "$out"
	if [ $dry = 1 ] && [ "$act" != none ] && [ "$act" != skip ]; then
		say_skip "$name" "dry run: would $act"
		return
	fi
	if [ -n "$only" ] && [[ $c != *"$only"* ]]; then
		say_skip "$name" "not matching '$only'"
		return
	fi
	if [ $root = 0 ] && [[ $c == *sudo* ]] && [ "$act" != skip ]; then
		say_skip "$name" "needs root"
		return
	fi
	case $act in
	none)
		say_fail "$name" "no rule for it in tools/check-docs.sh: add one (run it, or skip it and say why)" ;;
	skip)
		# not run, but what it runs must be there
		prog=$(printf '%s\n' "$c" | sed -E 's/^(sudo )?([A-Z_]+=[^ ]* )*(sudo )?//; s/ .*//')
		if [[ $prog =~ ^(\./)?(bpf|compare|userspace|experiments|tools|tests|kmod)/ ]] &&
		   [ ! -e "$prog" ]; then
			say_fail "$name" "not run ($why), but there is no $prog"
		else
			say_skip "$name" "$why"
		fi ;;
	needs:*)
		if [ ! -e "${act#needs:}" ]; then
			say_skip "$name" "needs ${act#needs:} from an earlier run"
			return
		fi
		run_cmd "$c"; rc=$?
		show
		if [[ $c == *--wrong* ]]; then	# the docs: "fails"
			[ $rc != 0 ] && [ $rc != 124 ] && say_ok "$name (fails, as the docs say: $rc)" ||
				say_fail "$name" "exit status $rc, want a failure"
		else
			[ $rc = 0 ] && say_ok "$name" || say_fail "$name" "exit status $rc, want 0"
		fi ;;
	int:*)
		run_cmd "$c" INT "${act#int:}"; rc=$?
		show
		[ $rc = 0 ] && say_ok "$name (stopped with SIGINT after ${act#int:} s)" ||
			say_fail "$name" "exit status $rc after SIGINT, want 0" ;;
	run|status:*)
		want=0
		[ "$act" = run ] || want=${act#status:}
		run_cmd "$c"; rc=$?
		show
		if [ $rc = 124 ]; then
			say_fail "$name" "timed out after $TIMEOUT s"
		elif [[ ,$want, == *,$rc,* ]]; then
			say_ok "$name"
		else
			say_fail "$name" "exit status $rc, want $want"
		fi ;;
	*)
		say_fail "$name" "bad rule action '$act'" ;;
	esac
}

# The usage blocks: an unlabelled fenced block that starts "USAGE: TOOL"
# must be in what `TOOL --help` prints (spaces and line breaks aside: the
# help is wrapped at 80 columns).
usage_blocks() {
	awk '
	FNR == 1 { inb = 0 }
	/^```/ {
		if (inb) { if (use) print ""; inb = 0; use = 0 } else { inb = 1; first = FNR }
		next
	}
	inb && FNR == first + 1 && /^USAGE: / { use = 1; printf "%s:%d\t%s\t", FILENAME, FNR, $2 }
	inb && use { printf " %s", $0 }
	' README.md docs/*.md
}
tool_path() {
	case $1 in
	pfwitness|pftrace) echo bpf/$1 ;;
	pfcompare|pfscenario) echo compare/bin/$1 ;;
	*) echo userspace/$1 ;;
	esac
}
norm() { tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//'; }

cmds=$(extract)
usages=$(usage_blocks)
HELP_TOOLS="bpf/pfwitness bpf/pftrace compare/bin/pfcompare userspace/work userspace/monitor"
echo "TAP version 13"
echo "1..$(( $(printf '%s\n' "$cmds" | grep -c .) + $(echo $HELP_TOOLS | wc -w) + 2 + $(printf '%s\n' "$usages" | grep -c .) ))"

while IFS=$'\t' read -r where c; do
	[ -n "$where" ] || continue
	IFS=$'\t' read -r act why <<< "$(rule_for "$c")"
	check "$where" "$c" "$act" "$why"
done <<< "$cmds"

# named in the docs outside a block
for t in $HELP_TOOLS; do
	check "(docs: --help, exit 0)" "$t --help" run ""
done
check "docs/compare.md:19" "compare/bin/pfcompare check tests/compare/testdata/threads.rec" run ""
check "Makefile: \`make help\` lists targets" "make help" run ""

while IFS=$'\t' read -r where tool rest; do
	[ -n "$where" ] || continue
	name="$where: the USAGE block is in '$tool --help'"
	: > "$out"
	p=$(tool_path "$tool")
	if ! "$p" --help > "$out" 2>&1; then
		say_fail "$name" "$p --help: exit status $?"
		continue
	fi
	want=$(printf '%s' "$rest" | norm)
	got=$(tr '\n' ' ' < "$out" | norm)
	: > "$out"
	if [[ $got == *"$want"* ]]; then
		say_ok "$name"
	else
		say_fail "$name" "the docs show: $want"
		echo "# $tool --help prints: $got" | cut -c 1-600
	fi
done <<< "$usages"

echo "# $skipped of the passed were skipped (reason with each)"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
