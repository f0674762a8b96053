// The packages eslint.config.js builds on, imported from here so that they resolve from
// tools/node_modules, where `node scripts/tools.js` installs them (the root's node_modules does
// not have them).
export { default as js } from '@eslint/js';
export { default as tseslint } from 'typescript-eslint';
