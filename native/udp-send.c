/*
 * Sending: the datagrams JavaScript queued in one tick arrive in ONE call. While libuv has
 * nothing queued for the socket, they go out with sendmmsg on its (non-blocking) descriptor;
 * a datagram the system cannot take now (EAGAIN) and every one after it are handed to
 * uv_udp_send instead, which sends them in order once the socket is writable. Results go back
 * in the shared Int32Array: bytes sent, a negative libuv error, or DSOCK_SEND_QUEUED.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "dsock.h"

/* sendmmsg takes at most this many datagrams per call here (a stack-sized window). */
#define WINDOW 64

typedef struct dsock_send_req {
  uv_udp_send_t req;
  dsock_udp *sock;
  /* The payload, kept alive until libuv has sent it. */
  napi_ref payload;
} dsock_send_req;

static void on_sent(uv_udp_send_t *req, int status) {
  dsock_send_req *send = (dsock_send_req *)req;
  dsock_udp *sock = send->sock;
  napi_env env = sock->env;
  if (send->payload != NULL) napi_delete_reference(env, send->payload);
  free(send);
  if (sock->tearing_down) return;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value result;
  if (status < 0) result = dsock_uv_error(env, status, "send");
  else napi_get_null(env, &result);
  dsock_call(sock, sock->on_sent, 1, &result);
  napi_close_handle_scope(env, scope);
}

/* Hands one datagram to libuv's queue; returns DSOCK_SEND_QUEUED or a libuv error. */
static int32_t enqueue(napi_env env, dsock_udp *sock, napi_value payload, struct msghdr *msg) {
  dsock_send_req *send = calloc(1, sizeof *send);
  if (send == NULL) return UV_ENOMEM;
  send->sock = sock;
  if (napi_create_reference(env, payload, 1, &send->payload) != napi_ok) {
    free(send);
    return UV_ENOMEM;
  }
  uv_buf_t buf = uv_buf_init(msg->msg_iov->iov_base, (unsigned)msg->msg_iov->iov_len);
  int err = uv_udp_send(&send->req, &sock->handle, &buf, 1, (struct sockaddr *)msg->msg_name,
                        on_sent);
  if (err < 0) {
    napi_delete_reference(env, send->payload);
    free(send);
    return err;
  }
  return DSOCK_SEND_QUEUED;
}

static int payload_bytes(napi_env env, napi_value value, void **data, size_t *length) {
  napi_typedarray_type type;
  size_t count = 0;
  if (napi_get_typedarray_info(env, value, &type, &count, data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    return 0;
  }
  *length = count;
  return 1;
}

/*
 * send(handle, count, payloads, hosts): payloads[i] (Uint8Arrays) to hosts[i] (address
 * literals) at port sendPorts[i]; to that one host when `hosts` is a string; to the
 * connected peer when `hosts` is undefined.
 */
static napi_value udp_send(napi_env env, napi_callback_info info) {
  ARGS(4);
  dsock_udp *sock = dsock_unwrap(env, argv[0]);
  if (sock == NULL) return NULL;
  uint32_t count = 0;
  napi_get_value_uint32(env, argv[1], &count);
  if (count > DSOCK_SEND_BATCH) {
    dsock_throw_type(env, "too many datagrams for one send call");
    return NULL;
  }
  napi_valuetype hosts_type;
  napi_typeof(env, argv[3], &hosts_type);
  int connected = hosts_type == napi_undefined;
  int one_host = hosts_type == napi_string;
  int32_t *ports = sock->instance->send_ports;
  int32_t *results = sock->instance->send_results;
  if (sock->closing) {
    for (uint32_t i = 0; i < count; i++) results[i] = UV_EBADF;
    return NULL;
  }
  uv_os_fd_t fd = -1;
  if (uv_fileno((uv_handle_t *)&sock->handle, &fd) < 0) fd = -1;
  /* Once libuv holds a datagram, later ones queue behind it, so that order is kept. */
  int queue = fd < 0 || uv_udp_get_send_queue_count(&sock->handle) > 0;

  struct mmsghdr msgs[WINDOW];
  struct iovec iov[WINDOW];
  struct sockaddr_storage addrs[WINDOW];
  napi_value values[WINDOW];
  uint32_t index[WINDOW];
  napi_value previous_host = NULL;
  struct sockaddr_storage previous_addr;
  int previous_err = 0;
  if (one_host) {
    previous_host = argv[3];
    previous_err = dsock_parse_host(env, sock, argv[3], 0, &previous_addr);
  }

  for (uint32_t start = 0; start < count; start += WINDOW) {
    uint32_t end = count - start > WINDOW ? start + WINDOW : count;
    unsigned ready = 0;
    for (uint32_t i = start; i < end; i++) {
      napi_value payload;
      void *data = NULL;
      size_t length = 0;
      if (napi_get_element(env, argv[2], i, &payload) != napi_ok ||
          !payload_bytes(env, payload, &data, &length)) {
        results[i] = UV_EINVAL;
        continue;
      }
      struct msghdr *hdr = &msgs[ready].msg_hdr;
      memset(hdr, 0, sizeof *hdr);
      if (!connected) {
        if (!one_host) {
          napi_value host;
          bool same = false;
          napi_get_element(env, argv[3], i, &host);
          if (previous_host != NULL) napi_strict_equals(env, host, previous_host, &same);
          if (!same) {
            previous_err = dsock_parse_host(env, sock, host, 0, &previous_addr);
            previous_host = host;
          }
        }
        if (previous_err < 0) {
          results[i] = previous_err;
          continue;
        }
        addrs[ready] = previous_addr;
        if (sock->family == AF_INET6) {
          ((struct sockaddr_in6 *)&addrs[ready])->sin6_port = htons((uint16_t)ports[i]);
          hdr->msg_namelen = sizeof(struct sockaddr_in6);
        } else {
          ((struct sockaddr_in *)&addrs[ready])->sin_port = htons((uint16_t)ports[i]);
          hdr->msg_namelen = sizeof(struct sockaddr_in);
        }
        hdr->msg_name = &addrs[ready];
      }
      iov[ready].iov_base = data;
      iov[ready].iov_len = length;
      hdr->msg_iov = &iov[ready];
      hdr->msg_iovlen = 1;
      values[ready] = payload;
      index[ready++] = i;
    }

    unsigned done = 0;
    while (done < ready) {
      if (queue) {
        for (; done < ready; done++) {
          results[index[done]] = enqueue(env, sock, values[done], &msgs[done].msg_hdr);
        }
        break;
      }
      int sent;
      do sent = sendmmsg(fd, msgs + done, ready - done, 0);
      while (sent < 0 && errno == EINTR);
      if (sent > 0) {
        for (int k = 0; k < sent; k++, done++) results[index[done]] = (int32_t)msgs[done].msg_len;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
        queue = 1;
      } else {
        /* sendmmsg reports only the first failure: that datagram gets it, the rest go on. */
        results[index[done++]] = -errno;
      }
    }
  }
  return NULL;
}

void dsock_register_send(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"send", NULL, udp_send, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, 1, properties);
}
