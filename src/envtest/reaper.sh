#!/usr/bin/env bash
# Runs "$@" so that it dies with whoever started us: that process holds our stdin open, and
# when it goes away — even killed with SIGKILL, which no exit handler sees — stdin closes and
# the command is killed. SIGTERM and SIGINT are passed on for a graceful stop.
exec 3<&0 # background jobs get /dev/null as stdin unless told otherwise
"$@" </dev/null &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT
( cat <&3 >/dev/null; kill -KILL "$child" 2>/dev/null ) &
watcher=$!
code=0
while kill -0 "$child" 2>/dev/null; do
  wait "$child"
  code=$?
done
kill "$watcher" 2>/dev/null
exit "$code"
