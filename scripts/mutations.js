// The mutations scripts/mutate.js applies, one at a time. Each one disables an option, a limit
// or a mechanism the documentation promises; `tests` are the test files (substrings of their
// build/test paths, as scripts/run-tests.js takes them) that should notice.
//
// `find` must occur exactly once in `file`: when the code changes so that it no longer does,
// mutate.js reports an error and the mutation is to be updated here.

const RELIABLE = ['build/test/reliable/'];

export const MUTATIONS = [
  {
    id: 'reliable-congestion-no-decrease',
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
        find: 'if (this.#table.size >= settings.maxFlows && !this.#evictOne(now)) {',
        replace: 'if (false) {',
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
    tests: ['build/test/datagram/broadcast-multicast', 'build/test/datagram/options-effect'],
  },
  {
    id: 'connect-options-ignored',
    description: "connect's noDelay and keepAlive options are not applied",
    edits: [
      {
        file: 'src/stream/connect.ts',
        find: 'if (plan.noDelay === true) socket.setNoDelay(true);',
        replace: '',
      },
      {
        file: 'src/stream/connect.ts',
        find: 'socket.setKeepAlive(true, keepAlive === true ? 0 : keepAliveDelay(keepAlive));',
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
    tests: [
      'build/test/cli/echo-stream',
      'build/test/cli/chaos',
      'build/test/apps/streamer-sink',
      'build/test/cli/flags',
    ],
  },
  {
    id: 'ips-all-ignored',
    description: '`dsock ips --all` lists the IPv4 addresses only',
    edits: [
      {
        file: 'src/cli/commands/ips.ts',
        find: "localAddresses({ family: values.all === true ? 'any' : 'IPv4' })",
        replace: "localAddresses({ family: 'IPv4' })",
      },
    ],
    tests: ['build/test/cli/basics', 'build/test/cli/flags'],
  },

  // Each of the above alone, and more options and mechanisms of the core folders.
  {
    id: 'reliable-congestion-no-halving',
    description: 'a loss found by SACK leaves the congestion window as it is',
    edits: [
      {
        file: 'src/reliable/congestion.ts',
        find: 'this.cwnd = Math.max(this.cwnd / 2, 2);\n    this.ssthresh = this.cwnd;',
        replace: '',
      },
    ],
    tests: ['build/test/reliable/options-effect'],
  },
  {
    id: 'reliable-congestion-timeout-kept',
    description: 'a retransmission timeout leaves the congestion window as it is',
    edits: [
      {
        file: 'src/reliable/congestion.ts',
        find: 'this.ssthresh = Math.max(this.cwnd / 2, 2);\n    this.cwnd = 1;',
        replace: '',
      },
    ],
    tests: ['build/test/reliable/options-effect'],
  },
  {
    id: 'reliable-max-flows-ignored',
    description: 'maxFlows is not enforced',
    edits: [
      {
        file: 'src/reliable/receive-side.ts',
        find: 'if (this.#table.size >= settings.maxFlows && !this.#evictOne(now)) {',
        replace: 'if (false) {',
      },
    ],
    tests: ['build/test/reliable/options-effect'],
  },
  {
    id: 'reliable-send-buffer-unbounded',
    description: 'sendBufferLimit is not enforced',
    edits: [
      {
        file: 'src/reliable/send-buffer.ts',
        find: 'return this.bufferedBytes === 0 || this.bufferedBytes + size <= this.settings.sendBufferLimit;',
        replace: 'return true;',
      },
    ],
    tests: ['build/test/reliable/options-effect'],
  },
  {
    id: 'reliable-min-rto-ignored',
    description: 'minRto is not used: the floor of the retransmission timeout is always 10 ms',
    edits: [
      {
        file: 'src/reliable/send-flow.ts',
        find: 'new RttEstimator(settings.minRto)',
        replace: 'new RttEstimator(10)',
      },
    ],
    tests: ['build/test/reliable/options-effect'],
  },
  {
    id: 'reliable-close-timeout-ignored',
    description: 'closeTimeout is not used: close() waits its default 2 s',
    edits: [
      {
        file: 'src/reliable/reliable-socket.ts',
        find: 'options?.timeout ?? this.#settings.closeTimeout',
        replace: 'options?.timeout ?? 2000',
      },
    ],
    tests: ['build/test/reliable/options-effect'],
  },
  {
    id: 'reliable-max-flows-per-peer-ignored',
    description: 'maxFlowsPerPeer is not enforced',
    edits: [
      {
        file: 'src/reliable/receive-side.ts',
        find: '      peer.flows.size >= settings.maxFlowsPerPeer ||\n',
        replace: '',
      },
    ],
    tests: ['build/test/reliable/options-effect'],
  },
  {
    id: 'reliable-max-flows-per-address-ignored',
    description: 'maxFlowsPerAddress is not enforced',
    edits: [
      {
        file: 'src/reliable/receive-side.ts',
        find: ' ||\n      fromAddress >= settings.maxFlowsPerAddress',
        replace: '',
      },
    ],
    tests: ['build/test/reliable/options-effect', 'build/test/adversarial/reliable-many-ports'],
  },
  {
    id: 'reliable-new-flow-timeout-ignored',
    description:
      'a flow that delivered nothing is kept for the 30 s idle timeout, whatever newFlowTimeout says',
    edits: [
      {
        file: 'src/reliable/receive-side.ts',
        find: 'const unproven = flow.lastAdvance + this.settings.newFlowTimeout;',
        replace: 'const unproven = flow.lastAdvance + RECEIVE_IDLE_TIMEOUT;',
      },
    ],
    tests: ['build/test/reliable/options-effect'],
  },
  {
    id: 'reliable-unfinished-message-kept',
    description: 'a flow that delivered a message keeps an unfinished one until its idle timeout',
    edits: [
      {
        file: 'src/reliable/receive-side.ts',
        find: 'if (flow.proven && (!flow.assembling || flow.waitsForReader)) return idle;',
        replace: 'if (flow.proven) return idle;',
      },
    ],
    tests: ['build/test/reliable/options-effect', 'build/test/adversarial/reliable-reassembly'],
  },
  {
    id: 'reliable-out-of-order-unbounded',
    description: 'outOfOrderLimit is not enforced',
    edits: [
      {
        file: 'src/reliable/receive-flow.ts',
        find: 'if (budget.used + charge > budget.limit) return DataResult.OverBudget;',
        replace: '',
      },
    ],
    tests: ['build/test/reliable/options-effect'],
  },
  {
    id: 'reliable-reassembly-unbounded',
    description: 'reassemblyLimit is not enforced',
    edits: [
      {
        file: 'src/reliable/receive-flow.ts',
        find: 'this.reassembly.used + packet.payload.length + HELD_SEGMENT_OVERHEAD > this.reassembly.limit',
        replace: 'false',
      },
    ],
    tests: ['build/test/reliable/options-effect', 'build/test/adversarial/reliable-reassembly'],
  },
  {
    id: 'reliable-oversized-data-accepted',
    description: 'a DATA payload larger than fragmentSize is taken',
    edits: [
      {
        file: 'src/reliable/receive-side.ts',
        find: 'if (packet.payload.length > this.settings.fragmentSize) {',
        replace: 'if (false) {',
      },
    ],
    tests: ['build/test/reliable/options-effect'],
  },
  {
    id: 'reliable-epoch-unchecked',
    description: 'a new flow starts whatever epoch its DATA carries',
    edits: [
      {
        file: 'src/reliable/receive-side.ts',
        find: 'if (!this.#tombstones.fresh(packet.epoch)) {',
        replace: 'if (false) {',
      },
    ],
    tests: ['build/test/reliable/options-effect'],
  },
  {
    id: 'reliable-persist-timer-off',
    description: 'an ACK that advertises a zero window counts as progress (no persist timer)',
    edits: [
      {
        file: 'src/reliable/send-flow.ts',
        find: 'this.peerWindow = ack.window;',
        replace: 'this.peerWindow = ack.window;\n    this.lastProgress = now;',
      },
    ],
    tests: ['build/test/adversarial/reliable-zero-window'],
  },
  {
    id: 'reliable-receive-queue-unbounded',
    description: 'receiveQueueLimit and receiveQueueBytes are not enforced',
    edits: [
      {
        file: 'src/reliable/delivery-queue.ts',
        find: 'if (this.#queue.length >= this.limit || this.#bytes >= this.byteLimit) this.#full = true;',
        replace: '',
      },
      {
        file: 'src/reliable/delivery-queue.ts',
        find: 'if (this.#bytes + bytes <= this.byteLimit || this.#queue.length === 0) return true;',
        replace: 'return true;',
      },
    ],
    tests: [
      'build/test/reliable/receive-queue',
      'build/test/adversarial/reliable-unread-deliveries',
    ],
  },
  {
    id: 'reliable-receive-queue-last-segment-taken',
    description: 'a segment that completes a message the receive queue has no room for is taken',
    edits: [
      {
        file: 'src/reliable/receive-flow.ts',
        find: 'if (!this.room.admit(bytes)) return DataResult.QueueFull;',
        replace: 'this.room.admit(bytes);',
      },
    ],
    tests: ['build/test/reliable/receive-queue'],
  },
  {
    id: 'reliable-receive-queue-no-window-update',
    description: 'flows held back by a full receive queue are not told when it has room again',
    edits: [
      {
        file: 'src/reliable/delivery-queue.ts',
        find: 'this.#full = false;\n      this.onRoom();',
        replace: 'this.#full = false;',
      },
    ],
    tests: ['build/test/reliable/receive-queue'],
  },
  {
    id: 'reliable-ack-size-uncapped',
    description: 'every ACK carries up to 32 SACK blocks, whatever the size of what it answers',
    edits: [
      {
        file: 'src/reliable/ack-sender.ts',
        find: 'trigger === Infinity ? MAX_SACK_BLOCKS : sackBlocksAnswering(trigger)',
        replace: 'MAX_SACK_BLOCKS',
      },
    ],
    tests: ['build/test/adversarial/reliable-ack-amplification'],
  },
  {
    id: 'datagram-multicast-ttl-ignored',
    description: 'setMulticastTTL does nothing, on both datagram paths',
    edits: [
      {
        file: 'src/datagram/dgram-transport.ts',
        find: 'this.socket.setMulticastTTL(ttl);',
        replace: '',
      },
      {
        file: 'src/datagram/native-transport.ts',
        find: 'this.#binding.option(this.#handle, OPTION.multicastTTL, ttl);',
        replace: '',
      },
    ],
    tests: ['build/test/datagram/broadcast-multicast', 'build/test/datagram/options-effect'],
  },
  {
    id: 'datagram-broadcast-ignored',
    description: 'setBroadcast does nothing, on both datagram paths',
    edits: [
      {
        file: 'src/datagram/dgram-transport.ts',
        find: 'this.socket.setBroadcast(flag);',
        replace: '',
      },
      {
        file: 'src/datagram/native-transport.ts',
        find: 'this.#binding.option(this.#handle, OPTION.broadcast, flag ? 1 : 0);',
        replace: '',
      },
    ],
    tests: ['build/test/datagram/broadcast-multicast'],
  },
  {
    id: 'stream-backlog-ignored',
    description: "StreamServer.listen's backlog option is not passed to listen(2)",
    edits: [
      {
        file: 'src/stream/stream-server.ts',
        find: 'if (backlog !== undefined) netOptions.backlog = backlog;',
        replace: '',
      },
    ],
    tests: ['build/test/stream/server', 'build/test/stream/backlog'],
  },
  {
    id: 'framing-no-backpressure',
    description: 'FrameWriter.write() never reports the high-water mark',
    edits: [
      {
        file: 'src/framing/frame-writer.ts',
        find: 'return this.#inFlight + this.#end - this.#start < this.#highWaterMark;',
        replace: 'return true;',
      },
    ],
    tests: ['build/test/framing/'],
  },
  {
    id: 'framing-fail-leaves-waiters',
    description: 'FrameWriter.fail() leaves the pending sends, flushes and drains waiting',
    edits: [
      {
        file: 'src/framing/frame-writer.ts',
        find: 'for (const waiter of waiters) waiter.reject(failure);',
        replace: '',
      },
    ],
    tests: ['build/test/framing/'],
  },
  {
    id: 'framing-dispose-noop',
    description: 'a MessageStream is left open at the end of an `await using` block',
    edits: [
      {
        file: 'src/framing/message-stream.ts',
        find: '[Symbol.asyncDispose](): Promise<void> {\n    return this.close();',
        replace: '[Symbol.asyncDispose](): Promise<void> {\n    return Promise.resolve();',
      },
    ],
    tests: ['build/test/framing/'],
  },
  {
    id: 'sink-idle-timeout-ignored',
    description: 'the sink never ends on an idle time',
    edits: [
      {
        file: 'src/apps/sink.ts',
        find: 'timeout: tracker.summary().received === 0 ? undefined : idleTimeout,',
        replace: 'timeout: undefined,',
      },
    ],
    tests: ['build/test/apps/streamer-sink', 'build/test/cli/echo-stream'],
  },
  {
    id: 'echo-once-ignored',
    description: 'the echo server keeps serving after its first client although once is set',
    edits: [
      {
        file: 'src/apps/echo.ts',
        find: 'if (options.once) {',
        replace: 'if (options.once && false) {',
      },
    ],
    tests: ['build/test/apps/echo', 'build/test/cli/echo-stream'],
  },
  {
    id: 'udp-listen-hex-ignored',
    description: '`dsock udp listen --hex` prints the bytes as text',
    edits: [
      {
        file: 'src/cli/commands/udp.ts',
        find: 'if (values.hex === true) {',
        replace: 'if (false) {',
      },
    ],
    tests: ['build/test/cli/basics', 'build/test/cli/flags'],
  },
  {
    id: 'chaos-host-ignored',
    description: '`dsock chaos udp --host` listens on 127.0.0.1 whatever is asked',
    edits: [
      {
        file: 'src/cli/commands/chaos.ts',
        find: "host: stringOption(values.host) ?? '127.0.0.1'",
        replace: "host: '127.0.0.1'",
      },
    ],
    tests: ['build/test/cli/chaos', 'build/test/cli/flags'],
  },
  {
    id: 'hardening-receive-queue-bytes-ignored',
    description:
      'a datagram socket holds unreceived datagrams up to their count only, whatever their bytes',
    edits: [
      {
        file: 'src/datagram/inbox.ts',
        find: 'queue.length >= this.#limit || held > this.#byteLimit',
        replace: 'queue.length >= this.#limit',
      },
    ],
    tests: ['build/test/adversarial/datagram-receive-queue-bytes'],
  },
  {
    id: 'hardening-max-connections-ignored',
    description: 'StreamServer accepts connections beyond maxConnections',
    edits: [
      {
        file: 'src/stream/stream-server.ts',
        find: 'if (this.#open >= this.#maxConnections && !this.#closed) {',
        replace: 'if (false) {',
      },
    ],
    tests: ['build/test/adversarial/server-connections'],
  },
  {
    id: 'hardening-partial-frame-timeout-ignored',
    description: 'MessageStream waits for an incomplete frame for ever',
    edits: [
      {
        file: 'src/framing/message-receiver.ts',
        find: 'new PartialFrameWatch(partialFrameTimeout, this)',
        replace: 'new PartialFrameWatch(0, this)',
      },
    ],
    tests: ['build/test/adversarial/framing-partial-frames'],
  },
  {
    id: 'hardening-relay-delay-caps-ignored',
    description: 'the chaos relay holds any number of delayed datagrams',
    edits: [
      {
        file: 'src/chaos/delayed-deliveries.ts',
        find: 'this.#pending.size >= this.#maxDelayed ||\n      this.#pendingBytes + data.length > this.#maxDelayedBytes',
        replace: 'false',
      },
    ],
    tests: ['build/test/adversarial/relay-delay-flood'],
  },
  {
    id: 'hardening-chat-max-peers-ignored',
    description: 'the UDP chat makes every stranger a peer, without a cap',
    edits: [
      {
        file: 'src/apps/chat-peer-set.ts',
        find: 'if (!this.#named.has(key) && this.#peers.size >= this.#limits.maxPeers) {',
        replace: 'if (false) {',
      },
    ],
    tests: ['build/test/adversarial/chat-stranger-flood'],
  },
  {
    id: 'hardening-stalled-member-kept',
    description: 'a TCP chat member that does not read is never dropped',
    edits: [
      {
        file: 'src/apps/tcp-chat.ts',
        find: "this.#stallTimeout = checkChatLimit(options.stallTimeout, 5000, 'stallTimeout');",
        replace: 'this.#stallTimeout = 2 ** 31 - 1;',
      },
    ],
    tests: ['build/test/adversarial/chat-stalled-member'],
  },
  {
    id: 'hardening-terminal-escapes-off',
    description: 'text from the network reaches the terminal raw',
    edits: [
      {
        file: 'src/cli/terminal.ts',
        find: 'return text.replace(TERMINAL_CONTROLS, escapeControl);',
        replace: 'return text;',
      },
    ],
    tests: ['build/test/adversarial/chat-terminal-escapes', 'build/test/cli/udp-terminal'],
  },
  {
    id: 'hardening-signal-grace-off',
    description: 'after SIGINT or SIGTERM a command that is still busy is not made to exit',
    edits: [
      {
        file: 'src/cli/terminal.ts',
        find: 'setTimeout(() => process.exit(exitStatus), grace).unref();',
        replace: '',
      },
    ],
    tests: ['build/test/cli/termination'],
  },
  {
    id: 'stream-reads-at-once-unbounded',
    description: "recvInto's reads straight from the kernel never give the event loop a turn",
    edits: [
      {
        file: 'src/stream/kernel-read.ts',
        find: 'const READS_AT_ONCE_PER_TURN = 32;',
        replace: 'const READS_AT_ONCE_PER_TURN = Infinity;',
      },
    ],
    tests: ['build/test/stream/kernel-read'],
  },
  {
    id: 'stream-reads-at-once-not-traffic',
    description: "recvInto's reads straight from the kernel do not count for the idle timeout",
    edits: [
      {
        file: 'src/stream/kernel-read.ts',
        find: 'if (socket.timeout !== undefined && socket.timeout > 0) refreshIdleTimer(socket);',
        replace: '',
      },
    ],
    tests: ['build/test/stream/kernel-read'],
  },
  {
    id: 'stream-reads-turn-mocked',
    description:
      'the count of reads at once is reset by the global setImmediate, which tests may mock',
    edits: [
      {
        file: 'src/stream/kernel-read.ts',
        find: 'if (readsThisTurn++ === 0) afterATurn(nextTurn);',
        replace: 'if (readsThisTurn++ === 0) setImmediate(nextTurn);',
      },
    ],
    tests: ['build/test/stream/kernel-read'],
  },
  {
    id: 'stream-writes-at-once-not-traffic',
    description: "sendAll's writes straight to the kernel do not count for the idle timeout",
    edits: [
      {
        file: 'src/stream/kernel-write.ts',
        find: 'if (socket.timeout !== undefined && socket.timeout > 0) refreshIdleTimer(socket);',
        replace: '',
      },
    ],
    tests: ['build/test/stream/kernel-write'],
  },
  {
    id: 'stream-writes-at-once-past-queue',
    description: "sendAll writes a buffer straight to the kernel while Node's queue holds bytes",
    edits: [
      {
        file: 'src/stream/send-side.ts',
        find: 'if (socket.writableLength !== 0) return writeThenWait(socket, data, encoding, sink);',
        replace:
          "if (socket.writableLength !== 0 && typeof data === 'string') return writeThenWait(socket, data, encoding, sink);",
      },
    ],
    tests: ['build/test/stream/kernel-write'],
  },
  {
    id: 'stream-sends-at-once-unbounded',
    description: 'sends the kernel takes at once never give the event loop a turn',
    edits: [
      {
        file: 'src/stream/send-side.ts',
        find: 'const SENDS_AT_ONCE_BEFORE_A_TURN = 32;',
        replace: 'const SENDS_AT_ONCE_BEFORE_A_TURN = Infinity;',
      },
    ],
    tests: ['build/test/stream/kernel-write'],
  },
  {
    id: 'stream-sends-turn-mocked',
    description:
      'the turn every 32 sends at once waits for the global setImmediate, which tests may mock',
    edits: [
      {
        file: 'src/stream/send-side.ts',
        find: 'afterATurn(() => {',
        replace: 'setImmediate(() => {',
      },
    ],
    tests: ['build/test/stream/kernel-write'],
  },
  {
    id: 'reliable-ack-flush-mocked',
    description:
      "a reliable socket's acknowledgements wait for the global setImmediate, which a test may mock",
    edits: [
      {
        file: 'src/reliable/ack-sender.ts',
        find: 'this.#scheduled ??= afterATurn(this.#flush);',
        replace: 'this.#scheduled ??= setImmediate(this.#flush);',
      },
    ],
    tests: ['build/test/reliable/mocked-timers'],
  },
  {
    id: 'reliable-owning-mocked',
    description: "a reliable socket's copies of held messages wait for the global setImmediate",
    edits: [
      {
        file: 'src/reliable/delivery-queue.ts',
        find: 'this.#owning ??= afterATurn(this.#own);',
        replace: 'this.#owning ??= setImmediate(this.#own);',
      },
    ],
    tests: ['build/test/reliable/mocked-timers'],
  },
  {
    id: 'stream-writes-at-once-after-end',
    description: 'sendAll writes straight to the kernel after the stream was ended within it',
    edits: [
      {
        file: 'src/stream/kernel-write.ts',
        find: ' || socket.writableEnded) return 0;',
        replace: ') return 0;',
      },
    ],
    tests: ['build/test/stream/kernel-write'],
  },
  {
    id: 'stream-writes-at-once-never',
    description: "sendAll never writes straight to the kernel: every send is Node's write",
    edits: [
      {
        file: 'src/stream/kernel-write.ts',
        find: 'if (fd < 0) return 0;',
        replace: 'if (fd >= -1) return 0;',
      },
    ],
    tests: ['build/test/stream/kernel-write'],
  },
  {
    id: 'stream-writes-at-once-corked',
    description: 'sendAll writes straight to the kernel while Node holds corked bytes',
    edits: [
      {
        file: 'src/stream/kernel-write.ts',
        find: 'socket.writableCorked !== 0 || ',
        replace: '',
      },
    ],
    tests: ['build/test/stream/kernel-write'],
  },
  {
    id: 'stream-writes-at-once-rest-shifted',
    description: 'what the kernel did not take of a send goes on one byte late',
    edits: [
      {
        file: 'src/stream/send-side.ts',
        find: 'if (taken > 0) rest = data.subarray(taken);',
        replace: 'if (taken > 0) rest = data.subarray(taken + 1);',
      },
    ],
    tests: ['build/test/stream/kernel-write'],
  },
  {
    id: 'stream-for-each-unbounded',
    description: 'a busy forEachChunk handler does not stop the socket reading past its limit',
    edits: [
      {
        file: 'src/stream/receive-buffer.ts',
        find: '(!ReceiveBuffer.#waiting(self) || (self.#states & CONSUMER_BUSY) !== 0) &&',
        replace: '!ReceiveBuffer.#waiting(self) &&',
      },
    ],
    tests: ['build/test/stream/for-each-chunk'],
  },
];
