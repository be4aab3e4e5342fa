/**
 * Every deployed function as the fuzzer sees it: how it is triggered, valid events to start from, and
 * what each field of its input is. The field kinds are written from the contracts and the state machine
 * definitions, not read off the handlers' schemas, so a schema looser than its contract shows up.
 *
 * Identifiers that name things in AWS or the catalog (families, versions, AMI, snapshot and instance ids,
 * regions, accounts, channels, parameter names, run ids) must be well formed wherever they appear; opaque
 * tokens (correlation ids, idempotency keys, command ids, free text) only need their type and the bounds
 * their contract gives them.
 */
import { readFixture } from '@ami-lifecycle/contracts';
import { type Kind, kinds as k } from './hostile';
import { isRecord, type Json, matches, type Path } from './paths';

export type Trigger = 'bus' | 'aws' | 'schedule' | 'step';

export interface HandlerModel {
  /** The function's key in serverless.yml. */
  key: string;
  trigger: Trigger;
  /** Valid events; the first is the one that shows the function still works after the fuzzing. */
  bases: readonly { name: string; event: Json }[];
  /** Field kinds by path pattern (`request.family`, `plan.regions.*`); the first match wins. */
  fields: readonly (readonly [string, Kind])[];
  /** Paths that may be absent. */
  optional: readonly string[];
}

type Fields = readonly (readonly [string, Kind])[];

const under = (prefix: string, fields: Fields): Fields =>
  fields.map(([pattern, kind]) => [pattern === '' ? prefix : `${prefix}.${pattern}`, kind] as const);
const optionalUnder = (prefix: string, paths: readonly string[]) => paths.map((p) => `${prefix}.${p}`);

// --- Our bus: the EventBridge envelope and the contracts' details ----------------------------------

const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNTRIAGED'];
const BUILD_REASONS = ['manual', 'schedule', 'parent-published', 'vulnerable', 'stale-base'];
const BUILD_STAGES = ['resolve-source', 'launch-builder', 'run-components', 'create-image', 'await-image'];
const INSTANCE_STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'];

/** EventBridge's envelope: AWS writes it, so only its types (and the routing fields) are held to a rule. */
const envelopeFields = (detailType: string, source: string): Fields => [
  ['version', k.text()],
  ['id', k.text()],
  ['detail-type', k.literal(detailType)],
  ['source', k.literal(source)],
  ['account', k.text()],
  ['time', k.timestamp],
  ['region', k.text()],
  ['resources', k.array()],
  ['resources.*', k.text()],
];

const tracingFields: Fields = [
  ['schemaVersion', k.literal(1)],
  ['correlationId', k.text({ min: 1, max: 128 })],
  ['idempotencyKey', k.text({ min: 1, max: 256 })],
  ['occurredAt', k.timestamp],
];

const imageRefFields: Fields = [
  ['', k.strict],
  ['family', k.family],
  ['version', k.version],
  ['imageId', k.ami],
];

const identityFields: Fields = [...tracingFields, ['family', k.family], ['version', k.version]];

const buildRequestedFields: Fields = [
  ['', k.strict],
  ...tracingFields,
  ['family', k.family],
  ['reason', k.oneOf(...BUILD_REASONS)],
  ['requestedBy', k.text({ min: 1, max: 256 })],
  ['force', k.boolean],
  ...under('parent', imageRefFields),
];

const imageBuiltFields: Fields = [
  ['', k.strict],
  ...identityFields,
  ['imageId', k.ami],
  ['buildId', k.id(80)],
  ['region', k.region],
  ['snapshotIds', k.array(1)],
  ['snapshotIds.*', k.snapshot],
  ...under('parent', imageRefFields),
  ['sourceAmiId', k.ami],
  ['buildKey', k.text({ format: 'sha256' })],
];

const imageApprovedFields: Fields = [
  ['', k.strict],
  ...identityFields,
  ['imageId', k.ami],
  ['approver', k.strict],
  ['approver.kind', k.oneOf('auto', 'person')],
  ['approver.principal', k.text({ min: 1, max: 256 })],
  ['reason', k.text({ nonBlank: true, max: 2048 })],
];

