/*
 * Errors handed to JavaScript take the shape of Node's system errors (`code` such as
 * 'EADDRINUSE', `errno`, `syscall`), so that the TypeScript layer maps them exactly as it maps
 * the errors of node:dgram.
 */
#include <stdio.h>
#include "dsock.h"

napi_value dsock_uv_error(napi_env env, int err, const char *syscall) {
  char message[128];
  const char *code = uv_err_name(err);
  snprintf(message, sizeof message, "%s %s", syscall, code);
  napi_value code_value, message_value, error, errno_value, syscall_value;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &message_value);
  napi_create_error(env, code_value, message_value, &error);
  napi_create_int32(env, err, &errno_value);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_set_named_property(env, error, "syscall", syscall_value);
  return error;
}

void dsock_throw_uv(napi_env env, int err, const char *syscall) {
  napi_throw(env, dsock_uv_error(env, err, syscall));
}

void dsock_throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
}

/* Returns 1 when `status` is napi_ok; otherwise leaves (or raises) an exception and returns 0. */
int dsock_check(napi_env env, napi_status status) {
  if (status == napi_ok) return 1;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) {
    const napi_extended_error_info *info = NULL;
    napi_get_last_error_info(env, &info);
    napi_throw_error(env, "ERR_DSOCK_NATIVE",
                     info != NULL && info->error_message != NULL ? info->error_message
                                                                 : "native call failed");
  }
  return 0;
}

/*
 * An exception thrown by a JavaScript callback the loop made has nobody to catch it: it goes
 * to 'uncaughtException', as one thrown by a Node event handler does.
 */
void dsock_report_exception(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) return;
  napi_value error;
  napi_get_and_clear_last_exception(env, &error);
  napi_fatal_exception(env, error);
}
