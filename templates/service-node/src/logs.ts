// Logs: one JSON object per line on stdout (pino). Keys (the platform contract): timestamp (ISO 8601, UTC, ms),
// level, event, service, and inside a request trace_id / span_id. Lines are written asynchronously: while one
// write is in flight the next lines queue and go out together (no write call per request under load), and
// flushLogs() writes whatever is queued before the process exits.
import { pino, type DestinationStream, type Logger } from "pino";

import type { LogLevel } from "./settings.js";

export type { Logger };

const stdout = pino.destination({ dest: 1, sync: false });

/** Write every queued line now (at exit: after the last request, before process.exit). */
export function flushLogs(): void {
  stdout.flushSync();
}

export function buildLogger(service: string, level: LogLevel, destination: DestinationStream = stdout): Logger {
  return pino(
    {
      level,
      base: { service },
      messageKey: "event",
      timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
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
