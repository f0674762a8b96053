/**
 * Every scenario of the suite, in the order they run. A new scenario is a file in this
 * directory exporting a {@link Scenario}, added here.
 */
import type { Scenario } from '../lib/scenario.js';
import { udpRate } from './udp-rate.js';

export const SCENARIOS: readonly Scenario<never>[] = [udpRate as Scenario<never>];
