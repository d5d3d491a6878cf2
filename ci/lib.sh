# ci/lib.sh: helpers shared by ci/setup, ci/test and ci/demo (sourced, not
# run).  It finds the repository root from this file's own path, so the
# scripts work from any current directory.

# Absolute path of the repository root.
CI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Prints a progress line prefixed with the calling script's name.
ci_say() {
  printf 'ci/%s: %s\n' "$(basename "$0")" "$*"
}

# Prints an error line to stderr and exits with status 1.
ci_die() {
  printf 'ci/%s: error: %s\n' "$(basename "$0")" "$*" >&2
  exit 1
}

# Configures build directory $1 with the extra meson options that follow,
# or reconfigures it when it already exists.
ci_configure() {
  local dir="$1"
  shift
  if [[ -f "$dir/meson-private/coredata.dat" ]]; then
    ci_say "reconfiguring $dir"
    meson setup --reconfigure "$dir" "$CI_ROOT" "$@"
  else
    ci_say "configuring $dir"
    meson setup "$dir" "$CI_ROOT" "$@"
  fi
}

# Compiles build directory $1: the targets that follow, or everything.
ci_compile() {
  local dir="$1"
  shift
  ci_say "compiling $dir${*:+ (targets: $*)}"
  meson compile -C "$dir" "$@"
}
