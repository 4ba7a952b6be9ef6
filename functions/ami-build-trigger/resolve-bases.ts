import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { describeCandidates } from '../shared/aws/images';
import { getParameterValues } from '../shared/aws/parameters';
import { awsErrorName, describeError } from '../shared/errors';
import { pickNewestImage } from '../shared/newest-image';
import type { BaseSelector, Recipe } from '../shared/recipe';
import { selectorKey } from '../shared/recipe-hash';

export type BaseResolution =
  | { ok: true; imageId: string; imageName?: string }
  | { ok: false; reason: string; errorCode?: string };

/**
 * The newest base image of every distinct selector among the recipes: one DescribeImages
 * walk per distinct describe selector, and one GetParameters call per 10 distinct parameters.
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
      const values = await getParameterValues(
        clients.ssm,
        parameters.map(([, s]) => s.parameter),
      );
      for (const [key, selector] of parameters) {
        const imageId = values.get(selector.parameter);
        resolutions.set(
          key,
          imageId && /^ami-[0-9a-f]+$/.test(imageId)
            ? { ok: true, imageId }
            : {
                ok: false,
                reason: `SSM parameter ${selector.parameter} ${imageId ? `holds "${imageId}", not an AMI id` : 'does not exist or is not readable'}`,
                errorCode: 'ParameterNotFound',
              },
        );
      }
    } catch (error) {
      for (const [key] of parameters) resolutions.set(key, failure('GetParameters failed', error));
    }
  }

  for (const [key, selector] of selectors) {
    if (selector.kind !== 'describe') continue;
    try {
      const newest = pickNewestImage(await describeCandidates(clients.ec2, selector), {
        includeDeprecated: selector.includeDeprecated,
        now,
      });
      resolutions.set(
        key,
        newest?.ImageId
          ? { ok: true, imageId: newest.ImageId, ...(newest.Name ? { imageName: newest.Name } : {}) }
          : {
              ok: false,
              reason: `no available ${selector.architecture} image named "${selector.name}" owned by ${selector.owners.join(', ')}`,
              errorCode: 'NoBaseImage',
            },
      );
    } catch (error) {
      resolutions.set(key, failure('DescribeImages failed', error));
    }
  }
  return resolutions;
}

function failure(what: string, error: unknown): BaseResolution {
  const code = awsErrorName(error);
  return { ok: false, reason: `${what}: ${describeError(error)}`, ...(code ? { errorCode: code } : {}) };
}
