import { createHash } from 'node:crypto';
import { AwsError } from '../../errors';
import {
  expectArray,
  expectMap,
  expectNumber,
  expectRecord,
  expectString,
  StateCodecError,
} from '../../persistence/codec';
import type { TimerHandle } from '../../sim-clock';
import type { CloudContext } from '../../types';
import { PUBLIC_IMAGES, publicImageId } from '../ec2/public-images';
import type { ImageReference } from '../ec2/state';
import {
  type Body,
  constraintViolation,
  epochSeconds,
  paginate,
  readBool,
  readInt,
  readObjectList,
  readString,
  readStringList,
  sortableNumber,
  validationException,
} from './wire';

/** Whether `imageId` is available and `accountId` may launch it in `region`: EC2 answers, SSM asks. */
export type ImageExists = (accountId: string, region: string, imageId: string) => boolean;

/** Simulated seconds from a PutParameter of an `aws:ec2:image` value to the end of its validation. */
export const DEFAULT_IMAGE_PARAMETER_VALIDATION_SECONDS = 2;

/**
 * The `exception` of the `Parameter Store Change` event AWS sends when an `aws:ec2:image` value fails its
 * validation (Parameter Store user guide, "Native parameter support for Amazon Machine Image IDs").
 */
export const IMAGE_VALIDATION_FAILED = 'Unable to Describe Resource';

/** Who calls, and where: parameters live per account and region. */
export interface Caller {
  accountId: string;
  region: string;
  /** The principal's ARN, recorded as LastModifiedUser. */
  arn: string;
}

type ParameterType = 'String' | 'StringList' | 'SecureString';
type Tier = 'Standard' | 'Advanced';

interface ParameterVersion {
  name: string;
  type: ParameterType;
  value: string;
  version: number;
  modifiedAt: number;
  modifiedBy?: string | undefined;
  description?: string | undefined;
  allowedPattern?: string | undefined;
  keyId?: string | undefined;
  dataType: string;
  tier: Tier;
  labels: string[];
}

/** An `aws:ec2:image` write being validated: what lands when the validation ends, and when. */
interface PendingValidation {
  caller: Caller;
  version: ParameterVersion;
  operation: 'Create' | 'Update';
  tags: Map<string, string>;
  /** When the validation ends (simulated epoch ms). */
  at: number;
  timer: TimerHandle;
}

interface StoredParameter {
  name: string;
  arn: string;
  /** Oldest first; at most MAX_VERSIONS. */
  versions: ParameterVersion[];
  tags: Map<string, string>;
}

const MAX_VERSIONS = 100;
const MAX_DEPTH = 15;
/** 2048 in the API model, of which AWS reserves 1037 characters for internal use. */
const MAX_NAME_LENGTH = 1011;
const MAX_VALUE = { Standard: 4096, Advanced: 8192 } as const;
const MAX_LABELS_PER_VERSION = 10;
const MAX_TAGS = 50;
const DATA_TYPES = new Set(['text', 'aws:ec2:image', 'aws:ssm:integration']);
const TYPES = new Set<ParameterType>(['String', 'StringList', 'SecureString']);
const DEFAULT_KEY_ID = 'alias/aws/ssm';
/** Both AMI id lengths EC2 has issued. */
const AMI_ID = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;
/** The namespace AWS publishes public parameters under; callers can read but never write it. */
const PUBLIC_PREFIX = '/aws/';

const INVALID_NAME =
  'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_';

const notFound = (name: string) => new AwsError('ParameterNotFound', `Parameter ${name} not found.`);
// AWS documents that a write during the validation is refused, not the code: TooManyUpdates is
// PutParameter's error for "concurrent updates for a resource that supports one update at a time".
const validationInProgress = (name: string) =>
  new AwsError(
    'TooManyUpdates',
    `Validation of the aws:ec2:image value of parameter ${name} is still in progress. Try again once it has finished.`,
  );
const reserved = (name: string) =>
  new AwsError('AccessDeniedException', `No access to reserved parameter name: ${name}.`);
const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Parameter Store for every account and region, plus the public `/aws/service/...` parameters that point
 * to the public images in every region. Times follow the simulated clock.
 */
export class ParameterStore {
  private readonly owned = new Map<string, Map<string, StoredParameter>>();
  private readonly publicByRegion = new Map<string, Map<string, StoredParameter>>();
  /**
   * The validations of `aws:ec2:image` writes still under way, by `pendingKey`: at most one per parameter.
   * Its version number is taken, but no read, listing or label sees the version until it lands.
   */
  private readonly pending = new Map<string, PendingValidation>();

  constructor(
    private readonly ctx: CloudContext,
    private readonly imageExists?: ImageExists,
    private readonly imageValidationSeconds = DEFAULT_IMAGE_PARAMETER_VALIDATION_SECONDS,
  ) {
    if (!Number.isFinite(imageValidationSeconds) || imageValidationSeconds < 0) {
      throw new RangeError(
        `imageParameterValidationSeconds must be a non-negative number, got ${imageValidationSeconds}`,
      );
    }
  }

