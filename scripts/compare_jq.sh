#!/usr/bin/env bash
# Whole-process comparison of `auditui query --format count` with jq doing the same selection on the
# same file. Checks both give the same count, then times them (with hyperfine when installed).
#
# jq stops at the first malformed line, so both run on a copy of the set without its malformed lines
# (written by auditui itself: valid lines pass through unchanged). With MALFORMED=1 jq reads the original
# file line by line instead (`-R` + `fromjson?`, which skips bad lines and is far slower).
#
#   scripts/compare_jq.sh [FILE]        default bench-data/1m.jsonl (generated when missing)
set -euo pipefail
cd "$(dirname "$0")/.."

FILE=${1:-bench-data/1m.jsonl}
if [[ ! -f $FILE ]]; then
    mkdir -p "$(dirname "$FILE")"
    cargo run --release --example gen_entries -- 1000000 "$FILE"
fi
cargo build --release --bin auditui
BIN=target/release/auditui
if [[ ${MALFORMED:-0} == 1 ]]; then
    JQ_INPUT="-R"
    JQ_PARSE="fromjson? | select(type == \"object\") | "
else
    CLEAN=${FILE%.jsonl}-clean.jsonl
    [[ -f $CLEAN ]] || "$BIN" query "$FILE" >"$CLEAN" 2>/dev/null
    FILE=$CLEAN
    JQ_INPUT=""
    JQ_PARSE=""
fi

# name | auditui filter | jq condition on one parsed entry
CASES=(
    "user+type|user:olivia.nguyen type:auth:*|((.user // \"\") | ascii_downcase | contains(\"olivia.nguyen\")) and ((.type // \"\") | ascii_downcase | startswith(\"auth:\"))"
    "frequent user+type|user:alice type:auth:*|((.user // \"\") | ascii_downcase | contains(\"alice\")) and ((.type // \"\") | ascii_downcase | startswith(\"auth:\"))"
    "six-hour window|since:2026-11-22T06:00 until:2026-11-22T12:00|(.timestamp[0:19] + \"Z\" | fromdateiso8601) as \$t | \$t >= 1795327200 and \$t < 1795348800"
)

for case in "${CASES[@]}"; do
    IFS='|' read -r name filter condition <<<"$case"
    jq_program="reduce (inputs | ${JQ_PARSE}select($condition)) as \$e (0; . + 1)"
    ours=$("$BIN" query "$FILE" --filter "$filter" --format count 2>/dev/null)
    theirs=$(jq -n $JQ_INPUT "$jq_program" "$FILE")
    echo "== $name: auditui $ours, jq $theirs"
    if [[ $ours != "$theirs" ]]; then
        echo "counts differ" >&2
        exit 1
    fi
    if command -v hyperfine >/dev/null; then
        hyperfine --warmup 1 --runs "${RUNS:-5}" \
            -n auditui "$BIN query $FILE --filter '$filter' --format count 2>/dev/null" \
            -n jq "jq -n $JQ_INPUT '$jq_program' $FILE"
    else
        time "$BIN" query "$FILE" --filter "$filter" --format count 2>/dev/null
        time jq -n $JQ_INPUT "$jq_program" "$FILE"
    fi
done
