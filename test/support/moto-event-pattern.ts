import { execFileSync } from 'node:child_process';
import { machineMotoPython } from '../../local/emulator/moto-python';

/** moto's own EventBridge matcher (moto.events.models.EventPattern), run in python3. */
export function motoMatches(cases: { pattern: object; event: object }[]): boolean[] {
  const program = [
    'import json, sys',
    'from moto.events.models import EventPattern',
    'cases = json.load(sys.stdin)',
    'print(json.dumps([EventPattern.load(json.dumps(c["pattern"])).matches_event(c["event"]) for c in cases]))',
  ].join('\n');
  return JSON.parse(
    execFileSync(machineMotoPython(), ['-c', program], { input: JSON.stringify(cases), encoding: 'utf-8' }),
  );
}
