// `node dist/src/main.js`: read the settings from the environment, wire the service and serve.
import { buildService } from "./app.js";
import { serve } from "./server.js";
import { ConfigurationError, loadSettings, type Settings } from "./settings.js";
import { buildTracerProvider } from "./tracing.js";

function settingsOrExit(): Settings {
  try {
    return loadSettings();
  } catch (error) {
    if (error instanceof ConfigurationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

const settings = settingsOrExit();
const provider = buildTracerProvider(settings);
await serve(buildService(settings, provider), settings, provider);