const imagePublishedFields: Fields = [
  ['', k.strict],
  ...identityFields,
  ['imageId', k.ami],
  ['channels', k.array(1)],
  ['channels.*', k.text({ format: 'channel', max: 64 })],
  ['regions', k.record('region', 1)],
  ['regions.*', k.ami],
  ['ssmParameters', k.array(1)],
  ['ssmParameters.*', k.text({ format: 'ssmName', max: 2048 })],
];

const imageVulnerableFields: Fields = [
  ['', k.strict],
  ...identityFields,
  ['imageId', k.ami],
  ['findings', k.array(1)],
  ['findings.*', k.strict],
  ['findings.*.findingArn', k.text({ format: 'findingArn' })],
  ['findings.*.vulnerabilityId', k.text({ format: 'vulnerabilityId', max: 128 })],
  ['findings.*.severity', k.oneOf(...SEVERITIES)],
  ['summary', k.strict],
  ...SEVERITIES.map((s) => [`summary.${s}`, k.int(0)] as const),
];

const ACCOUNT = '111111111111';
const envelope = (detailType: string, source: string, detail: Json, time = '2026-03-01T09:00:00Z'): Json => ({
  version: '0',
  id: '3f1c9a7e-8b2d-4e6f-a1c3-5d7e9f0b2c4d',
  'detail-type': detailType,
  source,
  account: ACCOUNT,
  time,
  region: 'eu-west-1',
  resources: [],
  detail,
});

const fixture = (contract: string, file: string): Json =>
  readFixture(`tests/events/${contract}/${file}`) as Json;

const busModel = (
  key: string,
  detailType: string,
  fields: Fields,
  details: readonly { name: string; detail: Json }[],
  optional: readonly string[] = [],
): HandlerModel => ({
  key,
  trigger: 'bus',
  bases: details.map(({ name, detail }) => ({ name, event: envelope(detailType, 'ami-lifecycle', detail) })),
  fields: [['', k.open], ...envelopeFields(detailType, 'ami-lifecycle'), ...under('detail', fields)],
  optional: optionalUnder('detail', optional),
});

/** A build request as a person makes it: `amictl build --by <address>`. */
const e2eBuildRequestedBy = (requestedBy: string): Record<string, Json> => ({
  ...(e2eBuildRequested as Record<string, Json>),
  idempotencyKey: 'fuzz-by-address',
  requestedBy,
});

/** What `LocalPipeline.requestBuild` puts on the bus in the end-to-end tests. */
const e2eBuildRequested: Json = {
  schemaVersion: 1,
  family: 'golden-al2023',
  correlationId: 'corr-fuzz-1',
  idempotencyKey: 'fuzz-1',
  occurredAt: '2026-03-01T09:00:00.000Z',
  reason: 'manual',
  requestedBy: 'local-pipeline',
  force: false,
};

// --- AWS's own events and schedules -------------------------------------------------------------------

const scheduleModel = (key: string): HandlerModel => ({
  key,
  trigger: 'schedule',
  bases: [
    {
      name: 'scheduled event',
      event: {
        ...(envelope('Scheduled Event', 'aws.events', {}) as Record<string, Json>),
        resources: [`arn:aws:events:eu-west-1:${ACCOUNT}:rule/${key}`],
      },
    },
  ],
  // A schedule's detail is `{}` and nothing reads it.
  fields: [['', k.open], ...envelopeFields('Scheduled Event', 'aws.events'), ['detail', k.any]],
  optional: [],
});

// --- State machine steps --------------------------------------------------------------------------------

const buildProgress = (extra: Record<string, Json> = {}): Json => ({
  family: 'golden-al2023',
  version: '2026.03.01.1',
  buildId: 'build-golden-al2023-fuzz',
  correlationId: 'corr-fuzz-1',
  instanceId: 'i-0123456789abcdef0',
  stepIndex: 0,
  stepCount: 3,
  checks: 0,
  maxChecks: 20,
  ...extra,
});

