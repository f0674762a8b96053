/*
 * Receiving: libuv reads up to DSOCK_RECV_BATCH datagrams with one recvmmsg and hands them
 * over one chunk callback at a time, then a "free" callback. The chunks are noted, and at the
 * free callback the whole batch goes to JavaScript in ONE call: the payloads copied into a few
 * Buffers, and per datagram its length, port, sender and place in the shared Int32Array.
 */
#include <stdlib.h>
#include <string.h>
#include "dsock.h"

/* Formats `addr` as Node does: IPv6 link-local addresses carry their interface as scope. */
int dsock_format_address(const struct sockaddr *addr, char *out, size_t size, int *port) {
  if (addr->sa_family == AF_INET6) {
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)addr;
    int err = uv_ip6_name(a6, out, size);
    if (err < 0) return err;
    if (IN6_IS_ADDR_LINKLOCAL(&a6->sin6_addr) && a6->sin6_scope_id > 0) {
      size_t length = strlen(out);
      size_t rest = size - length - 1;
      if (rest > 1) {
        out[length] = '%';
        /* Without an interface name for the index, the index itself, as Node prints it. */
        if (uv_if_indextoiid(a6->sin6_scope_id, out + length + 1, &rest) != 0) {
          snprintf(out + length + 1, size - length - 1, "%u", (unsigned)a6->sin6_scope_id);
        }
      }
    }
    *port = ntohs(a6->sin6_port);
    return 0;
  }
  if (addr->sa_family == AF_INET) {
    const struct sockaddr_in *a4 = (const struct sockaddr_in *)addr;
    *port = ntohs(a4->sin_port);
    return uv_ip4_name(a4, out, size);
  }
  return UV_EAFNOSUPPORT;
}

static int same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family) return 0;
  if (a->ss_family == AF_INET) {
    return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
           ((const struct sockaddr_in *)b)->sin_addr.s_addr;
  }
  const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a;
  const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)b;
  return a6->sin6_scope_id == b6->sin6_scope_id &&
         memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof a6->sin6_addr) == 0;
}

static int port_of(const struct sockaddr_storage *addr) {
  return addr->ss_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)addr)->sin6_port)
                                     : ntohs(((const struct sockaddr_in *)addr)->sin_port);
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
  dsock_udp *sock = handle->data;
  dsock_instance *instance = sock->instance;
  buf->base = instance->recv_buffer;
  buf->len = instance->recv_buffer == NULL ? 0 : (size_t)sock->recv_slots * DSOCK_RECV_SLOT;
}

/*
 * Hands the noted batch to JavaScript: onBatch(count, buffers, names), where `buffers` is the
 * one Buffer itself when the batch needs only one (a datagram that came alone, say), else an
 * array of them. For datagram i,
 * meta[i*5 ..] holds its length, port, sender (0: the same as the datagram before, else
 * 1 + its index in `names`), buffer index, and offset in that buffer (-1: the whole buffer).
 */
