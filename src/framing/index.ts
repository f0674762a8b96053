export type { FramingOptions, LengthPrefix } from './length-prefix.js';
export { DEFAULT_MAX_MESSAGE_SIZE, MAX_VARINT_BYTES, PREFIX_LIMITS } from './length-prefix.js';
export { encodeFrame } from './encode-frame.js';
export { FrameDecoder } from './frame-decoder.js';
export { FrameWriter } from './frame-writer.js';
export type { ByteSink, FrameWriterOptions, WriteCallback } from './frame-writer.js';
export { MessageStream } from './message-stream.js';
export { DEFAULT_PARTIAL_FRAME_TIMEOUT } from './message-stream.js';
export type { MessageConnection, MessageStreamOptions } from './message-stream.js';
