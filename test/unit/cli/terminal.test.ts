import { expect } from 'chai';
import { UsageError } from '../../../cli/args';
import { runCli } from '../../../cli/main';
import { PrintableStream, printable } from '../../../cli/terminal';
import { AmiBakeError } from '../../../functions/shared/errors';

describe('the command line as a terminal shows it', () => {
  it('shows control characters from builds as \\xNN, and keeps line ends and tabs', () => {
    expect(printable('red \u001b[31mtext\u001b[0m')).to.equal('red \\x1b[31mtext\\x1b[0m');
    expect(printable('bell\u0007 c1\u009b over\rwrite')).to.equal('bell\\x07 c1\\x9b over\\x0dwrite');
    expect(printable('a\r\nb\nc\td')).to.equal('a\r\nb\nc\td');
  });

  it('makes a stream printable across chunk boundaries: a CR LF split in two, a UTF-8 character split in two', () => {
    const written: string[] = [];
    const stream = new PrintableStream((text) => written.push(text));
    const e = Buffer.from('é');
    for (const chunk of [
      Buffer.from('line\r'),
      Buffer.from('\nover\r'),
      Buffer.from('write \u001b[2J caf'),
      e.subarray(0, 1),
      Buffer.concat([e.subarray(1), Buffer.from('\r')]),
    ])
      stream.push(chunk);
    stream.end();
    expect(written.join('')).to.equal('line\r\nover\\x0dwrite \\x1b[2J café\\x0d');
    expect(stream.last).to.equal('\r');
  });

  it('answers a failure with --json as a JSON object on stdout, with the same exit code', async () => {
    const out = await runCli(['deploy', '--json']);
    expect(out.code).to.equal(2);
    expect(JSON.parse(out.stdout)).to.deep.equal({
      error: { command: '', code: 2, message: out.stderr.replace(/^amibake: /, '').trimEnd() },
    });
    expect(out.stderr).to.match(/^amibake: unknown command "deploy"/);
  });

  it('has one error root: a usage error is an AmiBakeError with its own code', () => {
    const error = new UsageError('unknown recipe "x"');
    expect(error).to.be.instanceOf(AmiBakeError);
    expect([error.name, error.code]).to.deep.equal(['UsageError', 'UsageError']);
  });

  it('prints nothing on stdout for a failure without --json', async () => {
    const out = await runCli(['deploy']);
    expect(out).to.deep.include({ stdout: '', code: 2 });
  });
});
