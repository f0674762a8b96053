{
  "targets": [
    {
      "target_name": "dsock_native",
      "sources": [
        "native/addon.c",
        "native/errors.c",
        "native/gcm.c",
        "native/udp-control.c",
        "native/udp-receive.c",
        "native/udp-send.c",
        "native/tcp-direct.c"
      ],
      "defines": ["NAPI_VERSION=9", "_GNU_SOURCE"],
      "cflags": ["-O2", "-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags!": ["-O3"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O2"] }
    }
  ]
}
