/*
 * Sending: the datagrams JavaScript queued in one tick arrive in ONE call. While libuv has
 * nothing queued for the socket, they go out with sendmmsg on its (non-blocking) descriptor;
 * a datagram the system cannot take now (EAGAIN) and every one after it are handed to
 * uv_udp_send instead, which sends them in order once the socket is writable. Results go back
 * in the shared Int32Array: bytes sent, a negative libuv error, or DSOCK_SEND_QUEUED.
 *
 * A run of datagrams to one destination, all of one size but the last (which may be shorter),
 * leaves as ONE message that the kernel cuts back into those datagrams (UDP generic
 * segmentation offload, UDP_SEGMENT): the run crosses the network stack once instead of once
 * per datagram, which is most of what a small datagram costs to send. The receiver sees the
 * same datagrams either way. Where the kernel or the path refuses it, the run is sent again
 * datagram by datagram, so that every datagram gets the result a plain send would give.
 */
#include <errno.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "dsock.h"

/* Older C libraries' headers lack these: without them the whole addon would not build. The
 * kernel's values are fixed, and a kernel without segmentation refuses the option, which
 * can_segment notices. */
#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

/* sendmmsg takes at most this many datagrams per call here (a stack-sized window). */
#define WINDOW 64

/* The most datagrams in one segmented message (the kernel's limit, UDP_MAX_SEGMENTS, is 64
 * on older kernels). */
#define GSO_SEGMENTS 64

/*
 * Only datagrams of up to this many bytes are segmented: a 1,500-byte MTU less the IPv6 and
 * UDP headers. The kernel refuses segments that would not fit the path's MTU rather than
 * fragment them; below this size it does so only on paths narrower than Ethernet's.
 */
#define GSO_MAX_SEGMENT 1452

/* A segmented message's payload is at most one UDP datagram's over IPv4. */
#define GSO_MAX_BYTES 65507

/* What a socket knows of segmentation: not yet asked, usable, or not usable. */
enum { GSO_UNKNOWN = 0, GSO_USABLE = 1, GSO_REFUSED = -1 };

typedef struct dsock_send_req {
  uv_udp_send_t req;
  dsock_udp *sock;
  /* The payload, kept alive until libuv has sent it. */
  napi_ref payload;
} dsock_send_req;

/* One window of datagrams, ready to go: per datagram its bytes, destination and JS value. */
typedef struct window {
  unsigned ready;
  struct iovec iov[WINDOW];
  struct sockaddr_storage addrs[WINDOW];
  napi_value values[WINDOW];
  /* Where each datagram's result goes in the shared results. */
  uint32_t index[WINDOW];
  /* The destination's length, or 0 for the connected peer. */
  socklen_t namelen;
  /* The messages made of the datagrams, and the first datagram of each (first[m + 1] ends m). */
  struct mmsghdr msgs[WINDOW];
  unsigned first[WINDOW + 1];
  union {
    char bytes[CMSG_SPACE(sizeof(uint16_t))];
    struct cmsghdr align;
  } control[WINDOW];
} window;

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

