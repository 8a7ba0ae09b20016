#!/bin/sh
# 50-casestudy-quick: the scaled-down MP3 case studies (scripts/casestudy.sh
# --quick) in their own VM boot.  TAP from casestudy.py --check: module
# totals equal getrusage in every run, case study 1's random pair and case
# study 2's largest N thrash (major faults), locality faults less, N=1 fits.
cd "$(dirname "$0")/../.." || exit 1
scripts/casestudy.sh --quick --check 2>&1 | grep -E '^(not )?ok |^1\.\.|^#|^\|'
