# Sourced by the scripts: finds a Python >= 3.12 and prepares .venv with the project installed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

find_python() {
  local candidates=()
  [ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
  candidates+=(python3.13 python3.12)
  if command -v pyenv >/dev/null 2>&1; then
    local root; root="$(pyenv root)"
    for v in "$root"/versions/3.13* "$root"/versions/3.12*; do [ -x "$v/bin/python" ] && candidates+=("$v/bin/python"); done
  fi
  for v in "$HOME"/.pyenv/versions/3.13* "$HOME"/.pyenv/versions/3.12* /root/.pyenv/versions/3.13* /root/.pyenv/versions/3.12*; do
    [ -x "$v/bin/python" ] && candidates+=("$v/bin/python")
  done
  candidates+=(python3)
  for c in "${candidates[@]}"; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
      command -v "$c"; return 0
    fi
  done
  return 1
}

ensure_venv() {
  local stamp="$VENV/.installed"
  if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$stamp" -nt "$ROOT/pyproject.toml" ]; then
    return 0
  fi
  local py
  if ! py="$(find_python)"; then
    echo "equipage: no Python >= 3.12 found (tried \$PYTHON, python3.13, python3.12, pyenv, python3)." >&2
    echo "Install Python 3.12 or 3.13 (e.g. 'pyenv install 3.13') or set PYTHON=/path/to/python3.13." >&2
    exit 1
  fi
  echo "Setting up $VENV with $py ($("$py" --version))" >&2
  [ -x "$VENV/bin/python" ] || "$py" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -e "$ROOT[dev]"
  touch "$stamp"
}
