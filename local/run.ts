import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { config } from '../amibake.config';
import { runCli } from '../cli/main';
import { AmiBakeError, InvalidInputError } from '../functions/shared/errors';
import { bundleFunctions, PROJECT_ROOT } from '../scripts/bundle-functions';
import { publishedImages, receivedSubjects, subscribeQueue } from './after-build';
import { bootLaunched, drain } from './bake-cycle';
import { describeProvider } from './deploy/stack-deployment';
import { OPERATOR } from './emulator/callers';
import { seedParameterOptions } from './emulator/gaps/ssm-gaps';
import { LocalAccount, type LocalStack } from './local-account';
import { type CycleReport, runReport, runVerdict } from './run-report';
import { runScenario } from './scenario';
import { Shutdown } from './shutdown';

const USAGE = `npm start [-- options]    (npm run account: the account alone, kept)

Deploys the stack of amibake.config.ts with Terraform into a local AWS emulator (moto behind the
emulator layer) and runs the default scenario: four bake cycles, two tested images per recipe that
selects its base by name, and an image that fails its tests. Nothing reaches AWS.

  --keep              leave the emulated account running afterwards and print the environment
                      that points \`npx amibake\` and the AWS CLI at it; Ctrl-C stops it and
                      removes everything the run made
  --account           deploy the stack only, no scenario, and keep the account (as --keep)
  --json              end stdout with one JSON report (the progress goes to stderr)
  --verbose           the functions' logs after the cycles, and stack traces on failure
  --allow-skipped     do not fail the run when a recipe is skipped
  --seed-parameter NAME=IMAGE_ID
                      give a public SSM parameter the emulator lacks a value (repeatable)
  --help              this text`;

interface RunOptions {
  json: boolean;
  verbose: boolean;
  allowSkipped: boolean;
  keep: boolean;
  scenario: boolean;
  help: boolean;
  seeds: { name: string; value: string }[];
}

/** The run's options; an unknown one is a usage error. */
function runOptions(argv: readonly string[]): RunOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      'allow-skipped': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      account: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      'seed-parameter': { type: 'string', multiple: true },
    },
  });
  return {
    json: values.json,
    verbose: values.verbose,
    allowSkipped: values['allow-skipped'],
    keep: values.keep || values.account,
    scenario: !values.account,
    help: values.help,
    seeds: seedParameterOptions((values['seed-parameter'] ?? []).flatMap((s) => ['--seed-parameter', s])),
  };
}

/**
 * `npm start`: deploys the stack of amibake.config.ts with Terraform into the local emulator,
 * then runs the default scenario (local/scenario.ts). Every way out (the end, a failure, Ctrl-C)
 * stops the emulator, any terraform, and removes the scratch directories; a failure ends with
 * the summary of what ran and one line saying what went wrong.
 */
