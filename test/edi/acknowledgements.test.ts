/** 997 / 999 / TA1 built from validation issues, written with the writer and read back. */
import { describe, expect, it } from 'vitest';
import {
  acknowledge,
  functionalAckKind,
  functionalAckSet,
  MemoryControlNumbers,
  parseX12,
  validateX12,
  writeInterchange,
} from '../../src/connectors/edi/x12/index.js';
import { interchangeText, plain, sample } from './support.js';

const DATE = new Date(Date.UTC(2026, 10, 27, 10, 0));

function ackOf(text: string) {
  const document = parseX12(text);
  return acknowledge(document, validateX12(document), { date: DATE });
}

describe('functional acknowledgements', () => {
  it('997 for a 4010 group, 999 for a 5010 one', () => {
    const group = (name: string) => parseX12(sample(name)).interchanges[0]!.groups[0]!;
    expect(functionalAckKind(group('850-vics-nodex12.edi'))).toBe('997');
    expect(functionalAckKind(group('846-5010-x12types.edi'))).toBe('999');
  });

  it('accepts a sound group: AK1, AK2/AK5 A per set, AK9 A', () => {
    const [ack] = ackOf(sample('850-vics-nodex12.edi'));
    expect(ack?.rejected).toBe(false);
    expect(ack?.reply.sender).toEqual({ qualifier: '01', id: '999999999' });
    expect(ack?.reply.receiver).toEqual({ qualifier: '12', id: '4405197800' });
    expect(ack?.reply.acknowledgements).toEqual([]);
    const [group] = ack!.reply.groups;
    expect(group).toMatchObject({
      functionalId: 'FA',
      applicationSender: '999999999',
      applicationReceiver: '4405197800',
      version: '004010VICS',
    });
    expect(group!.sets[0]!.id).toBe('997');
    expect(group!.sets[0]!.segments.map(plain)).toEqual([
      { id: 'AK1', elements: ['PO', '1421'] },
      { id: 'AK2', elements: ['850', '000000010'] },
      { id: 'AK5', elements: ['A'] },
      { id: 'AK9', elements: ['A', '1', '1', '1'] },
    ]);
  });

  it('rejects a set with its AK502 codes and reports segment and element errors as AK3/AK4', () => {
    const text = interchangeText([
      ['BEG*00*SA*PO-1**20261127'],
      ['BEG*00*SA*PO-2**20261127', 'n1*ST', 'N3*A\u0007B'],
      ['BEG*00*SA*PO-3**20261127'],
    ]).replace('SE*3*0003', 'SE*4*0003');
    const [ack] = ackOf(text);
    expect(ack!.reply.groups[0]!.sets[0]!.segments.map(plain)).toEqual([
      { id: 'AK1', elements: ['PO', '1'] },
      { id: 'AK2', elements: ['850', '0001'] },
      { id: 'AK5', elements: ['A'] },
      { id: 'AK2', elements: ['850', '0002'] },
      { id: 'AK3', elements: ['n1', '3', '', '1'] },
      { id: 'AK3', elements: ['N3', '4', '', '8'] },
      { id: 'AK4', elements: ['1', '', '6'] },
      { id: 'AK5', elements: ['R', '5'] },
      { id: 'AK2', elements: ['850', '0003'] },
      { id: 'AK5', elements: ['R', '4'] },
      { id: 'AK9', elements: ['P', '3', '3', '1'] },
    ]);
  });

  it('rejects the group with its AK905 codes (GE01 wrong → 5, GE02 ≠ GS06 → 4)', () => {
    const document = parseX12(sample('bad-counts-edinengine.edi'));
    const issues = validateX12(document);
    const set = functionalAckSet(
      document.interchanges[0]!.groups[0]!,
      issues.filter((issue) => issue.group === 0),
    );
    expect(set.segments.map(plain)).toEqual([
      { id: 'AK1', elements: ['OW', '3314'] },
      { id: 'AK2', elements: ['940', '0001'] },
      { id: 'AK5', elements: ['A'] },
      { id: 'AK9', elements: ['R', '2', '1', '1', '5'] },
    ]);
    const other = parseX12(sample('bad-control-numbers-edinengine.edi'));
    const otherIssues = validateX12(other).filter((issue) => issue.group === 0);
    expect(
      functionalAckSet(other.interchanges[0]!.groups[0]!, otherIssues).segments.map(plain).slice(-2),
    ).toEqual([
      { id: 'AK5', elements: ['R', '3'] },
      { id: 'AK9', elements: ['R', '1', '1', '0', '4'] },
    ]);
  });

  it('999 for 5010: AK1 with the version, IK3/IK4/IK5', () => {
    const text = interchangeText([['BEG*00*SA*1', 'b*X']]).replace('*X*004010', '*X*005010');
    const [ack] = ackOf(text);
    const set = ack!.reply.groups[0]!.sets[0]!;
    expect(set.id).toBe('999');
    expect(set.segments.map(plain)).toEqual([
      { id: 'AK1', elements: ['PO', '1', '005010'] },
      { id: 'AK2', elements: ['850', '0001'] },
      { id: 'IK3', elements: ['b', '3', '', '1'] },
      { id: 'IK5', elements: ['R', '5'] },
      { id: 'AK9', elements: ['R', '1', '1', '0'] },
    ]);
  });

  it('TA1 A when ISA14 asks for one; nothing for a group of acknowledgements', () => {
    const requested = interchangeText().replace('*000000001*0*P*', '*000000001*1*P*');
    const [ack] = ackOf(requested);
    expect(ack?.reply.acknowledgements).toEqual([
      { id: 'TA1', elements: ['000000001', '261127', '0930', 'A', '000'] },
    ]);
    expect(ackOf(sample('997-reject-staedi.edi'))).toEqual([]);
  });

  it('writes the reply as a sound interchange, acknowledging back to the sender', async () => {
    const [ack] = ackOf(interchangeText());
    const text = await writeInterchange(ack!.reply, {
      controlNumbers: new MemoryControlNumbers(),
      partner: 'acme',
    });
    const reply = parseX12(text);
    expect(validateX12(reply)).toEqual([]);
    expect(reply.interchanges[0]!.header.elements.slice(4, 8)).toEqual([
      'ZZ',
      'RECEIVER       ',
      'ZZ',
      'SENDER         ',
    ]);
    expect(reply.interchanges[0]!.groups[0]!.sets[0]!.segments.map((segment) => segment.id)).toEqual([
      'AK1',
      'AK2',
      'AK5',
      'AK9',
    ]);

    const [rejected] = ackOf(sample('bad-counts-edinengine.edi'));
    const ta1 = parseX12(
      await writeInterchange(rejected!.reply, {
        controlNumbers: new MemoryControlNumbers(),
        partner: 'acme',
      }),
    );
    expect(validateX12(ta1)).toEqual([]);
    expect(ta1.interchanges[0]!.acknowledgements.map(plain)).toEqual([
      { id: 'TA1', elements: ['000003438', '101127', '1719', 'R', '021'] },
    ]);
    expect(ta1.interchanges[0]!.trailer?.elements).toEqual(['0', '000000001']);
  });
});
