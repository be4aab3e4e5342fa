import type { AwsError } from '../../errors';
import { decodeState, encodeState, expectMap, expectRecord, expectSet } from '../../persistence/codec';
import { jsonReply, parseJsonBody } from '../../protocols/json';
import type {
  CloudContext,
  EmulatedService,
  InstanceDirectory,
  ServiceRequest,
  ServiceResponse,
} from '../../types';
import { type Caller, Inspector2Api } from './api';
import { Enablement, type ResourceType } from './enablement';
import { CveFeed, type CveFeedEntry, CveFeedEntrySchema, loadCveFeed } from './feed';
import { InspectorApiError } from './filters';
import { type AddCveResult, Inspector2Scanner, type InstanceRef } from './scanner';

export { compareVersions, formatWithEpoch, parseVersion } from '../../package-versions';
export { FINDING_DETAIL_TYPE, INSPECTOR_SOURCE, SCAN_DETAIL_TYPE } from './events';
export {
  type CveFeedEntry,
  CveFeedEntrySchema,
  CveFeedFileSchema,
  DEFAULT_FEED_PATH,
  isAffected,
  loadCveFeed,
} from './feed';
export { eventTimestamp } from './model';
export type { AddCveResult, InstanceRef } from './scanner';

export const DEFAULT_SCAN_DELAY_SECONDS = 120;
export const DEFAULT_POLL_INTERVAL_SECONDS = 60;

export interface Inspector2ServiceOptions {
  /** The vulnerability feed; `data/cve-feed.json` when absent. */
  feed?: readonly CveFeedEntry[];
  /** Simulated seconds from an instance seen running (or its inventory seen changed) to its scan result. */
  scanDelaySeconds?: number;
  /** Simulated seconds between polls of the instance directory. */
  pollIntervalSeconds?: number;
  /**
   * Regions to poll in every modelled account from the start (a list, or a function read at each poll,
   * e.g. the regions EC2 has stores for). Without it, a region is polled once an Inspector2 request or
   * `notifyInventoryChanged` has named it.
   */
  regions?: readonly string[] | (() => Iterable<string>);
  /** Leave instances without an instance profile unscanned (`UNMANAGED_EC2_INSTANCE`), as AWS does. */
  requireManagedInstances?: boolean;
}

const CONTENT_TYPE = 'application/json';

/** REST-JSON routes: `METHOD path` -> operation, as the Inspector2 SDK's serialisers send them. */
const ROUTES: Readonly<Record<string, string>> = {
  'POST /coverage/list': 'ListCoverage',
  'POST /findings/list': 'ListFindings',
  'POST /findings/details/batch/get': 'BatchGetFindingDetails',
  'POST /findings/aggregation/list': 'ListFindingAggregations',
  'POST /enable': 'Enable',
  'POST /status/batch/get': 'BatchGetAccountStatus',
};

const nonNegative = (name: string, v: number | undefined, fallback: number, positive = false): number => {
  const value = v ?? fallback;
  if (!Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    throw new RangeError(
      `Inspector2Service option ${name} must be a ${positive ? 'positive' : 'non-negative'} number of seconds, got ${v}`,
    );
  }
  return value;
};

/**
 * The Inspector2 emulator (REST-JSON): EC2 package-vulnerability coverage and findings for the
 * instances EC2 owns, from a CVE fixture feed, on the simulated clock; emits `Inspector2 Finding` and
 * `Inspector2 Scan`. Behaviour and its differences from AWS are in this folder's README.
 */
export class Inspector2Service implements EmulatedService {
  readonly signingName = 'inspector2';
  readonly scanner: Inspector2Scanner;
  private readonly api: Inspector2Api;
  /** Which resource types are enabled per account and region (EC2 from the start: see `enablement.ts`). */
  readonly enablement = new Enablement();
  private readonly operations: Record<string, (caller: Caller, body: unknown) => unknown>;

