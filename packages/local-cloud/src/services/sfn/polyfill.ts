/**
 * `aws-local-stepfunctions` calls `Promise.withResolvers` (ES2024, Node 22+) inside every Task state,
 * and this repository supports Node 20.10+. `interpreter.ts` imports this file before it loads the
 * library, so the shim is in place before the first execution starts. Guarded, so a runtime that has the
 * real thing keeps it.
 */
interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

const promiseStatics = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };

if (!promiseStatics.withResolvers) {
  promiseStatics.withResolvers = <T>(): Resolvers<T> => {
    let resolve!: Resolvers<T>['resolve'];
    let reject!: Resolvers<T>['reject'];
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

export {};
