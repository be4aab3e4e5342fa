import { AsyncLocalStorage } from 'node:async_hooks';
import { Agent, type ClientRequest } from 'node:http';

/**
 * The header that names the function an SDK request came from. The edge reads it to record which AWS
 * actions each function's invocations made, and removes it before anything else sees the request.
 */
export const FUNCTION_HEADER = 'x-local-cloud-function';

interface FunctionContext {
  functionName: string;
}

const KEY = Symbol.for('ami-lifecycle.local-cloud.function-context');
type Tagged = { [KEY]?: AsyncLocalStorage<FunctionContext> };

/**
 * The store an invocation runs its handler in. Every HTTP request a handler's SDK clients make goes
 * through an `http.Agent` (the SDK's NodeHttpHandler always passes one), and `Agent#addRequest` runs
 * synchronously in the `ClientRequest` constructor, in the caller's async context, before the headers
 * are stored: the one place to tag it. (`diagnostics_channel` `http.client.request.start` is too late on
 * Node 20: it is published once the request has ended and its headers are sent.)
 *
 * The store and the patch live on `http.Agent.prototype`, which every module registry of the process
 * shares (Jest gives each test file its own), so the agent is patched once and every runtime tags
 * through the same store.
 */
export const functionContext = (): AsyncLocalStorage<FunctionContext> => {
  const proto = Agent.prototype as unknown as Tagged & {
    addRequest(req: ClientRequest, ...rest: unknown[]): void;
  };
  const existing = proto[KEY];
  if (existing) return existing;
  const store = new AsyncLocalStorage<FunctionContext>();
  const addRequest = proto.addRequest;
  proto.addRequest = function (this: Agent, req: ClientRequest, ...rest: unknown[]) {
    const functionName = store.getStore()?.functionName;
    if (functionName !== undefined && !req.headersSent) req.setHeader(FUNCTION_HEADER, functionName);
    return addRequest.call(this, req, ...rest);
  };
  proto[KEY] = store;
  return store;
};

/** A call a function made that none of its `iamRoleStatements` allows. */
export interface UndeclaredAction {
  function: string;
  action: string;
}

/**
 * What each function called that its role does not allow: the actions recorded at the edge
 * (`<signing-service>:<Operation>`) against the `Action` lists of the function's `iamRoleStatements`
 * (Resource and Condition are not evaluated; no wildcards).
 */
export const undeclaredActions = (cloud: {
  lambda:
    | {
        awsCalls(): ReadonlyMap<string, ReadonlySet<string>>;
        functions(): readonly { name: string; allowedActions: readonly string[] }[];
      }
    | undefined;
}): UndeclaredAction[] => {
  if (!cloud.lambda) return [];
  const allowed = new Map(
    cloud.lambda.functions().map((f) => [f.name, new Set(f.allowedActions.map((a) => a.toLowerCase()))]),
  );
  const found: UndeclaredAction[] = [];
  for (const [fn, actions] of cloud.lambda.awsCalls()) {
    for (const action of actions) {
      if (!allowed.get(fn)?.has(action.toLowerCase())) found.push({ function: fn, action });
    }
  }
  return found.sort((a, b) => a.function.localeCompare(b.function) || a.action.localeCompare(b.action));
};
