/**
 * Datagrams whose bytes say which one they are: datagram i of n bytes holds i in its first
 * four bytes (when it has four) and i's low byte in the rest, so that a datagram cut, merged
 * with its neighbour or delivered out of order never compares equal to the one expected.
 */
export function numberedDatagrams(sizes: readonly number[]): Buffer[] {
  return sizes.map((size, i) => {
    const datagram = Buffer.alloc(size, i & 0xff);
    if (size >= 4) datagram.writeUInt32BE(i);
    return datagram;
  });
}
