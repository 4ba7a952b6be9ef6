import {
  type Authorization,
  type Authorizations,
  formList,
  type RequestScope,
  requestTagFacts,
  resourceTagFacts,
} from './authorization';
import { DEFAULT_EBS_KEY, ebsKeyUses, launchKey } from './key-use';

/** The TagSpecifications of an EC2 request, by resource type. */
function tagSpecifications(form: URLSearchParams): Map<string, [string, string][]> {
  const byType = new Map<string, [string, string][]>();
  for (const [key, type] of form) {
    const spec = /^TagSpecification\.(\d+)\.ResourceType$/.exec(key)?.[1];
    if (!spec) continue;
    const tags: [string, string][] = [];
    for (let i = 1; ; i++) {
      const k = form.get(`TagSpecification.${spec}.Tag.${i}.Key`);
      if (k === null) break;
      tags.push([k, form.get(`TagSpecification.${spec}.Tag.${i}.Value`) ?? '']);
    }
    byType.set(type, [...(byType.get(type) ?? []), ...tags]);
  }
  return byType;
}

/** What IAM authorizes for an EC2 request, resource by resource, as the Service Authorization Reference lists it. */
export async function ec2Authorizations(
  operation: string,
  form: URLSearchParams,
  scope: RequestScope,
): Promise<Authorizations> {
  const { region, account, partition, facts } = scope;
  const arn = (type: string, id: string, at = region) =>
    `arn:${partition}:ec2:${at}:${type === 'image' || type === 'snapshot' ? '' : account}:${type}/${id}`;
  const action = `ec2:${operation}`;
  const existing = async (type: string, id: string, at = region): Promise<Authorization> => ({
    action,
    resource: arn(type, id, at),
    resourceType: type,
    facts: { ...resourceTagFacts(await facts.tagsOf(at, id), 'ec2'), [`ec2:${idKey(type)}`]: id },
  });
  const created = (type: string, tags: [string, string][] | undefined, extra = {}): Authorization => ({
    action,
    resource: arn(type, '*'),
    resourceType: type,
    facts: { ...requestTagFacts(tags ?? []), ...extra },
  });
  const taggedAt = (specs: Map<string, [string, string][]>): Authorization[] =>
    [...specs].map(([type, tags]) => ({
      action: 'ec2:CreateTags',
      resource: arn(type, '*'),
      resourceType: type,
      facts: { ...requestTagFacts(tags), 'ec2:CreateAction': operation },
    }));

  /** EC2's use of a key for the caller's volumes or snapshots (none: not encrypted). */
  const keyUsesOf = async (key: string | undefined, at: string): Promise<Authorization[]> => {
    if (key === undefined || key === DEFAULT_EBS_KEY) return [];
    return ebsKeyUses(await facts.encryptionKey(at, key), at, account);
  };

  if (operation.startsWith('Describe')) return [{ action, resource: '*', facts: {} }];
  const specs = tagSpecifications(form);
  switch (operation) {
    case 'RunInstances': {
      const image = form.get('ImageId') ?? '';
      const subnet =
        form.get('SubnetId') ??
        form.get('NetworkInterface.1.SubnetId') ??
        (await facts.defaultSubnet(region));
      const groups = formList(form, 'SecurityGroupId');
      const securityGroups = groups.length > 0 ? groups : [await facts.defaultSecurityGroup(region)];
      const profile = form.get('IamInstanceProfile.Name') ?? form.get('IamInstanceProfile.Arn');
      const authorizations: Authorization[] = [
        created('instance', specs.get('instance'), { 'ec2:InstanceType': form.get('InstanceType') ?? '' }),
        created('volume', specs.get('volume')),
        created('network-interface', specs.get('network-interface')),
        await existing('image', image),
        ...(subnet ? [await existing('subnet', subnet)] : []),
        ...(await Promise.all(securityGroups.flatMap((g) => (g ? [existing('security-group', g)] : [])))),
        ...taggedAt(specs),
        ...(await keyUsesOf(launchKey(form), region)),
      ];
      if (profile) {
        const role = await facts.roleOfInstanceProfile(profile);
        if (role) {
          authorizations.push({
            action: 'iam:PassRole',
            resource: role,
            resourceType: 'role',
            facts: { 'iam:PassedToService': 'ec2.amazonaws.com' },
          });
        }
      }
      return authorizations;
    }
    case 'CreateImage':
      return [
        await existing('instance', form.get('InstanceId') ?? ''),
        created('image', specs.get('image')),
        created('snapshot', specs.get('snapshot')),
        ...taggedAt(specs),
      ];
    case 'CopyImage': {
      // The source image (since 28 October 2024, with ec2:ImageID and ec2:Owner, not its tags:
      // EC2 User Guide, "Grant permissions to copy Amazon EC2 AMIs"), and the new image and
      // snapshots in this region.
      const sourceRegion = form.get('SourceRegion') ?? region;
      const sourceImage = form.get('SourceImageId') ?? '';
      const owner = await facts.imageOwner(sourceRegion, sourceImage);
      return [
        {
          action,
          resource: arn('image', sourceImage, sourceRegion),
          resourceType: 'image',
          facts: { 'ec2:ImageID': sourceImage, ...(owner ? { 'ec2:Owner': owner } : {}) },
        },
        created('image', specs.get('image')),
        created('snapshot', specs.get('snapshot')),
        ...taggedAt(specs),
        // EC2 decrypts the source's snapshots and encrypts the copy's, with the caller's rights.
        ...(await keyUsesOf(facts.imageKey(sourceRegion, sourceImage), sourceRegion)),
        ...(await keyUsesOf(
          form.get('KmsKeyId') ?? (form.get('Encrypted') === 'true' ? DEFAULT_EBS_KEY : undefined),
          region,
        )),
      ];
    }
    case 'GetConsoleOutput':
      return [await existing('instance', form.get('InstanceId') ?? '')];
    // Account settings: the Service Authorization Reference lists no resource type for them.
    case 'GetSerialConsoleAccessStatus':
    case 'EnableSerialConsoleAccess':
    case 'DisableSerialConsoleAccess':
      return [{ action, resource: '*', facts: {} }];
    case 'TerminateInstances':
    case 'StopInstances':
    case 'StartInstances':
      return Promise.all(formList(form, 'InstanceId').map((id) => existing('instance', id)));
    case 'ModifyImageAttribute': {
      // ec2:Attribute names the attribute a request changes, and ec2:Attribute/<name> the value it
      // sets (the Service Authorization Reference lists both for the image). They are given only
      // for the API's attribute form (`Attribute=<name>`, `Value`), the request parameters IAM
      // reads them from; a structured request (`LaunchPermission.Add.1.UserId`) has neither, so a
      // statement conditioned on them does not allow it.
      const imageId = form.get('ImageId') ?? '';
      const base = await existing('image', imageId);
      const owner = await facts.imageOwner(region, imageId);
      const attribute = form.get('Attribute');
      const value = form.get('Value');
      return [
        {
          ...base,
          facts: {
            ...base.facts,
            ...(owner ? { 'ec2:Owner': owner } : {}),
            ...(attribute ? { 'ec2:Attribute': attribute } : {}),
            ...(attribute && value !== null ? { [`ec2:Attribute/${attribute}`]: value } : {}),
          },
        },
      ];
    }
    case 'DeregisterImage':
    case 'EnableImageDeprecation':
    case 'DisableImageDeprecation':
      return [await existing('image', form.get('ImageId') ?? '')];
    case 'DeleteSnapshot':
      return [await existing('snapshot', form.get('SnapshotId') ?? '')];
    case 'CreateLaunchTemplateVersion':
    case 'ModifyLaunchTemplate': {
      // Authorized on the template, which a request may name by id or by name.
      const name = form.get('LaunchTemplateName');
      const id =
        form.get('LaunchTemplateId') ?? (name ? await facts.launchTemplateId(region, name) : undefined);
      return [await existing('launch-template', id ?? name ?? '')];
    }
    case 'CreateTags': {
      const tags = collectTags(form);
      return Promise.all(
        formList(form, 'ResourceId').map(async (id) => {
          const base = await existing(typeOfId(id), id);
          return { ...base, action: 'ec2:CreateTags', facts: { ...base.facts, ...requestTagFacts(tags) } };
        }),
      );
    }
    default:
      return { unmapped: `ec2:${operation}` };
  }
}

function collectTags(form: URLSearchParams): [string, string][] {
  const tags: [string, string][] = [];
  for (let i = 1; ; i++) {
    const key = form.get(`Tag.${i}.Key`);
    if (key === null) return tags;
    tags.push([key, form.get(`Tag.${i}.Value`) ?? '']);
  }
}

/** The resource type of an EC2 id by its prefix. */
function typeOfId(id: string): string {
  const prefix = id.split('-')[0];
  const types: Record<string, string> = {
    i: 'instance',
    ami: 'image',
    snap: 'snapshot',
    vol: 'volume',
    subnet: 'subnet',
    sg: 'security-group',
    eni: 'network-interface',
    lt: 'launch-template',
  };
  return types[prefix ?? ''] ?? 'unknown';
}

/** The condition key that names a resource's id (`ec2:InstanceID`, `ec2:ImageID`, ...). */
function idKey(type: string): string {
  const keys: Record<string, string> = {
    instance: 'InstanceID',
    image: 'ImageID',
    snapshot: 'SnapshotID',
    subnet: 'SubnetID',
    'security-group': 'SecurityGroupID',
    volume: 'VolumeID',
  };
  return keys[type] ?? 'ResourceID';
}
