import { expect } from 'chai';
import { AmiBakeError } from '../../../functions/shared/errors';
import { MOTO_VENV, MOTO_VERSION, motoPython, type PythonHost } from '../../../local/emulator/moto-python';

const VENV_PYTHON = `${MOTO_VENV}/bin/python`;

/** A machine whose Pythons hold the given moto versions; `install` fills the venv unless it fails. */
function host(versions: Record<string, string>, installFails?: string) {
  const lines: string[] = [];
  const installs: string[] = [];
  const fake: PythonHost = {
    motoVersion: (python) => versions[python],
    install: (venv, version) => {
      installs.push(`${venv} moto[server]==${version}`);
      if (installFails) return installFails;
      versions[VENV_PYTHON] = version;
      return undefined;
    },
    log: (line) => lines.push(line),
  };
  return { fake, lines, installs };
}

describe('the Python that runs moto server', () => {
  it("uses the machine's python3 when it has the pinned moto, and installs nothing", () => {
    const { fake, installs } = host({ python3: MOTO_VERSION });
    expect(motoPython(fake, {})).to.equal('python3');
    expect(installs).to.deep.equal([]);
  });

  it('uses the project venv filled earlier', () => {
    const { fake, installs } = host({ python3: '4.0.0', [VENV_PYTHON]: MOTO_VERSION });
    expect(motoPython(fake, {})).to.equal(VENV_PYTHON);
    expect(installs).to.deep.equal([]);
  });

  it('installs the pinned moto into the project venv, once, saying so', () => {
    const { fake, lines, installs } = host({});
    expect(motoPython(fake, {})).to.equal(VENV_PYTHON);
    expect(installs).to.deep.equal([`${MOTO_VENV} moto[server]==${MOTO_VERSION}`]);
    expect(lines).to.deep.equal([
      `moto server ${MOTO_VERSION} not found (python3: no moto, ${VENV_PYTHON}: no moto): installing it into ${MOTO_VENV} (once)`,
    ]);
  });

  it('stops with the one command that installs it when the install fails', () => {
    const { fake } = host({ python3: '4.0.0' }, 'pip install failed: no network');
    expect(() => motoPython(fake, {}))
      .to.throw(AmiBakeError)
      .with.property(
        'message',
        `moto server ${MOTO_VERSION} is needed and could not be installed into ${MOTO_VENV} (pip install failed: no network): install it with python3 -m pip install 'moto[server]==${MOTO_VERSION}'`,
      );
  });

  it('takes AMIBAKE_PYTHON as given, and installs nothing into it', () => {
    const { fake, installs } = host({ '/opt/py/bin/python': MOTO_VERSION });
    expect(motoPython(fake, { AMIBAKE_PYTHON: '/opt/py/bin/python' })).to.equal('/opt/py/bin/python');
    const other = host({});
    expect(() => motoPython(other.fake, { AMIBAKE_PYTHON: '/opt/py/bin/python' })).to.throw(
      /AMIBAKE_PYTHON has no moto server/,
    );
    expect([...installs, ...other.installs]).to.deep.equal([]);
  });
});
