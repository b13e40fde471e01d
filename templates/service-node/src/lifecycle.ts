// Where the process is in its life: starting, started, draining. The probes read it.
export class Lifecycle {
  started = false;
  draining = false;

  markStarted(): void {
    this.started = true;
  }

  beginDraining(): void {
    this.draining = true;
  }
}
