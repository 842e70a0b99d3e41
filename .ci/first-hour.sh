#!/usr/bin/env bash
# A new user's first hour, checked at every landing. From a fresh temporary folder, with only the packed .nupkg files
# as a local feed (plus the normal package source of the repository's nuget.config for third-party packages):
#   dotnet new worker; dotnet add package PresenceKeepAlive; the README's quick start (Program.cs and appsettings.json,
#   taken from README.md itself); the emulator installed as a dotnet tool from the same feed and started on loopback;
#   dotnet run; the configured users show at /_emulator/state; SIGINT (Ctrl+C) to the worker; they are signed off;
#   the emulator stops on SIGINT too. Also: restoring the packages reports no NU1603 caused by our own dependency
#   declarations, and the emulator library package compiles in a consumer project.
#
# Usage: .ci/first-hour.sh [packages-folder]   (default artifacts/packages; it must hold the three .nupkg files)
set -euo pipefail
# Job control: each background process gets its own process group, and SIGINT is not ignored in it (a non-interactive
# shell starts background jobs with SIGINT ignored), so "kill -INT -- -PID" is exactly a terminal's Ctrl+C.
set -m

repo=$(cd "$(dirname "$0")/.." && pwd)
feed=$(cd "${1:-$repo/artifacts/packages}" && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

started=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/presence-first-hour.XXXXXX")
emulator_pid='' worker_pid=''
cleanup() {
  local pid
  for pid in "$worker_pid" "$emulator_pid"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || true
      sleep 1
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM   # so that cleanup runs when CI's timeout stops this script

fail() {
  echo "first hour: FAILED: $*" >&2
  for log in "$work"/*.log; do
    [ -f "$log" ] && { echo "--- $(basename "$log")" >&2; tail -n 40 "$log" >&2; }
  done
  exit 1
}

step() { echo "-- [$((SECONDS - started)) s] $*"; }

# SIGINT to a background job's process group (as Ctrl+C reaches a terminal's), then wait for a clean exit.
interrupt_and_wait() { # $1: pid, $2: what it is, $3: seconds to wait
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

# The version packed, from the file name of the library package (PresenceKeepAlive.<version>.nupkg).
package=$(find "$feed" -maxdepth 1 -name 'PresenceKeepAlive.[0-9]*.nupkg' | sort | tail -n 1)
[ -n "$package" ] || fail "no PresenceKeepAlive.<version>.nupkg in $feed"
version=$(basename "$package" .nupkg); version=${version#PresenceKeepAlive.}
for id in PresenceKeepAlive.Emulator PresenceKeepAlive.Emulator.Tool; do
  [ -f "$feed/$id.$version.nupkg" ] || fail "no $id.$version.nupkg in $feed"
done

# A fresh package cache (nothing from this repository's builds can leak in) and a nuget.config with the local feed
# for our packages only, and the repository's normal source for everything else.
export NUGET_PACKAGES="$work/nuget-packages"
normal_source=$(sed -n 's/.*<add key="[^"]*" value="\([^"]*\)".*/\1/p' "$repo/nuget.config" | head -n 1)
[ -n "$normal_source" ] || fail "no package source in $repo/nuget.config"
cat > "$work/nuget.config" <<EOF
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
EOF

# The README's quick start, as written there: the first csharp block after "`Program.cs`:" and the first json block
# after "`appsettings.json`".
readme_block() { # $1: line prefix that introduces the block, $2: fence language
  awk -v intro="$1" -v fence="\`\`\`$2" '
    index($0, intro) == 1 { seen = 1; next }
    seen && !inside && $0 == fence { inside = 1; next }
    inside && $0 == "```" { exit }
    inside { print }' "$repo/README.md"
}
program_cs=$(readme_block '`Program.cs`:' csharp)
appsettings_json=$(readme_block '`appsettings.json`' json)
[ -n "$program_cs" ] || fail "README.md: no csharp block after \`Program.cs\`:"
[ -n "$appsettings_json" ] || fail "README.md: no json block after \`appsettings.json\`"
grep -q 'AddPresenceSession' <<<"$program_cs" || fail "README.md: the quick start's Program.cs does not call AddPresenceSession"

step "dotnet new worker"
mkdir "$work/app"
cp "$work/nuget.config" "$work/app/nuget.config"
(cd "$work/app" && timeout 120 dotnet new worker -n FirstHour -o . > "$work/new.log" 2>&1) || fail "dotnet new worker"

step "dotnet add package PresenceKeepAlive $version"
(cd "$work/app" && timeout 300 dotnet add package PresenceKeepAlive --version "$version" > "$work/add-package.log" 2>&1) \
  || fail "dotnet add package PresenceKeepAlive"

step "README quick start: Program.cs and appsettings.json"
printf '%s\n' "$program_cs" > "$work/app/Program.cs"
printf '%s\n' "$appsettings_json" > "$work/app/appsettings.json"
(cd "$work/app" && timeout 300 dotnet build -c Release > "$work/build.log" 2>&1) || fail "the quick-start worker does not build"

step "dotnet tool install PresenceKeepAlive.Emulator.Tool $version --tool-path"
timeout 300 dotnet tool install PresenceKeepAlive.Emulator.Tool --version "$version" --tool-path "$work/tools" \
  --configfile "$work/nuget.config" > "$work/tool-install.log" 2>&1 || fail "dotnet tool install"
[ -x "$work/tools/presence-emulator" ] || fail "the tool did not install the presence-emulator command"

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

# What /_emulator/state says of every configured user: "id availability/activity sessions", one line each.
configured_users=$(python3 -c '
import json, sys
print("\n".join(s["UserId"] for s in json.load(sys.stdin)["PresenceKeepAlive"]["Sessions"]))' <<<"$appsettings_json")
expected_pairs=$(python3 -c '
import json, sys
print("\n".join(s["UserId"] + " " + s["Availability"] + "/" + s["Activity"] for s in json.load(sys.stdin)["PresenceKeepAlive"]["Sessions"]))' <<<"$appsettings_json")
[ -n "$configured_users" ] || fail "README.md: the quick start configures no Sessions"
users_at_emulator() {
  curl -sS --max-time 5 "${base}_emulator/state" | python3 -c '
import json, sys
users = {u["id"].lower(): u for u in json.load(sys.stdin)["users"]}
for wanted in sys.argv[1:]:
    u = users.get(wanted.lower())
    if u is None:
        print(wanted, "Offline/Offline", 0)
    else:
        print(wanted, u["availability"] + "/" + u["activity"], len(u["sessions"]))' $configured_users
}

# The only deviation from the README: pointing the worker at the emulator. BaseUrl is the emulator's v1.0 URL; the
# README's placeholder ClientId (the empty GUID) is rejected, so any other GUID is passed; and the ClientSecret from
# appsettings.json is blanked, since a secret is still used even when BaseUrl is a loopback emulator.
client_id=$(python3 -c 'import uuid; print(uuid.uuid4())')
step "dotnet run (the worker, against the emulator)"
(cd "$work/app" && exec timeout 300 dotnet run -c Release --no-build -- \
  "--PresenceKeepAlive:BaseUrl=${base}v1.0" "--PresenceKeepAlive:ClientId=$client_id" "--PresenceKeepAlive:ClientSecret=") \
  > "$work/worker.log" 2>&1 &
worker_pid=$!

step "the configured users show at ${base}_emulator/state"
shown=''
for _ in $(seq 1 120); do
  state=$(users_at_emulator) || state=''
  if [ -n "$state" ] && [ "$(awk '{print $1 " " $2}' <<<"$state")" = "$expected_pairs" ] && awk '$3 != 1 { exit 1 }' <<<"$state"; then
    shown=yes
    break
  fi
  kill -0 "$worker_pid" 2>/dev/null || fail "the worker exited before its users showed"
  sleep 0.5
done
[ -n "$shown" ] || fail "within 60 s the emulator did not show every configured user with its state and one session: $state"
sed 's/^/   /' <<<"$state"

step "SIGINT (Ctrl+C) to the worker"
interrupt_and_wait "$worker_pid" "the worker" 60
worker_pid=''

step "the configured users are signed off"
state=$(users_at_emulator) || fail "the emulator's state endpoint did not answer"
sed 's/^/   /' <<<"$state"
awk '$2 != "Offline/Offline" || $3 != 0 { exit 1 }' <<<"$state" || fail "not every configured user was signed off: $state"

step "SIGINT to the emulator"
interrupt_and_wait "$emulator_pid" "the emulator" 30
emulator_pid=''

step "the emulator library package in a consumer project"
mkdir "$work/lib"
cp "$work/nuget.config" "$work/lib/nuget.config"
(cd "$work/lib" && timeout 120 dotnet new classlib -n FirstHourTests -o . > "$work/lib-new.log" 2>&1) || fail "dotnet new classlib"
(cd "$work/lib" && timeout 300 dotnet add package PresenceKeepAlive.Emulator --version "$version" > "$work/lib-add-package.log" 2>&1) \
  || fail "dotnet add package PresenceKeepAlive.Emulator"
cat > "$work/lib/Class1.cs" <<'EOF'
using PresenceKeepAlive.Emulator;

namespace FirstHourTests;

public static class EmulatorProbe
{
    public static async Task<string> StartAndReadAsync()
    {
        await using var emulator = await PresenceEmulator.StartAsync(new PresenceEmulatorOptions { TimeScale = 60 });
        return emulator.GetPresence("adele@contoso.com").Availability;
    }
}
EOF
(cd "$work/lib" && timeout 300 dotnet build -c Release > "$work/lib-build.log" 2>&1) || fail "a project using the emulator package does not build"

step "NU1603 from restoring the packages"
# NU1603: a dependency is declared at a version the source does not serve, so NuGet took a higher one. The ones that
# our own packages' declarations cause are errors; the ones from third-party packages' own ranges are listed.
nu1603=$(cat "$work/add-package.log" "$work/lib-add-package.log" | grep -o 'NU1603: [^][]*' | sort -u || true)
ours=$(grep -E '^NU1603: PresenceKeepAlive(\.[A-Za-z.]+)? [0-9]' <<<"$nu1603" || true)
theirs=$(grep -vE '^NU1603: PresenceKeepAlive(\.[A-Za-z.]+)? [0-9]' <<<"$nu1603" || true)
echo "   NU1603 from our packages' dependencies: $(grep -c . <<<"$ours" || true); from third-party packages' ranges: $(grep -c . <<<"$theirs" || true)"
[ -n "$theirs" ] && sed 's/^/     /' <<<"$theirs"
[ -z "$ours" ] || fail "our packages declare dependency versions the source does not serve:
$ours"

echo "first hour: OK in $((SECONDS - started)) s"
