/**
 * What a controller needs from the pusher: publish what its resource should put on the
 * gateways, withdraw it, and read back how the gateways took it. A getter, because the pusher
 * exists only once the gateway channel has started (it needs the channel's certificates).
 */
import type { Pusher } from '../push/pusher.js';

export type Publisher = Pick<Pusher, 'publish' | 'withdraw' | 'status'>;
export type PublisherRef = () => Publisher;
