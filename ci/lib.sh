# ci/lib.sh: helpers shared by ci/setup, ci/test and ci/demo (sourced, not
# run).  It finds the repository root from this file's own path, so the
# scripts work from any current directory.

# Absolute path of the repository root.
CI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Prints a progress line prefixed with the calling script's name.
ci_say() {
  printf 'ci/%s: %s\n' "$(basename "$0")" "$*"
}

# Prints the directory of the catalogues for ci_t: NACCS_LOCALEDIR when set,
# else build/po once the build has made it, else a catalogue compiled from
# po/ja.po into a temporary directory, so the scripts speak the user's
# language before the first build too.  Prints nothing when msgfmt is not
# installed yet (the very first lines of ci/setup on a bare machine).
ci_locale_dir() {
  local compiled="${TMPDIR:-/tmp}/naccs-ci-locale-$EUID"
  if [[ -n "${NACCS_LOCALEDIR:-}" ]]; then
    printf '%s' "$NACCS_LOCALEDIR"
  elif [[ -f "$CI_ROOT/build/po/ja/LC_MESSAGES/naccs-mail-harness.mo" ]]; then
    printf '%s' "$CI_ROOT/build/po"
  elif command -v msgfmt >/dev/null 2>&1; then
    if [[ ! "$compiled/ja/LC_MESSAGES/naccs-mail-harness.mo" -nt "$CI_ROOT/po/ja.po" ]]; then
      mkdir -p "$compiled/ja/LC_MESSAGES"
      msgfmt -o "$compiled/ja/LC_MESSAGES/naccs-mail-harness.mo" "$CI_ROOT/po/ja.po" \
        2>/dev/null || return 0
    fi
    printf '%s' "$compiled"
  fi
}

# Prints the translation of the printf format $1 filled with the remaining
# arguments, with no newline.  The catalogue is that of the programs
# (domain naccs-mail-harness), from NACCS_LOCALEDIR when it is set;
# po/extract.sh extracts the formats of the scripts in po/POTFILES.shell.
# Translations must keep the order of the arguments, because the printf of
# bash has no positional arguments such as %2$s.
ci_t() {
  local format="$1" dir
  shift
  if command -v gettext >/dev/null 2>&1; then
    dir="$(ci_locale_dir)"
    if [[ -n "$dir" ]]; then
      format="$(TEXTDOMAINDIR="$dir" gettext -d naccs-mail-harness -- "$format")"
    else
      format="$(gettext -d naccs-mail-harness -- "$format")"
    fi
  fi
  # shellcheck disable=SC2059 # the format is the translated message
  printf -- "$format" "$@"
}

# Prints an error line to stderr and exits with status 1.
ci_die() {
  printf 'ci/%s: error: %s\n' "$(basename "$0")" "$*" >&2
  exit 1
}

# Runs a build command.  With CI_BUILD_LOG set, its output goes to that
# file and is shown only when the command fails, so the demo stays short.
ci_build_step() {
  if [[ -z "${CI_BUILD_LOG:-}" ]]; then
    "$@"
    return
  fi
  if ! "$@" >>"$CI_BUILD_LOG" 2>&1; then
    tail -n 40 "$CI_BUILD_LOG" >&2
    ci_die "$(ci_t '%s failed; the whole output is in %s' "$*" "$CI_BUILD_LOG")"
  fi
}

# Configures build directory $1 with the extra meson options that follow,
# or reconfigures it when it already exists.
ci_configure() {
  local dir="$1"
  shift
  if [[ -f "$dir/meson-private/coredata.dat" ]]; then
    ci_say "$(ci_t 'reconfiguring %s' "$dir")"
    ci_build_step meson setup --reconfigure "$dir" "$CI_ROOT" "$@"
  else
    ci_say "$(ci_t 'configuring %s' "$dir")"
    ci_build_step meson setup "$dir" "$CI_ROOT" "$@"
  fi
}

# Compiles build directory $1: the targets that follow, or everything.
ci_compile() {
  local dir="$1"
  shift
  if [[ $# -gt 0 ]]; then
    ci_say "$(ci_t 'compiling %s (targets: %s)' "$dir" "$*")"
  else
    ci_say "$(ci_t 'compiling %s' "$dir")"
  fi
  ci_build_step meson compile -C "$dir" "$@"
}
