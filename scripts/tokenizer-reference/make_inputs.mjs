// Writes tests/fixtures/tokenizers/inputs.json: the strings every tokenizer.json fixture is
// checked on (see tests/fixtures/tokenizers/README.md). Deterministic: a seeded generator, the
// KJV text of Debian's bible-kjv and this repository's own sources.
//   node scripts/tokenizer-reference/make_inputs.mjs
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(root, 'tests', 'fixtures', 'tokenizers', 'inputs.json');

// mulberry32: a small seeded generator, so that the inputs are the same on every machine.
let seed = 0x5eed1234;
function rand() {
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rand() * a.length)];
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));

const inputs = [];
const add = (category, text) => inputs.push({ category, text });

// 1. KJV verses: every 40th verse with its reference, a few joined by newlines.
const kjv = execFileSync('bible', ['-f', 'Genesis 1:1-Revelation 22:21'], {
  encoding: 'utf8',
  maxBuffer: 64 << 20,
}).split('\n').filter((l) => l.length > 0);
for (let i = 0; i < kjv.length && inputs.length < 700; i += 45) {
  const line = kjv[i];
  add('kjv', i % 90 === 0 ? line : line.replace(/^\S+\s/, ''));
}
for (let i = 0; i < 50; ++i) {
  const start = int(0, kjv.length - 6);
  add('kjv', kjv.slice(start, start + int(2, 5)).join(pick(['\n', '\n\n', ' '])));
}

// 2. Source code: chunks of 1-8 lines of this repository's C++, CMake, shell and Python.
const sources = [
  'core/data/token_data.cpp', 'core/eval/passkey.cpp', 'core/rope/rope_math.cpp',
  'core/io/hf_config.cpp', 'CMakeLists.txt', 'scripts/setup.sh',
  'tests/fixtures/make_hf_tiny.py', 'core/model/safetensors.cpp',
];
for (const file of sources) {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  for (let k = 0; k < 30; ++k) {
    const start = int(0, Math.max(0, lines.length - 8));
    add('code', lines.slice(start, start + int(1, 8)).join('\n'));
  }
}

// 3. Runs of whitespace of every kind between words.
const spaces = [' ', '  ', '   ', '\t', '\t\t', '\n', '\n\n', '\r\n', ' \n ', '\u00a0', '\u3000',
                '\u2003', '\u2009', '\u180e', '\u0085', '\u2028', '\u000b', '\u000c', '\u200b'];
const words = ['the', 'The', 'LORD', 'x', 'hello', 'world', "don't", 'foo_bar', 'a1', '42', '!',
               'naïve', 'Ω', '中文', 'שלום'];
for (let i = 0; i < 150; ++i) {
  let s = rand() < 0.3 ? pick(spaces).repeat(int(1, 6)) : '';
  for (let w = int(1, 6); w > 0; --w) {
    s += pick(words) + Array.from({ length: int(1, 3) }, () => pick(spaces)).join('');
  }
  add('whitespace', rand() < 0.5 ? s : s.trimEnd());
}
for (const n of [1, 2, 3, 4, 5, 8, 16, 17, 33, 100]) {
  add('whitespace', ' '.repeat(n));
  add('whitespace', `a${' '.repeat(n)}b`);
  add('whitespace', `\n${'\t'.repeat(n)}x`);
}

// 4. Long numbers, with separators and other digit systems.
const digitSets = ['0123456789', '٠١٢٣٤٥٦٧٨٩', '०१२३४५६७८९', '０１２３４５６７８９', '⁰¹²³⁴⁵⁶⁷⁸⁹'];
for (let i = 0; i < 150; ++i) {
  const set = i % 3 === 0 ? pick(digitSets) : digitSets[0];
  let s = '';
  for (let d = int(1, 64); d > 0; --d) s += set[int(0, 9)];
  if (rand() < 0.3) s = s.replace(/(\d{3})(?=\d)/g, `$1${pick([',', '.', ' ', '_'])}`);
  if (rand() < 0.3) s = `${pick(['$', '-', '+', '3.', 'x=', 'v'])}${s}${pick(['', '%', 'e-12', 'km'])}`;
  add('numbers', s);
}

