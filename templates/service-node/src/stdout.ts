// stdout for the JSON log lines: the lines logged during one turn of the event loop are written together when
// the turn ends (setImmediate), through pino's synchronous destination. Under load that is one write call for
// every request served in the turn instead of one per line (bench/service-node, docs/adr/0020); at low rates a
// turn holds a single line, written before the loop waits again. Nothing waits longer than the turn, and the
// process's exit (process.exit, an uncaught exception) writes what is left.
import { pino, type DestinationStream } from "pino";

/** A turn's lines are written early once they reach this many characters. */
const MAX_BATCH_CHARS = 64 * 1024;

export class TurnBatch implements DestinationStream {
  private lines: string[] = [];
  private size = 0;
  private scheduled = false;

  constructor(private readonly out: { write(text: string): unknown }) {}

  write(line: string): void {
    this.lines.push(line);
    this.size += line.length;
    if (this.size >= MAX_BATCH_CHARS) {
      this.flush();
    } else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Write the lines held so far. */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.lines.length === 0) return;
    const text = this.lines.length === 1 ? (this.lines[0] ?? "") : this.lines.join("");
    this.lines = [];
    this.size = 0;
    this.out.write(text);
  };
}

export const stdout = new TurnBatch(pino.destination({ dest: 1, sync: true }));
// process.exit() (the end of the graceful shutdown, a refused start) and an uncaught exception both end here.
process.on("exit", () => {
  stdout.flush();
});
