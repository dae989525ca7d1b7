// Component kind → its main, loaded on demand so a process only loads the service it runs.
// Each service adds its own line.
import type { ServiceRegistry } from './runtime.ts';

export const services: ServiceRegistry = {
  analytics: async () => (await import('./analytics/main.ts')).main,
  frontend: async () => (await import('./demo/frontend.ts')).main,
  'db-monitor': async () => (await import('./demo/db-monitor.ts')).main,
  payments: async () => (await import('./demo/payments.ts')).main,
  accounts: async () => (await import('./demo/accounts.ts')).main,
  dashboard: async () => (await import('./dashboard/main.ts')).main,
  alerting: async () => (await import('./alerting/main.ts')).main,
};
