import type { QueryParams } from '../../protocols/query';
import { checkImageId } from './access';
import { type Handler, nowIso, type OpContext } from './context';
import { applyFilters, type FilterSchema, parseFilters } from './filters';
import type { LaunchTemplate, LaunchTemplateData, LaunchTemplateVersion } from './model';
import {
  blockDeviceMappings,
  checkDryRun,
  ec2Error,
  hasAny,
  int,
  invalidValue,
  networkInterfaces,
  paginate,
  str,
  strings,
  sub,
  tagSpecifications,
  tagsFor,
} from './params';
import { tagSetXml } from './tags';
import { listOf } from './xml';

const LT_NAME = /^[a-zA-Z0-9().\-/_]{3,128}$/;
const LT_ID = /^lt-[0-9a-f]{17}$/;
/** Resource types a launch template may tag on the instances it launches. */
export const INSTANCE_TAG_TYPES = ['instance', 'volume', 'network-interface', 'spot-instances-request'];

const defined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** The `LaunchTemplateData.*` parameters, keeping only what was given so a new version can inherit the rest. */
const parseData = (d: QueryParams): Partial<LaunchTemplateData> => {
  const imageId = d.get('ImageId');
  if (imageId !== undefined && !imageId.startsWith('resolve:ssm:')) checkImageId(imageId);
  const tokens = d.get('MetadataOptions.HttpTokens');
  if (tokens !== undefined && tokens !== 'optional' && tokens !== 'required')
    throw invalidValue(`Invalid value '${tokens}' for HttpTokens. Valid values: optional, required`);
  const iam = sub(d, 'IamInstanceProfile');
  const metadata = defined({
    httpTokens: tokens,
    httpPutResponseHopLimit: int(d, 'MetadataOptions.HttpPutResponseHopLimit', { min: 1, max: 64 }),
    httpEndpoint: d.get('MetadataOptions.HttpEndpoint'),
    instanceMetadataTags: d.get('MetadataOptions.InstanceMetadataTags'),
  });
  const nics = networkInterfaces(d);
  const bdms = blockDeviceMappings(d);
  const specs = tagSpecifications(d, INSTANCE_TAG_TYPES);
  const groups = strings(d, 'SecurityGroupId');
  return defined<LaunchTemplateData>({
    imageId,
    instanceType: d.get('InstanceType'),
    keyName: d.get('KeyName'),
    iamInstanceProfile: iam.size > 0 ? { arn: iam.get('Arn'), name: iam.get('Name') } : undefined,
    metadataOptions: Object.keys(metadata).length > 0 ? metadata : undefined,
    networkInterfaces: nics.length > 0 ? nics : undefined,
    securityGroupIds: groups.length > 0 ? groups : undefined,
    blockDeviceMappings: bdms.length > 0 ? bdms : undefined,
    tagSpecifications: specs.length > 0 ? specs : undefined,
    userData: d.get('UserData'),
  });
};

/** The caller's launch template named by `LaunchTemplateId` or `LaunchTemplateName` under `prefix`. */
export const findLaunchTemplate = (op: OpContext, p: QueryParams): LaunchTemplate => {
  const id = p.get('LaunchTemplateId');
  const name = p.get('LaunchTemplateName');
  if (id && name)
    throw ec2Error(
      'InvalidParameterCombination',
      'Only one of LaunchTemplateId or LaunchTemplateName can be specified',
    );
  if (id) {
    if (!LT_ID.test(id))
      throw ec2Error('InvalidLaunchTemplateId.Malformed', `The launch template ID '${id}' is malformed.`);
    const lt = op.store.launchTemplates.get(id);
    if (!lt || lt.ownerId !== op.accountId)
      throw ec2Error(
        'InvalidLaunchTemplateId.NotFound',
        `The specified launch template, with template ID ${id}, does not exist.`,
      );
    return lt;
  }
  if (name) {
    for (const lt of op.store.launchTemplates.values())
      if (lt.ownerId === op.accountId && lt.name === name) return lt;
    throw ec2Error(
      'InvalidLaunchTemplateName.NotFoundException',
      `The specified launch template, with template name ${name}, does not exist.`,
    );
  }
  throw ec2Error(
    'MissingParameter',
    'The request must contain the parameter LaunchTemplateName or LaunchTemplateId',
  );
};

