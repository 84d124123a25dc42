#!/usr/bin/env bash
# Runs every `func FuzzXxx` in the module for the given time each (default 10s). Fuzz targets are found by name,
# so adding one needs no change here.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-10s}
# -fuzzminimizetime 0: new interesting inputs are not minimised; minimising one (60 s by default, and even 5 s)
# can take the rest of a 10 s run, which then fails with "context deadline exceeded". Crashers are still saved.
status=0
while IFS=: read -r file _ line; do
	name=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*)\(.*/\1/' <<<"$line")
	pkg=./$(dirname "$file")
	echo "fuzz $pkg $name ($fuzztime)"
	if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime 0 "$pkg" >/tmp/hotline-fuzz.log 2>&1; then
		cat /tmp/hotline-fuzz.log; status=1
	fi
done < <(grep -rnE '^func Fuzz[A-Za-z0-9_]*\(' --include='*_test.go' . | grep -v '/vendor/' || true)
exit $status
