/*
 * Writing to a TCP connection straight from the caller's memory (StreamSocket.sendAll), when
 * nothing is queued in Node before it: one send that hands the kernel what it takes now, where
 * Node's own write goes through its stream machinery (a write request, its tracking, a queued
 * tick) for each call, a cost of the same order as the kernel's copy for a 64 KiB write.
 *
 * The send never blocks (MSG_DONTWAIT) and never raises SIGPIPE (MSG_NOSIGNAL); what the kernel
 * does not take now is handed to Node's write by the caller, after these bytes, so order holds.
 */
#include <errno.h>
#include <limits.h>
#include "dsock.h"

/*
 * tcpWriteFrom(fd, source): sends up to source.length bytes of the Uint8Array `source` on the
 * connection `fd`. Returns the count the kernel took (>= 0; 0 when its send buffer is full);
 * or a negative libuv error code (-errno), the connection's error.
 */
static napi_value tcp_write_from(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd = -1;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (!dsock_check(env, napi_get_value_int32(env, argv[0], &fd))) return NULL;
  bool is_typed = false;
  napi_is_typedarray(env, argv[1], &is_typed);
  if (!is_typed || fd < 0 ||
      napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    dsock_throw_type(env, "tcpWriteFrom(fd, source) expects a descriptor and a Uint8Array");
    return NULL;
  }
  /* The count goes back as an int32: the caller writes the rest of a larger source itself. */
  if (length > INT_MAX) length = INT_MAX;
  ssize_t n = 0;
  if (length > 0 && data != NULL) {
    do {
      n = send(fd, data, length, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) n = (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
  }
  napi_value result;
  napi_create_int32(env, (int32_t)n, &result);
  return result;
}

void dsock_register_tcp_write(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"tcpWriteFrom", NULL, tcp_write_from, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  dsock_check(env, napi_define_properties(env, exports,
                                          sizeof properties / sizeof properties[0], properties));
}
