#!/usr/bin/env node
// Installs the benchmark's contenders (bench/package.json) into bench/node_modules, so that the
// main `npm ci` never downloads them; only when they are missing or stale (scripts/install-once.js).
import { installOnce } from './install-once.js';

installOnce('bench', 'the benchmark contenders');
