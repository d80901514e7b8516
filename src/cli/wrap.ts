/**
 * A sentence as lines of at most `width` columns, breaking at spaces. The text's leading indent is kept
 * on its first line; continuation lines are indented two columns further. A word longer than the width
 * (a path, say) stays whole on its own line.
 */
export function wrapWords(text: string, width = 80): string[] {
  const indent = /^ */.exec(text)![0];
  const out: string[] = [];
  let line = '';
  for (const word of text.slice(indent.length).split(' ')) {
    if (word === '') continue;
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = `${indent}  ${word}`;
    } else line = line === '' ? `${indent}${word}` : `${line} ${word}`;
  }
  if (line !== '') out.push(line);
  return out;
}
