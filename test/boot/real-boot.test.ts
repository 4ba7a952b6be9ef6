import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { renderInline } from '../../functions/ami-ec2-instance-create/user-data';
import { judgeAttestation, outcomeOf } from '../../functions/ami-image-create/build-report';
import { getText, presignPut } from '../../functions/shared/aws/objects';
import { buildReportKeys } from '../../functions/shared/build-record';
import { sha256Hex } from '../../functions/shared/recipe-hash';
import { awsClients } from '../../local/emulator/aws-clients';
import { type Emulator, startEmulator } from '../../local/emulator/emulator';
import {
  type Boot,
  bootGuest,
  copyDisk,
  HOST_FROM_GUEST,
  listGuestDir,
  readGuestFile,
  writeSeed,
} from '../support/guest/guest';
import { ensureGuestBase, type GuestBase, missingTools } from '../support/guest/guest-image';
import { scratchDir } from '../support/scratch';

/**
 * The wrapper as an instance runs it: rendered user data, handed to cloud-init through its NoCloud
 * seed, in a Debian guest booted under qemu. The guest reaches the emulator through qemu's user
 * network; its reports go through the same pre-signed URLs, checked the same way, as on EC2.
 */

const template = readFileSync(join(__dirname, '../../user_data/wrapper.sh'), 'utf-8');
const REGION = 'us-east-1';
const BUCKET = 'amibake-boot-test';
const PREFIX = 'builds/';
/** A guest that has not powered off by then is killed (a boot here takes about two minutes). */
const BOOT_LIMIT_MS = 8 * 60_000;

/** Prints what the guest knows of itself into the build log: the test reads it back from S3. */
const WHO_AM_I = [
  'echo "machine-id: $(cat /etc/machine-id)"',
  'echo "instance-id: $(cat /var/lib/cloud/data/instance-id)"',
  "echo \"cloud-init instances: $(ls /var/lib/cloud/instances | tr '\\n' ' ')\"",
  'echo "systemd first boot: $(if [ -e /run/systemd/first-boot ]; then echo yes; else echo no; fi)"',
  // The units systemd has started in this boot so far (the customisation runs in cloud-final).
  "echo \"units started: $(journalctl -b _PID=1 -o cat --no-pager | sed -n 's/^Start\\(ing\\|ed\\) \\([^ ]*\\) .*/\\2/p' | sort -u | tr '\\n' ' ')\"",
];

const LAYER_1 = [
  '#!/bin/bash',
  'set -eu',
  ...WHO_AM_I,
  'echo layer-1 >>/etc/amibake-layers',
  'echo "scratch of the build" >/tmp/build-scratch',
  'echo "layer 1 customised"',
  '',
].join('\n');

const LAYER_2 = [
  '#!/bin/bash',
  'set -eu',
  ...WHO_AM_I,
  'grep -qx layer-1 /etc/amibake-layers',
  'echo layer-2 >>/etc/amibake-layers',
  'echo "layer 2 customised"',
  '',
].join('\n');

const FAILING = '#!/bin/bash\necho "the customisation fails on purpose"\nexit 3\n';
const HANGING = '#!/bin/bash\necho "the customisation hangs"\nsleep 3600\n';

interface Launched {
  buildId: string;
  instanceId: string;
  disk: string;
  boot: Boot;
  statusText: string | undefined;
  log: string;
  packages: string;
}

