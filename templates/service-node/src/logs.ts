// Logs: one JSON object per line on stdout (pino). Keys (the platform contract): timestamp (ISO 8601, UTC, ms),
// level, event, service, and inside a request trace_id / span_id. The lines of one event-loop turn are written
// together (stdout.ts).
import { pino, type DestinationStream, type Logger } from "pino";

import type { LogLevel } from "./settings.js";
import { stdout } from "./stdout.js";

export type { Logger };

let stampedAt = Number.NaN;
let stamp = "";

/** pino's timestamp fragment, formatted once per millisecond (lines of the same millisecond share it). */
function isoTimestamp(): string {
  const now = Date.now();
  if (now !== stampedAt) {
    stampedAt = now;
    stamp = `,"timestamp":"${new Date(now).toISOString()}"`;
  }
  return stamp;
}

export function buildLogger(service: string, level: LogLevel, destination: DestinationStream = stdout): Logger {
  return pino(
    {
      level,
      base: { service },
      messageKey: "event",
      timestamp: isoTimestamp,
      formatters: { level: (label) => ({ level: label === "warn" ? "warning" : label }) },
    },
    destination,
  );
}

/** The access line's own fields; `method` and `route` come from the child logger it is written through. */
export interface RequestLine {
  event: "request";
  path: string;
  status: number;
  duration_ms: number;
  // The contract's keys, spelled as they appear in the JSON line: the current span's ids (32 and 16 hex), or
  // undefined when tracing is off (pino leaves such a key out).
  "trace_id": string | undefined;
  "span_id": string | undefined;
}

export type AccessLog = (method: string, route: string, line: RequestLine) => void;

/** The access log: one `event="request"` line per request, or nothing when APP_ACCESS_LOG is false or
 * APP_LOG_LEVEL is above INFO. Each route and method (both bounded) gets a child logger, whose two fields pino
 * turns into JSON once, when the child is made, instead of on every line. */
export function buildAccessLog(log: Logger, enabled: boolean): AccessLog | undefined {
  if (!enabled || !log.isLevelEnabled("info")) return undefined;
  const children = new Map<string, Map<string, Logger>>(); // route -> method -> child
  return (method, route, line) => {
    let byMethod = children.get(route);
    if (byMethod === undefined) {
      byMethod = new Map<string, Logger>();
      children.set(route, byMethod);
    }
    let child = byMethod.get(method);
    if (child === undefined) {
      child = log.child({ method, route });
      byMethod.set(method, child);
    }
    child.info(line);
  };
}
