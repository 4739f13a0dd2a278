import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server does for one path: answer this body, or behave badly. */
export type Behaviour =
  | { kind: 'proposals'; body: unknown }
  | { kind: 'chat'; content: string }
  | { kind: 'raw'; text: string; status?: number }
  | { kind: 'slow'; ms: number };

/**
 * A local server that speaks what learnloop's generators call: a plain JSON endpoint, and the OpenAI chat-completions
 * protocol (POST {base}/chat/completions, the answer in choices[0].message.content). The real services cannot be
 * reached from the test machines; this is what the protocol looks like on the wire.
 */
export async function startFakeGenerator(routes: Record<string, Behaviour>): Promise<{
  url: string;
  requests: Array<{ path: string; body: unknown; auth: string | undefined }>;
  close(): Promise<void>;
}> {
  const requests: Array<{ path: string; body: unknown; auth: string | undefined }> = [];
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = req.url ?? '/';
      requests.push({ path, body: JSON.parse((await read(req)) || 'null'), auth: req.headers.authorization });
      const behaviour = routes[path.replace(/\/chat\/completions$/, '')] ?? routes[path];
      if (!behaviour) {
        res.writeHead(404).end('no such route');
        return;
      }
      switch (behaviour.kind) {
        case 'proposals':
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(behaviour.body));
          return;
        case 'chat':
          res.writeHead(200, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              id: 'chatcmpl-1',
              object: 'chat.completion',
              choices: [
                { index: 0, message: { role: 'assistant', content: behaviour.content }, finish_reason: 'stop' },
              ],
            }),
          );
          return;
        case 'raw':
          res.writeHead(behaviour.status ?? 200, { 'content-type': 'application/json' }).end(behaviour.text);
          return;
        case 'slow':
          setTimeout(() => res.writeHead(200).end('{}'), behaviour.ms);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
