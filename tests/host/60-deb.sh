#!/bin/bash
# 60-deb: the Debian packages (docs/packaging.md).  `make deb` builds
# build/deb/pfprof_VERSION_amd64.deb and pfprof-dkms_VERSION_all.deb; this
# checks what each holds (every tool in /usr/bin, every man page, the
# module's source with a dkms.conf of VERSION), their control fields,
# that lintian passes them and the .changes with no warning, that every
# packaged page renders with `man --warnings -l` and no warning, that the
# packaged tools (dynamically linked) start, and that dkms builds mp3.ko
# from the packaged source, in a private dkms tree (the system's DKMS
# state untouched), for the kernel the VM boots.  Installing them on a
# real Debian system is the install test's job.
#
# USAGE: tests/host/60-deb.sh            (from make test, or by hand)
#        PFPROF_DEB_SKIP_BUILD=1 ...     check build/deb as it is
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ver=$(cat VERSION)
out=build/deb
tools="work monitor pfwitness pftrace pfcompare pfscenario"
pages="man1/work.1 man1/monitor.1 man1/pfwitness.1 man1/pftrace.1 man1/pfcompare.1 man1/pfscenario.1 man4/mp3.4"
deb=$out/pfprof_${ver}_amd64.deb
dkmsdeb=$out/pfprof-dkms_${ver}_all.deb
src=usr/src/pfprof-mp3-$ver
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=1; fi; }
tmp=$(mktemp -d /tmp/pfprof-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo "1..12"

# 1: the build
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
t0=$EPOCHREALTIME
if [ -n "${PFPROF_DEB_SKIP_BUILD:-}" ]; then
	ok 0 "make deb # SKIP PFPROF_DEB_SKIP_BUILD: checking build/deb as it is"
else
	make deb > "$tmp/build.log" 2>&1; rc=$?
	[ $rc = 0 ] || tail -n 20 "$tmp/build.log" | sed 's/^/# /'
	ok $rc "make deb (exit $rc, $(since "$t0") s)"
fi

# 2: the two packages, named as apt install ./*.deb will see them
r=0
for f in "$deb" "$dkmsdeb"; do [ -s "$f" ] || { echo "# missing: $f"; r=1; }; done
ls "$out"/*.changes > /dev/null 2>&1 || { echo "# no .changes in $out"; r=1; }
ok $r "build/deb holds pfprof_${ver}_amd64.deb, pfprof-dkms_${ver}_all.deb and the .changes"

# contents: paths without the leading ./
dpkg-deb -c "$deb" > "$tmp/pfprof.c" 2>&1
list() { awk '{print $6}' "$1" | sed 's|^\./||'; }
list "$tmp/pfprof.c" > "$tmp/pfprof.list"
dpkg-deb -c "$dkmsdeb" > "$tmp/dkms.c" 2>&1
list "$tmp/dkms.c" > "$tmp/dkms.list"

# 3: the tools, executable, in /usr/bin
r=0
for t in $tools; do
	grep -qE "^-rwxr-xr-x .* \./usr/bin/$t\$" "$tmp/pfprof.c" || { echo "# no executable usr/bin/$t"; r=1; }
done
ok $r "pfprof: $tools in /usr/bin, mode 0755"

# 4: the man pages
r=0
for p in $pages; do grep -qx "usr/share/man/$p.gz" "$tmp/pfprof.list" || { echo "# no usr/share/man/$p.gz"; r=1; }; done
ok $r "pfprof: man pages $(echo $pages | sed 's|man[0-9]/||g')"

# 5: the module's source and dkms.conf of this version
r=0
for f in dkms.conf kmod/mp3.c kmod/Makefile kmod/Kbuild include/pfprof/mp3_abi.h; do
	grep -qx "$src/$f" "$tmp/dkms.list" || { echo "# no $src/$f"; r=1; }
done
dpkg-deb -x "$dkmsdeb" "$tmp/dkms"
pv=$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$tmp/dkms/$src/dkms.conf" 2>/dev/null)
pn=$(sed -n 's/^PACKAGE_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$tmp/dkms/$src/dkms.conf" 2>/dev/null)
[ "$pv" = "$ver" ] && [ "$pn" = pfprof-mp3 ] || { echo "# dkms.conf: PACKAGE_NAME '$pn' PACKAGE_VERSION '$pv', want pfprof-mp3 $ver"; r=1; }
ok $r "pfprof-dkms: $src with kmod/, include/ and dkms.conf (PACKAGE_NAME=pfprof-mp3 PACKAGE_VERSION=$pv)"

# 6, 7: control fields
field() { dpkg-deb -f "$1" "$2" 2>/dev/null; }
r=0
[ "$(field "$deb" Package)" = pfprof ] || { echo "# Package: $(field "$deb" Package)"; r=1; }
[ "$(field "$deb" Version)" = "$ver" ] || { echo "# Version: $(field "$deb" Version)"; r=1; }
[ "$(field "$deb" Architecture)" = amd64 ] || { echo "# Architecture: $(field "$deb" Architecture)"; r=1; }
# ${shlibs:Depends} computed: the shared libraries the tools link
dep=$(field "$deb" Depends)
for lib in libc6 libbpf1 libelf1 libdw1; do
	[[ " $dep" =~ [\ ,]$lib[\ ,] || " $dep" =~ [\ ,]$lib$ ]] || { echo "# Depends lacks $lib: $dep"; r=1; }
done
[[ "$(field "$deb" Recommends)" =~ (^|[ ,])pfprof-dkms($|[ ,]) ]] || { echo "# Recommends: $(field "$deb" Recommends)"; r=1; }
ok $r "pfprof: Package, Version $ver, Architecture amd64, Depends $(field "$deb" Depends), Recommends pfprof-dkms"
r=0
[ "$(field "$dkmsdeb" Package)" = pfprof-dkms ] || { echo "# Package: $(field "$dkmsdeb" Package)"; r=1; }
[ "$(field "$dkmsdeb" Version)" = "$ver" ] || { echo "# Version: $(field "$dkmsdeb" Version)"; r=1; }
[ "$(field "$dkmsdeb" Architecture)" = all ] || { echo "# Architecture: $(field "$dkmsdeb" Architecture)"; r=1; }
[[ "$(field "$dkmsdeb" Depends)" =~ (^|[ ,])dkms($|[ ,]) ]] || { echo "# Depends: $(field "$dkmsdeb" Depends)"; r=1; }
# dh_dkms's maintainer scripts register the module with DKMS on install
dpkg-deb -e "$dkmsdeb" "$tmp/dkms-ctl"
grep -q 'common.postinst pfprof-mp3\|DKMS_NAME=pfprof-mp3' "$tmp/dkms-ctl/postinst" 2>/dev/null &&
	grep -q "DKMS_VERSION=$ver" "$tmp/dkms-ctl/postinst" || { echo "# postinst does not register pfprof-mp3 $ver"; r=1; }
ok $r "pfprof-dkms: Package, Version $ver, Architecture all, Depends $(field "$dkmsdeb" Depends), postinst registers pfprof-mp3 $ver"

# 8: lintian, warnings included, on the .changes and both .debs
lintian --fail-on error,warning "$out"/pfprof_"${ver}"_*.changes > "$tmp/lintian" 2>&1; rc=$?
grep -v 'root privileges' "$tmp/lintian" | sed 's/^/# /'
ok $rc "lintian --fail-on error,warning on the .changes and both .debs (exit $rc)"

# 9: every page renders, with no warning from groff or man
dpkg-deb -x "$deb" "$tmp/pfprof"
r=0
for p in $pages; do
	f=$tmp/pfprof/usr/share/man/$p.gz
	name=${p#*/}; name=${name%.*}
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$f" > "$tmp/page" 2> "$tmp/warn"
	if [ $? != 0 ] || [ -s "$tmp/warn" ] || ! grep -q "^NAME" "$tmp/page" ||
	   ! sed -n '/^NAME/{n;p}' "$tmp/page" | grep -q "^ *$name - "; then
		echo "# $p: $(head -n 3 "$tmp/warn")"; r=1
	fi