  putParameter(caller: Caller, body: Body) {
    const name = validateName(readString(body, 'Name', { required: true, min: 1, max: 2048 }));
    const value = readString(body, 'Value', { required: true, min: 1 });
    const type = readString(body, 'Type');
    if (type !== undefined && !TYPES.has(type as ParameterType)) {
      throw constraintViolation(
        'Type',
        type,
        'Member must satisfy enum value set: [SecureString, StringList, String]',
      );
    }
    const description = readString(body, 'Description', { max: 1024 });
    const keyId = readString(body, 'KeyId', { min: 1, max: 256 });
    const overwrite = readBool(body, 'Overwrite');
    const allowedPatternIn = readString(body, 'AllowedPattern', { max: 1024 });
    const tierIn = readString(body, 'Tier');
    if (tierIn !== undefined && !['Standard', 'Advanced', 'Intelligent-Tiering'].includes(tierIn)) {
      throw constraintViolation(
        'Tier',
        tierIn,
        'Member must satisfy enum value set: [Standard, Advanced, Intelligent-Tiering]',
      );
    }
    const dataTypeIn = readString(body, 'DataType', { max: 128 });
    const tags = readTags(body);
    if (overwrite && tags.size > 0) {
      throw validationException(
        "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.",
      );
    }

    // AWS refuses any write to a parameter whose aws:ec2:image value is still being validated (see the
    // user guide's troubleshooting of aws:ec2:image parameters), with or without Overwrite, even when
    // the pending write is a create no read can see yet.
    if (this.pending.has(pendingKey(caller, name))) throw validationInProgress(name);
    const store = this.ownedStore(caller);
    const existing = store.get(name);
    if (existing && !overwrite) {
      throw new AwsError(
        'ParameterAlreadyExists',
        'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
      );
    }
    const previous = existing?.versions.at(-1);
    // An update may leave out what it doesn't change, as AWS allows; a new parameter needs a type.
    const finalType = (type ?? previous?.type) as ParameterType | undefined;
    if (!finalType) throw validationException('A parameter type is required when you create a parameter.');
    const dataType = dataTypeIn ?? previous?.dataType ?? 'text';
    if (!DATA_TYPES.has(dataType)) {
      throw validationException(
        `The following data type is not supported: ${dataType} (Data type names are all lowercase.)`,
      );
    }
    const allowedPattern = allowedPatternIn ?? previous?.allowedPattern;
    if (allowedPattern !== undefined) checkPattern(allowedPattern, value);
    if (dataType === 'aws:ec2:image') checkImageFormat(finalType, value);
    const tier = chooseTier(tierIn, previous?.tier, value);
    const version: ParameterVersion = {
      name,
      type: finalType,
      value,
      version: (previous?.version ?? 0) + 1,
      modifiedAt: this.ctx.clock.nowMillis(),
      modifiedBy: caller.arn,
      description: description ?? previous?.description,
      allowedPattern,
      keyId: finalType === 'SecureString' ? (keyId ?? previous?.keyId ?? DEFAULT_KEY_ID) : undefined,
      dataType,
      tier,
      labels: [],
    };

    if (existing) checkRoom(existing);
    if (dataType === 'aws:ec2:image') {
      // As in AWS, the answer carries the new version number, but the version appears only once the image
      // has been validated in the background.
      this.validateLater(caller, version, existing ? 'Update' : 'Create', tags);
    } else {
      this.commit(caller, version, tags);
    }
    return { Version: version.version, Tier: tier };
  }

  getParameter(caller: Caller, body: Body) {
    const name = readString(body, 'Name', { required: true, min: 1, max: 2048 });
    const decrypt = readBool(body, 'WithDecryption');
    const { stored, version, selector } = this.select(caller, name);
    return { Parameter: this.render(stored, version, decrypt, selector) };
  }

  getParameters(caller: Caller, body: Body) {
    const names = readStringList(body, 'Names', { required: true, min: 1, max: 10 });
    const decrypt = readBool(body, 'WithDecryption');
    const parameters: unknown[] = [];
    const invalid: string[] = [];
    for (const name of new Set(names)) {
      try {
        const { stored, version, selector } = this.select(caller, name);
        parameters.push(this.render(stored, version, decrypt, selector));
      } catch (e) {
        if (!(e instanceof AwsError)) throw e;
        invalid.push(name);
      }
    }
    return { Parameters: parameters, InvalidParameters: invalid };
  }

