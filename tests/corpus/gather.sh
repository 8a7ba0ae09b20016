#!/bin/bash
# Gather the corpus (docs/kernels.md, "Real programs in the VM"): Debian's
# own binaries of the programs in programs.txt, as installed on this host
# (bookworm), with every shared library and data file they use, copied
# unmodified to OUT/root at their usual paths (/usr/bin/xz,
# /lib64/ld-linux-x86-64.so.2, /usr/lib/x86_64-linux-gnu/..., symlinks
# kept as symlinks), plus this directory's inputs under OUT/root/corpus.
#
#   tests/corpus/gather.sh OUT     (the Makefile: OUT = build/corpus)
#
# What to copy is found by running each program once on the host under
# strace -f (every file it opened, executed or stat'ed successfully under
# /usr, /bin, /lib*, /etc/ld.so.cache, /etc/alternatives) plus ldd of each
# binary.  Then each program runs once more in a private mount namespace
# chrooted into OUT/root, as the guest runs it, and must exit 0: a file the
# first pass missed fails the gathering here, not in the VM.
# Skips everything when OUT/.stamp is newer than this directory's files.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)
root=$out/root
py=/usr/bin/python3	# Debian's, not whatever python3 is on PATH

if [ -f "$out/.stamp" ] && [ -z "$(find "$here" -newer "$out/.stamp" -print -quit)" ]; then
	exit 0
fi
for t in strace ldd unshare chroot "$py"; do
	command -v "$t" >/dev/null || { echo "gather.sh: needs $t" >&2; exit 1; }
done
rm -rf "$out"
mkdir -p "$root/corpus/data" "$root/proc" "$root/dev" "$root/tmp"
cp "$here/programs.txt" "$here/setup.sh" "$out/"
cp -r "$here/tree" "$here/xz-script.sh" "$here/threads.py" "$root/corpus/"

# Inputs, the same on every run: 1 MiB of text from a fixed word list and
# seed (xz, zstd, gzip), 160000 lines of numbers and words (sort: its
# threads start at 128Ki lines).
"$py" - "$root/corpus/data" <<'PY'
import random, sys
d = sys.argv[1]
r = random.Random(22)
words = ("page fault minor major sampler ring module kernel thread process "
         "witness tracepoint perf event switch jiffies tick runtime").split()
with open(d + "/text.txt", "w") as f:
    n = 0
    while n < 1 << 20:
        line = " ".join(r.choice(words) for _ in range(r.randint(4, 14))) + "\n"
        f.write(line)
        n += len(line)
with open(d + "/lines.txt", "w") as f:
    for i in range(160000):
        f.write("%d %s\n" % (r.randrange(10 ** 9), r.choice(words)))
PY
# A git repository for git log: the tree's files, committed in six steps
# with fixed names and dates.
repo=$root/corpus/repo
git init -q "$repo"
i=0
for f in demo.h list.c hash.c text.c main.c Makefile; do
	i=$((i + 1))
	cp "$here/tree/$f" "$repo/"
	git -C "$repo" add "$f"
	GIT_AUTHOR_DATE="2026-01-0$i 12:00:00 +0000" GIT_COMMITTER_DATE="2026-01-0$i 12:00:00 +0000" \
		git -C "$repo" -c user.name=corpus -c user.email=corpus@pfprof \
		-c commit.gpgsign=false commit -q -m "add $f"
done

