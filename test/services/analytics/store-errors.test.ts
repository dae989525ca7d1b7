// A store that cannot be opened stops the component from starting, saying which store and why.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { pino } from 'pino';
import { startComponent } from '../../../src/services/start-component.ts';
import { tempDir } from '../../helpers/broker.ts';
import { analyticsTopology } from './harness.ts';

test('an unopenable SQLite file or an unreachable PostgreSQL refuses to start, naming the store (no password)', async (t) => {
  const dir = await tempDir('sluice-analytics-store-');
  t.after(() => rm(dir, { recursive: true, force: true }));
  const logger = pino({ level: 'silent' });
  const sqlite = analyticsTopology(dir, '127.0.0.1:1', 'metrics', {
    analytics: { store: { kind: 'sqlite', path: `${dir}/missing/dir/rollups.db` } },
  });
  await assert.rejects(startComponent(sqlite, 'analytics', { logger }), (error: Error) => {
    assert.match(
      error.message,
      /^analytics store \(sqlite, .*\/missing\/dir\/rollups\.db\) cannot be opened: /,
    );
    return true;
  });
  const postgres = analyticsTopology(dir, '127.0.0.1:1', 'metrics', {
    analytics: { store: { kind: 'postgres', url: 'postgres://postgres:secret@127.0.0.1:1/test' } },
  });
  await assert.rejects(startComponent(postgres, 'analytics', { logger }), (error: Error) => {
    assert.match(
      error.message,
      /^analytics store \(postgres, postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/test\) cannot be opened: .*ECONNREFUSED/,
    );
    assert.doesNotMatch(error.message, /secret/);
    return true;
  });
});
