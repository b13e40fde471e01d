import assert from "node:assert/strict";
import { test } from "node:test";

import { Registry } from "prom-client";

import { BucketHistogram } from "../src/histogram.js";

test("the registry writes cumulative buckets up to +Inf, a value on a bound counting in it, then sum and count", async () => {
  const registry = new Registry();
  const histogram = new BucketHistogram<"route">("h_seconds", "help text", [0.1, 1], registry);
  const series = histogram.addSeries({ route: "/a" });
  for (const value of [0.05, 0.1, 0.5, 3]) histogram.observe(series, value);
  const lines = (await registry.metrics()).trim().split("\n");
  assert.deepEqual(lines, [
    "# HELP h_seconds help text",
    "# TYPE h_seconds histogram",
    'h_seconds_bucket{le="0.1",route="/a"} 2',
    'h_seconds_bucket{le="1",route="/a"} 3',
    'h_seconds_bucket{le="+Inf",route="/a"} 4',
    'h_seconds_sum{route="/a"} 3.65',
    'h_seconds_count{route="/a"} 4',
  ]);
  registry.resetMetrics();
  assert.match(await registry.metrics(), /h_seconds_count\{route="\/a"\} 0/);
});
