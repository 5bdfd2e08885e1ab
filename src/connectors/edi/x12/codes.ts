/**
 * The X12 code lists that acknowledgements carry, with the meanings the standard gives them.
 *
 * Sources (the ASC X12 dictionaries are not public; these lists are as published and used by):
 * - TA104/TA105: X12.5 interchange control, data elements I17 and I18 — pyx12 `x12file.py` (IEA02 ≠ ISA13 →
 *   001, IEA01 wrong → 021, IEA missing → 023, duplicate ISA13 → 025), the stephenmccready/X12 TA1 note-code
 *   table, Microsoft BizTalk's X12 TA1 error pages.
 * - AK501/AK901/IK501: data element 717; AK502/IK502: 718; AK905: 716; AK304: 720 (IK304: 620); AK403: 723
 *   (IK403: 621) — the stephenmccready/X12 997/999 error table, pyx12 `x12file.py` (GE02 ≠ GS06 → AK905 4,
 *   GE01 wrong → 5, GE missing → 3; SE02 ≠ ST02 → AK502 3, SE01 wrong → 4, SE missing → 2).
 *
 * Note the numbering: AK502 2 is "trailer missing", 3 the control number mismatch, 4 the segment count;
 * AK905 4 is the group control number mismatch and 5 the transaction set count.
 */

/** TA104 (I17), interchange acknowledgement code. */
export const TA1_ACK_CODES = {
  A: 'The transmitted interchange control structure header and trailer have been received and have no errors',
  E: 'The transmitted interchange control structure header and trailer have been received and are accepted but errors are noted',
  R: 'The transmitted interchange control structure header and trailer are rejected because of errors',
} as const;

/** TA105 (I18), interchange note code. */
export const TA1_NOTE_CODES = {
  '000': 'No error',
  '001': 'The interchange control number in the header and trailer do not match',
  '002': 'This standard as noted in the control standards identifier is not supported',
  '003': 'This version of the controls is not supported',
  '004': 'The segment terminator is invalid',
  '005': 'Invalid interchange ID qualifier for sender',
  '006': 'Invalid interchange sender ID',
  '007': 'Invalid interchange ID qualifier for receiver',
  '008': 'Invalid interchange receiver ID',
  '009': 'Unknown interchange receiver ID',
  '010': 'Invalid authorization information qualifier value',
  '011': 'Invalid authorization information value',
  '012': 'Invalid security information qualifier value',
  '013': 'Invalid security information value',
  '014': 'Invalid interchange date value',
  '015': 'Invalid interchange time value',
  '016': 'Invalid interchange standards identifier value',
  '017': 'Invalid interchange version ID value',
  '018': 'Invalid interchange control number value',
  '019': 'Invalid acknowledgment requested value',
  '020': 'Invalid test indicator value',
  '021': 'Invalid number of included groups value',
  '022': 'Invalid control structure',
  '023': 'Improper (premature) end-of-file (transmission)',
  '024': 'Invalid interchange content (e.g. invalid GS segment)',
  '025': 'Duplicate interchange control number',
  '026': 'Invalid data element separator',
  '027': 'Invalid component element separator',
} as const;

/** AK501/IK501 and AK901 (717), acknowledgement code of a set or a group (P only for a group). */
export const ACK_CODES = {
  A: 'Accepted',
  E: 'Accepted but errors were noted',
  M: 'Rejected, message authentication code (MAC) failed',
  P: 'Partially accepted, at least one transaction set was rejected',
  R: 'Rejected',
  W: 'Rejected, assurance failed validity tests',
  X: 'Rejected, content after decryption could not be analyzed',
} as const;

/** AK502–AK506 / IK502–IK506 (718), transaction set syntax error code. */
export const SET_ERROR_CODES = {
  '1': 'Transaction set not supported',
  '2': 'Transaction set trailer missing',
  '3': 'Transaction set control number in header and trailer do not match',
  '4': 'Number of included segments does not match actual count',
  '5': 'One or more segments in error',
  '6': 'Missing or invalid transaction set identifier',
  '7': 'Missing or invalid transaction set control number',
  '18': 'Transaction set not in functional group',
  '23': 'Transaction set control number not unique within the functional group',
} as const;

/** AK905–AK909 (716), functional group syntax error code. */
export const GROUP_ERROR_CODES = {
  '1': 'Functional group not supported',
  '2': 'Functional group version not supported',
  '3': 'Functional group trailer missing',
  '4': 'Group control number in the functional group header and trailer do not agree',
  '5': 'Number of included transaction sets does not match actual count',
  '6': 'Group control number violates syntax',
} as const;

/** AK304 (720) / IK304 (620), segment syntax error code. */
export const SEGMENT_ERROR_CODES = {
  '1': 'Unrecognized segment ID',
  '2': 'Unexpected segment',
  '3': 'Mandatory segment missing',
  '4': 'Loop occurs over maximum times',
  '5': 'Segment exceeds maximum use',
  '6': 'Segment not in defined transaction set',
  '7': 'Segment not in proper sequence',
  '8': 'Segment has data element errors',
} as const;

/** AK403 (723) / IK403 (621), data element syntax error code. */
export const ELEMENT_ERROR_CODES = {
  '1': 'Mandatory data element missing',
  '2': 'Conditional required data element missing',
  '3': 'Too many data elements',
  '4': 'Data element too short',
  '5': 'Data element too long',
  '6': 'Invalid character in data element',
  '7': 'Invalid code value',
  '8': 'Invalid date',
  '9': 'Invalid time',
  '10': 'Exclusion condition violated',
  '12': 'Too many repetitions',
  '13': 'Too many components',
} as const;

export type Ta1NoteCode = keyof typeof TA1_NOTE_CODES;
export type SetErrorCode = keyof typeof SET_ERROR_CODES;
export type GroupErrorCode = keyof typeof GROUP_ERROR_CODES;
export type SegmentErrorCode = keyof typeof SEGMENT_ERROR_CODES;
export type ElementErrorCode = keyof typeof ELEMENT_ERROR_CODES;
