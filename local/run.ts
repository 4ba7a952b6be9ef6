import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { config } from '../amibake.config';
import { runCli } from '../cli/main';
import { bundleFunctions } from '../scripts/bundle-functions';
import { publishedImages, receivedSubjects, subscribeQueue } from './after-build';
import { runBakeCycle } from './bake-cycle';
import { deployLocally, startLocalAws } from './local-aws';
import { publishNewBase } from './vendor';

/**
 * `npm start`: complete bake cycles of the configured recipes against the local emulator.
 * Cycle 1 builds; cycle 2 finds no new base and builds nothing; the vendor publishes a new
 * base; cycle 3 builds again. `--json` ends stdout with one JSON report.
 */
async function main(): Promise<number> {
  const json = process.argv.includes('--json');
  const say = (line: string) => (json ? process.stderr : process.stdout).write(`${line}\n`);
  const started = Date.now();
  process.env.LOG_LEVEL = process.argv.includes('--verbose') ? 'info' : 'warn';

  say('amibake local run: bundling the functions');
  bundleFunctions();
  const workdir = mkdtempSync(join(tmpdir(), 'amibake-local-'));
  say('starting the AWS emulator (moto) on a free loopback port');
  const aws = await startLocalAws(config.region);
  try {
    const local = await deployLocally(aws, config, { logLevel: process.env.LOG_LEVEL });
    const { names } = local.deployment;
    say(
      `deployed locally: table ${names.buildsTable}, bucket ${local.deployment.bucket}, recipes in ${config.recipeStore}, ${local.deployment.recipes.length} recipe(s)`,
    );

    const inbox = await subscribeQueue(aws, local.deployment);
    const all = [];
    say('\ncycle 1: first run');
    all.push(...(await runBakeCycle(aws, local, { workdir, say })).builds);
    say('\ncycle 2: no new base since cycle 1');
    all.push(...(await runBakeCycle(aws, local, { workdir, say })).builds);
    const release = local.deployment.recipes.find((r) => r.base.kind === 'describe');
    if (release) {
      const published = await publishNewBase(aws.clients.ec2, aws.gateway, release, new Date());
      say(`\nthe vendor publishes ${published.name} (${published.imageId})`);
      say('cycle 3: after the new release');
      all.push(...(await runBakeCycle(aws, local, { workdir, say })).builds);
    } else {
      say(
        '\ncycle 3 skipped: no recipe selects its base by name, and /aws/service parameters cannot be changed here',
      );
    }

    say('\nafter the builds');
    for (const [parameter, value] of await publishedImages(aws, local.deployment.recipes)) {
      say(`  parameter ${parameter} = ${value} (consumers: resolve:ssm:${parameter})`);
    }
    for (const subject of await receivedSubjects(aws, inbox)) say(`  notification: ${subject}`);
    const status = await runCli(['status']);
    say(`  npx amibake status:\n${status.stdout.trimEnd().replace(/^/gm, '    ')}`);

    say('\nsummary');
    for (const b of all) {
      say(
        `  ${b.recipeName.padEnd(16)} ${b.buildId.padEnd(40)} base ${b.baseImageId.padEnd(22)} ${b.status.padEnd(10)} ${b.imageId ?? b.reason ?? ''}`,
      );
    }
    say(
      `  ${all.length} build(s), ${all.filter((b) => b.status === 'succeeded').length} succeeded, in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    if (json) {
      const builds = all.map((b) => ({
        recipe: b.recipeName,
        buildId: b.buildId,
        baseImageId: b.baseImageId,
        imageId: b.imageId ?? null,
        status: b.status,
      }));
      process.stdout.write(`${JSON.stringify({ builds })}\n`);
    }
    return all.every((b) => b.status === 'succeeded') && all.length > 0 ? 0 : 1;
  } finally {
    await aws.stop();
    rmSync(workdir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`amibake local run failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
