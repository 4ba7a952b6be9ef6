import {
  DescribeInstancesCommand,
  type EC2Client,
  GetConsoleOutputCommand,
  GetSerialConsoleAccessStatusCommand,
  type Instance,
  paginateDescribeInstances,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { Stage } from '../build-record';
import { BUILD_ID_TAG, DEPLOYMENT_TAG, STAGE_TAG } from '../tags';

export const INSTANCES_ACTIONS = {
  runInstance: ['ec2:RunInstances', 'ec2:CreateTags', 'iam:PassRole'],
  describeInstance: ['ec2:DescribeInstances'],
  terminateInstance: ['ec2:TerminateInstances'],
  findDeploymentInstances: ['ec2:DescribeInstances'],
  consoleOutput: ['ec2:GetConsoleOutput'],
  serialConsoleAccess: ['ec2:GetSerialConsoleAccessStatus'],
} as const;

export async function runInstance(ec2: EC2Client, input: RunInstancesCommandInput): Promise<string> {
  const result = await ec2.send(new RunInstancesCommand({ ...input, MinCount: 1, MaxCount: 1 }));
  const id = result.Instances?.[0]?.InstanceId;
  if (!id) throw new Error('RunInstances returned no instance');
  return id;
}

export async function describeInstance(ec2: EC2Client, instanceId: string): Promise<Instance | undefined> {
  try {
    const result = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    return result.Reservations?.[0]?.Instances?.[0];
  } catch (error) {
    if ((error as Error).name === 'InvalidInstanceID.NotFound') return undefined;
    throw error;
  }
}

/**
 * The instance's console output (its last 64 KB), decoded. `latest` asks for the output as it is
 * now, which only Nitro instances serve; otherwise EC2 answers what it posted after the last
 * state change, which can lag it by minutes.
 */
export async function consoleOutput(ec2: EC2Client, instanceId: string, latest: boolean): Promise<string> {
  const result = await ec2.send(new GetConsoleOutputCommand({ InstanceId: instanceId, Latest: latest }));
  return Buffer.from(result.Output ?? '', 'base64').toString('utf-8');
}

/** Whether the account allows the EC2 serial console in the client's region. */
export async function serialConsoleAccess(ec2: EC2Client): Promise<boolean> {
  const result = await ec2.send(new GetSerialConsoleAccessStatusCommand({}));
  return result.SerialConsoleAccessEnabled === true;
}

/** Terminates an instance; one that no longer exists is not an error. */
export async function terminateInstance(ec2: EC2Client, instanceId: string): Promise<void> {
  try {
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
  } catch (error) {
    if ((error as Error).name !== 'InvalidInstanceID.NotFound') throw error;
  }
}

/** A build instance of the deployment, as the sweep sees it. */
export interface BuildInstance {
  instanceId: string;
  /** From the `amibake:build-id` tag; undefined when the tag is missing. */
  buildId: string | undefined;
  state: string;
  launchTime: Date | undefined;
  /** `test` for a test instance (the `amibake:stage` tag), else `build`. */
  stage: Stage;
}

/** Every instance tagged with the deployment that is not terminated (following NextToken pages). */
export async function findDeploymentInstances(ec2: EC2Client, deployment: string): Promise<BuildInstance[]> {
  const found: BuildInstance[] = [];
  const pages = paginateDescribeInstances(
    { client: ec2 },
    {
      Filters: [
        { Name: `tag:${DEPLOYMENT_TAG}`, Values: [deployment] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ],
    },
  );
  for await (const page of pages) {
    for (const instance of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
      if (!instance.InstanceId) continue;
      found.push({
        instanceId: instance.InstanceId,
        buildId: instance.Tags?.find((t) => t.Key === BUILD_ID_TAG)?.Value,
        state: instance.State?.Name ?? 'unknown',
        launchTime: instance.LaunchTime,
        stage: instance.Tags?.some((t) => t.Key === STAGE_TAG && t.Value === 'test') ? 'test' : 'build',
      });
    }
  }
  return found;
}
