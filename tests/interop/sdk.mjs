// Node side of the hookguard SDK interoperability test (driven by interop.py).
//
// interop.py copies this file next to target/interop/node/node_modules before running it, so the
// bare imports below resolve to the pinned packages from tests/interop/package.json.
//
// Protocol: one JSON request on stdin, one JSON answer on stdout.
//   {"op":"github-sign",   "secret":S, "payload":P}                    -> {"signature":"sha256=..."}
//   {"op":"github-verify", "secret":S, "payload":P, "signature":SIG}    -> {"valid":bool}
//   {"op":"discord-verify","body_b64":B, "signature":HEX, "timestamp":TS, "publicKey":HEX} -> {"valid":bool}
//   {"op":"mux-sign",      "secret":S, "payload":P, "timestamp":T}     -> {"header":"t=T,v1=<hex>"}
//       (Mux's SDK has no signing helper; this is its own webhooks.computeSignature over `${t}.${body}`)
//   {"op":"mux-verify",    "secret":S, "payload":P, "headers":{..}, "now_ms":MS?}
//                                                                       -> {"valid":bool,"reason":..}
//   {"op":"linear-verify", "secret":S, "payload":P, "signature":HEX, "now_ms":MS?}
//                                                                       -> {"valid":bool,"reason":..}
//       now_ms (optional) stubs Date.now() for the SDK's timestamp-tolerance check.
//   {"op":"versions"}                                                   -> {"<pkg>":"<version>",...}
// Errors: {"error":"..."} and exit code 1. Secrets travel on stdin only and are never echoed.
import { readFileSync } from "node:fs";
import { sign, verify } from "@octokit/webhooks-methods";
import { verifyKey } from "discord-interactions";
import Mux from "@mux/mux-node";
import { LinearWebhookClient } from "@linear/sdk/webhooks";

const req = JSON.parse(readFileSync(0, "utf8"));

const PKGS = ["@octokit/webhooks-methods", "discord-interactions", "@mux/mux-node", "@linear/sdk"];

function mux(secret) {
  // dummy API credentials: only the webhook helpers are used, nothing goes over the network
  return new Mux({ tokenId: "interop", tokenSecret: "interop", webhookSecret: secret });
}

// SDK verify calls throw to reject: report that as {valid:false} with the message
async function verdict(fn) {
  try {
    const r = await fn();
    return { valid: r === undefined || r === true, reason: r === undefined || r === true ? "" : String(r) };
  } catch (e) {
    return { valid: false, reason: String(e && e.message ? e.message : e) };
  }
}

async function run(r) {
  if (typeof r.now_ms === "number") {
    const fixed = r.now_ms;
    Date.now = () => fixed;
  }
  switch (r.op) {
    case "mux-sign": {
      const sig = await mux(r.secret).webhooks.computeSignature(`${r.timestamp}.${r.payload}`, r.secret);
      return { header: `t=${r.timestamp},v1=${sig}` };
    }
    case "mux-verify":
      return verdict(() => mux(r.secret).webhooks.verifySignature(r.payload, r.headers, r.secret));
    case "linear-verify":
      return verdict(() => new LinearWebhookClient(r.secret).verify(r.payload, r.signature));
    case "github-sign":
      return { signature: await sign(r.secret, r.payload) };
    case "github-verify":
      return { valid: await verify(r.secret, r.payload, r.signature) };
    case "discord-verify": {
      const body = Buffer.from(r.body_b64, "base64");
      return { valid: await verifyKey(body, r.signature, r.timestamp, r.publicKey) };
    }
    case "versions": {
      const out = {};
      for (const p of PKGS) {
        const pj = new URL(`./node_modules/${p}/package.json`, import.meta.url);
        out[p] = JSON.parse(readFileSync(pj, "utf8")).version;
      }
      return out;
    }
    default:
      throw new Error(`unknown op ${r.op}`);
  }
}

try {
  process.stdout.write(JSON.stringify(await run(req)) + "\n");
} catch (e) {
  process.stdout.write(JSON.stringify({ error: String(e && e.message ? e.message : e) }) + "\n");
  process.exitCode = 1;
}
