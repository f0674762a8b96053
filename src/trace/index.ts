export { DEFAULT_TRACE_MAX_BYTES, TraceRecorder, type TraceRecorderOptions } from './recorder.js';
export { DEFAULT_TRACE_READ_MAX_BYTES, readTrace, type ReadTraceOptions } from './reader.js';
export {
  type DiagramArrow,
  type DiagramNote,
  type DiagramRow,
  type Lifeline,
  type SpaceTimeDiagram,
} from './diagram.js';
export { mergeTraces } from './merge.js';
export { renderHtml } from './render-html.js';
export { renderMermaid } from './render-mermaid.js';
export { renderSvg } from './render-svg.js';
export { renderText } from './render-text.js';
export { subscribeTrace, traceChannelNames, type SubscribeTraceOptions } from './subscribe.js';
export { TRACE_FORMAT_VERSION, type TraceEvent, type TraceProcess } from './trace-event.js';
