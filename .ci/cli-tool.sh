#!/usr/bin/env bash
# The `presence` tool as a user gets it: installed from the packed .nupkg files (a local feed, plus the repository's
# normal package source for third-party packages) into a temporary tool path, with the emulator tool beside it.
# It keeps a user's presence alive against the emulator (`presence set ... --keep-alive --base-url`), the user shows at
# the emulator and in `presence status`, and SIGINT (Ctrl+C) signs the session off with exit code 0.
#
# Usage: .ci/cli-tool.sh [packages-folder]   (default artifacts/packages; it must hold PresenceKeepAlive,
#        PresenceKeepAlive.Emulator, PresenceKeepAlive.Emulator.Tool and PresenceKeepAlive.Cli .nupkg files)
set -euo pipefail
# Job control, so that "kill -INT -- -PID" reaches a background job exactly as a terminal's Ctrl+C would.
set -m

repo=$(cd "$(dirname "$0")/.." && pwd)
feed=$(cd "${1:-$repo/artifacts/packages}" && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

started=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/presence-cli-tool.XXXXXX")
emulator_pid='' tool_pid=''
cleanup() {
  local pid
  for pid in "$tool_pid" "$emulator_pid"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || true
      sleep 1
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "cli tool: FAILED: $*" >&2
  for log in "$work"/*.log; do
    [ -f "$log" ] && { echo "--- $(basename "$log")" >&2; tail -n 40 "$log" >&2; }
  done
  exit 1
}

step() { echo "-- [$((SECONDS - started)) s] $*"; }

interrupt_and_wait() { # $1: pid, $2: what it is, $3: seconds to wait; fails unless it exits 0
  local pid=$1 what=$2 rc=''
  kill -INT -- "-$pid"
  for _ in $(seq 1 $(($3 * 2))); do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" && rc=0 || rc=$?
      break
    fi
    sleep 0.5
  done
  [ -n "$rc" ] || fail "$what did not stop within $3 s of SIGINT"
  [ "$rc" -eq 0 ] || fail "$what exited with code $rc after SIGINT"
}

package=$(find "$feed" -maxdepth 1 -name 'PresenceKeepAlive.Cli.[0-9]*.nupkg' | sort | tail -n 1)
[ -n "$package" ] || fail "no PresenceKeepAlive.Cli.<version>.nupkg in $feed"
version=$(basename "$package" .nupkg); version=${version#PresenceKeepAlive.Cli.}
for id in PresenceKeepAlive PresenceKeepAlive.Emulator.Tool; do
  [ -f "$feed/$id.$version.nupkg" ] || fail "no $id.$version.nupkg in $feed"
done

export NUGET_PACKAGES="$work/nuget-packages"
normal_source=$(sed -n 's/.*<add key="[^"]*" value="\([^"]*\)".*/\1/p' "$repo/nuget.config" | head -n 1)
[ -n "$normal_source" ] || fail "no package source in $repo/nuget.config"
cat > "$work/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$feed" />
    <add key="normal" value="$normal_source" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="local">
      <package pattern="PresenceKeepAlive" />
      <package pattern="PresenceKeepAlive.*" />
    </packageSource>
    <packageSource key="normal">
      <package pattern="*" />
    </packageSource>
  </packageSourceMapping>
</configuration>
CONFIG

for id in PresenceKeepAlive.Cli PresenceKeepAlive.Emulator.Tool; do
  step "dotnet tool install $id $version --tool-path"
  timeout 300 dotnet tool install "$id" --version "$version" --tool-path "$work/tools" \
    --configfile "$work/nuget.config" > "$work/install-$id.log" 2>&1 || fail "dotnet tool install $id"
done
[ -x "$work/tools/presence" ] || fail "the tool did not install the presence command"

step "presence --help"
"$work/tools/presence" --help > "$work/help.log" 2>&1 || fail "presence --help"
for command in set clear status preferred message; do
  grep -qE "^ +$command( |$)" "$work/help.log" || fail "presence --help does not list '$command'"
done

step "presence-emulator --port 0 (loopback, a free port)"
"$work/tools/presence-emulator" --port 0 --host 127.0.0.1 > "$work/emulator.log" 2>&1 &
emulator_pid=$!
base=''
for _ in $(seq 1 120); do
  base=$(sed -n 's|^Graph presence emulator listening on \(http://127\.0\.0\.1:[0-9]*/\).*|\1|p' "$work/emulator.log" | head -n 1)
  [ -n "$base" ] && break
  kill -0 "$emulator_pid" 2>/dev/null || fail "the emulator exited at start"
  sleep 0.5
done
[ -n "$base" ] || fail "the emulator printed no loopback address within 60 s"
echo "   emulator at $base"

user=0a1b2c3d-0000-4000-8000-00000000ad01   # an object id: `presence status` reads by object id (getPresencesByUserId)
at_emulator() { # "availability/activity sessions" of $user at the emulator
  curl -sS --max-time 5 "${base}_emulator/state" | python3 -c '
import json, sys
users = {u["id"].lower(): u for u in json.load(sys.stdin)["users"]}
u = users.get(sys.argv[1].lower())
print("Offline/Offline 0" if u is None else u["availability"] + "/" + u["activity"] + " " + str(len(u["sessions"])))' "$user"
}

step "presence set $user Busy InACall --keep-alive --base-url ${base}v1.0"
"$work/tools/presence" set "$user" Busy InACall --keep-alive --base-url "${base}v1.0" > "$work/presence.log" 2>&1 &
tool_pid=$!
shown=''
for _ in $(seq 1 120); do
  if [ "$(at_emulator || true)" = "Busy/InACall 1" ] && grep -q "Active, confirmed" "$work/presence.log"; then
    shown=yes
    break
  fi
  kill -0 "$tool_pid" 2>/dev/null || fail "presence exited while it should keep the user alive"
  sleep 0.5
done
[ -n "$shown" ] || fail "within 60 s the emulator did not show $user Busy/InACall with one session: $(at_emulator || true)"
sed 's/^/   /' "$work/presence.log"

step "presence status $user"
status=$("$work/tools/presence" status "$user" --base-url "${base}v1.0") || fail "presence status"
echo "   $status"
[ "$status" = "$user Busy/InACall" ] || fail "presence status printed '$status'"

step "SIGINT (Ctrl+C) to presence"
interrupt_and_wait "$tool_pid" "presence set --keep-alive" 60
tool_pid=''
grep -q "$user: signed off" "$work/presence.log" || fail "presence did not say it signed off"
state=$(at_emulator) || fail "the emulator's state endpoint did not answer"
echo "   $state"
[ "$state" = "Offline/Offline 0" ] || fail "$user was not signed off: $state"

step "SIGINT to the emulator"
interrupt_and_wait "$emulator_pid" "the emulator" 30
emulator_pid=''

echo "cli tool: OK ($((SECONDS - started)) s)"
