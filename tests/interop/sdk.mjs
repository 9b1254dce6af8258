// Node side of the hookguard SDK interoperability test (driven by interop.py).
//
// interop.py copies this file next to target/interop/node/node_modules before running it, so the
// bare imports below resolve to the pinned packages from tests/interop/package.json.
//
// Protocol: one JSON request on stdin, one JSON answer on stdout.
//   {"op":"github-sign",   "secret":S, "payload":P}                    -> {"signature":"sha256=..."}
//   {"op":"github-verify", "secret":S, "payload":P, "signature":SIG}    -> {"valid":bool}
//   {"op":"discord-verify","body_b64":B, "signature":HEX, "timestamp":TS, "publicKey":HEX} -> {"valid":bool}
//   {"op":"versions"}                                                   -> {"<pkg>":"<version>",...}
// Errors: {"error":"..."} and exit code 1. Secrets travel on stdin only and are never echoed.
import { readFileSync } from "node:fs";
import { sign, verify } from "@octokit/webhooks-methods";
import { verifyKey } from "discord-interactions";

const req = JSON.parse(readFileSync(0, "utf8"));

async function run(r) {
  switch (r.op) {
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
      for (const p of ["@octokit/webhooks-methods", "discord-interactions"]) {
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
