/*
 * Datagram rate, the kernel-limit proxy: batches of datagrams per system call.
 *
 *   udp-rate receiver '{"recvBufferSize":4194304}'
 *   udp-rate sender '{"port":P,"size":64,"window":64}'
 *
 * The sender hands `window` datagrams to sendmmsg() per call; the receiver takes up to BATCH
 * per recvmmsg() call. Both speak the block protocol of bench/lib/transfer.ts.
 */
#include "peer-io.h"


#define BATCH 64
#define MAX_DATAGRAM 2048
/* How long nothing must arrive, once the sender is done, before a block is over. */
#define IDLE_MS 50

static int receiver(const char *params) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) fail_errno("socket");
  int size = (int)json_number(params, "recvBufferSize");
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) < 0) fail_errno("SO_RCVBUF");
  struct sockaddr_in address = loopback(0);
  if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) fail_errno("bind");
  socklen_t length = sizeof address;
  if (getsockname(fd, (struct sockaddr *)&address, &length) < 0) fail_errno("getsockname");
  // A receive that waits this long means the block has gone quiet.
  set_timeout(fd, SO_RCVTIMEO, IDLE_MS);

  static char buffers[BATCH][MAX_DATAGRAM];
  static struct iovec iov[BATCH];
  static struct mmsghdr messages[BATCH];
  for (int i = 0; i < BATCH; i++) {
    iov[i] = (struct iovec){.iov_base = buffers[i], .iov_len = MAX_DATAGRAM};
    messages[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
  }

  post("{\"type\":\"ready\",\"port\":%d}", ntohs(address.sin_port));
  for (;;) {
    const char *message = next_line();
    if (is_type(message, "stop")) break;
    expect_type(message, "arm");
    double target = json_number(message, "target");
    uint64_t cpu = thread_cpu_ns();
    uint64_t count = 0, first = 0, last = 0;
    int sender_done = 0;
    post("{\"type\":\"armed\"}");
    while ((double)count < target) {
      int n = recvmmsg(fd, messages, BATCH, MSG_WAITFORONE, NULL);
      if (n > 0) {
        last = monotonic_ns();
        if (count == 0) first = last;
        count += (uint64_t)n;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        // Quiet for IDLE_MS: the block is over if the sender is done (the rest was lost).
        const char *done = poll_line();
        if (done != NULL) {
          expect_type(done, "sender-done");
          sender_done = 1;
          break;
        }
      } else if (n < 0 && errno != EINTR) {
        fail_errno("recvmmsg");
      }
    }
    if (!sender_done) expect_type(next_line(), "sender-done");
    post("{\"type\":\"block\",\"count\":%llu,\"firstNs\":\"%llu\",\"lastNs\":\"%llu\","
         "\"cpuMs\":%.6f,\"extra\":{}}",
         (unsigned long long)count, (unsigned long long)first, (unsigned long long)last,
         (double)(thread_cpu_ns() - cpu) / 1e6);
  }
  close(fd);
  return 0;
}

static int sender(const char *params) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) fail_errno("socket");
  int size = (int)json_number(params, "size");
  int window = (int)json_number(params, "window");
  if (size < 1 || size > MAX_DATAGRAM) fail("size must be 1 to %d bytes", MAX_DATAGRAM);
  if (window < 1 || window > BATCH) fail("window must be 1 to %d", BATCH);
  struct sockaddr_in to = loopback((int)json_number(params, "port"));
  static char payload[MAX_DATAGRAM];
  memset(payload, 'a', sizeof payload);
  static struct iovec iov;
  iov = (struct iovec){.iov_base = payload, .iov_len = (size_t)size};
  static struct mmsghdr messages[BATCH];
  for (int i = 0; i < BATCH; i++) {
    messages[i].msg_hdr =
        (struct msghdr){.msg_name = &to, .msg_namelen = sizeof to, .msg_iov = &iov, .msg_iovlen = 1};
  }

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
      int n = sendmmsg(fd, messages, left < (uint64_t)window ? (unsigned)left : (unsigned)window, 0);
      if (n < 0 && errno != EINTR) fail_errno("sendmmsg");
      if (n > 0) sent += (uint64_t)n;
    }
    uint64_t end = monotonic_ns();
    post("{\"type\":\"sent\",\"startNs\":\"%llu\",\"endNs\":\"%llu\",\"cpuMs\":%.6f}",
         (unsigned long long)start, (unsigned long long)end, (double)(thread_cpu_ns() - cpu) / 1e6);
  }
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) fail("usage: udp-rate receiver|sender PARAMS-JSON");
  if (strcmp(argv[1], "receiver") == 0) return receiver(argv[2]);
  if (strcmp(argv[1], "sender") == 0) return sender(argv[2]);
  fail("unknown role \"%s\"", argv[1]);
}
