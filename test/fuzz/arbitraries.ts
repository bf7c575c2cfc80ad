/**
 * Adversarial input shapes shared by the fuzz properties: raw unicode and bytes,
 * the pieces that break URL, header and cookie parsers, very long inputs, and
 * "near-valid" values (a valid value with one to three hostile edits).
 */
import fc from "fast-check";

/** Separators, encodings, controls, lookalikes and URL parts that parsers disagree on. */
export const HOSTILE_PIECES: readonly string[] = [
  // controls and whitespace, including the ones String.prototype.trim and \s see but HTTP does not
  "\r", "\n", "\r\n", "\0", "\t", "\v", "\f", " ", "\u0085", "\u00a0", "\u1680", "\u2028", "\u2029", "\u3000",
  "\ufeff", "\u200b", "\u202e", "\u007f", "\u0001", "\u001f",
  // separators
  "/", "\\", "//", "\\\\", ".", "..", "./", "../", "@", ":", ";", ",", "=", "?", "#", "&", "%", '"', "'", "<", ">", "[", "]", "*", "+",
  // percent-encodings, single and double
  "%2f", "%2F", "%5c", "%5C", "%2e", "%2E", "%2e%2e", "%252f", "%252e", "%25", "%25%32%66", "%00", "%0d%0a", "%0D%0A",
  "%40", "%3a", "%3b", "%23", "%3f", "%ff", "%c0%af", "%e2%80%a8", "%", "%z",
  // lookalike slashes, backslashes and dots
  "\uff0f", "\u2215", "\u2044", "\u29f8", "\uff3c", "\u2216", "\ufe68", "\uff0e", "\u3002", "\u2024", "\ufe52", "\u00b7",
  // unicode that changes under case mapping or normalisation, surrogates, astral
  "\ud800", "\udfff", "\u0130", "\u0131", "\u212a", "\u017f", "\u00df", "\u00e9", "e\u0301", "\ud83d\ude00", "\ufffd",
  // ports, literals, userinfo, schemes, hosts
  ":443", ":80", ":0", ":00080", ":65535", ":65536", ":99999", ":-1", ":+1", ":1e3", "[::1]", "[::ffff:127.0.0.1]", "::1",
  "user:pass@", "@evil.test", "evil.test", ".evil.test", "127.0.0.1", "0x7f.1", "2130706433", "localhost", "xn--e1a",
  "HTTPS://", "https://", "http://", "//", "javascript:", "data:", "file:",
];

export const hostilePiece: fc.Arbitrary<string> = fc.constantFrom(...HOSTILE_PIECES);

/** A string made of hostile pieces and printable ASCII, the mix most likely to reach deep branches. */
export const piecesString = (maxPieces = 16): fc.Arbitrary<string> =>
  fc
    .array(fc.oneof(hostilePiece, fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 4 })), { maxLength: maxPieces })
    .map((pieces) => pieces.join(""));

/** One piece repeated thousands of times: length limits and quadratic paths. */
export const longString: fc.Arbitrary<string> = fc
  .tuple(fc.oneof(fc.constantFrom("a", "/", ".", "%2f", "=", ";", "a.", "-", "\u00e9", "\ud83d\ude00"), hostilePiece), fc.integer({ min: 200, max: 12_000 }))
  .map(([piece, times]) => piece.repeat(times));

/** Anything a client could type: raw unicode (lone surrogates included), hostile pieces, very long. */
export const hostileString = (maxLength = 64): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength }) },
    { weight: 2, arbitrary: fc.string({ unit: "binary-ascii", maxLength }) },
    { weight: 4, arbitrary: piecesString(Math.max(4, maxLength >> 2)) },
    { weight: 1, arbitrary: longString },
  );

export type Edit = (text: string) => string;

const at = (text: string, index: number) => index % (text.length + 1);

/** One hostile edit of a string (exported for values inside structures, e.g. a config's fields). */
export const stringEdit: fc.Arbitrary<Edit> = fc.oneof(
  fc.tuple(fc.nat(), hostilePiece).map(([index, piece]): Edit => (text) => text.slice(0, at(text, index)) + piece + text.slice(at(text, index))),
  fc.tuple(fc.nat(), hostilePiece).map(([index, piece]): Edit => (text) => text.slice(0, at(text, index)) + piece + text.slice(at(text, index) + 1)),
  fc.nat().map((index): Edit => (text) => text.slice(0, at(text, index)) + text.slice(at(text, index) + 1)),
  fc.nat().map((index): Edit => (text) => text.slice(0, at(text, index)) + text.slice(at(text, index)).toUpperCase()),
  fc.nat().map((index): Edit => (text) => {
    const i = at(text, index);
    const char = text.charAt(i);
    return char ? text.slice(0, i) + `%${char.charCodeAt(0).toString(16).padStart(2, "0")}` + text.slice(i + 1) : text;
  }),
  fc.tuple(fc.nat(), fc.nat({ max: 16 })).map(([index, length]): Edit => (text) => {
    const i = at(text, index);
    return text.slice(0, i) + text.slice(i, i + length) + text.slice(i);
  }),
  fc.constant<Edit>((text) => `${text}.`),
  fc.constant<Edit>((text) => ` ${text} `),
  fc.constant<Edit>((text) => text + text),
);

/** A valid value with 1-3 hostile edits: inserted or replacing pieces, deletions, case, encodings, duplication. */
export const nearValid = (valid: fc.Arbitrary<string>, maxEdits = 3): fc.Arbitrary<string> =>
  fc.tuple(valid, fc.array(stringEdit, { minLength: 1, maxLength: maxEdits })).map(([text, edits]) => edits.reduce((acc, f) => f(acc), text));

/**
 * Valid values, near-valid ones and hostile strings: most inputs land near a parser's
 * edges. `validWeight` (of 6) raises the share of valid ones where an invariant is
 * about what gets accepted.
 */
export const aroundValid = (valid: fc.Arbitrary<string>, maxLength = 64, validWeight = 1): fc.Arbitrary<string> =>
  fc.oneof({ weight: validWeight, arbitrary: valid }, { weight: 3, arbitrary: nearValid(valid) }, { weight: 2, arbitrary: hostileString(maxLength) });

/**
 * The value a header carrying `raw` holds in workerd, or null when `new Headers` would
 * refuse it: leading/trailing HTTP whitespace (space, tab, CR, LF) is stripped first,
 * then a CR, LF or NUL left inside refuses it. Modelled instead of calling Headers so
 * non-ASCII values do not make workerd warn on every run; fuzz-helpers.test.ts checks
 * the model against the real Headers.
 */
export function asHeaderValue(raw: string): string | null {
  const trimmed = raw.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
  return /[\r\n\0]/.test(trimmed) ? null : trimmed;
}

/** Only ASCII strings for real Headers objects (see asHeaderValue). */
export const headerAscii = (maxPieces = 12): fc.Arbitrary<string> =>
  fc
    .oneof(fc.string({ unit: "binary-ascii", maxLength: 48 }), piecesString(maxPieces))
    .map((text) => text.replace(/[^\x00-\x7f]/g, ""));

export const CONTROL_OR_BREAK_RE = /[\u0000-\u001f\u007f-\u009f]/;
export const HEADER_BREAK_RE = /[\r\n\0]/;
