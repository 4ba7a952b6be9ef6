import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { config } from '../amibake.config';
import { runCli } from '../cli/main';
import { bundleFunctions, PROJECT_ROOT } from '../scripts/bundle-functions';
import { publishedImages, receivedSubjects, subscribeQueue } from './after-build';
import { runBakeCycle } from './bake-cycle';
import { describeProvider } from './deploy/stack-deployment';
import { OPERATOR } from './emulator/callers';
import { seedParameterOptions } from './emulator/gaps/ssm-gaps';
import { STAND_IN_TESTS_FAIL, STAND_IN_TESTS_PASS } from './instance-simulator';
import { LocalAccount } from './local-account';
import { type CycleReport, runReport, runVerdict } from './run-report';
import { publishNewBase } from './vendor';

/**
 * `npm start`: deploys the stack of amibake.config.ts with Terraform into the local emulator,
 * then runs complete bake cycles. Cycle 1 builds; cycle 2 finds no new base and builds nothing;
 * the vendor publishes a new base; cycle 3 builds again. `--json` ends stdout with one report.
 */
async function main(): Promise<number> {
  const json = process.argv.includes('--json');
  const verbose = process.argv.includes('--verbose');
  const say = (line: string) => (json ? process.stderr : process.stdout).write(`${line}\n`);
  const started = Date.now();

  say('amibake local run: bundling the functions');
  bundleFunctions();
  const workdir = mkdtempSync(join(tmpdir(), 'amibake-local-'));
  say('starting the AWS emulator (moto behind the emulator layer) on a free loopback port');
  const seeds = seedParameterOptions(process.argv);
  const account = await LocalAccount.start(config.region);
  try {
    for (const seed of seeds) {
      await seedParameter(account, seed);
      say(
        `seeded ${seed.name} = ${seed.value} (a public parameter the emulator lacks; reads of it answer this)`,
      );
    }
    // The vendors' release topics the recipes track exist before the stack subscribes to them.
    for (const recipe of config.recipes) {
      const topic = recipe.base.releaseTopic;
      if (topic) account.emulator.sns.vendorTopics.add(topic);
    }
    say(`deploying the stack with Terraform (synthesized into ${join(PROJECT_ROOT, 'cdktf.out')})`);
    const stack = await account.deploy(config, { outdir: join(PROJECT_ROOT, 'cdktf.out') });
    say(`  terraform apply: ${stack.apply.created} resources created in ${stack.apply.seconds.toFixed(1)} s`);
    say(`  provider: ${describeProvider(stack.terraform.provider)}`);
    for (const notice of stack.deployment.notices) say(`  ${notice}`);
    for (const o of stack.terraform.overrides) say(`  override: ${o.resource}.${o.attribute}: ${o.reason}`);
    say(
      `  bucket ${stack.outputs.artifacts_bucket}, table ${stack.outputs.builds_table}, ${stack.deployment.recipes.length} recipe(s) in ${config.recipeStore}`,
    );
    const clients = account.emulator.clients;
    const inbox = await subscribeQueue(clients, stack);
    const cycles: CycleReport[] = [];
    const cycle = async (release?: string, failingTests: string[] = []) => {
      const tests = (recipe: string) =>
        failingTests.includes(recipe) ? STAND_IN_TESTS_FAIL : STAND_IN_TESTS_PASS;
      const ran = await runBakeCycle(account, stack, {
        workdir,
        say,
        tests,
        ...(release ? { release } : {}),
      });
      cycles.push({
        cycle: cycles.length + 1,
        startedBy: release ? 'release' : 'schedule',
        failingTests,
        ...ran,
      });
    };
    say('\ncycle 1: first run');
    await cycle();
    say('\ncycle 2: no new base since cycle 1');
    await cycle();
    const release = stack.deployment.recipes.find((r) => r.base.kind === 'describe');
    if (release) {
      const published = await publishNewBase(clients.ec2, account.emulator.ec2, release, new Date());
      say(`\nthe vendor publishes ${published.name} (${published.imageId})`);
      // A recipe that tracks the vendor's topic is started by the notification, not the schedule.
      const topic = release.releaseTopic;
      say(`cycle 3: after the new release${topic ? ', started by its notification' : ''}`);
      say(
        `  (the stand-in tests of ${release.name} fail this time, to show that an image that fails its tests becomes the candidate but is not published)`,
      );
      await cycle(topic, [release.name]);
    } else {
      say(
        '\ncycle 3 skipped: no recipe selects its base by name, and /aws/service parameters cannot be changed here',
      );
    }

    say('\nafter the builds');
    for (const channels of await publishedImages(clients, stack.deployment.recipes)) {
      const [published, tested] = channels.published;
      const [candidate, newest] = channels.candidate;
      say(
        `  ${channels.recipe}: published ${published} = ${tested} (tested; consumers: resolve:ssm:${published})`,
      );
      say(`  ${channels.recipe}: candidate ${candidate} = ${newest} (newest image, before its tests)`);
    }
    for (const subject of await receivedSubjects(clients, inbox)) say(`  notification: ${subject}`);
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: account.emulator.endpoint,
      AWS_ACCESS_KEY_ID: OPERATOR.accessKeyId,
      AWS_SECRET_ACCESS_KEY: OPERATOR.secretAccessKey,
    });
    const status = await runCli(['status', '--region', config.region]);
    say(`  npx amibake status:\n${status.stdout.trimEnd().replace(/^/gm, '    ')}`);
    const { decisions } = account.emulator.authorizer;
    const denied = decisions.filter((d) => !d.allowed);
    say(`  IAM: ${decisions.length} authorizations of the functions' calls judged, ${denied.length} denied`);
    for (const d of denied) say(`    denied: ${d.action} on ${d.resource} (${d.principal})`);
    if (verbose) for (const log of account.emulator.lambda.logs) say(`  [${log.functionName}] ${log.line}`);

    say('\nsummary');
    const all = cycles.flatMap((c) => c.builds);
    for (const b of all) {
      say(
        `  ${b.recipeName.padEnd(16)} ${b.buildId.padEnd(40)} base ${b.baseImageId.padEnd(22)} ${b.status.padEnd(10)} ${b.imageId ?? b.reason ?? ''}`,
      );
    }
    const verdict = runVerdict(cycles, {
      allowSkipped: process.argv.includes('--allow-skipped'),
      problems: account.emulator.problems,
      seconds: (Date.now() - started) / 1000,
    });
    for (const line of verdict.lines) say(`  ${line}`);
    if (json) {
      const report = runReport(
        {
          resources: stack.apply.created,
          seconds: stack.apply.seconds,
          overrides: stack.terraform.overrides,
        },
        cycles,
      );
      process.stdout.write(`${JSON.stringify(report)}\n`);
    }
    return verdict.code;
  } finally {
    await account.stop();
    rmSync(workdir, { recursive: true, force: true });
  }
}

/**
 * Gives a public parameter the emulator lacks a value, refusing an image the emulator does not
 * have (the trigger would skip the recipe for it, less clearly).
 */
async function seedParameter(account: LocalAccount, seed: { name: string; value: string }): Promise<void> {
  const { ec2 } = account.emulator.clients;
  const found = await ec2
    .send(new DescribeImagesCommand({ ImageIds: [seed.value] }))
    .then((r) => r.Images ?? [])
    .catch(() => []);
  if (found.length > 0) return account.emulator.ssm.seed(account.region, seed.name, seed.value);
  const known = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], MaxResults: 5 }));
  const examples = (known.Images ?? []).map((i) => `${i.ImageId} (${i.Name})`).join(', ');
  throw new Error(
    `--seed-parameter ${seed.name}=${seed.value}: the emulator has no image ${seed.value}; use one it has, such as ${examples}`,
  );
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`amibake local run failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
