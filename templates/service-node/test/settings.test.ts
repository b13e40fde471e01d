import assert from "node:assert/strict";
import { test } from "node:test";

import { ConfigurationError, defaultDownstreamUrl, drainSeconds, loadSettings } from "../src/settings.js";

test("defaults follow the platform contract", () => {
  const settings = loadSettings({}, ["inventory"]);
  assert.equal(settings.host, "0.0.0.0");
  assert.equal(settings.httpRetries, 2);
  assert.equal(settings.breakerFailMax, 5);
  assert.equal(settings.sampler, "parentbased_traceidratio");
  assert.equal(settings.samplerArg, 0.1);
  assert.deepEqual(settings.downstreams, { inventory: defaultDownstreamUrl("inventory") });
  assert.equal(drainSeconds(settings), 18);
});

test("APP_DOWNSTREAMS moves a declared downstream and log levels ignore case", () => {
  const env = { APP_DOWNSTREAMS: '{"inventory": "http://127.0.0.1:9000/"}', APP_LOG_LEVEL: "warning" };
  const settings = loadSettings(env, ["inventory"]);
  assert.equal(settings.downstreams.inventory, "http://127.0.0.1:9000");
  assert.equal(settings.logLevel, "warn");
});

test("every bad value is refused on its own line naming the variable", () => {
  const env = { APP_PORT: "eighty", APP_HTTP_RETRIES: "-1", APP_ACCESS_LOG: "maybe", OTEL_TRACES_SAMPLER: "sometimes" };
  assert.throws(
    () => loadSettings(env, []),
    (error: unknown) => {
      assert.ok(error instanceof ConfigurationError);
      const lines = error.message.split("\n");
      assert.equal(lines.length, 4);
      assert.match(lines[0] ?? "", /^invalid configuration: APP_PORT: must be an integer from 1 to 65535 \(got "eighty"\)$/);
      assert.match(error.message, /APP_HTTP_RETRIES/);
      assert.match(error.message, /APP_ACCESS_LOG: must be true or false/);
      assert.match(error.message, /OTEL_TRACES_SAMPLER/);
      return true;
    },
  );
});

test("an undeclared downstream is refused with the names that are declared", () => {
  assert.throws(
    () => loadSettings({ APP_DOWNSTREAMS: '{"payments": "http://x:1"}' }, ["inventory"]),
    /APP_DOWNSTREAMS: names payments, which this service does not declare \(declared: inventory\)/,
  );
  assert.throws(() => loadSettings({ APP_DOWNSTREAMS: "[1" }, ["inventory"]), /APP_DOWNSTREAMS: not valid JSON/);
});
