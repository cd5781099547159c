// Node-RED's settings for the engine benchmark's comparison run (workflow_bench --node-red):
// the flow only, on loopback, no editor, logging at warn. `serve` sets the environment.
const path = require("path");

module.exports = {
  uiHost: "127.0.0.1",
  uiPort: Number(process.env.NODE_RED_PORT),
  userDir: process.env.NODE_RED_USER_DIR,
  flowFile: path.join(process.env.NODE_RED_USER_DIR, "flows.json"),
  credentialSecret: false,
  // No editor and no admin API: the hub under measurement serves the flow's endpoints only.
  httpAdminRoot: false,
  disableEditor: true,
  // The flow's function nodes verify Stripe's HMAC signature with Node's crypto.
  functionGlobalContext: { crypto: require("crypto") },
  logging: { console: { level: "warn", metrics: false, audit: false } },
  diagnostics: { enabled: false },
  runtimeState: { enabled: false },
  telemetry: { enabled: false },
  externalModules: { autoInstall: false, palette: { allowInstall: false } },
};
