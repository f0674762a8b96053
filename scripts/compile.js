// Compiles the package (tsconfig.build.json, into dist/) and the tests with the sources they
// import (tsconfig.json, into build/) side by side: the two are independent, and on a fresh
// clone the first only checks what `npm ci` already built (some 2.5 s) while the second does
// all its work, so together they take about as long as the second alone. Each compiler's
// output is printed whole once it ends; the exit status is 1 if either failed.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** Runs tsc on `project`; resolves with its exit status and everything it printed. */
function compile(project) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [tsc, '-p', project], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('error', (error) => resolve({ code: 1, text: String(error) }));
    child.on('close', (code) =>
      resolve({ code: code ?? 1, text: Buffer.concat(output).toString() }),
    );
  });
}

const results = await Promise.all(['tsconfig.build.json', 'tsconfig.json'].map(compile));
for (const { text } of results) process.stdout.write(text);
process.exitCode = results.some(({ code }) => code !== 0) ? 1 : 0;
