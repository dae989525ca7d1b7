// In a child of `sluice up`: when the supervisor's IPC channel closes (the supervisor exited, even by
// SIGKILL), stop as if asked with SIGTERM, so no bus or service outlives the system it belonged to.
const GIVE_UP_MS = 20_000;

/** True when this process was started with an IPC channel (by the supervisor). */
export function watchSupervisor(): boolean {
  if (process.channel === undefined) return false;
  process.once('disconnect', () => {
    process.kill(process.pid, 'SIGTERM');
    setTimeout(() => process.exit(1), GIVE_UP_MS).unref();
  });
  // Listening for 'disconnect' refs the channel; the child's own work decides how long it runs.
  process.channel.unref();
  return true;
}
