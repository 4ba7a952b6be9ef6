import type { EC2Client, Image } from '@aws-sdk/client-ec2';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { describeCandidates, describeImagesById } from '../shared/aws/images';
import { getParameterValues } from '../shared/aws/parameters';
import { unsupportedBase } from '../shared/aws-facts';
import { awsErrorName, describeError } from '../shared/errors';
import { globToRegExp } from '../shared/glob';
import { pickNewestImage } from '../shared/newest-image';
import type { BaseSelector, Recipe } from '../shared/recipe';
import { selectorKey } from '../shared/recipe-hash';

export type BaseResolution =
  | { ok: true; imageId: string; imageName?: string; architecture: string }
  | { ok: false; reason: string; errorCode?: string };

/**
 * The newest base image of every distinct selector among the recipes: one DescribeImages
 * walk per group of describe selectors that differ only in their name glob, and one
 * GetParameters call per 10 distinct parameters.
 * A selector that fails affects only the recipes that use it.
 */
export async function resolveBases(
  clients: { ec2: EC2Client; ssm: SSMClient },
  recipes: readonly Recipe[],
  now: Date,
): Promise<Map<string, BaseResolution>> {
  const selectors = new Map<string, BaseSelector>(recipes.map((r) => [selectorKey(r.base), r.base]));
  const resolutions = new Map<string, BaseResolution>();

  const parameters = [...selectors.entries()].filter(
    (entry): entry is [string, Extract<BaseSelector, { kind: 'ssm' }>] => entry[1].kind === 'ssm',
  );
  if (parameters.length > 0) {
    try {
      for (const [key, resolution] of await resolveParameters(clients, parameters)) {
        resolutions.set(key, resolution);
      }
    } catch (error) {
      for (const [key] of parameters) resolutions.set(key, failure('Resolving SSM bases failed', error));
    }
  }

  for (const group of describeGroups(selectors)) {
    let images: Image[];
    try {
      images = await describeCandidates(
        clients.ec2,
        group.map(([, selector]) => selector),
      );
    } catch (error) {
      for (const [key] of group) resolutions.set(key, failure('DescribeImages failed', error));
      continue;
    }
    for (const [key, selector] of group) {
      const name = globToRegExp(selector.name);
      const newest = pickNewestImage(
        images.filter((image) => name.test(image.Name ?? '')),
        { includeDeprecated: selector.includeDeprecated, now },
      );
      const unsupported = newest && unsupportedBase({ name: newest.Name, platform: newest.Platform });
      if (unsupported) {
        resolutions.set(key, {
          ok: false,
          reason: `${newest.ImageId} (${newest.Name}): ${unsupported}`,
          errorCode: 'UnsupportedBase',
        });
        continue;
      }
      resolutions.set(
        key,
        newest?.ImageId
          ? {
              ok: true,
              imageId: newest.ImageId,
              architecture: selector.architecture,
              ...(newest.Name ? { imageName: newest.Name } : {}),
            }
          : {
              ok: false,
              reason: `no available ${selector.architecture} image named "${selector.name}" owned by ${selector.owners.join(', ')}`,
              errorCode: 'NoBaseImage',
            },
      );
    }
  }
  return resolutions;
}

type DescribeSelector = Extract<BaseSelector, { kind: 'describe' }>;
type SsmSelector = Extract<BaseSelector, { kind: 'ssm' }>;
const AMI_ID = /^ami-[0-9a-f]+$/;

/**
 * The image each parameter names (one GetParameters call per 10), described in one call so
 * that its architecture and name are known before a build is started from it.
 */
async function resolveParameters(
  clients: { ec2: EC2Client; ssm: SSMClient },
  parameters: readonly [string, SsmSelector][],
): Promise<Map<string, BaseResolution>> {
  const values = await getParameterValues(
    clients.ssm,
    parameters.map(([, s]) => s.parameter),
  );
  const named = [...new Set([...values.values()].filter((v) => AMI_ID.test(v)))];
  const images = new Map(
    (await describeImagesById(clients.ec2, named)).map((image) => [image.ImageId ?? '', image]),
  );
  const resolved = new Map<string, BaseResolution>();
  for (const [key, { parameter }] of parameters) {
    const imageId = values.get(parameter);
    const image = imageId ? images.get(imageId) : undefined;
    const unsupported = image && unsupportedBase({ name: image.Name, platform: image.Platform });
    if (!imageId || !AMI_ID.test(imageId)) {
      resolved.set(key, {
        ok: false,
        reason: `SSM parameter ${parameter} ${imageId ? `holds "${imageId}", not an AMI id` : 'does not exist or is not readable'}`,
        errorCode: 'ParameterNotFound',
      });
    } else if (!image?.Architecture) {
      resolved.set(key, {
        ok: false,
        reason: `SSM parameter ${parameter} names ${imageId}, which does not exist or is not visible to this account`,
        errorCode: 'NoBaseImage',
      });
    } else if (unsupported) {
      resolved.set(key, {
        ok: false,
        reason: `SSM parameter ${parameter} names ${imageId} (${image.Name}): ${unsupported}`,
        errorCode: 'UnsupportedBase',
      });
    } else {
      resolved.set(key, {
        ok: true,
        imageId,
        architecture: image.Architecture,
        ...(image.Name ? { imageName: image.Name } : {}),
      });
    }
  }
  return resolved;
}

/**
 * Describe selectors that differ only in their name glob share one DescribeImages walk
 * (at most 200 globs each, the filter's limit).
 */
export function describeGroups(selectors: Map<string, BaseSelector>): [string, DescribeSelector][][] {
  const groups = new Map<string, [string, DescribeSelector][]>();
  for (const [key, selector] of selectors) {
    if (selector.kind !== 'describe') continue;
    const groupKey = selectorKey({ ...selector, name: '' });
    groups.set(groupKey, [...(groups.get(groupKey) ?? []), [key, selector]]);
  }
  const chunks: [string, DescribeSelector][][] = [];
  for (const group of groups.values()) {
    for (let i = 0; i < group.length; i += 200) chunks.push(group.slice(i, i + 200));
  }
  return chunks;
}

function failure(what: string, error: unknown): BaseResolution {
  const code = awsErrorName(error);
  return { ok: false, reason: `${what}: ${describeError(error)}`, ...(code ? { errorCode: code } : {}) };
}
