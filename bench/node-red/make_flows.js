// Writes the Node-RED flow of the engine benchmark's comparison run to the file named by its
// argument (`serve` does, at each start), from the function bodies below: they stay code here,
// not strings inside JSON. Usage: node make_flows.js FLOWS.json
const fs = require("fs");

// The webhook: Stripe's signature checked as Weft checks it (HMAC-SHA256 over "t.body", five
// minutes' tolerance), the event mapped to the canonical invoice.paid of the benchmark's jq
// mapping, the platform answered. Output 1: the answer; output 2: the workflow's start.
function verifyAndMap(msg) {
  const crypto = global.get("crypto");
  const raw = msg.payload;  // a Buffer: the route skips body parsing so the bytes are signed
  let signedAt = null;
  const candidates = [];
  for (const part of String(msg.req.headers["stripe-signature"] || "").split(",")) {
    const at = part.indexOf("=");
    if (at < 0) continue;
    const key = part.slice(0, at).trim();
    if (key === "t") signedAt = part.slice(at + 1).trim();
    if (key === "v1") candidates.push(Buffer.from(part.slice(at + 1).trim(), "hex"));
  }
  const fresh = signedAt !== null && Math.abs(Date.now() / 1000 - Number(signedAt)) <= 300;
  const expected = fresh
    ? crypto.createHmac("sha256", env.get("WEBHOOK_SECRET")).update(signedAt + ".").update(raw).digest()
    : null;
  const signed = expected !== null &&
    candidates.some((c) => c.length === expected.length && crypto.timingSafeEqual(c, expected));
  let event = null;
  if (signed) {
    try { event = JSON.parse(raw.toString("utf8")); } catch (e) { event = null; }
  }
  if (!event) {
    msg.statusCode = 400;
    msg.payload = { error: signed ? "the body is not JSON" : "the signature does not verify" };
    return [msg, null];
  }
  msg.statusCode = 200;
  msg.payload = { status: "accepted", connector: "stripe" };
  if (event.type !== "invoice.paid") return [msg, null];
  const invoice = event.data.object;
  const canonical = {
    type: "invoice.paid", schema_version: 1, business_key: invoice.customer,
    payload: { invoice_id: invoice.id, customer_id: invoice.customer, currency: "usd",
               total: invoice.amount_paid, amount_paid: invoice.amount_paid },
  };
  return [msg, { instance: "nr_" + event.id, event: canonical }];
}

// The three-steps workflow: each call's request, then (when its answer comes back through the
// same node) the next. msg.step is the call in flight; the first call's output feeds the second.
function nextCall(msg) {
  const steps = ["first", "second", "third"];
  if (msg.step === undefined) {
    msg.step = 0;
  } else {
    if (!(msg.statusCode >= 200 && msg.statusCode < 300)) {
      node.warn(msg.instance + " step " + steps[msg.step] + ": " + msg.statusCode);
      return null;
    }
    if (msg.step === 0) msg.first = msg.payload;
    msg.step += 1;
    if (msg.step === steps.length) return null;
  }
  const step = steps[msg.step];
  const body = { instance: msg.instance, step: step };
  if (step === "second") body.after = msg.first.id;
  else body.invoice = msg.event.payload.invoice_id;
  msg.url = env.get("TARGET_URL") + "/effects";
  msg.method = "POST";
  msg.headers = { "Content-Type": "application/json", "Idempotency-Key": msg.instance + ":" + step };
  msg.payload = body;
  return msg;
}

const bodyOf = (f) => f.toString().replace(/^function \w+\(msg\) \{\n/, "").replace(/\}$/, "");
const tab = "weft-benchmark";
const flows = [
  { id: tab, type: "tab", label: "weft workflow benchmark" },
  { id: "webhook", type: "http in", z: tab, url: "/hooks/stripe", method: "post", upload: false,
    skipBodyParsing: true, swaggerDoc: "", wires: [["verify"]] },
  { id: "verify", type: "function", z: tab, name: "verify and map", func: bodyOf(verifyAndMap),
    outputs: 2, wires: [["answer"], ["call"]] },
  { id: "answer", type: "http response", z: tab, statusCode: "", headers: {}, wires: [] },
  { id: "call", type: "function", z: tab, name: "next call", func: bodyOf(nextCall), outputs: 1,
    wires: [["request"]] },
  { id: "request", type: "http request", z: tab, method: "use", ret: "obj", paytoqs: "ignore",
    url: "", persist: true, senderr: false, headers: [], wires: [["call"]] },
  // The benchmark waits for /healthz and reads /metrics (empty here: no Weft metrics).
  { id: "healthz", type: "http in", z: tab, url: "/healthz", method: "get", wires: [["ok"]] },
  { id: "metrics", type: "http in", z: tab, url: "/metrics", method: "get", wires: [["ok"]] },
  { id: "ok", type: "http response", z: tab, statusCode: "200", headers: {}, wires: [] },
];
if (process.argv.length !== 3) {
  console.error("usage: node make_flows.js FLOWS.json");
  process.exit(2);
}
fs.writeFileSync(process.argv[2], JSON.stringify(flows, null, 2) + "\n");
