// A child process for offset-store-process.test.ts: opens the offset store in the data directory given as
// the first argument and changes it as fast as it can from four concurrent workers, printing one line per
// acknowledged change, until it is killed. Usage: node offset-store-child.ts <dataDir> <fsync|none>
import { OffsetStore } from '../../../src/broker/groups/offset-store.ts';
import { NodeLogFs } from '../../../src/broker/log/fs.ts';
import { silentLogger } from '../../../src/broker/log/logger.ts';

const [dataDir, mode] = process.argv.slice(2);
if (!dataDir || (mode !== 'fsync' && mode !== 'none')) {
  process.stderr.write('usage: offset-store-child.ts <dataDir> <fsync|none>\n');
  process.exit(2);
}

const store = await OffsetStore.open(new NodeLogFs(), dataDir, {
  durability: { mode },
  logger: silentLogger(),
  compactAfterBytes: 4096, // compactions all the time, so the kill can land in one
});
// Writes to a pipe are synchronous on Linux: a printed line is the parent's even if this process dies next.
const print = (line: string) => process.stdout.write(`${line}\n`);
print('ready');

let next = 0;
async function worker(): Promise<never> {
  for (;;) {
    const n = next++;
    if (n % 25 === 0) {
      await store.putGroup('g', {
        protocolType: 'consumer',
        protocolName: 'range',
        generationId: n,
        leaderId: 'm',
        members: [],
      });
      print(`group ${n}`);
    } else {
      const value = {
        offset: BigInt(n),
        leaderEpoch: 0,
        metadata: `n=${n}`,
        commitTimestampMs: BigInt(Date.now()),
      };
      await store.commit(`g${n % 3}`, [{ topic: 't', partition: n % 5, value }]);
      print(`offset g${n % 3} ${n % 5} ${n}`);
    }
  }
}
await Promise.all([worker(), worker(), worker(), worker()]);
