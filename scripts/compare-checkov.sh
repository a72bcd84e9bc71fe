#!/usr/bin/env bash
# kubectl-tlscheck against Checkov on the same generated corpus (the "peers" figure of
# docs/performance.md). Not part of CI: it installs Checkov from PyPI into target/tools/ and a
# 10,000-object run of Checkov takes minutes.
#
#   scripts/compare-checkov.sh [OBJECTS...]      (default: 1000 10000)
#
# Each tool runs once per corpus, on the same files: Checkov with its Kubernetes framework and no
# download of external checks, findings only; kubectl-tlscheck with every rule and the JSON report.
# Output goes to /dev/null; wall time and peak RSS come from GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."

CHECKOV_VERSION=3.3.30
venv=target/tools/checkov-$CHECKOV_VERSION
if ! "$venv/bin/checkov" --version >/dev/null 2>&1; then
  echo "installing checkov $CHECKOV_VERSION into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "checkov==$CHECKOV_VERSION"
fi
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }
cargo build --release --quiet
bin=target/release/kubectl-tlscheck

# Runs a command with its output discarded (both tools exit non-zero when they find something);
# prints "<seconds> <peak MB>": wall time in nanoseconds from date(1) (GNU time's %e has 10 ms
# steps), peak RSS from GNU time.
measure() {
  local stats start end
  stats=$(mktemp)
  start=$(date +%s%N)
  /usr/bin/time -o "$stats" -f '%M' "$@" >/dev/null 2>&1 || true
  end=$(date +%s%N)
  tail -1 "$stats" | awk -v ns=$((end - start)) '{ printf "%.3f %.1f\n", ns / 1e9, $1 / 1024 }'
  rm -f "$stats"
}

[ $# -gt 0 ] || set -- 1000 10000
printf '%8s %12s %12s %14s %14s %10s\n' objects "checkov(s)" "ours(s)" "checkov(MB)" "ours(MB)" speed-up
for n in "$@"; do
  corpus=target/bench-corpus/objects-$n
  [ -d "$corpus" ] || python3 ../shared/bench/gen_corpus.py --objects "$n" --out "$corpus" >/dev/null
  read -r c_s c_mb < <(measure "$venv/bin/checkov" -d "$corpus" --framework kubernetes \
    --skip-download --quiet --compact -o json)
  read -r o_s o_mb < <(measure "$bin" lint --no-config -o json "$corpus")
  awk -v n="$n" -v cs="$c_s" -v os="$o_s" -v cm="$c_mb" -v om="$o_mb" 'BEGIN {
    printf "%8d %12.2f %12.3f %14.1f %14.1f %9.0fx\n", n, cs, os, cm, om, cs / (os > 0 ? os : 0.01) }'
done
