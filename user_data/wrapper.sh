#!/bin/bash
# amibake build wrapper for build {{BUILD_ID}}.
# Runs the recipe's customisation (or, on the test instance launched from the new image, its
# tests) as root, logs everything, reports the exit status and the
# log to pre-signed S3 URLs, and powers the instance off: on success, on failure, and from a
# watchdog when the customisation outlives the build's timeout. Needs bash, curl or wget, and
# sha256sum, openssl or shasum.
#
# The status is also attested on the instance's serial console, which only code running on this
# instance can write and which the pipeline reads back with ec2:GetConsoleOutput: whoever else
# holds the status URL (it is in the user data) cannot turn a failed build into an image.
set -u

AMIBAKE_BUILD_ID='{{BUILD_ID}}'
# "build" on the build instance, "test" on the test instance: a test run leaves nothing to clean.
AMIBAKE_STAGE='{{STAGE}}'
AMIBAKE_TIMEOUT_SECONDS={{TIMEOUT_SECONDS}}
# The session token the pre-signed URLs share, written once (each URL splices it in).
AMIBAKE_TOKEN='{{TOKEN}}'
AMIBAKE_LOG_URL='{{LOG_URL}}'
AMIBAKE_STATUS_URL='{{STATUS_URL}}'
# Where the package manifest goes (empty on the test instance: it records none).
AMIBAKE_PACKAGES_URL='{{PACKAGES_URL}}'
AMIBAKE_SCRIPT_SHA256='{{SCRIPT_SHA256}}'
AMIBAKE_HYGIENE_KEEP='{{HYGIENE_KEEP}}'
# Every path the wrapper touches is under $AMIBAKE_ROOT: empty on an instance, a scratch
# directory in tests.
AMIBAKE_ROOT="${AMIBAKE_ROOT:-}"
AMIBAKE_DIR="$AMIBAKE_ROOT/var/lib/amibake"
AMIBAKE_CONSOLES="${AMIBAKE_CONSOLES:-/dev/ttyS0 /dev/console}"
AMIBAKE_LOG="$AMIBAKE_DIR/build.log"
AMIBAKE_STARTED_AT=''

amibake_now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
amibake_say() { echo "amibake: $(amibake_now) $*"; }
amibake_json_escape() {
  local s="${1//\\/\\\\}"
  s="${s//\"/\\\"}"
  printf '%s' "${s//$'\n'/ }"
}

# Transfers with retries: $1 is "put" or "get", $2 the file, $3 the pre-signed URL.
amibake_transfer() {
  local direction="$1" file="$2" url="$3" attempt
  for attempt in 1 2 3 4 5; do
    if command -v curl >/dev/null 2>&1; then
      if [ "$direction" = put ]; then
        curl -sS -f -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$file" "$url" >/dev/null && return 0
      else
        curl -sS -f -o "$file" "$url" && return 0
      fi
    elif command -v wget >/dev/null 2>&1; then
      if [ "$direction" = put ]; then
        wget -q -O /dev/null --method=PUT --header='Content-Type: application/octet-stream' --body-file="$file" "$url" && return 0
      else
        wget -q -O "$file" "$url" && return 0
      fi
    else
      amibake_say "neither curl nor wget is installed"
      return 1
    fi
    sleep $((attempt * 2))
  done
  return 1
}

# The SHA-256 of a file, with whichever tool the image has.
amibake_sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 -r "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    amibake_say "none of sha256sum, openssl or shasum is installed"
    return 1
  fi
}

# The installed packages, one "name<TAB>version" line each, sorted: rpm or dpkg, whichever the
# machine has (nothing when it has neither).
amibake_packages() {
  if command -v rpm >/dev/null 2>&1; then
    rpm --root "${AMIBAKE_ROOT:-/}" -qa --qf '%{NAME}.%{ARCH}\t%{VERSION}-%{RELEASE}\n' 2>/dev/null
  elif command -v dpkg-query >/dev/null 2>&1; then
    dpkg-query --admindir="$AMIBAKE_ROOT/var/lib/dpkg" -W -f '${binary:Package}\t${Version}\n' 2>/dev/null
  fi | LC_ALL=C sort
}

