import { AmiBakeError } from './errors';

/** Reads a required environment variable; only handlers call this. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new AmiBakeError(
      `environment variable ${name} is required, got ${value === undefined ? 'nothing' : '""'}: ` +
        'set it in the function configuration (the stack does this)',
      { code: 'MissingEnvironment' },
    );
  }
  return value;
}

export function optionalEnv(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

export function integerEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const value = optionalEnv(name, env);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) {
    throw new AmiBakeError(
      `environment variable ${name} must be a non-negative integer, got "${value}": fix the function configuration`,
      { code: 'InvalidEnvironment' },
    );
  }
  return parsed;
}