const buildProgressFields: Fields = [
  // The machine carries the progress as it is; extra keys are not the step's business.
  ['', k.open],
  ['family', k.family],
  ['version', k.version],
  ['buildId', k.text({ min: 1 })],
  ['correlationId', k.text({ min: 1 })],
  ['instanceId', k.instance],
  ['stepIndex', k.int(0)],
  ['stepCount', k.int(0)],
  ['stepName', k.text({ min: 1 })],
  ['commandId', k.text({ min: 1 })],
  ['stepStatus', k.oneOf('running', 'succeeded', 'failed')],
  ['reason', k.text({ min: 1 })],
  ['builderState', k.oneOf(...INSTANCE_STATES)],
  ['checks', k.int(0)],
  ['maxChecks', k.int(1)],
  ['imageId', k.ami],
];
const buildProgressOptional = ['stepName', 'commandId', 'stepStatus', 'reason', 'builderState', 'imageId'];

const buildStep = (key: string): HandlerModel => ({
  key,
  trigger: 'step',
  bases: [
    { name: 'booting builder', event: buildProgress() },
    {
      name: 'step running',
      event: buildProgress({
        stepName: 'os-update',
        commandId: '4f1a7c52-9b3e-4d8a-a6f0-2c5e8b1d9f34',
        stepStatus: 'running',
        reason: 'still running',
        builderState: 'running',
        imageId: 'ami-0a1b2c3d4e5f60718',
      }),
    },
  ],
  fields: buildProgressFields,
  optional: buildProgressOptional,
});

const inspectionRequest: Json = {
  inspectionId: 'inspect-golden-al2023-2026_03_01_1-0123456789ab',
  family: 'golden-al2023',
  version: '2026.03.01.1',
  imageId: 'ami-0a1b2c3d4e5f60718',
  purpose: 'candidate',
  correlationId: 'corr-fuzz-1',
};
const inspectionRequestFields: Fields = [
  ['', k.strict],
  ['inspectionId', k.id(64)],
  ['family', k.family],
  ['version', k.version],
  ['imageId', k.ami],
  ['purpose', k.oneOf('candidate', 'reinspection')],
  ['correlationId', k.text({ min: 1, max: 128 })],
];

const publicationRequest: Json = {
  publicationId: 'golden-al2023-2026.03.01.1-0123456789abcdef01234567',
  family: 'golden-al2023',
  version: '2026.03.01.1',
  imageId: 'ami-0a1b2c3d4e5f60718',
  correlationId: 'corr-fuzz-1',
};
const publicationRequestFields: Fields = [
  ['', k.strict],
  ['publicationId', k.id(80)],
  ['family', k.family],
  ['version', k.version],
  ['imageId', k.ami],
  ['correlationId', k.text({ min: 1, max: 128 })],
];

const publicationPlan: Json = {
  homeRegion: 'eu-west-1',
  regions: ['eu-west-1', 'eu-central-1'],
  copyRegions: ['eu-central-1'],
  kmsKeyIds: { 'eu-west-1': 'alias/ami-lifecycle', 'eu-central-1': 'alias/ami-lifecycle' },
  channels: ['latest', 'stable'],
  grants: {
    accountIds: ['222222222222'],
    organizationArns: ['arn:aws:organizations::111111111111:organization/o-testorg123'],
    organizationalUnitArns: ['arn:aws:organizations::111111111111:ou/o-testorg123/ou-root-workload'],
  },
  parameters: [
    { region: 'eu-west-1', channel: 'latest', name: '/ami-lifecycle/golden-al2023/latest' },
    { region: 'eu-central-1', channel: 'stable', name: '/ami-lifecycle/golden-al2023/stable' },
  ],
  copyPollSeconds: 60,
  maxCopyChecks: 240,
  parameterPollSeconds: 10,
  configVersion: 1,
};
const parameterFields: Fields = [
  ['', k.strict],
  ['region', k.region],
  ['channel', k.text({ format: 'channel', max: 64 })],
  ['name', k.text({ format: 'ssmName', max: 2048 })],
];
const publicationPlanFields: Fields = [
  ['', k.strict],
  ['homeRegion', k.region],
  ['regions', k.array(1)],
  ['regions.*', k.region],
  ['copyRegions', k.array()],
  ['copyRegions.*', k.region],
  ['kmsKeyIds', k.record('region')],
  ['kmsKeyIds.*', k.text({ format: 'kmsKey' })],
  ['channels', k.array(1)],
  ['channels.*', k.text({ format: 'channel', max: 64 })],
  ['grants', k.strict],
  ['grants.accountIds', k.array()],
  ['grants.accountIds.*', k.account],
  ['grants.organizationArns', k.array()],
  ['grants.organizationArns.*', k.text({ min: 1 })],
  ['grants.organizationalUnitArns', k.array()],
  ['grants.organizationalUnitArns.*', k.text({ min: 1 })],
  ['parameters', k.array()],
  ...under('parameters.*', parameterFields),
  ['copyPollSeconds', k.int(1)],
  ['maxCopyChecks', k.int(1)],
  ['parameterPollSeconds', k.int(1)],
  ['configVersion', k.int(1)],
];

