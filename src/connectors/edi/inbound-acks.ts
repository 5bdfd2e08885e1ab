/**
 * A partner's 997/999 group (`FA`) in an inbound interchange: AK1 (GS01, GS06 of the hub's group), per
 * set AK2 (ST01, ST02) and its AK5/IK5 (`A`/`E` accepted; `R`, `M`, `W`, `X` rejected, with AK502–AK506),
 * and AK9 for a group answered without AK2s. Each verdict is recorded on the partner's `edi_outbound`
 * rows it names; a 997/999 is never acknowledged itself.
 */
import type { InboundRun } from './inbound-apply.js';
import type { FunctionalGroup } from './x12/index.js';
import { valueAt } from './x12/index.js';

/** Matches the 997/999s of `group` (group `groupIndex` of interchange `index`) to what the hub sent. */
export async function functionalAcknowledgements(
  run: InboundRun,
  group: FunctionalGroup,
  groupIndex: number,
  index: number,
): Promise<void> {
  const { partnerName, issues, units } = run;
  const at = run.now().toISOString();
  for (const [setIndex, set] of group.sets.entries()) {
    const type = valueAt(set.header, 1);
    const control = valueAt(set.header, 2);
    if (issues.some((i) => i.interchange === index && i.group === groupIndex && i.set === setIndex)) {
      units.push({ control, type, outcome: 'rejected', detail: 'the acknowledgement is not sound' });
      continue;
    }
    const notes: string[] = [];
    let gsControl: number | undefined;
    let current: { setId: string; stControl: number } | undefined;
    let setsSeen = 0;
    const codesOf = (segment: (typeof set.segments)[number], from: number, to: number) => {
      const codes: string[] = [];
      for (let n = from; n <= to; n++) {
        const code = valueAt(segment, n).trim();
        if (code) codes.push(code);
      }
      return codes;
    };
    const record = async (
      verdict: string,
      codes: string[],
      target: { setId?: string; stControl?: number },
    ) => {
      if (gsControl === undefined || Number.isNaN(gsControl)) return;
      const status = ['A', 'E'].includes(verdict)
        ? 'accepted'
        : ['R', 'M', 'W', 'X'].includes(verdict)
          ? 'rejected'
          : undefined;
      const what = `group ${gsControl}${target.stControl === undefined ? '' : ` set ${target.setId ?? ''} ${target.stControl}`}`;
      if (!status) {
        notes.push(`${what}: ${verdict || 'no'} status not recorded`);
        return;
      }
      const matched = await run.acknowledgements.recordAcknowledgement({
        partner: partnerName,
        gsControl,
        ...(target.stControl === undefined ? {} : { stControl: target.stControl }),
        ...(target.setId ? { setId: target.setId } : {}),
        status,
        codes,
        at,
      });
      notes.push(
        matched > 0
          ? `${what} ${status}${codes.length ? ` (${codes.join(', ')})` : ''}`
          : `${what}: no interchange sent to ${partnerName} matches`,
      );
    };
    for (const segment of set.segments) {
      switch (segment.id) {
        case 'AK1':
          gsControl = Number(valueAt(segment, 2));
          break;
        case 'AK2':
          current = { setId: valueAt(segment, 1), stControl: Number(valueAt(segment, 2)) };
          setsSeen += 1;
          break;
        case 'AK5':
        case 'IK5':
          if (current) await record(valueAt(segment, 1), codesOf(segment, 2, 6), current);
          current = undefined;
          break;
        case 'AK9':
          // Without AK2s the group's verdict stands for all its sets.
          if (setsSeen === 0) await record(valueAt(segment, 1), codesOf(segment, 5, 9), {});
          break;
      }
    }
    units.push({ control, type, outcome: 'applied', detail: notes.join('; ') || 'no AK1/AK2 to match' });
  }
}
