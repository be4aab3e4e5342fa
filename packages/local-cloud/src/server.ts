import { randomUUID } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Principal } from './accounts';
import { AwsError } from './errors';
import { FUNCTION_HEADER } from './lambda/aws-calls';
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
  /** The URL's query parameters (`GET /_local/sns/messages?topicArn=...`). */
  query?: URLSearchParams,
) => Promise<{ status: number; body: unknown }>;

export interface EdgeOptions {
  host?: string;
  port?: number;
  context: CloudContext;
  services: readonly EmulatedService[];
  /** Requests signed for these names are forwarded untouched (DynamoDB to DynamoDB Local). */
  proxies?: Readonly<Record<string, string>>;
  /**
   * Why a service cannot answer yet (DynamoDB while DynamoDB Local starts), or undefined when it can:
   * its requests are answered 503 `ServiceUnavailable` with the reason meanwhile.
   */
  unavailable?: (service: string) => string | undefined;
  control: ControlHandler;
  /** Called before a service handles an operation: the fault injector throws or delays here. */
  beforeOperation?: (service: string, operation: string, req: ServiceRequest) => Promise<void>;
  /**
   * Called after the operation took effect and before the caller gets the answer: throwing here replaces
   * the answer with the error (a crash after the commit, i.e. the lost response).
   */
  afterOperation?: (
    service: string,
    operation: string,
    req: ServiceRequest,
    res: { status: number },
  ) => Promise<void>;
  /**
   * Called for each AWS request an in-process Lambda function made (the runtime tags them), with the
   * action `<signing-service>:<Operation>`: what the function's role must allow.
   */
  onFunctionCall?: (functionName: string, action: string) => void;
  /**
   * The principal a request an in-process function made acts as, given the one its keys resolve to: on
   * Lambda, a function's calls are made by its execution role.
   */
  functionPrincipal?: (functionName: string, principal: Principal) => Principal;
}

/** The API action of a JSON-protocol request (`X-Amz-Target: DynamoDB_20120810.PutItem` -> `PutItem`). */
const jsonTargetOperation = (target: string | string[] | undefined): string => {
  const value = Array.isArray(target) ? target[0] : target;
  if (!value) return 'Unknown';
  return value.slice(value.lastIndexOf('.') + 1) || 'Unknown';
};

/**
 * Errors for a proxied JSON 1.0 service (DynamoDB) that the edge answers itself (a fault, an expired
 * token): the shape the SDK's awsJson1_0 deserialiser reads the code from.
 */
const proxiedJsonError = (service: string, err: AwsError, requestId: string): ServiceResponse => ({
  status: err.status,
  headers: {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-errortype': err.code,
    'x-amzn-requestid': requestId,
  },
  body: JSON.stringify({
    __type: service === 'dynamodb' ? `com.amazonaws.dynamodb.v20120810#${err.code}` : err.code,
    message: err.message,
  }),
});

/**
 * The largest body the control API reads. Its bodies are a clock step, a fault rule or a CVE entry: a
 * few hundred bytes, a few KiB at most. 1 MiB leaves room many times over and keeps a mistaken upload
 * (a file posted to the wrong URL) out of memory. The AWS endpoints are not bound by it.
 */
export const MAX_CONTROL_BODY_BYTES = 1024 * 1024;

/** A body read whole, or refused as larger than the limit (its size when it was declared). */
type LimitedBody = { body: Buffer } | { tooLarge: { declaredBytes?: number } };

/**
 * Reads a body of at most `limit` bytes. One declared larger is refused before a byte of it is read;
 * one that turns out larger (sent without a length) is refused once it passes the limit. The rest of a
 * refused body is read and dropped, never kept, so the client can finish sending and read the answer.
 */
const readLimitedBody = (req: IncomingMessage, limit: number): Promise<LimitedBody> =>
  new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      resolve({ tooLarge: { declaredBytes: declared } });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      chunks.length = 0;
      req.off('data', onData);
      req.resume();
      resolve({ tooLarge: {} });
    };
    req.on('data', onData);
    req.on('end', () => resolve({ body: Buffer.concat(chunks) }));
    req.on('error', reject);
  });

/** The 413 of a control body over the limit, naming the limit in bytes. */
const bodyTooLarge = (declaredBytes: number | undefined): ServiceResponse => ({
  status: 413,
  // The rest of the body is not wanted: the connection closes once the answer is sent.
  headers: { 'content-type': 'application/json', connection: 'close' },
  body: JSON.stringify({
    error:
      `control API bodies may be at most ${MAX_CONTROL_BODY_BYTES} bytes (1 MiB); this one ` +
      (declaredBytes === undefined ? 'is larger' : `is ${declaredBytes} bytes`),
    limitBytes: MAX_CONTROL_BODY_BYTES,
  }),
});

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

