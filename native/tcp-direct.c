/*
 * Reading and writing a TCP connection straight between the kernel and memory the caller owns,
 * for bulk streams: StreamSocket.recvInto reads with one recv into the caller's buffer, where
 * Node's own read goes into a buffer of its own that JavaScript then copies out of; sendAll
 * writes with one send from the caller's buffer, where Node's own write goes through its stream
 * machinery (a write request, its tracking, a queued tick) for each call.
 *
 * Neither call ever blocks (MSG_DONTWAIT): each takes what the kernel holds, or hands it what
 * it takes, now. Otherwise the caller goes the ordinary way, through libuv, which watches the
 * same descriptor: a read waits for Node's read; the rest of a write is written by Node after
 * these bytes. Both run on the loop's thread, one after the other, so bytes keep their order.
 */
#include <errno.h>
#include <limits.h>
#include "dsock.h"

/*
 * The two arguments of both calls, (fd, bytes): the descriptor and the memory of a Uint8Array,
 * its length capped at INT_MAX because the count goes back as an int32 (a larger buffer is
 * filled, or sent, one int32's worth at a time). Throws a TypeError naming `usage` and returns
 * false for anything else.
 */
static bool descriptor_and_bytes(napi_env env, napi_callback_info info, const char *usage,
                                 int32_t *fd, void **data, size_t *length) {
  size_t argc = 2;
  napi_value argv[2];
  napi_typedarray_type type;
  bool is_typed = false;
  *fd = -1;
  *data = NULL;
  *length = 0;
  if (!dsock_check(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL))) return false;
  if (argc < 2) {
    dsock_throw_type(env, "missing arguments");
    return false;
  }
  if (!dsock_check(env, napi_get_value_int32(env, argv[0], fd))) return false;
  napi_is_typedarray(env, argv[1], &is_typed);
  if (!is_typed || *fd < 0 ||
      napi_get_typedarray_info(env, argv[1], &type, length, data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    dsock_throw_type(env, usage);
    return false;
  }
  if (*length > INT_MAX) *length = INT_MAX;
  return true;
}

/* A count, or a negative libuv error code, back to JavaScript. */
static napi_value count_result(napi_env env, ssize_t n) {
  napi_value result;
  napi_create_int32(env, (int32_t)n, &result);
  return result;
}

/*
 * tcpReadInto(fd, target): reads up to target.length bytes of the connection `fd` into the
 * Uint8Array `target`. Returns the count read (> 0); 0 when nothing is there now (the kernel's
 * queue is empty, or the stream has ended: libuv's next read reports the end, as it would
 * have); or a negative libuv error code (-errno), the connection's error, which this read took.
 */
static napi_value tcp_read_into(napi_env env, napi_callback_info info) {
  int32_t fd;
  void *data;
  size_t length;
  if (!descriptor_and_bytes(env, info,
                            "tcpReadInto(fd, target) expects a descriptor and a Uint8Array", &fd,
                            &data, &length)) {
    return NULL;
  }
  ssize_t n = 0;
  if (length > 0 && data != NULL) {
    do {
      n = recv(fd, data, length, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0) n = (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
  }
  return count_result(env, n);
}

/*
 * tcpWriteFrom(fd, source): sends up to source.length bytes of the Uint8Array `source` on the
 * connection `fd`, never raising SIGPIPE (MSG_NOSIGNAL). Returns the count the kernel took
 * (>= 0; 0 when its send buffer is full); or a negative libuv error code (-errno), the
 * connection's error.
 */
static napi_value tcp_write_from(napi_env env, napi_callback_info info) {
  int32_t fd;
  void *data;
  size_t length;
  if (!descriptor_and_bytes(env, info,
                            "tcpWriteFrom(fd, source) expects a descriptor and a Uint8Array", &fd,
                            &data, &length)) {
    return NULL;
  }
  ssize_t n = 0;
  if (length > 0 && data != NULL) {
    do {
      n = send(fd, data, length, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) n = (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
  }
  return count_result(env, n);
}

void dsock_register_tcp_direct(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"tcpReadInto", NULL, tcp_read_into, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tcpWriteFrom", NULL, tcp_write_from, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  dsock_check(env, napi_define_properties(env, exports,
                                          sizeof properties / sizeof properties[0], properties));
}
