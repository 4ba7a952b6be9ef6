import { jsonAnswer } from '../answers';
import type { Layer } from '../gateway';

interface Seeded {
  value: string;
  seededAt: Date;
}

interface ParameterAnswer {
  Name: string;
  Type: string;
  Value: string;
  Version: number;
  LastModifiedDate: number;
  ARN: string;
  DataType: string;
}

/**
 * AWS's public parameters that moto lacks (it ships some of `/aws/service/...`), given a value by
 * the operator of the local run (`npm start -- --seed-parameter NAME=ami-...`). Names under
 * `/aws` cannot be written through SSM, in AWS as in moto, so the layer answers the reads of a
 * seeded name itself: GetParameter, and GetParameters (a seeded name moves from
 * InvalidParameters to Parameters).
 *
 * The layer also keeps the names written through the endpoint, by region: what clearing the
 * account deletes (moto holds thousands of AWS's public parameters, which listing them all
 * would page through).
 */
export class SsmGaps {
  private readonly seeded = new Map<string, Seeded>();
  readonly written = new Map<string, Set<string>>();

  seed(region: string, name: string, value: string, at = new Date()): void {
    this.seeded.set(key(region, name), { value, seededAt: at });
  }

  readonly layer: Layer = async ({ request }, next) => {
    if (request.service !== 'ssm') return next();
    const { region } = request;
    const name = request.json?.Name;
    if (request.operation === 'PutParameter' && typeof name === 'string') {
      this.written.set(region, (this.written.get(region) ?? new Set()).add(name));
    }
    if (this.seeded.size === 0) return next();
    if (request.operation === 'GetParameter') {
      const seeded = typeof name === 'string' ? this.answer(region, name) : undefined;
      return seeded ? jsonAnswer(200, { Parameter: seeded }) : next();
    }
    if (request.operation !== 'GetParameters') return next();
    const answer = await next();
    if (answer.status !== 200) return answer;
    const body = JSON.parse(answer.body.toString('utf-8')) as {
      Parameters?: ParameterAnswer[];
      InvalidParameters?: string[];
    };
    const found = (body.InvalidParameters ?? []).flatMap((name) => {
      const seeded = this.answer(region, name);
      return seeded ? [seeded] : [];
    });
    if (found.length === 0) return answer;
    const names = new Set(found.map((p) => p.Name));
    body.Parameters = [...(body.Parameters ?? []), ...found];
    body.InvalidParameters = (body.InvalidParameters ?? []).filter((name) => !names.has(name));
    return { ...answer, body: Buffer.from(JSON.stringify(body)) };
  };

  private answer(region: string, name: string): ParameterAnswer | undefined {
    const seeded = this.seeded.get(key(region, name));
    if (!seeded) return undefined;
    return {
      Name: name,
      Type: 'String',
      Value: seeded.value,
      Version: 1,
      LastModifiedDate: seeded.seededAt.getTime() / 1000,
      // AWS's public parameters carry no account in their ARN.
      ARN: `arn:aws:ssm:${region}::parameter${name}`,
      DataType: 'text',
    };
  }
}

const key = (region: string, name: string) => `${region}\t${name}`;

/**
 * The `--seed-parameter NAME=VALUE` options of a command line (repeatable), checked: NAME is an
 * absolute parameter path and VALUE an image id.
 */
export function seedParameterOptions(argv: readonly string[]): { name: string; value: string }[] {
  const seeds: { name: string; value: string }[] = [];
  argv.forEach((arg, i) => {
    const inline = arg.startsWith('--seed-parameter=') ? arg.slice('--seed-parameter='.length) : undefined;
    if (arg !== '--seed-parameter' && inline === undefined) return;
    const text = inline ?? argv[i + 1] ?? '';
    const at = text.indexOf('=');
    const name = at < 0 ? '' : text.slice(0, at);
    const value = at < 0 ? '' : text.slice(at + 1);
    if (!name.startsWith('/') || !/^ami-[0-9a-f]{8,17}$/.test(value)) {
      throw new Error(
        `--seed-parameter takes NAME=IMAGE_ID, such as /aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id=ami-0abcdef1234567890, got ${JSON.stringify(text)}`,
      );
    }
    seeds.push({ name, value });
  });
  return seeds;
}