/** `$Latest`, `$Default` or a version number, as RunInstances and DescribeLaunchTemplateVersions accept it. */
export const findVersion = (lt: LaunchTemplate, version: string | undefined): LaunchTemplateVersion => {
  const n =
    version === undefined || version === '' || version === '$Default'
      ? lt.defaultVersion
      : version === '$Latest'
        ? lt.latestVersion
        : Number(version);
  const v = Number.isInteger(n) ? lt.versions.get(n) : undefined;
  if (!v)
    throw ec2Error(
      'InvalidLaunchTemplateId.VersionNotFound',
      `Could not find launch template version ${version} for launch template ${lt.launchTemplateId}`,
    );
  return v;
};

/** RunInstances' `LaunchTemplate.*`: the template and version it launches from, if any. */
export const launchTemplateForRun = (
  op: OpContext,
): { template: LaunchTemplate; version: LaunchTemplateVersion } | undefined => {
  if (!hasAny(op.params, 'LaunchTemplate')) return undefined;
  const p = sub(op.params, 'LaunchTemplate');
  const template = findLaunchTemplate(op, p);
  return { template, version: findVersion(template, p.get('Version')) };
};

export const launchTemplateXml = (lt: LaunchTemplate) => ({
  launchTemplateId: lt.launchTemplateId,
  launchTemplateName: lt.name,
  createTime: lt.createTime,
  createdBy: lt.createdBy,
  defaultVersionNumber: lt.defaultVersion,
  latestVersionNumber: lt.latestVersion,
  tagSet: tagSetXml(lt.tags),
});

const dataXml = (d: LaunchTemplateData) => ({
  imageId: d.imageId,
  instanceType: d.instanceType,
  keyName: d.keyName,
  iamInstanceProfile: d.iamInstanceProfile
    ? { arn: d.iamInstanceProfile.arn, name: d.iamInstanceProfile.name }
    : undefined,
  metadataOptions: d.metadataOptions
    ? {
        state: 'applied',
        httpTokens: d.metadataOptions.httpTokens,
        httpPutResponseHopLimit: d.metadataOptions.httpPutResponseHopLimit,
        httpEndpoint: d.metadataOptions.httpEndpoint,
        instanceMetadataTags: d.metadataOptions.instanceMetadataTags,
      }
    : undefined,
  networkInterfaceSet: d.networkInterfaces?.map((n) => ({
    associatePublicIpAddress: n.associatePublicIpAddress,
    deleteOnTermination: n.deleteOnTermination,
    description: n.description,
    deviceIndex: n.deviceIndex,
    // The model names these members `groupId`, not `item`.
    groupSet: n.groups.length > 0 ? listOf('groupId', n.groups) : undefined,
    subnetId: n.subnetId,
  })),
  securityGroupIdSet: d.securityGroupIds,
  blockDeviceMappingSet: d.blockDeviceMappings?.map((m) => ({
    deviceName: m.deviceName,
    noDevice: m.noDevice ? '' : undefined,
    ebs: m.ebs
      ? {
          encrypted: m.ebs.encrypted,
          deleteOnTermination: m.ebs.deleteOnTermination,
          iops: m.ebs.iops,
          kmsKeyId: m.ebs.kmsKeyId,
          snapshotId: m.ebs.snapshotId,
          volumeSize: m.ebs.volumeSize,
          volumeType: m.ebs.volumeType,
          throughput: m.ebs.throughput,
        }
      : undefined,
  })),
  tagSpecificationSet: d.tagSpecifications?.map((s) => ({
    resourceType: s.resourceType,
    tagSet: s.tags.map(([key, value]) => ({ key, value })),
  })),
  userData: d.userData,
});

export const versionXml = (lt: LaunchTemplate, v: LaunchTemplateVersion) => ({
  launchTemplateId: lt.launchTemplateId,
  launchTemplateName: lt.name,
  versionNumber: v.versionNumber,
  versionDescription: v.description,
  createTime: v.createTime,
  createdBy: v.createdBy,
  defaultVersion: lt.defaultVersion === v.versionNumber,
  launchTemplateData: dataXml(v.data),
});