  getParametersByPath(caller: Caller, body: Body) {
    const path = readString(body, 'Path', { required: true, min: 1, max: 2048 });
    if (!path.startsWith('/') || path.includes('//') || !/^[a-zA-Z0-9_.\-/]+$/.test(path)) {
      throw validationException(
        `The parameter path ${path} is not valid. A path begins with a forward slash (/) and holds only a-zA-Z0-9_.-/`,
      );
    }
    const recursive = readBool(body, 'Recursive');
    const decrypt = readBool(body, 'WithDecryption');
    const maxResults = readInt(body, 'MaxResults', { min: 1, max: 10 }) ?? 10;
    const filters = readFilters(body, 'byPath');
    const prefix = path === '/' ? '/' : `${path.replace(/\/+$/, '')}/`;
    const store = prefix.startsWith(PUBLIC_PREFIX)
      ? this.publicStore(caller.region)
      : this.ownedStore(caller);
    const candidates = [...store.values()]
      .filter((p) => p.name.startsWith(prefix) && (recursive || !p.name.slice(prefix.length).includes('/')))
      .sort((a, b) => byString(a.name, b.name));
    const { page, nextToken } = paginate(candidates, (p) => p.name, {
      listing: `GetParametersByPath:${prefix}:${recursive}`,
      maxResults,
      nextToken: readString(body, 'NextToken'),
      keep: (p) => matchVersion(p, filters) !== undefined,
    });
    return {
      Parameters: page.map((p) => {
        const { version, selector } = matchVersion(p, filters)!;
        return this.render(p, version, decrypt, selector);
      }),
      ...(nextToken ? { NextToken: nextToken } : {}),
    };
  }

  getParameterHistory(caller: Caller, body: Body) {
    const name = readString(body, 'Name', { required: true, min: 1, max: 2048 });
    const decrypt = readBool(body, 'WithDecryption');
    const maxResults = readInt(body, 'MaxResults', { min: 1, max: 50 }) ?? 50;
    const stored = this.lookup(caller, name);
    if (!stored) throw notFound(name);
    const { page, nextToken } = paginate(stored.versions, (v) => sortableNumber(v.version), {
      listing: `GetParameterHistory:${name}`,
      maxResults,
      nextToken: readString(body, 'NextToken'),
    });
    return {
      Parameters: page.map((v) => ({
        ...this.metadata(stored, v),
        Value: this.value(v, decrypt),
        Labels: [...v.labels],
      })),
      ...(nextToken ? { NextToken: nextToken } : {}),
    };
  }

  deleteParameter(caller: Caller, body: Body) {
    const name = readString(body, 'Name', { required: true, min: 1, max: 2048 });
    this.delete(caller, name);
    return {};
  }

  deleteParameters(caller: Caller, body: Body) {
    const names = readStringList(body, 'Names', { required: true, min: 1, max: 10 });
    const deleted: string[] = [];
    const invalid: string[] = [];
    for (const name of new Set(names)) {
      try {
        this.delete(caller, name);
        deleted.push(name);
      } catch (e) {
        if (!(e instanceof AwsError)) throw e;
        invalid.push(name);
      }
    }
    return { DeletedParameters: deleted, InvalidParameters: invalid };
  }

  describeParameters(caller: Caller, body: Body) {
    const maxResults = readInt(body, 'MaxResults', { min: 1, max: 50 }) ?? 50;
    const legacy = readObjectList(body, 'Filters');
    const filters = readFilters(body, 'describe');
    if (legacy && filters.length > 0) {
      throw validationException('You can use either Filters or ParameterFilters in a single request.');
    }
    const all = [...(legacy ? legacyFilters(legacy) : filters)];
    // Public parameters belong to AWS, not the caller: DescribeParameters lists only the account's own.
    const candidates = [...this.ownedStore(caller).values()].sort((a, b) => byString(a.name, b.name));
    const { page, nextToken } = paginate(candidates, (p) => p.name, {
      listing: 'DescribeParameters',
      maxResults,
      nextToken: readString(body, 'NextToken'),
      keep: (p) => all.every((f) => f.test(p, p.versions.at(-1)!)),
    });
    return {
      Parameters: page.map((p) => this.metadata(p, p.versions.at(-1)!)),
      ...(nextToken ? { NextToken: nextToken } : {}),
    };
  }

  labelParameterVersion(caller: Caller, body: Body) {
    const name = readString(body, 'Name', { required: true, min: 1, max: 2048 });
    const versionNumber = readInt(body, 'ParameterVersion', { min: 1 });
    const labels = readStringList(body, 'Labels', { required: true, min: 1, max: 10 });
    if (name.startsWith(PUBLIC_PREFIX)) throw reserved(name);
    const stored = this.ownedStore(caller).get(name);
    if (!stored) throw notFound(name);
    const target =
      versionNumber === undefined
        ? stored.versions.at(-1)!
        : stored.versions.find((v) => v.version === versionNumber);
    if (!target) throw versionNotFound(name, String(versionNumber));
    const invalid = labels.filter(
      (l) => l.length > 100 || !/^[a-zA-Z0-9_.-]+$/.test(l) || /^(aws|ssm|\d)/i.test(l),
    );
    const valid = [...new Set(labels.filter((l) => !invalid.includes(l)))];
    const added = valid.filter((l) => !target.labels.includes(l));
    if (target.labels.length + added.length > MAX_LABELS_PER_VERSION) {
      throw new AwsError(
        'ParameterVersionLabelLimitExceeded',
        'A parameter version can have maximum 10 labels. Move one or more labels to another version and try again.',
      );
    }
    // A label names one version of a parameter: attaching it here moves it from wherever it was.
    for (const v of stored.versions) if (v !== target) v.labels = v.labels.filter((l) => !valid.includes(l));
    target.labels.push(...added);
    this.emitChange(caller, 'LabelParameterVersion', target);
    return { InvalidLabels: invalid, ParameterVersion: target.version };
  }

