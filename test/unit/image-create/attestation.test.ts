import { expect } from 'chai';
import { attestationsOf, judgeAttestation } from '../../../functions/ami-image-create/build-report';
import { ATTESTATION_GRACE_MINUTES, awaitAttestation } from '../../../functions/ami-image-create/read-report';

const buildId = 'ecs-20261124120000-abcdef';
const instanceId = 'i-0123456789abcdef0';
const digest = 'a'.repeat(64);
const other = 'b'.repeat(64);
const line = (exit: number, sha: string, build = buildId) =>
  `amibake-attestation build=${build} exit=${exit} status-sha256=${sha}\r\n`;
/** A console as EC2 shows it: boot noise, the attestation, shutdown noise. */
const consoleWith = (...lines: string[]) =>
  `[    0.000000] Linux version 6.1\r\ncloud-init: running user data\r\n${lines.join('')}[  OK  ] Reached target Power-Off.\r\n`;

describe('attestationsOf', () => {
  it("reads the build's attestation among the console's lines, once per distinct content", () => {
    expect(attestationsOf(consoleWith(line(0, digest), line(0, digest)), buildId)).to.deep.equal([
      { exitCode: 0, statusSha256: digest },
    ]);
  });

  it("ignores another build's attestation and text that is not one", () => {
    const text = consoleWith(
      line(0, digest, 'ecs-20261124120000-000000'),
      `amibake-attestation build=${buildId}\r\n`,
    );
    expect(attestationsOf(text, buildId)).to.deep.equal([]);
  });

  it('believes only a whole line: the same text inside another line, or with more after it, is not one', () => {
    const forged = line(0, digest).trimEnd();
    const text = consoleWith(
      `sshd[812]: Invalid user ${forged} from 203.0.113.9\r\n`,
      `${forged} trailing\r\n`,
      `${forged}${'c'.repeat(8)}\r\n`,
    );
    expect(attestationsOf(text, buildId)).to.deep.equal([]);
    // Written on a fresh line after a partial one, as the wrapper does, it counts.
    expect(attestationsOf(consoleWith(`[  12.5] eth0: link u\r\n${line(0, digest)}`), buildId)).to.deep.equal(
      [{ exitCode: 0, statusSha256: digest }],
    );
  });
});

describe('judgeAttestation', () => {
  const build = { buildId, instanceId };

  it('believes a status whose SHA-256 the console attests', () => {
    expect(judgeAttestation(digest, consoleWith(line(0, digest)), build)).to.deep.equal({
      verdict: 'attested',
    });
  });

  it('names a status the instance did not write, with what the instance attested', () => {
    const judged = judgeAttestation(other, consoleWith(line(7, digest)), build);
    expect(judged.verdict).to.equal('contradicted');
    expect(judged).to.have.property(
      'reason',
      `the status object (SHA-256 ${other}) is not the one instance ${instanceId} attested on its console (exit status 7, SHA-256 ${digest}): someone else wrote it`,
    );
  });

  it('trusts no report when the console carries two different attestations of the build', () => {
    const judged = judgeAttestation(digest, consoleWith(line(7, other), line(0, digest)), build);
    expect(judged).to.deep.equal({
      verdict: 'contradicted',
      reason: `the console of instance ${instanceId} carries 2 different attestations of build ${buildId}: the report is not trusted`,
    });
  });

  it('finds nothing on an empty console or one without the build', () => {
    for (const text of ['', consoleWith()]) {
      expect(judgeAttestation(digest, text, build)).to.deep.equal({
        verdict: 'missing',
        reason: `the console of instance ${instanceId} carries no attestation of build ${buildId}`,
      });
    }
  });
});

describe('awaitAttestation', () => {
  const now = new Date('2026-11-29T12:00:00Z');
  const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000).toISOString();

  it('waits from the first time the attestation is missing', () => {
    expect(awaitAttestation(undefined, now, 'none')).to.deep.equal({
      waiting: `none yet (waited 0 of ${ATTESTATION_GRACE_MINUTES} min for EC2 to post the console)`,
    });
    expect(awaitAttestation(minutesAgo(ATTESTATION_GRACE_MINUTES - 1), now, 'none')).to.have.property(
      'waiting',
    );
  });

  it('fails the build NoAttestation once the grace is over', () => {
    expect(awaitAttestation(minutesAgo(ATTESTATION_GRACE_MINUTES), now, 'none')).to.deep.include({
      succeeded: false,
      errorCode: 'NoAttestation',
    });
  });
});
