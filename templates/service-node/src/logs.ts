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
