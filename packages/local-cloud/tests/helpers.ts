import type { LocalCloud } from '../src/cloud';

export const START = '2026-03-01T00:00:00.000Z';
export const TOOLING = '111111111111';
export const WORKLOADS = '222222222222';

/** Calls the control API the way a person or a script would: JSON over HTTP. */
export const control = async (
  cloud: Pick<LocalCloud, 'endpoint'>,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(`${cloud.endpoint}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

/** A request that carries a SigV4-shaped `Authorization` header, for wire-level checks the SDK cannot make. */
export const rawSigned = (
  endpoint: string,
  service: string,
  body: string,
  opts: { region?: string; accessKeyId?: string; contentType?: string } = {},
) =>
  fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': opts.contentType ?? 'application/x-www-form-urlencoded; charset=utf-8',
      authorization: `AWS4-HMAC-SHA256 Credential=${opts.accessKeyId ?? 'test'}/20260301/${opts.region ?? 'us-east-1'}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body,
  });
