/*
 * What every native benchmark peer shares: the coordinator's protocol as JSON lines on stdin
 * and stdout (see bench/lib/process-peer.ts), clocks, and failing loudly.
 *
 * The coordinator writes one flat JSON object per line, produced by JSON.stringify, so a type
 * and a few numbers are all there is to read; timestamps go back as decimal strings of
 * CLOCK_MONOTONIC nanoseconds, the clock process.hrtime reads.
 */
#ifndef DSOCK_BENCH_PEER_IO_H
#define DSOCK_BENCH_PEER_IO_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 4096

static char input[LINE_MAX_BYTES * 4];
static size_t input_length;
static char line[LINE_MAX_BYTES];

__attribute__((noreturn, format(printf, 1, 2)))
static inline void fail(const char *format, ...) {
  va_list args;
  va_start(args, format);
  vfprintf(stderr, format, args);
  va_end(args);
  fputc('\n', stderr);
  exit(1);
}

/* Ends the peer after a failed system call, naming the call and the error. */
__attribute__((noreturn))
static inline void fail_errno(const char *what) { fail("%s: %s", what, strerror(errno)); }

static inline uint64_t monotonic_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* CPU time of the calling thread: the same figure as /proc/thread-self/schedstat. */
static inline uint64_t thread_cpu_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* Sends one message; the whole line goes out in one write, so lines never interleave. */
static inline void post(const char *format, ...) {
  char text[LINE_MAX_BYTES];
  va_list args;
  va_start(args, format);
  int length = vsnprintf(text, sizeof text - 1, format, args);
  va_end(args);
  if (length < 0 || length >= (int)sizeof text - 1) fail("message too long");
  text[length++] = '\n';
  for (int written = 0; written < length;) {
    ssize_t n = write(STDOUT_FILENO, text + written, (size_t)(length - written));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno("write to the coordinator");
    written += (int)n;
  }
}

/* Moves the first complete line of the input into `line`; 0 when there is none yet. */
static inline int take_line(void) {
  char *end = memchr(input, '\n', input_length);
  if (end == NULL) {
    if (input_length == sizeof input) fail("a line from the coordinator is too long");
    return 0;
  }
  size_t length = (size_t)(end - input);
  if (length >= sizeof line) fail("a line from the coordinator is too long");
  memcpy(line, input, length);
  line[length] = '\0';
  input_length -= length + 1;
  memmove(input, end + 1, input_length);
  return 1;
}

/* Reads what stdin has; the coordinator closing it (it ended) ends the peer. */
static inline void read_input(void) {
  ssize_t n;
  do n = read(STDIN_FILENO, input + input_length, sizeof input - input_length);
  while (n < 0 && errno == EINTR);
  if (n < 0) fail_errno("read from the coordinator");
  if (n == 0) exit(0);
  input_length += (size_t)n;
}

/* The next line from the coordinator, waiting for it. */
static inline const char *next_line(void) {
  while (!take_line()) read_input();
  return line;
}

/* The next line if one has arrived, or NULL, without waiting. */
static inline const char *poll_line(void) {
  if (take_line()) return line;
  struct pollfd in = {.fd = STDIN_FILENO, .events = POLLIN};
  while (poll(&in, 1, 0) > 0) {
    read_input();
    if (take_line()) return line;
  }
  return NULL;
}

/* Whether the message `json` is of `type`. */
static inline int is_type(const char *json, const char *type) {
  char wanted[64];
  snprintf(wanted, sizeof wanted, "\"type\":\"%s\"", type);
  return strstr(json, wanted) != NULL;
}

/* Ends the peer unless `json` is of `type`. */
static inline void expect_type(const char *json, const char *type) {
  if (!is_type(json, type)) fail("expected a \"%s\" message, got %s", type, json);
}

/* The number in field `key` of the flat JSON object `json`. */
static inline double json_number(const char *json, const char *key) {
  char wanted[64];
  snprintf(wanted, sizeof wanted, "\"%s\":", key);
  const char *at = strstr(json, wanted);
  if (at == NULL) fail("no \"%s\" in %s", key, json);
  char *end;
  double value = strtod(at + strlen(wanted), &end);
  if (end == at + strlen(wanted)) fail("\"%s\" is not a number in %s", key, json);
  return value;
}

/* 127.0.0.1:`port`. */
static inline struct sockaddr_in loopback(int port) {
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

/* Bounds the blocking waits of `fd` so that a vanished peer ends this one with an error. */
static inline void set_timeout(int fd, int option, int milliseconds) {
  struct timeval limit = {.tv_sec = milliseconds / 1000, .tv_usec = (milliseconds % 1000) * 1000};
  if (setsockopt(fd, SOL_SOCKET, option, &limit, sizeof limit) < 0) fail_errno("setsockopt");
}

#endif
