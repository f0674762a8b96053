// The mutations scripts/mutate.js applies, one at a time. Each one disables an option, a limit
// or a mechanism the documentation promises; `tests` are the test files (substrings of their
// build/test paths, as scripts/run-tests.js takes them) that should notice.
//
// `find` must occur exactly once in `file`: when the code changes so that it no longer does,
// mutate.js reports an error and the mutation is to be updated here.

const RELIABLE = ['build/test/reliable/'];

export const MUTATIONS = [
  {
    id: 'congestion-no-decrease',
    description: 'the congestion window never shrinks: onLoss() and onTimeout() do nothing',
    edits: [
      {
        file: 'src/reliable/congestion.ts',
        find: 'this.cwnd = Math.max(this.cwnd / 2, 2);\n    this.ssthresh = this.cwnd;',
        replace: '',
      },
      {
        file: 'src/reliable/congestion.ts',
        find: 'this.ssthresh = Math.max(this.cwnd / 2, 2);\n    this.cwnd = 1;',
        replace: '',
      },
    ],
    tests: RELIABLE,
  },
  {
    id: 'reliable-no-limits',
    description: 'maxFlows and sendBufferLimit are not enforced',
    edits: [
      {
        file: 'src/reliable/receive-side.ts',
        find: ' || this.#flowCount >= this.settings.maxFlows',
        replace: '',
      },
      {
        file: 'src/reliable/send-buffer.ts',
        find: 'return this.bufferedBytes === 0 || this.bufferedBytes + size <= this.settings.sendBufferLimit;',
        replace: 'return true;',
      },
    ],
    tests: RELIABLE,
  },
  {
    id: 'datagram-ttl-loop-ignored',
    description: 'setTTL and setMulticastLoopback do nothing, on both datagram paths',
    edits: [
      {
        file: 'src/datagram/dgram-transport.ts',
        find: 'this.socket.setTTL(ttl);',
        replace: '',
      },
      {
        file: 'src/datagram/dgram-transport.ts',
        find: 'this.socket.setMulticastLoopback(flag);',
        replace: '',
      },
      {
        file: 'src/datagram/native-transport.ts',
        find: 'this.#binding.option(this.#handle, OPTION.ttl, ttl);',
        replace: '',
      },
      {
        file: 'src/datagram/native-transport.ts',
        find: 'this.#binding.option(this.#handle, OPTION.multicastLoop, flag ? 1 : 0);',
        replace: '',
      },
    ],
    tests: ['build/test/datagram/broadcast-multicast'],
  },
  {
    id: 'connect-options-ignored',
    description: "connect's noDelay and keepAlive options are not applied",
    edits: [
      {
        file: 'src/stream/connect.ts',
        find: 'if (noDelay === true) socket.setNoDelay(true);',
        replace: '',
      },
      {
        file: 'src/stream/connect.ts',
        find: 'socket.setKeepAlive(true, keepAlive === true ? 0 : keepAlive);',
        replace: '',
      },
    ],
    tests: ['build/test/stream/connect', 'build/test/stream/socket-options'],
  },
  {
    id: 'streamer-rate-ignored',
    description: 'the streamer sends as fast as it can whatever --rate says',
    edits: [
      {
        file: 'src/apps/streamer.ts',
        find: 'if (rate !== undefined) {',
        replace: 'if (rate !== undefined && false) {',
      },
    ],
    tests: ['build/test/cli/echo-stream', 'build/test/cli/chaos', 'build/test/apps/streamer-sink'],
  },
  {
    id: 'ips-all-ignored',
    description: '`dsock ips --all` lists the IPv4 addresses only',
    edits: [
      {
        file: 'src/cli/commands/ips.ts',
        find: 'if (values.all === true)',
        replace: 'if (values.all === true && false)',
      },
    ],
    tests: ['build/test/cli/basics'],
  },
];
