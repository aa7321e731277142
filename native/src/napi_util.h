// Thin helpers over the Node-API C interface: reading call arguments (storages, numbers, layouts),
// wrapping new storages in externals, and turning OpError into the library's TesseraError.
#pragma once
// The experimental Node-API version makes Node run "basic" finalizers (node_api_basic_finalize, which may
// not touch JS) inside the garbage collection that found the object dead, instead of in a later turn of the
// event loop. Storages are freed by such finalizers, so a synchronous loop gets its memory back from GC.
#define NAPI_EXPERIMENTAL
#include <node_api.h>

#include <cstdint>
#include <string>
#include <vector>

#include "errors.h"
#include "layout.h"
#include "storage.h"

namespace tessera::napi {

/** Throws an OpError with the failing N-API call named (never expected in normal use). */
void check(napi_env env, napi_status s, const char* what);

class CallArgs {
 public:
  CallArgs(napi_env env, napi_callback_info info);
  napi_env env;
  size_t count() const { return argc_; }
  napi_value operator[](size_t i) const { return argv_[i]; }
  bool isNullish(size_t i) const;
  Buffer* buffer(size_t i) const;
  /** null when the argument is null or undefined. */
  Buffer* bufferOrNull(size_t i) const;
  double number(size_t i) const;
  int64_t integer(size_t i) const;
  bool boolean(size_t i) const;
  std::string string(size_t i) const;
  /** A layout encoded as Float64Array [nd, offset, ...shape, ...strides]. */
  Layout layout(size_t i) const;
  /** The elements of a Float64Array argument. */
  std::vector<double> doubles(size_t i) const;
  /** Raw bytes of a typed array argument. */
  void* typedArrayData(size_t i, size_t* byteLength) const;

 private:
  size_t argc_ = 16;
  napi_value argv_[16];
};

/** A JS external that owns the buffer (freed by its finalizer or by release). */
napi_value wrap(napi_env env, Buffer* b);
/** Frees a storage's data now (release) and tells V8 its bytes are gone. */
void releaseBuffer(napi_env env, Buffer* b);
napi_value makeNumber(napi_env env, double v);
napi_value makeObject(napi_env env);
void setProp(napi_env env, napi_value obj, const char* key, napi_value v);
napi_value undefinedValue(napi_env env);

/** Adds fn as exports[name]. */
void exportFunction(napi_env env, napi_value exports, const char* name, napi_callback fn);

/** Stores the TesseraError class the TypeScript side hands over at init. */
void setErrorClass(napi_env env, napi_value ctor);
/** Throws a TesseraError (or a plain Error before init) with this message into JS. */
void throwError(napi_env env, const std::string& message);

/** Runs body(args) and converts C++ exceptions into JS exceptions. */
template <typename F>
napi_value guarded(napi_env env, napi_callback_info info, F&& body) {
  try {
    CallArgs args(env, info);
    return body(args);
  } catch (const OpError& e) {
    throwError(env, e.what());
  } catch (const std::bad_alloc&) {
    throwError(env, "out of memory in a native cpu kernel");
  } catch (const std::exception& e) {
    throwError(env, std::string("native cpu backend: ") + e.what());
  }
  return nullptr;
}

}  // namespace tessera::napi

/** Defines a Node-API callback whose body sees `CallArgs& a` and returns a napi_value. */
#define TESSERA_FN(name)                                                  \
  static napi_value name##Body(tessera::napi::CallArgs& a);               \
  static napi_value name(napi_env env, napi_callback_info info) {         \
    return tessera::napi::guarded(env, info, name##Body);                 \
  }                                                                       \
  static napi_value name##Body(tessera::napi::CallArgs& a)
