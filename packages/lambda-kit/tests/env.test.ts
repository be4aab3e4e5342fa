import { z } from 'zod';
import { EnvironmentError, loadEnv } from '../src';

const schema = z.object({
  CATALOG_TABLE_NAME: z.string().min(1),
  EVENT_BUS_NAME: z.string().min(1),
  MAX_PARALLEL: z.coerce.number().int().positive().default(4),
});

describe('loadEnv', () => {
  it('returns typed configuration, coercing and defaulting, and ignores unrelated variables', () => {
    const config = loadEnv(schema, { CATALOG_TABLE_NAME: 'catalog', EVENT_BUS_NAME: 'bus', PATH: '/bin' });

    expect(config).toEqual({ CATALOG_TABLE_NAME: 'catalog', EVENT_BUS_NAME: 'bus', MAX_PARALLEL: 4 });
  });

  it('names every missing and every invalid variable in one error', () => {
    const load = () => loadEnv(schema, { EVENT_BUS_NAME: '', MAX_PARALLEL: 'many' });

    expect(load).toThrow(EnvironmentError);
    try {
      load();
    } catch (error) {
      const { issues, message } = error as EnvironmentError;
      expect(issues.map((i) => i.variable)).toEqual(['CATALOG_TABLE_NAME', 'EVENT_BUS_NAME', 'MAX_PARALLEL']);
      expect(issues.find((i) => i.variable === 'CATALOG_TABLE_NAME')?.message).toBe('is not set');
      expect(message).toContain('CATALOG_TABLE_NAME: is not set');
      expect(message).toContain('MAX_PARALLEL');
    }
  });

  it('never repeats a value in its message, since variables may hold secrets', () => {
    const secret = z.object({ API_TOKEN: z.string().length(40) });

    expect(() => loadEnv(secret, { API_TOKEN: 'hunter2' })).toThrow(/API_TOKEN/);
    expect(() => loadEnv(secret, { API_TOKEN: 'hunter2' })).not.toThrow(/hunter2/);
  });

  it('reads process.env by default', () => {
    process.env.LAMBDA_KIT_TEST_VARIABLE = 'set';
    try {
      expect(loadEnv(z.object({ LAMBDA_KIT_TEST_VARIABLE: z.string() }))).toEqual({
        LAMBDA_KIT_TEST_VARIABLE: 'set',
      });
    } finally {
      delete process.env.LAMBDA_KIT_TEST_VARIABLE;
    }
  });
});
