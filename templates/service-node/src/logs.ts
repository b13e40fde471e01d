// Logs: one JSON object per line on stdout (pino). Keys (the platform contract): timestamp (ISO 8601, UTC, ms),
// level, event, service, and inside a request trace_id / span_id. Each line is written at once (pino's
// synchronous destination, its default for stdout): nothing is lost when the process dies, and no line waits
// in a buffer. (The asynchronous one re-measures its whole pending buffer on every line and hands each batch to
// a worker thread: more CPU per request under load, bench/service-node.)
import { pino, type DestinationStream, type Logger } from "pino";

import type { LogLevel } from "./settings.js";

export type { Logger };

const stdout = pino.destination({ dest: 1, sync: true });

/** Write anything still buffered (at exit: after the last request, before process.exit). */
export function flushLogs(): void {
  stdout.flushSync();
}

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

export interface RequestLine {
  method: string;
  route: string;
  path: string;
  status: number;
  duration_ms: number;
  // The contract's keys, spelled as they appear in the JSON line: the current span's ids (32 and 16 hex).
  "trace_id"?: string;
  "span_id"?: string;
}

/** The access log: one `event="request"` line per request, or nothing when APP_ACCESS_LOG is false or
 * APP_LOG_LEVEL is above INFO. */
export function buildAccessLog(log: Logger, enabled: boolean): ((line: RequestLine) => void) | undefined {
  if (!enabled || !log.isLevelEnabled("info")) return undefined;
  return (line) => {
    log.info(line, "request");
  };
}