  addTagsToResource(caller: Caller, body: Body) {
    const stored = this.taggable(caller, body);
    const tags = readTags(body, true);
    const merged = new Map([...stored.tags, ...tags]);
    if (merged.size > MAX_TAGS) {
      throw new AwsError(
        'TooManyTagsError',
        `The resource ${stored.name} can have at most ${MAX_TAGS} tags.`,
      );
    }
    stored.tags = merged;
    return {};
  }

  removeTagsFromResource(caller: Caller, body: Body) {
    const stored = this.taggable(caller, body);
    for (const key of readStringList(body, 'TagKeys', { required: true })) stored.tags.delete(key);
    return {};
  }

  listTagsForResource(caller: Caller, body: Body) {
    const stored = this.taggable(caller, body);
    return { TagList: [...stored.tags].map(([Key, Value]) => ({ Key, Value })) };
  }

  /**
   * EC2's DescribeImageReferences for `ssm:Parameter`: the parameters of `accountId` in `region` of data
   * type `aws:ec2:image` whose value is one of `imageIds`, by name. The value is the latest version that
   * has landed: one still being validated, or refused by its validation, is not the parameter's value
   * (yet). Public parameters belong to AWS, not to the account, and are never reported.
   */
  imageReferences(accountId: string, region: string, imageIds: ReadonlySet<string>): ImageReference[] {
    const store = this.owned.get(`${accountId}/${region}`);
    if (!store) return [];
    return [...store.values()]
      .filter((p) => {
        const current = p.versions.at(-1)!;
        return current.dataType === 'aws:ec2:image' && imageIds.has(current.value);
      })
      .sort((a, b) => byString(a.name, b.name))
      .map((p) => ({ imageId: p.versions.at(-1)!.value, resourceType: 'ssm:Parameter', arn: p.arn }));
  }

  /**
   * Publishes a new version of a public parameter in one region, as AWS does when it releases a new image
   * (for the control API and tests that simulate an upstream AMI release).
   */
  publishPublicParameter(region: string, name: string, value: string): number {
    if (!name.startsWith(PUBLIC_PREFIX))
      throw new RangeError(`public parameters live under ${PUBLIC_PREFIX}, not ${name}`);
    const store = this.publicStore(region);
    const stored: StoredParameter = store.get(name) ?? {
      name,
      arn: publicArn(region, name),
      versions: [],
      tags: new Map(),
    };
    store.set(name, stored);
    const version = (stored.versions.at(-1)?.version ?? 0) + 1;
    stored.versions.push(publicVersion(name, value, version, this.ctx.clock.nowMillis()));
    return version;
  }

  private delete(caller: Caller, name: string) {
    if (name.startsWith(PUBLIC_PREFIX)) throw reserved(name);
    const store = this.ownedStore(caller);
    const stored = store.get(name);
    // A parameter whose only version is still being validated doesn't exist yet: nothing to delete, and
    // its validation still ends as it would have.
    if (!stored) throw notFound(name);
    store.delete(name);
    // An update being validated was an update of what is now gone: it is dropped, silently.
    const key = pendingKey(caller, name);
    this.pending.get(key)?.timer.cancel();
    this.pending.delete(key);
    this.emitChange(caller, 'Delete', stored.versions.at(-1)!);
  }

  /** Adds `version` to its parameter (creating it with `tags` if it doesn't exist) and announces it. */
  private commit(caller: Caller, version: ParameterVersion, tags: Map<string, string>) {
    const store = this.ownedStore(caller);
    const existing = store.get(version.name);
    if (existing) {
      checkRoom(existing);
      if (existing.versions.length >= MAX_VERSIONS) existing.versions.shift();
      existing.versions.push(version);
    } else {
      store.set(version.name, {
        name: version.name,
        arn: ownedArn(caller, version.name),
        versions: [version],
        tags,
      });
    }
    this.emitChange(caller, existing ? 'Update' : 'Create', version);
  }

