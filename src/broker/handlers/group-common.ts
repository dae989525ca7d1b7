// Small pieces the group handlers share.
import type { RequestContext } from './handler.ts';

/** The client's host as Kafka reports it in DescribeGroups: "/" and the address, without the port. */
export function clientHost(ctx: RequestContext): string {
  const address = ctx.connection.remoteAddress;
  const colon = address.lastIndexOf(':');
  return `/${colon > 0 ? address.slice(0, colon) : address}`;
}
