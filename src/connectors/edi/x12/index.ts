/** The X12 core: delimiters, tokenizer, parser, envelope validation, writer and acknowledgements. */

export * from './acknowledgements.js';
export * from './codes.js';
export * from './control-numbers.js';
export * from './delimiters.js';
export * from './issues.js';
export * from './locate.js';
export * from './model.js';
export { parseX12 } from './parser.js';
export { X12Tokenizer } from './tokenizer.js';
export { sameControlNumber, validateEnvelopes, validateX12 } from './validator.js';
export * from './writer.js';