static void deliver(dsock_udp *sock) {
  dsock_instance *instance = sock->instance;
  unsigned count = instance->chunk_count;
  instance->chunk_count = 0;
  if (count == 0 || sock->closing || sock->tearing_down) return;
  napi_env env = sock->env;
  int32_t *meta = instance->recv_meta;
  dsock_chunk *chunks = instance->chunks;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;

  /* First pass: place each datagram; small ones share buffers of up to DSOCK_PACK_SIZE. */
  uint32_t sizes[DSOCK_RECV_BATCH];
  unsigned buffers = 0;
  int packing = -1;
  for (unsigned i = 0; i < count; i++) {
    int32_t length = chunks[i].length;
    int32_t *m = meta + i * DSOCK_RECV_FIELDS;
    m[0] = length;
    m[1] = port_of(&chunks[i].from);
    if (length > DSOCK_PACK_MAX) {
      sizes[buffers] = (uint32_t)length;
      m[3] = (int32_t)buffers++;
      m[4] = -1;
      continue;
    }
    if (packing < 0 || sizes[packing] + (uint32_t)length > DSOCK_PACK_SIZE) {
      packing = (int)buffers;
      sizes[buffers++] = 0;
    }
    m[3] = packing;
    m[4] = (int32_t)sizes[packing];
    sizes[packing] += (uint32_t)length;
  }

  /* Second pass: make the buffers, copy the payloads, name the senders that changed. */
  napi_value list = NULL, names, args[3];
  napi_get_undefined(env, &names);
  if (buffers > 1) napi_create_array_with_length(env, buffers, &list);
  char *data[DSOCK_RECV_BATCH];
  for (unsigned b = 0; b < buffers; b++) {
    napi_value buffer;
    if (napi_create_buffer(env, sizes[b], (void **)&data[b], &buffer) != napi_ok) {
      dsock_report_exception(env);
      napi_close_handle_scope(env, scope);
      return;
    }
    if (buffers > 1) napi_set_element(env, list, b, buffer);
    else list = buffer;
  }
  uint32_t named = 0;
  for (unsigned i = 0; i < count; i++) {
    dsock_chunk *chunk = &chunks[i];
    int32_t *m = meta + i * DSOCK_RECV_FIELDS;
    /* An empty datagram may come with a NULL pointer, which memcpy must not get. */
    if (chunk->length > 0) {
      memcpy(data[m[3]] + (m[4] < 0 ? 0 : m[4]), chunk->data, (size_t)chunk->length);
    }
    m[2] = 0;
    if (sock->have_last_from && same_host(&chunk->from, &sock->last_from)) continue;
    char text[DSOCK_ADDRESS_TEXT];
    int port = 0;
    if (dsock_format_address((struct sockaddr *)&chunk->from, text, sizeof text, &port) < 0) {
      text[0] = '\0';
    }
    napi_value name;
    if (named == 0) napi_create_array(env, &names);
    napi_create_string_latin1(env, text, NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, names, named++, name);
    m[2] = (int32_t)named;
    sock->last_from = chunk->from;
    sock->have_last_from = 1;
  }
  napi_create_uint32(env, count, &args[0]);
  args[1] = list;
  args[2] = names;
  dsock_call(sock, sock->on_batch, 3, args);
  napi_close_handle_scope(env, scope);
}

static void note(dsock_udp *sock, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr) {
  dsock_instance *instance = sock->instance;
  if (instance->chunk_count >= DSOCK_RECV_BATCH) deliver(sock);
  dsock_chunk *chunk = &instance->chunks[instance->chunk_count++];
  chunk->data = buf->base;
  chunk->length = (int32_t)nread;
  memcpy(&chunk->from, addr,
         addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
}

static void on_receive(uv_udp_t *handle, ssize_t nread, const uv_buf_t *buf,
                       const struct sockaddr *addr, unsigned flags) {
  dsock_udp *sock = handle->data;
  if (flags & UV_UDP_MMSG_CHUNK) {
    if (nread >= 0 && addr != NULL) note(sock, nread, buf, addr);
    return;
  }
  if (flags & UV_UDP_MMSG_FREE) {
    deliver(sock);
    return;
  }
  if (nread < 0) {
    /* An error the system reports on receive: an ICMP answer to a datagram this connected
     * socket sent (ECONNREFUSED), as node:dgram reports it with an 'error' event. */
    deliver(sock);
    if (sock->closing || sock->tearing_down) return;
    napi_env env = sock->env;
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) return;
    napi_value error = dsock_uv_error(env, (int)nread, "recvmsg");
    dsock_call(sock, sock->on_error, 1, &error);
    napi_close_handle_scope(env, scope);
    return;
  }
  /* Nothing more to read now (nread 0 without a sender), or one datagram read without
   * recvmmsg where the system lacks it. */
  if (addr == NULL) return;
  note(sock, nread, buf, addr);
  deliver(sock);
}

/* recvStart(handle, slots): receives, at most `slots` datagrams per batch (1..20). */
static napi_value udp_recv_start(napi_env env, napi_callback_info info) {
  ARGS(2);
  dsock_udp *sock = dsock_unwrap(env, argv[0]);
  if (sock == NULL) return NULL;
  int32_t slots = 1;
  napi_get_value_int32(env, argv[1], &slots);
  if (slots < 1) slots = 1;
  if (slots > DSOCK_RECV_BATCH) slots = DSOCK_RECV_BATCH;
  sock->recv_slots = (unsigned)slots;
  dsock_instance *instance = sock->instance;
  if (instance->recv_buffer == NULL) {
    instance->recv_buffer = malloc((size_t)DSOCK_RECV_BATCH * DSOCK_RECV_SLOT);
    if (instance->recv_buffer == NULL) {
      dsock_throw_uv(env, UV_ENOMEM, "recvStart");
      return NULL;
    }
  }
  int err = sock->closing ? UV_EBADF : uv_udp_recv_start(&sock->handle, on_alloc, on_receive);
  if (err < 0) dsock_throw_uv(env, err, "recvStart");
  return NULL;
}

void dsock_register_receive(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"recvStart", NULL, udp_recv_start, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, 1, properties);
}
