// The layer order of src/, checked by `npm run lint` (see docs/architecture.md). A layer imports
// only the layers below it, never one above or beside it, and no file or folder takes part in a
// cycle. Type-only imports count: a cycle through types is still a cycle a reader has to untangle.
//
//   0  src/errors.ts                      imports nothing of dsock
//   1  src/endpoint                       addresses, parsing and formatting
//   2  src/internal                       helpers shared by the layers above (validation, deadlines)
//   3  src/datagram, src/stream, src/psk  the socket layers and datagram sealing, side by side
//   4  src/framing, src/reliable, src/chaos, src/discovery, src/trace
//                                         protocols on the sockets, side by side
//   5  src/rpc                            remote calls, on framed streams
//   6  src/apps                           the programs the CLI runs, as library code
//   7  src/cli                            argument parsing and terminal I/O
//   src/index.ts                          the public surface; nothing imports it
const layers = [
  ['^src/errors\\.ts$'],
  ['^src/endpoint/'],
  ['^src/internal/'],
  ['^src/datagram/', '^src/stream/', '^src/psk/'],
  ['^src/framing/', '^src/reliable/', '^src/chaos/', '^src/discovery/', '^src/trace/'],
  ['^src/rpc/'],
  ['^src/apps/'],
  ['^src/cli/'],
];

const folderOf = (pattern) => pattern.replace('^src/', '').replace(/\/$|\\\.ts\$$/, '');

/** For every path in layer n: no import of a path in a layer above n or beside it in layer n. */
const layerRules = layers.flatMap((layer, rank) =>
  layer.map((from) => {
    const above = layers.slice(rank + 1).flat();
    const beside = layer.filter((other) => other !== from);
    const forbidden = [...above, ...beside, '^src/index\\.ts$'];
    return {
      name: `layer-${folderOf(from)}`,
      comment:
        `${folderOf(from)} (layer ${rank}) may import only the layers below it; ` +
        'see the layer order in .dependency-cruiser.js and docs/architecture.md',
      severity: 'error',
      from: { path: from },
      to: { path: forbidden },
    };
  }),
);

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'files that import each other, directly or through others (types included)',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-circular-folders',
      comment: 'folders that import each other, directly or through others',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      comment: 'an import that does not resolve to a file or a package',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.build.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'types', 'node', 'default'],
      extensions: ['.ts', '.js'],
    },
  },
};