/* Hands datagram d of the window to libuv's queue; returns DSOCK_SEND_QUEUED or an error. */
static int32_t enqueue(napi_env env, dsock_udp *sock, window *w, unsigned d) {
  dsock_send_req *send = calloc(1, sizeof *send);
  if (send == NULL) return UV_ENOMEM;
  send->sock = sock;
  if (napi_create_reference(env, w->values[d], 1, &send->payload) != napi_ok) {
    free(send);
    return UV_ENOMEM;
  }
  uv_buf_t buf = uv_buf_init(w->iov[d].iov_base, (unsigned)w->iov[d].iov_len);
  const struct sockaddr *to = w->namelen > 0 ? (const struct sockaddr *)&w->addrs[d] : NULL;
  int err = uv_udp_send(&send->req, &sock->handle, &buf, 1, to, on_sent);
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

/* Whether this socket's kernel segments datagrams, asked once per socket. */
static int can_segment(dsock_udp *sock, uv_os_fd_t fd) {
  if (sock->gso == GSO_UNKNOWN) {
    int size = 0;
    socklen_t length = sizeof size;
    sock->gso = getsockopt(fd, SOL_UDP, UDP_SEGMENT, &size, &length) == 0 ? GSO_USABLE
                                                                          : GSO_REFUSED;
  }
  return sock->gso == GSO_USABLE;
}

/* How many datagrams from d on can leave as one segmented message (1: send d alone). */
static unsigned run_length(const window *w, unsigned d) {
  size_t size = w->iov[d].iov_len;
  if (size == 0 || size > GSO_MAX_SEGMENT) return 1;
  size_t total = size;
  unsigned end = d + 1;
  while (end < w->ready && end - d < GSO_SEGMENTS) {
    size_t next = w->iov[end].iov_len;
    /* Every datagram but the last is a whole segment; a datagram of 0 bytes would vanish. */
    if (w->iov[end - 1].iov_len != size || next == 0 || next > size) break;
    if (total + next > GSO_MAX_BYTES) break;
    if (w->namelen > 0 && memcmp(&w->addrs[end], &w->addrs[d], w->namelen) != 0) break;
    total += next;
    end++;
  }
  return end - d;
}

/*
 * Makes the messages for datagrams from d on, starting at message m; runs are segmented when
 * `segment` is set. Returns the number of messages in the window.
 */
static unsigned assemble(window *w, unsigned m, unsigned d, int segment) {
  while (d < w->ready) {
    unsigned length = segment ? run_length(w, d) : 1;
    struct msghdr *hdr = &w->msgs[m].msg_hdr;
    memset(hdr, 0, sizeof *hdr);
    if (w->namelen > 0) {
      hdr->msg_name = &w->addrs[d];
      hdr->msg_namelen = w->namelen;
    }
    hdr->msg_iov = &w->iov[d];
    hdr->msg_iovlen = length;
    if (length > 1) {
      hdr->msg_control = w->control[m].bytes;
      hdr->msg_controllen = sizeof w->control[m].bytes;
      struct cmsghdr *cmsg = CMSG_FIRSTHDR(hdr);
      cmsg->cmsg_level = SOL_UDP;
      cmsg->cmsg_type = UDP_SEGMENT;
      cmsg->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      uint16_t segment_size = (uint16_t)w->iov[d].iov_len;
      memcpy(CMSG_DATA(cmsg), &segment_size, sizeof segment_size);
    }
    w->first[m++] = d;
    d += length;
  }
  w->first[m] = d;
  return m;
}

/* Sends the window's datagrams, queueing what the system cannot take now. */
static void send_window(napi_env env, dsock_udp *sock, uv_os_fd_t fd, int *queue, window *w,
                        int32_t *results) {
  int segment = !*queue && w->ready > 1 && can_segment(sock, fd);
  unsigned count = assemble(w, 0, 0, segment);
  unsigned m = 0;
  while (m < count) {
    if (*queue) {
      for (unsigned d = w->first[m]; d < w->ready; d++) {
        results[w->index[d]] = enqueue(env, sock, w, d);
      }
      return;
    }
    int sent;
    do sent = sendmmsg(fd, w->msgs + m, count - m, 0);
    while (sent < 0 && errno == EINTR);
    if (sent > 0) {
      for (int k = 0; k < sent; k++, m++) {
        for (unsigned d = w->first[m]; d < w->first[m + 1]; d++) {
          results[w->index[d]] = (int32_t)w->iov[d].iov_len;
        }
      }
      continue;
    }
    int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
      *queue = 1;
    } else if (w->first[m + 1] - w->first[m] > 1) {
      /* A segmented message failed: its datagrams go again one by one, which gives each the
       * result of a plain send. Where segmentation itself was refused (a kernel without it,
       * a path narrower than the segments: EINVAL on older kernels, EMSGSIZE on newer ones;
       * no checksum offload), the socket stops trying. Any other error may be one the socket
       * held for its next send (the port unreachable of an earlier datagram), which this
       * message has taken and cleared: the run's first datagram reports it, as it would have
       * sent alone, and only the others go again. */
      unsigned again = w->first[m];
      if (err == EINVAL || err == EMSGSIZE || err == EIO || err == EOPNOTSUPP ||
          err == ENOPROTOOPT) {
        sock->gso = GSO_REFUSED;
      } else {
        results[w->index[again++]] = -err;
      }
      count = assemble(w, m, again, 0);
    } else {
      /* sendmmsg reports only the first failure: that datagram gets it, the rest go on. */
      results[w->index[w->first[m]]] = -err;
      m++;
    }
  }
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

  window w;
  w.namelen = connected ? 0
              : sock->family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                         : sizeof(struct sockaddr_in);
  napi_value previous_host = NULL;
  struct sockaddr_storage previous_addr;
  int previous_err = 0;
  if (one_host) {
    previous_host = argv[3];
    previous_err = dsock_parse_host(env, sock, argv[3], 0, &previous_addr);
  }

  for (uint32_t start = 0; start < count; start += WINDOW) {
    uint32_t end = count - start > WINDOW ? start + WINDOW : count;
    w.ready = 0;
    for (uint32_t i = start; i < end; i++) {
      napi_value payload;
      void *data = NULL;
      size_t length = 0;
      if (napi_get_element(env, argv[2], i, &payload) != napi_ok ||
          !payload_bytes(env, payload, &data, &length)) {
        results[i] = UV_EINVAL;
        continue;
      }
      unsigned d = w.ready;
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
        w.addrs[d] = previous_addr;
        if (sock->family == AF_INET6) {
          ((struct sockaddr_in6 *)&w.addrs[d])->sin6_port = htons((uint16_t)ports[i]);
        } else {
          ((struct sockaddr_in *)&w.addrs[d])->sin_port = htons((uint16_t)ports[i]);
        }
      }
      w.iov[d].iov_base = data;
      w.iov[d].iov_len = length;
      w.values[d] = payload;
      w.index[d] = i;
      w.ready++;
    }
    send_window(env, sock, fd, &queue, &w, results);
  }
  return NULL;
}

void dsock_register_send(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"send", NULL, udp_send, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, 1, properties);
}
