# Sourced by scripts/serve and scripts/test: make .venv and install the project when needed.
# Usage: bootstrap [EXTRA]   (EXTRA=dev installs the test and lint tools too)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "Python 3.11 or newer is required" >&2
  return 1
}

bootstrap() {
  local extra="${1:-}"
  local want stamp="$VENV/.installed"
  want="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1) ${extra}"
  if [ ! -x "$VENV/bin/python" ]; then
    "$(_python)" -m venv "$VENV"
  fi
  # Installed already for this pyproject.toml, with at least the extras asked for?
  if [ -f "$stamp" ] && { [ "$(cat "$stamp")" = "$want" ] ||
    { [ -z "$extra" ] && [ "$(cut -d' ' -f1 "$stamp")" = "${want%% *}" ]; }; }; then
    return 0
  fi
  echo "Installing the project into .venv (first run or pyproject.toml changed)..." >&2
  "$VENV/bin/python" -m pip install --quiet --upgrade pip >&2
  "$VENV/bin/python" -m pip install --quiet -e "$ROOT${extra:+[$extra]}" >&2
  echo "$want" >"$stamp"
}
