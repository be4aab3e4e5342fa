import {
  type Bundles,
  bundleAll,
  lambdaFunctions,
  SIZE_BUDGETS,
  SIZE_TARGET,
  sizeBudget,
} from '../bench/bundles';

/**
 * Every function of the services' `functions.yml` bundled as the deployment bundles it (serverless.yml's
 * `custom.esbuild`), beside the floor bundled the same way in the same run: `@aws-sdk/client-ec2` alone
 * with one command. A function's bundle may be at most `SIZE_TARGET` times the floor's, or the budget
 * `bench/bundles.ts` holds it to while it cannot be (`SIZE_BUDGETS`, each with its reason); a change that
 * makes one larger fails here. Sizes only: cold import times are `npm run bench -- bundles`'s.
 */
let bundles: Bundles;

beforeAll(async () => {
  // One esbuild build of every entry point: some 20 s on a loaded machine.
  bundles = await bundleAll();
}, 180_000);

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

describe('the Lambda bundles', () => {
  it('bundle every function of the services', () => {
    expect(bundles.functions.map((b) => b.name).sort()).toEqual(
      lambdaFunctions()
        .map((fn) => fn.name)
        .sort(),
    );
    expect(bundles.floor.bytes).toBeGreaterThan(0);
  });

  it.each(lambdaFunctions().map((fn) => fn.name))('%s stays within its size against the floor', (name) => {
    const bundle = bundles.functions.find((b) => b.name === name);
    const budget = sizeBudget(name);
    const ratio = (bundle?.bytes ?? Number.POSITIVE_INFINITY) / bundles.floor.bytes;
    const largest = Object.entries(bundle?.inputs ?? {})
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([input, bytes]) => `${input} ${kib(bytes)}`)
      .join(', ');
    expect({
      name,
      withinBudget: ratio <= budget,
      detail: `${kib(bundle?.bytes ?? 0)} = ${ratio.toFixed(2)} × the floor's ${kib(bundles.floor.bytes)}, budget ${budget.toFixed(2)} × (target ${SIZE_TARGET} ×); largest inputs: ${largest}`,
    }).toMatchObject({ name, withinBudget: true });
  });

  it("bundles the policy file's parser into no function: handlers read stored configs as JSON", () => {
    expect(bundles.functions.filter((b) => (b.inputs.yaml ?? 0) > 0).map((b) => b.name)).toEqual([]);
  });

  it("bundles Powertools' parser into no function: its schemas import every zod locale", () => {
    expect(
      bundles.functions
        .filter((b) => (b.inputs['@aws-lambda-powertools/parser'] ?? 0) > 0)
        .map((b) => b.name),
    ).toEqual([]);
  });
  it("keeps zod's locales out of every function: at most 160 KiB of zod in any bundle", () => {
    // `import { z } from 'zod'` anywhere a function reaches keeps zod's whole namespace, locales and
    // all (some 450 KiB); `import * as z` keeps what is used, about 105 KiB.
    expect(
      bundles.functions
        .filter((b) => (b.inputs.zod ?? 0) > 160 * 1024)
        .map((b) => `${b.name}: ${kib(b.inputs.zod ?? 0)} of zod`),
    ).toEqual([]);
  });

  it('holds no function to a budget it no longer needs: each budget is within 0.1 of its size', () => {
    // A budget far above a function's size lets it grow unnoticed; lower it when a function shrinks.
    const stale = Object.entries(SIZE_BUDGETS).flatMap(([name, budget]) => {
      const bundle = bundles.functions.find((b) => b.name === name);
      if (bundle === undefined) return [`${name}: no such function`];
      const ratio = bundle.bytes / bundles.floor.bytes;
      return ratio <= SIZE_TARGET || budget - ratio > 0.1
        ? [`${name}: ${ratio.toFixed(2)} × the floor, budget ${budget.toFixed(2)}`]
        : [];
    });
    expect(stale).toEqual([]);
  });
});
