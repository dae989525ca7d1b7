// Where a partition's log lives under the data directory: `<dataDir>/<topic>-<partition>/`, Kafka's
// naming. Topic names are limited to [a-zA-Z0-9._-] by Kafka, so the name is safe as a directory name and
// the partition is the part after the last '-'.

export function partitionDirName(topic: string, partition: number): string {
  if (!/^[a-zA-Z0-9._-]+$/.test(topic) || topic === '.' || topic === '..') {
    throw new RangeError(`topic name ${JSON.stringify(topic)} cannot name a directory`);
  }
  if (!Number.isInteger(partition) || partition < 0)
    throw new RangeError(`partition ${partition} is invalid`);
  return `${topic}-${partition}`;
}
