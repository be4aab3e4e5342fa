import type { AwsError } from '../../errors';
import {
  decodeState,
  encodeState,
  expectArray,
  expectMap,
  expectNumber,
  expectRecord,
  expectRecords,
  expectSet,
  expectString,
} from '../../persistence/codec';
import { parseQuery } from '../../protocols/query';
import type {
  CloudContext,
  EmulatedService,
  InstanceDirectory,
  ServiceRequest,
  ServiceResponse,
} from '../../types';
import { canAccessImage } from './access';
import {
  type Ec2ServiceOptions,
  type Handler,
  type OpContext,
  type ResolvedEc2Options,
  resolveOptions,
} from './context';
import { imageAttributeOperations } from './image-attributes';
import { imageGovernanceOperations } from './image-governance';
import { armImageCompletion } from './image-lifecycle';
import { imageReferenceOperations } from './image-references';
import { imageOperations } from './images';
import { armForget, armTransition, instanceDirectory } from './instance-lifecycle';
import { instanceOperations } from './instances';
import { launchTemplateOperations } from './launch-templates';
import type { Ec2Image, Ec2Instance, Ec2Snapshot, LaunchTemplate, RegionStore } from './model';
import { checkDryRun, ec2Error } from './params';
import { snapshotOperations } from './snapshots';
import { Ec2State, type ImageReferenceProvider, type PendingImageCompletion } from './state';
import { tagOperations } from './tags';
import { ec2ErrorXml, ec2ResponseXml } from './xml';

export type { Ec2ServiceOptions } from './context';
export type { Ec2Image, Ec2Instance, Ec2Snapshot, ImageState, LaunchTemplate } from './model';
export type { ImageReference, ImageReferenceProvider } from './state';

const XML_HEADERS = { 'content-type': 'text/xml;charset=UTF-8' };

/**
 * The EC2 emulator: Query protocol in (form body, `Action=...`), EC2 XML out, EC2's error codes. State is
 * kept per region with an owner on every resource, so accounts are isolated unless an image is shared.
 */
export class Ec2Service implements EmulatedService {
  readonly signingName = 'ec2';
  /** The instances, for SSM (commands, inventory) and Inspector (findings); they may change `packages`. */
  readonly instances: InstanceDirectory;
  private readonly state = new Ec2State();
  private readonly options: ResolvedEc2Options;
  private readonly handlers: Readonly<Record<string, Handler>>;
  // `operation` and `handle` both need the parsed form; parse each request once.
  private readonly parsed = new WeakMap<ServiceRequest, Map<string, string>>();

  constructor(
    private readonly ctx: CloudContext,
    options: Ec2ServiceOptions = {},
  ) {
    this.options = resolveOptions(options);
    this.instances = instanceDirectory(this.state);
    this.handlers = {
      ...instanceOperations,
      ...imageOperations,
      ...imageAttributeOperations,
      ...imageGovernanceOperations,
      ...imageReferenceOperations,
      ...snapshotOperations,
      ...tagOperations,
      ...launchTemplateOperations,
    };
  }

  operation(req: ServiceRequest): string {
    return this.params(req).get('Action') ?? 'MissingAction';
  }

  async handle(req: ServiceRequest, operation: string): Promise<ServiceResponse> {
    const params = this.params(req);
    if (!params.get('Action'))
      throw ec2Error('MissingAction', 'The request must contain the parameter Action');
    const handler = Object.hasOwn(this.handlers, operation) ? this.handlers[operation] : undefined;
    if (!handler)
      throw ec2Error('InvalidAction', `The action ${operation} is not valid for this web service.`);
    const op: OpContext = {
      action: operation,
      params,
      accountId: req.principal.accountId,
      principalArn: req.principal.arn,
      region: req.region,
      requestId: req.requestId,
      store: this.state.region(req.region),
      state: this.state,
      cloud: this.ctx,
      options: this.options,
    };
    const body = handler(op);
    // Read-only handlers do not check DryRun themselves: reaching here means the request would succeed.
    checkDryRun(params);
    return { status: 200, headers: XML_HEADERS, body: ec2ResponseXml(operation, req.requestId, body) };
  }

  renderError(err: AwsError, req: ServiceRequest): ServiceResponse {
    return {
      status: err.status,
      headers: XML_HEADERS,
      body: ec2ErrorXml(err.code, err.message, req.requestId),
    };
  }

  /** Regions where anyone has used EC2 so far: the ones other emulators (Inspector2) need to watch. */
  regions(): string[] {
    return [...new Set(this.state.knownRegions().map((s) => s.region))];
  }

  /** The image as `accountId` may see it (own, public or shared), or undefined. */
  getImage(accountId: string, region: string, imageId: string): Readonly<Ec2Image> | undefined {
    const image = this.state.region(region).images.get(imageId);
    return image && canAccessImage(image, accountId, this.ctx.accounts) ? image : undefined;
  }

