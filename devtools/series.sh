#!/usr/bin/env bash
# Emit the assembled series as mailable patches with a cover letter.
#   series.sh WORK_DIR OUT_DIR
set -euo pipefail

work=$1
out=$(mkdir -p "$2" && cd "$2" && pwd)
repo=$(cd "$(dirname "$0")/.." && pwd)
rm -f "$out"/*.patch
git -C "$work" format-patch -q --cover-letter --base=base --thread \
	--subject-prefix="PATCH" -o "$out" base..HEAD
cover=$(ls "$out"/0000-cover-letter.patch)
# Fill the cover letter's subject and blurb from patches/cover-letter.
subject=$(head -n1 "$repo/patches/cover-letter")
tail -n +3 "$repo/patches/cover-letter" >"$out/.blurb"
python3 - "$cover" "$subject" "$out/.blurb" <<'PY'
import sys
path, subject, blurb = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
s = open(path).read()
s = s.replace('*** SUBJECT HERE ***', subject).replace('*** BLURB HERE ***', blurb.rstrip('\n'))
open(path, 'w').write(s)
PY
rm -f "$out/.blurb"
ls "$out"
