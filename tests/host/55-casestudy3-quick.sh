#!/bin/bash
# 55-casestudy3-quick: case study 3, VM mechanisms (experiments/casestudy/casestudy3.sh
# --quick, docs/case-studies.md), in its own VM boot, under a minute of VM
# time.  TAP from casestudy3.py --check: every phase's faults agree exactly
# between getrusage, mp3.ko and pfwitness (fexit; perf + get_user_pages), and
# every prediction holds within its stated tolerance: copy-on-write faults
# only in the writer, none after MADV_DONTFORK or in a MAP_SHARED parent;
# MAP_POPULATE, MADV_POPULATE_WRITE and mlock faults invisible to the
# tracepoint and perf but all in fexit's GUP column; one major fault per
# readahead window (one per page with MADV_RANDOM) and none from a warm page
# cache; 512 times fewer faults with huge pages.
cd "$(dirname "$0")/../.." || exit 1
experiments/casestudy/casestudy3.sh --quick --check 2>&1 | grep -E '^(not )?ok |^1\.\.|^#'
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || echo "# experiments/casestudy/casestudy3.sh --quick --check: exit status $rc"
exit "$rc"