describe('a real boot: the wrapper under cloud-init in a Debian guest (qemu)', function () {
  this.timeout(20 * 60_000);
  let base: GuestBase;
  let emulator: Emulator;
  let presigner: S3Client;
  let scratch: ReturnType<typeof scratchDir>;
  let layer1: Promise<Launched>;
  let layer2: Promise<Launched>;
  let failing: Promise<Launched>;
  let hanging: Promise<Launched>;

  /**
   * Launches an instance from an image's disk: a new disk, a new instance id, its user data in
   * the seed; boots it until it powers off, and reads what it reported.
   */
  async function launch(
    name: string,
    image: string,
    script: string,
    timeoutSeconds = 600,
  ): Promise<Launched> {
    const buildId = `${name}-20261130120000-${randomBytes(3).toString('hex')}`;
    const instanceId = `i-${randomBytes(9).toString('hex').slice(0, 17)}`;
    const keys = buildReportKeys(PREFIX, buildId);
    const url = (key: string) => presignPut(presigner, { bucket: BUCKET, key }, 30 * 60);
    const userData = renderInline(
      template,
      {
        buildId,
        stage: 'build',
        timeoutSeconds,
        hygieneKeep: [],
        logUrl: await url(keys.log),
        statusUrl: await url(keys.status),
        packagesUrl: await url(keys.packages),
      },
      script,
    );
    const disk = join(scratch.path, `${name}.img`);
    copyDisk(image, disk);
    writeSeed(disk, instanceId, userData, join(scratch.path, name));
    const boot = await bootGuest(base, disk, join(scratch.path, `${name}.console`), BOOT_LIMIT_MS);
    const read = (key: string) => getText(emulator.clients.s3, { bucket: BUCKET, key });
    return {
      buildId,
      instanceId,
      disk,
      boot,
      statusText: await read(keys.status),
      log: (await read(keys.log)) ?? '',
      packages: (await read(keys.packages)) ?? '',
    };
  }

  before(async () => {
    const missing = missingTools();
    if (missing.length > 0) {
      throw new Error(`npm run test:boot needs ${missing.join(', ')}; .ci/run installs them`);
    }
    base = ensureGuestBase((line) => console.log(`      ${line}`));
    emulator = await startEmulator({ region: REGION });
    await emulator.clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    // The guest signs nothing: its URLs are signed for the address it reaches the emulator at.
    const endpoint = new URL(emulator.endpoint);
    expect(endpoint.hostname).to.equal('127.0.0.1');
    presigner = awsClients(`http://${HOST_FROM_GUEST}:${endpoint.port}`, REGION).presigner;
    scratch = scratchDir();
    // Two guests at a time (the machine has two cores), each pair's second as soon as the first ends.
    layer1 = launch('layer-1', base.disk, LAYER_1);
    failing = launch('failing', base.disk, FAILING);
    layer2 = layer1.then((first) => launch('layer-2', first.disk, LAYER_2));
    hanging = failing.then(() => launch('hanging', base.disk, HANGING, 45));
    for (const launched of [layer1, layer2, failing, hanging]) launched.catch(() => {});
  });

  after(async () => {
    await Promise.allSettled([layer1, layer2, failing, hanging]);
    await emulator?.stop();
    scratch?.remove();
  });

  function expectAttested(launched: Launched, exitCode: number) {
    const { statusText, buildId, instanceId } = launched;
    expect(statusText, 'the status object').to.be.a('string');
    const status = JSON.parse(statusText as string);
    expect(status).to.include({ buildId, stage: 'build', exitCode });
    expect(
      judgeAttestation(sha256Hex(statusText as string), launched.boot.console, { buildId, instanceId }),
    ).to.deep.equal({
      verdict: 'attested',
    });
    return status as { reason: string };
  }

  const logLine = (log: string, label: string) =>
    new RegExp(`^.*${label}: (.*)$`, 'm').exec(log)?.[1]?.trim();

  it('a build reports through its pre-signed URLs, attests on the serial console and powers the guest off', async () => {
    const built = await layer1;
    expect(built.boot.poweredOff, built.boot.console.slice(-2000)).to.equal(true);
    expectAttested(built, 0);
    expect(outcomeOf(built.statusText, built.buildId)).to.deep.include({ succeeded: true });
    expect(built.log).to.include('layer 1 customised').and.include('exit status 0: customisation succeeded');
    expect(logLine(built.log, 'instance-id')).to.equal(built.instanceId);
    expect(built.packages).to.include('[before]').and.include('[after]');
    expect(built.packages).to.match(/^cloud-init\t\S+$/m);
  });

  it('the image it leaves carries none of the build: checked on the disk that becomes the snapshot', async () => {
    const built = await layer1;
    const disk = built.disk;
    // The base had what hygiene removes: SSH host keys (and the failed build keeps the rest, below).
    expect(listGuestDir(base.disk, '/etc/ssh')?.map((e) => e.name)).to.include('ssh_host_ed25519_key');
    expect(listGuestDir(disk, '/var/lib/amibake'), '/var/lib/amibake').to.equal(undefined);
    expect(listGuestDir(disk, '/var/lib/cloud/instances') ?? [], 'cloud-init instances').to.deep.equal([]);
    expect(readGuestFile(disk, '/var/lib/cloud/instance'), 'cloud-init instance link').to.equal(undefined);
    expect(readGuestFile(disk, '/var/log/cloud-init.log'), 'cloud-init.log').to.equal(undefined);
    expect(readGuestFile(disk, '/var/log/cloud-init-output.log'), 'cloud-init-output.log').to.equal(
      undefined,
    );
    expect(readGuestFile(disk, '/etc/machine-id'), '/etc/machine-id').to.equal('');
    const ssh = listGuestDir(disk, '/etc/ssh')?.map((e) => e.name) ?? [];
    expect(
      ssh.filter((n) => n.startsWith('ssh_host_')),
      'SSH host keys',
    ).to.deep.equal([]);
    const leases = listGuestDir(disk, '/var/lib/dhcp')?.map((e) => e.name) ?? [];
    expect(
      leases.filter((n) => n.includes('.lease')),
      'DHCP leases',
    ).to.deep.equal([]);
    expect(listGuestDir(disk, '/var/log/journal') ?? [], 'journal').to.deep.equal([]);
    expect(readGuestFile(disk, '/var/log/wtmp') ?? '', 'wtmp').to.equal('');
    expect(listGuestDir(disk, '/tmp'), '/tmp').to.deep.equal([]);
    expect(listGuestDir(disk, '/var/tmp'), '/var/tmp').to.deep.equal([]);
    expect(readGuestFile(disk, '/root/.bash_history'), 'root history').to.equal(undefined);
    // What the customisation made stays.
    expect(readGuestFile(disk, '/etc/amibake-layers')).to.equal('layer-1\n');
  });

  it('a failing customisation reports its exit status, keeps the evidence and powers off', async () => {
    const failed = await failing;
    expect(failed.boot.poweredOff, failed.boot.console.slice(-2000)).to.equal(true);
    expect(expectAttested(failed, 3).reason).to.equal('customisation exited with status 3');
    expect(failed.log).to.include('the customisation fails on purpose');
    // No hygiene on a failure (nothing becomes an image): what it would have removed is there.
    expect(listGuestDir(failed.disk, '/var/lib/cloud/instances')?.map((e) => e.name)).to.deep.equal([
      failed.instanceId,
    ]);
    expect(readGuestFile(failed.disk, '/var/lib/amibake/build.log')).to.include('fails on purpose');
  });

  it('the watchdog reports 124 and powers off a customisation that hangs', async () => {
    const hung = await hanging;
    expect(hung.boot.poweredOff, hung.boot.console.slice(-2000)).to.equal(true);
    expect(expectAttested(hung, 124).reason).to.equal(
      'watchdog: the customisation ran longer than 45 seconds',
    );
    expect(hung.log).to.include('the customisation hangs');
  });

  it('relaunched with a new instance id, the image runs its new user data: a layered build on it reports', async () => {
    const first = await layer1;
    const second = await layer2;
    expect(second.boot.poweredOff, second.boot.console.slice(-2000)).to.equal(true);
    expectAttested(second, 0);
    expect(second.log).to.include('layer 2 customised');
    // cloud-init ran this instance's user data, and kept nothing of the build instance.
    expect(logLine(second.log, 'instance-id')).to.equal(second.instanceId);
    expect(logLine(second.log, 'cloud-init instances')).to.equal(second.instanceId);
    const machineId = logLine(second.log, 'machine-id');
    expect(machineId).to.match(/^[0-9a-f]{32}$/);
    expect(machineId).to.not.equal(logLine(first.log, 'machine-id'));
    // A relaunch is not a systemd first boot, and starts no unit the base's own first boot did not
    // (such as a network wait): it does the same work, so it is as fast.
    expect(logLine(second.log, 'systemd first boot')).to.equal(logLine(first.log, 'systemd first boot'));
    const started = (log: string) =>
      new Set((logLine(log, 'units started') ?? '').split(' ').filter(Boolean));
    const [baseUnits, relaunchUnits] = [started(first.log), started(second.log)];
    expect(baseUnits.size, 'units the base started').to.be.greaterThan(20);
    expect(
      [...relaunchUnits].filter((unit) => !baseUnits.has(unit)),
      "units the relaunch started that the base's first boot did not",
    ).to.deep.equal([]);
    expect(readGuestFile(second.disk, '/etc/amibake-layers')).to.equal('layer-1\nlayer-2\n');
    expect(readGuestFile(second.disk, '/etc/machine-id')).to.equal('');
    expect(listGuestDir(second.disk, '/var/lib/amibake')).to.equal(undefined);
    console.log(
      `      boot to power-off: the base's first boot ${first.boot.seconds.toFixed(0)} s (systemd first boot: ${logLine(first.log, 'systemd first boot')}), ` +
        `the relaunch of its image ${second.boot.seconds.toFixed(0)} s (systemd first boot: ${logLine(second.log, 'systemd first boot')}); ` +
        `units started by the time the customisation ran: ${baseUnits.size} and ${relaunchUnits.size}`,
    );
  });
});
