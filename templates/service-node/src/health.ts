// Probes: /livez (the process), /readyz (dependencies and not draining), /startupz (start-up done).
// Readiness runs every check concurrently, each bounded by APP_READINESS_TIMEOUT_SECONDS. A check is an async
// function returning undefined when healthy or a short reason when not; add your own (a database, a queue)
// to the `checks` given to the app.
import type { FastifyInstance } from "fastify";
import { Agent, request } from "undici";

import type { Lifecycle } from "./lifecycle.js";

export type Check = (signal: AbortSignal) => Promise<string | undefined>;

const OK = "ok";
const SHUTDOWN = "shutdown";

/** Healthy when the downstream's /livez answers 200: reachable and alive. (Not its /readyz: one service's
 * missing dependency must not take every caller out of rotation.) Probes use their own small pool. */
export function downstreamCheck(agent: Agent, baseUrl: string): Check {
  return async (signal) => {
    try {
      const answer = await request(`${baseUrl}/livez`, { dispatcher: agent, signal });
      await answer.body.dump();
      return answer.statusCode === 200 ? undefined : `status ${answer.statusCode}`;
    } catch (error) {
      if (signal.aborted) return "timeout";
      return `unreachable (${(error as NodeJS.ErrnoException).code ?? (error as Error).name})`;
    }
  };
}

async function run(check: Check, timeoutSeconds: number): Promise<string> {
  const signal = AbortSignal.timeout(timeoutSeconds * 1000);
  try {
    return (await check(signal)) ?? OK;
  } catch (error) {
    return signal.aborted ? "timeout" : `error (${(error as Error).name})`; // a broken check reports
  }
}

export function installHealth(
  app: FastifyInstance,
  lifecycle: Lifecycle,
  checks: Readonly<Record<string, Check>>,
  timeoutSeconds: number,
): void {
  app.get("/livez", () => ({ status: "ok" }));

  app.get("/readyz", async (_request, reply) => {
    if (lifecycle.draining) {
      return reply.code(503).send({ status: "not ready", failed: [SHUTDOWN], checks: { [SHUTDOWN]: "draining" } });
    }
    const names = Object.keys(checks);
    const results = await Promise.all(names.map((name) => run(checks[name] as Check, timeoutSeconds)));
    const outcome = Object.fromEntries(names.map((name, i) => [name, results[i] ?? OK]));
    const failed = names.filter((name) => outcome[name] !== OK);
    if (failed.length === 0) return { status: "ready", checks: outcome };
    return reply.code(503).send({ status: "not ready", failed, checks: outcome });
  });

  app.get("/startupz", async (_request, reply) =>
    lifecycle.started ? { status: "started" } : reply.code(503).send({ status: "starting" }),
  );
}
