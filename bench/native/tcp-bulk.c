/*
 * TCP bulk transfer, the kernel-limit proxy: large blocking send() and recv() calls.
 *
 *   tcp-bulk receiver '{}'
 *   tcp-bulk sender '{"port":P,"chunkSize":65536}'
 *
 * Both move CHUNK bytes per call (the sender ignores the chunk size the Node contenders use).
 * They speak the block protocol of bench/lib/transfer.ts; the receiver knows a block's size
 * from the coordinator, so it simply reads until it has it all.
 */
#include "peer-io.h"


#define CHUNK (1024 * 1024)
/* A peer that has vanished ends this one with an error after this long. */
#define STALL_MS 10000

static char buffer[CHUNK];

static int receiver(void) {
  int server = socket(AF_INET, SOCK_STREAM, 0);
  if (server < 0) fail_errno("socket");
  struct sockaddr_in address = loopback(0);
  if (bind(server, (struct sockaddr *)&address, sizeof address) < 0) fail_errno("bind");
  if (listen(server, 1) < 0) fail_errno("listen");
  socklen_t length = sizeof address;
  if (getsockname(server, (struct sockaddr *)&address, &length) < 0) fail_errno("getsockname");
  set_timeout(server, SO_RCVTIMEO, STALL_MS);
  post("{\"type\":\"ready\",\"port\":%d}", ntohs(address.sin_port));

  int connection = -1;
  for (;;) {
    const char *message = next_line();
    if (is_type(message, "stop")) break;
    expect_type(message, "arm");
    double target = json_number(message, "target");
    if (connection < 0) {
      // The sender connected before it said it was ready: the connection is waiting.
      connection = accept(server, NULL, NULL);
      if (connection < 0 && errno == EAGAIN) fail("no connection within %d ms", STALL_MS);
      if (connection < 0) fail_errno("accept");
      close(server);
      server = -1;
      set_timeout(connection, SO_RCVTIMEO, STALL_MS);
    }
    uint64_t cpu = thread_cpu_ns();
    uint64_t count = 0, first = 0, last = 0;
    post("{\"type\":\"armed\"}");
    while ((double)count < target) {
      ssize_t n = recv(connection, buffer, CHUNK, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) fail("nothing received for %d ms", STALL_MS);
      if (n < 0) fail_errno("recv");
      if (n == 0) fail("the sender closed the connection after %llu bytes", (unsigned long long)count);
      last = monotonic_ns();
      if (count == 0) first = last;
      count += (uint64_t)n;
    }
    expect_type(next_line(), "sender-done");
    post("{\"type\":\"block\",\"count\":%llu,\"firstNs\":\"%llu\",\"lastNs\":\"%llu\","
         "\"cpuMs\":%.6f,\"extra\":{}}",
         (unsigned long long)count, (unsigned long long)first, (unsigned long long)last,
         (double)(thread_cpu_ns() - cpu) / 1e6);
  }
  if (connection >= 0) close(connection);
  if (server >= 0) close(server);
  return 0;
}

static int sender(const char *params) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail_errno("socket");
  struct sockaddr_in to = loopback((int)json_number(params, "port"));
  if (connect(fd, (struct sockaddr *)&to, sizeof to) < 0) fail_errno("connect");
  set_timeout(fd, SO_SNDTIMEO, STALL_MS);
  memset(buffer, 'a', sizeof buffer);
  post("{\"type\":\"ready\"}");
  for (;;) {
    const char *message = next_line();
    if (is_type(message, "stop")) break;
    expect_type(message, "send");
    uint64_t amount = (uint64_t)json_number(message, "amount");
    uint64_t cpu = thread_cpu_ns();
    uint64_t start = monotonic_ns();
    for (uint64_t sent = 0; sent < amount;) {
      uint64_t left = amount - sent;
      ssize_t n = send(fd, buffer, left < CHUNK ? (size_t)left : CHUNK, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) fail("the receiver took nothing for %d ms", STALL_MS);
      if (n < 0) fail_errno("send");
      sent += (uint64_t)n;
    }
    uint64_t end = monotonic_ns();
    post("{\"type\":\"sent\",\"startNs\":\"%llu\",\"endNs\":\"%llu\",\"cpuMs\":%.6f}",
         (unsigned long long)start, (unsigned long long)end, (double)(thread_cpu_ns() - cpu) / 1e6);
  }
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) fail("usage: tcp-bulk receiver|sender PARAMS-JSON");
  if (strcmp(argv[1], "receiver") == 0) return receiver();
  if (strcmp(argv[1], "sender") == 0) return sender(argv[2]);
  fail("unknown role \"%s\"", argv[1]);
}
