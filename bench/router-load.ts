// The load generator of bench/router.ts, run as its own process so that it does not share the server's event loop.
// Usage: node bench/router-load.ts <http|grpc> <port> <closed|open> <warmupMs> <measureMs> <concurrency|ratePerSecond>
// Prints one JSON line: { completed, total, seconds, perSecond, p50Ms, p99Ms, p99FromDueMs, errors }.
// closed: `concurrency` requests always in flight (saturation). open: requests started at a fixed rate whatever the
// answers do (paced in 1 ms ticks); latency is counted from when a request was written, so that the generator's own
// timer lag (often over a millisecond on a busy machine) is not charged to the server, and p99FromDueMs also shows it
// counted from when the request was due (what a caller that had to wait for a free connection would see).
import { connect, type Socket } from 'node:net';
import grpc from '@grpc/grpc-js';
import { loadServices, type GrpcAssignResponse } from '../services/router-sidecar/grpc.ts';

const [kind, portArg, mode, warmupArg, measureArg, param] = process.argv.slice(2);
const port = Number(portArg);
const warmupMs = Number(warmupArg);
const measureMs = Number(measureArg);
const amount = Number(param);

const latencies: number[] = [];
const fromDue: number[] = [];
let completed = 0;
/** Every answer, warm-up included: the server's CPU time is divided by this. */
let total = 0;
let errors = 0;
let seq = 0;
const started = performance.now();
const measureFrom = started + warmupMs;
const measureTo = measureFrom + measureMs;

function done(sentAt: number, dueAt = sentAt): void {
  const now = performance.now();
  total++;
  if (now >= measureFrom && now < measureTo) {
    completed++;
    latencies.push(now - sentAt);
    fromDue.push(now - dueAt);
  }
}

const nextBody = () => {
  const i = seq++;
  return JSON.stringify({ agentId: 'agent-1', runId: `run-${process.pid}-${i}`, unitId: `user-${i % 100_000}` });
};

/** A keep-alive HTTP/1.1 connection that sends one request at a time and reads content-length framed answers. */
function httpConnection(onIdle: (c: HttpConn) => void): HttpConn {
  const socket: Socket = connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  let buffer: Buffer = Buffer.alloc(0);
  const conn: HttpConn = {
    busy: false,
    dueAt: 0,
    sentAt: 0,
    send(dueAt: number) {
      conn.busy = true;
      conn.dueAt = dueAt;
      conn.sentAt = performance.now();
      const body = nextBody();
      socket.write(
        `POST /v1/assign HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    },
    close: () => socket.destroy(),
  };
  socket.on('data', (chunk: Buffer) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    for (;;) {
      const headerEnd = buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const head = buffer.subarray(0, headerEnd).toString('latin1').toLowerCase();
      const match = /content-length: *(\d+)/.exec(head);
      const total = headerEnd + 4 + Number(match?.[1] ?? 0);
      if (buffer.length < total) return;
      if (!head.startsWith('http/1.1 200')) errors++;
      buffer = buffer.subarray(total);
      conn.busy = false;
      done(conn.sentAt, conn.dueAt);
      onIdle(conn);
    }
  });
  socket.on('error', () => errors++);
  return conn;
}

interface HttpConn {
  busy: boolean;
  dueAt: number;
  sentAt: number;
  send(dueAt: number): void;
  close(): void;
}

function finish(close: () => void): void {
  close();
  const q = (values: number[], p: number) => {
    values.sort((a, b) => a - b);
    return values[Math.min(values.length - 1, Math.floor(p * values.length))] ?? Number.NaN;
  };
  const result = {
    completed,
    total,
    seconds: measureMs / 1000,
    perSecond: completed / (measureMs / 1000),
    p50Ms: q(latencies, 0.5),
    p99Ms: q(latencies, 0.99),
    p99FromDueMs: q(fromDue, 0.99),
    errors,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

/** Calls `issue(dueAt)` at `rate` per second from now on, in 1 ms ticks, until the measurement ends. */
function openLoop(rate: number, issue: (dueAt: number) => void, close: () => void): void {
  const t0 = performance.now();
  let issued = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    const due = Math.floor(((now - t0) * rate) / 1000);
    while (issued < due) issue(t0 + (issued++ * 1000) / rate);
    if (now >= measureTo) {
      clearInterval(timer);
      finish(close);
    }
  }, 1);
}

if (kind === 'http') {
  const conns: HttpConn[] = [];
  if (mode === 'closed') {
    const again = (c: HttpConn) => c.send(performance.now());
    for (let i = 0; i < amount; i++) conns.push(httpConnection(again));
    for (const c of conns) c.send(performance.now());
    setTimeout(() => finish(() => conns.forEach((c) => c.close())), warmupMs + measureMs);
  } else {
    // Enough connections that one is free whenever a request is due; the rest wait in order.
    const queue: number[] = [];
    const idle = (c: HttpConn) => {
      const due = queue.shift();
      if (due !== undefined) c.send(due);
    };
    for (let i = 0; i < 64; i++) conns.push(httpConnection(idle));
    openLoop(
      amount,
      (dueAt) => {
        const free = conns.find((c) => !c.busy);
        if (free) free.send(dueAt);
        else queue.push(dueAt);
      },
      () => conns.forEach((c) => c.close()),
    );
  }
} else {
  const pkg = loadServices().routerPackage as unknown as {
    learnloop: { router: { v1: { Router: grpc.ServiceClientConstructor } } };
  };
  const client = new pkg.learnloop.router.v1.Router(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  ) as grpc.Client &
    Record<string, (req: object, cb: (err: grpc.ServiceError | null, res: GrpcAssignResponse) => void) => void>;
  const call = (dueAt: number, then?: () => void) => {
    const i = seq++;
    const sentAt = performance.now();
    client['assign']!(
      { agentId: 'agent-1', runId: `run-${process.pid}-${i}`, unitId: `user-${i % 100_000}` },
      (err) => {
        if (err) errors++;
        done(sentAt, dueAt);
        then?.();
      },
    );
  };
  await new Promise<void>((resolve, reject) =>
    client.waitForReady(Date.now() + 5000, (err) => (err ? reject(err) : resolve())),
  );
  if (mode === 'closed') {
    const loop = () => call(performance.now(), loop);
    for (let i = 0; i < amount; i++) loop();
    setTimeout(() => finish(() => client.close()), warmupMs + measureMs);
  } else {
    openLoop(
      amount,
      (dueAt) => call(dueAt),
      () => client.close(),
    );
  }
}
