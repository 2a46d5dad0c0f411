// The Rust tokenizers library's encode throughput on the same text as rope-bench-tokenizer,
// one thread, no special tokens, RUNS times (the first is cold): "lines" encodes each line of
// the text as one string (encodeBatch, one call, TOKENIZERS_PARALLELISM=false so that it runs
// on one thread), "whole" the whole text as one string.
//   node bench/tokenizer_reference.mjs NODE_MODULES TOKENIZER.json [TEXT|-] [RUNS] [lines|whole]
// NODE_MODULES holds @anush008/tokenizers (scripts/tokenizer-reference/package.json). TEXT
// defaults to the KJV text of Debian's bible-kjv, as rope-bench-tokenizer reads it.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

process.env.TOKENIZERS_PARALLELISM = 'false';
const [modules, file, textArg, runsArg, modeArg] = process.argv.slice(2);
const textPath = textArg === '-' ? undefined : textArg;
const mode = modeArg || 'lines';
if (!modules || !file) {
  console.error('usage: node tokenizer_reference.mjs NODE_MODULES TOKENIZER.json [TEXT] [RUNS]');
  process.exit(2);
}
const { Tokenizer } = createRequire(join(resolve(modules), 'x.js'))('@anush008/tokenizers');
const text = textPath
  ? readFileSync(textPath, 'utf8')
  : execFileSync('bible', ['-f', 'Genesis 1:1-Revelation 22:21'], { encoding: 'utf8', maxBuffer: 64 << 20 });
const bytes = Buffer.byteLength(text, 'utf8');
const t0 = process.hrtime.bigint();
const tok = Tokenizer.fromFile(file);
const load = Number(process.hrtime.bigint() - t0) / 1e9;
const runs = Number(runsArg || 3);
let cold = 0, best = Infinity, tokens = 0;
for (let r = 0; r < runs; ++r) {
  const t = process.hrtime.bigint();
  if (mode === 'whole') {
    tokens = (await tok.encode(text, null, { addSpecialTokens: false })).getIds().length;
  } else {
    const lines = text.split('\n').filter((l) => l.length > 0);
    const out = await tok.encodeBatch(lines, { addSpecialTokens: false });
    tokens = out.reduce((n, e) => n + e.getIds().length, 0);
  }
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (r === 0) cold = s;
  if (r > 0 || runs === 1) best = Math.min(best, s);
}
const mb = bytes / 1e6;
console.log(`${file} (Rust tokenizers 0.22.2, ${mode}): ${bytes} bytes, ${tokens} tokens, load ${load.toFixed(2)} s; ` +
            `cold ${(mb / cold).toFixed(1)} MB/s, warm ${(mb / best).toFixed(1)} MB/s`);
