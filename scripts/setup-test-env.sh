#!/usr/bin/env bash
# Prepares what the extension-host and UI tests need, and skips what is already there:
#   1. Debian packages: chromium (headless browser), libkrb5-dev, build-essential, python3 and
#      pkg-config (native modules of code-server), ripgrep (VS Code's search).
#   2. code-server (VS Code 1.100.3 and its server), pinned, into the git-ignored .code-server/.
# As root on Debian it installs; elsewhere it stops and prints the exact commands to run.
# See shared/TESTING-IN-VSCODE.md for why each step is needed.
set -euo pipefail

CODE_SERVER_VERSION="4.100.3"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${ORCHESTRA_CODE_SERVER_DIR:-$ROOT/.code-server}"
CS="$DEST/node_modules/code-server"
VSC="$CS/lib/vscode"
MARKER="$DEST/.installed-$CODE_SERVER_VERSION"
APT_PACKAGES=(chromium libkrb5-dev ripgrep build-essential python3 pkg-config)

log() { printf '[setup] %s\n' "$*"; }
fail() {
  printf '[setup] error: %s\n' "$*" >&2
  exit 1
}

# ---------------------------------------------------------------- system packages
missing_packages() {
  local missing=()
  if command -v dpkg-query >/dev/null 2>&1; then
    for pkg in "${APT_PACKAGES[@]}"; do
      if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$pkg")
      fi
    done
  else
    # Not Debian: look for the commands and headers instead of package names.
    command -v chromium >/dev/null 2>&1 || [ -n "${CHROMIUM_PATH:-}" ] || missing+=(chromium)
    command -v krb5-config >/dev/null 2>&1 || missing+=(libkrb5-dev)
    command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
    { command -v make >/dev/null 2>&1 && command -v g++ >/dev/null 2>&1; } || missing+=(build-essential)
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
  fi
  echo "${missing[@]:-}"
}

