// The topology `sluice up` runs without --config: three independent embedded buses, one per data class,
// each with the durability and buffering its data is worth (docs/topology.md gives the reasons), the three
// consumer services and the demo producers.
const MiB = 1024 * 1024;

export const DEFAULT_TOPOLOGY = {
  dataDir: './data',
  buses: {
    // Metrics drive the dashboard and the pages a human gets: every acknowledged batch is on disk.
    metrics: { kind: 'embedded', durability: 'fsync', retentionMs: 24 * 3600 * 1000 },
    // Logs are plentiful and individually cheap: the page cache is enough, a crash may lose the last ones.
    logs: { kind: 'embedded', durability: 'none', retentionMs: 24 * 3600 * 1000 },
    // Business events (payments, accounts) are the records of truth: on disk before acknowledged, kept longer.
    events: { kind: 'embedded', durability: 'fsync', retentionMs: 7 * 24 * 3600 * 1000 },
  },
  streams: {
    metrics: {
      bus: 'metrics',
      topic: 'sluice.metrics',
      partitions: 3,
      acks: -1,
      buffer: { kind: 'disk', maxBytes: 64 * MiB, whenFull: 'drop_oldest' },
    },
    logs: {
      bus: 'logs',
      topic: 'sluice.logs',
      partitions: 3,
      acks: 1,
      buffer: { kind: 'memory', maxBytes: 16 * MiB, whenFull: 'drop_oldest' },
    },
    events: {
      bus: 'events',
      topic: 'sluice.events',
      partitions: 3,
      acks: -1,
      buffer: { kind: 'disk', maxBytes: 256 * MiB, whenFull: 'block' },
    },
  },
  components: {
    dashboard: { kind: 'dashboard', httpPort: 8700 },
    analytics: { kind: 'analytics' },
    alerting: { kind: 'alerting' },
    'frontend-a': { kind: 'frontend' },
    'frontend-b': { kind: 'frontend' },
    'db-monitor': { kind: 'db-monitor' },
    payments: { kind: 'payments' },
    accounts: { kind: 'accounts' },
  },
} as const;
