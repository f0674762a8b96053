/*
 * The life of a native UDP socket and its control calls: open, bind, connect, disconnect,
 * addresses, socket options, close. Each is the libuv call Node's dgram makes for the same
 * operation, so the system behaves, and fails, as it does for node:dgram.
 */
#include <stdlib.h>
#include <string.h>
#include "dsock.h"


static void release_js(dsock_udp *sock) {
  napi_env env = sock->env;
  napi_ref *refs[] = {&sock->owner, &sock->on_batch, &sock->on_error, &sock->on_sent};
  for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
    if (*refs[i] != NULL) napi_delete_reference(env, *refs[i]);
    *refs[i] = NULL;
  }
  if (sock->async_context != NULL) napi_async_destroy(env, sock->async_context);
  sock->async_context = NULL;
}

/* Calls `fn` on the owner, as Node calls an event handler: in the socket's async context,
 * with the microtasks and next-tick callbacks run afterwards. The caller holds a handle scope. */
void dsock_call(dsock_udp *sock, napi_ref fn, size_t argc, napi_value *argv) {
  if (sock->tearing_down || fn == NULL || sock->owner == NULL) return;
  napi_env env = sock->env;
  napi_value owner, function, result;
  if (napi_get_reference_value(env, sock->owner, &owner) != napi_ok || owner == NULL) return;
  if (napi_get_reference_value(env, fn, &function) != napi_ok || function == NULL) return;
  if (napi_make_callback(env, sock->async_context, owner, function, argc, argv, &result) !=
      napi_ok) {
    dsock_report_exception(env);
  }
}

static void on_closed(uv_handle_t *handle) {
  dsock_udp *sock = handle->data;
  release_js(sock);
  if (sock->cleanup != NULL) {
    napi_async_cleanup_hook_handle cleanup = sock->cleanup;
    sock->cleanup = NULL;
    napi_remove_async_cleanup_hook(cleanup);
  }
  if (sock->box != NULL) sock->box->sock = NULL;
  sock->instance->live_sockets--;
  free(sock);
}

static void start_close(dsock_udp *sock) {
  if (sock->closing) return;
  sock->closing = 1;
  uv_udp_recv_stop(&sock->handle);
  uv_close((uv_handle_t *)&sock->handle, on_closed);
}

/* A worker thread ending with the socket open: close it without calling into JavaScript;
 * Node waits for the close to finish before it tears down the loop. */
static void on_env_cleanup(napi_async_cleanup_hook_handle handle, void *data) {
  dsock_udp *sock = data;
  sock->tearing_down = 1;
  start_close(sock);
}

static void on_finalize(napi_env env, void *data, void *hint) {
  dsock_box *box = data;
  if (box->sock != NULL) box->sock->box = NULL;
  free(box);
}

/* The socket of a handle; NULL, with an error thrown, when it is closed and freed. */
dsock_udp *dsock_unwrap(napi_env env, napi_value value) {
  dsock_box *box = NULL;
  if (napi_get_value_external(env, value, (void **)&box) != napi_ok || box == NULL) {
    dsock_throw_type(env, "expected a native socket handle");
    return NULL;
  }
  if (box->sock == NULL) {
    dsock_throw_uv(env, UV_EBADF, "socket");
    return NULL;
  }
  return box->sock;
}

/* The open handle of a call's first argument, or NULL with a closed-socket error thrown. */
static dsock_udp *open_socket(napi_env env, napi_value value, const char *syscall) {
  dsock_udp *sock = dsock_unwrap(env, value);
  if (sock == NULL) return NULL;
  if (sock->closing) {
    dsock_throw_uv(env, UV_EBADF, syscall);
    return NULL;
  }
  return sock;
}