  /** The images `accountId` owns in a region, deregistered ones excluded, in creation order. */
  listImages(accountId: string, region: string): Readonly<Ec2Image>[] {
    return [...this.state.region(region).images.values()]
      .filter((i) => i.ownerId === accountId && i.state !== 'deregistered')
      .sort((a, b) => a.seq - b.seq);
  }

  getInstance(accountId: string, region: string, instanceId: string): Readonly<Ec2Instance> | undefined {
    return this.instances.find(accountId, region, instanceId) as Ec2Instance | undefined;
  }

  getSnapshot(accountId: string, region: string, snapshotId: string): Readonly<Ec2Snapshot> | undefined {
    const s = this.state.region(region).snapshots.get(snapshotId);
    return s && s.ownerId === accountId ? s : undefined;
  }

  getLaunchTemplate(
    accountId: string,
    region: string,
    launchTemplateId: string,
  ): Readonly<LaunchTemplate> | undefined {
    const lt = this.state.region(region).launchTemplates.get(launchTemplateId);
    return lt && lt.ownerId === accountId ? lt : undefined;
  }

  /**
   * Lets another emulator answer DescribeImageReferences for a resource type it owns, e.g. SSM for
   * `ssm:Parameter` (parameters of data type `aws:ec2:image`).
   */
  addImageReferenceProvider(resourceType: string, provider: ImageReferenceProvider): void {
    this.state.referenceProviders.set(resourceType, provider);
  }

  /**
   * Every region's images, snapshots, instances, launch templates and settings, the id counters and the
   * image creations under way, as JSON (`persistence/codec.ts`). Timers are not data: `restoreState`
   * re-arms them from the times saved with the instances and images.
   */
  snapshotState(): unknown {
    return encodeState(this.state.exportState(), new Set(['transition']));
  }

  /**
   * Replaces this emulator's state with a `snapshotState` of an earlier run and re-arms what was under
   * way: instance transitions, the forgetting of terminated instances, image creations and copies, at
   * the simulated times they were due (a time already past runs at the next advance of the clock).
   */
  restoreState(saved: unknown): void {
    const data = expectRecord(decodeState(saved), '$');
    const regions = expectArray(data.regions, '$.regions').map((r, i) => {
      const at = `$.regions[${i}]`;
      const store = expectRecord(r, at);
      expectString(store.region, `${at}.region`);
      expectRecords(expectMap(store.images, `${at}.images`), `${at}.images`, ['imageId', 'ownerId', 'state']);
      for (const [id, image] of store.images as Map<string, Record<string, unknown>>) {
        expectMap(image.tags, `${at}.images[${id}].tags`);
        expectMap(image.packages, `${at}.images[${id}].packages`);
        expectSet(expectRecord(image.launchPermissions, `${at}.images[${id}].launchPermissions`).userIds, id);
      }
      expectRecords(expectMap(store.snapshots, `${at}.snapshots`), `${at}.snapshots`, [
        'snapshotId',
        'state',
      ]);
      expectRecords(expectMap(store.instances, `${at}.instances`), `${at}.instances`, [
        'instanceId',
        'accountId',
        'state',
      ]);
      for (const [id, inst] of store.instances as Map<string, Record<string, unknown>>) {
        expectMap(inst.tags, `${at}.instances[${id}].tags`);
        expectMap(inst.packages, `${at}.instances[${id}].packages`);
      }
      expectMap(store.launchTemplates, `${at}.launchTemplates`);
      expectSet(store.blockPublicAccess, `${at}.blockPublicAccess`);
      expectMap(store.clientTokens, `${at}.clientTokens`);
      return store as unknown as RegionStore;
    });
    const pendingImages = expectRecords<PendingImageCompletion>(
      expectMap(data.pendingImages, '$.pendingImages'),
      '$.pendingImages',
      ['imageId', 'region', 'requestId'],
    );
    this.state.importState({
      counter: expectNumber(data.counter, '$.counter'),
      sequence: expectNumber(data.sequence, '$.sequence'),
      issued: expectSet(data.issued, '$.issued'),
      regions,
      pendingImages,
    });
    for (const store of regions) {
      for (const inst of store.instances.values()) {
        armTransition(this.ctx, this.options, store, inst);
        armForget(this.ctx, store, inst);
      }
    }
    for (const completion of pendingImages.values()) {
      armImageCompletion(this.ctx, this.state, this.options, completion);
    }
  }

  private params(req: ServiceRequest): Map<string, string> {
    let p = this.parsed.get(req);
    if (!p) {
      // The SDKs and the CLI POST a form; a GET carries the same parameters in the query string.
      p = req.body.trim() !== '' ? parseQuery(req.body) : new Map(req.query);
      this.parsed.set(req, p);
    }
    return p;
  }
}
