# tap.sh - shell helpers for pfprof's TAP test scripts (tests/host/*.sh);
# the C side is tap.h.  Source it: . "$(dirname "$0")/../lib/tap.sh"

# build_or_bail WHY MAKE-ARGS...: run `make -s MAKE-ARGS...` and, if it
# fails, print its last lines as diagnostics and "not ok - WHY" and exit
# 1.  A test builds its own binaries first, so that a stale binary cannot
# stand in for the sources; a build that fails is one failed test, with
# the compiler's complaint beside it.
build_or_bail() {
	_why=$1
	shift
	if ! _out=$(make -s "$@" 2>&1); then
		echo "$_out" | tail -5 | sed 's/^/# /'
		echo "not ok - $_why"
		exit 1
	fi
}
