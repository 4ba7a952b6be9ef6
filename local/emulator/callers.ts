import { randomBytes } from 'node:crypto';

/** The account the emulator plays (moto's default). */
export const EMULATED_ACCOUNT = '123456789012';

/** Credentials as the SDK takes them. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * Who made a call: the operator (Terraform, the CLI, the tests, the emulated AWS services),
 * trusted as an administrator is; or a function's execution environment, with its role.
 */
export type Caller =
  | { kind: 'operator' }
  | {
      kind: 'function';
      functionName: string;
      roleArn: string;
      /** One session per execution environment, as Lambda's own credentials are. */
      environmentId: string;
    };

/** The operator's credentials: what `npm start`, the tests and Terraform sign with. */
export const OPERATOR: Credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/**
 * The credentials the emulator has handed out and who holds each. A call signed with a key it
 * never issued is refused, as AWS refuses an unknown key. Issued credentials stay valid while
 * the emulator runs, as a role session outlives the environment that requested it (session
 * expiry is not played).
 */
export class CallerRegistry {
  private readonly byKey = new Map<string, { caller: Caller; secret: string }>([
    [OPERATOR.accessKeyId, { caller: { kind: 'operator' }, secret: OPERATOR.secretAccessKey }],
  ]);

  /** Session credentials for one execution environment of a function, under its role. */
  issue(caller: Extract<Caller, { kind: 'function' }>): Credentials {
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(20).toString('base64');
    this.byKey.set(accessKeyId, { caller, secret: secretAccessKey });
    return { accessKeyId, secretAccessKey, sessionToken: randomBytes(32).toString('base64') };
  }

  /** Credentials of another operator (trusted as the operator is), for telling its calls apart. */
  issueOperator(): Credentials {
    const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(20).toString('base64');
    this.byKey.set(accessKeyId, { caller: { kind: 'operator' }, secret: secretAccessKey });
    return { accessKeyId, secretAccessKey };
  }

  callerOf(accessKeyId: string | undefined): Caller | undefined {
    return accessKeyId === undefined ? undefined : this.byKey.get(accessKeyId)?.caller;
  }

  secretOf(accessKeyId: string): string | undefined {
    return this.byKey.get(accessKeyId)?.secret;
  }
}

/** `arn:aws:sts::<account>:assumed-role/<role>/<function>`: how AWS names a function in a denial. */
export function principalArn(caller: Caller): string {
  if (caller.kind === 'operator') return `arn:aws:iam::${EMULATED_ACCOUNT}:root`;
  const role = caller.roleArn.split('/').pop() ?? caller.roleArn;
  return `arn:aws:sts::${EMULATED_ACCOUNT}:assumed-role/${role}/${caller.functionName}`;
}
