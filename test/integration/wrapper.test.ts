import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

  async function values(name: string, timeoutSeconds = 60): Promise<WrapperValues> {
    return {
      buildId: `${name}-20261124120000-abcdef`,
      timeoutSeconds,
      logUrl: await presignPut(clients.presigner, { bucket, key: `t/${name}/build.log` }, 600),
      statusUrl: await presignPut(clients.presigner, { bucket, key: `t/${name}/status.json` }, 600),
    };
  }

  async function run(name: string, userData: string, standIn: string) {
    const file = join(scratch.path, `${name}.sh`);
    writeFileSync(file, simulatedUserData(userData, standIn));
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
      dir: run.root,
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
    expect(result.log).to.match(/build success-20261124120000-abcdef started/);
    // The console attests exactly the bytes uploaded, once.
    expect(result.console).to.equal(
      `amibake-attestation build=${v.buildId} exit=0 status-sha256=${sha256Hex(result.statusText ?? '')}\r\n`,
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
      `amibake-attestation build=${v.buildId} exit=7 status-sha256=${sha256Hex(result.statusText ?? '')}\r\n`,
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
      /^amibake-attestation build=watchdog-\S+ exit=124 status-sha256=[0-9a-f]{64}\r\n$/,
    );
    expect(result.seconds).to.be.below(15);
  });

  it('embeds the recipe script exactly', async () => {
    const v = await values('inline');
    const script = '#!/bin/bash\necho "$HOME" \'quoted\' `date`\n';
    const result = await run('inline', renderInline(template, v, script), 'true');
    expect(readFileSync(join(result.dir, 'customise.sh.recipe'), 'utf-8')).to.equal(script);
  });

  it('fetches a large customisation from its pre-signed URL', async () => {
    const v = await values('fetch');
    const script = `#!/bin/bash\n${'echo step\n'.repeat(2000)}`;
    await putText(clients.s3, { bucket, key: 't/fetch/user-data.sh' }, script);
    const url = await presignGet(clients.presigner, { bucket, key: 't/fetch/user-data.sh' }, 600);
    const result = await run('fetch', renderFetching(template, v, url, sha256Hex(script)), 'true');
    expect(result.status).to.deep.include({ exitCode: 0 });
    expect(readFileSync(join(result.dir, 'customise.sh.recipe'), 'utf-8')).to.equal(script);
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
    expect(existsSync(join(result.dir, 'customise.sh.recipe'))).to.equal(false);
  });
});
