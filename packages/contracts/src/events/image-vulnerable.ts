import * as z from 'zod';
import { amiId, EVENT_SOURCE, imageIdentity, severity, severityCounts } from '../fields';
import { eventFixtures } from '../fixtures';

export const source = EVENT_SOURCE;
export const detailType = 'Image Vulnerable';
export const version = 1;

export const finding = z.strictObject({
  findingArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:inspector2:[a-z0-9-]+:\d{12}:finding\/[0-9a-f]+$/,
      'Expected an Inspector2 finding ARN',
    ),
  /** CVE, GHSA, ALAS, ...: Inspector reports more than CVEs, so only the shape is checked. */
  vulnerabilityId: z
    .string()
    .max(128)
    .regex(/^[A-Z][A-Z0-9]*-[A-Za-z0-9:._-]+$/, 'Expected a vulnerability id such as CVE-2024-6387'),
  severity,
});

export const schema = z
  .strictObject({
    schemaVersion: z.literal(version),
    ...imageIdentity,
    imageId: amiId,
    /** The findings that made the image vulnerable (new or newly over the gate). */
    findings: z.array(finding).min(1),
    /** All active findings on the image, per severity. */
    summary: severityCounts,
  })
  .meta({ title: 'Image Vulnerable v1' });

export type ImageVulnerableDetail = z.infer<typeof schema>;

/** Every schema version consumers still accept, keyed by `schemaVersion`. */
export const schemas = { 1: schema } as const;

export const fixtures = eventFixtures('image-vulnerable', {
  valid: ['valid-critical-cve.json'],
  invalid: [
    'invalid-no-findings.json',
    'invalid-vulnerability-id.json',
    'invalid-unsupported-schema-version.json',
  ],
});