const step = (
  key: string,
  name: string,
  event: Json,
  fields: Fields,
  optional: readonly string[] = [],
): HandlerModel => ({ key, trigger: 'step', bases: [{ name, event }], fields, optional });

const sweep = { sweepId: 'sweep-2026-03-01', dryRun: true };
const sweepFields: Fields = [
  ['', k.strict],
  ['sweepId', k.id(80)],
  ['dryRun', k.boolean],
  ['region', k.region],
  ['batch', k.int(0)],
];

/**
 * notifyOnEvent takes six detail-types, each with its contract's detail: another of them is no bad value
 * (the event is then read, and refused, by that contract), so only a detail-type outside them is.
 */
const NOTIFIED_DETAIL_TYPES = [
  'Image Inspection Completed',
  'Image Rejected',
  'Image Build Failed',
  'Image Vulnerable',
  'Image Published',
  'Retention Sweep Completed',
];
const notifyModel = (model: HandlerModel): HandlerModel => ({
  ...model,
  fields: [['detail-type', k.oneOf(...NOTIFIED_DETAIL_TYPES)], ...model.fields],
});

// --- Every deployed function ---------------------------------------------------------------------------

export const HANDLERS: readonly HandlerModel[] = [
  // build
  busModel('requestBuild', 'Build Requested', buildRequestedFields, [
    { name: 'end-to-end build request', detail: e2eBuildRequested },
    { name: 'fixture valid-manual', detail: fixture('build-requested', 'valid-manual.json') },
    {
      name: 'fixture valid-parent-published',
      detail: fixture('build-requested', 'valid-parent-published.json'),
    },
  ]),
  step(
    'startBuild',
    'build request',
    { request: e2eBuildRequested },
    [['', k.open], ...under('request', buildRequestedFields)],
    ['request.parent'],
  ),
  buildStep('checkBuilder'),
  buildStep('runComponent'),
  buildStep('pollComponent'),
  buildStep('stopBuilder'),
  buildStep('createBuildImage'),
  step(
    'failBuild',
    'failed build',
    {
      request: e2eBuildRequested,
      failedStage: 'run-components',
      error: { Error: 'States.TaskFailed', Cause: '{"errorMessage":"boom"}' },
      build: { family: 'golden-al2023', version: '2026.03.01.1' },
    },
    [
      ['', k.open],
      ...under('request', buildRequestedFields),
      ['failedStage', k.oneOf(...BUILD_STAGES)],
      // Read leniently on purpose: failing here would leave the build unmarked and its builder running.
      ['error', k.any],
      ['error.**', k.any],
      ['build', k.any],
      ['build.**', k.any],
    ],
    ['request.parent', 'error', 'build'],
  ),
  {
    key: 'onImageStateChange',
    trigger: 'aws',
    bases: [
      {
        name: 'AMI available',
        event: envelope('EC2 AMI State Change', 'aws.ec2', {
          ImageId: 'ami-0a1b2c3d4e5f60718',
          State: 'available',
        }),
      },
      {
        name: 'AMI failed',
        event: envelope('EC2 AMI State Change', 'aws.ec2', {
          ImageId: 'ami-0a1b2c3d4e5f60718',
          State: 'failed',
          ErrorMessage: 'Client.InternalError',
        }),
      },
    ],
    fields: [
      ['', k.open],
      // Only the routing fields and the detail are read; AWS owns the rest of the envelope.
      ['version', k.any],
      ['id', k.any],
      ['account', k.any],
      ['time', k.any],
      ['region', k.any],
      ['resources', k.any],
      ['resources.*', k.any],
      ['detail-type', k.literal('EC2 AMI State Change')],
      ['source', k.literal('aws.ec2')],
      ['detail', k.open],
      ['detail.ImageId', k.ami],
      ['detail.State', k.text({ min: 1 })],
      ['detail.ErrorMessage', k.text()],
    ],
    optional: ['detail.ErrorMessage'],
  },
  scheduleModel('reconcileBuilds'),

  // inspect
  busModel(
    'inspectRequest',
    'Image Built',
    imageBuiltFields,
    [
      { name: 'fixture valid-golden', detail: fixture('image-built', 'valid-golden.json') },
      { name: 'fixture valid-application', detail: fixture('image-built', 'valid-application.json') },
    ],
    // Absent for golden families.
    ['parent'],
  ),
  step('inspectStart', 'inspection request', { request: inspectionRequest }, [
    ['', k.strict],
    ...under('request', inspectionRequestFields),
  ]),
  step(
    'inspectCheckCoverage',
    'first look',
    { instanceId: 'i-0123456789abcdef0', attempts: 0, maxChecks: 45 },
    [
      ['', k.strict],
      ['instanceId', k.instance],
      ['attempts', k.int(0)],
      ['maxChecks', k.int(1)],
    ],
  ),
  step(
    'inspectRunTests',
    'tests to run',
    {
      family: 'golden-al2023',
      instanceId: 'i-0123456789abcdef0',
      inspectionId: 'inspect-golden-al2023-2026_03_01_1-0123456789ab',
    },
    [
      ['', k.strict],
      ['family', k.family],
      ['instanceId', k.instance],
      ['inspectionId', k.id(64)],
    ],
    ['inspectionId'],
  ),
  step(
    'inspectCheckTests',
    'tests running',
    {
      instanceId: 'i-0123456789abcdef0',
      commands: [{ name: 'agents-running', commandId: '4f1a7c52-9b3e-4d8a-a6f0-2c5e8b1d9f34' }],
      attempts: 0,
      maxChecks: 10,
    },
    [
      ['', k.strict],
      ['instanceId', k.instance],
      ['commands', k.array()],
      ['commands.*', k.strict],
      ['commands.*.name', k.text({ min: 1 })],
      ['commands.*.commandId', k.text({ min: 1 })],
      ['attempts', k.int(0)],
      ['maxChecks', k.int(1)],
    ],
  ),
  step(
    'inspectRecordVerdict',
    'tests passed',
    {
      request: inspectionRequest,
      instanceId: 'i-0123456789abcdef0',
      tests: [{ name: 'agents-running', passed: true, detail: 'active' }],
    },
    [
      ['', k.strict],
      ...under('request', inspectionRequestFields),
      ['instanceId', k.instance],
      ['tests', k.array()],
      ['tests.*', k.strict],
      ['tests.*.name', k.text({ min: 1 })],
      ['tests.*.passed', k.boolean],
      ['tests.*.detail', k.text()],
    ],
    ['tests.*.detail'],
  ),
  step('inspectTerminate', 'inspection request', { request: inspectionRequest }, [
    ['', k.strict],
    ...under('request', inspectionRequestFields),
  ]),
  step(
    'inspectRecordFailure',
    'caught failure',
    { request: inspectionRequest, failure: { Error: 'States.TaskFailed', Cause: '{"errorMessage":"boom"}' } },
    [
      ['', k.strict],
      ...under('request', inspectionRequestFields),
      // What a Catch writes: Step Functions' own shape, extra keys included.
      ['failure', k.open],
      ['failure.Error', k.text({ min: 1 })],
      ['failure.Cause', k.text()],
    ],
    ['failure.Cause'],
  ),
  {
    key: 'inspectOnFinding',
    trigger: 'aws',
    bases: [
      {
        name: 'finding on an EC2 instance',
        event: envelope('Inspector2 Finding', 'aws.inspector2', {
          findingArn: `arn:aws:inspector2:eu-west-1:${ACCOUNT}:finding/4f7c1e2d9a8b3c6d5e4f3a2b1c0d9e8f`,
          severity: 'HIGH',
          resources: [
            {
              type: 'AWS_EC2_INSTANCE',
              id: 'i-0123456789abcdef0',
              details: {
                awsEc2Instance: { imageId: 'ami-0a1b2c3d4e5f60718', platform: 'AMAZON_LINUX_2023' },
              },
            },
          ],
        }),
      },
    ],
    fields: [
      ['', k.open],
      ...envelopeFields('Inspector2 Finding', 'aws.inspector2'),
      // AWS owns the finding and adds fields; only what the use case reads is held to a rule.
      ['detail', k.open],
      ['detail.findingArn', k.text({ min: 1 })],
      ['detail.severity', k.any],
      ['detail.resources', k.array(1)],
      ['detail.resources.*', k.open],
      ['detail.resources.*.type', k.text()],
      ['detail.resources.*.id', k.text({ min: 1 })],
      ['detail.resources.*.details', k.open],
      ['detail.resources.*.details.awsEc2Instance', k.open],
      ['detail.resources.*.details.awsEc2Instance.imageId', k.ami],
      ['detail.resources.*.details.awsEc2Instance.platform', k.any],
    ],
    optional: [
      'detail.severity',
      'detail.resources.*.details',
      'detail.resources.*.details.awsEc2Instance',
      'detail.resources.*.details.awsEc2Instance.imageId',
      'detail.resources.*.details.awsEc2Instance.platform',
    ],
  },
  scheduleModel('inspectReinspect'),
  scheduleModel('inspectReconcile'),

  // publish
  busModel('publishRequest', 'Image Approved', imageApprovedFields, [
    { name: 'fixture valid-auto', detail: fixture('image-approved', 'valid-auto.json') },
    { name: 'fixture valid-person', detail: fixture('image-approved', 'valid-person.json') },
  ]),
  step('publishPlan', 'approved image', { request: publicationRequest }, [
    ['', k.strict],
    ...under('request', publicationRequestFields),
  ]),
  ...(['publishCopy', 'publishShare', 'publishComplete'] as const).map((key) =>
    step(key, 'planned publication', { request: publicationRequest, plan: publicationPlan }, [
      ['', k.strict],
      ...under('request', publicationRequestFields),
      ...under('plan', publicationPlanFields),
    ]),
  ),
  step(
    'publishCheckCopies',
    'copies in flight',
    { request: publicationRequest, plan: publicationPlan, checks: 0 },
    [
      ['', k.strict],
      ...under('request', publicationRequestFields),
      ...under('plan', publicationPlanFields),
      ['checks', k.int(0)],
    ],
  ),
  step(
    'publishParameters',
    'parameters being written',
    {
      request: publicationRequest,
      plan: publicationPlan,
      progress: {
        checks: 1,
        entries: { 'eu-west-1/latest': { writes: 1, looksSinceWrite: 0 } },
      },
    },
    [
      ['', k.strict],
      ...under('request', publicationRequestFields),
      ...under('plan', publicationPlanFields),
      ['progress', k.strict],
      ['progress.checks', k.int(0)],
      ['progress.entries', k.record()],
      ['progress.entries.*', k.strict],
      ['progress.entries.*.writes', k.int(0)],
      ['progress.entries.*.looksSinceWrite', k.int(0)],
    ],
    ['progress'],
  ),
  step(
    'publishRecordFailure',
    'caught failure',
    {
      request: publicationRequest,
      failure: { Error: 'PlanNotExecutableError', Cause: '{"errorMessage":"no key"}' },
      parameters: publicationPlan.parameters as Json,
    },
    [
      ['', k.strict],
      ...under('request', publicationRequestFields),
      ['failure', k.open],
      ['failure.Error', k.text()],
      ['failure.Cause', k.text()],
      ['parameters', k.array()],
      ...under('parameters.*', parameterFields),
    ],
    ['failure.Error', 'failure.Cause', 'parameters'],
  ),

  // refresh
  busModel('refreshOnPublished', 'Image Published', imagePublishedFields, [
    { name: 'fixture valid-multi-region', detail: fixture('image-published', 'valid-multi-region.json') },
  ]),
  busModel('refreshOnVulnerable', 'Image Vulnerable', imageVulnerableFields, [
    { name: 'fixture valid-critical-cve', detail: fixture('image-vulnerable', 'valid-critical-cve.json') },
  ]),
  scheduleModel('refreshDaily'),

  // decommission
  scheduleModel('decommissionStart'),
  step('decommissionPrepare', 'sweep', sweep, sweepFields),
  step(
    'decommissionInventory',
    'region of a sweep',
    { sweepId: sweep.sweepId, region: 'eu-west-1' },
    sweepFields,
  ),
  step('decommissionPlan', 'sweep', sweep, sweepFields),
  step('decommissionApply', 'batch of a sweep', { sweepId: sweep.sweepId, batch: 0 }, sweepFields),
  step('decommissionComplete', 'sweep', sweep, sweepFields),

  // notify: one function for every outcome it tells people about, modelled by the richest of them (its
  // schema is a union by detail-type, each branch the contract's own); the originator's function sees only
  // requests by an address (its rule's content filter).
  notifyModel(
    busModel('notifyOnEvent', 'Image Vulnerable', imageVulnerableFields, [
      { name: 'fixture valid-critical-cve', detail: fixture('image-vulnerable', 'valid-critical-cve.json') },
    ]),
  ),
  busModel('notifyOriginator', 'Build Requested', buildRequestedFields, [
    { name: 'build requested by an address', detail: { ...e2eBuildRequestedBy('alice@example.com') } },
  ]),
  scheduleModel('notifyDeadLetters'),
  scheduleModel('notifyReconcile'),
];

