/**
 * Every scenario of the suite, in the order they run. A new scenario is a file in this
 * directory exporting a {@link Scenario}, added here.
 */
import type { Scenario } from '../lib/scenario.js';
import { fanout } from './fanout.js';
import { framed } from './framed.js';
import { framedTls } from './framed-tls.js';
import { idleMemory } from './memory.js';
import { tcpFloodMemory, udpFloodMemory } from './memory-flood.js';
import { reliableGoodput } from './reliable-goodput.js';
import { rpc } from './rpc.js';
import { tcpBulk } from './tcp-bulk.js';
import { tcpEcho } from './tcp-echo.js';
import { tlsBulk } from './tls-bulk.js';
import { udpEcho } from './udp-echo.js';
import { udpRate } from './udp-rate.js';

export const SCENARIOS: readonly Scenario<never>[] = [
  udpRate as Scenario<never>,
  tcpBulk as Scenario<never>,
  tlsBulk as Scenario<never>,
  tcpEcho as Scenario<never>,
  udpEcho as Scenario<never>,
  framed as Scenario<never>,
  framedTls as Scenario<never>,
  fanout as Scenario<never>,
  reliableGoodput as Scenario<never>,
  idleMemory as Scenario<never>,
  udpFloodMemory as Scenario<never>,
  tcpFloodMemory as Scenario<never>,
  rpc as Scenario<never>,
];
