# corpus-progs.sh - real programs this project did not write, with their
# inputs, for the host corpus tests (corpus.sh: the witness;
# pftrace-corpus.sh: pftrace).  Sourced by bash with $tmp set to a
# scratch directory; sets progs=(name|command ...), each command split on
# blanks by the tools' -c (pipelines are scripts).
head -c 3000000 /dev/urandom | base64 > "$tmp/text"	# ~4 MB of text
head -c 600000 /dev/urandom | base64 > "$tmp/small"
printf '#!/bin/sh\nxz -T2 -6 -c "$1" > /dev/null\n' > "$tmp/xz.sh"
chmod +x "$tmp/xz.sh"
mkdir -p "$tmp/src" "$tmp/tree/a/b"
for i in 1 2 3 4 5 6 7; do
	{
		echo "#include <stdio.h>"
		echo "#include <stdlib.h>"
		echo "int f$i(int n) { int s = 0; for (int k = 0; k < n; k++) s += k * $i; return s; }"
	} > "$tmp/src/f$i.c"
done
echo 'int main(void) { return 0; }' >> "$tmp/src/f1.c"
printf 'OBJ := $(patsubst %%.c,%%.o,$(wildcard *.c))\nprog: $(OBJ)\n\t$(CC) -o $@ $^\n%%.o: %%.c\n\t$(CC) -O1 -c $< -o $@\n' > "$tmp/src/Makefile"
cp "$tmp/small" "$tmp/tree/a/one"
cp "$tmp/small" "$tmp/tree/a/b/two"
printf 'import threading\nimport hashlib\ndef work(i):\n    b = bytearray(4 << 20)\n    for k in range(0, len(b), 4096):\n        b[k] = i\n    hashlib.sha256(bytes(b)).hexdigest()\nts = [threading.Thread(target=work, args=(i,)) for i in range(8)]\n[t.start() for t in ts]\n[t.join() for t in ts]\n' > "$tmp/threads.py"
git init -q "$tmp/repo" && cp "$tmp/src"/*.c "$tmp/repo/" &&
	git -C "$tmp/repo" add . && git -C "$tmp/repo" -c user.name=t -c user.email=t@t commit -qm one

# Debian's python3 where it is installed, else the one on PATH
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
# name|command (split on blanks by pfwitness -c; scripts for pipelines)
printf '#!/bin/sh\ncd "$1" && exec make -s -j2 -B CC=gcc\n' > "$tmp/make.sh"
printf '#!/bin/sh\ntar -C "$1" -cf - . | gzip -6 > /dev/null\n' > "$tmp/tar.sh"
chmod +x "$tmp/make.sh" "$tmp/tar.sh"
progs=(
	"xz-T2-script|$tmp/xz.sh $tmp/text"
	"make-j2|$tmp/make.sh $tmp/src"
	"sort-parallel2|sort --parallel=2 -S 40M -o /dev/null $tmp/text"
	"python3-8-threads|$PY $tmp/threads.py"
	"zstd-T2|zstd -q -T2 -3 -f -o /dev/null $tmp/text"
	"git-log-p|git -C $tmp/repo log -p --stat"
	"tar-gzip-script|$tmp/tar.sh $tmp/tree"
)

