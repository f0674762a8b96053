/*
 * The native datagram path of dsock: a libuv UDP handle per socket, owned by this addon, with
 * receives batched by recvmmsg and sends by sendmmsg, so that one call crosses between C and
 * JavaScript per batch rather than per datagram. The control calls (bind, connect, options,
 * close) are the libuv calls Node's own dgram makes, so errors and behaviour are the same.
 */
#ifndef DSOCK_NATIVE_H
#define DSOCK_NATIVE_H

#ifndef NAPI_VERSION
#define NAPI_VERSION 9
#endif
#include <node_api.h>
#include <uv.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

/*
 * The version of the interface between this addon and src/datagram/native-*.ts: raised with
 * every change to the functions, constants or shared arrays, so that a stale build is refused.
 */
#define DSOCK_ABI 7

/* The longest address text with its scope and NUL: an IPv6 literal, '%', an interface name. */
#define DSOCK_ADDRESS_TEXT (INET6_ADDRSTRLEN + IF_NAMESIZE + 2)

/*
 * Address text read from JavaScript goes into one byte more, so that a string that fills
 * DSOCK_ADDRESS_TEXT - 1 characters is told apart from a longer one the read cut short.
 */
#define DSOCK_ADDRESS_INPUT (DSOCK_ADDRESS_TEXT + 1)

/* libuv hands recvmmsg batches of at most 20 datagrams, each in a 64 KiB slot. */
#define DSOCK_RECV_SLOT 65536
#define DSOCK_RECV_BATCH 20

/* Ints per received datagram in the receive metadata: length, port, name, buffer, offset. */
#define DSOCK_RECV_FIELDS 5

/*
 * Datagrams up to this size are copied back to back into shared buffers of at most
 * DSOCK_PACK_SIZE bytes; larger ones get a buffer of their own. A small datagram the
 * application holds thus keeps at most DSOCK_PACK_SIZE bytes alive, as a slice of Node's
 * 8 KiB Buffer pool does, and a large one only itself.
 */
#define DSOCK_PACK_MAX 2048
#define DSOCK_PACK_SIZE 8192

/* The most datagrams one send call takes (the size of the per-thread send arrays). */
#define DSOCK_SEND_BATCH 256

/* A send result meaning "queued in libuv; its completion is reported later". */
#define DSOCK_SEND_QUEUED 0x40000000

/* One received datagram, noted while libuv hands out the chunks of a batch. */
typedef struct dsock_chunk {
  const char *data;
  int32_t length;
  struct sockaddr_storage from;
} dsock_chunk;

/* What one JavaScript thread (main or worker) shares between its sockets. */
typedef struct dsock_instance {
  uv_loop_t *loop;
  /* The recvmmsg buffer, reused: datagrams are copied out before JavaScript sees them. */
  char *recv_buffer;
  /* Int32Arrays shared with JavaScript, set once by init(). */
  napi_ref recv_meta_ref;
  int32_t *recv_meta;
  napi_ref send_ports_ref;
  int32_t *send_ports;
  napi_ref send_results_ref;
  int32_t *send_results;
  /* Sockets opened and not yet freed, which tests check to find leaks. */
  int64_t live_sockets;
  /* The batch being collected from libuv's chunk callbacks: one socket's batch at a time, as
   * libuv hands over a whole recvmmsg before it reads from another socket. */
  unsigned chunk_count;
  dsock_chunk chunks[DSOCK_RECV_BATCH];
} dsock_instance;

typedef struct dsock_udp dsock_udp;

/*
 * What the JavaScript handle (an External) points to. It outlives the socket, which is freed
 * as soon as libuv has closed it, rather than whenever the garbage collector gets to the
 * handle: the collector does not see native memory, and would let closed sockets pile up.
 */
typedef struct dsock_box {
  dsock_udp *sock;
} dsock_box;

struct dsock_udp {
  uv_udp_t handle;
  napi_env env;
  dsock_instance *instance;
  /* The JavaScript object that receives the callbacks, held while the handle is open. */
  napi_ref owner;
  napi_ref on_batch;
  napi_ref on_error;
  napi_ref on_sent;
  napi_async_context async_context;
  napi_async_cleanup_hook_handle cleanup;
  int family;
  /* How many 64 KiB slots a recvmmsg may fill: no more datagrams than the queue may hold. */
  unsigned recv_slots;
  int closing;
  /* Set when the environment is torn down: no calls into JavaScript any more. */
  int tearing_down;
  /* The JavaScript handle's box, until the handle is collected. */
  dsock_box *box;
  /* The sender of the previous datagram, whose name JavaScript already has. */
  struct sockaddr_storage last_from;
  int have_last_from;
  /* Whether the kernel segments this socket's runs of datagrams (udp-send.c): 0 not yet asked,
   * 1 yes, -1 no. */
  int gso;
};

/* errors.c */
napi_value dsock_uv_error(napi_env env, int err, const char *syscall);
void dsock_throw_uv(napi_env env, int err, const char *syscall);
void dsock_throw_type(napi_env env, const char *message);
int dsock_check(napi_env env, napi_status status);
void dsock_report_exception(napi_env env);

/* udp-control.c */
void dsock_register_control(napi_env env, napi_value exports);
dsock_udp *dsock_unwrap(napi_env env, napi_value value);
int dsock_parse_host(napi_env env, dsock_udp *sock, napi_value host, int32_t port,
                     struct sockaddr_storage *out);
void dsock_call(dsock_udp *sock, napi_ref fn, size_t argc, napi_value *argv);

/* udp-receive.c */
void dsock_register_receive(napi_env env, napi_value exports);
int dsock_format_address(const struct sockaddr *addr, char *out, size_t size, int *port);

/* udp-send.c */
void dsock_register_send(napi_env env, napi_value exports);

/* AES-256-GCM ciphers for sealed datagrams (gcm.c). */
void dsock_register_gcm(napi_env env, napi_value exports);

/* TCP reads and writes straight between the kernel and the caller (tcp-direct.c). */
void dsock_register_tcp_direct(napi_env env, napi_value exports);

/* Reads a call's first n arguments into argv, throwing a TypeError when fewer were passed. */
#define ARGS(n)                                                                        \
  size_t argc = (n);                                                                   \
  napi_value argv[(n) > 0 ? (n) : 1];                                                  \
  if (!dsock_check(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL))) return NULL; \
  if (argc < (n)) {                                                                    \
    dsock_throw_type(env, "missing arguments");                                       \
    return NULL;                                                                       \
  }

#endif