  /**
   * Validates an `aws:ec2:image` write `imageValidationSeconds` later on the simulated clock, as AWS does
   * in the background: the image is looked up then, so one that becomes available meanwhile passes. On
   * success the version lands (keeping the number PutParameter answered) with its change event; on
   * failure the parameter stays as it was, or absent, and only the failure event is sent. Writes to the
   * parameter are refused meanwhile, so the number stays the next one; a failed write leaves no trace,
   * and the next write gets the same number again (AWS doesn't document whether it reuses it).
   */
  private validateLater(
    caller: Caller,
    version: ParameterVersion,
    operation: 'Create' | 'Update',
    tags: Map<string, string>,
  ) {
    this.armValidation({
      caller: { accountId: caller.accountId, region: caller.region, arn: caller.arn },
      version,
      operation,
      tags,
      at: this.ctx.clock.nowMillis() + this.imageValidationSeconds * 1000,
    });
  }

  /** Sets the clock task of a validation (a new one, or one restored from a state file). */
  private armValidation(validation: Omit<PendingValidation, 'timer'>) {
    const { caller, version, operation, tags } = validation;
    const key = pendingKey(caller, version.name);
    const timer = this.ctx.clock.at(validation.at, () => {
      this.pending.delete(key);
      if (this.imageExists && !this.imageExists(caller.accountId, caller.region, version.value)) {
        this.emitValidationFailure(caller, operation, version, IMAGE_VALIDATION_FAILED);
        return;
      }
      try {
        this.commit(caller, version, tags);
      } catch (e) {
        // A label put on the oldest of 100 versions while this one was validated: it can't make room.
        if (!(e instanceof AwsError)) throw e;
        this.emitValidationFailure(caller, operation, version, e.message);
      }
    });
    this.pending.set(key, { ...validation, timer });
  }

  /**
   * Every account's and region's parameters, the public ones as published so far and the `aws:ec2:image`
   * validations under way (as data: `restoreState` re-arms them), for a state file.
   */
  exportState(): Record<string, unknown> {
    return {
      owned: this.owned,
      publicByRegion: this.publicByRegion,
      pending: [...this.pending.values()].map(({ timer: _timer, ...data }) => data),
    };
  }

  /** Replaces every parameter with those of `exportState` (decoded) and re-arms the validations. */
  importState(data: Record<string, unknown>): void {
    const stores = (value: unknown, path: string) => {
      const outer = expectMap<string, unknown>(value, path);
      for (const [key, inner] of outer) {
        for (const [name, p] of expectMap<string, unknown>(inner, `${path}[${key}]`)) {
          const stored = expectRecord(p, `${path}[${key}][${name}]`);
          expectString(stored.name, `${path}[${key}][${name}].name`);
          expectMap(stored.tags, `${path}[${key}][${name}].tags`);
          if (expectArray(stored.versions, `${path}[${key}][${name}].versions`).length === 0) {
            throw new StateCodecError(
              `${path}[${key}][${name}].versions`,
              'a parameter has at least one version',
            );
          }
        }
      }
      return outer as Map<string, Map<string, StoredParameter>>;
    };
    const owned = stores(data.owned, '$.owned');
    const publicByRegion = stores(data.publicByRegion, '$.publicByRegion');
    const pending = expectArray(data.pending, '$.pending').map((p, i) => {
      const v = expectRecord(p, `$.pending[${i}]`);
      expectRecord(v.caller, `$.pending[${i}].caller`);
      expectString(expectRecord(v.version, `$.pending[${i}].version`).name, `$.pending[${i}].version.name`);
      expectMap(v.tags, `$.pending[${i}].tags`);
      expectNumber(v.at, `$.pending[${i}].at`);
      return v as unknown as Omit<PendingValidation, 'timer'>;
    });
    for (const p of this.pending.values()) p.timer.cancel();
    this.pending.clear();
    this.owned.clear();
    for (const [k, v] of owned) this.owned.set(k, v);
    this.publicByRegion.clear();
    for (const [k, v] of publicByRegion) this.publicByRegion.set(k, v);
    for (const p of pending) this.armValidation(p);
  }

  private taggable(caller: Caller, body: Body): StoredParameter {
    const type = readString(body, 'ResourceType', { required: true });
    const id = readString(body, 'ResourceId', { required: true, min: 1 });
    if (type !== 'Parameter') {
      throw new AwsError(
        'InvalidResourceType',
        `The local cloud tags only resources of type Parameter, not ${type}.`,
      );
    }
    const stored = id.startsWith(PUBLIC_PREFIX) ? undefined : this.ownedStore(caller).get(id);
    if (!stored)
      throw new AwsError(
        'InvalidResourceId',
        `The resource ID ${id} is not valid. Verify the ID and try again.`,
      );
    return stored;
  }

  /** Resolves `name`, `name:version` or `name:label`. */
  private select(
    caller: Caller,
    spec: string,
  ): { stored: StoredParameter; version: ParameterVersion; selector?: string } {
    const colon = spec.indexOf(':');
    const name = colon === -1 ? spec : spec.slice(0, colon);
    const stored = this.lookup(caller, name);
    if (!stored) throw notFound(spec);
    if (colon === -1) return { stored, version: stored.versions.at(-1)! };
    const sel = spec.slice(colon + 1);
    if (/^\d+$/.test(sel)) {
      const version = stored.versions.find((v) => v.version === Number(sel));
      if (!version) throw versionNotFound(name, sel);
      return { stored, version, selector: `:${sel}` };
    }
    const version = stored.versions.find((v) => v.labels.includes(sel));
    if (!version) throw notFound(spec);
    return { stored, version, selector: `:${sel}` };
  }