const checkVersionDescription = (d: string | undefined): void => {
  if (d !== undefined && d.length > 255)
    throw invalidValue('VersionDescription must be at most 255 characters');
};

const createLaunchTemplate: Handler = (op) => {
  const { params } = op;
  const name = params.get('LaunchTemplateName');
  if (!name) throw ec2Error('MissingParameter', 'The request must contain the parameter LaunchTemplateName');
  if (!LT_NAME.test(name))
    throw ec2Error(
      'InvalidLaunchTemplateName.MalformedException',
      "A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.'",
    );
  if (!hasAny(params, 'LaunchTemplateData'))
    throw ec2Error('MissingParameter', 'The request must contain the parameter LaunchTemplateData');
  const data = parseData(sub(params, 'LaunchTemplateData'));
  const description = str(params, 'VersionDescription');
  checkVersionDescription(description);
  const specs = tagSpecifications(params, ['launch-template']);
  for (const lt of op.store.launchTemplates.values()) {
    if (lt.ownerId === op.accountId && lt.name === name)
      throw ec2Error(
        'InvalidLaunchTemplateName.AlreadyExistsException',
        `Launch template name already in use.`,
      );
  }
  checkDryRun(params);
  const now = nowIso(op);
  const lt: LaunchTemplate = {
    launchTemplateId: op.state.newId('lt'),
    name,
    ownerId: op.accountId,
    region: op.region,
    seq: op.state.nextSeq(),
    createTime: now,
    createdBy: op.principalArn,
    defaultVersion: 1,
    latestVersion: 1,
    versions: new Map([
      [1, { versionNumber: 1, description, createTime: now, createdBy: op.principalArn, data }],
    ]),
    tags: tagsFor(specs, 'launch-template'),
  };
  op.store.launchTemplates.set(lt.launchTemplateId, lt);
  return { launchTemplate: launchTemplateXml(lt) };
};

const createLaunchTemplateVersion: Handler = (op) => {
  const { params } = op;
  const lt = findLaunchTemplate(op, params);
  if (!hasAny(params, 'LaunchTemplateData'))
    throw ec2Error('MissingParameter', 'The request must contain the parameter LaunchTemplateData');
  const given = parseData(sub(params, 'LaunchTemplateData'));
  const source = params.get('SourceVersion');
  // With a SourceVersion the new version inherits every parameter it does not set itself.
  const base = source !== undefined ? findVersion(lt, source).data : {};
  const description = str(params, 'VersionDescription');
  checkVersionDescription(description);
  checkDryRun(params);
  const versionNumber = lt.latestVersion + 1;
  const version: LaunchTemplateVersion = {
    versionNumber,
    description,
    createTime: nowIso(op),
    createdBy: op.principalArn,
    data: { ...base, ...given },
  };
  lt.versions.set(versionNumber, version);
  lt.latestVersion = versionNumber;
  return { launchTemplateVersion: versionXml(lt, version) };
};

const LT_FILTERS: FilterSchema<LaunchTemplate> = {
  fields: {
    'create-time': (lt) => lt.createTime,
    'launch-template-name': (lt) => lt.name,
  },
  tags: (lt) => lt.tags,
};

const describeLaunchTemplates: Handler = (op) => {
  const { params } = op;
  const ids = strings(params, 'LaunchTemplateId');
  const names = strings(params, 'LaunchTemplateName');
  const filters = parseFilters(params, LT_FILTERS);
  const mine = [...op.store.launchTemplates.values()].filter((lt) => lt.ownerId === op.accountId);
  const chosen = ids.map((id) => findLaunchTemplate(op, new Map([['LaunchTemplateId', id]])));
  for (const name of names) chosen.push(findLaunchTemplate(op, new Map([['LaunchTemplateName', name]])));
  const base = ids.length > 0 || names.length > 0 ? [...new Set(chosen)] : mine;
  const found = applyFilters(base, filters, LT_FILTERS).sort((a, b) => a.seq - b.seq);
  const page = paginate(params, 'DescribeLaunchTemplates', found, (lt) => lt.seq, { min: 1, max: 200 });
  return { launchTemplates: page.items.map(launchTemplateXml), nextToken: page.nextToken };
};

