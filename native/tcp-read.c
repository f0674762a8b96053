/*
 * Reading a TCP connection straight into memory the caller owns (StreamSocket.recvInto), for
 * bulk streams: one recv into the caller's buffer, where Node's own read goes into a buffer of
 * its own that JavaScript then copies out of, one JavaScript callback per read.
 *
 * The read never blocks (MSG_DONTWAIT) and takes only what the kernel already holds; when it
 * holds nothing the caller waits the ordinary way, through libuv, which watches the same
 * descriptor. Both read on the loop's thread, one after the other, so bytes come in order.
 */
#include <errno.h>
#include <limits.h>
#include "dsock.h"

/*
 * tcpReadInto(fd, target): reads up to target.length bytes of the connection `fd` into the
 * Uint8Array `target`. Returns the count read (> 0); 0 when nothing is there now (the kernel's
 * queue is empty, or the stream has ended: libuv's next read reports the end, as it would
 * have); or a negative libuv error code (-errno), the connection's error, which this read took.
 */
static napi_value tcp_read_into(napi_env env, napi_callback_info info) {
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
    dsock_throw_type(env, "tcpReadInto(fd, target) expects a descriptor and a Uint8Array");
    return NULL;
  }
  /* The count goes back as an int32: a larger buffer is filled one int32's worth at a time. */
  if (length > INT_MAX) length = INT_MAX;
  ssize_t n = 0;
  if (length > 0 && data != NULL) {
    do {
      n = recv(fd, data, length, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0) n = (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
  }
  napi_value result;
  napi_create_int32(env, (int32_t)n, &result);
  return result;
}

void dsock_register_tcp_read(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"tcpReadInto", NULL, tcp_read_into, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  dsock_check(env, napi_define_properties(env, exports,
                                          sizeof properties / sizeof properties[0], properties));
}
