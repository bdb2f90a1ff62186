# The reference git server: git http-backend behind nginx and fcgiwrap, as a Linux administrator
# sets it up by hand, on a loopback port, without authentication. Source after common.sh.

# start_reference PORT PROJECT_ROOT DIR: sets NGINX_PID, FCGIWRAP_PID and REFERENCE_CGROUP (both
# servers in one cgroup).
start_reference() {
    local port=$1 root=$2 dir=$3
    mkdir -p "$dir/tmp" "$root"
    local socket="$dir/fcgiwrap.sock"
    local backend
    backend="$(git --exec-path)/git-http-backend"
    [[ -x $backend ]] || die "git-http-backend not found at $backend"

    # fcgiwrap forks one CGI process per request and serves one request per worker, so it needs
    # more workers than the benchmark's concurrent clones (8). Its environment is as clean as the
    # one Latchkey gives its git children: no personal or system git configuration.
    REFERENCE_CGROUP=$(cpu_cgroup reference)
    [[ -n $REFERENCE_CGROUP ]] && BENCH_CGROUPS+=("$REFERENCE_CGROUP")
    spawn "$dir/fcgiwrap.log" "$REFERENCE_CGROUP" env -i PATH="/usr/local/bin:/usr/bin:/bin" HOME="$dir" LANG=C.UTF-8 \
        GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null \
        /usr/sbin/fcgiwrap -c 16 -s "unix:$socket"
    FCGIWRAP_PID=$SPAWNED_PID
    for _ in $(seq 100); do [[ -S $socket ]] && break; sleep 0.05; done
    [[ -S $socket ]] || die "fcgiwrap did not start (see $dir/fcgiwrap.log)"

    local user_line=""
    [[ $(id -u) -eq 0 ]] && user_line="user root;"
    cat >"$dir/nginx.conf" <<EOF
$user_line
worker_processes auto;
error_log $dir/nginx-error.log warn;
pid $dir/nginx.pid;
events { worker_connections 1024; }
http {
    access_log $dir/nginx-access.log;
    client_body_temp_path $dir/tmp/body;
    fastcgi_temp_path $dir/tmp/fastcgi;
    proxy_temp_path $dir/tmp/proxy;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    server {
        listen 127.0.0.1:$port;
        # Pushes of any size; everything else is nginx's defaults.
        client_max_body_size 0;
        location / {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME $backend;
            fastcgi_param GIT_PROJECT_ROOT $root;
            fastcgi_param GIT_HTTP_EXPORT_ALL "";
            fastcgi_param PATH_INFO \$uri;
            # Protocol v2, as Latchkey passes it on.
            fastcgi_param GIT_PROTOCOL \$http_git_protocol;
            fastcgi_pass unix:$socket;
        }
    }
}
EOF
    spawn "$dir/nginx.log" "$REFERENCE_CGROUP" /usr/sbin/nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;'
    NGINX_PID=$SPAWNED_PID
    wait_http "http://127.0.0.1:$port/" 30
}

# reference_init_repo ROOT NAME: an empty bare repository that accepts unauthenticated pushes.
reference_init_repo() {
    git init -q --bare --initial-branch=main "$1/$2"
    git -C "$1/$2" config http.receivepack true
}
