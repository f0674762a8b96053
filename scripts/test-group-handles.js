// What keeps a group process of scripts/test-group.js alive, for its `stuck` marker: each open
// handle (a server, a socket, a pipe, a child process) named with what tells it apart (its
// addresses, the command line of the child a pipe belongs to), and the file during which it was
// opened, by identity rather than by kind: many files open and close sockets and pipes, and only
// the one whose handle is still open kept the process.
import { channel } from 'node:diagnostics_channel';

/** Kinds of getActiveResourcesInfo() that process._getActiveHandles() lists as objects. */
const HANDLE_KINDS = new Set([
  'TCPServerWrap',
  'TCPSocketWrap',
  'TCPWrap',
  'PipeServerWrap',
  'PipeWrap',
  'ProcessWrap',
  'UDPWrap',
  'TTYWrap',
  'FSEventWrap',
  'StatWatcher',
  'SignalWrap',
]);

/** The children started in this process, so that a pipe can be named by its child. */
const children = new Set();
channel('child_process').subscribe(({ process: child }) => children.add(new WeakRef(child)));

/** The handles keeping the event loop alive now. */
export function activeHandles() {
  return process._getActiveHandles();
}

/** How many active resources of each kind there are now that are not handles (timers, ...). */
export function otherResources() {
  const counts = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (!HANDLE_KINDS.has(kind)) counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

const STDIO = ['stdin', 'stdout', 'stderr'];

function commandOf(child) {
  const line = (child.spawnargs ?? []).join(' ');
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

/** The child whose stdio `stream` is, and which of its streams it is. */
function stdioOf(stream) {
  for (const ref of children) {
    const child = ref.deref();
    if (child === undefined) {
      children.delete(ref);
      continue;
    }
    const at = (child.stdio ?? []).indexOf(stream);
    if (at >= 0) return { child, name: STDIO[at] ?? `fd ${at}` };
  }
  return undefined;
}

function endpoint(host, port) {
  if (host === undefined) return '?';
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A line naming `handle` (an entry of process._getActiveHandles()). */
export function describeHandle(handle) {
  const kind = handle?.constructor?.name ?? typeof handle;
  const wrap = handle?._handle?.constructor?.name;
  try {
    if (kind === 'ChildProcess') return `child process ${handle.pid} (${commandOf(handle)})`;
    if (kind === 'Server' && typeof handle.address === 'function') {
      const address = handle.address();
      if (address !== null && typeof address === 'object')
        return `TCP server on ${endpoint(address.address, address.port)}`;
      return `server on ${address}`;
    }
    if (kind === 'Socket' && wrap === 'Pipe') {
      const stdio = stdioOf(handle);
      if (stdio !== undefined)
        return `${stdio.name} pipe of child process ${stdio.child.pid} (${commandOf(stdio.child)})`;
      return `pipe (fd ${handle._handle.fd})`;
    }
    if (kind === 'Socket' && wrap === 'TCP') {
      const local = endpoint(handle.localAddress, handle.localPort);
      if (handle.remoteAddress === undefined) return `TCP socket ${local}, not connected`;
      return `TCP connection ${local} -> ${endpoint(handle.remoteAddress, handle.remotePort)}`;
    }
    if (kind === 'Socket' && typeof handle.address === 'function') {
      const address = handle.address();
      return `UDP socket on ${endpoint(address.address, address.port)}`;
    }
  } catch {
    // A handle half closed: its kind is all there is to say.
  }
  return wrap === undefined ? kind : `${kind} (${wrap})`;
}
