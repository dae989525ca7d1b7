// One request over a fresh connection, with Sluice's own codec: how the cluster scripts tell that a broker
// is really serving (Metadata v12, which Apache Kafka 4.x and the embedded broker both serve) and that a
// partition's leader has taken up leadership (ListOffsets v7), without any client library's caching.
import { connect } from 'node:net';
import { ZERO_UUID } from '../../src/protocol/codec-runtime.ts';
import { FrameDecoder } from '../../src/protocol/frame-decoder.ts';
import { decodeResponseHeader, encodeRequest } from '../../src/protocol/headers.ts';
import {
  ListOffsetsApi,
  MetadataApi,
  type ApiDefinition,
  type MetadataResponse,
} from '../../src/protocol/messages/index.ts';
import { Reader } from '../../src/protocol/reader.ts';

/** Sends one request to host:port and decodes the answer; rejects on a connection error or after `timeoutMs`. */
export function requestOnce<Req, Res>(
  host: string,
  port: number,
  api: ApiDefinition<Req, Res>,
  version: number,
  body: Req,
  timeoutMs = 5000,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const decoder = new FrameDecoder(64 * 1024 * 1024);
    const fail = (err: Error): void => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(timeoutMs, () =>
      fail(new Error(`no ${api.name} answer from ${host}:${port} in ${timeoutMs} ms`)),
    );
    socket.once('error', fail);
    socket.once('close', () => fail(new Error(`${host}:${port} closed the connection before answering`)));
    socket.once('connect', () => socket.write(encodeRequest(api, version, 1, 'sluice-kafka-probe', body)));
    socket.on('data', (chunk: Buffer) => {
      const [frame] = decoder.push(chunk);
      if (frame === undefined) return;
      try {
        const reader = new Reader(frame);
        decodeResponseHeader(reader, api.apiKey, version);
        const response = api.response.decode(reader, version);
        socket.removeAllListeners('close');
        socket.destroy();
        resolve(response);
      } catch (err) {
        fail(err as Error);
      }
    });
  });
}

/** Metadata for `topics` (null = all, [] = none, the default). */
export function requestMetadata(
  host: string,
  port: number,
  topics: readonly string[] | null = [],
  timeoutMs = 5000,
): Promise<MetadataResponse> {
  const body = {
    topics: topics === null ? null : topics.map((name) => ({ topicId: ZERO_UUID, name })),
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  };
  return requestOnce(host, port, MetadataApi, 12, body, timeoutMs);
}

/**
 * Whether every partition of `topics` has a leader that answers as leader. Kafka's brokers list a new
 * partition's leader in Metadata a moment before that broker has taken up leadership, and a client that
 * does not retry (a benchmark's) fails with NOT_LEADER_OR_FOLLOWER in between; ListOffsets needs the leader.
 */
export async function partitionsLed(host: string, port: number, topics: readonly string[]): Promise<boolean> {
  const md = await requestMetadata(host, port, topics).catch(() => undefined);
  if (!md || md.topics.some((t) => t.errorCode !== 0 || t.partitions.some((p) => p.leaderId < 0)))
    return false;
  for (const topic of md.topics) {
    for (const p of topic.partitions) {
      const leader = md.brokers.find((b) => b.nodeId === p.leaderId);
      if (!leader) return false;
      const res = await requestOnce(leader.host, leader.port, ListOffsetsApi, 7, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [
          {
            name: topic.name!,
            partitions: [
              { partitionIndex: p.partitionIndex, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 },
            ],
          },
        ],
      }).catch(() => undefined);
      if (res?.topics[0]?.partitions[0]?.errorCode !== 0) return false;
    }
  }
  return true;
}