/* open(owner, family, onBatch, onError, onSent): a UDP socket, not yet bound. */
static napi_value udp_open(napi_env env, napi_callback_info info) {
  ARGS(5);
  dsock_instance *instance = NULL;
  napi_get_instance_data(env, (void **)&instance);
  int32_t family = 0;
  napi_get_value_int32(env, argv[1], &family);
  if (instance == NULL || instance->recv_meta == NULL) {
    napi_throw_error(env, "ERR_DSOCK_NATIVE", "dsock native: init() was not called");
    return NULL;
  }
  dsock_udp *sock = calloc(1, sizeof *sock);
  dsock_box *box = calloc(1, sizeof *box);
  if (sock == NULL || box == NULL) {
    free(sock);
    free(box);
    dsock_throw_uv(env, UV_ENOMEM, "socket");
    return NULL;
  }
  sock->env = env;
  sock->instance = instance;
  sock->family = family == 6 ? AF_INET6 : AF_INET;
  sock->recv_slots = 1;
  int err = uv_udp_init_ex(instance->loop, &sock->handle, sock->family | UV_UDP_RECVMMSG);
  if (err < 0) {
    free(sock);
    free(box);
    dsock_throw_uv(env, err, "socket");
    return NULL;
  }
  sock->handle.data = sock;
  instance->live_sockets++;
  napi_value name, external;
  napi_create_string_utf8(env, "dsock:DatagramSocket", NAPI_AUTO_LENGTH, &name);
  napi_ref *refs[] = {&sock->owner, &sock->on_batch, &sock->on_error, &sock->on_sent};
  napi_value values[] = {argv[0], argv[2], argv[3], argv[4]};
  int ok = 1;
  for (size_t i = 0; i < 4 && ok; i++) {
    ok = napi_create_reference(env, values[i], 1, refs[i]) == napi_ok;
  }
  ok = ok && napi_async_init(env, argv[0], name, &sock->async_context) == napi_ok;
  ok = ok && napi_add_async_cleanup_hook(env, on_env_cleanup, sock, &sock->cleanup) == napi_ok;
  ok = ok && napi_create_external(env, box, on_finalize, NULL, &external) == napi_ok;
  if (ok) {
    box->sock = sock;
    sock->box = box;
  } else {
    free(box);
    sock->tearing_down = 1;
    start_close(sock);
    dsock_check(env, napi_generic_failure);
    return NULL;
  }
  return external;
}

/* Parses an address literal of the socket's family, as Node does before each libuv call. */
static int to_sockaddr(napi_env env, dsock_udp *sock, napi_value host, int32_t port,
                       struct sockaddr_storage *out) {
  char text[DSOCK_ADDRESS_INPUT];
  size_t length = 0;
  if (napi_get_value_string_utf8(env, host, text, sizeof text, &length) != napi_ok) {
    return UV_EINVAL;
  }
  if (length >= DSOCK_ADDRESS_TEXT) return UV_EINVAL;
  if (sock->family == AF_INET6) return uv_ip6_addr(text, port, (struct sockaddr_in6 *)out);
  return uv_ip4_addr(text, port, (struct sockaddr_in *)out);
}

int dsock_parse_host(napi_env env, dsock_udp *sock, napi_value host, int32_t port,
                     struct sockaddr_storage *out) {
  return to_sockaddr(env, sock, host, port, out);
}

/* bind(handle, host, port, flags): flags are libuv's UV_UDP_REUSEADDR and UV_UDP_IPV6ONLY. */
static napi_value udp_bind(napi_env env, napi_callback_info info) {
  ARGS(4);
  dsock_udp *sock = open_socket(env, argv[0], "bind");
  if (sock == NULL) return NULL;
  int32_t port = 0, flags = 0;
  napi_get_value_int32(env, argv[2], &port);
  napi_get_value_int32(env, argv[3], &flags);
  struct sockaddr_storage addr;
  int err = to_sockaddr(env, sock, argv[1], port, &addr);
  if (err == 0) err = uv_udp_bind(&sock->handle, (struct sockaddr *)&addr, (unsigned)flags);
  if (err < 0) dsock_throw_uv(env, err, "bind");
  return NULL;
}