# Each program under strace, on the host, with the guest's paths mapped
# to scratch directories.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
paths=$tmp/paths
: > "$paths"
hostcmd() {	# the command with /corpus and /tmp/corpus mapped
	echo "$1" | sed "s#/tmp/corpus#$tmp/data#g; s#/corpus\([/ ]\|\$\)#$root/corpus\1#g"
}
runenv=(env -i PATH=/usr/bin:/bin LC_ALL=C HOME=/tmp/corpus)
while IFS='|' read -r name scope cmd; do
	case "$name" in '#'* | '') continue ;; esac
	sh "$here/setup.sh" prep "$tmp/data" "$root/corpus"
	hc=$(hostcmd "$cmd")
	rm -rf "$tmp/st" && mkdir "$tmp/st"
	# shellcheck disable=SC2086
	if ! (cd / && "${runenv[@]}" HOME="$tmp/data" CORPUS_DATA="$tmp/data" strace -f -ff -qq -o "$tmp/st/t" \
		-e trace=execve,open,openat,stat,lstat,newfstatat,statx,access,faccessat,faccessat2,readlink,readlinkat \
		$hc > "$tmp/stdout" 2> "$tmp/stderr"); then
		echo "gather.sh: $name failed on the host: $hc" >&2
		cat "$tmp/stderr" >&2
		exit 1
	fi
	procs=$(grep -l 'execve(' "$tmp/st"/t.* | wc -l)
	tids=$(ls "$tmp/st" | wc -l)
	echo "corpus: $name ($scope): $procs process(es) exec'd, $tids task(s)"
	cat "$tmp/st"/t.* | grep -v '= -1 ' | grep -oE '"/[^"]*"' | tr -d '"' >> "$paths"
	for b in $(grep -h -oE '^execve\("[^"]*"' "$tmp/st"/t.* | sed 's/^execve("//; s/"$//'); do
		echo "$b" >> "$paths"
		ldd "$b" 2>/dev/null | grep -oE '/[^ ]+' >> "$paths" || true
	done
done < "$here/programs.txt"

# Copy what is under the system's directories, symlinks as symlinks.
grep -E '^(/usr/|/bin/|/sbin/|/lib/|/lib64/|/etc/ld\.so\.cache$|/etc/alternatives/)' "$paths" |
	grep -vE '^/usr/local/|^/usr/lib/locale/' | sort -u > "$tmp/copy"
"$py" - "$root" "$tmp/copy" <<'PY'
import os, shutil, sys
root = sys.argv[1]
def add(p, depth=0):
    if depth > 20:
        return
    parts = [x for x in p.split("/") if x]
    cur = ""
    for i, part in enumerate(parts):
        cur += "/" + part
        dst = root + cur
        if os.path.islink(cur):
            if not os.path.lexists(dst):
                os.symlink(os.readlink(cur), dst)
            tgt = os.path.normpath(os.path.join(os.path.dirname(cur), os.readlink(cur)))
            rest = "/".join(parts[i + 1:])
            add(tgt + ("/" + rest if rest else ""), depth + 1)
            return
        if os.path.isdir(cur):
            os.makedirs(dst, exist_ok=True)
            continue
        if os.path.isfile(cur) and not os.path.lexists(dst):
            shutil.copy2(cur, dst)
        return
for line in open(sys.argv[2]):
    add(line.strip())
PY
# /bin/sh for make's recipes and system(): Debian's dash, as on the host.
[ -e "$root/usr/bin/sh" ] || ln -s dash "$root/usr/bin/sh"

# Each program once more, chrooted into the root as in the guest.
# shellcheck disable=SC2016
unshare -m --propagation private sh -c '
	set -e
	mount --bind /proc "$1/proc"; mount --bind /dev "$1/dev"; mount -t tmpfs tmpfs "$1/tmp"
	sh "$2/setup.sh" prep "$1/tmp/corpus" "$1/corpus"
	while IFS="|" read -r name scope cmd; do
		case "$name" in "#"* | "") continue ;; esac
		# shellcheck disable=SC2086
		if ! env -i PATH=/usr/bin:/bin LC_ALL=C HOME=/tmp/corpus "$3" "$1" $cmd > /dev/null 2> "$1/tmp/err"; then
			echo "gather.sh: $name fails in the chroot: $cmd" >&2; cat "$1/tmp/err" >&2; exit 1
		fi
	done < "$2/programs.txt"
' sh "$root" "$here" "$(command -v chroot)"
echo "corpus: $(find "$root" -type f | wc -l) files, $(du -sh "$root" | cut -f1) in $root"
touch "$out/.stamp"
