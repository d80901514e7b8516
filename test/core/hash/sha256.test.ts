import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex, sha256HexBytes } from '../../../src/core/hash/sha256.js';
import { Random } from '../../../fixtures/random.js';

describe('sha256Hex', () => {
  it('matches the FIPS 180-2 / NIST test vectors', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    // 448 bits: the padding needs a second block.
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(
      sha256Hex(
        'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
      ),
    ).toBe('cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1');
    expect(sha256Hex('a'.repeat(1_000_000))).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
    expect(sha256Hex('The quick brown fox jumps over the lazy dog')).toBe(
      'd7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592',
    );
  });

  it('hashes the UTF-8 encoding of non-ASCII text', () => {
    // "é" is C3 A9 in UTF-8; hashing the two bytes directly must agree.
    expect(sha256Hex('é')).toBe(sha256HexBytes(new Uint8Array([0xc3, 0xa9])));
    for (const text of ['é', 'über', '日本語', '😀 emoji', 'Ça va? — ½ €']) {
      expect(sha256Hex(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
    }
  });

  it('agrees with node:crypto on random inputs around every block boundary', () => {
    const random = new Random('sha256');
    const alphabet = 'abcXYZ019 _-|"\\\n\u00e9\u00fc\u65e5\u{1F600}';
    const chars = [...alphabet];
    for (let length = 0; length <= 200; length++) {
      let text = '';
      for (let i = 0; i < length; i++) text += random.pick(chars);
      expect(sha256Hex(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
      const bytes = new Uint8Array(length);
      for (let i = 0; i < length; i++) bytes[i] = random.int(256);
      expect(sha256HexBytes(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });
});