/* connect(handle, host, port) */
static napi_value udp_connect(napi_env env, napi_callback_info info) {
  ARGS(3);
  dsock_udp *sock = open_socket(env, argv[0], "connect");
  if (sock == NULL) return NULL;
  int32_t port = 0;
  napi_get_value_int32(env, argv[2], &port);
  struct sockaddr_storage addr;
  int err = to_sockaddr(env, sock, argv[1], port, &addr);
  if (err == 0) err = uv_udp_connect(&sock->handle, (struct sockaddr *)&addr);
  if (err < 0) dsock_throw_uv(env, err, "connect");
  return NULL;
}

static napi_value udp_disconnect(napi_env env, napi_callback_info info) {
  ARGS(1);
  dsock_udp *sock = open_socket(env, argv[0], "connect");
  if (sock == NULL) return NULL;
  int err = uv_udp_connect(&sock->handle, NULL);
  if (err < 0) dsock_throw_uv(env, err, "connect");
  return NULL;
}

/* name(handle, peer): [address, port] of the local end, or of the peer when `peer` is true. */
static napi_value udp_name(napi_env env, napi_callback_info info) {
  ARGS(2);
  bool peer = false;
  napi_get_value_bool(env, argv[1], &peer);
  const char *syscall = peer ? "getpeername" : "getsockname";
  dsock_udp *sock = open_socket(env, argv[0], syscall);
  if (sock == NULL) return NULL;
  struct sockaddr_storage addr;
  int size = sizeof addr;
  int err = peer ? uv_udp_getpeername(&sock->handle, (struct sockaddr *)&addr, &size)
                 : uv_udp_getsockname(&sock->handle, (struct sockaddr *)&addr, &size);
  char text[DSOCK_ADDRESS_TEXT];
  int port = 0;
  if (err == 0) err = dsock_format_address((struct sockaddr *)&addr, text, sizeof text, &port);
  if (err < 0) {
    dsock_throw_uv(env, err, syscall);
    return NULL;
  }
  napi_value result, address, port_value;
  napi_create_array_with_length(env, 2, &result);
  napi_create_string_latin1(env, text, NAPI_AUTO_LENGTH, &address);
  napi_create_int32(env, port, &port_value);
  napi_set_element(env, result, 0, address);
  napi_set_element(env, result, 1, port_value);
  return result;
}

enum { OPT_BROADCAST, OPT_TTL, OPT_MULTICAST_TTL, OPT_MULTICAST_LOOP };

/* option(handle, which, value): the integer and boolean socket options. */
static napi_value udp_option(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t which = -1, value = 0;
  napi_get_value_int32(env, argv[1], &which);
  napi_get_value_int32(env, argv[2], &value);
  static const char *names[] = {"setBroadcast", "setTTL", "setMulticastTTL",
                                "setMulticastLoopback"};
  if (which < 0 || which > OPT_MULTICAST_LOOP) {
    dsock_throw_type(env, "unknown socket option");
    return NULL;
  }
  dsock_udp *sock = open_socket(env, argv[0], names[which]);
  if (sock == NULL) return NULL;
  int err;
  switch (which) {
    case OPT_BROADCAST: err = uv_udp_set_broadcast(&sock->handle, value); break;
    case OPT_TTL: err = uv_udp_set_ttl(&sock->handle, value); break;
    case OPT_MULTICAST_TTL: err = uv_udp_set_multicast_ttl(&sock->handle, value); break;
    default: err = uv_udp_set_multicast_loop(&sock->handle, value); break;
  }
  if (err < 0) dsock_throw_uv(env, err, names[which]);
  return NULL;
}

/* Reads an optional string argument into `out`; returns 0 for undefined, -1 when invalid. */
static int optional_string(napi_env env, napi_value value, char *out, size_t size) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  if (type == napi_undefined || type == napi_null) return 0;
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, out, size, &length) != napi_ok) return -1;
  return length >= size - 1 ? -1 : 1;
}

