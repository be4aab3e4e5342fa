import { randomUUID } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsError } from './errors';
import type { CloudContext, EmulatedService, ServiceRequest, ServiceResponse } from './types';

/** Reads `service` and `region` from a SigV4 `Authorization` header's credential scope. */
export const parseCredentialScope = (
  authorization: string | undefined,
): { accessKeyId: string; region: string; service: string } | undefined => {
  if (!authorization) return undefined;
  const m = /Credential=([^/\s,]+)\/\d{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request/.exec(authorization);
  if (!m) return undefined;
  return { accessKeyId: m[1]!, region: m[2]!, service: m[3]! };
};

export type ControlHandler = (
  method: string,
  path: string,
  body: unknown,
) => Promise<{ status: number; body: unknown }>;

export interface EdgeOptions {
  host?: string;
  port?: number;
  context: CloudContext;
  services: readonly EmulatedService[];
  /** Requests signed for these names are forwarded untouched (DynamoDB to DynamoDB Local). */
  proxies?: Readonly<Record<string, string>>;
  control: ControlHandler;
  /** Called before a service handles an operation: the fault injector throws or delays here. */
  beforeOperation?: (service: string, operation: string, req: ServiceRequest) => Promise<void>;
}

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

const send = (res: ServerResponse, r: ServiceResponse): void => {
  res.writeHead(r.status, { 'content-length': Buffer.byteLength(r.body), ...r.headers });
  res.end(r.body);
};

const forward = (target: string, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> =>
  new Promise((resolve) => {
    const url = new URL(req.url ?? '/', target);
    const out = httpRequest(
      url,
      { method: req.method, headers: { ...req.headers, host: url.host } },
      (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(res);
        upstream.on('end', resolve);
      },
    );
    out.on('error', (e) => {
      send(res, {
        status: 502,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ __type: 'ServiceUnavailable', message: `upstream ${target}: ${e.message}` }),
      });
      resolve();
    });
    out.end(body);
  });

/**
 * The one edge endpoint: routes each request by the service of its SigV4 credential scope, so every SDK
 * client and the AWS CLI need only an endpoint URL. `/_local/*` is the control API.
 */
export const startEdge = async (
  opts: EdgeOptions,
): Promise<{ server: Server; endpoint: string; close(): Promise<void> }> => {
  const services = new Map(opts.services.map((s) => [s.signingName, s]));
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://local');
      if (url.pathname.startsWith('/_local/')) {
        let parsed: unknown = {};
        try {
          parsed = body.length ? JSON.parse(body.toString('utf8')) : {};
        } catch {
          return send(res, jsonReply(400, { error: 'control API bodies are JSON objects' }));
        }
        try {
          const r = await opts.control(req.method ?? 'GET', url.pathname, parsed);
          return send(res, jsonReply(r.status, r.body));
        } catch (e) {
          return send(res, jsonReply(400, { error: (e as Error).message }));
        }
      }
      const scope = parseCredentialScope(req.headers.authorization);
      if (!scope) {
        return send(
          res,
          jsonReply(403, {
            __type: 'MissingAuthenticationToken',
            message: 'requests must be signed with SigV4',
          }),
        );
      }
      const proxy = opts.proxies?.[scope.service];
      if (proxy) return forward(proxy, req, body, res);
      const service = services.get(scope.service);
      if (!service) {
        return send(
          res,
          jsonReply(400, {
            __type: 'UnknownService',
            message: `the local cloud does not emulate ${scope.service}`,
          }),
        );
      }
      const requestId = randomUUID();
      let sreq: ServiceRequest | undefined;
      try {
        sreq = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: body.toString('utf8'),
          region: scope.region,
          principal: opts.context.accounts.resolve(scope.accessKeyId, opts.context.clock.nowMillis()),
          requestId,
        };
        const operation = service.operation(sreq);
        await opts.beforeOperation?.(scope.service, operation, sreq);
        send(res, await service.handle(sreq, operation));
      } catch (e) {
        const err =
          e instanceof AwsError
            ? e
            : new AwsError('InternalError', `local cloud failure: ${(e as Error).message}`, 500);
        const fallback: ServiceRequest = sreq ?? {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: '',
          region: scope.region,
          principal: { accountId: opts.context.accounts.defaultAccountId, arn: '', userId: '' },
          requestId,
        };
        send(res, service.renderError(err, fallback));
      }
    })().catch((e) => {
      if (!res.headersSent) send(res, jsonReply(500, { error: String(e) }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 4566, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    server,
    endpoint: `http://${address}:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

const jsonReply = (status: number, body: unknown): ServiceResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
