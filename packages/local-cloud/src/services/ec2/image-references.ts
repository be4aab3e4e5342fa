import type { InstanceState } from '../../types';
import { checkImageId } from './access';
import type { Handler, OpContext } from './context';
import { bool, ec2Error, invalidValue, members, paginate, strings } from './params';
import type { ImageReference } from './state';

const RESOURCE_TYPES = [
  'ec2:Instance',
  'ec2:LaunchTemplate',
  'ssm:Parameter',
  'imagebuilder:ImageRecipe',
  'imagebuilder:ContainerRecipe',
];
const ALL_STATES: InstanceState[] = [
  'pending',
  'running',
  'shutting-down',
  'terminated',
  'stopping',
  'stopped',
];
/** The defaults EC2 documents for IncludeAllResourceTypes: every instance state, the 10 latest template versions. */
const DEFAULT_VERSION_DEPTH = 10;
/** `ImageId.N`: "Minimum number of 1 item. Maximum number of 10 items." (EC2 API Reference). */
const MAX_IMAGE_IDS = 10;

interface Scope {
  states: Set<string>;
  versionDepth: number;
}

const parseResourceTypes = (op: OpContext): Map<string, Scope> => {
  const scopes = new Map<string, Scope>();
  const defaults = (): Scope => ({ states: new Set(ALL_STATES), versionDepth: DEFAULT_VERSION_DEPTH });
  if (bool(op.params, 'IncludeAllResourceTypes') === true)
    for (const t of RESOURCE_TYPES) scopes.set(t, defaults());
  // Explicit ResourceTypes override the defaults for the types they name.
  for (const m of members(op.params, 'ResourceType')) {
    const type = m.get('ResourceType');
    if (!type || !RESOURCE_TYPES.includes(type))
      throw invalidValue(
        `Invalid value '${type}' for ResourceType. Valid values: ${RESOURCE_TYPES.join(', ')}`,
      );
    const scope = defaults();
    for (const option of members(m, 'ResourceTypeOption')) {
      const name = option.get('OptionName');
      const values = strings(option, 'OptionValue');
      if (name === 'state-name' && type === 'ec2:Instance') {
        for (const v of values)
          if (!ALL_STATES.includes(v as InstanceState)) throw invalidValue(`Invalid instance state '${v}'`);
        scope.states = new Set(values);
      } else if (name === 'version-depth' && type === 'ec2:LaunchTemplate') {
        const depth = Number(values[0]);
        if (values.length !== 1 || !Number.isInteger(depth) || depth < 1 || depth > 10000)
          throw invalidValue(`Invalid value '${values.join(',')}' for version-depth`);
        scope.versionDepth = depth;
      } else {
        throw invalidValue(`Option '${name}' is not valid for resource type ${type}`);
      }
    }
    scopes.set(type, scope);
  }
  if (scopes.size === 0)
    throw ec2Error('MissingParameter', 'Either IncludeAllResourceTypes or ResourceTypes must be specified');
  return scopes;
};

/**
 * DescribeImageReferences: the caller's resources in this region that name one of the images, whoever
 * owns the image. EC2 instances and launch template versions are answered here; other resource types
 * come from the emulators that own them (see `Ec2Service.addImageReferenceProvider`).
 */
const describeImageReferences: Handler = (op) => {
  const ids = strings(op.params, 'ImageId');
  if (ids.length === 0) throw ec2Error('MissingParameter', 'The request must contain the parameter ImageId');
  // The EC2 API Reference allows 1 to 10 ImageId.N; the error code for more is not documented.
  if (ids.length > MAX_IMAGE_IDS)
    throw invalidValue(
      `The request can contain at most ${MAX_IMAGE_IDS} ImageId values, but it contains ${ids.length}.`,
    );
  ids.forEach(checkImageId);
  const wanted = new Set(ids);
  const scopes = parseResourceTypes(op);
  const refs: ImageReference[] = [];
  const instanceScope = scopes.get('ec2:Instance');
  if (instanceScope) {
    const instances = [...op.store.instances.values()]
      .filter(
        (i) => i.accountId === op.accountId && wanted.has(i.imageId) && instanceScope.states.has(i.state),
      )
      .sort((a, b) => a.seq - b.seq);
    for (const i of instances)
      refs.push({
        imageId: i.imageId,
        resourceType: 'ec2:Instance',
        arn: `arn:aws:ec2:${op.region}:${op.accountId}:instance/${i.instanceId}`,
      });
  }
  const templateScope = scopes.get('ec2:LaunchTemplate');
  if (templateScope) {
    const templates = [...op.store.launchTemplates.values()]
      .filter((lt) => lt.ownerId === op.accountId)
      .sort((a, b) => a.seq - b.seq);
    for (const lt of templates) {
      const recent = [...lt.versions.values()]
        .sort((a, b) => b.versionNumber - a.versionNumber)
        .slice(0, templateScope.versionDepth);
      // One reference per template and image, however many of its versions name the image.
      const images = new Set(
        recent.map((v) => v.data.imageId).filter((id): id is string => !!id && wanted.has(id)),
      );
      for (const imageId of images)
        refs.push({
          imageId,
          resourceType: 'ec2:LaunchTemplate',
          arn: `arn:aws:ec2:${op.region}:${op.accountId}:launch-template/${lt.launchTemplateId}`,
        });
    }
  }
  for (const [type, provider] of op.state.referenceProviders) {
    if (!scopes.has(type)) continue;
    for (const r of provider(op.accountId, op.region, wanted))
      if (wanted.has(r.imageId)) refs.push({ ...r, resourceType: type });
  }
  const numbered = refs.map((r, order) => ({ ...r, order }));
  const page = paginate(op.params, 'DescribeImageReferences', numbered, (r) => r.order, {
    min: 5,
    max: 1000,
  });
  return {
    imageReferenceSet: page.items.map((r) => ({
      imageId: r.imageId,
      resourceType: r.resourceType,
      arn: r.arn,
    })),
    nextToken: page.nextToken,
  };
};

export const imageReferenceOperations: Record<string, Handler> = {
  DescribeImageReferences: describeImageReferences,
};
