/*
 * Echo round trips, the kernel-limit proxy: a plain blocking ping-pong.
 *
 *   echo tcp|udp server '{}'
 *   echo tcp|udp client '{"port":P,"size":64,"warmup":W,"iterations":N}'
 *
 * The server echoes with blocking recv()/send() (recvfrom()/sendto() for UDP); a second
 * thread waits for the coordinator's "stop" so that the serving loop makes no other system
 * call, then reports the serving thread's CPU time and ends the process. The client (TCP with
 * TCP_NODELAY) sends, waits for the whole reply, and times each round trip with
 * CLOCK_MONOTONIC. They speak the protocol of bench/lib/latency.ts.
 */
#include "peer-io.h"

#include <netinet/tcp.h>
#include <pthread.h>

#define MAX_MESSAGE 65536
/* A reply that takes this long means the server is gone: fail rather than hang. */
#define REPLY_TIMEOUT_MS 5000

static int use_tcp;
static char buffer[MAX_MESSAGE];

static void send_all(int fd, const char *data, size_t length) {
  while (length > 0) {
    ssize_t n = send(fd, data, length, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno("send");
    data += n;
    length -= (size_t)n;
  }
}

static clockid_t serving_clock;
static uint64_t serving_cpu_start;

static uint64_t serving_cpu_ns(void) {
  struct timespec now;
  clock_gettime(serving_clock, &now);
  return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* Waits for "stop" (or the coordinator's end), reports the serving thread's CPU time, exits. */
static void *control(void *unused) {
  (void)unused;
  expect_type(next_line(), "stop");
  post("{\"type\":\"usage\",\"cpuMs\":%.6f}", (double)(serving_cpu_ns() - serving_cpu_start) / 1e6);
  _exit(0);
}

static void serve_tcp(int server) {
  for (;;) {
    int connection = accept(server, NULL, NULL);
    if (connection < 0 && errno == EINTR) continue;
    if (connection < 0) fail_errno("accept");
    for (;;) {
      ssize_t n = recv(connection, buffer, sizeof buffer, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      send_all(connection, buffer, (size_t)n);
    }
    close(connection);
  }
}

static void serve_udp(int fd) {
  for (;;) {
    struct sockaddr_in from;
    socklen_t length = sizeof from;
    ssize_t n = recvfrom(fd, buffer, sizeof buffer, 0, (struct sockaddr *)&from, &length);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno("recvfrom");
    if (sendto(fd, buffer, (size_t)n, 0, (struct sockaddr *)&from, length) < 0 && errno != EINTR) {
      fail_errno("sendto");
    }
  }
}

static int server(void) {
  int fd = socket(AF_INET, use_tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
  if (fd < 0) fail_errno("socket");
  struct sockaddr_in address = loopback(0);
  if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) fail_errno("bind");
  if (use_tcp && listen(fd, 16) < 0) fail_errno("listen");
  socklen_t length = sizeof address;
  if (getsockname(fd, (struct sockaddr *)&address, &length) < 0) fail_errno("getsockname");
  if (pthread_getcpuclockid(pthread_self(), &serving_clock) != 0) fail("pthread_getcpuclockid");
  post("{\"type\":\"ready\",\"port\":%d}", ntohs(address.sin_port));
  serving_cpu_start = serving_cpu_ns();
  pthread_t thread;
  if (pthread_create(&thread, NULL, control, NULL) != 0) fail("pthread_create");
  if (use_tcp) serve_tcp(fd);
  else serve_udp(fd);
  return 0;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The nearest-rank percentile `p` (whole percent), as bench/lib/stats.ts computes it. */
static double percentile(const double *ordered, size_t count, size_t p) {
  size_t rank = (p * count + 99) / 100;
  if (rank < 1) rank = 1;
  if (rank > count) rank = count;
  return ordered[rank - 1];
}

static int client(const char *params) {
  int size = (int)json_number(params, "size");
  long warmup = (long)json_number(params, "warmup");
  long iterations = (long)json_number(params, "iterations");
  if (size < 1 || size > MAX_MESSAGE) fail("size must be 1 to %d bytes", MAX_MESSAGE);
  if (warmup < 0 || iterations < 1) fail("bad warmup or iterations in %s", params);
  int fd = socket(AF_INET, use_tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
  if (fd < 0) fail_errno("socket");
  struct sockaddr_in to = loopback((int)json_number(params, "port"));
  if (use_tcp) {
    int on = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) < 0) fail_errno("TCP_NODELAY");
    if (connect(fd, (struct sockaddr *)&to, sizeof to) < 0) fail_errno("connect");
  } else {
    struct sockaddr_in any = loopback(0);
    if (bind(fd, (struct sockaddr *)&any, sizeof any) < 0) fail_errno("bind");
  }
  set_timeout(fd, SO_RCVTIMEO, REPLY_TIMEOUT_MS);
  static char payload[MAX_MESSAGE];
  memset(payload, 'a', (size_t)size);
  double *samples = calloc((size_t)iterations, sizeof *samples);
  if (samples == NULL) fail("out of memory");
  long calls = 0;
  double cpu_ms = 0;

  post("{\"type\":\"ready\"}");
  for (;;) {
    const char *message = next_line();
    if (is_type(message, "finish")) break;
    expect_type(message, "block");
    long trips = (long)json_number(message, "trips");
    uint64_t cpu = thread_cpu_ns();
    for (long i = 0; i < trips; i++) {
      uint64_t start = monotonic_ns();
      if (use_tcp) {
        send_all(fd, payload, (size_t)size);
        for (int got = 0; got < size;) {
          ssize_t n = recv(fd, buffer, (size_t)(size - got), 0);
          if (n < 0 && errno == EINTR) continue;
          if (n < 0 && errno == EAGAIN) fail("no reply within %d ms", REPLY_TIMEOUT_MS);
          if (n < 0) fail_errno("recv");
          if (n == 0) fail("the server closed the connection");
          got += (int)n;
        }
      } else {
        if (sendto(fd, payload, (size_t)size, 0, (struct sockaddr *)&to, sizeof to) < 0) {
          fail_errno("sendto");
        }
        ssize_t n;
        do n = recvfrom(fd, buffer, sizeof buffer, 0, NULL, NULL);
        while (n < 0 && errno == EINTR);
        if (n < 0 && errno == EAGAIN) fail("no reply within %d ms", REPLY_TIMEOUT_MS);
        if (n < 0) fail_errno("recvfrom");
      }
      long at = calls++ - warmup;
      if (at >= 0 && at < iterations) samples[at] = (double)(monotonic_ns() - start) / 1000;
    }
    cpu_ms += (double)(thread_cpu_ns() - cpu) / 1e6;
    post("{\"type\":\"block-done\"}");
  }
  long timed = calls - warmup < 0 ? 0 : calls - warmup > iterations ? iterations : calls - warmup;
  if (timed == 0) fail("no timed round trips");
  qsort(samples, (size_t)timed, sizeof *samples, compare);
  double total = 0;
  for (long i = 0; i < timed; i++) total += samples[i];
  post("{\"type\":\"result\",\"p50\":%.3f,\"p99\":%.3f,\"mean\":%.3f,\"max\":%.3f,\"cpuMs\":%.6f}",
       percentile(samples, (size_t)timed, 50), percentile(samples, (size_t)timed, 99),
       total / (double)timed, samples[timed - 1], cpu_ms);
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 4) fail("usage: echo tcp|udp server|client PARAMS-JSON");
  if (strcmp(argv[1], "tcp") == 0) use_tcp = 1;
  else if (strcmp(argv[1], "udp") != 0) fail("unknown transport \"%s\"", argv[1]);
  if (strcmp(argv[2], "server") == 0) return server();
  if (strcmp(argv[2], "client") == 0) return client(argv[3]);
  fail("unknown role \"%s\"", argv[2]);
}
