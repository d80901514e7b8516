// HTML character references as Takeout writes them: the five escapes of its HTML escaper, the spacing
// entities of its template, numeric references, and a few common named ones. An unknown name is kept
// as written rather than guessed.
const NAMED: ReadonlyMap<string, string> = new Map([
  ['amp', '&'], ['lt', '<'], ['gt', '>'], ['quot', '"'], ['apos', "'"],
  ['nbsp', '\u00a0'], ['ensp', '\u2002'], ['emsp', '\u2003'], ['thinsp', '\u2009'], ['nnbsp', '\u202f'],
  ['ndash', '\u2013'], ['mdash', '\u2014'], ['lsquo', '\u2018'], ['rsquo', '\u2019'], ['ldquo', '\u201c'],
  ['rdquo', '\u201d'], ['hellip', '\u2026'], ['bull', '\u2022'], ['middot', '\u00b7'], ['laquo', '\u00ab'],
  ['raquo', '\u00bb'], ['copy', '\u00a9'], ['reg', '\u00ae'], ['trade', '\u2122'], ['times', '\u00d7'],
  ['euro', '\u20ac'], ['pound', '\u00a3'], ['yen', '\u00a5'], ['cent', '\u00a2'], ['deg', '\u00b0'],
]);

const REFERENCE = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([A-Za-z][A-Za-z0-9]{1,31}));/g;

/** As browsers do: a reference to NUL, a surrogate or beyond Unicode becomes U+FFFD. */
function fromCodePoint(code: number): string {
  if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
  return String.fromCodePoint(code);
}

export function decodeHtmlEntities(text: string): string {
  if (text.indexOf('&') < 0) return text;
  return text.replace(REFERENCE, (match, decimal: string | undefined, hex: string | undefined, name: string | undefined) => {
    if (decimal !== undefined) return fromCodePoint(Number(decimal));
    if (hex !== undefined) return fromCodePoint(parseInt(hex, 16));
    return NAMED.get(name!) ?? match;
  });
}

/** The text of an HTML fragment: tags removed, references decoded. */
export function htmlText(fragment: string): string {
  return decodeHtmlEntities(fragment.indexOf('<') < 0 ? fragment : fragment.replace(/<[^>]*>/g, ''));
}
