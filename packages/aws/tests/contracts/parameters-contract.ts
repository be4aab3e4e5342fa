import type { ParameterPort } from '@ami-lifecycle/core';
import { awsErrorCode } from '../../src';

export interface ParametersSubject {
  port: ParameterPort;
  /** Moves the simulated clock on (validations of `aws:ec2:image` values end on it). */
  advance(seconds: number): Promise<void>;
  /** Two different images that are available to the account in the port's region. */
  availableImageIds(): Promise<[string, string]>;
  close?(): Promise<void>;
}

/** Longer than any validation the subjects take (the local cloud and the fake take 2 s). */
const VALIDATED = 5;
/** Well-formed, but no such image. */
const MISSING_IMAGE = 'ami-0123456789abcdef0';

/**
 * The behaviour every `ParameterPort` adapter must have, AWS's asynchronous validation of
 * `aws:ec2:image` values included; the subject is shared by the suite's tests.
 */
export const describeParametersContract = (
  name: string,
  makeSubject: () => Promise<ParametersSubject>,
): void => {
  describe(`${name} (parameters contract)`, () => {
    let s: ParametersSubject;
    let parameters: ParameterPort;
    let imageA: string;
    let imageB: string;
    beforeAll(async () => {
      s = await makeSubject();
      parameters = s.port;
      [imageA, imageB] = await s.availableImageIds();
    });
    afterAll(async () => {
      await s?.close?.();
    });

    it('answers undefined for a parameter that does not exist', async () => {
      expect(await parameters.getParameter('/ami-lifecycle/nothing/here')).toBeUndefined();
    });

    it('creates a parameter that shows only once its image is validated, at the version the put answered', async () => {
      const name = '/ami-lifecycle/golden-al2023/created';

      const { version } = await parameters.putImageParameter(name, imageA);
      const beforeValidation = await parameters.getParameter(name);
      await s.advance(VALIDATED);
      const afterValidation = await parameters.getParameter(name);

      expect(version).toBe(1);
      expect(beforeValidation).toBeUndefined();
      expect(afterValidation).toEqual({ value: imageA, version: 1 });
    });

    it('keeps the old value until an overwrite is validated, then shows the new version', async () => {
      const name = '/ami-lifecycle/golden-al2023/overwritten';
      await parameters.putImageParameter(name, imageA);
      await s.advance(VALIDATED);

      const { version } = await parameters.putImageParameter(name, imageB);
      const beforeValidation = await parameters.getParameter(name);
      await s.advance(VALIDATED);
      const afterValidation = await parameters.getParameter(name);

      expect(version).toBe(2);
      expect(beforeValidation).toEqual({ value: imageA, version: 1 });
      expect(afterValidation).toEqual({ value: imageB, version: 2 });
    });

    it('accepts a put of an image that does not exist, but keeps the old value and version', async () => {
      const name = '/ami-lifecycle/golden-al2023/bad-update';
      await parameters.putImageParameter(name, imageA);
      await s.advance(VALIDATED);

      await parameters.putImageParameter(name, MISSING_IMAGE);
      await s.advance(VALIDATED);
      const afterFailedValidation = await parameters.getParameter(name);
      const { version } = await parameters.putImageParameter(name, imageB);
      await s.advance(VALIDATED);

      expect(afterFailedValidation).toEqual({ value: imageA, version: 1 });
      expect(await parameters.getParameter(name)).toEqual({ value: imageB, version });
      expect(version).toBeGreaterThan(1);
    });

    it('never creates a parameter whose first value is an image that does not exist', async () => {
      const name = '/ami-lifecycle/golden-al2023/bad-create';

      await parameters.putImageParameter(name, MISSING_IMAGE);
      await s.advance(VALIDATED);

      expect(await parameters.getParameter(name)).toBeUndefined();
    });

    it('refuses another write while a value is being validated, and the first one still lands', async () => {
      const name = '/ami-lifecycle/golden-al2023/busy';
      await parameters.putImageParameter(name, imageA);

      const refused = await parameters.putImageParameter(name, imageB).catch((e) => e);
      await s.advance(VALIDATED);

      expect(awsErrorCode(refused)).toBe('TooManyUpdates');
      expect(await parameters.getParameter(name)).toEqual({ value: imageA, version: 1 });
    });

    it('refuses a value that is not an AMI id at once', async () => {
      const name = '/ami-lifecycle/golden-al2023/not-an-ami';

      const refused = await parameters.putImageParameter(name, 'golden-al2023-latest').catch((e) => e);
      await s.advance(VALIDATED);

      expect(awsErrorCode(refused)).toBe('ValidationException');
      expect(await parameters.getParameter(name)).toBeUndefined();
    });
  });
};
