// An integrator's client in another language: ethers v6, working from docs/integrating.md.
// It signs an IP batch and an EPCIS document's TraceBatch as the enterprise, posts them to a
// zone's intake API, waits until both are confirmed and prints what it saw as one JSON line.
//
//   node tests/js/intake_client.mjs BASE_URL ENTERPRISE_PRIVATE_KEY LABEL
import { createHash } from "node:crypto";
import { TypedDataEncoder, Wallet, getAddress } from "ethers";

const [base, privateKey, label] = process.argv.slice(2);
if (!base || !privateKey || !label) {
  console.error("usage: node intake_client.mjs BASE_URL ENTERPRISE_PRIVATE_KEY LABEL");
  process.exit(2);
}
const wallet = new Wallet(privateKey);
const ZERO = "0x" + "00".repeat(32);

// The EIP-712 types, as the guide lists them (ethers wants them without EIP712Domain).
const IP_TYPES = {
  IpBatch: [
    { name: "owner", type: "address" },
    { name: "zoneId", type: "bytes32" },
    { name: "items", type: "IpItem[]" },
    { name: "deadline", type: "uint64" },
  ],
  IpItem: [
    { name: "contentHash", type: "bytes32" },
    { name: "workType", type: "uint8" },
    { name: "titleHash", type: "bytes32" },
  ],
};
const TRACE_TYPES = {
  TraceBatch: [
    { name: "enterprise", type: "address" },
    { name: "zoneId", type: "bytes32" },
    { name: "events", type: "TraceItem[]" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
  TraceItem: [
    { name: "eventId", type: "bytes32" },
    { name: "eventType", type: "uint8" },
    { name: "action", type: "uint8" },
    { name: "bizStep", type: "uint16" },
    { name: "disposition", type: "uint16" },
    { name: "eventTime", type: "uint64" },
    { name: "whereHash", type: "bytes32" },
    { name: "inputs", type: "bytes32[]" },
    { name: "outputs", type: "bytes32[]" },
  ],
};

let session = null; // the bearer token of a Sign-In with Ethereum session

async function call(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  if (session) headers.Authorization = `Bearer ${session}`;
  const reply = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await reply.json();
  if (reply.status >= 400) {
    throw new Error(`${method} ${path}: ${reply.status} ${JSON.stringify(answer)}`);
  }
  return { status: reply.status, answer };
}

// Sign in as the guide says (EIP-4361): the message is laid out here from the nonce's
// answer, not by this project's code, and signed with ethers' personal_sign.
async function signIn() {
  const { answer: n } = await call("POST", "/v1/auth/nonce");
  const message = [
    `${n.domain} wants you to sign in with your Ethereum account:`,
    wallet.address,
    "",
    n.statement,
    "",
    `URI: ${n.uri}`,
    "Version: 1",
    `Chain ID: ${n.chain_id}`,
    `Nonce: ${n.nonce}`,
    `Issued At: ${new Date().toISOString()}`,
  ].join("\n");
  const signature = await wallet.signMessage(message);
  const { answer } = await call("POST", "/v1/auth/login", { message, signature });
  if (answer.caller.address !== wallet.address.toLowerCase()) {
    fail(`signed in as ${answer.caller.address}, not ${wallet.address}`);
  }
  session = answer.token;
  return answer.caller;
}

function fail(message) {
  throw new Error(message);
}

async function waitConfirmed(id) {
  for (let i = 0; i < 600; i++) {
    const { answer } = await call("GET", `/v1/submissions/${id}`);
    if (answer.state === "confirmed") return answer;
    if (answer.state === "failed") fail(`submission ${id} failed: ${answer.error}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  fail(`submission ${id} not confirmed within 60 s`);
}

const { answer: chain } = await call("GET", "/v1/chain");
const deadline = Math.floor(Date.now() / 1000) + 3600;

// 1. An IP batch, built here entirely: the content hash is the SHA-256 of the work.
const works = [1, 2, 3].map(
  (i) => "0x" + createHash("sha256").update(`${label} work ${i}`).digest("hex"),
);
const ipMessage = {
  owner: wallet.address,
  zoneId: chain.zoneId,
  items: works.map((contentHash) => ({ contentHash, workType: 1, titleHash: ZERO })),
  deadline,
};
const ipDomain = chain.domains.IpRegistry;
const ipSignature = await wallet.signTypedData(ipDomain, IP_TYPES, ipMessage);
const ip = await call("POST", "/v1/submissions", {
  kind: "ip-batch",
  message: ipMessage,
  signature: ipSignature,
});
if (ip.status !== 202) fail(`ip-batch answered ${ip.status}, not 202`);
// The submission id is the EIP-712 digest: the zone and ethers must agree on it.
const ipDigest = TypedDataEncoder.hash(ipDomain, IP_TYPES, ipMessage);
if (ip.answer.id !== ipDigest) fail(`ip-batch id ${ip.answer.id} is not the digest ${ipDigest}`);

// 2. An EPCIS document: the zone computes the events (it holds the consortium key for the
// keyed fields); the client checks the typed data names itself, the zone and the domain.
const document = {
  "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
  type: "EPCISDocument",
  schemaVersion: "2.0",
  creationDate: "2026-11-20T09:00:00+08:00",
  epcisBody: {
    eventList: [
      {
        type: "ObjectEvent",
        eventTime: "2026-11-20T08:00:00+08:00",
        eventTimeZoneOffset: "+08:00",
        epcList: [`urn:epc:id:sgtin:4012345.011111.${label.length}${Date.now() % 100000}`],
        action: "ADD",
        bizStep: "commissioning",
        disposition: "active",
        readPoint: { id: "urn:epc:id:sgln:4012345.00001.0" },
      },
      {
        type: "ObjectEvent",
        eventTime: "2026-11-20T10:00:00+08:00",
        eventTimeZoneOffset: "+08:00",
        epcList: [`urn:epc:id:sgtin:4012345.011111.${label.length}${Date.now() % 100000}`],
        action: "OBSERVE",
        bizStep: "shipping",
        disposition: "in_transit",
        readPoint: { id: "urn:epc:id:sgln:4012345.00001.0" },
      },
    ],
  },
};
const caller = await signIn();
const { answer: items } = await call("POST", "/v1/trace/items", {
  enterprise: wallet.address,
  document,
});
const traceMessage = items.typedData.message;
if (getAddress(traceMessage.enterprise) !== wallet.address) fail("the events name another enterprise");
if (traceMessage.zoneId !== chain.zoneId) fail("the events name another zone");
if (traceMessage.events.length !== 2) fail("expected two events");
for (const [i, event] of traceMessage.events.entries()) {
  // The event id is the hex digest inside the CBV 2.0 Event Hash ID.
  const hashId = items.hashIds[i];
  if (!hashId.startsWith("ni:///sha-256;") || `0x${hashId.slice(14, 78)}` !== event.eventId) {
    fail(`event ${i}: id ${event.eventId} is not the digest of ${hashId}`);
  }
}
const traceDomain = chain.domains.Traceability;
const traceSignature = await wallet.signTypedData(traceDomain, TRACE_TYPES, traceMessage);
const trace = await call("POST", "/v1/submissions", {
  kind: "trace-batch",
  message: traceMessage,
  signature: traceSignature,
  document,
});
const traceDigest = TypedDataEncoder.hash(traceDomain, TRACE_TYPES, traceMessage);
if (trace.answer.id !== traceDigest) fail(`trace id ${trace.answer.id} is not ${traceDigest}`);
// Posting the same signed message again is the same submission.
const again = await call("POST", "/v1/submissions", {
  kind: "trace-batch",
  message: traceMessage,
  signature: traceSignature,
  document,
});
if (again.status !== 200 || again.answer.id !== trace.answer.id) fail("a resubmission made a new one");

const ipDone = await waitConfirmed(ip.answer.id);
const traceDone = await waitConfirmed(trace.answer.id);
console.log(
  JSON.stringify({
    enterprise: wallet.address,
    signed_in: caller,
    ip: { id: ipDone.id, tx_hash: ipDone.tx_hash, works },
    trace: {
      id: traceDone.id,
      tx_hash: traceDone.tx_hash,
      event_ids: traceMessage.events.map((e) => e.eventId),
    },
  }),
);
