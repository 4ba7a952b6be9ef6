import {
  DescribeInstancesCommand,
  type EC2Client,
  type Instance,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';

export const INSTANCES_ACTIONS = {
  runInstance: ['ec2:RunInstances', 'ec2:CreateTags', 'iam:PassRole'],
  describeInstance: ['ec2:DescribeInstances'],
  terminateInstance: ['ec2:TerminateInstances'],
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

/** Terminates an instance; one that no longer exists is not an error. */
export async function terminateInstance(ec2: EC2Client, instanceId: string): Promise<void> {
  try {
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
  } catch (error) {
    if ((error as Error).name !== 'InvalidInstanceID.NotFound') throw error;
  }
}