// 5. Scripts: CJK, Arabic, Devanagari, and others, mixed with Latin.
const phrases = {
  cjk: ['我们今天去公园散步。', '大语言模型的上下文长度', '東京は日本の首都です。', 'ひらがなとカタカナ',
        '한국어 문장입니다.', '旋转位置编码（RoPE）', '「引用」と『二重引用』', '조선말 훈민정음',
        '漢字かな交じり文', '第一章　天地创造'],
  arabic: ['مرحبا بالعالم', 'اللغة العربية جميلة', 'في البدء خلق الله السماوات والأرض',
           'النموذج اللغوي الكبير', 'السَّلَامُ عَلَيْكُمْ', 'عربي ١٢٣ English'],
  devanagari: ['नमस्ते दुनिया', 'हिन्दी भाषा', 'आदि में परमेश्वर ने आकाश और पृथ्वी की सृष्टि की',
               'क्षत्रिय ज्ञान श्रीमान्', 'संस्कृतम् भाषा', 'मराठी १२३'],
  other: ['Ελληνικά κείμενα ΟΔΟΣ', 'Русский текст, ЁЖИК', 'עברית עם ניקוד: שָׁלוֹם',
          'ภาษาไทยไม่มีช่องว่าง', 'Tiếng Việt có dấu', 'Ǆemal İstanbul ǅ', 'ßtraße STRASSE',
          'ﬁnancial ﬂow ﬀ', 'Ⅻ ① ㎏ ™ ½', 'ｆｕｌｌｗｉｄｔｈ　ＡＢＣ', 'ſ K Å ﬆ'],
};
for (const [category, list] of Object.entries(phrases)) {
  for (const p of list) add(category, p);
  for (let i = 0; i < 70; ++i) {
    const parts = [];
    for (let k = int(1, 4); k > 0; --k) parts.push(rand() < 0.8 ? pick(list) : pick(words));
    add(category, parts.join(pick(['', ' ', '\n', ', '])));
  }
}

// 6. Emoji: ZWJ sequences, skin tones, flags, keycaps, variation selectors.
const emoji = ['👨‍👩‍👧‍👦', '👩🏽‍💻', '🏳️‍🌈', '🧑🏿‍🤝‍🧑🏻', '👍', '👍🏻', '👍🏿', '🇩🇪', '🇯🇵', '1️⃣',
               '❤️', '❤', '☺︎', '🤷‍♀️', '🐈‍⬛', '😀', '🫠', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '👁️‍🗨️', '©️'];
for (const e of emoji) add('emoji', e);
for (let i = 0; i < 150; ++i) {
  let s = '';
  for (let k = int(1, 6); k > 0; --k) s += (rand() < 0.6 ? pick(emoji) : pick(words)) + pick(['', ' ', '']);
  add('emoji', s);
}

// 7. Combining marks: the same text in NFC and NFD (and NFKD), stacked marks.
const accented = ['café', 'naïve résumé', 'Ångström', 'Tiếng Việt', 'ệ ḗ ǖ', '한국어', 'Åland é',
                  'ﬁancé', 'São Paulo', 'Zürich Ölçek', 'ḱṓṕ', 'ñandú', 'ώ ᾷ'];
for (const a of accented) {
  for (const form of ['NFC', 'NFD', 'NFKD']) add('combining', a.normalize(form));
}
for (let i = 0; i < 120; ++i) {
  let s = '';
  for (let k = int(1, 8); k > 0; --k) {
    s += pick('aeiouAEIOUnxyz ');
    for (let m = int(0, 4); m > 0; --m) s += String.fromCodePoint(int(0x300, 0x36f));
  }
  add('combining', rand() < 0.5 ? s : s.normalize('NFC'));
}

// 8. Special-token strings inside ordinary text (every fixture's specials, whole and broken).
const specials = ['<|begin_of_text|>', '<|end_of_text|>', '<|eot_id|>', '<|start_header_id|>',
                  '<|end_header_id|>', '<|reserved_special_token_5|>', '<|im_start|>',
                  '<|im_end|>', '<|endoftext|>', '<think>', '</think>', '<tool_call>', '<s>',
                  '</s>', '<unk>', '<mask>', '[INST]', '<|fim_prefix|>'];