done
ok $r "man --warnings -l renders each page with a NAME line and no warning"

# 10: lexgrog finds each page's whatis entry (what mandb indexes)
r=0
for p in $pages; do lexgrog "$tmp/pfprof/usr/share/man/$p.gz" > /dev/null 2>&1 || { echo "# lexgrog: $p"; r=1; }; done
ok $r "lexgrog parses each page's NAME section"

# 11: the packaged tools are dynamically linked and start (--help)
r=0
for t in $tools; do
	b=$tmp/pfprof/usr/bin/$t
	# a program interpreter and NEEDED libraries: not the tree's static build
	hdrs=$(readelf -lW "$b" 2>&1) dyn=$(readelf -dW "$b" 2>&1)
	[[ $hdrs == *"Requesting program interpreter"* && $dyn =~ \(NEEDED\).*libc\.so ]] ||
		{ echo "# $t is not dynamically linked"; r=1; }
	"$b" --help > /dev/null 2>&1 || { echo "# $t --help: exit $?"; r=1; }
done
ok $r "packaged $tools: dynamically linked, --help exits 0"

# 12: dkms builds mp3.ko from the packaged source, in a private tree, for
# the kernel the VM boots (headers installed by deps.sh)
kv=$(sh tools/vm/kernel.sh 2>/dev/null) || kv=
kver=$(echo "$kv" | sed -n 's/^KVER=//p')
kbuild=$(echo "$kv" | sed -n 's/^KBUILD=//p')
if [ -z "$kver" ] || [ ! -d "$kbuild" ]; then
	ok 1 "dkms build from the package's source: no kernel headers (tools/vm/kernel.sh: $kv)"
else
	t0=$EPOCHREALTIME
	tree=$tmp/dkms-tree
	mkdir -p "$tree"
	r=0
	dkms add -m pfprof-mp3 -v "$ver" --sourcetree "$tmp/dkms/usr/src" --dkmstree "$tree" > "$tmp/dkms.log" 2>&1 &&
		dkms build -m pfprof-mp3 -v "$ver" -k "$kver" --kernelsourcedir "$kbuild" \
			--sourcetree "$tmp/dkms/usr/src" --dkmstree "$tree" >> "$tmp/dkms.log" 2>&1 || r=1
	ko=$(find "$tree/pfprof-mp3/$ver/$kver" -name 'mp3.ko*' 2>/dev/null | head -n 1)
	vm=$( [ -n "$ko" ] && modinfo -F vermagic "$ko" 2>/dev/null)
	case "$vm" in "$kver "*) ;; *) r=1 ;; esac
	[ $r = 0 ] || { tail -n 15 "$tmp/dkms.log" "$tree/pfprof-mp3/$ver/build/make.log" 2>/dev/null | sed 's/^/# /'; }
	ok $r "dkms builds mp3.ko from pfprof-dkms's source for $kver (vermagic '${vm%% *}', $(since "$t0") s)"
fi
exit $fail