interface VersionRow {
  template: LaunchTemplate;
  version: LaunchTemplateVersion;
  order: number;
}

const VERSION_FILTERS: FilterSchema<VersionRow> = {
  fields: {
    'create-time': (r) => r.version.createTime,
    'iam-instance-profile': (r) => [
      r.version.data.iamInstanceProfile?.arn,
      r.version.data.iamInstanceProfile?.name,
    ],
    'image-id': (r) => r.version.data.imageId,
    'instance-type': (r) => r.version.data.instanceType,
    'is-default-version': (r) => r.template.defaultVersion === r.version.versionNumber,
    'key-name': (r) => r.version.data.keyName,
    'metadata-options.http-tokens': (r) => r.version.data.metadataOptions?.httpTokens,
  },
};

const describeLaunchTemplateVersions: Handler = (op) => {
  const { params } = op;
  const wanted = strings(params, 'LaunchTemplateVersion');
  const min = int(params, 'MinVersion', { min: 1 });
  const max = int(params, 'MaxVersion', { min: 1 });
  const filters = parseFilters(params, VERSION_FILTERS);
  const named = params.has('LaunchTemplateId') || params.has('LaunchTemplateName');
  let templates: LaunchTemplate[];
  if (named) {
    templates = [findLaunchTemplate(op, params)];
  } else {
    // Without a template, EC2 answers only for the $Latest / $Default versions of every template.
    if (wanted.length === 0 || wanted.some((v) => v !== '$Latest' && v !== '$Default'))
      throw ec2Error(
        'MissingParameter',
        'The request must contain the parameter LaunchTemplateName or LaunchTemplateId unless only $Latest or $Default versions are requested',
      );
    templates = [...op.store.launchTemplates.values()].filter((lt) => lt.ownerId === op.accountId);
  }
  const rows: VersionRow[] = [];
  for (const template of templates.sort((a, b) => a.seq - b.seq)) {
    const versions =
      wanted.length > 0
        ? [...new Set(wanted.map((w) => findVersion(template, w)))]
        : [...template.versions.values()].filter(
            (v) =>
              (min === undefined || v.versionNumber >= min) && (max === undefined || v.versionNumber <= max),
          );
    for (const version of versions.sort((a, b) => a.versionNumber - b.versionNumber))
      rows.push({ template, version, order: rows.length });
  }
  const page = paginate(
    params,
    'DescribeLaunchTemplateVersions',
    applyFilters(rows, filters, VERSION_FILTERS),
    (r) => r.order,
    { min: 1, max: 200 },
  );
  return {
    launchTemplateVersionSet: page.items.map((r) => versionXml(r.template, r.version)),
    nextToken: page.nextToken,
  };
};

const modifyLaunchTemplate: Handler = (op) => {
  const lt = findLaunchTemplate(op, op.params);
  const next = op.params.get('SetDefaultVersion');
  const version = next !== undefined ? findVersion(lt, next) : undefined;
  checkDryRun(op.params);
  if (version) lt.defaultVersion = version.versionNumber;
  return { launchTemplate: launchTemplateXml(lt) };
};

const deleteLaunchTemplate: Handler = (op) => {
  const lt = findLaunchTemplate(op, op.params);
  checkDryRun(op.params);
  op.store.launchTemplates.delete(lt.launchTemplateId);
  return { launchTemplate: launchTemplateXml(lt) };
};

export const launchTemplateOperations: Record<string, Handler> = {
  CreateLaunchTemplate: createLaunchTemplate,
  CreateLaunchTemplateVersion: createLaunchTemplateVersion,
  DescribeLaunchTemplates: describeLaunchTemplates,
  DescribeLaunchTemplateVersions: describeLaunchTemplateVersions,
  ModifyLaunchTemplate: modifyLaunchTemplate,
  DeleteLaunchTemplate: deleteLaunchTemplate,
};
