import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { removeBuildRule } from '../shared/aws/build-rule';
import { terminateInstance } from '../shared/aws/instances';
import type { BuildRecord } from '../shared/build-record';
import { awsErrorName, isRefusedForGood } from '../shared/errors';

/**
 * Removes a build's rule and instances, the test instance included (each accepts that it is gone already). A removal AWS
 * refuses for good does not stop the build from ending: it is returned, for the record and the
 * notification, and the sweep tries again; any other error throws, for Lambda to retry.
 */
export async function cleanUp(
  deps: { ec2: EC2Client; events: EventBridgeClient },
  build: Pick<BuildRecord, 'ruleName' | 'instanceId' | 'test'>,
  extra: { ruleNames?: string[]; instanceIds?: string[] } = {},
): Promise<string[]> {
  const left: string[] = [];
  const attempt = async (what: string, remove: () => Promise<void>) => {
    try {
      await remove();
    } catch (error) {
      if (!isRefusedForGood(error)) throw error;
      left.push(`${what} (${awsErrorName(error)})`);
    }
  };
  const rules = new Set([...(build.ruleName ? [build.ruleName] : []), ...(extra.ruleNames ?? [])]);
  const instances = new Set([
    ...(build.instanceId ? [build.instanceId] : []),
    ...(build.test?.instanceId ? [build.test.instanceId] : []),
    ...(extra.instanceIds ?? []),
  ]);
  for (const rule of rules) await attempt(`rule ${rule}`, () => removeBuildRule(deps.events, rule));
  for (const instance of instances)
    await attempt(`instance ${instance}`, () => terminateInstance(deps.ec2, instance));
  return left;
}
