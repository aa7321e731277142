// Node-API helpers: argument decoding, storage externals with finalizers, TesseraError construction.
#include "napi_util.h"

#include <cstring>

namespace tessera::napi {

namespace {

// Marks externals made by this addon so a foreign external is rejected instead of dereferenced.
const napi_type_tag kBufferTag = {0x7e55e7a0c0ffee01ULL, 0x5eedba5e5eedba5eULL};

struct InstanceData {
  napi_ref errorClass = nullptr;
};

InstanceData* instance(napi_env env) {
  void* data = nullptr;
  napi_get_instance_data(env, &data);
  if (!data) {
    auto* d = new InstanceData();
    napi_set_instance_data(
        env, d, [](napi_env, void* p, void*) { delete static_cast<InstanceData*>(p); }, nullptr);
    return d;
  }
  return static_cast<InstanceData*>(data);
}

// A basic finalizer: it runs during the GC that found the external dead (see napi_util.h) and touches no JS.
// What it returns to the system reaches V8 with the next report from the JS thread (reportExternal).
void finalizeBuffer(node_api_basic_env, void* data, void*) {
  auto* b = static_cast<Buffer*>(data);
  freeBufferData(b);
  delete b;
}

// Tells V8 how much memory storages took from (or gave back to) the system since the last report. Called
// on the JS thread only: inside a garbage collection adjusting V8's count is not safe.
void reportExternal(napi_env env) {
  const int64_t change = takeSystemDelta();
  int64_t ignored;
  if (change) napi_adjust_external_memory(env, change, &ignored);
}

}  // namespace

void check(napi_env env, napi_status s, const char* what) {
  (void)env;
  if (s != napi_ok) throw OpError(std::string("Node-API call failed: ") + what);
}

CallArgs::CallArgs(napi_env e, napi_callback_info info) : env(e) {
  check(env, napi_get_cb_info(env, info, &argc_, argv_, nullptr, nullptr), "napi_get_cb_info");
  if (argc_ > 16) argc_ = 16;
}

bool CallArgs::isNullish(size_t i) const {
  if (i >= argc_) return true;
  napi_valuetype t;
  napi_typeof(env, argv_[i], &t);
  return t == napi_null || t == napi_undefined;
}

Buffer* CallArgs::buffer(size_t i) const {
  bool ok = false;
  if (i < argc_) napi_check_object_type_tag(env, argv_[i], &kBufferTag, &ok);
  if (!ok) throw OpError("native cpu backend: argument " + std::to_string(i) + " is not a native storage");
  void* p = nullptr;
  check(env, napi_get_value_external(env, argv_[i], &p), "napi_get_value_external");
  return static_cast<Buffer*>(p);
}

Buffer* CallArgs::bufferOrNull(size_t i) const { return isNullish(i) ? nullptr : buffer(i); }

double CallArgs::number(size_t i) const {
  double v = 0;
  if (i >= argc_ || napi_get_value_double(env, argv_[i], &v) != napi_ok)
    throw OpError("native cpu backend: argument " + std::to_string(i) + " is not a number");
  return v;
}

int64_t CallArgs::integer(size_t i) const { return static_cast<int64_t>(number(i)); }

bool CallArgs::boolean(size_t i) const {
  bool v = false;
  if (i >= argc_ || napi_get_value_bool(env, argv_[i], &v) != napi_ok)
    throw OpError("native cpu backend: argument " + std::to_string(i) + " is not a boolean");
  return v;
}

std::string CallArgs::string(size_t i) const {
  char buf[256];
  size_t len = 0;
  if (i >= argc_ || napi_get_value_string_utf8(env, argv_[i], buf, sizeof buf, &len) != napi_ok)
    throw OpError("native cpu backend: argument " + std::to_string(i) + " is not a string");
  return std::string(buf, len);
}

void* CallArgs::typedArrayData(size_t i, size_t* byteLength) const {
  bool is = false;
  if (i < argc_) napi_is_typedarray(env, argv_[i], &is);
  if (!is) throw OpError("native cpu backend: argument " + std::to_string(i) + " is not a typed array");
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value ab;
  size_t off;
  check(env, napi_get_typedarray_info(env, argv_[i], &type, &length, &data, &ab, &off), "napi_get_typedarray_info");
  size_t elem = 1;
  switch (type) {
    case napi_int16_array: case napi_uint16_array: elem = 2; break;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
    default: elem = 1;
  }
  *byteLength = length * elem;
  return data;
}

std::vector<double> CallArgs::doubles(size_t i) const {
  size_t bytes;
  const double* d = static_cast<const double*>(typedArrayData(i, &bytes));
  return std::vector<double>(d, d + bytes / sizeof(double));
}

Layout CallArgs::layout(size_t i) const {
  size_t bytes;
  const double* d = static_cast<const double*>(typedArrayData(i, &bytes));
  const size_t n = bytes / sizeof(double);
  Layout l;
  if (n < 2) throw OpError("native cpu backend: malformed layout argument");
  l.nd = static_cast<int>(d[0]);
  if (l.nd < 0 || l.nd > kMaxDims) throw OpError("native cpu backend: tensors of more than 16 dims are not supported");
  if (n != static_cast<size_t>(2 + 2 * l.nd)) throw OpError("native cpu backend: malformed layout argument");
  l.offset = static_cast<int64_t>(d[1]);
  for (int k = 0; k < l.nd; k++) {
    l.shape[k] = static_cast<int64_t>(d[2 + k]);
    l.strides[k] = static_cast<int64_t>(d[2 + l.nd + k]);
  }
  return l;
}

napi_value wrap(napi_env env, Buffer* b) {
  napi_value v;
  if (napi_create_external(env, b, finalizeBuffer, nullptr, &v) != napi_ok) {
    freeBufferData(b);
    delete b;
    throw OpError("native cpu backend: could not wrap a storage");
  }
  napi_type_tag_object(env, v, &kBufferTag);
  reportExternal(env);
  return v;
}

void releaseBuffer(napi_env env, Buffer* b) {
  if (b->released) return;
  freeBufferData(b);
  reportExternal(env);
}

napi_value makeNumber(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

napi_value makeObject(napi_env env) {
  napi_value r;
  napi_create_object(env, &r);
  return r;
}

void setProp(napi_env env, napi_value obj, const char* key, napi_value v) { napi_set_named_property(env, obj, key, v); }

napi_value undefinedValue(napi_env env) {
  napi_value r;
  napi_get_undefined(env, &r);
  return r;
}

void exportFunction(napi_env env, napi_value exports, const char* name, napi_callback fn) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &f);
  napi_set_named_property(env, exports, name, f);
}

void setErrorClass(napi_env env, napi_value ctor) {
  InstanceData* d = instance(env);
  if (d->errorClass) napi_delete_reference(env, d->errorClass);
  napi_create_reference(env, ctor, 1, &d->errorClass);
}

void throwError(napi_env env, const std::string& message) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  InstanceData* d = instance(env);
  napi_value ctor = nullptr, msg, err;
  if (d->errorClass) napi_get_reference_value(env, d->errorClass, &ctor);
  napi_create_string_utf8(env, message.c_str(), message.size(), &msg);
  if (ctor && napi_new_instance(env, ctor, 1, &msg, &err) == napi_ok) {
    napi_throw(env, err);
  } else {
    napi_throw_error(env, nullptr, message.c_str());
  }
}

}  // namespace tessera::napi
