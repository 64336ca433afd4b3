# Shared by ci/quickstart and ci/test: install what is missing, set up Open MPI
# for root, configure and build. Sourced, not run.

# Debian 12 packages tcbench builds, runs and tests with.
TCB_PACKAGES=(build-essential cmake pkg-config git
              libopenmpi-dev openmpi-bin libhwloc-dev libyaml-dev
              libjansson-dev libgsl-dev libcriterion-dev libsqlite3-dev sqlite3
              libxml2-utils  # xmllint validates the JUnit output in the tests
              libopenblas-dev libopenblas-openmp-dev  # the OpenMP build shares one thread pool
              procps bsdutils)  # pkill and script, for the MPI tests

tcb_log() { printf '\n== %s\n' "$*" >&2; }

# apt-get what is not installed yet; as root directly, otherwise through sudo.
tcb_install_deps() {
    local missing=()
    for p in "${TCB_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    tcb_log "installing ${missing[*]}"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || {
            echo "ci: missing packages ${missing[*]}; install them as root" >&2
            return 1
        }
        sudo=(sudo)
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Open MPI refuses to run as root unless both variables say so; containers and
# CI run as root. Small machines need oversubscription for more ranks than cores.
tcb_mpi_env() {
    if [ "$(id -u)" -eq 0 ]; then
        export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    fi
    export OMPI_MCA_rmaps_base_oversubscribe=1
}

# tcb_build DIR [cmake options...]
tcb_build() {
    local dir=$1; shift
    tcb_log "configuring $dir"
    cmake -S . -B "$dir" "$@" >"$dir.configure.log" 2>&1 || {
        cat "$dir.configure.log" >&2
        return 1
    }
    sed -n '/tcbench .* configuration/,/ASan/p' "$dir.configure.log" >&2
    tcb_log "building $dir"
    cmake --build "$dir" -j "$(nproc)" -- --no-print-directory
}
