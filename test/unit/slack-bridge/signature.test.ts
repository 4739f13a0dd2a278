import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { slackSignature, verifySlackSignature } from '../../../services/slack-bridge/signature.pure.ts';

const secret = '8f742231b10e8888abcd99yyyzzz85a5';
const body = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
const now = 1_700_000_000;

describe('the Slack request signature', () => {
  it("is Slack's documented example: v0= and the hex HMAC-SHA256 of v0:{timestamp}:{body}", () => {
    // The example of https://api.slack.com/authentication/verifying-requests-from-slack.
    const exampleBody =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(slackSignature(secret, '1531420618', exampleBody)).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
  });

  it('accepts a signed request within five minutes, either way', () => {
    for (const skew of [0, 300, -300, 299]) {
      const ts = String(now + skew);
      expect(
        verifySlackSignature({
          signingSecret: secret,
          timestamp: ts,
          signature: slackSignature(secret, ts, body),
          rawBody: body,
          nowSeconds: now,
        }),
      ).toEqual({ ok: true });
    }
  });

  it('refuses a timestamp more than five minutes off, even correctly signed (a replay)', () => {
    for (const skew of [301, -301, -86_400]) {
      const ts = String(now + skew);
      expect(
        verifySlackSignature({
          signingSecret: secret,
          timestamp: ts,
          signature: slackSignature(secret, ts, body),
          rawBody: body,
          nowSeconds: now,
        }),
      ).toEqual({ ok: false, reason: 'stale' });
    }
  });

  it('refuses missing or malformed headers', () => {
    const signature = slackSignature(secret, String(now), body);
    const check = (timestamp: string | undefined, sig: string | undefined) =>
      verifySlackSignature({ signingSecret: secret, timestamp, signature: sig, rawBody: body, nowSeconds: now });
    expect(check(undefined, signature)).toEqual({ ok: false, reason: 'missing' });
    expect(check(String(now), undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(check('soon', signature)).toEqual({ ok: false, reason: 'missing' });
    expect(check(String(now), 'v0=short')).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses any change of body, timestamp or secret', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), (other, otherSecret) => {
        const ts = String(now);
        const signature = slackSignature(secret, ts, body);
        if (other !== body)
          expect(
            verifySlackSignature({ signingSecret: secret, timestamp: ts, signature, rawBody: other, nowSeconds: now })
              .ok,
          ).toBe(false);
        if (otherSecret !== secret)
          expect(
            verifySlackSignature({
              signingSecret: otherSecret,
              timestamp: ts,
              signature,
              rawBody: body,
              nowSeconds: now,
            }).ok,
          ).toBe(false);
        const later = String(now + 1);
        expect(
          verifySlackSignature({ signingSecret: secret, timestamp: later, signature, rawBody: body, nowSeconds: now })
            .ok,
        ).toBe(false);
      }),
    );
    const sha1 = `v0=${createHmac('sha1', secret).update(`v0:${now}:${body}`).digest('hex')}`;
    expect(
      verifySlackSignature({
        signingSecret: secret,
        timestamp: String(now),
        signature: sha1,
        rawBody: body,
        nowSeconds: now,
      }).ok,
    ).toBe(false);
  });
});
