#!/usr/bin/env node
// A `solc`-compatible command for py-solc-x that runs the npm `solc` (solcjs) offline.
// Usage: node solcjs_standard_json.js SOLC_MODULE_DIR PROJECT_ROOT (--version | --standard-json)
// The stock `solcjs --standard-json` prints a warning line before its JSON; this prints only
// the JSON. Imports resolve against PROJECT_ROOT, then PROJECT_ROOT/node_modules.
'use strict';
const fs = require('fs');
const path = require('path');

const [solcDir, projectRoot, ...args] = process.argv.slice(2);
const solc = require(solcDir);

if (args.includes('--version')) {
  process.stdout.write('solc, the solidity compiler commandline interface\nVersion: ' + solc.version() + '\n');
  process.exit(0);
}
if (!args.includes('--standard-json')) {
  process.stderr.write('only --version and --standard-json are supported\n');
  process.exit(2);
}

function findImport(sourceName) {
  const candidates = [
    path.join(projectRoot, sourceName),
    path.join(projectRoot, 'node_modules', sourceName),
  ];
  for (const candidate of candidates) {
    const resolved = path.resolve(candidate);
    if (!resolved.startsWith(path.resolve(projectRoot) + path.sep)) continue;
    if (fs.existsSync(resolved)) return { contents: fs.readFileSync(resolved, 'utf8') };
  }
  return { error: 'File not found: ' + sourceName };
}

const input = fs.readFileSync(0, 'utf8');
process.stdout.write(solc.compile(input, { import: findImport }));
