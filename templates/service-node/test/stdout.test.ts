import assert from "node:assert/strict";
import { setImmediate as nextTurn } from "node:timers/promises";
import { test } from "node:test";

import { TurnBatch } from "../src/stdout.js";

function recorder(): { writes: string[]; out: { write(text: string): void } } {
  const writes: string[] = [];
  return { writes, out: { write: (text) => writes.push(text) } };
}

test("the lines of one event-loop turn reach stdout in one write, before the next turn", async () => {
  const { writes, out } = recorder();
  const batch = new TurnBatch(out);
  batch.write('{"n":1}\n');
  batch.write('{"n":2}\n');
  assert.deepEqual(writes, []);
  await nextTurn();
  assert.deepEqual(writes, ['{"n":1}\n{"n":2}\n']);
  batch.write('{"n":3}\n');
  await nextTurn();
  assert.deepEqual(writes, ['{"n":1}\n{"n":2}\n', '{"n":3}\n']);
});

test("a turn's lines are written early once they pass 64 KiB, and flush writes the rest at once", () => {
  const { writes, out } = recorder();
  const batch = new TurnBatch(out);
  const line = `${"x".repeat(1023)}\n`;
  for (let i = 0; i < 65; i += 1) batch.write(line);
  assert.equal(writes.length, 1);
  assert.equal(writes[0]?.length, 64 * 1024);
  batch.flush();
  assert.deepEqual(writes.slice(1), [line]);
  batch.flush();
  assert.equal(writes.length, 2);
});