# Writes the package manifest: the packages before the customisation, and after it when it ended.
amibake_write_packages() {
  [ -n "$AMIBAKE_PACKAGES_URL" ] && [ -f "$AMIBAKE_DIR/packages-before" ] || return 0
  {
    echo "[before]"
    cat "$AMIBAKE_DIR/packages-before"
    if [ -f "$AMIBAKE_DIR/packages-after" ]; then
      echo "[after]"
      cat "$AMIBAKE_DIR/packages-after"
    fi
  } >"$AMIBAKE_DIR/packages.txt"
}

# The SHA-256 of a file the report attests, or nothing when there is no such file.
amibake_attested_sha256() {
  [ -f "$1" ] || return 0
  amibake_sha256 "$1" || true
}

# Writes one line to every console device there is (the serial console is what EC2 keeps),
# starting it on a fresh line: the pipeline believes only a whole line.
amibake_console() {
  local device
  for device in $AMIBAKE_CONSOLES; do
    if [ -w "$device" ]; then printf '\r\n%s\r\n' "$1" 2>/dev/null >>"$device" || true; fi
  done
}

# Reports once (the first caller wins): the attestation of the status on the console, the log,
# then the status, whose arrival tells the pipeline that the build has ended. $3, when given,
# is the wrapper's own error code.
amibake_report() {
  local code="$1" reason="$2" error="${3:-}" digest
  mkdir "$AMIBAKE_DIR/reported" 2>/dev/null || return 0
  amibake_say "exit status $code: $reason"
  # The log and the manifest as uploaded, their digests in the status that the console attests:
  # what the operator reads later is checked against them.
  cp "$AMIBAKE_LOG" "$AMIBAKE_DIR/log.reported" 2>/dev/null || : >"$AMIBAKE_DIR/log.reported"
  amibake_write_packages
  printf '{"buildId":"%s","stage":"%s","exitCode":%d,"reason":"%s","errorCode":"%s","startedAt":"%s","finishedAt":"%s","logSha256":"%s","packagesSha256":"%s"}\n' \
    "$AMIBAKE_BUILD_ID" "$AMIBAKE_STAGE" "$code" "$(amibake_json_escape "$reason")" "$error" "$AMIBAKE_STARTED_AT" "$(amibake_now)" \
    "$(amibake_attested_sha256 "$AMIBAKE_DIR/log.reported")" "$(amibake_attested_sha256 "$AMIBAKE_DIR/packages.txt")" \
    >"$AMIBAKE_DIR/status.json"
  digest="$(amibake_sha256 "$AMIBAKE_DIR/status.json")" || digest=unknown
  amibake_console "amibake-attestation build=$AMIBAKE_BUILD_ID exit=$code status-sha256=$digest"
  amibake_transfer put "$AMIBAKE_DIR/log.reported" "$AMIBAKE_LOG_URL" || amibake_say "log upload failed"
  if [ -f "$AMIBAKE_DIR/packages.txt" ]; then
    amibake_transfer put "$AMIBAKE_DIR/packages.txt" "$AMIBAKE_PACKAGES_URL" || amibake_say "package manifest upload failed"
  fi
  amibake_transfer put "$AMIBAKE_DIR/status.json" "$AMIBAKE_STATUS_URL" || amibake_say "status upload failed"
}

amibake_poweroff() {
  amibake_say "powering off"
  sync
  poweroff || shutdown -h now || halt -p
}

