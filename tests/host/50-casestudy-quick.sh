#!/bin/bash
# 50-casestudy-quick: the scaled-down MP3 case studies (experiments/casestudy/casestudy.sh
# --quick, docs/case-studies.md) in their own VM boot, about a minute.  TAP
# from casestudy.py --check: in every run the module's totals equal the
# works' getrusage exactly and pfwitness's perf-event and fexit totals agree
# with them (documented slack); case study 1's random pair and case study
# 2's largest N thrash (major faults, seen by both); locality faults less;
# runs without eviction fault exactly the first-touch model.
cd "$(dirname "$0")/../.." || exit 1
experiments/casestudy/casestudy.sh --quick --check 2>&1 | grep -E '^(not )?ok |^1\.\.|^#|^\|'
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || echo "# experiments/casestudy/casestudy.sh --quick --check: exit status $rc"
exit "$rc"