interface Upstream {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/**
 * Sends the request on untouched and reads the whole answer: buffering (DynamoDB answers are small) lets
 * a crash-after fault drop an answer whose effect has already happened.
 */
const forward = (target: string, req: IncomingMessage, body: Buffer): Promise<Upstream> =>
  new Promise((resolve, reject) => {
    const url = new URL(req.url ?? '/', target);
    const out = httpRequest(
      url,
      { method: req.method, headers: { ...req.headers, host: url.host } },
      (upstream) => {
        const chunks: Buffer[] = [];
        upstream.on('data', (c: Buffer) => chunks.push(c));
        upstream.on('error', reject);
        upstream.on('end', () => {
          const headers: Record<string, string | string[]> = {};
          for (const [k, v] of Object.entries(upstream.headers)) {
            // The body is re-sent whole with its own length.
            if (v === undefined || k === 'transfer-encoding' || k === 'content-length' || k === 'connection')
              continue;
            headers[k] = v;
          }
          resolve({ status: upstream.statusCode ?? 502, headers, body: Buffer.concat(chunks) });
        });
      },
    );
    out.on('error', (e) =>
      reject(new AwsError('ServiceUnavailable', `upstream ${target}: ${e.message}`, 502)),
    );
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
      // Not part of the request the SDK signed: read and removed before a service or DynamoDB sees it.
      const caller = req.headers[FUNCTION_HEADER];
      delete req.headers[FUNCTION_HEADER];
      const callerName = Array.isArray(caller) ? caller[0] : caller;
      const url = new URL(req.url ?? '/', 'http://local');
      if (url.pathname.startsWith('/_local/')) {
        // Bounded before it is read into memory, let alone parsed; the AWS endpoints below keep AWS's limits.
        const read = await readLimitedBody(req, MAX_CONTROL_BODY_BYTES);
        if ('tooLarge' in read) return send(res, bodyTooLarge(read.tooLarge.declaredBytes));
        const { body } = read;
        let parsed: unknown = {};
        try {
          parsed = body.length ? JSON.parse(body.toString('utf8')) : {};
        } catch {
          return send(res, jsonReply(400, { error: 'control API bodies are JSON objects' }));
        }
        try {
          const r = await opts.control(req.method ?? 'GET', url.pathname, parsed, url.searchParams);
          return send(res, jsonReply(r.status, r.body));
        } catch (e) {
          return send(res, jsonReply(400, { error: (e as Error).message }));
        }
      }
      const body = await readBody(req);
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
      const requestId = randomUUID();
      const request = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        region: scope.region,
        requestId,
      };
      // Throws for an unknown key or an expired session token, answered as the service's error.
      const principal = () => {
        const resolved = opts.context.accounts.resolve(scope.accessKeyId, opts.context.clock.nowMillis());
        return callerName && opts.functionPrincipal ? opts.functionPrincipal(callerName, resolved) : resolved;
      };
      const notYet = opts.unavailable?.(scope.service);
      if (notYet !== undefined) {
        return send(
          res,
          proxiedJsonError(scope.service, new AwsError('ServiceUnavailable', notYet, 503), requestId),
        );
      }
      const proxy = opts.proxies?.[scope.service];
      if (proxy) {
        try {
          // The body goes upstream untouched; the fault hooks see only the request's identity.
          const sreq: ServiceRequest = { ...request, body: '', principal: principal() };
          const operation = jsonTargetOperation(req.headers['x-amz-target']);
          if (callerName) opts.onFunctionCall?.(callerName, `${scope.service}:${operation}`);
          await opts.beforeOperation?.(scope.service, operation, sreq);
          const upstream = await forward(proxy, req, body);
          await opts.afterOperation?.(scope.service, operation, sreq, upstream);
          res.writeHead(upstream.status, { ...upstream.headers, 'content-length': upstream.body.length });
          res.end(upstream.body);
          return;
        } catch (e) {
          const err =
            e instanceof AwsError
              ? e
              : new AwsError('InternalServerError', `local cloud failure: ${(e as Error).message}`, 500);
          return send(res, proxiedJsonError(scope.service, err, requestId));
        }
      }
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
      let sreq: ServiceRequest | undefined;
      try {
        sreq = { ...request, body: body.toString('utf8'), principal: principal() };
        const operation = service.operation(sreq);
        if (callerName) opts.onFunctionCall?.(callerName, `${scope.service}:${operation}`);
        await opts.beforeOperation?.(scope.service, operation, sreq);
        const answer = await service.handle(sreq, operation);
        await opts.afterOperation?.(scope.service, operation, sreq, answer);
        send(res, answer);
      } catch (e) {
        const err =
          e instanceof AwsError
            ? e
            : new AwsError('InternalError', `local cloud failure: ${(e as Error).message}`, 500);
        const fallback: ServiceRequest = sreq ?? {
          ...request,
          body: '',
          principal: { accountId: opts.context.accounts.defaultAccountId, arn: '', userId: '' },
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
