/** What the HTTP and language-model generators share of talking to a server: bounded reads, readable errors. */

/** Reads a response body up to `max` bytes; longer answers are refused rather than buffered. */
export async function readBounded(
  response: Response,
  max: number,
): Promise<{ ok: true; text: string } | { ok: false; reason: string }> {
  const reader = response.body?.getReader();
  if (!reader) return { ok: true, text: '' };
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return { ok: false, reason: `answer larger than ${max} bytes` };
    }
    chunks.push(value);
  }
  return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
}

export function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))
    return `no answer within ${timeoutMs} ms`;
  return err instanceof Error ? err.message : String(err);
}
