// Throughput of the generated codec on the broker's hot path: decoding Produce requests and encoding
// Fetch responses. Record data is opaque bytes to the codec, so the figures are per message, not per MB.
//
//   npm exec -- node bench/protocol-codec.ts
import { Reader } from '../src/protocol/reader.ts';
import { Writer } from '../src/protocol/writer.ts';
import { apis, type FetchResponse, type ProduceRequest } from '../src/protocol/messages/index.ts';

function measure(name: string, seconds: number, fn: () => void): void {
  for (let i = 0; i < 2000; i++) fn(); // warm up
  let n = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < end) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    now = process.hrtime.bigint();
  }
  const perSecond = (n * 1e9) / Number(now - start);
  process.stdout.write(`${name}: ${Math.round(perSecond).toLocaleString('en')} ops/s\n`);
}

const records = Buffer.alloc(1024, 1);
const produce: ProduceRequest = {
  transactionalId: null,
  acks: -1,
  timeoutMs: 30000,
  topicData: Array.from({ length: 4 }, (_, t) => ({
    name: `metrics-${t}`,
    partitionData: Array.from({ length: 8 }, (_, p) => ({ index: p, records })),
  })),
};
const fetch: FetchResponse = {
  throttleTimeMs: 0,
  errorCode: 0,
  sessionId: 0,
  responses: Array.from({ length: 4 }, (_, t) => ({
    topic: `metrics-${t}`,
    topicId: '00000000-0000-0000-0000-000000000000',
    partitions: Array.from({ length: 8 }, (_, p) => ({
      partitionIndex: p,
      errorCode: 0,
      highWatermark: 1000n,
      lastStableOffset: 1000n,
      logStartOffset: 0n,
      abortedTransactions: null,
      preferredReadReplica: -1,
      records,
    })),
  })),
};

for (const version of [7, 9, 11]) {
  const w = new Writer();
  apis[0].request.encode(w, version, produce);
  const bytes = Buffer.from(w.toBuffer());
  measure(`decode ProduceRequest v${version} (4 topics x 8 partitions, ${bytes.length} bytes)`, 1, () => {
    apis[0].request.decode(new Reader(bytes), version);
  });
}
for (const version of [11, 12, 16]) {
  measure(`encode FetchResponse v${version} (4 topics x 8 partitions of 1 KiB)`, 1, () => {
    apis[1].response.encode(new Writer(40_000), version, fetch);
  });
}
