import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";

import { ROOT_CONTEXT, trace } from "@opentelemetry/api";

import { DownstreamClient, DownstreamError, type ClientPolicy } from "../src/downstream.js";
import { buildLogger } from "../src/logs.js";

// A real downstream on loopback that answers 503 and counts the attempts by method.
let server: Server;
let base = "";
const attempts: string[] = [];

before(async () => {
  server = createServer((request, response) => {
    attempts.push(request.method ?? "");
    response.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.close();
});

const policy: ClientPolicy = {
  timeoutSeconds: 1,
  retries: 2,
  backoffSeconds: 0.001,
  maxConnections: 2,
  breakerFailMax: 100,
  breakerResetSeconds: 10,
};

function client(overrides: Partial<ClientPolicy> = {}): DownstreamClient {
  const log = buildLogger("test", "error");
  return new DownstreamClient("beta", base, { ...policy, ...overrides }, trace.getTracer("test"), undefined, log);
}

test("GET is retried APP_HTTP_RETRIES times on 503, POST is tried once", async () => {
  const beta = client();
  attempts.length = 0;
  await assert.rejects(beta.request("GET", "/v1/chain", ROOT_CONTEXT), (e: unknown) => e instanceof DownstreamError && e.reason === "status 503");
  assert.deepEqual(attempts, ["GET", "GET", "GET"]);
  attempts.length = 0;
  await assert.rejects(beta.request("POST", "/v1/chain", ROOT_CONTEXT), DownstreamError);
  assert.deepEqual(attempts, ["POST"]);
  await beta.close();
});

test("the breaker opens after APP_BREAKER_FAIL_MAX failures and then rejects without a network attempt", async () => {
  const beta = client({ retries: 0, breakerFailMax: 2 });
  attempts.length = 0;
  await assert.rejects(beta.request("GET", "/", ROOT_CONTEXT), DownstreamError);
  await assert.rejects(beta.request("GET", "/", ROOT_CONTEXT), DownstreamError);
  await assert.rejects(beta.request("GET", "/", ROOT_CONTEXT), (e: unknown) => e instanceof DownstreamError && e.reason === "circuit open");
  assert.equal(attempts.length, 2);
  await beta.close();
});
