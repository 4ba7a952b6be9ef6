import type { AmiBakeConfig } from './deployment/config';

/**
 * amibake's configuration: edit, then `npm run synth` (validates), `npx cdktf diff`, `npx cdktf deploy`.
 * `npm start` runs the same recipes against a local AWS emulator.
 */
export const config: AmiBakeConfig = {
  namePrefix: 'amibake',
  region: 'us-east-1',
  schedule: 'rate(1 day)',
  recipeStore: 's3',
  maxInFlight: 5,
  network: {},
  tags: { 'managed-by': 'amibake' },
  logRetentionDays: 30,
  architecture: 'arm64',
  backend: { kind: 'local' },
  recipes: [
    {
      name: 'ecs-al2023',
      description: 'ECS container instance on Amazon Linux 2023 with our tooling',
      base: {
        describe: {
          owners: ['amazon'],
          name: 'al2023-ami-ecs-hvm-*-kernel-6.1-x86_64',
          architecture: 'x86_64',
        },
      },
      script: 'user_data/ecs-node.sh',
      // Run on an instance launched from each new image; only an image that passes is published.
      test: { script: 'user_data/ecs-node-test.sh', timeoutMinutes: 15 },
      instanceType: 't3.small',
      rootVolume: { sizeGiB: 30, type: 'gp3' },
      amiName: 'golden-{buildId}',
      tags: { team: 'platform' },
      timeoutMinutes: 60,
    },
  ],
};
