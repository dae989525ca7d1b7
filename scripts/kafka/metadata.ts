// One Metadata request (v12, which Apache Kafka 4.x and the embedded broker both serve) over a fresh
// connection, with Sluice's own codec: how the cluster scripts tell that a broker is really serving, and
// how tests read the ISR, without depending on any client library's caching.
import { connect } from 'node:net';
import { ZERO_UUID } from '../../src/protocol/codec-runtime.ts';
import { FrameDecoder } from '../../src/protocol/frame-decoder.ts';
import { decodeResponseHeader, encodeRequest } from '../../src/protocol/headers.ts';
import { MetadataApi, type MetadataResponse } from '../../src/protocol/messages/index.ts';
import { Reader } from '../../src/protocol/reader.ts';

const VERSION = 12;

/**
 * Asks the broker at host:port for metadata (topics null = all, [] = none); rejects on a connection error,
 * a closed connection or no answer within `timeoutMs`.
 */
export function requestMetadata(
  host: string,
  port: number,
  topics: readonly string[] | null = [],
  timeoutMs = 5000,
): Promise<MetadataResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const decoder = new FrameDecoder(64 * 1024 * 1024);
    const fail = (err: Error): void => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(timeoutMs, () =>
      fail(new Error(`no Metadata answer from ${host}:${port} in ${timeoutMs} ms`)),
    );
    socket.once('error', fail);
    socket.once('close', () => fail(new Error(`${host}:${port} closed the connection before answering`)));
    socket.once('connect', () => {
      const body = {
        topics: topics === null ? null : topics.map((name) => ({ topicId: ZERO_UUID, name })),
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      };
      socket.write(encodeRequest(MetadataApi, VERSION, 1, 'sluice-kafka-probe', body));
    });
    socket.on('data', (chunk: Buffer) => {
      const [frame] = decoder.push(chunk);
      if (frame === undefined) return;
      try {
        const reader = new Reader(frame);
        decodeResponseHeader(reader, MetadataApi.apiKey, VERSION);
        const response = MetadataApi.response.decode(reader, VERSION);
        socket.removeAllListeners('close');
        socket.destroy();
        resolve(response);
      } catch (err) {
        fail(err as Error);
      }
    });
  });
}
