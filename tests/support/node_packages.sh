# Sourced by the scripts that run tests under Node (tests/clients/run.sh, tests/browser/run.sh).
# require_node_packages DIR: fails (never skips) when Node is missing or older than 18, or when a
# package pinned in DIR/package.json is not installed at that version in DIR/node_modules.
# The caller defines fail() and install_hint.
require_node_packages() {
  local dir=$1 node_major stale
  command -v node >/dev/null || fail "node is not installed; $install_hint"
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  ((node_major >= 18)) || fail "node $(node --version) is too old (18 or newer needed); $install_hint"
  if ! stale=$(cd "$dir" && node -e '
    const fs = require("fs");
    const wanted = JSON.parse(fs.readFileSync("package.json", "utf8")).dependencies;
    const wrong = Object.entries(wanted).filter(([name, version]) => {
      try { return JSON.parse(fs.readFileSync(`node_modules/${name}/package.json`, "utf8")).version !== version; }
      catch { return true; }
    });
    console.log(wrong.map(([name, version]) => `${name}@${version}`).join(" "));
    process.exit(wrong.length ? 1 : 0);'); then
    fail "not installed in $dir/node_modules: $stale; $install_hint"
  fi
}
