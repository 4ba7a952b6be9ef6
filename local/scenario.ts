import type { Recipe } from '../functions/shared/recipe';
import { runBakeCycle } from './bake-cycle';
import { STAND_IN_TESTS_FAIL, STAND_IN_TESTS_PASS } from './instance-simulator';
import type { LocalAccount, LocalStack } from './local-account';
import type { CycleReport } from './run-report';
import { publishNewBase } from './vendor';

/**
 * The packages a stand-in build instance has, as its dpkg database lists them. The stand-in
 * customisation installs nothing, so each build's manifest is a simulated base's packages:
 * release N of the vendor's base carries openssl and the kernel of release N, so that
 * `amibake diff` between two builds shows what a new base changed.
 */
function standInPackages(release: number): [string, string][] {
  return [
    ['amibake-stand-in-base', `${release}`],
    ['bash', '5.2.21-2'],
    ['linux-image-amd64', `6.1.${150 + release}-1`],
    ['openssl', `3.0.${14 + release}-1`],
    ...(release > 1 ? [['ca-certificates', '20240203'] as [string, string]] : []),
  ];
}

/**
 * The default scenario of `npm start`, enough to try every command: cycle 1 builds each recipe
 * and publishes it once its tests pass; cycle 2 finds no new base and builds nothing; the vendor
 * releases a new base and cycle 3 (started by the release topic, when the recipe tracks one)
 * builds and publishes it, the second tested image, so that `promote` and `rollback` have
 * somewhere to go; after a third release the stand-in tests fail in cycle 4, to show an image
 * that is the candidate only until its tests fail, and is never published.
 */
export async function runScenario(
  account: LocalAccount,
  stack: LocalStack,
  options: { workdir: string; say: (line: string) => void; now?: () => Date },
): Promise<CycleReport[]> {
  const { say } = options;
  const now = options.now ?? (() => new Date());
  const cycles: CycleReport[] = [];
  let release = 1;
  const cycle = async (topic?: string, failingTests: string[] = []) => {
    const ran = await runBakeCycle(account, stack, {
      workdir: options.workdir,
      say,
      tests: (recipe) => (failingTests.includes(recipe) ? STAND_IN_TESTS_FAIL : STAND_IN_TESTS_PASS),
      packages: () => standInPackages(release),
      ...(topic ? { release: topic } : {}),
    });
    cycles.push({
      cycle: cycles.length + 1,
      startedBy: topic ? 'release' : 'schedule',
      failingTests,
      ...ran,
    });
  };
  say('\ncycle 1: first run');
  await cycle();
  say('\ncycle 2: no new base since cycle 1');
  await cycle();
  const tracked = stack.deployment.recipes.find((r) => r.base.kind === 'describe');
  if (!tracked) {
    say(
      '\ncycles 3 and 4 skipped: no recipe selects its base by name, and /aws/service parameters cannot be changed here',
    );
    return cycles;
  }
  const publish = async (recipe: Recipe) => {
    release += 1;
    const published = await publishNewBase(account.emulator.clients.ec2, account.emulator.ec2, recipe, now());
    say(`\nthe vendor publishes ${published.name} (${published.imageId})`);
  };
  const by = tracked.releaseTopic ? ', started by its notification' : '';
  await publish(tracked);
  say(`cycle 3: after the new release${by}`);
  await cycle(tracked.releaseTopic);
  await publish(tracked);
  say(`cycle 4: after another release${by}`);
  say(
    `  (the stand-in tests of ${tracked.name} fail this time, to show that an image that fails its tests leaves the candidate channel and is never published)`,
  );
  await cycle(tracked.releaseTopic, [tracked.name]);
  return cycles;
}
