// Closing the listeners in bounded time: stop accepting, answer the requests in flight (Fastify marks those
// answers Connection: close), close every connection that has no request in flight as soon as it has none (the
// API server keeps connections to the webhook and the aggregated API open, idle or never used), and after the
// grace period destroy what is left: a client stalled in its TLS handshake or its body must not hold the exit.
// Live streams end in their own preClose hook (routes/live.ts).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

/** How often connections without a request in flight are closed while requests finish. */
const IDLE_SWEEP_MS = 50;

interface TrackedSockets {
  /** Every socket from accept to close, TLS handshakes included (the HTTP layer sees a socket only after it). */
  accepted: Set<Socket>;
  /** The sockets HTTP reads (after the handshake with TLS), with their requests in flight (headers received). */
  inFlight: Map<Socket, Set<ServerResponse>>;
  closing: boolean;
}

const tracked = new WeakMap<Server, TrackedSockets>();

/** A response sent while closing tells its client not to reuse the connection, which is closed after it. */
function lastOnItsConnection(response: ServerResponse): void {
  if (!response.headersSent) response.setHeader('connection', 'close');
}

export function trackSockets(server: Server): void {
  const sockets: TrackedSockets = { accepted: new Set(), inFlight: new Map(), closing: false };
  tracked.set(server, sockets);
  server.on('connection', (socket: Socket) => {
    sockets.accepted.add(socket);
    socket.once('close', () => sockets.accepted.delete(socket));
  });
  server.on(server instanceof TlsServer ? 'secureConnection' : 'connection', (socket: Socket) => {
    sockets.inFlight.set(socket, new Set());
    socket.once('close', () => sockets.inFlight.delete(socket));
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const responses = sockets.inFlight.get(request.socket);
    if (!responses) return;
    responses.add(response);
    response.once('close', () => responses.delete(response));
    if (sockets.closing) lastOnItsConnection(response);
  });
}

function socketsOf(server: Server): TrackedSockets {
  return tracked.get(server) ?? { accepted: new Set(), inFlight: new Map(), closing: true };
}

/** Closes the HTTP connections with no request in flight: idle keep-alive ones, and ones never used. */
function closeUnusedConnections(server: Server): void {
  for (const [socket, responses] of socketsOf(server).inFlight) if (responses.size === 0) socket.destroy();
}

export async function closeApps(apps: FastifyInstance[], graceMs: number, log: FastifyBaseLogger): Promise<void> {
  const servers = apps.map((app) => app.server);
  for (const server of servers) {
    const sockets = socketsOf(server);
    sockets.closing = true;
    for (const responses of sockets.inFlight.values()) for (const response of responses) lastOnItsConnection(response);
  }
  const sweeping = setInterval(() => {
    for (const server of servers) closeUnusedConnections(server);
  }, IDLE_SWEEP_MS);
  const deadline = setTimeout(() => {
    const left = servers.reduce((count, server) => count + socketsOf(server).accepted.size, 0);
    if (left === 0) return;
    log.warn({ connections: left, graceMs }, `shutdown: closing ${left} connection(s) still open after --shutdown-grace`);
    for (const server of servers) for (const socket of socketsOf(server).accepted) socket.destroy();
  }, graceMs);
  try {
    await Promise.all(apps.map((app) => app.close()));
  } finally {
    clearInterval(sweeping);
    clearTimeout(deadline);
  }
}
