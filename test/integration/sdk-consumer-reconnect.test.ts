// consume() across a bus outage, on either target (see stoppable-bus.ts): the bus is stopped while an
// at-least-once consumer runs and started again on the same address; the consumer rebuilds its bus client
// with back-off (counted in sluice_consumer_reconnects_total) and every record produced before, during and
// after the outage is handled at least once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { consume } from '../../src/sdk/consumer/runner.ts';
import { createBusProducer } from '../../src/sdk/kafka-client.ts';
import { startStoppableBus } from '../helpers/stoppable-bus.ts';
import { uniqueTopic } from '../helpers/target.ts';
import { waitFor } from '../helpers/wait-for.ts';

const PER_PHASE = Number(process.env.SLUICE_RECONNECT_RECORDS ?? 50);

test('at-least-once: the consumer survives the bus going away and every record is handled', async (t) => {
  const bus = await startStoppableBus(t);
  const topic = uniqueTopic('reconnect');
  await bus.createTopic(topic, 2);
  const config = { bootstrap: [bus.bootstrap], requestTimeoutMs: 3000 };
  const producer = createBusProducer(config, { acks: -1, idempotent: true });
  t.after(() => producer.close());
  const produce = async (from: number, to: number): Promise<void> => {
    const records = Array.from({ length: to - from }, (_, i) => ({
      topic,
      key: Buffer.from(`k${from + i}`),
      value: Buffer.from(JSON.stringify({ id: from + i })),
      headers: {},
    }));
    // The producer may still be finding the restarted bus: retry until it takes the records.
    await waitFor(
      () =>
        producer.send(records).then(
          () => true,
          () => false,
        ),
      { what: `producing ${from}..${to - 1}`, deadlineMs: 120_000 },
    );
  };

  const seen = new Set<number>();
  let handledCount = 0;
  const warnings: string[] = [];
  // What the consumer logged, shown when the test fails.
  const log: string[] = [];
  const explain = <T>(waiting: Promise<T>): Promise<T> =>
    waiting.catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\nconsumer log:\n${log.join('\n')}`);
    });
  const metrics = new Registry();
  const handle = await consume({
    bus: config,
    topic,
    group: 'reconnect-group',
    semantics: 'at-least-once',
    sessionTimeoutMs: 6000,
    heartbeatIntervalMs: 500,
    retry: { attempts: 2, initialDelayMs: 100, maxDelayMs: 1000 },
    metrics,
    lagIntervalMs: 0,
    logger: {
      info: (o, msg) => log.push(`info ${msg} ${JSON.stringify(o)}`),
      warn: (o, msg) => {
        warnings.push(msg);
        log.push(`warn ${msg} ${JSON.stringify(o)}`);
      },
      error: (o, msg) => log.push(`error ${msg} ${JSON.stringify(o)}`),
    },
    handler: (r) => {
      seen.add((JSON.parse(r.value!.toString()) as { id: number }).id);
      handledCount++;
    },
  });
  t.after(() => handle.stop());
  const reconnects = async (): Promise<number> =>
    (await metrics.getSingleMetric('sluice_consumer_reconnects_total')?.get())?.values.find(
      (v) => v.labels.group === 'reconnect-group',
    )?.value ?? 0;
  const allUpTo = (n: number) => () => {
    for (let i = 0; i < n; i++) if (!seen.has(i)) return false;
    return true;
  };

  await produce(0, PER_PHASE);
  await explain(waitFor(allUpTo(PER_PHASE), { what: `records 0..${PER_PHASE - 1} handled` }));

  await bus.stop();
  await explain(
    waitFor(async () => (await reconnects()) >= 1, {
      what: 'the consumer noticing the outage and rebuilding',
      deadlineMs: 120_000,
    }),
  );
  await bus.start();
  await produce(PER_PHASE, 2 * PER_PHASE);
  await explain(
    waitFor(allUpTo(2 * PER_PHASE), {
      what: `records ${PER_PHASE}..${2 * PER_PHASE - 1} handled after the restart`,
      deadlineMs: 120_000,
    }),
  );
  assert.ok(handledCount >= 2 * PER_PHASE);
  assert.ok(
    warnings.some((w) => w.startsWith('bus lost')),
    'each attempt is logged',
  );
  await handle.stop();
  await handle.done; // the outage was not fatal
});
