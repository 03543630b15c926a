// Closing the listeners in bounded time: stop accepting, answer what is in flight (Fastify marks those answers
// Connection: close), close keep-alive connections as soon as they are idle (the API server keeps its
// connections to the webhook and the aggregated API open), and after the grace period destroy what is left:
// a stalled client must not hold the exit. Live streams end in their own preClose hook (routes/live.ts).
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

/** How often idle keep-alive connections are closed while requests finish. */
const IDLE_SWEEP_MS = 50;

// Every socket from accept to close: a TLS server's HTTP layer sees a connection only after its handshake, so
// its own connection list misses the sockets that never finish one.
const openSockets = new WeakMap<Server, Set<Socket>>();

export function trackSockets(server: Server): void {
  const sockets = new Set<Socket>();
  openSockets.set(server, sockets);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
}

function socketsOf(server: Server): Set<Socket> {
  return openSockets.get(server) ?? new Set();
}

export async function closeApps(apps: FastifyInstance[], graceMs: number, log: FastifyBaseLogger): Promise<void> {
  const servers = apps.map((app) => app.server as Server);
  const sweep = setInterval(() => {
    for (const server of servers) server.closeIdleConnections();
  }, IDLE_SWEEP_MS);
  const deadline = setTimeout(() => {
    const left = servers.reduce((count, server) => count + socketsOf(server).size, 0);
    if (left === 0) return;
    log.warn({ connections: left, graceMs }, `shutdown: closing ${left} connection(s) still open after --shutdown-grace`);
    for (const server of servers) for (const socket of socketsOf(server)) socket.destroy();
  }, graceMs);
  try {
    await Promise.all(apps.map((app) => app.close()));
  } finally {
    clearInterval(sweep);
    clearTimeout(deadline);
  }
}
