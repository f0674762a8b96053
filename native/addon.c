/*
 * Module entry: per-thread state (each worker thread loads its own instance of the addon,
 * with its own loop) and the registration of the functions the TypeScript layer calls.
 */
#include <stdlib.h>
#include "dsock.h"

static void free_instance(napi_env env, void *data, void *hint) {
  dsock_instance *instance = data;
  if (instance->recv_meta_ref != NULL) napi_delete_reference(env, instance->recv_meta_ref);
  if (instance->send_ports_ref != NULL) napi_delete_reference(env, instance->send_ports_ref);
  if (instance->send_results_ref != NULL) napi_delete_reference(env, instance->send_results_ref);
  free(instance->recv_buffer);
  free(instance);
}

/* Keeps `value`, an Int32Array of at least `length` elements, and its data pointer. */
static int keep_int32_array(napi_env env, napi_value value, size_t length, napi_ref *ref,
                            int32_t **data) {
  bool is_typed = false;
  napi_is_typedarray(env, value, &is_typed);
  napi_typedarray_type type;
  size_t actual = 0;
  void *pointer = NULL;
  if (!is_typed ||
      napi_get_typedarray_info(env, value, &type, &actual, &pointer, NULL, NULL) != napi_ok ||
      type != napi_int32_array || actual < length) {
    dsock_throw_type(env, "init expects Int32Arrays of the documented sizes");
    return 0;
  }
  if (*ref != NULL) napi_delete_reference(env, *ref);
  if (!dsock_check(env, napi_create_reference(env, value, 1, ref))) return 0;
  *data = pointer;
  return 1;
}

/* init(recvMeta, sendPorts, sendResults): the arrays this thread shares with C. */
static napi_value init(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (!dsock_check(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL))) return NULL;
  dsock_instance *instance = NULL;
  napi_get_instance_data(env, (void **)&instance);
  if (argc < 3 || instance == NULL) {
    dsock_throw_type(env, "init(recvMeta, sendPorts, sendResults)");
    return NULL;
  }
  /* Sockets already open hold pointers into the first arrays: they are set once per thread. */
  if (instance->recv_meta_ref != NULL) {
    napi_throw_error(env, "ERR_DSOCK_NATIVE", "dsock native: init was already called");
    return NULL;
  }
  if (!keep_int32_array(env, argv[0], DSOCK_RECV_BATCH * DSOCK_RECV_FIELDS,
                        &instance->recv_meta_ref, &instance->recv_meta) ||
      !keep_int32_array(env, argv[1], DSOCK_SEND_BATCH, &instance->send_ports_ref,
                        &instance->send_ports) ||
      !keep_int32_array(env, argv[2], DSOCK_SEND_BATCH, &instance->send_results_ref,
                        &instance->send_results)) {
    return NULL;
  }
  return NULL;
}

static napi_value constant(napi_env env, int32_t value) {
  napi_value result;
  napi_create_int32(env, value, &result);
  return result;
}

NAPI_MODULE_INIT() {
  dsock_instance *instance = calloc(1, sizeof *instance);
  if (instance == NULL) {
    napi_throw_error(env, "ENOMEM", "dsock native: out of memory");
    return NULL;
  }
  if (napi_get_uv_event_loop(env, &instance->loop) != napi_ok ||
      napi_set_instance_data(env, instance, free_instance, NULL) != napi_ok) {
    free(instance);
    napi_throw_error(env, "ERR_DSOCK_NATIVE", "dsock native: cannot set up the thread state");
    return NULL;
  }
  napi_property_descriptor properties[] = {
      {"init", NULL, init, NULL, NULL, NULL, napi_enumerable, NULL},
      {"DSOCK_ABI", NULL, NULL, NULL, NULL, constant(env, DSOCK_ABI), napi_enumerable, NULL},
      {"RECV_BATCH", NULL, NULL, NULL, NULL, constant(env, DSOCK_RECV_BATCH), napi_enumerable,
       NULL},
      {"RECV_FIELDS", NULL, NULL, NULL, NULL, constant(env, DSOCK_RECV_FIELDS),
       napi_enumerable, NULL},
      {"SEND_BATCH", NULL, NULL, NULL, NULL, constant(env, DSOCK_SEND_BATCH), napi_enumerable,
       NULL},
      {"SEND_QUEUED", NULL, NULL, NULL, NULL, constant(env, DSOCK_SEND_QUEUED),
       napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  dsock_register_control(env, exports);
  dsock_register_receive(env, exports);
  dsock_register_send(env, exports);
  dsock_register_gcm(env, exports);
  dsock_register_tcp_direct(env, exports);
  return exports;
}