static napi_value udp_multicast_interface(napi_env env, napi_callback_info info) {
  ARGS(2);
  dsock_udp *sock = open_socket(env, argv[0], "setMulticastInterface");
  if (sock == NULL) return NULL;
  char iface[DSOCK_ADDRESS_INPUT];
  int err = optional_string(env, argv[1], iface, sizeof iface) == 1
                ? uv_udp_set_multicast_interface(&sock->handle, iface)
                : UV_EINVAL;
  if (err < 0) dsock_throw_uv(env, err, "setMulticastInterface");
  return NULL;
}

/* membership(handle, group, iface | undefined, join) */
static napi_value udp_membership(napi_env env, napi_callback_info info) {
  ARGS(4);
  bool join = false;
  napi_get_value_bool(env, argv[3], &join);
  const char *syscall = join ? "addMembership" : "dropMembership";
  dsock_udp *sock = open_socket(env, argv[0], syscall);
  if (sock == NULL) return NULL;
  char group[DSOCK_ADDRESS_INPUT];
  char iface[DSOCK_ADDRESS_INPUT];
  int has_group = optional_string(env, argv[1], group, sizeof group);
  int has_iface = optional_string(env, argv[2], iface, sizeof iface);
  int err = has_group != 1 || has_iface < 0
                ? UV_EINVAL
                : uv_udp_set_membership(&sock->handle, group, has_iface ? iface : NULL,
                                        join ? UV_JOIN_GROUP : UV_LEAVE_GROUP);
  if (err < 0) dsock_throw_uv(env, err, syscall);
  return NULL;
}

/* bufferSize(handle, send, size): sets SO_SNDBUF/SO_RCVBUF when size > 0; returns the value. */
static napi_value udp_buffer_size(napi_env env, napi_callback_info info) {
  ARGS(3);
  bool send = false;
  int32_t size = 0;
  napi_get_value_bool(env, argv[1], &send);
  napi_get_value_int32(env, argv[2], &size);
  const char *syscall = send ? "uv_send_buffer_size" : "uv_recv_buffer_size";
  dsock_udp *sock = open_socket(env, argv[0], syscall);
  if (sock == NULL) return NULL;
  int value = size;
  int err = send ? uv_send_buffer_size((uv_handle_t *)&sock->handle, &value)
                 : uv_recv_buffer_size((uv_handle_t *)&sock->handle, &value);
  if (err < 0) {
    dsock_throw_uv(env, err, syscall);
    return NULL;
  }
  napi_value result;
  napi_create_int32(env, value, &result);
  return result;
}

/* close(handle): stops receiving and closes the descriptor at once, as node:dgram does;
 * libuv then calls back every queued send (ECANCELED if it had not gone out) and frees the
 * handle on a later turn of the loop. */
static napi_value udp_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  dsock_box *box = NULL;
  napi_get_value_external(env, argv[0], (void **)&box);
  if (box != NULL && box->sock != NULL) start_close(box->sock);
  return NULL;
}

/* liveSockets(): sockets of this thread opened and not yet freed (closing ones included). */
static napi_value live_sockets(napi_env env, napi_callback_info info) {
  dsock_instance *instance = NULL;
  napi_get_instance_data(env, (void **)&instance);
  napi_value result;
  napi_create_int64(env, instance == NULL ? 0 : instance->live_sockets, &result);
  return result;
}

void dsock_register_control(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"open", NULL, udp_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"bind", NULL, udp_bind, NULL, NULL, NULL, napi_enumerable, NULL},
      {"connect", NULL, udp_connect, NULL, NULL, NULL, napi_enumerable, NULL},
      {"disconnect", NULL, udp_disconnect, NULL, NULL, NULL, napi_enumerable, NULL},
      {"name", NULL, udp_name, NULL, NULL, NULL, napi_enumerable, NULL},
      {"option", NULL, udp_option, NULL, NULL, NULL, napi_enumerable, NULL},
      {"multicastInterface", NULL, udp_multicast_interface, NULL, NULL, NULL, napi_enumerable,
       NULL},
      {"membership", NULL, udp_membership, NULL, NULL, NULL, napi_enumerable, NULL},
      {"bufferSize", NULL, udp_buffer_size, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, udp_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"liveSockets", NULL, live_sockets, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
}