const broken = ['<|im_start', '<s', '|>', '<|', '</', 'im_end|>', '<<s>>', '<|<|im_end|>|>'];
for (let i = 0; i < 220; ++i) {
  let s = '';
  for (let k = int(1, 5); k > 0; --k) {
    const r = rand();
    const piece = r < 0.55 ? pick(specials) : r < 0.7 ? pick(broken) : pick(words);
    s += pick(['', ' ', '  ', '\n', '\t']) + piece + pick(['', ' ', '\n', '  ']);
  }
  add('special', s);
}
add('special', '<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>');
add('special', '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>');
add('special', '<s>[INST] What is RoPE? [/INST]</s>');

// 9. Very long words and runs.
const longs = ['a'.repeat(3000), 'ab'.repeat(1500), 'supercalifragilistic'.repeat(60),
               'x'.repeat(300) + ' ' + 'y'.repeat(300), '!'.repeat(500), ' '.repeat(2000),
               '\n'.repeat(300), '😀'.repeat(200), '中'.repeat(800), 'ﷺ'.repeat(50),
               'Pneumonoultramicroscopicsilicovolcanoconiosis', '9'.repeat(1000)];
for (const l of longs) add('long', l);
for (let i = 0; i < 40; ++i) {
  let s = '';
  const alphabet = pick(['abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJ0123456789+/=',
                         'αβγδεζηθ', 'абвгдеж', 'あいうえお', 'ािीुू']);
  const chars = Array.from(alphabet);
  for (let k = int(100, 1500); k > 0; --k) s += pick(chars);
  add('long', s);
}

// 10. Single characters and code points across the planes (assigned ones), contractions.
for (const s of ['', ' ', 'a', "'", "'s", "I'LL DON'T we're they've", "it'S", 'Kelvin K',
                 '\u0000', '\u0001\u0002', '\u007f', '\ufeffBOM', '\ufffd', 'İ', 'ΣΑΣ ΟΔΟΣ.',
                 'ǅ', '\u00ad', 'x\u200dy', 'a\u0301', '\u0301', '각', '𝕳𝖊𝖑𝖑𝖔', '𝟙𝟚𝟛']) {
  add('misc', s);
}
const blocks = [[0x20, 0x7e], [0xa0, 0x24f], [0x370, 0x3ff], [0x400, 0x4ff], [0x590, 0x5ff],
                [0x600, 0x6ff], [0x900, 0x97f], [0xe00, 0xe5b], [0x1100, 0x11ff],
                [0x2000, 0x206f], [0x20a0, 0x20bf], [0x2100, 0x214f], [0x2190, 0x23ff],
                [0x2500, 0x27bf], [0x3000, 0x30ff], [0x4e00, 0x9fff], [0xac00, 0xd7a3],
                [0xff00, 0xffef], [0x1d400, 0x1d7ff], [0x1f300, 0x1f5ff], [0x1f900, 0x1f9ff]];
for (let i = 0; i < 200; ++i) {
  let s = '';
  for (let k = int(1, 12); k > 0; --k) {
    const [lo, hi] = pick(blocks);
    s += String.fromCodePoint(int(lo, hi));
  }
  add('random', s);
}
// 11. Mixtures of everything above.
const pool = inputs.map((x) => x.text).filter((t) => t.length < 200);
for (let i = 0; i < 150; ++i) {
  const parts = [];
  for (let k = int(2, 4); k > 0; --k) parts.push(pick(pool));
  add('mixed', parts.join(pick(['', ' ', '\n'])));
}

writeFileSync(out, JSON.stringify(inputs, null, 0).replace(/\},\{/g, '},\n{') + '\n');
const counts = {};
for (const x of inputs) counts[x.category] = (counts[x.category] || 0) + 1;
console.log(`${inputs.length} inputs -> ${out}`, counts);