  private lookup(caller: Caller, name: string): StoredParameter | undefined {
    return name.startsWith(PUBLIC_PREFIX)
      ? this.publicStore(caller.region).get(name)
      : this.ownedStore(caller).get(name);
  }

  private ownedStore(caller: Caller): Map<string, StoredParameter> {
    const key = `${caller.accountId}/${caller.region}`;
    let store = this.owned.get(key);
    if (!store) {
      store = new Map();
      this.owned.set(key, store);
    }
    return store;
  }

  /** Seeded on first use, so every region AWS has (and any a test invents) gets its public parameters. */
  private publicStore(region: string): Map<string, StoredParameter> {
    let store = this.publicByRegion.get(region);
    if (!store) {
      store = new Map();
      for (const image of PUBLIC_IMAGES) {
        if (!image.ssmParameter) continue;
        const name = image.ssmParameter;
        const at = Date.parse(image.creationDate);
        store.set(name, {
          name,
          arn: publicArn(region, name),
          versions: [publicVersion(name, publicImageId(region, image.name), 1, at)],
          tags: new Map(),
        });
      }
      this.publicByRegion.set(region, store);
    }
    return store;
  }

  private value(v: ParameterVersion, decrypt: boolean): string {
    if (v.type !== 'SecureString' || decrypt) return v.value;
    // Without decryption AWS returns the ciphertext; a digest stands in for it (stable, never the secret).
    const digest = createHash('sha256').update(`${v.keyId}\0${v.value}`).digest('base64');
    return `AQICAH${digest}`;
  }

  private render(stored: StoredParameter, v: ParameterVersion, decrypt: boolean, selector?: string) {
    return {
      Name: stored.name,
      Type: v.type,
      Value: this.value(v, decrypt),
      Version: v.version,
      ...(selector ? { Selector: selector } : {}),
      LastModifiedDate: epochSeconds(v.modifiedAt),
      ARN: stored.arn,
      DataType: v.dataType,
    };
  }

  private metadata(stored: StoredParameter, v: ParameterVersion) {
    return {
      Name: stored.name,
      ARN: stored.arn,
      Type: v.type,
      ...(v.keyId ? { KeyId: v.keyId } : {}),
      LastModifiedDate: epochSeconds(v.modifiedAt),
      ...(v.modifiedBy ? { LastModifiedUser: v.modifiedBy } : {}),
      ...(v.description !== undefined ? { Description: v.description } : {}),
      ...(v.allowedPattern !== undefined ? { AllowedPattern: v.allowedPattern } : {}),
      Version: v.version,
      Tier: v.tier,
      Policies: [],
      DataType: v.dataType,
    };
  }

  /**
   * The `Parameter Store Change` event AWS documents for a write whose `aws:ec2:image` value failed
   * validation: the operation that was attempted, with the reason in `exception`.
   */
  private emitValidationFailure(caller: Caller, operation: string, v: ParameterVersion, exception: string) {
    this.ctx.events.emit({
      source: 'aws.ssm',
      detailType: 'Parameter Store Change',
      detail: { exception, dataType: v.dataType, name: v.name, type: v.type, operation },
      accountId: caller.accountId,
      region: caller.region,
      resources: [ownedArn(caller, v.name)],
      time: this.ctx.clock.now().toISOString(),
    });
  }

  private emitChange(caller: Caller, operation: string, v: ParameterVersion) {
    this.ctx.events.emit({
      source: 'aws.ssm',
      detailType: 'Parameter Store Change',
      detail: {
        operation,
        name: v.name,
        type: v.type,
        ...(v.description ? { description: v.description } : {}),
      },
      accountId: caller.accountId,
      region: caller.region,
      resources: [ownedArn(caller, v.name)],
      time: this.ctx.clock.now().toISOString(),
    });
  }
}

const versionNotFound = (name: string, version: string) =>
  new AwsError(
    'ParameterVersionNotFound',
    `Systems Manager could not find version ${version} of ${name}. Verify the version and try again.`,
  );

const pendingKey = (caller: Caller, name: string) => `${caller.accountId}/${caller.region}/${name}`;

/** Refuses a new version when the parameter is full and its oldest version can't be dropped. */
const checkRoom = (stored: StoredParameter) => {
  if (stored.versions.length < MAX_VERSIONS) return;
  const oldest = stored.versions[0]!;
  // AWS drops the oldest version to make room, unless a label pins it.
  if (oldest.labels.length > 0) {
    throw new AwsError(
      'ParameterMaxVersionLimitExceeded',
      `You attempted to create a new version of ${stored.name} by calling the PutParameter API with the overwrite flag. Version ${oldest.version}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.`,
    );
  }
};