# Image hygiene: what the build leaves on the machine that the image must not ship. Each step is
# named (the README lists why); a recipe may keep some (hygiene.keep). /var/lib/amibake itself
# goes last, after the report is uploaded.
amibake_clean_cloud_init() {
  # Per-instance state (copies of this user data, with its URLs) and logs: the next instance's
  # cloud-init starts afresh from its own user data.
  rm -rf "$AMIBAKE_ROOT"/var/lib/cloud/instances/* "$AMIBAKE_ROOT"/var/lib/cloud/instance \
    "$AMIBAKE_ROOT"/var/lib/cloud/data/* "$AMIBAKE_ROOT"/var/lib/cloud/sem/* \
    "$AMIBAKE_ROOT"/var/log/cloud-init.log "$AMIBAKE_ROOT"/var/log/cloud-init-output.log
}
amibake_clean_machine_id() {
  # Empty, not "uninitialized": systemd makes a new id at boot without first-boot units.
  if [ -e "$AMIBAKE_ROOT/etc/machine-id" ]; then : >"$AMIBAKE_ROOT/etc/machine-id" || return 1; fi
  local dbus="$AMIBAKE_ROOT/var/lib/dbus/machine-id"
  if [ -f "$dbus" ] && [ ! -L "$dbus" ]; then rm -f "$dbus"; fi
}
amibake_clean_ssh_host_keys() {
  rm -f "$AMIBAKE_ROOT"/etc/ssh/ssh_host_*
}
amibake_clean_dhcp_leases() {
  rm -f "$AMIBAKE_ROOT"/var/lib/dhclient/*.lease* "$AMIBAKE_ROOT"/var/lib/dhcp/*.lease* \
    "$AMIBAKE_ROOT"/var/lib/NetworkManager/*.lease "$AMIBAKE_ROOT"/var/lib/dhcpcd/*.lease*
}
amibake_clean_shell_history() {
  rm -f "$AMIBAKE_ROOT"/root/.bash_history "$AMIBAKE_ROOT"/root/.zsh_history \
    "$AMIBAKE_ROOT"/home/*/.bash_history "$AMIBAKE_ROOT"/home/*/.zsh_history
}
amibake_clean_tmp() {
  local dir
  for dir in "$AMIBAKE_ROOT/tmp" "$AMIBAKE_ROOT/var/tmp"; do
    rm -rf "$dir"/* "$dir"/.[!.]* "$dir"/..?* || return 1
  done
}
amibake_clean_login_records() {
  local file
  for file in wtmp btmp lastlog; do
    if [ -f "$AMIBAKE_ROOT/var/log/$file" ]; then : >"$AMIBAKE_ROOT/var/log/$file" || return 1; fi
  done
}
amibake_clean_journal() {
  rm -rf "$AMIBAKE_ROOT"/var/log/journal/*
}
amibake_clean_random_seed() {
  # Every launch would start from the same saved seed of the kernel's random pool.
  rm -f "$AMIBAKE_ROOT/var/lib/systemd/random-seed" "$AMIBAKE_ROOT/var/lib/random-seed"
}

# Runs every step the recipe does not keep; prints the steps that failed.
amibake_hygiene() {
  local step failed=''
  for step in cloud-init machine-id ssh-host-keys dhcp-leases shell-history tmp login-records journal random-seed; do
    case " $AMIBAKE_HYGIENE_KEEP " in
    *" $step "*) amibake_say "hygiene: $step kept (the recipe keeps it)" >&2 ;;
    *)
      if "amibake_clean_${step//-/_}"; then
        amibake_say "hygiene: $step removed" >&2
      else
        amibake_say "hygiene: $step could not be removed" >&2
        failed="$failed $step"
      fi
      ;;
    esac
  done
  printf '%s' "${failed# }"
}

# Shutdown writes some of it again, after the wrapper has ended: cloud-init its per-instance
# state as its last stage ends, the network's stop the DHCP lease, systemd the shutdown record in
# wtmp, the journal and a new random seed. A unit that systemd stops after all of those repeats
# the hygiene then (a unit in /run, so the image does not keep it). Without systemd, the first
# pass is all there is.
amibake_hygiene_at_shutdown() {
  [ -z "$AMIBAKE_ROOT" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1 || return 0
  mkdir -p /run/amibake || return 1
  {
    declare -p AMIBAKE_ROOT AMIBAKE_HYGIENE_KEEP
    declare -f amibake_now amibake_say amibake_hygiene $(compgen -A function amibake_clean_)
    echo 'journalctl --relinquish-var >/dev/null 2>&1'
    echo 'amibake_hygiene >/dev/null'
  } >/run/amibake/hygiene.sh || return 1
  printf '%s\n' \
    '[Unit]' \
    'Description=amibake image hygiene, after the services that write at shutdown' \
    'DefaultDependencies=no' \
    'Conflicts=shutdown.target' \
    "Before=shutdown.target $AMIBAKE_WRITERS_AT_SHUTDOWN" \
    '[Service]' \
    'Type=oneshot' \
    'RemainAfterExit=yes' \
    'ExecStart=/bin/true' \
    'ExecStop=/bin/bash /run/amibake/hygiene.sh' >/run/systemd/system/amibake-hygiene.service || return 1
  systemctl daemon-reload && systemctl start amibake-hygiene.service
}
# Ordered before them, the unit is stopped after them.
AMIBAKE_WRITERS_AT_SHUTDOWN='cloud-final.service cloud-init.service networking.service network.service systemd-networkd.service NetworkManager.service dhcpcd.service systemd-update-utmp.service systemd-journal-flush.service systemd-random-seed.service'

# What runs: the recipe's customisation, or its tests.
AMIBAKE_WHAT=customisation
if [ "$AMIBAKE_STAGE" = test ]; then AMIBAKE_WHAT=tests; fi

# Writes the recipe's customisation (or test) script to $1.
amibake_write_customisation() {
{{CUSTOMISATION}}
}

amibake_watchdog() {
  sleep "$AMIBAKE_TIMEOUT_SECONDS"
  amibake_report 124 "watchdog: the $AMIBAKE_WHAT ran longer than $AMIBAKE_TIMEOUT_SECONDS seconds"
  amibake_poweroff
}

amibake_main() {
  # A base made by amibake has no /var/lib/amibake; one made by an older version may: start clean.
  rm -rf "$AMIBAKE_DIR"
  (umask 077 && mkdir -p "$AMIBAKE_DIR" && : >>"$AMIBAKE_LOG")
  exec >>"$AMIBAKE_LOG" 2>&1
  AMIBAKE_STARTED_AT="$(amibake_now)"
  amibake_say "build $AMIBAKE_BUILD_ID started ($AMIBAKE_STAGE stage)"
  amibake_watchdog &
  local script="$AMIBAKE_DIR/customise.sh" code digest failed
  if ! amibake_write_customisation "$script"; then
    amibake_report 1 "could not obtain the $AMIBAKE_WHAT script"
  elif digest="$(amibake_sha256 "$script")" && [ "$digest" != "$AMIBAKE_SCRIPT_SHA256" ]; then
    amibake_report 1 "the $AMIBAKE_WHAT script has SHA-256 $digest, not $AMIBAKE_SCRIPT_SHA256: not run" ScriptDigestMismatch
  elif [ -z "$digest" ]; then
    amibake_report 1 "the $AMIBAKE_WHAT script's SHA-256 could not be computed: not run" ScriptDigestMismatch
  else
    chmod 700 "$script"
    if [ -n "$AMIBAKE_PACKAGES_URL" ]; then amibake_packages >"$AMIBAKE_DIR/packages-before"; fi
    (cd "$AMIBAKE_DIR" && "$script") </dev/null
    code=$?
    if [ -n "$AMIBAKE_PACKAGES_URL" ]; then amibake_packages >"$AMIBAKE_DIR/packages-after"; fi
    if [ "$code" -ne 0 ]; then
      amibake_report "$code" "$AMIBAKE_WHAT exited with status $code"
    elif [ "$AMIBAKE_STAGE" = test ]; then
      amibake_report 0 "tests passed"
      rm -rf "$AMIBAKE_DIR"
    elif failed="$(amibake_hygiene)" && [ -n "$failed" ]; then
      amibake_report 1 "customisation succeeded, but image hygiene failed for: $failed (see the log)" HygieneFailed
    elif ! amibake_hygiene_at_shutdown; then
      amibake_report 1 "customisation succeeded, but the hygiene at shutdown could not be set up (see the log)" HygieneFailed
    else
      amibake_report 0 "customisation succeeded"
      rm -rf "$AMIBAKE_DIR"
    fi
  fi
  amibake_poweroff
}

amibake_main