ensure_packages() {
  local missing
  missing="$(missing_packages)"
  if [ -z "$missing" ]; then
    log "system packages present: ${APT_PACKAGES[*]}"
    return
  fi
  local is_debian=0
  if [ -f /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; then is_debian=1; fi
  if [ "$is_debian" = 1 ] && [ "$(id -u)" = 0 ]; then
    log "installing missing packages: $missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    # shellcheck disable=SC2086
    apt-get install -y --no-install-recommends $missing
    return
  fi
  {
    echo "[setup] missing system packages: $missing"
    if [ "$is_debian" = 1 ]; then
      echo "[setup] this script installs them only when run as root. Run:"
      echo "    sudo apt-get update"
      echo "    sudo apt-get install -y --no-install-recommends $missing"
    else
      echo "[setup] this is not a Debian system, so nothing was installed. Install the equivalents of"
      echo "    $missing"
      echo "[setup] with your package manager (for example on Fedora:"
      echo "    sudo dnf install -y chromium krb5-devel ripgrep gcc-c++ make python3 pkgconf-pkg-config"
      echo "  or on macOS: brew install ripgrep pkg-config krb5 python3 && xcode-select --install),"
      echo "[setup] set CHROMIUM_PATH if Chromium is not /usr/bin/chromium, then run: npm run setup:test-env"
    fi
    echo "[setup] then run this script again."
  } >&2
  exit 1
}

# ---------------------------------------------------------------- code-server
# Every native module (a folder with binding.gyp) must have produced its .node file:
# npm may skip install scripts silently, so look rather than trust the exit code.
check_native_modules() {
  node - "$DEST" <<'EOF'
const fs = require('fs');
const path = require('path');
const root = process.argv[2];
const missing = [];
const built = [];
function hasNodeFile(dir) {
  const stack = [dir];
  while (stack.length) {
    const cur = stack.pop();
    let entries;
    try { entries = fs.readdirSync(cur, { withFileTypes: true }); } catch { continue; }
    for (const e of entries) {
      if (e.isDirectory() && e.name !== 'node_modules') stack.push(path.join(cur, e.name));
      else if (e.isFile() && e.name.endsWith('.node')) return true;
    }
  }
  return false;
}
// Some modules ship their binary in a per-platform package instead (@parcel/watcher-linux-x64-glibc).
function hasPlatformPackage(dir) {
  const parent = path.dirname(dir);
  const prefix = `${path.basename(dir)}-${process.platform}-${process.arch}`;
  return fs.readdirSync(parent).some((n) => n.startsWith(prefix) && hasNodeFile(path.join(parent, n)));
}
function walk(dir, depth) {
  let entries;
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
  if (entries.some((e) => e.name === 'binding.gyp') && entries.some((e) => e.name === 'package.json')) {
    (hasNodeFile(dir) || hasPlatformPackage(dir) ? built : missing).push(path.relative(root, dir));
    return;
  }
  if (depth > 10) return;
  for (const e of entries) {
    const skip = ['test', 'tests', 'src', 'deps', 'build', 'out'].includes(e.name) || e.name.startsWith('.');
    if (e.isDirectory() && !skip) walk(path.join(dir, e.name), depth + 1);
  }
}
walk(path.join(root, 'node_modules'), 0);
if (missing.length) {
  console.error(`[setup] native modules without a built .node file:\n  ${missing.join('\n  ')}`);
  process.exit(1);
}
console.log(`[setup] ${built.length} native modules built: ${built.map((d) => path.basename(d)).join(', ')}`);
EOF
}

code_server_ok() {
  [ -f "$MARKER" ] && [ -f "$VSC/out/server-main.js" ] && [ -f "$CS/out/node/entry.js" ]
}

install_code_server() {
  command -v node >/dev/null 2>&1 || fail "node is not on PATH (Node 20 is needed)"
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" = 20 ] || log "warning: code-server $CODE_SERVER_VERSION is built for Node 20; this is Node $major"

  # As root, code-server's scripts want --unsafe-perm; npm 11 only takes it as a config variable.
  # node-pty's build runs `npx node-gyp`, which must not stop to ask.
  export npm_config_unsafe_perm=true npm_config_yes=true npm_config_audit=false npm_config_fund=false
  export npm_config_update_notifier=false npm_config_loglevel=warn

  log "installing code-server@$CODE_SERVER_VERSION into $DEST (about 2 minutes)"
  rm -rf "$DEST"
  mkdir -p "$DEST"
  printf '{\n  "name": "orchestra-code-server",\n  "private": true\n}\n' >"$DEST/package.json"

  # 1. The package without its scripts (its postinstall would download ripgrep from GitHub).
  (cd "$DEST" && npm install --ignore-scripts --save-exact "code-server@$CODE_SERVER_VERSION")
  # 2. argon2: its prebuilt download fails here, so it builds from source.
  (cd "$DEST" && npm rebuild --ignore-scripts=false argon2)
  # 3. VS Code's own production dependencies.
  (cd "$VSC" && npm install --omit=dev --ignore-scripts)
  # 4. Debian's rg where @vscode/ripgrep would download one.
  local rg_path
  rg_path="$(command -v rg)" || fail "ripgrep (rg) is not on PATH"
  mkdir -p "$VSC/node_modules/@vscode/ripgrep/bin"
  ln -sf "$rg_path" "$VSC/node_modules/@vscode/ripgrep/bin/rg"
  # 5. Native modules (node-pty, kerberos, spdlog, watchers...).
  (cd "$VSC" && npm rebuild --ignore-scripts=false)
  # 6. The rest of code-server's postinstall.sh.
  (cd "$VSC" && ln -sfn node_modules node_modules.asar)
  (cd "$VSC/bin/remote-cli" && ln -sf code-linux.sh code-server)
  (cd "$VSC/bin/helpers" && ln -sf browser-linux.sh browser.sh)
  (cd "$VSC/extensions" && npm install --omit=dev --ignore-scripts=false)

  check_native_modules
  [ -f "$VSC/out/server-main.js" ] || fail "code-server is incomplete: $VSC/out/server-main.js is missing"
  local version
  # Its --version writes a default config file under XDG_CONFIG_HOME: keep that out of ~/.config.
  version="$(XDG_CONFIG_HOME="$DEST/.config" node "$CS/out/node/entry.js" --version | grep -E "^[0-9]+\.[0-9]+" | head -1 || true)"
  case "$version" in
    "$CODE_SERVER_VERSION"*) ;;
    *) fail "code-server --version says '$version', expected $CODE_SERVER_VERSION" ;;
  esac
  echo "$CODE_SERVER_VERSION" >"$MARKER"
  log "code-server $version ready in $DEST"
}

ensure_packages
if code_server_ok; then
  log "code-server $CODE_SERVER_VERSION present in $DEST (skipped)"
else
  install_code_server
fi
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] || fail "Chromium not found at $CHROMIUM (set CHROMIUM_PATH)"
log "ready"