/**
 * What PutParameter checks of an `aws:ec2:image` value before answering; whether the image exists is
 * checked later, by the background validation.
 */
const checkImageFormat = (type: ParameterType, value: string) => {
  if (type !== 'String') {
    throw validationException(`Parameters of data type aws:ec2:image must have type String, not ${type}.`);
  }
  if (!AMI_ID.test(value)) {
    throw validationException(
      `Parameter value ${value} isn't a valid Amazon EC2 image ID; data type aws:ec2:image needs a value such as ami-12345abcdeEXAMPLE.`,
    );
  }
};

const ownedArn = (caller: Caller, name: string) =>
  `arn:aws:ssm:${caller.region}:${caller.accountId}:parameter${name.startsWith('/') ? name : `/${name}`}`;

// Public parameters belong to no account, so their ARN has none.
const publicArn = (region: string, name: string) => `arn:aws:ssm:${region}::parameter${name}`;

const publicVersion = (name: string, value: string, version: number, at: number): ParameterVersion => ({
  name,
  type: 'String',
  value,
  version,
  modifiedAt: at,
  dataType: 'text',
  tier: 'Standard',
  labels: [],
});

/** Applies AWS's naming rules for a parameter being written; returns the name with outer spaces removed. */
const validateName = (raw: string): string => {
  const name = raw.trim();
  const bare = name.toLowerCase().replace(/^\//, '');
  if (bare.startsWith('aws') || bare.startsWith('ssm')) {
    if (name.toLowerCase().startsWith('/aws') && name.lastIndexOf('/') > 0) throw reserved(name);
    throw validationException(INVALID_NAME);
  }
  if (name.length > MAX_NAME_LENGTH) {
    throw validationException(
      `Parameter name ${name.slice(0, 40)}… is longer than ${MAX_NAME_LENGTH} characters.`,
    );
  }
  if (/\s/.test(name)) throw validationException(INVALID_NAME);
  if (name.includes('/') && !name.startsWith('/')) {
    throw validationException('Parameter name must be a fully qualified name.');
  }
  if (!/^[a-zA-Z0-9_.\-/]+$/.test(name) || name.includes('//') || name.endsWith('/')) {
    throw validationException(INVALID_NAME);
  }
  if (name.split('/').filter(Boolean).length > MAX_DEPTH) {
    throw new AwsError(
      'HierarchyLevelLimitExceededException',
      'A hierarchy can have a maximum of 15 levels. For more information, see Requirements and constraints for parameter names in the AWS Systems Manager User Guide.',
    );
  }
  return name;
};

const checkPattern = (pattern: string, value: string) => {
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch {
    throw new AwsError(
      'InvalidAllowedPatternException',
      `The allowed pattern ${pattern} is not a valid regular expression.`,
    );
  }
  if (!re.test(value)) {
    throw new AwsError(
      'ParameterPatternMismatchException',
      `Parameter value, cannot be validated against allowedPattern: ${pattern}`,
    );
  }
};

const chooseTier = (requested: string | undefined, previous: Tier | undefined, value: string): Tier => {
  // Intelligent-Tiering picks the cheapest tier that holds the value; an update without a tier keeps it.
  const tier: Tier =
    requested === 'Advanced' || (requested === undefined && previous === 'Advanced')
      ? 'Advanced'
      : requested === 'Intelligent-Tiering' && value.length > MAX_VALUE.Standard
        ? 'Advanced'
        : 'Standard';
  if (value.length > MAX_VALUE[tier]) {
    throw validationException(
      tier === 'Standard'
        ? 'Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html'
        : 'Advanced tier parameters support a maximum parameter value of 8192 characters.',
    );
  }
  return tier;
};

const readTags = (body: Body, required = false): Map<string, string> => {
  const list = readObjectList(body, 'Tags', { max: 1000 });
  if (required && (!list || list.length === 0))
    throw constraintViolation('Tags', undefined, 'Member must not be null');
  const tags = new Map<string, string>();
  for (const t of list ?? []) {
    tags.set(
      readString(t, 'Key', { required: true, min: 1, max: 128 }),
      readString(t, 'Value', { required: true, max: 256 }),
    );
  }
  if (tags.size > MAX_TAGS)
    throw new AwsError('TooManyTagsError', `A parameter can have at most ${MAX_TAGS} tags.`);
  return tags;
};

interface Filter {
  /** Whether this version of the parameter matches. */
  test(p: StoredParameter, v: ParameterVersion): boolean;
  label?: readonly string[];
}

const FILTER_OPTIONS: Record<string, readonly string[]> = {
  Name: ['Equals', 'BeginsWith', 'Contains'],
  Path: ['OneLevel', 'Recursive'],
  Type: ['Equals', 'BeginsWith'],
  KeyId: ['Equals', 'BeginsWith'],
  Label: ['Equals'],
  Tier: ['Equals'],
  DataType: ['Equals'],
  tag: ['Equals', 'BeginsWith'],
};
/** AWS refuses the name-based keys with GetParametersByPath: the path already selects by name. */
const BY_PATH_KEYS = new Set(['Type', 'KeyId', 'Label', 'DataType', 'tag']);

const withSlash = (s: string) => (s.startsWith('/') ? s : `/${s}`);

const readFilters = (body: Body, mode: 'byPath' | 'describe'): Filter[] => {
  const list = readObjectList(body, 'ParameterFilters', { max: 50 }) ?? [];
  return list.map((f): Filter => {
    const key = readString(f, 'Key', { required: true, min: 1, max: 132 });
    const family = key.startsWith('tag:') && key.length > 4 ? 'tag' : key;
    const options = FILTER_OPTIONS[family];
    if (!options || (mode === 'byPath' && !BY_PATH_KEYS.has(family))) {
      const valid =
        mode === 'byPath'
          ? '[Type, KeyId, Label, DataType, tag]'
          : '[Name, Path, Type, KeyId, Label, Tier, DataType, tag]';
      throw new AwsError(
        'InvalidFilterKey',
        `The following filter key is not valid: ${key}. Valid filter keys include: ${valid}.`,
      );
    }
    const option = readString(f, 'Option') ?? options[0]!;
    if (!options.includes(option)) {
      throw new AwsError(
        'InvalidFilterOption',
        `The following filter option is not valid: ${option}. Valid options include: [${options.join(', ')}].`,
      );
    }
    const values = readStringList(f, 'Values', { min: 1, max: 50 });
    if (!values && family !== 'tag') {
      throw new AwsError(
        'InvalidFilterValue',
        `The following filter values are missing : null for filter key ${key}.`,
      );
    }
    const vs = values ?? [];
    const textMatch = (actual: string | undefined) =>
      actual !== undefined &&
      vs.some((x) =>
        option === 'BeginsWith'
          ? actual.startsWith(x)
          : option === 'Contains'
            ? actual.includes(x)
            : actual === x,
      );
    switch (family) {
      case 'Name':
        return {
          test: (p) =>
            option === 'Contains'
              ? textMatch(p.name)
              : vs.some((x) =>
                  option === 'Equals'
                    ? withSlash(p.name) === withSlash(x)
                    : withSlash(p.name).startsWith(withSlash(x)),
                ),
        };
      case 'Path':
        return {
          test: (p) =>
            vs.some((x) => {
              const prefix = x === '/' ? '/' : `${withSlash(x).replace(/\/+$/, '')}/`;
              if (!p.name.startsWith(prefix)) return false;
              return option === 'Recursive' || !p.name.slice(prefix.length).includes('/');
            }),
        };
      case 'Type':
        return { test: (_p, v) => textMatch(v.type) };
      case 'KeyId':
        return { test: (_p, v) => textMatch(v.keyId) };
      case 'Tier':
        return { test: (_p, v) => textMatch(v.tier) };
      case 'DataType':
        return { test: (_p, v) => textMatch(v.dataType) };
      case 'Label':
        return { test: (p) => p.versions.some((v) => v.labels.some((l) => vs.includes(l))), label: vs };
      default: {
        const tagKey = key.slice(4);
        return { test: (p) => p.tags.has(tagKey) && (vs.length === 0 || textMatch(p.tags.get(tagKey))) };
      }
    }
  });
};

/** The older `Filters` member of DescribeParameters: keys Name, Type and KeyId, values matched exactly. */
const legacyFilters = (list: Body[]): Filter[] =>
  list.map((f) => {
    const key = readString(f, 'Key', { required: true });
    const values = readStringList(f, 'Values', { required: true, min: 1, max: 50 });
    if (key !== 'Name' && key !== 'Type' && key !== 'KeyId') {
      throw constraintViolation('Key', key, 'Member must satisfy enum value set: [Name, Type, KeyId]');
    }
    return {
      test: (p: StoredParameter, v: ParameterVersion) =>
        values.includes(key === 'Name' ? p.name : key === 'Type' ? v.type : (v.keyId ?? '')),
    };
  });

/**
 * The version GetParametersByPath returns for `p`, or undefined when the filters exclude it: the latest,
 * or with a Label filter the version carrying that label (reported with its selector, as AWS does).
 */
const matchVersion = (
  p: StoredParameter,
  filters: Filter[],
): { version: ParameterVersion; selector?: string } | undefined => {
  const labelFilter = filters.find((f) => f.label);
  let version = p.versions.at(-1)!;
  let selector: string | undefined;
  if (labelFilter?.label) {
    const labels = labelFilter.label;
    const labelled = [...p.versions].reverse().find((v) => v.labels.some((l) => labels.includes(l)));
    if (!labelled) return undefined;
    version = labelled;
    selector = `:${labelled.labels.find((l) => labels.includes(l))}`;
  }
  if (!filters.every((f) => f.label || f.test(p, version))) return undefined;
  return selector ? { version, selector } : { version };
};