/** The kind of the field at `path`, by the model's patterns; unknown paths are read as free text. */
export const kindAt = (model: HandlerModel, path: Path, value: Json): Kind => {
  const found = model.fields.find(([pattern]) => matches(path, pattern));
  if (found !== undefined) return found[1];
  if (Array.isArray(value)) return k.array();
  if (isRecord(value)) return k.strict;
  if (typeof value === 'number') return { type: 'number' };
  if (typeof value === 'boolean') return k.boolean;
  return k.text();
};

export const isOptional = (model: HandlerModel, path: Path): boolean =>
  model.optional.some((pattern) => matches(path, pattern));

/** The contract, its handler, and the invalid fixtures with the path each must be refused at. */
export const INVALID_FIXTURES: readonly { contract: string; handler: string; detailType: string }[] = [
  { contract: 'build-requested', handler: 'requestBuild', detailType: 'Build Requested' },
  { contract: 'image-built', handler: 'inspectRequest', detailType: 'Image Built' },
  { contract: 'image-approved', handler: 'publishRequest', detailType: 'Image Approved' },
  { contract: 'image-published', handler: 'refreshOnPublished', detailType: 'Image Published' },
  { contract: 'image-vulnerable', handler: 'refreshOnVulnerable', detailType: 'Image Vulnerable' },
];

export const invalidFixtureCases = (): { handler: string; file: string; event: Json; path: Path }[] =>
  INVALID_FIXTURES.flatMap(({ contract, handler, detailType }) => {
    const paths = fixture(contract, 'invalid-paths.json') as Record<string, string>;
    return Object.entries(paths).map(([file, path]) => ({
      handler,
      file: `${contract}/${file}`,
      event: envelope(detailType, 'ami-lifecycle', fixture(contract, file)),
      path: parsePath(path),
    }));
  });

/** `detail.findings[0].vulnerabilityId` -> `['detail', 'findings', 0, 'vulnerabilityId']`. */
export const parsePath = (text: string): Path =>
  text
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((s) => s !== '')
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
