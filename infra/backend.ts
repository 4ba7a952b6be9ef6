import { posix } from 'node:path';
import { LocalBackend, S3Backend, type TerraformStack } from 'cdktf';
import type { BackendConfig } from '../deployment/config';

/** Terraform runs in cdktf.out/stacks/<stack>/: local state paths are relative to the project from there. */
const PROJECT_FROM_STACK_DIR = '../../..';

/**
 * Where Terraform keeps the stack's state: a local file (a path relative to the project, so no
 * machine's absolute path lands in the output), or S3 with locking for teams.
 */
export function configureBackend(stack: TerraformStack, stackName: string, backend: BackendConfig): void {
  if (backend.kind === 'local') {
    const path = backend.path ?? `terraform.${stackName}.tfstate`;
    new LocalBackend(stack, { path: posix.join(PROJECT_FROM_STACK_DIR, path) });
    return;
  }
  new S3Backend(stack, {
    bucket: backend.bucket,
    key: backend.key,
    region: backend.region,
    encrypt: backend.encrypt ?? true,
    ...(backend.dynamodbTable ? { dynamodbTable: backend.dynamodbTable } : {}),
  });
}
