// The service's own API. Demo routes to start from (replace them with real ones):
// - GET /v1/hello: a trivial answer (the benchmark's target);
// - GET /v1/chain: calls /v1/chain on every declared downstream through the resilient client and nests their
//   answers, so one request through a fleet makes one trace across every service it touches;
// - POST /v1/chain: the same with POST, a non-idempotent call (never retried).
// Both /v1/chain routes are the platform contract's conformance hooks: `groundwork conform` drives outbound
// calls through them.
import { ROOT_CONTEXT, type Context } from "@opentelemetry/api";
import type { FastifyInstance, FastifyReply } from "fastify";

import { DownstreamError, type DownstreamClient } from "./downstream.js";

async function chainCall(client: DownstreamClient, method: string, context: Context): Promise<unknown> {
  try {
    const answer = await client.request(method, "/v1/chain", context);
    if (answer.status !== 200) return new DownstreamError(client.name, `status ${answer.status}`);
    try {
      return JSON.parse(answer.body) as unknown;
    } catch {
      return new DownstreamError(client.name, "answer is not JSON");
    }
  } catch (error) {
    if (error instanceof DownstreamError) return error;
    throw error;
  }
}

export function installApi(
  app: FastifyInstance,
  service: string,
  downstreams: Readonly<Record<string, DownstreamClient>>,
): void {
  app.get("/v1/hello", () => ({ service, message: "hello" }));

  const chain = async (method: string, context: Context, reply: FastifyReply): Promise<unknown> => {
    const names = Object.keys(downstreams);
    const results = await Promise.all(
      names.map((name) => chainCall(downstreams[name] as DownstreamClient, method, context)),
    );
    const failed: Record<string, string> = {};
    const answers: Record<string, unknown> = {};
    names.forEach((name, i) => {
      const result = results[i];
      if (result instanceof DownstreamError) failed[name] = result.reason;
      else answers[name] = result;
    });
    if (Object.keys(failed).length > 0) {
      return reply.code(502).send({ service, error: "downstream call failed", failed });
    }
    return { service, downstreams: answers };
  };

  app.get("/v1/chain", (request, reply) => chain("GET", request.traceContext ?? ROOT_CONTEXT, reply));
  app.post("/v1/chain", (request, reply) => chain("POST", request.traceContext ?? ROOT_CONTEXT, reply));
}
