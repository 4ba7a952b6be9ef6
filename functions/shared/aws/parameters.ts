import {
  DeleteParameterCommand,
  GetParametersCommand,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { awsErrorName } from '../errors';

export const PARAMETERS_ACTIONS = {
  getParameterValues: ['ssm:GetParameters'],
  putImageParameter: ['ssm:PutParameter'],
  removeParameter: ['ssm:DeleteParameter'],
} as const;

/** Values of SSM parameters, asking for up to 10 names per call. Unknown names are left out. */
export async function getParameterValues(
  ssm: SSMClient,
  names: readonly string[],
): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  const unique = [...new Set(names)];
  for (let i = 0; i < unique.length; i += 10) {
    const result = await ssm.send(new GetParametersCommand({ Names: unique.slice(i, i + 10) }));
    for (const parameter of result.Parameters ?? []) {
      if (parameter.Name && parameter.Value) values.set(parameter.Name, parameter.Value);
    }
  }
  return values;
}

/** Points a parameter of data type aws:ec2:image at an image, for `resolve:ssm:` consumers. */
export async function putImageParameter(ssm: SSMClient, name: string, imageId: string): Promise<void> {
  await ssm.send(
    new PutParameterCommand({
      Name: name,
      Value: imageId,
      Type: 'String',
      DataType: 'aws:ec2:image',
      Overwrite: true,
    }),
  );
}

/** Removes a parameter; one already gone counts as removed. */
export async function removeParameter(ssm: SSMClient, name: string): Promise<void> {
  try {
    await ssm.send(new DeleteParameterCommand({ Name: name }));
  } catch (error) {
    if (awsErrorName(error) !== 'ParameterNotFound') throw error;
  }
}
