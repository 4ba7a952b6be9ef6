import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { shellSyntaxProblem } from '../../../deployment/script-checks';
import {
  fitsUserData,
  renderFetching,
  renderInline,
  sharedToken,
  USER_DATA_LIMIT_BYTES,
  type WrapperValues,
} from '../../../functions/ami-ec2-instance-create/user-data';
import { sha256Hex } from '../../../functions/shared/recipe-hash';

const template = readFileSync(join(__dirname, '../../../user_data/wrapper.sh'), 'utf-8');
const values: WrapperValues = {
  buildId: 'ecs-20261124120000-abcdef',
  stage: 'build',
  timeoutSeconds: 3600,
  logUrl: 'http://s3/log?a=1&b=2',
  statusUrl: "http://s3/status?x='y'",
  packagesUrl: 'http://s3/packages?p=1',
  hygieneKeep: ['ssh-host-keys', 'journal'],
};

describe('renderInline', () => {
  it('fills every placeholder', () => {
    const userData = renderInline(template, values, 'echo hi\n');
    expect(userData).not.to.match(/\{\{[A-Z0-9_]+\}\}/);
    expect(userData).to.include("AMIBAKE_BUILD_ID='ecs-20261124120000-abcdef'");
    expect(userData).to.include('AMIBAKE_TIMEOUT_SECONDS=3600');
    expect(userData).to.include("AMIBAKE_HYGIENE_KEEP='ssh-host-keys journal'");
  });

  it('names the SHA-256 of the file it writes, a final newline included', () => {
    for (const script of ['echo hi\n', 'echo hi']) {
      expect(renderInline(template, values, script)).to.include(
        `AMIBAKE_SCRIPT_SHA256='${sha256Hex('echo hi\n')}'`,
      );
    }
  });

  it('quotes URLs for bash', () => {
    expect(renderInline(template, values, 'true')).to.include(
      `AMIBAKE_STATUS_URL='http://s3/status?x='\\''y'\\'''`,
    );
  });

  it('embeds the script verbatim in a quoted here-document', () => {
    const script = 'echo "$HOME" $(date) `id` {{BUILD_ID}} $&\n';
    const userData = renderInline(template, values, script);
    expect(userData).to.match(
      /<<'AMIBAKE_SCRIPT_[0-9A-F]{12}'\necho "\$HOME" \$\(date\) `id` \{\{BUILD_ID\}\} \$&\nAMIBAKE_SCRIPT_/,
    );
  });

  it('picks a delimiter that does not occur in the script', () => {
    const first = /<<'(AMIBAKE_SCRIPT_[0-9A-F]+)'/.exec(renderInline(template, values, 'x'))?.[1] ?? '';
    const script = `echo\n${first}\n`;
    const delimiter =
      /<<'(AMIBAKE_SCRIPT_[0-9A-F_]+)'/.exec(renderInline(template, values, script))?.[1] ?? '';
    expect(script.split('\n')).not.to.include(delimiter);
  });
});

describe('the 16 KB switch', () => {
  it('keeps a small script inline', () => {
    expect(fitsUserData(renderInline(template, values, 'echo small\n'))).to.equal(true);
  });

  it('does not fit a script that takes the wrapper past 16 KB', () => {
    const big = `${'echo padding\n'.repeat(1300)}`;
    const userData = renderInline(template, values, big);
    expect(Buffer.byteLength(userData)).to.be.greaterThan(USER_DATA_LIMIT_BYTES);
    expect(fitsUserData(userData)).to.equal(false);
  });

  it('leaves room in a fetching wrapper for its four pre-signed URLs with session tokens', () => {
    // URLs signed with Lambda's session credentials: the token alone is over 1 KB, and shared.
    const token = `IQoJb3JpZ2luX2VjE${'X'.repeat(1300)}`;
    const url = (key: string) =>
      `https://bucket.s3.us-east-1.amazonaws.com/builds/${key}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${'C'.repeat(90)}&X-Amz-Date=20261129T230000Z&X-Amz-Expires=4500&X-Amz-Security-Token=${token}&X-Amz-Signature=${'f'.repeat(64)}&X-Amz-SignedHeaders=host&x-id=PutObject`;
    const signed = { ...values, logUrl: url('log'), statusUrl: url('status'), packagesUrl: url('packages') };
    const userData = renderFetching(template, signed, url('user-data.sh'), 'ab'.repeat(32));
    expect(userData.split(token).length - 1, 'the token is written once').to.equal(1);
    expect(Buffer.byteLength(userData)).to.be.below(USER_DATA_LIMIT_BYTES - 2048);
    expect(userData.split('\n')[0]).to.equal('#!/bin/bash');
    expect(userData).to.not.match(/^\s*# (Runs|Reports|Image hygiene)/m);

    // bash puts each URL back together exactly.
    const assignments = userData
      .split('\n')
      .filter((line) => /^AMIBAKE_(TOKEN|LOG_URL|STATUS_URL|PACKAGES_URL)=/.test(line))
      .join('\n');
    const echoed = spawnSync(
      'bash',
      [
        '-c',
        `${assignments}\nprintf '%s\\n' "$AMIBAKE_LOG_URL" "$AMIBAKE_STATUS_URL" "$AMIBAKE_PACKAGES_URL"`,
      ],
      {
        encoding: 'utf-8',
      },
    );
    expect(echoed.stdout).to.equal(`${url('log')}\n${url('status')}\n${url('packages')}\n`);
  });

  it('writes each URL whole when the URLs carry no token, or different ones', () => {
    expect(sharedToken(['https://b/x?a=1', 'https://b/y?a=2'])).to.equal(undefined);
    expect(
      sharedToken(['https://b/x?X-Amz-Security-Token=t1&s=1', 'https://b/y?X-Amz-Security-Token=t2']),
    ).to.equal(undefined);
    expect(
      sharedToken(['https://b/x?X-Amz-Security-Token=t1&s=1', '', 'https://b/y?X-Amz-Security-Token=t1']),
    ).to.equal('t1');
  });

  it('renders user data that bash parses, in both modes', () => {
    expect(shellSyntaxProblem(renderInline(template, values, 'echo "inline"\n'))).to.equal(undefined);
    expect(shellSyntaxProblem(renderFetching(template, values, 'http://s3/x', 'ab'.repeat(32)))).to.equal(
      undefined,
    );
  });

  it('renders a fetching wrapper of fixed, small size', () => {
    const userData = renderFetching(template, values, 'http://s3/user-data.sh?sig=1', 'ab'.repeat(32));
    expect(userData).to.include('amibake_transfer get "$1" \'http://s3/user-data.sh?sig=1\'');
    expect(fitsUserData(userData)).to.equal(true);
  });
});