  constructor(ctx: CloudContext, instances: InstanceDirectory, options: Inspector2ServiceOptions = {}) {
    const entries = (options.feed ?? loadCveFeed()).map((e) => CveFeedEntrySchema.parse(e));
    const regions = options.regions;
    this.scanner = new Inspector2Scanner(ctx, instances, {
      feed: new CveFeed(entries),
      scanDelaySeconds: nonNegative('scanDelaySeconds', options.scanDelaySeconds, DEFAULT_SCAN_DELAY_SECONDS),
      pollIntervalSeconds: nonNegative(
        'pollIntervalSeconds',
        options.pollIntervalSeconds,
        DEFAULT_POLL_INTERVAL_SECONDS,
        true,
      ),
      regions: regions === undefined ? undefined : typeof regions === 'function' ? regions : () => regions,
      requireManagedInstances: options.requireManagedInstances ?? false,
    });
    this.api = new Inspector2Api(this.scanner);
    this.operations = {
      ListCoverage: (caller, body) => this.api.listCoverage(caller, body),
      ListFindings: (caller, body) => this.api.listFindings(caller, body),
      BatchGetFindingDetails: (caller, body) => this.api.batchGetFindingDetails(caller, body),
      ListFindingAggregations: (caller, body) => this.api.listFindingAggregations(caller, body),
      Enable: (caller, body) => this.enablement.enable(caller, body),
      BatchGetAccountStatus: (caller, body) => this.enablement.batchGetAccountStatus(caller, body),
    };
  }

  /** Adds or replaces a feed entry at run time (`POST /_local/inspector/cves`); see `Inspector2Scanner.addCve`. */
  addCve(entry: unknown): AddCveResult {
    return this.scanner.addCve(entry);
  }

  /** The feed entries in effect. */
  cves(): CveFeedEntry[] {
    return this.scanner.cves();
  }

  /** Coverage, findings, the feed entries added at run time and what Enable changed, as JSON. */
  snapshotState(): unknown {
    return encodeState({ scanner: this.scanner.exportState(), enablement: this.enablement.exportState() });
  }

  /** Replaces this emulator's state with a `snapshotState` of an earlier run. */
  restoreState(saved: unknown): void {
    const data = expectRecord(decodeState(saved), '$');
    const enablement = expectMap<string, Set<ResourceType>>(data.enablement, '$.enablement');
    for (const [key, types] of enablement) expectSet(types, `$.enablement[${key}]`);
    this.scanner.importState(expectRecord(data.scanner, '$.scanner'));
    this.enablement.importState(enablement);
  }

  /** Optional hint from EC2 or SSM that an instance changed; the poll notices every change anyway. */
  notifyInventoryChanged(ref: InstanceRef): void {
    this.scanner.notifyInventoryChanged(ref);
  }

  operation(req: ServiceRequest): string {
    return ROUTES[`${req.method.toUpperCase()} ${req.path}`] ?? 'Unknown';
  }

  async handle(req: ServiceRequest, operation: string): Promise<ServiceResponse> {
    const run = Object.hasOwn(this.operations, operation) ? this.operations[operation] : undefined;
    if (!run) {
      throw new InspectorApiError(
        'ResourceNotFoundException',
        `The local cloud's Inspector2 has no operation at ${req.method} ${req.path}; it implements ${Object.entries(
          ROUTES,
        )
          .map(([route, op]) => `${op} (${route})`)
          .join(', ')}.`,
        404,
      );
    }
    const caller: Caller = { accountId: req.principal.accountId, region: req.region };
    return jsonReply(CONTENT_TYPE, 200, run(caller, parseJsonBody(req.body)), req);
  }

  renderError(err: AwsError, req: ServiceRequest): ServiceResponse {
    // The edge names unexpected failures InternalError; Inspector2's model calls it InternalServerException.
    const code = err.code === 'InternalError' ? 'InternalServerException' : err.code;
    const members = err instanceof InspectorApiError ? err.members : {};
    return jsonReply(CONTENT_TYPE, err.status, { message: err.message, ...members }, req, code);
  }
}
