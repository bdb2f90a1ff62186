# Shared by bench/git.sh and bench/api.sh: packages, building and starting Latchkey, signing up and
# getting a token through the real web forms, process clean-up. Source it; it defines functions only
# (plus BENCH_DIR / REPO_DIR).

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
LATCHKEY_DLL="$REPO_DIR/src/Latchkey/bin/Release/net10.0/Latchkey.dll"

# Nobody's git configuration (credential helpers, url rewrites) may leak into a measurement.
export GIT_CONFIG_NOSYSTEM=1
export GIT_TERMINAL_PROMPT=0
export LC_ALL=C.UTF-8

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# Servers this script started, each in its own process group (setsid), killed as a group on exit;
# then the CPU-accounting cgroups it made are removed.
BENCH_PIDS=()
BENCH_CGROUPS=()
bench_cleanup() {
    local pid cg
    for pid in "${BENCH_PIDS[@]}"; do
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${BENCH_PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL -- "-$pid" 2>/dev/null || true
    done
    for cg in "${BENCH_CGROUPS[@]}"; do
        for _ in $(seq 50); do rmdir "$cg" 2>/dev/null && break; sleep 0.1; done
    done
    if [[ -n "${BENCH_WORK:-}" && -z "${BENCH_KEEP:-}" ]]; then
        rm -rf "$BENCH_WORK"
    fi
}

# cpu_cgroup NAME: makes a cgroup whose CPU usage counts every process in it, living or exited (the
# only way to count fcgiwrap's CGI children, which it reaps without waiting: SIGCHLD is ignored,
# so their CPU never reaches any parent's cutime). Prints its directory, or nothing when this user
# may not make cgroups; measure.py then falls back to /proc (see its notes). The caller adds it to
# BENCH_CGROUPS (this runs in a subshell).
cpu_cgroup() {
    local name="latchkey-bench-$$-$1" parent="" own
    if [[ -d /sys/fs/cgroup/cpuacct ]]; then
        own=$(awk -F: '$2 ~ /(^|,)cpuacct(,|$)/ {print $3}' /proc/self/cgroup)
        parent=/sys/fs/cgroup/cpuacct${own%/}
    elif [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
        own=$(awk -F: '$1 == "0" {print $3}' /proc/self/cgroup)
        parent=/sys/fs/cgroup${own%/}
    fi
    [[ -n $parent ]] && mkdir "$parent/$name" 2>/dev/null || return 0
    echo "$parent/$name"
}

# spawn LOG CGROUP COMMAND...: starts a server in its own process group (and in CGROUP unless it is
# empty); sets SPAWNED_PID.
spawn() {
    local log=$1 cg=$2
    shift 2
    setsid bash -c 'if [[ -n $1 ]]; then echo $$ >"$1/cgroup.procs"; fi; shift; exec "$@"' spawn "$cg" "$@" >"$log" 2>&1 &
    SPAWNED_PID=$!
    BENCH_PIDS+=("$SPAWNED_PID")
}

# A scratch directory removed on exit (BENCH_KEEP=1 keeps it, for looking at logs).
bench_workdir() {
    BENCH_WORK="$(mktemp -d "${TMPDIR:-/tmp}/latchkey-bench.XXXXXX")"
    chmod 755 "$BENCH_WORK"
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

# Installs Debian packages whose command is missing: "command:package ...".
ensure_packages() {
    local missing=() pair
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || [[ -x "/usr/sbin/${pair%%:*}" ]] || missing+=("${pair#*:}")
    done
    ((${#missing[@]} == 0)) && return 0
    say "installing ${missing[*]} with apt-get"
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
        sudo=(sudo)
    fi
    # Installing nginx must not start a system-wide nginx on port 80.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq "${missing[@]}" >/dev/null \
        || { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq "${missing[@]}" >/dev/null; } \
        || die "apt-get install ${missing[*]} failed"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http() { # url [seconds]
    local url=$1 limit=${2:-60} i
    for ((i = 0; i < limit * 10; i++)); do
        curl -s -o /dev/null "$url" && return 0
        sleep 0.1
    done
    die "nothing answered at $url"
}

build_latchkey() {
    say "building Latchkey (Release)"
    dotnet build "$REPO_DIR/src/Latchkey/Latchkey.csproj" -c Release --nologo -v quiet -clp:ErrorsOnly >&2 \
        || die "dotnet build failed"
}

# start_latchkey PORT DATA_DIR [extra options...]: starts the built dll as shipped (no settings
# beyond the data directory and the URL unless given); sets LATCHKEY_PID and LATCHKEY_CGROUP.
start_latchkey() {
    local port=$1 data=$2
    shift 2
    mkdir -p "$data"
    LATCHKEY_CGROUP=$(cpu_cgroup latchkey)
    [[ -n $LATCHKEY_CGROUP ]] && BENCH_CGROUPS+=("$LATCHKEY_CGROUP")
    spawn "$data/../latchkey-$port.log" "$LATCHKEY_CGROUP" dotnet "$LATCHKEY_DLL" --urls "http://127.0.0.1:$port" --data-dir "$data" "$@"
    LATCHKEY_PID=$SPAWNED_PID
    wait_http "http://127.0.0.1:$port/login" 60
}

# latchkey_token BASE_URL USERNAME SCOPE... : signs up (the first account) and generates a classic
# token through the web forms, as a person would; prints the token.
latchkey_token() {
    local base=$1 user=$2
    shift 2
    local jar
    jar="$(mktemp)"
    local password="bench-password-$RANDOM-$RANDOM"
    local page token
    form() { # path -> antiforgery token of the form on that page
        curl -s -b "$jar" -c "$jar" "$base$1" | sed -n 's/.*name="__RequestVerificationToken" type="hidden" value="\([^"]*\)".*/\1/p' | head -1
    }
    token="$(form /signup)"
    [[ -n $token ]] || die "no sign-up form at $base/signup"
    curl -s -o /dev/null -b "$jar" -c "$jar" --data-urlencode "Input.Username=$user" \
        --data-urlencode "Input.Email=$user@bench.invalid" --data-urlencode "Input.Password=$password" \
        --data-urlencode "__RequestVerificationToken=$token" "$base/signup"
    token="$(form /settings/tokens/new)"
    [[ -n $token ]] || die "sign-up did not lead to the token form"
    local fields=(--data-urlencode "Input.Note=bench" --data-urlencode "Input.Expiration=7" --data-urlencode "__RequestVerificationToken=$token")
    local scope
    for scope in "$@"; do fields+=(--data-urlencode "Input.Scopes=$scope"); done
    curl -s -o /dev/null -b "$jar" -c "$jar" "${fields[@]}" "$base/settings/tokens/new"
    page="$(curl -s -b "$jar" -c "$jar" "$base/settings/tokens")"
    rm -f "$jar"
    sed -n 's/.*<code id="new-token"[^>]*>\([^<]*\)<\/code>.*/\1/p' <<<"$page" | head -1
}

# latchkey_api TOKEN METHOD URL [JSON]: prints the HTTP status; the body goes to $BENCH_WORK/api.out.
latchkey_api() {
    local token=$1 method=$2 url=$3 body=${4:-}
    local args=(-s -o "$BENCH_WORK/api.out" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $token" -H 'Accept: application/vnd.github+json')
    [[ -n $body ]] && args+=(-H 'Content-Type: application/json' --data "$body")
    curl "${args[@]}" "$url"
}
