// Kafka's default partitioner hash (murmur2, seed 0x9747b28c, as in the Java client's Utils.murmur2), so a
// key lands on the partition any Kafka client would choose: toPositive(murmur2(key)) % partitions.
const SEED = 0x9747b28c;
const M = 0x5bd1e995;

export function murmur2(data: Uint8Array, start = 0, end = data.length): number {
  const length = end - start;
  let h = (SEED ^ length) | 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = end - i;
  if (rest > 0) {
    if (rest === 3) h ^= data[i + 2] << 16;
    if (rest >= 2) h ^= data[i + 1] << 8;
    h ^= data[i];
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of a key among `partitions`, as Kafka's default partitioner picks it. */
export function keyPartition(key: Uint8Array, partitions: number, start = 0, end = key.length): number {
  return (murmur2(key, start, end) & 0x7fffffff) % partitions;
}
