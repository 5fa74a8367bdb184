import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

/** Targets that misbehave for the isolation tests: a server that never answers, a slow receiver. */

/**
 * A TCP server on the loopback that accepts connections and never answers (a hung LDAP server),
 * until `revive()`: then it drops what it held and forwards new connections to `upstream`.
 */
export async function startHangingServer() {
  let accepted = 0;
  let bytes = 0;
  let upstream: number | null = null;
  const held = new Set<net.Socket>();
  const forwarded = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    accepted += 1;
    if (upstream !== null) {
      const forward = net.connect(upstream, '127.0.0.1');
      forwarded.add(socket);
      socket.on('close', () => forwarded.delete(socket));
      socket.pipe(forward).pipe(socket);
      const close = () => (socket.destroy(), forward.destroy());
      socket.on('error', close).on('close', close);
      forward.on('error', close).on('close', close);
      return;
    }
    held.add(socket);
    socket.on('data', (chunk) => (bytes += chunk.length));
    socket.on('error', () => undefined);
    socket.on('close', () => held.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `ldap://127.0.0.1:${port}`,
    /** Connections accepted and bytes received while hanging. */
    seen: () => ({ accepted, bytes }),
    revive(to: number) {
      upstream = to;
      for (const socket of held) socket.destroy();
    },
    close: () => {
      for (const socket of [...held, ...forwarded]) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A webhook receiver: answers 200 after `delayMs` (0: at once), recording the subjects. */
export async function startReceiver(delayMs = 0) {
  const subjects: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const answer = () => {
        subjects.push((JSON.parse(body) as { subject: { id: string } }).subject.id);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ remoteId: `r-${subjects.length}` }));
      };
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    subjects,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

