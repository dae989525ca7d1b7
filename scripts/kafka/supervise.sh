#!/usr/bin/env bash
# Runs one Kafka broker so that it cannot outlive the Node process that started it, however that process
# ends (even SIGKILL, which leaves it no chance to clean up): when our stdin, a pipe from that process,
# reaches end of file, the broker is SIGKILLed.
#
#   supervise.sh OUTPUT_FILE COMMAND [ARG...]
#
# Prints the broker's pid on the first line of stdout (signals go to the broker itself, not to this
# script), appends the broker's stdout and stderr to OUTPUT_FILE, and exits with the broker's status.
set -u
output=$1
shift
# A background job's stdin is /dev/null unless redirected explicitly: keep ours on fd 3 for the watcher.
exec 3<&0
"$@" </dev/null >>"$output" 2>&1 &
broker=$!
echo "$broker"
(
  while read -r _ <&3; do :; done
  kill -KILL "$broker" 2>/dev/null
) &
watcher=$!
exec 3<&-
wait "$broker"
status=$?
kill "$watcher" 2>/dev/null
exit "$status"