async function main(argv: readonly string[]): Promise<number> {
  let options: RunOptions;
  try {
    options = runOptions(argv);
  } catch (error) {
    process.stderr.write(`npm start: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const say = (line: string) => (options.json ? process.stderr : process.stdout).write(`${line}\n`);
  const started = Date.now();
  const shutdown = new Shutdown();
  shutdown.onSignals(say);
  const cycles: CycleReport[] = [];
  // Elapsed time per phase, for the summary: where a slow run spent its time.
  const phases: [string, number][] = [];
  let phaseStarted = started;
  const phaseDone = (name: string) => {
    phases.push([name, (Date.now() - phaseStarted) / 1000]);
    phaseStarted = Date.now();
  };
  const phaseLine = () => `phases: ${phases.map(([n, t]) => `${n} ${t.toFixed(1)} s`).join(', ')}`;
  try {
    say('amibake local run: bundling the functions');
    bundleFunctions();
    phaseDone('bundle');
    const workdir = mkdtempSync(join(tmpdir(), 'amibake-local-'));
    shutdown.add('the scratch directory', () => rmSync(workdir, { recursive: true, force: true }));
    say('starting the AWS emulator (moto behind the emulator layer) on a free loopback port');
    const account = await LocalAccount.start(config.region);
    phaseDone('emulator');
    shutdown.add('the emulator', () => account.stop());
    for (const seed of options.seeds) {
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
    const stack = await account.deploy(config, {
      outdir: join(PROJECT_ROOT, 'cdktf.out'),
      progress: (line) => say(`  ${line}`),
    });
    phaseDone('deploy');
    say(`  terraform apply: ${stack.apply.created} resources created in ${stack.apply.seconds.toFixed(1)} s`);
    say(`  provider: ${describeProvider(stack.terraform.provider)}`);
    for (const notice of stack.deployment.notices) say(`  ${notice}`);
    for (const o of stack.terraform.overrides) say(`  override: ${o.resource}.${o.attribute}: ${o.reason}`);
    say(
      `  bucket ${stack.outputs.artifacts_bucket}, table ${stack.outputs.builds_table}, ${stack.deployment.recipes.length} recipe(s) in ${config.recipeStore}`,
    );
    const environment = {
      AWS_ENDPOINT_URL: account.emulator.endpoint,
      AWS_ACCESS_KEY_ID: OPERATOR.accessKeyId,
      AWS_SECRET_ACCESS_KEY: OPERATOR.secretAccessKey,
      AWS_REGION: config.region,
    };
    let code = 0;
    if (options.scenario) {
      const inbox = await subscribeQueue(account.emulator.clients, stack);
      cycles.push(...(await runScenario(account, stack, { workdir, say })));
      phaseDone('cycles');
      await afterTheBuilds(account, stack, inbox, environment, say, options.verbose);
      const verdict = runVerdict(cycles, {
        allowSkipped: options.allowSkipped,
        problems: account.emulator.problems,
        seconds: (Date.now() - started) / 1000,
      });
      summary(cycles, [...verdict.lines, phaseLine()], say);
      code = verdict.code;
      if (options.json) {
        const deployment = {
          resources: stack.apply.created,
          seconds: stack.apply.seconds,
          overrides: stack.terraform.overrides,
        };
        process.stdout.write(`${JSON.stringify(runReport(deployment, cycles))}\n`);
      }
    }
    if (options.keep) {
      shutdown.add('the kept account', keepPlaying(account, stack, workdir, say));
      keepRunning(environment, say);
      say(`(scratch: ${workdir} and ${account.emulator.workdir}, removed on exit)`);
      return await new Promise<number>(() => undefined);
    }
    return code;
  } catch (error) {
    if (cycles.length > 0 || phases.length > 0) summary(cycles, [phaseLine()], say);
    say(
      `\namibake local run failed after ${Math.round((Date.now() - started) / 1000)} s: ${failure(error, options.verbose)}`,
    );
    return 1;
  } finally {
    for (const f of await shutdown.run()) say(`  could not undo ${f}`);
  }
}

/** The channels, the notifications, `amibake status` and the IAM decisions after the scenario. */
async function afterTheBuilds(
  account: LocalAccount,
  stack: LocalStack,
  inbox: string,
  environment: Record<string, string>,
  say: (line: string) => void,
  verbose: boolean,
): Promise<void> {
  const clients = account.emulator.clients;
  say('\nafter the builds');
  for (const channels of await publishedImages(clients, stack.deployment.recipes)) {
    const [published, tested] = channels.published;
    const [candidate, newest] = channels.candidate;
    say(
      `  ${channels.recipe}: published ${published} = ${tested} (tested; consumers: resolve:ssm:${published})`,
    );
    say(
      `  ${channels.recipe}: candidate ${candidate} = ${newest} (newest image not known to be bad; tested before it is published)`,
    );
  }
  for (const subject of await receivedSubjects(clients, inbox)) say(`  notification: ${subject}`);
  Object.assign(process.env, environment);
  const status = await runCli(['status', '--region', config.region]);
  say(`  npx amibake status:\n${status.stdout.trimEnd().replace(/^/gm, '    ')}`);
  const { decisions } = account.emulator.authorizer;
  const denied = decisions.filter((d) => !d.allowed);
  say(`  IAM: ${decisions.length} authorizations of the functions' calls judged, ${denied.length} denied`);
  for (const d of denied) say(`    denied: ${d.action} on ${d.resource} (${d.principal})`);
  if (verbose) for (const log of account.emulator.lambda.logs) say(`  [${log.functionName}] ${log.line}`);
  say(
    "  package manifests: the stand-in instances install nothing; each build lists a simulated base's packages (release N brings its openssl and kernel), so `npx amibake diff <build-id>` has a change to show",
  );
}

function summary(
  cycles: readonly CycleReport[],
  closing: readonly string[],
  say: (line: string) => void,
): void {
  say('\nsummary');
  for (const b of cycles.flatMap((c) => c.builds)) {
    say(
      `  ${b.recipeName.padEnd(16)} ${b.buildId.padEnd(40)} base ${b.baseImageId.padEnd(22)} ${b.status.padEnd(10)} ${b.imageId ?? b.reason ?? ''}`,
    );
  }
  for (const line of closing) say(`  ${line}`);
}

/**
 * While the account is kept, AWS goes on: every second, the asynchronous invocations Lambda
 * holds run (an \`amibake build\`'s launch, a rule's target) and the instances they launch boot,
 * run their user data (the stand-in tests pass) and power off, and EC2 finishes their images.
 * Returns what stops it.
 */
function keepPlaying(
  account: LocalAccount,
  stack: LocalStack,
  workdir: string,
  say: (line: string) => void,
): () => Promise<void> {
  let playing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    playing = playing.then(async () => {
      if (account.emulator.lambda.pending === 0) return;
      try {
        await drain(account, say);
        await bootLaunched(account, stack, { workdir, say });
      } catch (error) {
        say(`  the kept account: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
  }, 1000);
  return async () => {
    clearInterval(timer);
    await playing;
  };
}

/** Prints how to reach the kept account; the signal handler stops it. */
function keepRunning(environment: Record<string, string>, say: (line: string) => void): void {
  const exports = Object.entries(environment)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  say('\nthe local account is running. In another terminal, in this directory:');
  say(`  export ${exports}`);
  say('  npx amibake status    (and plan, history, logs, diff, promote, rollback, retire, render, build)');
  say('  aws ec2 describe-images --owners self    (the AWS CLI reads AWS_ENDPOINT_URL too)');
  say('Ctrl-C stops it and removes everything this run made.');
}

/** One line: the error's message (a refused configuration lists its problems), its stack with --verbose. */
function failure(error: unknown, verbose: boolean): string {
  if (error instanceof InvalidInputError)
    return `refused:\n${error.problems.map((p) => `  - ${p}`).join('\n')}`;
  if (!(error instanceof Error)) return String(error);
  if (verbose) return error.stack ?? error.message;
  const code = error instanceof AmiBakeError && error.code ? ` (${error.code})` : '';
  return `${error.message}${code}${error instanceof AmiBakeError ? '' : ' (--verbose shows where)'}`;
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
  const known = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  const examples = (known.Images ?? [])
    .slice(0, 3)
    .map((i) => i.ImageId)
    .join(', ');
  throw new AmiBakeError(
    `--seed-parameter ${seed.name}=${seed.value}: the emulator has no image ${seed.value}; use one of its ${known.Images?.length ?? 0} Amazon images (${examples}, …), listed by \`aws ec2 describe-images --owners amazon --query 'Images[].[ImageId,Name]' --output text\` against \`npm run account\``,
    { code: 'SeedImageUnknown' },
  );
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`amibake local run failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
