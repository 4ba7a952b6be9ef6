import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import {
  renderFetching,
  renderInline,
  type WrapperValues,
} from '../../functions/ami-ec2-instance-create/user-data';
import { getText, presignGet, presignPut, putText } from '../../functions/shared/aws/objects';
import { sha256Hex } from '../../functions/shared/recipe-hash';
import type { AwsClients } from '../../local/emulator/aws-clients';
import { runUntilPowerOff, simulatedUserData } from '../../local/instance-simulator';
import { currentStack, scratchDir } from '../support/local-account';

const template = readFileSync(join(__dirname, '../../user_data/wrapper.sh'), 'utf-8');

describe('the user-data wrapper under bash', function () {
  this.timeout(120_000);
  let clients: AwsClients;
  let bucket: string;
  let scratch: ReturnType<typeof scratchDir>;

  before(async () => {
    const { account, stack } = await currentStack();
    clients = account.emulator.clients;
    bucket = stack.deployment.bucket;
    scratch = scratchDir();
  });
  after(() => scratch.remove());

  async function values(
    name: string,
    timeoutSeconds = 60,
    hygieneKeep: string[] = [],
    stage: 'build' | 'test' = 'build',
  ): Promise<WrapperValues> {
    return {
      buildId: `${name}-20261124120000-abcdef`,
      stage,
      timeoutSeconds,
      hygieneKeep,
      logUrl: await presignPut(clients.presigner, { bucket, key: `t/${name}/build.log` }, 600),
      statusUrl: await presignPut(clients.presigner, { bucket, key: `t/${name}/status.json` }, 600),
      packagesUrl:
        stage === 'test'
          ? ''
          : await presignPut(clients.presigner, { bucket, key: `t/${name}/packages.txt` }, 600),
    };
  }

  async function run(name: string, userData: string, standIn: string, machine?: (root: string) => void) {
    const file = join(scratch.path, `${name}.sh`);
    writeFileSync(file, simulatedUserData(userData, standIn));
    machine?.(join(scratch.path, name, 'root'));
    const started = Date.now();
    const run = await runUntilPowerOff(file, join(scratch.path, name), 20_000);
    const status = await getText(clients.s3, { bucket, key: `t/${name}/status.json` });
    const log = await getText(clients.s3, { bucket, key: `t/${name}/build.log` });
    return {
      poweredOff: run.poweredOff,
      statusText: status,
      status: status && JSON.parse(status),
      console: run.console,
      log: log ?? '',
      seconds: (Date.now() - started) / 1000,
      root: run.root,
      recipeScript: run.recipeScript,
    };
  }

  it('reports success with the log and powers off', async () => {
    const v = await values('success');
    const result = await run(
      'success',
      renderInline(template, v, 'echo recipe'),
      'echo "hello from the customisation"\n',
    );
    expect(result.poweredOff).to.equal(true);
    expect(result.status).to.deep.include({
      buildId: v.buildId,
      exitCode: 0,
      reason: 'customisation succeeded',
    });
    expect(result.log).to.include('hello from the customisation');
    expect(result.log).to.match(/build success-20261124120000-abcdef started \(build stage\)/);
    // The status names the digests of the log and the manifest as uploaded, and the console
    // attests exactly the status uploaded, once.
    expect(result.status.logSha256).to.equal(sha256Hex(result.log ?? ''));
    expect(result.status.packagesSha256).to.match(/^[0-9a-f]{64}$/);
    expect(result.console).to.equal(
      `\r\namibake-attestation build=${v.buildId} exit=0 status-sha256=${sha256Hex(result.statusText ?? '')}\r\n`,
    );
  });

  it('reports the exit status of a failing customisation and still powers off', async () => {
    const v = await values('failure');
    const result = await run(
      'failure',
      renderInline(template, v, 'echo recipe'),
      'echo "about to fail" >&2\nexit 7\n',
    );
    expect(result.poweredOff).to.equal(true);
    expect(result.status).to.deep.include({ exitCode: 7, reason: 'customisation exited with status 7' });
    expect(result.log).to.include('about to fail');
    expect(result.console).to.equal(
      `\r\namibake-attestation build=${v.buildId} exit=7 status-sha256=${sha256Hex(result.statusText ?? '')}\r\n`,
    );
  });

  it('powers off from the watchdog when the customisation outlives the timeout', async () => {
    const v = await values('watchdog', 1);
    const result = await run(
      'watchdog',
      renderInline(template, v, 'echo recipe'),
      'echo "hanging"\nsleep 60\n',
    );
    expect(result.poweredOff).to.equal(true);
    expect(result.status).to.deep.include({ exitCode: 124 });
    expect(result.status.reason).to.match(/watchdog: the customisation ran longer than 1 seconds/);
    expect(result.console, "one attestation, the watchdog's").to.match(
      /^\r\namibake-attestation build=watchdog-\S+ exit=124 status-sha256=[0-9a-f]{64}\r\n$/,
    );
    expect(result.seconds).to.be.below(15);
  });

  it('embeds the recipe script exactly', async () => {
    const v = await values('inline');
    const script = '#!/bin/bash\necho "$HOME" \'quoted\' `date`\n';
    const result = await run('inline', renderInline(template, v, script), 'true');
    expect(result.recipeScript).to.equal(script);
  });

  it('fetches a large customisation from its pre-signed URL', async () => {
    const v = await values('fetch');
    const script = `#!/bin/bash\n${'echo step\n'.repeat(2000)}`;
    await putText(clients.s3, { bucket, key: 't/fetch/user-data.sh' }, script);
    const url = await presignGet(clients.presigner, { bucket, key: 't/fetch/user-data.sh' }, 600);
    const result = await run('fetch', renderFetching(template, v, url, sha256Hex(script)), 'true');
    expect(result.status).to.deep.include({ exitCode: 0 });
    expect(result.recipeScript).to.equal(script);
  });

  it('runs no fetched script whose SHA-256 is not the pinned one', async () => {
    const v = await values('swapped');
    const pinned = '#!/bin/bash\necho pinned\n';
    // The object under the URL was replaced after the launch signed it.
    await putText(clients.s3, { bucket, key: 't/swapped/user-data.sh' }, '#!/bin/bash\necho swapped\n');
    const url = await presignGet(clients.presigner, { bucket, key: 't/swapped/user-data.sh' }, 600);
    const result = await run(
      'swapped',
      renderFetching(template, v, url, sha256Hex(pinned)),
      'echo "the stand-in ran"\n',
    );
    expect(result.poweredOff).to.equal(true);
    expect(result.status).to.deep.include({ exitCode: 1, errorCode: 'ScriptDigestMismatch' });
    expect(result.status.reason).to.include(`not ${sha256Hex(pinned)}: not run`);
    expect(result.log).to.not.include('the stand-in ran');
  });

  it('runs no inline script whose SHA-256 is not the one its user data names', async () => {
    const v = await values('edited');
    const userData = renderInline(template, v, 'echo recipe').replace(
      /AMIBAKE_SCRIPT_SHA256='[0-9a-f]{64}'/,
      `AMIBAKE_SCRIPT_SHA256='${'0'.repeat(64)}'`,
    );
    const result = await run('edited', userData, 'echo "the stand-in ran"\n');
    expect(result.status).to.deep.include({ exitCode: 1, errorCode: 'ScriptDigestMismatch' });
    expect(result.log).to.not.include('the stand-in ran');
  });

  it('reports a failure when the customisation cannot be fetched', async () => {
    const v = await values('missing');
    const url = await presignGet(clients.presigner, { bucket, key: 't/missing/nothing-here.sh' }, 600);
    const result = await run(
      'missing',
      renderFetching(template, v, url, sha256Hex('')).replace('sleep $((attempt * 2))', 'sleep 0'),
      'true',
    );
    expect(result.poweredOff).to.equal(true);
    expect(result.status).to.deep.include({
      exitCode: 1,
      reason: 'could not obtain the customisation script',
    });
    expect(result.recipeScript).to.equal(undefined);
  });

  it('uploads the packages installed before and after the customisation beside the log', async () => {
    const dpkg = (packages: [string, string][]) =>
      packages
        .map(
          ([name, version]) =>
            `Package: ${name}\nStatus: install ok installed\nMaintainer: x\nArchitecture: amd64\nVersion: ${version}\nDescription: ${name}\n`,
        )
        .join('\n');
    const base: [string, string][] = [
      ['bash', '5.2.15-2+b7'],
      ['curl', '7.88.1-10'],
      ['linux-image-6.1.0-27-amd64', '6.1.115-1'],
    ];
    const v = await values('packages');
    const result = await run(
      'packages',
      renderInline(template, v, 'echo recipe'),
      // The customisation upgrades curl and installs jq (here: rewrites the package database).
      `cat >"$AMIBAKE_ROOT/var/lib/dpkg/status" <<'EOF'\n${dpkg([base[0] as [string, string], ['curl', '7.88.1-10+deb12u8'], ['jq', '1.6-2.1'], base[2] as [string, string]])}EOF\n`,
      (root) => {
        mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
        writeFileSync(join(root, 'var/lib/dpkg/status'), dpkg(base));
      },
    );
    expect(result.status).to.deep.include({ exitCode: 0 });
    const manifest = await getText(clients.s3, { bucket, key: 't/packages/packages.txt' });
    expect(manifest).to.equal(
      [
        '[before]',
        'bash\t5.2.15-2+b7',
        'curl\t7.88.1-10',
        'linux-image-6.1.0-27-amd64\t6.1.115-1',
        '[after]',
        'bash\t5.2.15-2+b7',
        'curl\t7.88.1-10+deb12u8',
        'jq\t1.6-2.1',
        'linux-image-6.1.0-27-amd64\t6.1.115-1',
        '',
      ].join('\n'),
    );
  });

  describe('image hygiene', () => {
    /** What a build instance holds that its image must not ship (LEFTOVERS), and what it must keep. */
    const LEFTOVERS = [
      'var/lib/cloud/instances/i-0123456789abcdef0/user-data.txt',
      'var/lib/cloud/instances/i-0123456789abcdef0/scripts/part-001',
      'var/lib/cloud/data/instance-id',
      'var/lib/cloud/sem/config_scripts_per_once.once',
      'var/log/cloud-init.log',
      'var/log/cloud-init-output.log',
      'var/lib/dbus/machine-id',
      'etc/ssh/ssh_host_ed25519_key',
      'etc/ssh/ssh_host_ed25519_key.pub',
      'var/lib/dhclient/dhclient--eth0.lease',
      'var/lib/dhcp/dhclient.eth0.leases',
      'root/.bash_history',
      'home/ec2-user/.bash_history',
      'tmp/build-scratch',
      'tmp/.hidden',
      'var/tmp/cache/file',
      'var/log/journal/0123456789abcdef/system.journal',
      'var/lib/systemd/random-seed',
      // Left by an image that an earlier amibake made without hygiene: its report-once lock.
      'var/lib/amibake/reported/.keep',
      'var/lib/amibake/build.log',
    ];
    const KEPT = ['etc/ssh/sshd_config', 'home/ec2-user/.bashrc', 'var/log/messages', 'etc/os-release'];
    const seed = (root: string) => {
      for (const path of [...LEFTOVERS, ...KEPT, 'etc/machine-id', 'var/log/wtmp', 'var/log/lastlog']) {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), `${path} of the build instance\n`);
      }
      symlinkSync('instances/i-0123456789abcdef0', join(root, 'var/lib/cloud/instance'));
    };
    const present = (root: string, paths: readonly string[]) =>
      paths.filter((p) => existsSync(join(root, p)));
    const size = (root: string, path: string) => statSync(join(root, path)).size;

    it('removes what the build leaves, keeps the machine, and reports over a stale lock of an earlier image', async () => {
      const v = await values('clean');
      const result = await run(
        'clean',
        renderInline(template, v, 'echo recipe'),
        'echo "customised"\n',
        seed,
      );
      expect(result.status).to.deep.include({ exitCode: 0, reason: 'customisation succeeded' });
      expect(present(result.root, LEFTOVERS)).to.deep.equal([]);
      expect(existsSync(join(result.root, 'var/lib/cloud/instance')), 'the instance link').to.equal(false);
      expect(existsSync(join(result.root, 'var/lib/amibake')), 'amibake goes last').to.equal(false);
      expect(present(result.root, KEPT)).to.deep.equal(KEPT);
      // Emptied, not removed: systemd writes a new id at the next boot.
      expect([size(result.root, 'etc/machine-id'), size(result.root, 'var/log/wtmp')]).to.deep.equal([0, 0]);
      expect(readdirSync(join(result.root, 'tmp'))).to.deep.equal([]);
      expect(result.log).to.include('hygiene: machine-id removed');
      expect(result.log).to.include('customised');
    });

    it('keeps the steps a recipe keeps', async () => {
      const v = await values('kept', 60, ['ssh-host-keys', 'journal']);
      const result = await run('kept', renderInline(template, v, 'echo recipe'), 'true', seed);
      expect(result.status).to.deep.include({ exitCode: 0 });
      expect(present(result.root, LEFTOVERS)).to.deep.equal([
        'etc/ssh/ssh_host_ed25519_key',
        'etc/ssh/ssh_host_ed25519_key.pub',
        'var/log/journal/0123456789abcdef/system.journal',
      ]);
      expect(result.log).to.include('hygiene: ssh-host-keys kept (the recipe keeps it)');
    });

    it('fails the build HygieneFailed when a step cannot be done, and says which', async () => {
      const v = await values('unclean');
      const result = await run('unclean', renderInline(template, v, 'echo recipe'), 'true', (root) => {
        seed(root);
        // A machine-id that cannot be emptied.
        rmSync(join(root, 'etc/machine-id'));
        mkdirSync(join(root, 'etc/machine-id'));
      });
      expect(result.status).to.deep.include({ exitCode: 1, errorCode: 'HygieneFailed' });
      expect(result.status.reason).to.equal(
        'customisation succeeded, but image hygiene failed for: machine-id (see the log)',
      );
      expect(present(result.root, ['root/.bash_history', 'var/lib/amibake/build.log'])).to.deep.equal([
        'var/lib/amibake/build.log',
      ]);
    });

    it("runs the tests on the test instance without touching the machine, and reports the test stage's status", async () => {
      const v = await values('tests', 60, [], 'test');
      const result = await run(
        'tests',
        renderInline(template, v, 'echo recipe'),
        'echo "checking nginx"\ntest -f "$AMIBAKE_ROOT/etc/os-release"\n',
        seed,
      );
      expect(result.poweredOff).to.equal(true);
      expect(result.status).to.deep.include({
        buildId: v.buildId,
        stage: 'test',
        exitCode: 0,
        reason: 'tests passed',
      });
      expect(result.log).to.include('checking nginx');
      expect(result.log).to.match(/started \(test stage\)/);
      // A test instance is thrown away: the machine is left as it booted, but for the wrapper's own files.
      expect(
        present(
          result.root,
          LEFTOVERS.filter((p) => !p.startsWith('var/lib/amibake/')),
        ),
      ).to.have.length(LEFTOVERS.length - 2);
      expect(existsSync(join(result.root, 'var/lib/amibake'))).to.equal(false);

      const failing = await values('tests-fail', 60, [], 'test');
      const failed = await run('tests-fail', renderInline(template, failing, 'echo recipe'), 'exit 4\n');
      expect(failed.status).to.deep.include({
        stage: 'test',
        exitCode: 4,
        reason: 'tests exited with status 4',
      });
      expect(failed.poweredOff).to.equal(true);
    });

    it('runs no hygiene after a failed customisation, and keeps its log private to root meanwhile', async () => {
      const v = await values('no-hygiene');
      const result = await run('no-hygiene', renderInline(template, v, 'echo recipe'), 'exit 3\n', seed);
      expect(result.status).to.deep.include({ exitCode: 3 });
      expect(present(result.root, ['root/.bash_history', 'etc/ssh/ssh_host_ed25519_key'])).to.have.length(2);
      const log = statSync(join(result.root, 'var/lib/amibake/build.log'));
      const dir = statSync(join(result.root, 'var/lib/amibake'));
      expect([(log.mode & 0o777).toString(8), (dir.mode & 0o777).toString(8)]).to.deep.equal(['600', '700']);
    });
  });
});
