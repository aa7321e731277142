// defines: Node-API argument decoding for the CUDA addon (storages, numbers, layouts), storage externals
// whose GC finalizer returns the block to the caching allocator, and OpError -> TesseraError conversion.
// Built with NAPI_EXPERIMENTAL so finalizers run inside the garbage collection that frees the JS object
// (Node 20+), instead of on a later turn of the event loop: a synchronous training loop then gets its
// device memory back as soon as the collector runs.
#pragma once
#define NAPI_EXPERIMENTAL
#include <node_api.h>

#include <cstdint>
#include <string>
#include <vector>

#include "context.h"

namespace tcuda::napi {

void check(napi_status s, const char* what);

class CallArgs {
 public:
  CallArgs(napi_env env, napi_callback_info info);
  napi_env env;
  size_t count() const { return argc_; }
  napi_value operator[](size_t i) const { return argv_[i]; }
  bool isNullish(size_t i) const;
  /** A live storage of this addon (throws naming the op otherwise). */
  Buffer* buffer(size_t i) const;
  Buffer* bufferOrNull(size_t i) const;
  /** The storages of a JS array argument. */
  std::vector<Buffer*> buffers(size_t i) const;
  double number(size_t i) const;
  int64_t integer(size_t i) const;
  bool boolean(size_t i) const;
  HostLayout layout(size_t i) const;
  std::vector<double> doubles(size_t i) const;
  void* typedArrayData(size_t i, size_t* byteLength) const;

 private:
  static constexpr size_t kMaxArgs = 32;
  size_t argc_ = kMaxArgs;
  napi_value argv_[kMaxArgs];
};

napi_value wrap(napi_env env, Buffer* b);
napi_value makeNumber(napi_env env, double v);
napi_value makeBool(napi_env env, bool v);
napi_value makeNull(napi_env env);
napi_value makeString(napi_env env, const std::string& s);
napi_value makeArray(napi_env env, const std::vector<napi_value>& items);
napi_value makeObject(napi_env env);
void setProp(napi_env env, napi_value obj, const char* key, napi_value v);
napi_value nullValue(napi_env env);
napi_value undefinedValue(napi_env env);
void exportFunction(napi_env env, napi_value exports, const char* name, napi_callback fn);
void setErrorClass(napi_env env, napi_value ctor);
void throwError(napi_env env, const std::string& message);

/** Owns a new buffer until it is wrapped, so an error thrown before wrap() does not leak it. */
struct Owned {
  Owned() : b(nullptr) {}
  explicit Owned(Buffer* p) : b(p) {}
  ~Owned() { reset(nullptr); }
  /** Frees the buffer held (if any) and holds p. */
  void reset(Buffer* p) {
    if (b) {
      freeBuffer(b);
      delete b;
    }
    b = p;
  }
  explicit operator bool() const { return b != nullptr; }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  Buffer* get() const { return b; }
  Buffer* operator->() const { return b; }
  Buffer* release() {
    Buffer* p = b;
    b = nullptr;
    return p;
  }
  Buffer* b;
};

/** Wraps an owned buffer as a JS external (ownership passes to the GC). */
napi_value wrapOwned(napi_env env, Owned& o);

/** Checks that a layout stays inside its buffer (the message names the op and shapes). */
void checkLayout(const char* op, const Buffer* b, const HostLayout& l);

template <typename F>
napi_value guarded(napi_env env, napi_callback_info info, const char* op, F&& body) {
  setCurrentOp(op);
  struct ProfileScope {
    explicit ProfileScope(const char* o) {
      if (profiling()) profileBegin(o);
    }
    ~ProfileScope() {
      if (profiling()) profileEnd();
    }
  };
  try {
    ProfileScope scope(op);
    CallArgs args(env, info);
    return body(args);
  } catch (const OpError& e) {
    throwError(env, e.what());
  } catch (const std::bad_alloc&) {
    throwError(env, std::string("out of host memory in cuda ") + op);
  } catch (const std::exception& e) {
    throwError(env, std::string("cuda ") + op + ": " + e.what());
  }
  return nullptr;
}

}  // namespace tcuda::napi

/** Defines a Node-API callback `name` whose body sees `CallArgs& a`; errors name the op `name`. */
#define TCUDA_FN(name)                                                         \
  static napi_value name##Body(tcuda::napi::CallArgs& a);                      \
  napi_value name(napi_env env, napi_callback_info info) {                     \
    return tcuda::napi::guarded(env, info, #name, name##Body);                 \
  }                                                                            \
  static napi_value name##Body(tcuda::napi::CallArgs& a)
